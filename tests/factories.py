"""factory_boy factories for the network and the document library.

Tests build data through these (or through the actions, when the audit trail matters).
"""

from __future__ import annotations

import factory
from django.utils import timezone

from enlets.core import access
from enlets.core.models import TLP
from enlets.documents.models import Document
from enlets.network.models import Country, GroupMembership, InterestGroup, Organisation, Role, User

TEST_PASSWORD = "correct horse battery staple 42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def country(code: str) -> Country:
    return Country.objects.get(pk=code)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Police Technology Service {n}")
    kind = Organisation.Kind.LAW_ENFORCEMENT
    country = factory.LazyFunction(lambda: Country.objects.get(pk="NL"))


class UserFactory(factory.django.DjangoModelFactory):
    """A vetted, active person with a second factor (so pages do not redirect to MFA set-up)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.MEMBER
    vetted_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def second_factor(self, create: bool, extracted: bool | None, **kwargs):
        if create and extracted is not False:
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(self, TOTP_SECRET)
        if create:
            self.save()


class InterestGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InterestGroup

    name = factory.Sequence(lambda n: f"Interest group {n}")
    slug = factory.Sequence(lambda n: f"group-{n}")


def join(user: User, group: InterestGroup, *, chair: bool = False) -> GroupMembership:
    membership, _ = GroupMembership.objects.update_or_create(
        group=group,
        user=user,
        defaults={
            "status": GroupMembership.Status.APPROVED,
            "role": GroupMembership.Role.CHAIR if chair else GroupMembership.Role.MEMBER,
        },
    )
    user._access_labels = None
    return membership


def make_document(
    owner: User,
    *,
    tlp: str = TLP.GREEN,
    state: str = Document.State.PUBLISHED,
    countries=(),
    organisations=(),
    groups=(),
    people=(),
    co_authors=(),
    title: str = "A document",
    body: str = "Body text",
) -> Document:
    """A document written straight to the tables (no audit), for tests about reading."""
    document = Document.objects.create(
        owner=owner, owner_organisation=owner.organisation, tlp=tlp, state=state, title=title, body=body
    )
    document.audience_countries.set(countries)
    document.audience_organisations.set(organisations)
    document.audience_groups.set(groups)
    document.audience_people.set(people)
    document.co_authors.set(co_authors)
    access.sync_labels(document)
    return document


# --- Practices (the best-practice exchange) ------------------------------------------------------

COMPLETE_PRACTICE = {
    "summary": "Dutch police cut stolen-vehicle search time with fixed ANPR cameras on motorways.",
    "problem": "Stolen vehicles crossed the border before a patrol could respond.",
    "solution": "Fixed **ANPR** cameras at 40 motorway points, matched against the national list.",
    "technology": "ANPR cameras, hit-list matching",
    "results": "Recovery within 24 hours rose from 31% to 58% over 12 months (measured).",
    "legal_basis": "Police Act, article 3; national ANPR regulation.",
    "transferability": "Needs a national hit list and a legal basis for retention of hits.",
}


def make_topic(name: str | None = None, *, reviewers=(), slug: str | None = None):
    """A topic with reviewers, written straight to the table (no audit)."""
    from django.utils.text import slugify

    from enlets.practices.models import Topic

    name = name or f"Topic {Topic.objects.count() + 1}"
    topic = Topic.objects.create(name=name, slug=slug or slugify(name))
    topic.reviewers.set(reviewers)
    return topic


def make_practice(
    owner: User,
    *,
    topics=(),
    state: str = "draft",
    reviewer: User | None = None,
    tlp: str = TLP.GREEN,
    audience: dict | None = None,
    title: str = "ANPR on motorways",
    **content,
):
    """A complete practice made through the actions (so labels, revisions and audit are real),
    then taken through the workflow to `state` by `reviewer` (a reviewer of one of its topics)."""
    from enlets.practices import actions
    from enlets.practices.models import ReviewCriterion

    fields = {**COMPLETE_PRACTICE, **content}
    practice = actions.do_create_practice(owner, tlp=tlp, audience=audience, topics=list(topics), title=title, **fields)
    steps = {
        "draft": [],
        "submitted": ["submit"],
        "in_review": ["submit", "start_review"],
        "changes_requested": ["submit", "request_changes"],
        "published": ["submit", "publish"],
        "rejected": ["submit", "reject"],
        "archived": ["submit", "publish", "archive"],
    }[state]
    all_ticked = {c: True for c in ReviewCriterion.values}
    for step in steps:
        actor = owner if step in ("submit", "archive") else reviewer
        practice = actions.do_transition(
            actor, practice, step, checklist=all_ticked, comment="Reviewed." if step != "submit" else ""
        )
    return practice
