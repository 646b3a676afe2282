"""Every write of the best-practice exchange: one transaction, one audit event, notifications and
index updates sent after commit. Views, the API, commands and the demo data all come here."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from enlets.core import access, audit
from enlets.core.errors import InvalidInput, NotAllowed
from enlets.core.models import TLP
from enlets.core.notify import notify
from enlets.core.shared import AUDIENCE_FIELDS, apply_audience, attach_file, detach_file, validate_marking
from enlets.network.models import Country, Organisation, User
from enlets.practices import workflow
from enlets.practices.models import (
    Adoption,
    Comment,
    CostBand,
    DpiaStatus,
    FeedToken,
    Practice,
    PracticeAttachment,
    PracticeRevision,
    ProcurementRoute,
    Review,
    Subscription,
    Topic,
)
from enlets.search.languages import Language
from enlets.search.tasks import index_later, index_many_later

# --- Practices -------------------------------------------------------------------------------------

TEXT_FIELDS = (
    "title",
    "summary",
    "problem",
    "solution",
    "technology",
    "staffing",
    "implementation",
    "results",
    "lessons",
    "legal_basis",
    "fundamental_rights",
    "transferability",
    "contact_note",
    "public_teaser",
)
CHOICE_FIELDS = {
    "language": Language,
    "cost_band": CostBand,
    "procurement_route": ProcurementRoute,
    "dpia": DpiaStatus,
}
DATE_FIELDS = ("implementation_start", "implementation_end")
CONTENT_FIELDS = (*TEXT_FIELDS, *CHOICE_FIELDS, *DATE_FIELDS)
RELATED_FIELDS = ("topics", "countries", "organisations", "contacts")
AUDITED_FIELDS = (*CONTENT_FIELDS, *RELATED_FIELDS, "tlp", "state", "owner", *AUDIENCE_FIELDS, "co_authors")
# Where an author may change the text: not while a reviewer is looking at it (withdraw it first),
# not once rejected (rework it first).
EDITABLE_STATES = (Practice.State.DRAFT, Practice.State.CHANGES_REQUESTED, Practice.State.PUBLISHED)


def can_create(user: Any) -> bool:
    """Practices come from the member states: vetted community members with an organisation."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_community_member and user.organisation_id


def can_edit(user: Any, practice: Practice) -> bool:
    return practice.is_editable_by(user) and practice.state in EDITABLE_STATES


def _limits(field: str) -> int | None:
    return Practice._meta.get_field(field).max_length


