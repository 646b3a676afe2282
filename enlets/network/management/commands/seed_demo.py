"""`manage.py seed_demo`: load the demo network (demo mode only) and print the demo sign-ins.

Idempotent: when the demo is already there it only prints the sign-ins. Deterministic: the same
--seed gives the same network. Writes go through the actions modules (so the audit trail is the
real one); only the people are created directly, since the platform's only way in for a person
is an invitation e-mail, and each direct creation is put on the audit trail as such.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from enlets.core import audit
from enlets.core.models import TLP
from enlets.documents import actions as document_actions
from enlets.documents.models import Document
from enlets.network import actions, demo
from enlets.network.models import Country, GroupMembership, InterestGroup, Organisation, Role, User

# The demo sign-ins: username -> (role, organisation short name, first name, last name).
SIGN_INS: dict[str, tuple[str, str, str, str]] = {
    "ncp-nl": (Role.NCP, "Politie NL", "Marloes", "Visser"),
    "ncp-de": (Role.NCP, "BKA", "Katrin", "Becker"),
    "member-nl": (Role.MEMBER, "Politie NL", "Bram", "de Vries"),
    "member-de": (Role.MEMBER, "BKA", "Tobias", "Weber"),
    "cg-leader": (Role.CORE_GROUP_LEADER, "Politie NL", "Joost", "van den Berg"),
    "cg-member": (Role.CORE_GROUP, "ST(SI)2", "Claire", "Moreau"),
    "secretariat": (Role.SECRETARIAT, "Politie NL", "Sanne", "Bakker"),
    "observer": (Role.OBSERVER, "Europol", "Giulia", "Romano"),
    "partner": (Role.EXTERNAL_PARTNER, "TNO", "Lieke", "Smit"),
    "admin": (Role.ADMINISTRATOR, "Politie NL", "Daan", "Jansen"),
}
MARKER_USERNAME = "cg-leader"  # present once the demo is seeded

# How the few hundred documents spread over markings, states and spaces.
DOCUMENT_COUNT = 360
TLP_WEIGHTS = {TLP.CLEAR: 12, TLP.GREEN: 34, TLP.AMBER: 32, TLP.AMBER_STRICT: 11, TLP.RED: 11}
STATE_WEIGHTS = {Document.State.PUBLISHED: 80, Document.State.DRAFT: 10, Document.State.ARCHIVED: 10}


def demo_password() -> str:
    return os.environ.get("ENLETS_DEMO_PASSWORD") or demo.DEMO_DEFAULT_PASSWORD


def current_totp_code(secret: str = demo.DEMO_TOTP_SECRET) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(timezone.now().timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


@dataclass
class PersonSpec:
    username: str
    first_name: str
    last_name: str
    organisation: Organisation
    role: str
    vetted: bool = True


class Seeder:
    def __init__(self, seed: int, out: Any):
        self.rng = random.Random(seed)  # noqa: S311 - demo data, deterministic on purpose
        self.out = out
        self.now = timezone.now()
        self.password_hash = make_password(demo_password())
        self.orgs: dict[str, Organisation] = {}
        self.people: list[User] = []
        self.by_username: dict[str, User] = {}
        self.ncp: dict[str, User] = {}
        self.groups: dict[str, InterestGroup] = {}
        self.taken: set[str] = set()

    # --- people -------------------------------------------------------------------------------
    def unique_username(self, first: str, last: str) -> str:
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        name, n = base, 2
        while name in self.taken:
            name, n = f"{base}{n}", n + 1
        self.taken.add(name)
        return name

    def random_name(self, country: str) -> tuple[str, str]:
        firsts, lasts = demo.NAMES[country]
        return self.rng.choice(firsts), self.rng.choice(lasts)

    def new_user(self, spec: PersonSpec) -> User:
        org = spec.organisation
        country = org.country_id
        kind = org.kind
        expertise = self.rng.sample(demo.EXPERTISE, 3)
        user = User(
            username=spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=f"{spec.username}@{ascii_slug(org.short_name or org.name)}.example",
            organisation=org,
            role=spec.role,
            password=self.password_hash,
            job_title=self.rng.choice(demo.JOB_TITLES[kind]),
            expertise=", ".join(expertise).capitalize() + ".",
            languages=", ".join(dict.fromkeys([*demo.LANGUAGES[country].split(", "), "English"])),
            phone=f"{demo.PHONE_PREFIX[country]} {self.rng.randint(10, 99)} {self.rng.randint(100, 999)} "
            f"{self.rng.randint(1000, 9999)}",
            date_joined=self.now - dt.timedelta(days=self.rng.randint(30, 1500)),
        )
        user.save()
        audit.record(
            "user.create",
            actor=self.by_username.get("admin"),
            obj=user,
            changes={"role": [None, spec.role], "organisation": [None, org.pk], "source": [None, "demo network"]},
        )
        self.people.append(user)
        self.by_username[user.username] = user
        return user

    def seed_people(self) -> None:
        orgs = list(self.orgs.values())
        le_by_country: dict[str, list[Organisation]] = {}
        for org in orgs:
            if org.kind == Organisation.Kind.LAW_ENFORCEMENT:
                le_by_country.setdefault(org.country_id, []).append(org)
        specs: list[PersonSpec] = []
        for username, (role, short, first, last) in SIGN_INS.items():
            if username == "admin":
                continue
            self.taken.add(username)
            specs.append(PersonSpec(username, first, last, self.orgs[short], role))
        # One NCP per member state (NL and DE have theirs among the sign-ins); France has two.
        for code in sorted(demo.NAMES):
            for _ in range(2 if code == "FR" else (0 if code in ("NL", "DE") else 1)):
                first, last = self.random_name(code)
                specs.append(
                    PersonSpec(
                        self.unique_username(first, last), first, last, le_by_country[code][-1 if _ else 0], Role.NCP
                    )
                )
        for code in ("ES", "IT", "BE", "RO", "FI", "AT", "DE"):
            first, last = self.random_name(code)
            specs.append(
                PersonSpec(self.unique_username(first, last), first, last, le_by_country[code][0], Role.CORE_GROUP)
            )
        for role, shorts in (
            (Role.SECRETARIAT, ["Politie NL", "DRI"]),
            (Role.ADMINISTRATOR, ["Politie NL"]),
            (Role.OBSERVER, ["eu-LISA", "CEPOL", "DG HOME", "Europol"]),
        ):
            for short in shorts:
                org = self.orgs[short]
                first, last = self.random_name(org.country_id)
                specs.append(PersonSpec(self.unique_username(first, last), first, last, org, role))
        external = [o for o in orgs if o.is_external and o.short_name != "TNO"]
        for org in external:
            first, last = self.random_name(org.country_id)
            specs.append(PersonSpec(self.unique_username(first, last), first, last, org, Role.EXTERNAL_PARTNER))
        # The members: the larger services have more of them.
        home = [o for o in orgs if o.kind in (Organisation.Kind.LAW_ENFORCEMENT, Organisation.Kind.MINISTRY)]
        big = {"DE", "FR", "NL", "ES", "IT", "PL", "BE", "RO"}
        weights = [
            (3 if o.country_id in big else 1) * (2 if o.kind == Organisation.Kind.LAW_ENFORCEMENT else 1) for o in home
        ]
        while len(specs) < 199:
            org = self.rng.choices(home, weights)[0]
            first, last = self.random_name(org.country_id)
            specs.append(PersonSpec(self.unique_username(first, last), first, last, org, Role.MEMBER))
        # A few new members wait for their NCP to vet them.
        for code in ("NL", "NL", "DE", "RO"):
            first, last = self.random_name(code)
            specs.append(
                PersonSpec(
                    self.unique_username(first, last), first, last, le_by_country[code][0], Role.MEMBER, vetted=False
                )
            )
        for spec in specs:
            self.new_user(spec)
        for user in self.people:
            if user.country_id and user.role == Role.NCP and user.country_id not in self.ncp:
                self.ncp[user.country_id] = user
        # Vetting, as the platform does it: the Secretariat vets the NCPs and the network's own
        # roles; each NCP vets the people of their country.
        secretariat = self.by_username["secretariat"]
        admin = self.by_username["admin"]
        actions.do_vet(admin, secretariat)
        unvetted = {s.username for s in specs if not s.vetted}
        by_ncp = (Role.MEMBER, Role.EXTERNAL_PARTNER)
        # First the NCPs and the network roles (an NCP vets only once vetted), then everyone else.
        for first_pass in (True, False):
            for user in self.people:
                if user.vetted_at or user.username in unvetted or (user.role in by_ncp) == first_pass:
                    continue
                actions.do_vet(secretariat if first_pass else self.ncp[user.country_id], user)

    # --- network --------------------------------------------------------------------------------
    def seed_organisations(self, admin: User) -> None:
        countries = {c.pk: c for c in Country.objects.all()}
        for kind, code, name, short, website in demo.ORGANISATIONS:
            org = actions.do_save_organisation(
                admin,
                name=name,
                short_name=short,
                kind=kind,
                country=countries[code],
                website=website,
                description=demo.ORG_DESCRIPTIONS[kind],
            )
            self.orgs[short] = org

    def community(self) -> list[User]:
        return [u for u in self.people if u.is_community_member]

    def seed_groups(self) -> None:
        leader = self.by_username["cg-leader"]
        community = self.community()
        chairs = {"counter-drone": "cg-leader", "financial-investigations": "ncp-de", "digital-workplace": "cg-member"}
        fixed_users = {"member-nl", "member-de", "ncp-nl", "ncp-de", "cg-leader", "cg-member", "observer", "partner"}
        core = [u for u in community if u.role in (Role.CORE_GROUP, Role.NCP) and u.username not in fixed_users]
        self.rng.shuffle(core)
        # Who is in which group, for the sign-ins (so the demo shows group spaces and 404s).
        fixed = {
            "member-nl": ["counter-drone", "c-uas-detection", "anpr", "digital-workplace"],
            "member-de": ["financial-investigations", "fin-crypto", "mobile-forensics", "cyber-security"],
            "ncp-nl": ["counter-drone", "anpr", "operational-centres"],
            "ncp-de": ["fin-crypto", "procurement"],
            "cg-leader": ["c-uas-regulation", "operational-centres"],
            "cg-member": ["public-order", "c-uas-neutralisation"],
            "observer": ["osint", "cyber-security"],
            "partner": ["c-uas-detection"],
        }
        for slug, name, description, subgroups in demo.GROUPS:
            chair = self.by_username[chairs[slug]] if slug in chairs else core.pop()
            group = actions.do_create_group(leader, name=name, slug=slug, description=description, chair=chair)
            self.groups[slug] = group
            pool = [u for u in community if u.pk != chair.pk]
            for person in self.rng.sample(pool, self.rng.randint(10, 24)):
                if person.username in fixed_users:
                    continue
                actions.do_add_member(chair, group, person)
            for username, slugs in fixed.items():
                if slug in slugs:
                    actions.do_add_member(chair, group, self.by_username[username])
            members = [
                m.user
                for m in group.memberships.filter(status=GroupMembership.Status.APPROVED).select_related(
                    "user__organisation"
                )
                if m.user_id != chair.pk and m.user.username not in fixed_users
            ]
            for sub_slug, sub_name, sub_description in subgroups:
                sub_chair = self.rng.choice(members)
                sub = actions.do_create_group(
                    chair, name=sub_name, slug=sub_slug, description=sub_description, parent=group, chair=sub_chair
                )
                self.groups[sub_slug] = sub
                for person in self.rng.sample(members, min(len(members), self.rng.randint(4, 9))):
                    if person.pk != sub_chair.pk:
                        actions.do_add_member(sub_chair, sub, person)
                for username, slugs in fixed.items():
                    if sub_slug in slugs and self.by_username[username].pk != sub_chair.pk:
                        actions.do_add_member(sub_chair, sub, self.by_username[username])
        # Pending join requests for the chairs to decide (and a declined one here and there).
        for group in self.groups.values():
            inside = set(group.memberships.values_list("user_id", flat=True))
            outside = [u for u in community if u.pk not in inside and u.username not in fixed]
            for n, person in enumerate(self.rng.sample(outside, self.rng.randint(1, 3))):
                person._access_labels = None
                membership = actions.do_request_join(
                    person,
                    group,
                    message=f"I work on {self.rng.choice(demo.EXPERTISE)} at {person.organisation} "
                    "and would like to follow this group.",
                )
                if n == 2:
                    chair = group.chairs().first()
                    actions.do_decide_membership(chair, membership, approve=False)
        actions.do_request_join(
            self.by_username["member-de"],
            self.groups["counter-drone"],
            message="Our unit starts a counter-drone pilot next year.",
        )
        for person in self.people:
            person._access_labels = None

    def seed_invitations(self) -> None:
        ncp_nl, secretariat = self.by_username["ncp-nl"], self.by_username["secretariat"]
        actions.do_invite(
            ncp_nl,
            email="f.dekker@politie-nl.example",
            organisation=self.orgs["Politie NL"],
            first_name="Femke",
            last_name="Dekker",
        )
        actions.do_invite(
            ncp_nl,
            email="r.koster@lumen.example",
            organisation=self.orgs["Lumen"],
            role=Role.EXTERNAL_PARTNER,
            first_name="Ruben",
            last_name="Koster",
        )
        actions.do_invite(
            secretariat,
            email="m.lindqvist@polisen.example",
            organisation=self.orgs["Polisen"],
            role=Role.NCP,
            first_name="Maja",
            last_name="Lindqvist",
        )

    # --- documents ------------------------------------------------------------------------------
    def title_for(self, slug: str, owner: User) -> str:
        group = self.groups.get(slug)
        pool = (
            demo.TOPIC_TITLES.get(slug)
            or (demo.TOPIC_TITLES.get(group.parent.slug) if group and group.parent_id else None)
            or demo.TOPIC_TITLES[""]
        )
        country = owner.organisation.country
        return self.rng.choice(pool).format(
            country=country.name,
            city=demo.CITIES.get(country.pk, "Brussels"),
            year=self.rng.choice([2023, 2024, 2025, 2026]),
            month=self.rng.choice(demo.MONTHS),
        )

    def body_for(self, title: str, owner: User, tlp: str) -> tuple[str, str]:
        rng = self.rng
        org = owner.organisation
        if "minutes" in title.lower() or "newsletter" in title.lower():
            attendees = ", ".join(sorted({demo.CITIES[c] for c in rng.sample(sorted(demo.CITIES), 6)}))
            body = (
                f"## Attendees\nRepresentatives from {attendees} and the Secretariat.\n\n"
                "## Agenda\n1. Welcome and adoption of the agenda\n2. Round of the member states\n"
                "3. Results of the latest test day\n4. Horizon Europe: calls open this year\n5. Any other business\n\n"
                f"## Decisions\n- The group prepares a common requirement on {rng.choice(demo.EXPERTISE)}.\n"
                f"- Next meeting in {rng.choice(list(demo.CITIES.values()))}.\n\n"
                f"## Actions\n| Who | What | When |\n|---|---|---|\n| {owner.display_name} | Circulate the "
                f"draft | {rng.choice(demo.MONTHS)} |\n| Secretariat | Book the venue | next month |\n"
            )
            return "Meeting notes: attendees, decisions and actions.", body
        months, cost, staff = rng.randint(3, 24), rng.randint(40, 900), rng.randint(2, 15)
        measured = rng.randint(15, 70)
        lessons = rng.sample(demo.LESSONS, 2)
        body = (
            f"## Operational problem\n{rng.choice(demo.PROBLEMS)}\n\n"
            f"## Solution and technology\n{rng.choice(demo.SOLUTIONS)}\n\n"
            f"## Implementation\n- Duration: {months} months\n- Cost: about EUR {cost}k\n"
            f"- People: {staff} officers and engineers of {org}\n- Procurement: "
            f"{rng.choice(['framework contract', 'pre-commercial procurement', 'joint procurement', 'in-house'])}\n\n"
            f"## Results and evidence\nMeasured against the baseline, handling time fell by **{measured}%** "
            "in the pilot region.\n\n"
            f"## Lessons learned\n- {lessons[0]}\n- {lessons[1]}\n\n"
            "## Legal basis and fundamental rights\nA data-protection impact assessment was carried out; "
            "the national police act is the legal basis.\n\n"
            "## Transferability\nAnother member state needs a comparable legal basis, trained operators and "
            "about the same budget.\n\n"
            f"## Contact\n{owner.display_name}, {owner.job_title}, {org}.\n"
        )
        if tlp in TLP.sensitive():
            body += "\n> Handle according to the TLP marking above; do not forward outside the audience.\n"
        return f"{rng.choice(demo.PROBLEMS)[:-1]}: what {org} did about it.", body

    def audience_for(self, tlp: str, space: str, owner: User) -> dict[str, list[Any]]:
        rng = self.rng
        orgs = [o for o in self.orgs.values() if o.pk != owner.organisation_id]
        people = [u for u in self.people if u.pk != owner.pk and u.is_active]
        if tlp == TLP.AMBER:
            if space != Document.Space.PERSONAL and rng.random() < 0.7:
                return {}  # the space's default: its group or country
            audience: dict[str, list[Any]] = {"audience_organisations": [owner.organisation, *rng.sample(orgs, 2)]}
            if rng.random() < 0.5:
                audience["audience_countries"] = [owner.organisation.country]
            if rng.random() < 0.3:
                audience["audience_groups"] = [rng.choice(list(self.groups.values()))]
            if rng.random() < 0.3:
                audience["audience_people"] = rng.sample(people, 2)
            return audience
        if tlp == TLP.AMBER_STRICT:
            audience = {"audience_organisations": [owner.organisation, *rng.sample(orgs, rng.randint(0, 2))]}
            if rng.random() < 0.4:
                audience["audience_people"] = rng.sample(people, rng.randint(1, 3))
            return audience
        if tlp == TLP.RED:
            chosen = rng.sample(people, rng.randint(1, 4))
            # The demo sign-ins should see some RED items, so the marking can be tried.
            if rng.random() < 0.4:
                chosen.append(self.by_username[rng.choice(["member-nl", "ncp-nl", "member-de", "cg-member"])])
            return {"audience_people": [p for p in dict.fromkeys(chosen) if p.pk != owner.pk]}
        return {}

    def seed_documents(self) -> None:
        rng = self.rng
        authors = [u for u in self.people if u.is_active and u.is_vetted and u.organisation_id]
        memberships: dict[int, list[User]] = {}
        for m in GroupMembership.objects.filter(status=GroupMembership.Status.APPROVED).select_related("user"):
            memberships.setdefault(m.group_id, []).append(self.by_username[m.user.username])
        group_list = list(self.groups.values())
        tlps, tlp_w = list(TLP_WEIGHTS), list(TLP_WEIGHTS.values())
        states, state_w = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
        documents: list[Document] = []
        for _ in range(DOCUMENT_COUNT):
            tlp = rng.choices(tlps, tlp_w)[0]
            state = rng.choices(states, state_w)[0]
            space = rng.choices(list(Document.Space), [20, 30, 50])[0]  # personal, country, group
            data: dict[str, Any] = {"space": space}
            if space == Document.Space.GROUP:
                group = rng.choice(group_list)
                owner = rng.choice(memberships[group.pk])
                data["space_group"] = group
                slug = group.slug
            else:
                owner = rng.choice(
                    [a for a in authors if a.is_community_member] if space == Document.Space.COUNTRY else authors
                )
                slug = ""
                if space == Document.Space.COUNTRY:
                    data["space_country"] = owner.organisation.country
            title = self.title_for(slug, owner)
            summary, body = self.body_for(title, owner, tlp)
            co_pool = memberships[data["space_group"].pk] if space == Document.Space.GROUP else authors
            co_authors = (
                [u for u in rng.sample(co_pool, min(2, len(co_pool))) if u.pk != owner.pk]
                if rng.random() < 0.15
                else []
            )
            documents.append(
                document_actions.do_create_document(
                    owner,
                    tlp=tlp,
                    state=state,
                    audience=self.audience_for(tlp, space, owner),
                    co_authors=co_authors,
                    title=title,
                    summary=summary[:300],
                    body=body,
                    **data,
                )
            )
        # Spread the documents over the last eighteen months, as a library grows.
        for document in documents:
            updated = self.now - dt.timedelta(minutes=rng.randint(30, 540 * 24 * 60))
            document.updated_at = updated
            document.created_at = updated - dt.timedelta(days=rng.choice([0, 0, 1, 3, 10, 40]))
        Document.objects.bulk_update(documents, ["created_at", "updated_at"], batch_size=200)
        # A few edits, so the audit trail shows diffs.
        for document in rng.sample([d for d in documents if d.state == Document.State.DRAFT], 5):
            document_actions.do_update_document(document.owner, document, state=Document.State.PUBLISHED)

    def seed_lifecycle(self) -> None:
        """Two people left their service: deactivated, their documents stay."""
        members = [
            u
            for u in self.people
            if u.role == Role.MEMBER and u.is_vetted and u.country_id in ("BE", "IT") and u.username not in SIGN_INS
        ]
        for person in members[:2]:
            actions.do_deactivate(self.ncp[person.country_id], person, reason="Left the police service.")

    def seed_second_factors(self) -> None:
        from allauth.mfa.totp.internal.auth import TOTP

        for username in SIGN_INS:
            TOTP.activate(self.by_username[username], demo.DEMO_TOTP_SECRET)

    def run(self) -> None:
        # The administrator comes first: every later write needs an actor.
        _, short, first, last = SIGN_INS["admin"]
        self.taken.add("admin")
        admin = User.objects.create(
            username="admin",
            first_name=first,
            last_name=last,
            role=Role.ADMINISTRATOR,
            email="admin@politienl.example",
            password=self.password_hash,
            vetted_at=self.now,
            job_title="Platform administrator",
        )
        audit.record(
            "user.create",
            actor=None,
            obj=admin,
            changes={"role": [None, Role.ADMINISTRATOR], "source": [None, "demo network"]},
        )
        self.by_username["admin"] = admin
        self.seed_organisations(admin)
        actions.do_change_role(admin, admin, role=Role.ADMINISTRATOR, organisation=self.orgs[short])
        self.people.append(admin)
        self.seed_people()
        self.seed_groups()
        self.seed_invitations()
        self.seed_documents()
        self.seed_lifecycle()
        self.seed_second_factors()


class Command(BaseCommand):
    help = "Load the demo network (only with ENLETS_DEMO_MODE=1) and print the demo sign-ins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=demo.DEMO_SEED, help="Random seed (default: %(default)s).")
        parser.add_argument(
            "--without-practices", action="store_true", help="Load only the network and documents, not the practices."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "seed_demo runs only in demo mode: set ENLETS_DEMO_MODE=1. Demo sign-ins with a "
                "published password must never exist on a real deployment."
            )
        if User.objects.filter(username=MARKER_USERNAME).exists():
            self.stdout.write("The demo network is already loaded.")
        else:
            with transaction.atomic():
                Seeder(options["seed"], self.stdout).run()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded the demo network: {Organisation.objects.count()} organisations, "
                    f"{User.objects.count()} people, {InterestGroup.objects.count()} interest groups, "
                    f"{Document.objects.count()} documents."
                )
            )
        from enlets.practices.demo import seed_practices  # the exchange's demo practices; skips when loaded

        if not options.get("without_practices"):
            seed_practices(self.stdout)
        self.print_sign_ins()

    def print_sign_ins(self) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=SIGN_INS).select_related("organisation")}
        rows = [("Username", "Role", "Country", "Password", "TOTP secret")]
        for username in SIGN_INS:
            user = users.get(username)
            if user is None:
                continue
            rows.append(
                (username, user.get_role_display(), user.country_id or "-", demo_password(), demo.DEMO_TOTP_SECRET)
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        self.stdout.write("\nDemo sign-ins (demo mode only; the password is the one the demo was loaded with):")
        for n, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
        self.stdout.write(
            "\nThe second factor: add the TOTP secret to any authenticator app, or print the current code with\n"
            "  .venv/bin/python -c \"import base64,hmac,struct,time;k=base64.b32decode('"
            f"{demo.DEMO_TOTP_SECRET}');h=hmac.digest(k,struct.pack('>Q',int(time.time())//30),'sha1');"
            "o=h[-1]&15;print('%06d'%((int.from_bytes(h[o:o+4],'big')&0x7fffffff)%10**6))\"\n"
            f"Current code: {current_totp_code()} (valid for about 30 seconds).\n"
        )
