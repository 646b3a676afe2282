"""The demo practices: loaded by seed_demo once, over every topic, marking and state, with the
review, revision, adoption and comment history the pages need, and found by search."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings

from enlets.core import access
from enlets.core.models import TLP, AuditEvent
from enlets.network.models import User
from enlets.practices import demo
from enlets.practices.models import (
    Adoption,
    Comment,
    Practice,
    PracticeAccessLabel,
    PracticeRevision,
    Review,
    ReviewCriterion,
    Topic,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    out = StringIO()
    with override_settings(DEMO_MODE=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Practice.objects.count(),
        PracticeRevision.objects.count(),
        Review.objects.count(),
        Adoption.objects.count(),
        Comment.objects.count(),
        AuditEvent.objects.count(),
    )


def test_demo_practices_cover_topics_markings_states_history_and_search(seeded):
    assert "demo practices" in seeded
    practices = Practice.objects.all()
    assert practices.count() >= 140
    assert set(practices.values_list("tlp", flat=True)) == set(TLP.values)
    assert set(practices.values_list("state", flat=True)) == set(Practice.State.values)
    states = Counter(practices.values_list("state", flat=True))
    assert states["published"] > practices.count() / 2  # mostly published
    # Many member states, every topic with practices and 1-2 reviewers who are vetted members.
    assert practices.values("owner_organisation__country").distinct().count() >= 15
    for slug in ("anpr", "osint", "sigint", "surveillance", "front-line-policing"):
        topic = Topic.objects.get(slug=slug)
        assert topic.practices.count() >= 5, slug
        reviewers = list(topic.reviewers.all())
        assert 1 <= len(reviewers) <= 3 and all(r.is_community_member for r in reviewers), slug
    assert User.objects.get(username="ncp-nl") in Topic.objects.get(slug="anpr").reviewers.all()
    assert Topic.objects.filter(practices__isnull=False).distinct().count() >= 6
    # One seeding (it takes a while) checks the history and the search index too.
    _history_is_real()
    _search_finds_them()


def _history_is_real() -> None:
    # Published practices edited after publication carry two or three revisions.
    per_practice = Counter(PracticeRevision.objects.values_list("practice_id", flat=True))
    assert max(per_practice.values()) >= 3 and sum(1 for n in per_practice.values() if n >= 2) >= 10
    assert all(n >= 1 for pk, n in per_practice.items())
    assert not Practice.objects.filter(state="published", revisions__isnull=True).exists()
    # Reviews with checklists and comments; changes were requested and practices rejected.
    decisions = set(Review.objects.values_list("decision", flat=True))
    assert decisions == set(Review.Decision.values)
    assert all(set(r.checklist) == set(ReviewCriterion.values) for r in Review.objects.all())
    assert not Review.objects.filter(comment="").exists()
    # Adoption at every status, recorded by people of another country than the owner's.
    assert set(Adoption.objects.values_list("status", flat=True)) == set(Adoption.Status.values)
    assert not Adoption.objects.filter(country=F("practice__owner_organisation__country")).exists()
    # Comment threads: replies exist and every commenter may see the practice.
    assert Comment.objects.filter(parent__isnull=False).count() >= 5
    for comment in Comment.objects.select_related("author", "practice"):
        assert access.can_see(comment.author, comment.practice)
    # Public teasers on some AMBER practices; audiences that the marking allows.
    assert Practice.objects.filter(tlp__in=[TLP.AMBER, TLP.AMBER_STRICT]).exclude(public_teaser="").exists()
    assert not Practice.objects.filter(tlp=TLP.RED, audience_countries__isnull=False).exists()
    # Every write went through the actions: each practice has its create event, labels are derived.
    created = AuditEvent.objects.filter(action="practices.practice.create").count()
    assert created == Practice.objects.count()
    published = Practice.objects.filter(state="published", tlp=TLP.CLEAR).first()
    assert PracticeAccessLabel.objects.filter(item=published, label=access.PUBLIC).exists()
    # Dates spread over the past years, in order.
    for practice in Practice.objects.exclude(published_at=None):
        assert practice.created_at <= practice.published_at <= practice.updated_at


def test_seeding_twice_changes_nothing(seeded):
    before = counts()
    out = StringIO()
    with override_settings(DEMO_MODE=True):
        call_command("seed_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert counts() == before
    assert demo.seed_practices() == 0
    assert counts() == before


def _search_finds_them() -> None:
    from enlets.search import backend

    out = StringIO()
    call_command("search_rebuild", stdout=out, stderr=StringIO())
    assert "Indexed" in out.getvalue()
    engine = backend()
    anonymous = engine.search(None, "ANPR", models=["practices.practice"], page_size=100)
    clear_anpr = Practice.objects.filter(
        topics__slug="anpr", tlp=TLP.CLEAR, state__in=Practice.RELEASED_STATES
    ).distinct()
    assert clear_anpr.exists() and anonymous.total >= 1
    # The anonymous visitor finds only CLEAR, released practices; a reviewer finds what is submitted to them.
    found = Practice.objects.filter(pk__in=[h.pk for h in anonymous.hits])
    assert set(found.values_list("tlp", flat=True)) == {TLP.CLEAR}
    reviewer = User.objects.get(username="ncp-nl")
    in_review = Practice.objects.filter(topics__slug="anpr", state="submitted").exclude(owner=reviewer).first()
    assert in_review is not None
    hits = engine.search(reviewer, in_review.title, models=["practices.practice"], page_size=50)
    assert in_review.pk in {h.pk for h in hits.hits}