def _clean_content(data: dict[str, Any]) -> None:
    """Trim and check the template fields in place; raise InvalidInput naming every bad field."""
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(CONTENT_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for name in TEXT_FIELDS:
        if name in data:
            data[name] = (data[name] or "").strip()
            limit = _limits(name)
            if limit and len(data[name]) > limit:
                errors[name] = [f"At most {limit} characters (now {len(data[name])})."]
    if "title" in data and not data["title"]:
        errors["title"] = ["Give the practice a title."]
    for name, choices in CHOICE_FIELDS.items():
        if name in data:
            # Empty means the field's default: no cost band stated, or English.
            data[name] = data[name] or Practice._meta.get_field(name).default
            if data[name] not in choices.values:
                errors[name] = [f"Choose one of: {', '.join(v for v in choices.values if v)}."]
    start, end = data.get("implementation_start"), data.get("implementation_end")
    if start and end and end < start:
        errors["implementation_end"] = ["The end comes before the start."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(f"Please correct the practice: {first}", field_errors=errors)


def _check_related(related: dict[str, Any]) -> None:
    topics = related.get("topics")
    if topics is not None:
        retired = [t.name for t in topics if not t.is_active]
        if retired:
            raise InvalidInput(
                f"The topic {', '.join(retired)} is retired; choose an active topic.",
                field_errors={"topics": ["Choose active topics."]},
            )
    contacts = related.get("contacts")
    if contacts is not None:
        inactive = [c.display_name for c in contacts if not c.is_active]
        if inactive:
            raise InvalidInput(
                f"{', '.join(inactive)} can no longer be reached; name an active contact.",
                field_errors={"contacts": ["Name active people only."]},
            )


def _set_related(practice: Practice, related: dict[str, Any]) -> None:
    for name in RELATED_FIELDS:
        if related.get(name) is not None:
            getattr(practice, name).set(list(related[name]))


def revision_content(practice: Practice) -> dict[str, Any]:
    """Every template field as it is now, related rows by name: what a revision keeps."""
    content: dict[str, Any] = {name: getattr(practice, name) for name in TEXT_FIELDS}
    for name, choices in CHOICE_FIELDS.items():
        content[name] = choices(getattr(practice, name)).label if getattr(practice, name) else ""
    for name in DATE_FIELDS:
        value = getattr(practice, name)
        content[name] = value.isoformat() if value else ""
    content["topics"] = sorted(t.name for t in practice.topics.all())
    content["countries"] = sorted(c.name for c in practice.countries.all())
    content["organisations"] = sorted(o.name for o in practice.organisations.all())
    content["contacts"] = sorted(u.display_name for u in practice.contacts.all())
    content["attachments"] = sorted(a.original_name for a in practice.attachments.all())
    content["tlp"] = practice.tlp
    return content


def _record_revision(actor: User, practice: Practice, note: str) -> PracticeRevision:
    practice.revision_number += 1
    Practice.objects.filter(pk=practice.pk).update(revision_number=practice.revision_number)
    return PracticeRevision.objects.create(
        practice=practice,
        number=practice.revision_number,
        author=actor,
        note=note[:300],
        tlp=practice.tlp,
        content=revision_content(practice),
    )


def _authors(practice: Practice) -> list[User]:
    return [practice.owner, *practice.co_authors.all()]


def _reviewers(practice: Practice) -> list[User]:
    return list(User.objects.filter(pk__in=practice.reviewer_ids()))


@transaction.atomic
def do_create_practice(
    actor: User,
    *,
    tlp: str = TLP.GREEN,
    audience: dict[str, Iterable[Any]] | None = None,
    co_authors: Iterable[User] = (),
    topics: Iterable[Topic] | None = None,
    countries: Iterable[Country] | None = None,
    organisations: Iterable[Organisation] | None = None,
    contacts: Iterable[User] | None = None,
    **data: Any,
) -> Practice:
    """A new practice, always a draft: it reaches others only through review."""
    if not can_create(actor):
        raise NotAllowed("Only vetted members of the network community write practices.")
    audience = dict(audience or {})
    data.setdefault("title", "")
    _clean_content(data)
    validate_marking(tlp, audience)
    related = {
        "topics": list(topics or []),
        # The author's own country is involved unless they say otherwise.
        "countries": list(countries) if countries is not None else [actor.organisation.country],
        "organisations": list(organisations) if organisations is not None else [actor.organisation],
        "contacts": list(contacts) if contacts is not None else [actor],
    }
    _check_related(related)
    now = timezone.now()
    practice = Practice.objects.create(
        owner=actor,
        owner_organisation=actor.organisation,
        tlp=tlp,
        state=Practice.State.DRAFT,
        created_at=now,
        updated_at=now,
        **data,
    )
    practice.co_authors.set([u for u in co_authors if u.pk != actor.pk])
    _set_related(practice, related)
    apply_audience(practice, audience)
    audit.record(
        "practices.practice.create",
        actor=actor,
        obj=practice,
        changes=audit.diff({}, audit.snapshot(practice, AUDITED_FIELDS)),
    )
    index_later(practice)
    return practice


@transaction.atomic
def do_update_practice(
    actor: User,
    practice: Practice,
    *,
    tlp: str | None = None,
    audience: dict[str, Iterable[Any]] | None = None,
    co_authors: Iterable[User] | None = None,
    note: str = "",
    topics: Iterable[Topic] | None = None,
    countries: Iterable[Country] | None = None,
    organisations: Iterable[Organisation] | None = None,
    contacts: Iterable[User] | None = None,
    **data: Any,
) -> Practice:
    """Change the text, marking or people of a practice. Partial: only what is given changes (so
    the editor can save as you go). A change to a published practice is kept as a new revision and
    its topics' reviewers are told, so they can send it back if it needs another look."""
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    if not practice.is_editable_by(actor):
        raise NotAllowed("Only the owner and the co-authors edit this practice.")
    if practice.state not in EDITABLE_STATES:
        hint = "withdraw it to draft first" if practice.state == Practice.State.SUBMITTED else "rework it first"
        if practice.state == Practice.State.IN_REVIEW:
            hint = "wait for the reviewer's decision"
        if practice.state == Practice.State.ARCHIVED:
            hint = "restore it first"
        raise InvalidInput(
            f"A practice that is {Practice.State(practice.state).label.lower()} cannot be edited: {hint}."
        )
    before = audit.snapshot(practice, AUDITED_FIELDS)
    _clean_content(data)
    related = {"topics": topics, "countries": countries, "organisations": organisations, "contacts": contacts}
    related = {k: list(v) for k, v in related.items() if v is not None}
    _check_related(related)
    new_tlp = tlp if tlp is not None else practice.tlp
    full_audience = {
        f: (list(audience[f]) if audience is not None and f in audience else list(getattr(practice, f).all()))
        for f in AUDIENCE_FIELDS
    }
    validate_marking(new_tlp, full_audience)
    if co_authors is not None:
        wanted = {u.pk for u in co_authors} - {practice.owner_id}
        if practice.owner_id != actor.pk and wanted != set(practice.co_authors.values_list("pk", flat=True)):
            raise NotAllowed("Only the owner changes the co-authors.")
        practice.co_authors.set(list(User.objects.filter(pk__in=wanted)))
    for name, value in data.items():
        setattr(practice, name, value)
    practice.tlp = new_tlp
    practice.updated_at = timezone.now()
    practice.save()
    _set_related(practice, related)
    apply_audience(practice, full_audience)
    changes = audit.diff(before, audit.snapshot(practice, AUDITED_FIELDS))
    if not changes:
        return practice
    audit.record("practices.practice.update", actor=actor, obj=practice, changes=changes)
    if practice.state == Practice.State.PUBLISHED:
        revision = _record_revision(actor, practice, note or "Edited after publication.")
        notify(
            _reviewers(practice),
            verb="practices.revised",
            text=f"{actor.display_name} changed the published practice “{practice.title}” "
            f"(revision {revision.number}).",
            item=practice,
            actor=actor,
        )
    index_later(practice)
    return practice


@transaction.atomic
def do_delete_practice(actor: User, practice: Practice) -> None:
    """Only drafts that never left their authors are deleted; published work is archived instead."""
    if practice.owner_id != actor.pk or not actor.is_active:
        raise NotAllowed("Only the owner deletes a practice.")
    if practice.state != Practice.State.DRAFT or practice.revisions.exists():
        raise InvalidInput("Only a draft that was never published can be deleted; archive a published practice.")
    before = audit.snapshot(practice, AUDITED_FIELDS)
    audit.record("practices.practice.delete", actor=actor, obj=practice, changes=audit.diff(before, {}))
    files = [a.file for a in practice.attachments.all()]
    index_later(practice)
    practice.delete()
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


# --- The review workflow --------------------------------------------------------------------------

_NOTICES = {
    "submit": "{actor} submitted “{title}” for review.",
    "withdraw": "{actor} withdrew “{title}” from review.",
    "start_review": "{actor} started reviewing “{title}”.",
    "request_changes": "{actor} asked for changes to “{title}”.",
    "publish": "{actor} published “{title}”.",
    "reject": "{actor} rejected “{title}”.",
    "rework": "{actor} took the rejected “{title}” back as a draft.",
    "archive": "{actor} archived “{title}”.",
    "restore": "{actor} restored “{title}” to published.",
}


@transaction.atomic
def do_transition(
    actor: User,
    practice: Practice,
    name: str,
    *,
    checklist: dict[str, bool] | None = None,
    comment: str = "",
    note: str = "",
) -> Practice:
    """Take one step of the review workflow (workflow.TRANSITIONS), with its review where it has one.

    Refused steps raise with the reason in words: the wrong state, the wrong person, a missing field
    (named), an unticked quality criterion, a rejection without a reason."""
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    reason = workflow.refusal(actor, practice, name)
    if reason is not None:
        raise NotAllowed(reason, code="transition_refused")
    transition = workflow.TRANSITIONS[name]
    checklist = {k: bool(v) for k, v in (checklist or {}).items()}
    comment = (comment or "").strip()
    if name == "submit":
        missing = workflow.missing_for_submission(practice)
        if missing:
            named = ", ".join(f.replace("_", " ") for f in missing)
            raise InvalidInput(f"The practice is not ready for review. Missing: {named}.", field_errors=missing)
        if not practice.reviewer_ids():
            topics = ", ".join(t.name for t in practice.topics.all())
            raise InvalidInput(
                f"No one reviews {topics} yet, so nobody could take the submission; "
                "ask the Core Group to name reviewers.",
                field_errors={"topics": ["These topics have no reviewers."]},
            )
    if name == "publish":
        unticked = workflow.missing_for_publication(checklist)
        if unticked:
            raise InvalidInput(
                "A practice is published only when every quality criterion is met. Not met: " + "; ".join(unticked),
                field_errors={"checklist": unticked},
            )
    if name in ("request_changes", "reject") and not comment:
        raise InvalidInput(
            "Say what needs to change, or why the practice is rejected: the authors need the reason.",
            field_errors={"comment": ["Write a comment for the authors."]},
        )
    before = {"state": practice.state}
    now = timezone.now()
    practice.state = transition.target
    practice.updated_at = now
    if name == "submit":
        practice.submitted_at = now
    if name == "publish" and practice.published_at is None:
        practice.published_at = now
    practice.save(update_fields=["state", "updated_at", "submitted_at", "published_at"])
    review = None
    if transition.needs_review:
        review = Review.objects.create(
            practice=practice,
            reviewer=actor,
            decision={"request_changes": "changes_requested", "publish": "publish", "reject": "reject"}[name],
            checklist=checklist,
            comment=comment,
        )
    changes: dict[str, Any] = audit.diff(before, {"state": practice.state})
    if review is not None:
        changes["review"] = [None, {"checklist": checklist, "comment": comment}]
    if name == "publish":
        revision = _record_revision(actor, practice, note or "Published after review.")
        changes["revision"] = [None, revision.number]
    audit.record(f"practices.practice.{name}", actor=actor, obj=practice, changes=changes)
    text = _NOTICES[name].format(actor=actor.display_name, title=practice.title)
    if review is not None and comment:
        text = f"{text} {comment}"[:300]
    # Submissions go to the reviewers; decisions go to the authors (and to the other reviewers).
    recipients = (
        _reviewers(practice) if name in ("submit", "withdraw") else [*_authors(practice), *_reviewers(practice)]
    )
    notify(recipients, verb=f"practices.{name}", text=text, item=practice, actor=actor)
    index_later(practice)
    return practice


@transaction.atomic
def do_review_comment(actor: User, practice: Practice, *, checklist: dict[str, bool], comment: str) -> Review:
    """A reviewer's interim review (checklist progress and a remark) without changing the state."""
    if workflow.REVIEWER not in workflow.roles_of(actor, practice) or practice.state not in Practice.REVIEW_STATES:
        raise NotAllowed("Only a reviewer of the practice's topics comments on a submission under review.")
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput("Write a comment.", field_errors={"comment": ["Write a comment."]})
    review = Review.objects.create(
        practice=practice, reviewer=actor, decision=Review.Decision.COMMENT, checklist=checklist, comment=comment
    )
    audit.record(
        "practices.review.comment", actor=actor, obj=practice, changes={"review": [None, {"comment": comment}]}
    )
    notify(
        _authors(practice),
        verb="practices.review_comment",
        text=f"{actor.display_name} commented on the review of “{practice.title}”.",
        item=practice,
        actor=actor,
    )
    return review


# --- Attachments ----------------------------------------------------------------------------------


@transaction.atomic
def do_add_attachment(actor: User, practice: Practice, upload: UploadedFile) -> PracticeAttachment:
    if not can_edit(actor, practice):
        raise NotAllowed("Only the owner and the co-authors add files, while the practice is editable.")
    return attach_file(actor, practice, upload, PracticeAttachment, "practice")


@transaction.atomic
def do_remove_attachment(actor: User, attachment: PracticeAttachment) -> None:
    practice = attachment.practice
    if not can_edit(actor, practice):
        raise NotAllowed("Only the owner and the co-authors remove files, while the practice is editable.")
    detach_file(actor, practice, attachment)


# --- Adoption and comments --------------------------------------------------------------------------


def can_record_adoption(user: Any, practice: Practice) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.is_community_member
        and user.organisation_id is not None
        and practice.state == Practice.State.PUBLISHED
    )


@transaction.atomic
def do_record_adoption(actor: User, practice: Practice, *, status: str, note: str = "") -> Adoption:
    """The actor's country says it is interested in, piloting or has adopted the practice (one row
    per country: a later statement replaces the earlier one, and the audit keeps both)."""
    if not access.can_see(actor, practice):
        raise NotAllowed("Not found.", code="not_found")
    if not can_record_adoption(actor, practice):
        raise NotAllowed("Vetted members record adoption of published practices for their own country.")
    if status not in Adoption.Status.values:
        raise InvalidInput(
            "Unknown adoption status.",
            field_errors={"status": [f"Choose one of: {', '.join(Adoption.Status.values)}."]},
        )
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput("The note is too long.", field_errors={"note": ["At most 2000 characters."]})
    country = actor.organisation.country
    adoption = Adoption.objects.select_for_update().filter(practice=practice, country=country).first()
    before = {"status": adoption.status, "note": adoption.note} if adoption else {}
    now = timezone.now()
    if adoption is None:
        adoption = Adoption(practice=practice, country=country, created_at=now)
    adoption.status, adoption.note, adoption.organisation = status, note, actor.organisation
    adoption.recorded_by, adoption.updated_at = actor, now
    adoption.save()
    audit.record(
        "practices.adoption.record",
        actor=actor,
        obj=practice,
        changes={**audit.diff(before, {"status": status, "note": note}), "country": [None, country.pk]},
    )
    notify(
        _authors(practice),
        verb="practices.adoption",
        text=f"{country.name}: {adoption.get_status_display().lower()} in “{practice.title}”.",
        item=practice,
        actor=actor,
    )
    return adoption


@transaction.atomic
def do_remove_adoption(actor: User, adoption: Adoption) -> None:
    if not actor.is_active or actor.country_id != adoption.country_id:
        raise NotAllowed("Only people of the same country withdraw its adoption statement.")
    audit.record(
        "practices.adoption.remove",
        actor=actor,
        obj=adoption.practice,
        changes={"status": [adoption.status, None], "country": [adoption.country_id, None]},
    )
    adoption.delete()


def _clean_comment(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write something first.", field_errors={"body": ["The comment is empty."]})
    if len(body) > 10000:
        raise InvalidInput("The comment is too long.", field_errors={"body": ["At most 10,000 characters."]})
    return body


@transaction.atomic
def do_add_comment(actor: User, practice: Practice, body: str, *, parent: Comment | None = None) -> Comment:
    """A comment in the practice's thread. Whoever sees the practice may comment (signed in); the
    comment is seen by exactly the same people, because it is only reached through the practice."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active or not access.can_see(actor, practice):
        raise NotAllowed("Not found.", code="not_found")
    body = _clean_comment(body)
    if parent is not None and (parent.practice_id != practice.pk or parent.removed_at is not None):
        raise InvalidInput("Reply to a comment of this practice.", field_errors={"parent": ["Unknown comment."]})
    comment = Comment.objects.create(practice=practice, parent=parent, author=actor, body=body)
    audit.record(
        "practices.comment.create",
        actor=actor,
        obj=practice,
        changes={"comment": [None, {"id": comment.pk, "body": body}]},
    )
    recipients = [*_authors(practice), *([parent.author] if parent else [])]
    notify(
        recipients,
        verb="practices.comment",
        text=f"{actor.display_name} commented on “{practice.title}”.",
        item=practice,
        url=f"{practice.get_absolute_url()}#comment-{comment.pk}",
        actor=actor,
    )
    return comment


@transaction.atomic
def do_edit_comment(actor: User, comment: Comment, body: str) -> Comment:
    if comment.author_id != actor.pk or not actor.is_active or comment.removed_at is not None:
        raise NotAllowed("Only its author edits a comment.")
    body = _clean_comment(body)
    audit.record(
        "practices.comment.update",
        actor=actor,
        obj=comment.practice,
        changes={"comment": [{"id": comment.pk, "body": comment.body}, {"id": comment.pk, "body": body}]},
    )
    comment.body, comment.edited_at = body, timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


def can_remove_comment(user: Any, comment: Comment) -> bool:
    """The comment's author, the practice's owner (their thread) and the Core Group (moderation)."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.is_active
        and (user.pk in (comment.author_id, comment.practice.owner_id) or user.is_core_group)
    )


@transaction.atomic
def do_remove_comment(actor: User, comment: Comment) -> Comment:
    if not can_remove_comment(actor, comment) or not access.can_see(actor, comment.practice):
        raise NotAllowed("Only the comment's author, the practice's owner or the Core Group removes a comment.")
    audit.record(
        "practices.comment.remove",
        actor=actor,
        obj=comment.practice,
        changes={"comment": [{"id": comment.pk, "body": comment.body}, None]},
    )
    comment.removed_at = timezone.now()
    comment.save(update_fields=["removed_at"])
    return comment


# --- Topics ---------------------------------------------------------------------------------------


def can_manage_topics(user: Any) -> bool:
    """The Core Group steers the taxonomy; the Secretariat keeps it for them."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.is_active
        and (user.is_core_group or user.is_secretariat)
    )


TOPIC_FIELDS = ("name", "slug", "description", "lead_country", "state", "merged_into", "reviewers")


def _clean_topic(data: dict[str, Any], topic: Topic | None = None) -> None:
    name = (data.get("name") or "").strip()
    if not name:
        raise InvalidInput("A topic needs a name.", field_errors={"name": ["Give the topic a name."]})
    if len(name) > 100:
        raise InvalidInput("The name is too long.", field_errors={"name": ["At most 100 characters."]})
    data["name"] = name
    clash = Topic.objects.filter(name__iexact=name).exclude(pk=topic.pk if topic else None)
    if clash.exists():
        raise InvalidInput(f"There is already a topic named {name}.", field_errors={"name": ["Choose another name."]})
    inactive = [u.display_name for u in data.get("reviewers") or [] if not u.is_active or not u.is_community_member]
    if inactive:
        raise InvalidInput(
            f"Reviewers must be active, vetted community members: {', '.join(inactive)}.",
            field_errors={"reviewers": ["Choose active community members."]},
        )


@transaction.atomic
def do_create_topic(
    actor: User,
    *,
    name: str,
    description: str = "",
    lead_country: Country | None = None,
    reviewers: Iterable[User] = (),
    slug: str = "",
) -> Topic:
    if not can_manage_topics(actor):
        raise NotAllowed("Only the Core Group and the Secretariat manage topics.")
    data = {"name": name, "reviewers": list(reviewers)}
    _clean_topic(data)
    slug = slugify(slug or data["name"])[:60] or "topic"
    if Topic.objects.filter(slug=slug).exists():
        raise InvalidInput(f"The address {slug} is taken.", field_errors={"slug": ["Choose another short name."]})
    topic = Topic.objects.create(
        name=data["name"], slug=slug, description=(description or "").strip(), lead_country=lead_country
    )
    topic.reviewers.set(data["reviewers"])
    audit.record(
        "practices.topic.create", actor=actor, obj=topic, changes=audit.diff({}, audit.snapshot(topic, TOPIC_FIELDS))
    )
    return topic


@transaction.atomic
def do_update_topic(
    actor: User,
    topic: Topic,
    *,
    name: str | None = None,
    description: str | None = None,
    lead_country: Country | bool | None = False,
    reviewers: Iterable[User] | None = None,
) -> Topic:
    """Rename, describe, set the lead country or the reviewers. The slug (the topic's address)
    never changes, so links to the topic keep working after a rename."""
    if not can_manage_topics(actor):
        raise NotAllowed("Only the Core Group and the Secretariat manage topics.")
    before = audit.snapshot(topic, TOPIC_FIELDS)
    data = {"name": name if name is not None else topic.name}
    data["reviewers"] = list(reviewers) if reviewers is not None else list(topic.reviewers.all())
    _clean_topic(data, topic)
    topic.name = data["name"]
    if description is not None:
        topic.description = description.strip()
    if lead_country is not False:
        topic.lead_country = lead_country  # type: ignore[assignment]
    topic.updated_at = timezone.now()
    topic.save()
    topic.reviewers.set(data["reviewers"])
    changes = audit.diff(before, audit.snapshot(topic, TOPIC_FIELDS))
    audit.record("practices.topic.update", actor=actor, obj=topic, changes=changes)
    if "reviewers" in changes:
        # Reviewers find practices under review through the search labels: refresh those.
        pending = list(topic.practices.filter(state__in=Practice.REVIEW_STATES).values_list("pk", flat=True))
        index_many_later(Practice, pending)
    if "name" in changes:
        index_many_later(Practice, list(topic.practices.values_list("pk", flat=True)))
    return topic


@transaction.atomic
def do_retire_topic(actor: User, topic: Topic) -> Topic:
    """A retired topic takes no new practices; its practices and links stay."""
    if not can_manage_topics(actor):
        raise NotAllowed("Only the Core Group and the Secretariat manage topics.")
    if not topic.is_active:
        raise InvalidInput(f"{topic.name} is already retired.")
    topic.state, topic.updated_at = Topic.State.RETIRED, timezone.now()
    topic.save(update_fields=["state", "updated_at"])
    audit.record("practices.topic.retire", actor=actor, obj=topic, changes={"state": ["active", "retired"]})
    return topic


@transaction.atomic
def do_reactivate_topic(actor: User, topic: Topic) -> Topic:
    if not can_manage_topics(actor):
        raise NotAllowed("Only the Core Group and the Secretariat manage topics.")
    if topic.is_active or topic.merged_into_id:
        raise InvalidInput(f"{topic.name} cannot be reactivated: it is active, or merged into another topic.")
    topic.state, topic.updated_at = Topic.State.ACTIVE, timezone.now()
    topic.save(update_fields=["state", "updated_at"])
    audit.record("practices.topic.reactivate", actor=actor, obj=topic, changes={"state": ["retired", "active"]})
    return topic


@transaction.atomic
def do_merge_topics(actor: User, source: Topic, target: Topic) -> Topic:
    """Move every practice, reviewer and subscription of `source` to `target`; `source` is retired
    and its address leads to `target`, so no link is lost."""
    if not can_manage_topics(actor):
        raise NotAllowed("Only the Core Group and the Secretariat manage topics.")
    if source.pk == target.pk:
        raise InvalidInput("Choose two different topics.", field_errors={"target": ["Choose another topic."]})
    if not target.is_active:
        raise InvalidInput(
            f"{target.name} is retired; merge into an active topic.", field_errors={"target": ["Retired."]}
        )
    if target.final().pk == source.pk:
        raise InvalidInput("That merge would make a loop.", field_errors={"target": ["Choose another topic."]})
    moved = list(source.practices.values_list("pk", flat=True))
    through = Practice.topics.through
    already = set(through.objects.filter(topic=target, practice_id__in=moved).values_list("practice_id", flat=True))
    through.objects.bulk_create([through(practice_id=pk, topic=target) for pk in moved if pk not in already])
    through.objects.filter(topic=source).delete()
    target.reviewers.add(*source.reviewers.all())
    for subscription in Subscription.objects.filter(topic=source):
        if Subscription.objects.filter(user=subscription.user, topic=target, country=subscription.country).exists():
            subscription.delete()
        else:
            subscription.topic = target
            subscription.save(update_fields=["topic"])
    source.state, source.merged_into, source.updated_at = Topic.State.RETIRED, target, timezone.now()
    source.save(update_fields=["state", "merged_into", "updated_at"])
    audit.record(
        "practices.topic.merge",
        actor=actor,
        obj=source,
        changes={
            "merged_into": [None, target.pk],
            "state": ["active", "retired"],
            "practices_moved": [None, len(moved)],
        },
    )
    index_many_later(Practice, moved)
    return target


# --- Subscriptions and feed tokens --------------------------------------------------------------


@transaction.atomic
def do_subscribe(
    actor: User, *, topic: Topic | None = None, country: Country | None = None, frequency: str = "weekly"
) -> Subscription:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed("Sign in to subscribe.")
    if topic is None and country is None:
        raise InvalidInput("Choose a topic or a country to follow.", field_errors={"topic": ["Choose one."]})
    if frequency not in Subscription.Frequency.values:
        raise InvalidInput("Choose daily or weekly.", field_errors={"frequency": ["Choose daily or weekly."]})
    subscription, created = Subscription.objects.get_or_create(
        user=actor, topic=topic, country=country, defaults={"frequency": frequency}
    )
    if not created and subscription.frequency != frequency:
        subscription.frequency = frequency
        subscription.save(update_fields=["frequency"])
    audit.record(
        "practices.subscription.save",
        actor=actor,
        obj=subscription,
        changes={
            "topic": [None, topic.pk if topic else None],
            "country": [None, country.pk if country else None],
            "frequency": [None, frequency],
        },
    )
    return subscription


@transaction.atomic
def do_unsubscribe(actor: User, subscription: Subscription) -> None:
    if subscription.user_id != actor.pk:
        raise NotAllowed("Not found.", code="not_found")
    audit.record(
        "practices.subscription.delete", actor=actor, obj=subscription, changes={"id": [subscription.pk, None]}
    )
    subscription.delete()


def hash_feed_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def do_create_feed_token(actor: User) -> tuple[FeedToken, str]:
    """A new personal feed secret; shown once, stored only as a hash."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed("Sign in to get a personal feed.")
    secret = FeedToken.PREFIX + secrets.token_urlsafe(32)
    token = FeedToken.objects.create(user=actor, secret_hash=hash_feed_secret(secret))
    audit.record("practices.feed_token.create", actor=actor, obj=token)
    return token, secret


@transaction.atomic
def do_revoke_feed_token(actor: User, token: FeedToken) -> FeedToken:
    if token.user_id != actor.pk:
        raise NotAllowed("Not found.", code="not_found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("practices.feed_token.revoke", actor=actor, obj=token)
    return token


def authenticate_feed_token(secret: str) -> User | None:
    """The active person behind a personal feed secret, or None (revoked, unknown, deactivated)."""
    if not secret or not secret.startswith(FeedToken.PREFIX):
        return None
    token = FeedToken.objects.select_related("user").filter(secret_hash=hash_feed_secret(secret)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 3600:
        FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
