"""Import and export of practices between ENLETS Hub instances (docs/interchange.md).

Export: `export_practices()` writes what one person may see (never a bypass: the anonymous rule
when nobody is named) into a self-contained JSON document, attachments included, and audits the
export as one event naming every uid.

Import: `parse_file()` reads and checks the WHOLE file before anything is written and returns a
plan in which every topic, country, organisation, group and person is already mapped to a row of
this instance; any problem raises `InterchangeError` naming the practice and the field.
`do_import_practices()` then applies the plan in one transaction, matching practices on their uid
so that importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from enlets.core import access, audit
from enlets.core.errors import InvalidInput
from enlets.core.models import TLP
from enlets.core.shared import validate_marking
from enlets.core.uploads import check_upload
from enlets.network.models import Country, InterestGroup, Organisation, User
from enlets.practices import actions
from enlets.practices.models import Practice, PracticeAttachment, PracticeRevision, Topic
from enlets.search.tasks import index_later

FORMAT = "enlets-practices"
VERSION = 1

TEXT_FIELDS = actions.TEXT_FIELDS
CHOICE_FIELDS = actions.CHOICE_FIELDS
DATE_FIELDS = actions.DATE_FIELDS
DATETIME_FIELDS = ("published_at", "submitted_at", "created_at", "updated_at")
REQUIRED_KEYS = ("uid", "title", "tlp", "state")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# What an import event records as changed: the actions' fields plus what only an import sets.
IMPORT_AUDITED = (*actions.AUDITED_FIELDS, "owner_organisation", "published_at", "submitted_at", "revision_number")
MAX_REPORTED = 25  # problems listed in one refusal; the rest are counted


class InterchangeError(Exception):
    """The file cannot be imported (or the importer may not import); the message says why."""


# --- Export --------------------------------------------------------------------------------------


def _person(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.username, "email": user.email, "display_name": user.display_name}


def _organisation(org: Organisation | None) -> dict[str, str] | None:
    return None if org is None else {"name": org.name, "country": org.country_id}


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def practice_to_dict(practice: Practice, *, with_files: bool = True) -> dict[str, Any]:
    """One practice in the interchange format (see docs/interchange.md for every key)."""
    data: dict[str, Any] = {"uid": str(practice.uid)}
    for name in TEXT_FIELDS:
        data[name] = getattr(practice, name)
    for name in CHOICE_FIELDS:
        data[name] = getattr(practice, name)
    for name in DATE_FIELDS:
        data[name] = _when(getattr(practice, name))
    data["topics"] = [{"slug": t.slug, "name": t.name} for t in practice.topics.order_by("slug")]
    data["countries"] = sorted(c.pk for c in practice.countries.all())
    data["organisations"] = [_organisation(o) for o in practice.organisations.order_by("country_id", "name")]
    data["owner"] = _person(practice.owner)
    data["owner_organisation"] = _organisation(practice.owner_organisation)
    data["contacts"] = [_person(u) for u in practice.contacts.order_by("username")]
    data["co_authors"] = [_person(u) for u in practice.co_authors.order_by("username")]
    data["tlp"] = practice.tlp
    data["audience"] = {
        "countries": sorted(c.pk for c in practice.audience_countries.all()),
        "organisations": [_organisation(o) for o in practice.audience_organisations.order_by("country_id", "name")],
        "groups": sorted(g.slug for g in practice.audience_groups.all()),
        "people": [_person(u) for u in practice.audience_people.order_by("username")],
    }
    data["state"] = practice.state
    for name in DATETIME_FIELDS:
        data[name] = _when(getattr(practice, name))
    data["revision_number"] = practice.revision_number
    data["revisions"] = [
        {
            "number": r.number,
            "created_at": _when(r.created_at),
            "author": r.author.username if r.author else None,
            "note": r.note,
            "tlp": r.tlp,
            "content": r.content,
        }
        for r in practice.revisions.select_related("author").order_by("number")
    ]
    attachments = []
    for a in practice.attachments.order_by("created_at", "id"):
        entry: dict[str, Any] = {
            "name": a.original_name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        if with_files:
            with a.file.open("rb") as handle:
                entry["data"] = base64.b64encode(handle.read()).decode("ascii")
        attachments.append(entry)
    data["attachments"] = attachments
    return data


def exportable(user: Any, *, topic: str = "", country: str = "", state: str = "") -> Any:
    """The practices `user` may see (anonymous when None: TLP:CLEAR and released only), filtered."""
    viewer = user if user is not None else AnonymousUser()
    qs = Practice.objects.visible_to(viewer)
    if topic:
        qs = qs.filter(topics__slug=topic)
    if country:
        qs = qs.filter(countries__code=country.upper())
    if state:
        qs = qs.filter(state=state)
    return (
        qs.distinct()
        .select_related("owner", "owner_organisation")
        .prefetch_related("countries", "audience_countries", "audience_groups")
        .order_by("created_at", "id")
    )


@transaction.atomic
def do_export_practices(actor: User | None, *, topic: str = "", country: str = "", state: str = "") -> dict[str, Any]:
    """The export document of what `actor` may see, audited as one event listing the uids."""
    if actor is not None and (not getattr(actor, "is_authenticated", False) or not actor.is_active):
        raise InvalidInput("Export as an active person, or as nobody (TLP:CLEAR only).")
    practices = [practice_to_dict(p) for p in exportable(actor, topic=topic, country=country, state=state)]
    filters = {k: v for k, v in {"topic": topic, "country": country.upper(), "state": state}.items() if v}
    audit.record(
        "practices.export",
        actor=actor,
        object_type="practices.practice",
        object_repr=f"{len(practices)} practices",
        changes={
            "practices": [None, [p["uid"] for p in practices]],
            "filters": [None, filters],
            "as": [None, actor.username if actor is not None else "anonymous"],
        },
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "source": settings.ENLETS_BASE_URL,
        "practices": practices,
    }


# --- Import: reading and checking the file ------------------------------------------------------


@dataclass
class PlannedRevision:
    number: int
    created_at: dt.datetime
    author: User | None
    note: str
    tlp: str
    content: dict[str, Any]


@dataclass
class PlannedAttachment:
    name: str
    content_type: str
    sha256: str
    data: bytes


@dataclass
class PlannedPractice:
    """One practice of the file, every reference mapped to a row of this instance."""

    index: int
    uid: uuid.UUID
    fields: dict[str, Any]  # template fields, tlp, state and the dates, ready for the model
    topics: list[Topic]
    countries: list[Country]
    organisations: list[Organisation]
    contacts: list[User]
    co_authors: list[User]
    audience: dict[str, list[Any]]
    owner: User | None  # None: the file's owner is not on this instance
    owner_ref: str
    owner_organisation: Organisation | None
    revisions: list[PlannedRevision]
    attachments: list[PlannedAttachment]
    revision_number: int

    @property
    def label(self) -> str:
        return f"practice {self.index} (uid {self.uid})"


@dataclass
class ImportPlan:
    source: str
    practices: list[PlannedPractice] = field(default_factory=list)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, name: str, message: str) -> None:
        self.items.append(f"{where}: field '{name}': {message}" if name else f"{where}: {message}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_REPORTED]
        more = len(self.items) - len(shown)
        lines = "\n".join(f"- {p}" for p in shown)
        tail = f"\n... and {more} more problems." if more > 0 else ""
        count = len(self.items)
        raise InterchangeError(
            f"The file was not imported (nothing was changed): {count} problem{'s' if count != 1 else ''}.\n"
            f"{lines}{tail}"
        )


def _person_ref(ref: Any) -> tuple[str, str]:
    if isinstance(ref, str):
        return ref.strip(), ""
    if isinstance(ref, dict):
        username, email = ref.get("username") or "", ref.get("email") or ""
        if isinstance(username, str) and isinstance(email, str):
            return username.strip(), email.strip()
    raise ValueError("a person is {username, email, display_name} or a username")


def _describe(username: str, email: str) -> str:
    return f"'{username}'" + (f" ({email})" if email else "") if username else f"'{email}'"


class _Resolver:
    """Maps the file's references to rows of this instance, with caching (one query per name)."""

    def __init__(self) -> None:
        self.topics = {t.slug: t for t in Topic.objects.select_related("merged_into")}
        self.countries = {c.pk: c for c in Country.objects.all()}
        self.orgs = {(o.name, o.country_id): o for o in Organisation.objects.all()}
        self.groups = {g.slug: g for g in InterestGroup.objects.all()}
        self.people: dict[tuple[str, str], User | None] = {}

    def topic(self, ref: Any) -> Topic | None:
        slug = ref.get("slug") if isinstance(ref, dict) else ref
        topic = self.topics.get(slug) if isinstance(slug, str) else None
        # A topic merged into another lives on as that one (its links lead there too).
        return topic.final() if topic is not None else None

    def organisation(self, ref: Any) -> Organisation | None:
        if not isinstance(ref, dict):
            return None
        name, country = ref.get("name"), ref.get("country")
        if not isinstance(name, str) or not isinstance(country, str):
            return None
        return self.orgs.get((name, country.upper()))

    def person(self, username: str, email: str) -> User | None:
        key = (username, email.lower())
        if key not in self.people:
            found = User.objects.filter(username=username).first() if username else None
            if found is None and email:
                matches = list(User.objects.filter(email__iexact=email)[:2])
                found = matches[0] if len(matches) == 1 else None  # two accounts on one address: no guess
            self.people[key] = found
        return self.people[key]


