"""Reusable pieces for every shared-item app: audience writes, read auditing, lookup-or-404.

Every later app (practices, requirements, ...) uses these so that the access model is applied
the same way everywhere. The recipe is in docs/adding-a-model.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.http import Http404

from enlets.core import access, audit
from enlets.core.errors import InvalidInput
from enlets.core.models import TLP, SharedItem

ItemT = TypeVar("ItemT", bound=SharedItem)

AUDIENCE_FIELDS = ("audience_countries", "audience_organisations", "audience_groups", "audience_people")
SHARED_FIELDS = ("tlp", "state", "owner", *AUDIENCE_FIELDS, "co_authors")


def get_visible_or_404(model: type[ItemT], user: Any, pk: Any, *, audit_read: bool = True) -> ItemT:
    """The item if `user` may see it, else 404 exactly as if it did not exist.

    Reads of AMBER, AMBER+STRICT and RED items are audited here, so no view forgets it.
    """
    try:
        item = model.objects.visible_to(user).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Not found") from exc
    if audit_read:
        record_read(user, item)
    return item


def record_read(user: Any, item: SharedItem, action: str = "read", changes: dict[str, Any] | None = None) -> None:
    """Audit a read of an AMBER, AMBER+STRICT or RED item; `changes` may say what was read (e.g. which file)."""
    if item.tlp in TLP.sensitive():
        audit.record(f"{item._meta.label_lower}.{action}", actor=user, obj=item, changes=changes)


def validate_marking(tlp: str, audience: dict[str, Iterable[Any]]) -> None:
    """AMBER and stricter need an audience that the marking can use; say what is missing."""
    if tlp not in TLP.values:
        raise InvalidInput("Unknown TLP marking.", field_errors={"tlp": [f"Choose one of: {', '.join(TLP.values)}."]})
    countries = list(audience.get("audience_countries") or [])
    orgs = list(audience.get("audience_organisations") or [])
    groups = list(audience.get("audience_groups") or [])
    if tlp == TLP.AMBER_STRICT and (countries or groups):
        raise InvalidInput(
            "TLP:AMBER+STRICT shares only within organisations: remove the countries and groups.",
            field_errors={"audience_countries": ["Not used by TLP:AMBER+STRICT."]}
            if countries
            else {"audience_groups": ["Not used by TLP:AMBER+STRICT."]},
        )
    if tlp == TLP.RED and (countries or groups or orgs):
        raise InvalidInput(
            "TLP:RED shares only with named people: remove the countries, organisations and groups.",
            field_errors={"audience_people": ["TLP:RED is for named people only."]},
        )


def apply_audience(item: SharedItem, audience: dict[str, Iterable[models.Model]]) -> None:
    """Set the audience fields given in `audience` and rewrite the item's permission labels."""
    for name in AUDIENCE_FIELDS:
        if name in audience:
            getattr(item, name).set(list(audience[name] or []))
    access.sync_labels(item)


def attach_file(
    actor: Any, item: SharedItem, upload: Any, attachment_model: type[models.Model], item_field: str
) -> Any:
    """Check an upload (size and type, on its content), store it under a random name and record it
    on `item` with an audit event. Call inside the app's action (its transaction and rights check).
    A file already written is removed again if the row or the audit event cannot be saved."""
    from django.utils import timezone

    from enlets.core.uploads import check_upload

    checked = check_upload(upload)
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[:255]
    attachment = attachment_model(
        **{item_field: item},
        original_name=name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(name, upload, save=False)
    stored = attachment.file
    try:
        attachment.save()
        type(item).objects.filter(pk=item.pk).update(updated_at=timezone.now())
        audit.record(
            f"{item._meta.app_label}.attachment.create",
            actor=actor,
            obj=item,
            object_repr=str(item),
            changes={
                "attachment": [
                    None,
                    {"name": name, "size": checked.size, "sha256": checked.sha256, "type": checked.content_type},
                ]
            },
        )
    except Exception:
        stored.delete(save=False)
        raise
    return attachment


def detach_file(actor: Any, item: SharedItem, attachment: Any) -> None:
    """Remove an attachment row with an audit event; the file goes once the transaction commits."""
    from django.db import transaction

    audit.record(
        f"{item._meta.app_label}.attachment.delete",
        actor=actor,
        obj=item,
        object_repr=str(item),
        changes={"attachment": [{"name": attachment.original_name, "sha256": attachment.sha256}, None]},
    )
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


def serve_attachment(user: Any, item: SharedItem, attachment_id: Any) -> Any:
    """Send one file of `item`: the one place that does it, for every app's page and API.

    `item` must come from get_visible_or_404(..., audit_read=False): the read is audited here,
    naming the file, instead of as a plain read of the item."""
    from django.http import FileResponse

    attachment = item.attachments.filter(pk=attachment_id).first()  # access: files of a visible item
    if attachment is None:
        raise Http404("No such file.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing.") from exc
    record_read(
        user,
        item,
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
