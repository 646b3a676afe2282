"""Serving an attachment: the one place that does it, for the page and the API alike."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404

from enlets.core.shared import record_read
from enlets.documents.models import Attachment, Document


def serve_attachment(user: Any, document: Document, attachment_id: Any) -> FileResponse:
    """`document` must come from get_visible_or_404(..., audit_read=False): the read is audited
    here, naming the file, instead of as a plain document read."""
    attachment = Attachment.objects.filter(document=document, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    record_read(
        user,
        document,
        "attachment_download",
        changes={"attachment": {"id": attachment.pk, "name": attachment.original_name, "sha256": attachment.sha256}},
    )
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    # A file is data, never a page of this site: no sniffing, no script, no caching by proxies.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
