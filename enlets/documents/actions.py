"""Every write of the document library: one transaction, one audit event each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from enlets.core import audit
from enlets.core.errors import InvalidInput, NotAllowed
from enlets.core.models import TLP
from enlets.core.shared import AUDIENCE_FIELDS, apply_audience, attach_file, detach_file, validate_marking
from enlets.documents.models import Attachment, Document
from enlets.network.models import User
from enlets.search.tasks import index_later

CONTENT_FIELDS = ("title", "summary", "body", "space", "space_country", "space_group")
AUDITED_FIELDS = (*CONTENT_FIELDS, "tlp", "state", "owner", *AUDIENCE_FIELDS, "co_authors")


def can_create(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.organisation_id is not None


def can_edit(user: User, document: Document) -> bool:
    return document.is_editable_by(user)


def _check_space(actor: User, data: dict[str, Any]) -> None:
    space = data.get("space") or Document.Space.PERSONAL
    if space not in Document.Space.values:
        raise InvalidInput("Unknown space.", field_errors={"space": ["Choose personal, country or group."]})
    if space == Document.Space.COUNTRY:
        country = data.get("space_country")
        if country is None:
            raise InvalidInput("Choose the country space.", field_errors={"space_country": ["Choose a country."]})
        if country.pk != actor.country_id:
            raise InvalidInput(
                "You may put documents only in your own country's space.",
                field_errors={"space_country": ["Only your own country's space."]},
            )
        data["space_group"] = None
    elif space == Document.Space.GROUP:
        group = data.get("space_group")
        if group is None:
            raise InvalidInput("Choose the group space.", field_errors={"space_group": ["Choose an interest group."]})
        if group.pk not in actor.approved_group_ids():
            raise InvalidInput(
                "You may put documents only in the spaces of groups you belong to.",
                field_errors={"space_group": ["Only a group you are a member of."]},
            )
        data["space_country"] = None
    else:
        data["space_country"] = None
        data["space_group"] = None


def _clean_content(data: dict[str, Any]) -> None:
    title = (data.get("title") or "").strip()
    if not title:
        raise InvalidInput("A document needs a title.", field_errors={"title": ["Give the document a title."]})
    if len(title) > 200:
        raise InvalidInput("The title is too long.", field_errors={"title": ["At most 200 characters."]})
    data["title"] = title
    if len(data.get("summary") or "") > 300:
        raise InvalidInput("The summary is too long.", field_errors={"summary": ["At most 300 characters."]})


def _default_audience(data: dict[str, Any], audience: dict[str, Iterable[Any]], tlp: str) -> None:
    """An AMBER document in a group or country space is shared with that space unless told otherwise."""
    if tlp != TLP.AMBER or any(audience.get(f) for f in AUDIENCE_FIELDS):
        return
    if data.get("space") == Document.Space.GROUP and data.get("space_group"):
        audience["audience_groups"] = [data["space_group"]]
    elif data.get("space") == Document.Space.COUNTRY and data.get("space_country"):
        audience["audience_countries"] = [data["space_country"]]


@transaction.atomic
def do_create_document(
    actor: User,
    *,
    tlp: str = TLP.GREEN,
    state: str = Document.State.DRAFT,
    audience: dict[str, Iterable[Any]] | None = None,
    co_authors: Iterable[User] = (),
    **data: Any,
) -> Document:
    if not can_create(actor):
        raise NotAllowed("Only active people with an organisation create documents.")
    audience = dict(audience or {})
    _clean_content(data)
    _check_space(actor, data)
    _default_audience(data, audience, tlp)
    validate_marking(tlp, audience)
    if state not in Document.State.values:
        raise InvalidInput("Unknown state.", field_errors={"state": ["Choose draft, published or archived."]})
    unknown = set(data) - set(CONTENT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    now = timezone.now()
    document = Document.objects.create(
        owner=actor, owner_organisation=actor.organisation, tlp=tlp, state=state, created_at=now, updated_at=now, **data
    )
    document.co_authors.set([u for u in co_authors if u.pk != actor.pk])
    apply_audience(document, audience)
    audit.record(
        "documents.document.create",
        actor=actor,
        obj=document,
        changes=audit.diff({}, audit.snapshot(document, AUDITED_FIELDS)),
    )
    index_later(document)
    return document


@transaction.atomic
def do_update_document(
    actor: User,
    document: Document,
    *,
    audience: dict[str, Iterable[Any]] | None = None,
    co_authors: Iterable[User] | None = None,
    **data: Any,
) -> Document:
    if not can_edit(actor, document):
        raise NotAllowed("Only the owner and the co-authors edit this document.")
    document = Document.objects.select_for_update().get(pk=document.pk)
    before = audit.snapshot(document, AUDITED_FIELDS)
    merged = {f: getattr(document, f) for f in CONTENT_FIELDS}
    merged.update({k: v for k, v in data.items() if k in CONTENT_FIELDS})
    unknown = set(data) - set(CONTENT_FIELDS) - {"tlp", "state"}
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _clean_content(merged)
    if (
        merged["space"] != document.space
        or merged.get("space_country") != document.space_country
        or merged.get("space_group") != document.space_group
    ):
        _check_space(actor, merged)
    tlp = data.get("tlp", document.tlp)
    state = data.get("state", document.state)
    if state not in Document.State.values:
        raise InvalidInput("Unknown state.", field_errors={"state": ["Choose draft, published or archived."]})
    full_audience = {
        f: (audience[f] if audience is not None and f in audience else list(getattr(document, f).all()))
        for f in AUDIENCE_FIELDS
    }
    validate_marking(tlp, full_audience)
    for name, value in merged.items():
        setattr(document, name, value)
    document.tlp = tlp
    document.state = state
    document.updated_at = timezone.now()
    document.save()
    if co_authors is not None:
        if document.owner_id != actor.pk and {u.pk for u in co_authors} != set(
            document.co_authors.values_list("pk", flat=True)
        ):
            raise NotAllowed("Only the owner changes the co-authors.")
        document.co_authors.set([u for u in co_authors if u.pk != document.owner_id])
    apply_audience(document, full_audience)
    changes = audit.diff(before, audit.snapshot(document, AUDITED_FIELDS))
    audit.record("documents.document.update", actor=actor, obj=document, changes=changes)
    index_later(document)
    return document


@transaction.atomic
def do_delete_document(actor: User, document: Document) -> None:
    if document.owner_id != actor.pk or not actor.is_active:
        raise NotAllowed("Only the owner deletes a document.")
    before = audit.snapshot(document, AUDITED_FIELDS)
    before["attachments"] = list(document.attachments.values_list("original_name", flat=True))
    audit.record("documents.document.delete", actor=actor, obj=document, changes=audit.diff(before, {}))
    files = [a.file for a in document.attachments.all()]
    index_later(document)  # after commit the task finds the row gone and drops it from the index
    document.delete()
    # Files go only once the rows are gone for good.
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


@transaction.atomic
def do_transfer_document(actor: User, document: Document, new_owner: User) -> Document:
    if document.owner_id != actor.pk:
        raise NotAllowed("Only the owner hands a document over; for people who left, ask their NCP.")
    if not new_owner.is_active or new_owner.organisation_id is None:
        raise InvalidInput(
            "The new owner must be an active person with an organisation.",
            field_errors={"owner": ["Choose an active person."]},
        )
    before = audit.snapshot(document, ("owner", "owner_organisation"))
    document.owner = new_owner
    document.owner_organisation = new_owner.organisation
    document.updated_at = timezone.now()
    document.save(update_fields=["owner", "owner_organisation", "updated_at"])
    audit.record(
        "documents.document.transfer",
        actor=actor,
        obj=document,
        changes=audit.diff(before, audit.snapshot(document, ("owner", "owner_organisation"))),
    )
    index_later(document)
    return document


@transaction.atomic
def do_add_attachment(actor: User, document: Document, upload: UploadedFile) -> Attachment:
    if not can_edit(actor, document):
        raise NotAllowed("Only the owner and the co-authors add files to this document.")
    return attach_file(actor, document, upload, Attachment, "document")


@transaction.atomic
def do_remove_attachment(actor: User, attachment: Attachment) -> None:
    document = attachment.document
    if not can_edit(actor, document):
        raise NotAllowed("Only the owner and the co-authors remove files from this document.")
    detach_file(actor, document, attachment)
