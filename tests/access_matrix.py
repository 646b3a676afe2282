"""The access matrix: one generic test that runs every endpoint of a shared-item model for every
role and every marking and audience case, and asserts exactly who sees what.

How it fits together (docs/testing.md has the recipe for a new model):

- `ORGANISATIONS`, `GROUPS`, `PEOPLE` and `CASES` declare a small world: a person for every
  role (and the awkward ones: unvetted, deactivated, a pending group member, an external
  partner inside a group) and one item per marking and audience case.
- `EXPECTED` says, for every case, who sees the item. It is written out by hand from the table
  in DESIGN.md ("The access model"), NOT computed with enlets.core.access: the point is to
  check access.py against the contract, not against itself.
- `AccessMatrix` holds what differs per model: how to create an item for a case, how to attach
  a file, and the endpoints (detail pages, API details, attachment downloads, list pages, API
  lists, exports), each described by a small descriptor.
- `AccessMatrixTests` is the base class a model's test module subclasses. It builds the world
  once per class (inside one transaction that is rolled back at the end; each test runs in a
  savepoint) and generates one test per (endpoint, role, item) and per (list endpoint, role),
  so a failure names exactly the endpoint, the person and the case.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone

from enlets.core.models import TLP

# --- The world ---------------------------------------------------------------------------------

LE, MIN, EU, RES = "law_enforcement", "ministry", "eu_body", "research"


@dataclass(frozen=True)
class OrgSpec:
    name: str
    kind: str
    country: str


# Organisations: two in NL besides the research institute, so "AMBER to an organisation" and
# "AMBER to a country" pick different people.
ORGANISATIONS: dict[str, OrgSpec] = {
    "politie_nl": OrgSpec("Matrix Police NL", LE, "NL"),
    "ministry_nl": OrgSpec("Matrix Ministry NL", MIN, "NL"),
    "research_nl": OrgSpec("Matrix Research Institute NL", RES, "NL"),
    "bka_de": OrgSpec("Matrix Police DE", LE, "DE"),
    "zitis_de": OrgSpec("Matrix Security IT DE", LE, "DE"),
    "police_be": OrgSpec("Matrix Police BE", LE, "BE"),
    "eu_be": OrgSpec("Matrix EU Body BE", EU, "BE"),
}

GROUPS: dict[str, str] = {"tig_a": "Matrix group A", "tig_b": "Matrix group B"}


@dataclass(frozen=True)
class PersonSpec:
    role: str
    org: str
    groups: tuple[str, ...] = ()  # approved memberships
    requested: tuple[str, ...] = ()  # join requests still waiting for a chair
    vetted: bool = True
    active: bool = True


# Every role of DESIGN.md, plus the people the rules treat specially. "anonymous" is the
# visitor without a session or token; it has no spec.
PEOPLE: dict[str, PersonSpec] = {
    "member_nl": PersonSpec("member", "politie_nl", groups=("tig_a",)),
    "member_de": PersonSpec("member", "bka_de", groups=("tig_b",), requested=("tig_a",)),
    "ncp_nl": PersonSpec("ncp", "ministry_nl"),
    "core_group": PersonSpec("core_group", "police_be", groups=("tig_a",)),
    "leader": PersonSpec("core_group_leader", "zitis_de", groups=("tig_b",)),
    "secretariat": PersonSpec("secretariat", "eu_be"),
    "observer": PersonSpec("observer", "eu_be"),
    # An external partner who a chair added to group B: groups do not reach external partners.
    "external": PersonSpec("external_partner", "research_nl", groups=("tig_b",)),
    "admin": PersonSpec("administrator", "eu_be"),
    "unvetted": PersonSpec("member", "politie_nl", vetted=False),
    "deactivated": PersonSpec("member", "politie_nl", groups=("tig_a",), active=False),
    # Owns every item of the world.
    "author": PersonSpec("member", "zitis_de"),
}
ANONYMOUS = "anonymous"
ROLES: tuple[str, ...] = (ANONYMOUS, *PEOPLE)
# People whose requests are not signed in: pages send them to sign in, the API answers 401.
SIGNED_OUT = frozenset({ANONYMOUS, "deactivated"})
# Who may browse the audit trail (DESIGN.md: administrators and the Core Group). In the audit
# browser they see THAT an item changed; its title and the diff only where EXPECTED says they
# see the item.
AUDITORS = frozenset({"admin", "core_group", "leader"})


@dataclass(frozen=True)
class Case:
    """One marking and audience case. Audience entries are keys of the dicts above."""

    tlp: str
    state: str = "published"
    countries: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    co_authors: tuple[str, ...] = ()


CASES: dict[str, Case] = {
    "clear": Case(TLP.CLEAR),
    "green": Case(TLP.GREEN),
    "green_archived": Case(TLP.GREEN, state="archived"),
    "amber_country_nl": Case(TLP.AMBER, countries=("NL",)),
    "amber_org": Case(TLP.AMBER, organisations=("politie_nl",)),
    "amber_org_partner": Case(TLP.AMBER, organisations=("research_nl",)),
    "amber_group_a": Case(TLP.AMBER, groups=("tig_a",)),
    "amber_group_b": Case(TLP.AMBER, groups=("tig_b",)),
    "amber_named": Case(TLP.AMBER, people=("external", "unvetted")),
    "amber_strict_org": Case(TLP.AMBER_STRICT, organisations=("politie_nl",)),
    "red_named": Case(TLP.RED, people=("ncp_nl", "deactivated")),
    # The deactivated member is a co-author too: being a co-author must not outlive the account.
    "red_coauthor": Case(TLP.RED, co_authors=("observer", "deactivated")),
    "draft": Case(TLP.GREEN, state="draft"),
    "draft_coauthored": Case(TLP.AMBER, state="draft", groups=("tig_a",), co_authors=("member_de",)),
}

# Who sees which item, by hand from DESIGN.md. x = sees it, . = must get 404 / not listed.
# The anonymous column is the access rule itself (CLEAR is public); an app whose pages require
# sign-in still sends anonymous visitors to sign in (see AccessMatrix.public_pages).
#
# Why each awkward cell is what it is:
#  - external (research institute, NL): not community, so no GREEN, no AMBER by country or
#    group, even though it is in NL and a member of group B; yes when its organisation or the
#    person is named.
#  - unvetted (member, Matrix Police NL): not confirmed by an NCP, so not community: no GREEN,
#    and not the AMBER/AMBER+STRICT of its claimed organisation either (a person who may not
#    see GREEN must not see the stricter markings); only what names them personally.
#  - deactivated: sees nothing at all, even where named or in the group.
#  - member_de asked to join group A but is not approved: no group A items.
#  - admin: no bypass; sees what its own country/organisation/groups give it.
_TABLE = """
case               anon   m_nl   m_de   ncp_nl core   lead   secr   obs    ext    adm    unv    deact  auth
clear              x      x      x      x      x      x      x      x      x      x      x      .      x
green              .      x      x      x      x      x      x      x      .      x      .      .      x
green_archived     .      x      x      x      x      x      x      x      .      x      .      .      x
amber_country_nl   .      x      .      x      .      .      .      .      .      .      .      .      x
amber_org          .      x      .      .      .      .      .      .      .      .      .      .      x
amber_org_partner  .      .      .      .      .      .      .      .      x      .      .      .      x
amber_group_a      .      x      .      .      x      .      .      .      .      .      .      .      x
amber_group_b      .      .      x      .      .      x      .      .      .      .      .      .      x
amber_named        .      .      .      .      .      .      .      .      x      .      x      .      x
amber_strict_org   .      x      .      .      .      .      .      .      .      .      .      .      x
red_named          .      .      .      x      .      .      .      .      .      .      .      .      x
red_coauthor       .      .      .      .      .      .      .      x      .      .      .      .      x
draft              .      .      .      .      .      .      .      .      .      .      .      .      x
draft_coauthored   .      .      x      .      .      .      .      .      .      .      .      .      x
"""


# The table's column headings, short so that it fits the line length.
COLUMNS: dict[str, str] = {
    "anon": ANONYMOUS,
    "m_nl": "member_nl",
    "m_de": "member_de",
    "ncp_nl": "ncp_nl",
    "core": "core_group",
    "lead": "leader",
    "secr": "secretariat",
    "obs": "observer",
    "ext": "external",
    "adm": "admin",
    "unv": "unvetted",
    "deact": "deactivated",
    "auth": "author",
}


def parse_table(text: str) -> dict[str, frozenset[str]]:
    """{case: roles that see it} from the x/. table above (strict: every row and column named)."""
    lines = [line.split() for line in textwrap.dedent(text).strip().splitlines()]
    header, rows = lines[0], lines[1:]
    roles = [COLUMNS[h] for h in header[1:]]
    assert tuple(roles) == ROLES, f"table columns {roles} != ROLES {ROLES}"
    table: dict[str, frozenset[str]] = {}
    for row in rows:
        case, marks = row[0], row[1:]
        assert len(marks) == len(roles) and set(marks) <= {"x", "."}, f"bad row {row}"
        table[case] = frozenset(r for r, m in zip(roles, marks, strict=True) if m == "x")
    assert set(table) == set(CASES), f"table rows {sorted(table)} != CASES {sorted(CASES)}"
    return table


EXPECTED: dict[str, frozenset[str]] = parse_table(_TABLE)


def visible_cases(role: str) -> set[str]:
    return {case for case, viewers in EXPECTED.items() if role in viewers}


@dataclass
class World:
    """What the world fixture built: model rows by key, and how each person authenticates."""

    users: dict[str, Any] = field(default_factory=dict)
    organisations: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    countries: dict[str, Any] = field(default_factory=dict)
    items: dict[str, Any] = field(default_factory=dict)
    attachments: dict[str, Any] = field(default_factory=dict)
    attachment_bytes: dict[str, bytes] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)  # item key -> id of its first audit event
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer secret
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session cookie value

    def key_of(self, pk: Any) -> str | None:
        for key, item in self.items.items():
            if str(item.pk) == str(pk):
                return key
        return None

    def audience(self, case: Case) -> dict[str, list[Any]]:
        return {
            "audience_countries": [self.countries[c] for c in case.countries],
            "audience_organisations": [self.organisations[o] for o in case.organisations],
            "audience_groups": [self.groups[g] for g in case.groups],
            "audience_people": [self.users[p] for p in case.people],
        }


def case_title(key: str) -> str:
    # Unique and greppable: a page that leaks the title of an item it must hide is caught.
    return f"Matrix item {key.replace('_', ' ')} zq{len(key)}x"


def build_people(world: World) -> None:
    """Countries, organisations, groups and people of the world (through the actions where the
    rules live: join requests, deactivation)."""
    from enlets.network import actions as network_actions
    from enlets.network.models import Country, GroupMembership, InterestGroup, Organisation
    from tests.factories import UserFactory

    for code in ("NL", "DE", "BE"):
        world.countries[code] = Country.objects.get(pk=code)
    for key, spec in ORGANISATIONS.items():
        world.organisations[key] = Organisation.objects.create(
            name=spec.name, kind=spec.kind, country=world.countries[spec.country]
        )
    for key, name in GROUPS.items():
        world.groups[key] = InterestGroup.objects.create(name=name, slug=f"matrix-{key.replace('_', '-')}")
    for key, spec in PEOPLE.items():
        world.users[key] = UserFactory(
            username=f"mx_{key}",
            role=spec.role,
            organisation=world.organisations[spec.org],
            vetted_at=timezone.now() if spec.vetted else None,
        )
    for key, spec in PEOPLE.items():
        user = world.users[key]
        for group in spec.groups:
            GroupMembership.objects.create(group=world.groups[group], user=user, status=GroupMembership.Status.APPROVED)
        for group in spec.requested:
            network_actions.do_request_join(user, world.groups[group], message="matrix")
        _token, secret = network_actions.do_create_token(user, name="matrix", scope="read")
        world.tokens[key] = secret
        client = Client()
        client.force_login(user)
        world.sessions[key] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Deactivate last, through the action, after the person had a session and a token: both
    # must stop working.
    for key, spec in PEOPLE.items():
        if not spec.active:
            world.users[key] = network_actions.do_deactivate(
                world.users["secretariat"], world.users[key], reason="matrix"
            )


# A minimal PDF: the upload check recognises it by content.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


# --- Endpoints -----------------------------------------------------------------------------------

PAGE, API = "page", "api"


@dataclass(frozen=True)
class DetailEndpoint:
    """One URL per item. `url(world, key)` builds it; `kind` says how authentication and
    refusals look (page: session cookie, 302 to sign-in; api: bearer token, 401).
    `check` may assert more about a 200 answer (e.g. the file's bytes)."""

    name: str
    kind: str
    url: Callable[[World, str], str]
    check: Callable[[HttpResponse, World, str], None] | None = None
    # Set when the view is not built yet: the cases are xfailed (non-strict) with this reason.
    pending: str | None = None
    # For pages that do something (edit, delete, transfer): who may use it, of those who see
    # the item. The others who see it get 403; who does not see it still gets 404.
    may: Callable[[str, Case], bool] | None = None


def owner_only(role: str, case: Case) -> bool:
    return role == "author"


def owner_or_co_author(role: str, case: Case) -> bool:
    return role == "author" or role in case.co_authors


@dataclass(frozen=True)
class ListEndpoint:
    """A list (page, API list or export). `read(response, world)` returns (item keys, total)
    where total is the count the endpoint states (None if it states none). `select` narrows the
    expected set for filtered URLs (e.g. ?tlp=AMBER)."""

    name: str
    kind: str
    url: Callable[[World], str]
    read: Callable[[HttpResponse, World], tuple[set[str], int | None]]
    select: Callable[[Case], bool] = lambda case: True
    pending: str | None = None


@dataclass(frozen=True)
class AuditEndpoint:
    """A view of the audit trail about one item (event page, API event, filtered list or CSV
    export). `url(world, key)`: non-auditors are refused (403), auditors get 200 and see the
    item's title (object_repr and diff) only if they see the item, else the "hidden" marker."""

    name: str
    kind: str
    url: Callable[[World, str], str]
    pending: str | None = None


HIDDEN_MARKER = "hidden: you may not see this item"


def api_page_reader(response: HttpResponse, world: World) -> tuple[set[str], int | None]:
    """The API's {count, results: [{id, ...}]} page."""
    data = response.json()
    keys = {world.key_of(row["id"]) for row in data["results"]}
    return {k for k in keys if k is not None}, data["count"]


# The count line of core/_pagination.html ("3 results"); an empty list shows <p class="empty">.
RESULTS_COUNT_RE = r"(\d[\d,]*) results?\b"


def links_reader(
    detail_url: Callable[[Any], str], count_re: str | None = RESULTS_COUNT_RE
) -> Callable[[HttpResponse, World], tuple[set[str], int | None]]:
    """Read a list page: the items are the links to their detail pages; the total is the first
    match of `count_re` (one group: the number) in the page's text, or 0 when the page shows
    its empty state instead."""

    def read(response: HttpResponse, world: World) -> tuple[set[str], int | None]:
        html = response.content.decode()
        keys = {key for key, item in world.items.items() if f'href="{detail_url(item)}"' in html}
        total = None
        if count_re is not None:
            text = re.sub(r"<[^>]+>", " ", html)
            text = re.sub(r"\s+", " ", text)
            match = re.search(count_re, text)
            if match:
                total = int(match.group(1).replace(",", ""))
            else:
                assert 'class="empty"' in html, f"no count matching {count_re!r} and no empty state on the list page"
                total = 0
        return keys, total

    return read


# --- The generic test ----------------------------------------------------------------------------


@dataclass
class AccessMatrix:
    """What a model's matrix needs. `create_item(world, owner, key, case)` makes one item (through
    the app's actions); `add_attachment(world, owner, item) -> (attachment, bytes)` is optional."""

    model: type
    create_item: Callable[[World, Any, str, Case], Any]
    detail_endpoints: list[DetailEndpoint]
    list_endpoints: list[ListEndpoint]
    add_attachment: Callable[[World, Any, Any], tuple[Any, bytes]] | None = None
    audit_endpoints: list[AuditEndpoint] = field(default_factory=list)
    # Pages of this app answer CLEAR items to anonymous visitors (else: sign-in redirect).
    public_pages: bool = False

    def build(self, world: World) -> None:
        build_people(world)
        owner = world.users["author"]
        for key, case in CASES.items():
            world.items[key] = self.create_item(world, owner, key, case)
            if self.add_attachment is not None:
                world.attachments[key], world.attachment_bytes[key] = self.add_attachment(
                    world, owner, world.items[key]
                )
        if self.audit_endpoints:
            from enlets.core.models import AuditEvent

            label = self.model._meta.label_lower
            for key, item in world.items.items():
                event = AuditEvent.objects.filter(object_type=label, object_id=str(item.pk)).order_by("id").first()
                assert event is not None, f"creating {key} wrote no audit event"
                world.events[key] = event.pk

    # Parameters: one test per (endpoint, role, item) and per (list endpoint, role).
    def detail_params(self) -> list[Any]:
        params = []
        for endpoint in self.detail_endpoints:
            marks = [pytest.mark.xfail(reason=endpoint.pending, strict=False)] if endpoint.pending else []
            for role in ROLES:
                for key in CASES:
                    params.append(pytest.param(endpoint, role, key, id=f"{endpoint.name}-{role}-{key}", marks=marks))
        return params

    def list_params(self) -> list[Any]:
        params = []
        for endpoint in self.list_endpoints:
            marks = [pytest.mark.xfail(reason=endpoint.pending, strict=False)] if endpoint.pending else []
            for role in ROLES:
                params.append(pytest.param(endpoint, role, id=f"{endpoint.name}-{role}", marks=marks))
        return params

    def audit_params(self) -> list[Any]:
        params = []
        for endpoint in self.audit_endpoints:
            marks = [pytest.mark.xfail(reason=endpoint.pending, strict=False)] if endpoint.pending else []
            for role in ROLES:
                for key in CASES:
                    params.append(pytest.param(endpoint, role, key, id=f"{endpoint.name}-{role}-{key}", marks=marks))
        return params

    # Requests.
    def request(self, client: Client, world: World, kind: str, role: str, url: str) -> HttpResponse:
        headers: dict[str, str] = {}
        if role != ANONYMOUS:
            if kind == API:
                headers["Authorization"] = f"Bearer {world.tokens[role]}"
            else:
                client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        return client.get(url, headers=headers)

    def assert_refused_signed_out(self, response: HttpResponse, kind: str, url: str) -> None:
        if kind == API:
            assert response.status_code == 401, f"{url}: {response.status_code}, expected 401 without a valid token"
            assert response.json().get("code"), "API errors carry a code"
        else:
            assert response.status_code == 302, f"{url}: {response.status_code}, expected a redirect to sign in"
            assert response["Location"].startswith(settings_login_url()), response["Location"]

    def check_detail(self, client: Client, world: World, endpoint: DetailEndpoint, role: str, key: str) -> None:
        url = endpoint.url(world, key)
        response = self.request(client, world, endpoint.kind, role, url)
        # On a public page a deactivated account is signed out at once: it is an anonymous visitor.
        public = self.public_pages and endpoint.kind == PAGE and endpoint.may is None and role in SIGNED_OUT
        sees = (ANONYMOUS if public else role) in EXPECTED[key]
        if role in SIGNED_OUT and not (public and sees):
            self.assert_refused_signed_out(response, endpoint.kind, url)
            return
        if sees and endpoint.may is not None and not endpoint.may(role, CASES[key]):
            # Sees the item but may not do this: 403 (the item's existence is no secret to them).
            assert response.status_code == 403, f"{role} sees {key} but may not use {url}: got {response.status_code}"
        elif sees:
            assert response.status_code == 200, f"{role} must see {key} at {url}, got {response.status_code}"
            if endpoint.check is not None:
                endpoint.check(response, world, key)
        else:
            assert response.status_code == 404, f"{role} must get 404 for {key} at {url}, got {response.status_code}"
            body = b"".join(response) if response.streaming else response.content
            assert case_title(key).encode() not in body, f"the 404 for {key} leaks its title"
            if endpoint.kind == API:
                assert response.json()["code"] == "not_found"

    def check_list(self, client: Client, world: World, endpoint: ListEndpoint, role: str) -> None:
        url = endpoint.url(world)
        response = self.request(client, world, endpoint.kind, role, url)
        public = self.public_pages and endpoint.kind == PAGE and role in SIGNED_OUT
        if role in SIGNED_OUT and not public:
            self.assert_refused_signed_out(response, endpoint.kind, url)
            return
        if public:
            role = ANONYMOUS
        assert response.status_code == 200, f"{url}: {response.status_code}"
        keys, total = endpoint.read(response, world)
        expected = {k for k in visible_cases(role) if endpoint.select(CASES[k])}
        assert keys == expected, (
            f"{role} at {url}: unexpected {sorted(keys - expected)}, missing {sorted(expected - keys)}"
        )
        if total is not None:
            assert total == len(expected), f"{role} at {url}: total {total}, expected {len(expected)}"

    def check_audit(self, client: Client, world: World, endpoint: AuditEndpoint, role: str, key: str) -> None:
        url = endpoint.url(world, key)
        response = self.request(client, world, endpoint.kind, role, url)
        if role in SIGNED_OUT:
            self.assert_refused_signed_out(response, endpoint.kind, url)
            return
        if role not in AUDITORS:
            assert response.status_code == 403, f"{role} is no auditor: {url} answered {response.status_code}"
            return
        assert response.status_code == 200, f"{url}: {response.status_code}"
        body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
        # The auditor always sees THAT the item was created, whether or not they may see what.
        assert f"{self.model._meta.label_lower}.create" in body, f"{url} does not show the item's creation event"
        if role in EXPECTED[key]:
            assert case_title(key) in body, f"{role} may see {key}: its title belongs in the audit view"
        else:
            assert case_title(key) not in body, f"{role} may not see {key}: the audit view leaks its title"
            assert HIDDEN_MARKER in body, f"{role} may not see {key}: the audit view must say it is hidden"


def settings_login_url() -> str:
    from django.shortcuts import resolve_url

    return resolve_url(settings.LOGIN_URL)


class VisibilityMatrixTests:
    """Base class for the rule itself: test_queryset[role] (Model.objects.visible_to) and
    test_can_see[role-item] (access.can_see) on the world, no HTTP. Set `matrix`."""

    matrix: AccessMatrix

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        name = metafunc.function.__name__
        if name == "test_detail":
            metafunc.parametrize(("endpoint", "role", "key"), self.matrix.detail_params())
        elif name == "test_list":
            metafunc.parametrize(("endpoint", "role"), self.matrix.list_params())
        elif name == "test_queryset":
            metafunc.parametrize("role", ROLES)
        elif name == "test_audit":
            metafunc.parametrize(("endpoint", "role", "key"), self.matrix.audit_params())
        elif name == "test_can_see":
            metafunc.parametrize(("role", "key"), [pytest.param(r, k, id=f"{r}-{k}") for r in ROLES for k in CASES])

    @pytest.fixture(scope="class")
    @classmethod
    def world(
        cls, django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterable[World]:
        """Built once per class inside a transaction that is rolled back at the end; every test
        runs in a savepoint inside it (pytest-django's `db`), so tests cannot disturb each other."""
        media = tmp_path_factory.mktemp("matrix-media")
        storages = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
        }
        with override_settings(STORAGES=storages, MEDIA_ROOT=str(media)), django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                world = World()
                cls.matrix.build(world)
                yield world
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)

    @pytest.mark.django_db
    def test_queryset(self, world: World, role: str) -> None:
        """The one visibility query itself, for every role (the anonymous column included)."""
        user = None if role == ANONYMOUS else type(world.users["author"]).objects.get(pk=world.users[role].pk)
        pks = set(
            self.matrix.model.objects.visible_to(user)
            .filter(pk__in=[i.pk for i in world.items.values()])
            .values_list("pk", flat=True)
        )
        seen = {world.key_of(pk) for pk in pks}
        expected = visible_cases(role)
        assert seen == expected, f"{role}: unexpected {sorted(seen - expected)}, missing {sorted(expected - seen)}"

    @pytest.mark.django_db
    def test_can_see(self, world: World, role: str, key: str) -> None:
        """access.can_see, the single-item form of the same rule, for every (role, item)."""
        from enlets.core import access

        user = None if role == ANONYMOUS else type(world.users["author"]).objects.get(pk=world.users[role].pk)
        assert access.can_see(user, world.items[key]) is (role in EXPECTED[key])


class AccessMatrixTests(VisibilityMatrixTests):
    """Base class of a model's access matrix: subclass it as `TestXxxAccessMatrix` and set
    `matrix`. Adds test_detail[endpoint-role-item], test_list[endpoint-role] and
    test_audit[endpoint-role-item] for every endpoint descriptor to the rule tests of
    VisibilityMatrixTests."""

    @pytest.mark.django_db
    def test_detail(self, world: World, client: Client, endpoint: DetailEndpoint, role: str, key: str) -> None:
        self.matrix.check_detail(client, world, endpoint, role, key)

    @pytest.mark.django_db
    def test_list(self, world: World, client: Client, endpoint: ListEndpoint, role: str) -> None:
        self.matrix.check_list(client, world, endpoint, role)

    @pytest.mark.django_db
    def test_audit(self, world: World, client: Client, endpoint: AuditEndpoint, role: str, key: str) -> None:
        self.matrix.check_audit(client, world, endpoint, role, key)