def _parse_datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed


def _parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError
    parsed = parse_date(value)
    if parsed is None:
        raise ValueError
    return parsed


def parse_file(raw: bytes | str) -> ImportPlan:
    """Read and check a whole export file; raise InterchangeError listing every problem."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InterchangeError(f"The file is not valid JSON: {exc}. Nothing was changed.") from exc
    if not isinstance(document, dict):
        raise InterchangeError(
            "The file is not an ENLETS practices export: expected a JSON object at the top. Nothing was changed."
        )
    if document.get("format") != FORMAT:
        raise InterchangeError(
            f"The file is not an ENLETS practices export: 'format' is {document.get('format')!r}, "
            f"expected {FORMAT!r}. Nothing was changed."
        )
    if document.get("version") != VERSION:
        raise InterchangeError(
            f"Unsupported export version {document.get('version')!r}: this instance reads version {VERSION}. "
            "Nothing was changed."
        )
    items = document.get("practices")
    if not isinstance(items, list):
        raise InterchangeError("'practices' must be a list of practices. Nothing was changed.")
    problems = _Problems()
    resolver = _Resolver()
    plan = ImportPlan(source=str(document.get("source") or ""))
    seen_uids: dict[uuid.UUID, int] = {}
    for index, item in enumerate(items, start=1):
        planned = _parse_practice(index, item, resolver, problems)
        if planned is None:
            continue
        if planned.uid in seen_uids:
            problems.add(planned.label, "uid", f"the same uid as practice {seen_uids[planned.uid]}")
            continue
        seen_uids[planned.uid] = index
        plan.practices.append(planned)
    problems.raise_if_any()
    return plan


def _parse_practice(index: int, item: Any, resolver: _Resolver, problems: _Problems) -> PlannedPractice | None:
    where = f"practice {index}"
    if not isinstance(item, dict):
        problems.add(where, "", "is not a JSON object")
        return None
    try:
        uid = uuid.UUID(str(item.get("uid")))
    except ValueError:
        uid = None
    if uid is not None:
        where = f"practice {index} (uid {uid})"
    before = len(problems.items)
    for key in REQUIRED_KEYS:
        if key not in item or item[key] is None:
            problems.add(where, key, "missing")
    if "uid" in item and item["uid"] is not None and uid is None:
        problems.add(where, "uid", f"{item['uid']!r} is not a UUID")

    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = item.get(name, "")
        value = "" if value is None else value
        if not isinstance(value, str):
            problems.add(where, name, "must be a string")
            continue
        value = value.strip()
        limit = Practice._meta.get_field(name).max_length
        if limit and len(value) > limit:
            problems.add(where, name, f"at most {limit} characters (is {len(value)})")
        fields[name] = value
    if "title" in item and isinstance(item.get("title"), str) and not item["title"].strip():
        problems.add(where, "title", "must not be empty")
    for name, choices in CHOICE_FIELDS.items():
        # Absent or empty: the field's default ("" for the bands, English for the language; files
        # written before the language existed are English).
        value = item.get(name) or Practice._meta.get_field(name).default
        if value not in choices.values:
            problems.add(where, name, f"{value!r} is not one of: {', '.join(v for v in choices.values if v)}")
        fields[name] = value
    for name in DATE_FIELDS:
        try:
            fields[name] = _parse_date(item.get(name))
        except ValueError:
            problems.add(where, name, f"{item.get(name)!r} is not a date (YYYY-MM-DD)")
    start, end = fields.get("implementation_start"), fields.get("implementation_end")
    if start and end and end < start:
        problems.add(where, "implementation_end", "comes before implementation_start")
    bad_dates: set[str] = set()
    for name in DATETIME_FIELDS:
        try:
            fields[name] = _parse_datetime(item.get(name))
        except ValueError:
            bad_dates.add(name)
            problems.add(where, name, f"{item.get(name)!r} is not a date and time (ISO 8601)")
    tlp = item.get("tlp")
    if tlp is not None and tlp not in TLP.values:
        problems.add(where, "tlp", f"{tlp!r} is not a TLP marking (one of: {', '.join(TLP.values)})")
    fields["tlp"] = tlp
    state = item.get("state")
    if state is not None and state not in Practice.State.values:
        problems.add(where, "state", f"{state!r} is not a state (one of: {', '.join(Practice.State.values)})")
    fields["state"] = state
    if state in Practice.RELEASED_STATES and fields.get("published_at") is None and "published_at" not in bad_dates:
        problems.add(where, "published_at", "a published or archived practice needs its publication date")

    def ref_list(name: str, container: dict[str, Any] | None = None) -> list[Any]:
        source = item if container is None else container
        value = source.get(name, [])
        if value is None:
            return []
        if not isinstance(value, list):
            problems.add(where, name if container is None else f"audience.{name}", "must be a list")
            return []
        return value

    topics = []
    for ref in ref_list("topics"):
        topic = resolver.topic(ref)
        if topic is None:
            slug = ref.get("slug") if isinstance(ref, dict) else ref
            problems.add(
                where,
                "topics",
                f"unknown topic {slug!r}: an import does not create topics; ask the Core Group to add it",
            )
        elif topic not in topics:
            topics.append(topic)
    countries = []
    for ref in ref_list("countries"):
        country = resolver.countries.get(ref.upper()) if isinstance(ref, str) else None
        if country is None:
            problems.add(where, "countries", f"unknown country code {ref!r}")
        else:
            countries.append(country)
    organisations = []
    for ref in ref_list("organisations"):
        org = resolver.organisation(ref)
        if org is None:
            problems.add(where, "organisations", f"unknown organisation {_org_words(ref)}")
        else:
            organisations.append(org)

    def people(name: str, refs: list[Any], label: str | None = None) -> list[User]:
        found: list[User] = []
        for ref in refs:
            try:
                username, email = _person_ref(ref)
            except ValueError as exc:
                problems.add(where, label or name, str(exc))
                continue
            person = resolver.person(username, email)
            if person is None:
                problems.add(
                    where,
                    label or name,
                    f"unknown person {_describe(username, email)}: no account with that "
                    "username or e-mail on this instance",
                )
            elif person not in found:
                found.append(person)
        return found

    contacts = people("contacts", ref_list("contacts"))
    co_authors = people("co_authors", ref_list("co_authors"))

    audience: dict[str, list[Any]] = {
        "audience_countries": [],
        "audience_organisations": [],
        "audience_groups": [],
        "audience_people": [],
    }
    raw_audience = item.get("audience") or {}
    if not isinstance(raw_audience, dict):
        problems.add(where, "audience", "must be an object with countries, organisations, groups and people")
        raw_audience = {}
    for ref in ref_list("countries", raw_audience):
        country = resolver.countries.get(ref.upper()) if isinstance(ref, str) else None
        if country is None:
            problems.add(where, "audience.countries", f"unknown country code {ref!r}")
        else:
            audience["audience_countries"].append(country)
    for ref in ref_list("organisations", raw_audience):
        org = resolver.organisation(ref)
        if org is None:
            problems.add(where, "audience.organisations", f"unknown organisation {_org_words(ref)}")
        else:
            audience["audience_organisations"].append(org)
    for ref in ref_list("groups", raw_audience):
        group = resolver.groups.get(ref) if isinstance(ref, str) else None
        if group is None:
            problems.add(where, "audience.groups", f"unknown interest group {ref!r}")
        else:
            audience["audience_groups"].append(group)
    audience["audience_people"] = people("people", ref_list("people", raw_audience), "audience.people")
    if tlp in TLP.values:
        try:
            validate_marking(tlp, audience)
        except InvalidInput as exc:
            problems.add(where, "audience", exc.message)

    owner, owner_ref = None, ""
    if item.get("owner") is not None:
        try:
            username, email = _person_ref(item["owner"])
            owner_ref = _describe(username, email)
            owner = resolver.person(username, email)
        except ValueError as exc:
            problems.add(where, "owner", str(exc))
    owner_organisation = None
    if item.get("owner_organisation") is not None:
        owner_organisation = resolver.organisation(item["owner_organisation"])
    if owner is not None and owner_organisation is None and owner.organisation_id is None:
        problems.add(
            where,
            "owner_organisation",
            f"{_org_words(item.get('owner_organisation'))} is not on this instance and the owner "
            f"{owner_ref} has no organisation here",
        )

    revisions = _parse_revisions(where, item.get("revisions", []), resolver, problems)
    attachments = _parse_attachments(where, item.get("attachments", []), problems)
    revision_number = item.get("revision_number", 0) or 0
    if not isinstance(revision_number, int) or isinstance(revision_number, bool) or revision_number < 0:
        problems.add(where, "revision_number", "must be a whole number, 0 or more")
        revision_number = 0
    revision_number = max([revision_number, *(r.number for r in revisions)])

    if len(problems.items) > before or uid is None:
        return None
    return PlannedPractice(
        index=index,
        uid=uid,
        fields=fields,
        topics=topics,
        countries=countries,
        organisations=organisations,
        contacts=contacts,
        co_authors=co_authors,
        audience=audience,
        owner=owner,
        owner_ref=owner_ref,
        owner_organisation=owner_organisation,
        revisions=revisions,
        attachments=attachments,
        revision_number=revision_number,
    )


def _org_words(ref: Any) -> str:
    if isinstance(ref, dict):
        return f"{ref.get('name')!r} ({ref.get('country')})"
    return repr(ref)


def _parse_revisions(where: str, value: Any, resolver: _Resolver, problems: _Problems) -> list[PlannedRevision]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(where, "revisions", "must be a list")
        return []
    revisions: list[PlannedRevision] = []
    numbers: set[int] = set()
    for n, rev in enumerate(value, start=1):
        name = f"revisions[{n}]"
        if not isinstance(rev, dict):
            problems.add(where, name, "is not a JSON object")
            continue
        number = rev.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            problems.add(where, f"{name}.number", f"{number!r} is not a revision number (1 or more)")
            continue
        if number in numbers:
            problems.add(where, f"{name}.number", f"revision {number} appears twice")
            continue
        numbers.add(number)
        try:
            created = _parse_datetime(rev.get("created_at"))
        except ValueError:
            problems.add(where, f"{name}.created_at", f"{rev.get('created_at')!r} is not a date and time (ISO 8601)")
            continue
        if created is None:
            problems.add(where, f"{name}.created_at", "missing")
            continue
        tlp = rev.get("tlp")
        if tlp not in TLP.values:
            problems.add(where, f"{name}.tlp", f"{tlp!r} is not a TLP marking (one of: {', '.join(TLP.values)})")
            continue
        note = rev.get("note") or ""
        if not isinstance(note, str) or len(note) > 300:
            problems.add(where, f"{name}.note", "must be a string of at most 300 characters")
            continue
        content = rev.get("content") or {}
        if not isinstance(content, dict):
            problems.add(where, f"{name}.content", "must be an object")
            continue
        author_name = rev.get("author")
        if author_name is not None and not isinstance(author_name, str):
            problems.add(where, f"{name}.author", "must be a username")
            continue
        # A revision's author who is not on this instance is no reason to refuse the history.
        author = resolver.person(author_name, "") if author_name else None
        revisions.append(PlannedRevision(number, created, author, note, tlp, content))
    return revisions


def _parse_attachments(where: str, value: Any, problems: _Problems) -> list[PlannedAttachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(where, "attachments", "must be a list")
        return []
    attachments: list[PlannedAttachment] = []
    for n, entry in enumerate(value, start=1):
        name = f"attachments[{n}]"
        if not isinstance(entry, dict):
            problems.add(where, name, "is not a JSON object")
            continue
        filename = entry.get("name")
        if not isinstance(filename, str) or not filename.strip():
            problems.add(where, f"{name}.name", "missing")
            continue
        label = f"{name} ({filename})"
        sha = entry.get("sha256")
        if not isinstance(sha, str) or not SHA256_RE.match(sha):
            problems.add(where, f"{label}.sha256", "must be 64 lowercase hexadecimal characters")
            continue
        encoded = entry.get("data")
        if not isinstance(encoded, str):
            problems.add(where, f"{label}.data", "missing (the file's content, base64)")
            continue
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            problems.add(where, f"{label}.data", "is not valid base64")
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            problems.add(where, f"{label}.sha256", f"does not match the content (the content hashes to {actual})")
            continue
        upload = SimpleUploadedFile(filename, data, content_type=str(entry.get("content_type") or ""))
        try:
            checked = check_upload(upload)
        except InvalidInput as exc:
            problems.add(where, f"{label}.data", exc.message)
            continue
        safe = filename.replace("/", "_").replace("\\", "_")[:255]
        attachments.append(PlannedAttachment(safe, checked.content_type, checked.sha256, data))
    return attachments


# --- Import: applying the plan -------------------------------------------------------------------


def can_import(user: Any) -> bool:
    """Bringing another instance's practices in is curating the collection: the Core Group and the
    Secretariat (who manage the topics) do it."""
    return actions.can_manage_topics(user) or bool(getattr(user, "is_secretariat", False) and user.is_active)


@dataclass
class ImportResult:
    created: list[Practice] = field(default_factory=list)
    updated: list[Practice] = field(default_factory=list)
    unchanged: list[Practice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}"


def _pks(items: Iterable[Any]) -> list[Any]:
    return sorted(i.pk for i in items)


def _desired(planned: PlannedPractice, existing: Practice | None, actor: User) -> dict[str, Any]:
    """What the practice should look like after the import, in comparable form."""
    owner = planned.owner or (existing.owner if existing is not None else actor)
    if planned.owner is not None:
        org = planned.owner_organisation or owner.organisation
    else:
        org = existing.owner_organisation if existing is not None else actor.organisation
    picture = {name: planned.fields[name] for name in (*TEXT_FIELDS, *CHOICE_FIELDS, *DATE_FIELDS)}
    picture.update(
        tlp=planned.fields["tlp"],
        state=planned.fields["state"],
        published_at=planned.fields["published_at"],
        submitted_at=planned.fields["submitted_at"],
        owner=owner.pk,
        owner_organisation=org.pk if org else None,
        topics=_pks(planned.topics),
        countries=_pks(planned.countries),
        organisations=_pks(planned.organisations),
        contacts=_pks(planned.contacts),
        co_authors=sorted({u.pk for u in planned.co_authors} - {owner.pk}),
        attachments=sorted((a.name, a.sha256) for a in planned.attachments),
        **{name: _pks(values) for name, values in planned.audience.items()},
    )
    return picture


def _current(practice: Practice) -> dict[str, Any]:
    picture = {name: getattr(practice, name) for name in (*TEXT_FIELDS, *CHOICE_FIELDS, *DATE_FIELDS)}
    picture.update(
        tlp=practice.tlp,
        state=practice.state,
        published_at=practice.published_at,
        submitted_at=practice.submitted_at,
        owner=practice.owner_id,
        owner_organisation=practice.owner_organisation_id,
        topics=_pks(practice.topics.all()),
        countries=_pks(practice.countries.all()),
        organisations=_pks(practice.organisations.all()),
        contacts=_pks(practice.contacts.all()),
        co_authors=_pks(practice.co_authors.all()),
        attachments=sorted(practice.attachments.values_list("original_name", "sha256")),
        audience_countries=_pks(practice.audience_countries.all()),
        audience_organisations=_pks(practice.audience_organisations.all()),
        audience_groups=_pks(practice.audience_groups.all()),
        audience_people=_pks(practice.audience_people.all()),
    )
    return picture


def _differences(planned: PlannedPractice, existing: Practice, actor: User) -> tuple[list[str], list[PlannedRevision]]:
    want, have = _desired(planned, existing, actor), _current(existing)
    changed = [name for name in want if want[name] != have[name]]
    numbers = set(existing.revisions.values_list("number", flat=True))
    missing = [r for r in planned.revisions if r.number not in numbers]
    return changed, missing


def preview(actor: User, plan: ImportPlan) -> ImportResult:
    """What do_import_practices would do, without writing anything (for --dry-run)."""
    result = ImportResult()
    existing = {p.uid: p for p in Practice.objects.filter(uid__in=[p.uid for p in plan.practices])}
    for planned in plan.practices:
        practice = existing.get(planned.uid)
        if practice is None:
            result.created.append(Practice(uid=planned.uid, title=planned.fields["title"]))
        else:
            changed, missing = _differences(planned, practice, actor)
            (result.updated if changed or missing else result.unchanged).append(practice)
        _note_owner(result, planned, practice, actor)
    return result


def _note_owner(result: ImportResult, planned: PlannedPractice, existing: Practice | None, actor: User) -> None:
    if planned.owner is None and existing is None:
        whom = f"its owner {planned.owner_ref} is" if planned.owner_ref else "no owner is named, or the owner is"
        result.notes.append(f"{planned.label}: {whom} not on this instance; {actor.username} owns it here.")


def do_import_practices(actor: User, plan: ImportPlan) -> ImportResult:
    """Apply a checked plan in one transaction: create what is new, update what differs, leave the
    rest. Each created or updated practice gets one audit event and is re-indexed after commit."""
    if not can_import(actor):
        raise InterchangeError("Only the Core Group and the Secretariat import practices (they curate the topics).")
    if not actor.is_active:
        raise InterchangeError(f"{actor.username} is deactivated.")
    stored: list[Any] = []
    try:
        with transaction.atomic():
            result = _apply(actor, plan, stored)
    except Exception:
        # The rows rolled back; the files written for them must go too.
        for f in stored:
            f.delete(save=False)
        raise
    return result


def _apply(actor: User, plan: ImportPlan, stored: list[Any]) -> ImportResult:
    result = ImportResult()
    for planned in plan.practices:
        if planned.owner is None and actor.organisation_id is None:
            raise InterchangeError(
                f"{planned.label}: its owner is not on this instance and {actor.username} has no organisation to "
                "own it; import as a person with an organisation."
            )
    existing_by_uid = {
        p.uid: p for p in Practice.objects.select_for_update().filter(uid__in=[p.uid for p in plan.practices])
    }
    for planned in plan.practices:
        existing = existing_by_uid.get(planned.uid)
        _note_owner(result, planned, existing, actor)
        if existing is None:
            result.created.append(_create(actor, planned, plan.source, stored))
            continue
        changed, missing = _differences(planned, existing, actor)
        if not changed and not missing:
            result.unchanged.append(existing)
            continue
        result.updated.append(_update(actor, planned, existing, changed, missing, plan.source, stored))
    return result


def _write(actor: User, practice: Practice, planned: PlannedPractice, stored: list[Any]) -> None:
    """Set the related rows, audience (and labels), revisions and attachments of `practice`."""
    practice.topics.set(planned.topics)
    practice.countries.set(planned.countries)
    practice.organisations.set(planned.organisations)
    practice.contacts.set(planned.contacts)
    practice.co_authors.set([u for u in planned.co_authors if u.pk != practice.owner_id])
    for name, values in planned.audience.items():
        getattr(practice, name).set(values)
    access.sync_labels(practice)
    numbers = set(practice.revisions.values_list("number", flat=True))
    PracticeRevision.objects.bulk_create(
        [
            PracticeRevision(
                practice=practice,
                number=r.number,
                created_at=r.created_at,
                author=r.author,
                note=r.note,
                tlp=r.tlp,
                content=r.content,
            )
            for r in planned.revisions
            if r.number not in numbers
        ]
    )
    wanted = {(a.name, a.sha256) for a in planned.attachments}
    have = {(a.original_name, a.sha256): a for a in practice.attachments.all()}
    for key, attachment in have.items():
        if key not in wanted:
            old = attachment.file
            attachment.delete()
            transaction.on_commit(lambda f=old: f.delete(save=False))
    for planned_file in planned.attachments:
        if (planned_file.name, planned_file.sha256) in have:
            continue
        upload = SimpleUploadedFile(planned_file.name, planned_file.data, content_type=planned_file.content_type)
        checked = check_upload(upload)  # the Foundation's upload checks, as for any file
        attachment = PracticeAttachment(
            practice=practice,
            original_name=planned_file.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        attachment.file.save(planned_file.name, upload, save=False)
        stored.append(attachment.file)
        attachment.save()
        have[(planned_file.name, planned_file.sha256)] = attachment


def _model_fields(planned: PlannedPractice) -> dict[str, Any]:
    names = (*TEXT_FIELDS, *CHOICE_FIELDS, *DATE_FIELDS, "tlp", "state", "published_at", "submitted_at")
    return {name: planned.fields[name] for name in names}


def _create(actor: User, planned: PlannedPractice, source: str, stored: list[Any]) -> Practice:
    owner = planned.owner or actor
    org = (planned.owner_organisation or owner.organisation) if planned.owner is not None else actor.organisation
    now = timezone.now()
    practice = Practice.objects.create(
        uid=planned.uid,
        owner=owner,
        owner_organisation=org,
        created_at=planned.fields["created_at"] or now,
        updated_at=planned.fields["updated_at"] or now,
        revision_number=planned.revision_number,
        **_model_fields(planned),
    )
    _write(actor, practice, planned, stored)
    audit.record(
        "practices.practice.import",
        actor=actor,
        obj=practice,
        changes={
            **audit.diff({}, audit.snapshot(practice, IMPORT_AUDITED)),
            "uid": [None, str(practice.uid)],
            "source": [None, source],
            "revisions": [None, sorted(r.number for r in planned.revisions)],
            "attachments": [None, [a.name for a in planned.attachments]],
        },
    )
    index_later(practice)
    return practice


def _update(
    actor: User,
    planned: PlannedPractice,
    practice: Practice,
    changed: list[str],
    missing: list[PlannedRevision],
    source: str,
    stored: list[Any],
) -> Practice:
    before = audit.snapshot(practice, IMPORT_AUDITED)
    for name, value in _model_fields(planned).items():
        setattr(practice, name, value)
    if planned.owner is not None:
        practice.owner = planned.owner
        practice.owner_organisation = planned.owner_organisation or planned.owner.organisation
    practice.revision_number = max(practice.revision_number, planned.revision_number)
    practice.updated_at = planned.fields["updated_at"] or timezone.now()
    practice.save()
    _write(actor, practice, planned, stored)
    changes = audit.diff(before, audit.snapshot(practice, IMPORT_AUDITED))
    changes["uid"] = [str(practice.uid), str(practice.uid)]
    changes["source"] = [None, source]
    if missing:
        changes["revisions_added"] = [None, sorted(r.number for r in missing)]
    if "attachments" in changed:
        changes["attachments"] = [None, [a.name for a in planned.attachments]]
    audit.record("practices.practice.import", actor=actor, obj=practice, changes=changes)
    index_later(practice)
    return practice


def export_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False)
