"""Checks for uploaded files: a size limit and a type allow-list decided on content, not name."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from enlets.core.errors import InvalidInput

# Types the platform accepts, by what the content is. Office files are ZIP or OLE containers
# that `filetype` names precisely; plain text and CSV are recognised by decoding as UTF-8.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/zip": "ZIP archive",
    "text/plain": "plain text",
}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size: int
    sha256: str


def allowed_in_words() -> str:
    return ", ".join(sorted(set(ALLOWED_TYPES.values())))


def limit_in_words() -> str:
    return f"{settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB"


def sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if not head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character may be cut at the end of the sample.
        if exc.start < len(head) - 4:
            return None
    if b"\x00" in head:
        return None
    return "text/plain"


def check_upload(upload: UploadedFile, field: str = "file") -> CheckedUpload:
    """Raise InvalidInput naming the limit or the allowed types; return facts about the file."""
    size = upload.size or 0
    if size > settings.MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"The file is too large: {size / (1024 * 1024):.1f} MB; the limit is {limit_in_words()}.",
            code="file_too_large",
            field_errors={field: [f"Files may be at most {limit_in_words()}."]},
        )
    if size == 0:
        raise InvalidInput("The file is empty.", code="file_empty", field_errors={field: ["The file is empty."]})
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    mime = sniff(head)
    if mime not in ALLOWED_TYPES:
        raise InvalidInput(
            f"This type of file is not accepted. Allowed: {allowed_in_words()}.",
            code="file_type_refused",
            field_errors={field: [f"Not an accepted type of file. Allowed: {allowed_in_words()}."]},
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(content_type=mime, size=size, sha256=digest.hexdigest())


def check_form_files(form: Any, field: str = "files") -> bool:
    """Check every upload of a form before anything is written, so a refused file leaves nothing
    behind; each refusal becomes a form error naming the file. True when all may be stored."""
    ok = True
    for upload in form.cleaned_data.get(field) or []:
        try:
            check_upload(upload, field=field)
        except InvalidInput as error:
            form.add_error(field, f"{upload.name}: {error.message}")
            ok = False
    return ok


def attach_all(add: Callable[[Any], Any], files: list[Any]) -> list[Any]:
    """Attach every file or none: `add(upload)` is the app's action; if one fails, the caller's
    transaction rolls back and the files already stored are removed here."""
    added: list[Any] = []
    try:
        for upload in files:
            added.append(add(upload))
    except Exception:
        for attachment in added:
            attachment.file.delete(save=False)
        raise
    return added


def save_form_with_files(
    form: Any,
    write: Callable[[dict[str, Any]], Any],
    attach: Callable[[Any, Any], Any],
    error_fields: dict[str, str] | None = None,
) -> Any | None:
    """The create and edit views of every shared-item app: check the form and its files (every
    error at once), then in one transaction `write(form.action_data())` the item and
    `attach(item, upload)` each file, or nothing. An action's refusal becomes form errors.
    Returns the saved item, or None when the form is to be shown again with its errors."""
    from django.db import transaction

    from enlets.core.errors import ActionError
    from enlets.core.forms import add_action_errors

    valid = form.is_valid()
    # Check the files even when other fields failed, so every error shows at once.
    files_ok = check_form_files(form)
    if not (valid and files_ok):
        return None
    try:
        with transaction.atomic():
            item = write(form.action_data())
            attach_all(lambda upload: attach(item, upload), form.cleaned_data["files"])
    except ActionError as error:
        add_action_errors(form, error, error_fields)
        return None
    return item
