"""The practice list filtered by topic, country and organisation together: each link filter takes
one of three forms (a join, an organisation's ids, the intersection of a topic's and a country's
link tables; enlets.practices.filters), and every combination must list exactly the practices the
reader may see that hold all the chosen values, each once, in the list's order, on the page and in
the API."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from enlets.core.models import TLP
from enlets.practices.filters import PracticeFilters, order
from enlets.practices.models import Practice
from tests.factories import OrganisationFactory, UserFactory, country, make_practice, make_topic
from tests.test_api_helpers import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    reviewer = UserFactory()
    anpr = make_topic("ANPR links", reviewers=[reviewer])
    osint = make_topic("OSINT links", reviewers=[reviewer])
    nl_org = OrganisationFactory(country=country("NL"), name="Dutch Police Links")
    be_org = OrganisationFactory(country=country("BE"), name="Belgian Police Links")
    author = UserFactory(organisation=nl_org)
    reader = UserFactory(organisation=be_org)
    # Every mix of one or two topics, countries and organisations, published (the reader sees it)
    # or a draft of the author's (the reader does not), so each combination has items on both sides.
    topic_sets = [[anpr], [osint], [anpr, osint]]
    country_sets = [[country("NL")], [country("BE")], [country("NL"), country("BE")]]
    org_sets = [[nl_org], [be_org], [nl_org, be_org]]
    for number, (topics, countries, orgs) in enumerate(itertools.product(topic_sets, country_sets, org_sets)):
        make_practice(
            author,
            topics=topics,
            state="published" if number % 4 else "draft",
            reviewer=reviewer,
            tlp=TLP.GREEN,
            title=f"Linked practice {number:02d}",
            countries=countries,
            organisations=orgs,
        )
    # A restricted one the reader may not see, in every topic, country and organisation.
    make_practice(
        author,
        topics=[anpr, osint],
        state="published",
        reviewer=reviewer,
        tlp=TLP.AMBER,
        audience={"organisations": [nl_org]},
        title="Restricted linked practice",
        countries=[country("NL"), country("BE")],
        organisations=[nl_org, be_org],
    )
    return {"reader": reader, "author": author, "topics": [anpr, osint], "orgs": [nl_org, be_org]}


def expected(user, params: dict) -> list[int]:
    """The same list worked out in Python, one practice at a time."""
    rows = []
    for practice in order(Practice.objects.visible_to(user), None)[0]:
        if "topic" in params and params["topic"] not in {t.slug for t in practice.topics.all()}:
            continue
        if "country" in params and params["country"] not in {c.pk for c in practice.countries.all()}:
            continue
        if "organisation" in params and int(params["organisation"]) not in {o.pk for o in practice.organisations.all()}:
            continue
        rows.append(practice.pk)
    return rows


def combinations(world) -> list[dict]:
    values = {
        "topic": [t.slug for t in world["topics"]] + ["no-such-topic"],
        "country": ["NL", "BE", "DE"],
        "organisation": [str(o.pk) for o in world["orgs"]],
    }
    out = []
    for names in itertools.chain.from_iterable(itertools.combinations(values, n) for n in (1, 2, 3)):
        for chosen in itertools.product(*(values[name] for name in names)):
            out.append(dict(zip(names, chosen, strict=True)))
    return out


def test_every_combination_lists_what_the_reader_may_see_once(world):
    for user in (world["reader"], world["author"]):
        for params in combinations(world):
            queryset, _sort = order(PracticeFilters.parse(params).apply(Practice.objects.visible_to(user), user), None)
            listed = list(queryset.values_list("pk", flat=True))
            assert listed == expected(user, params), params
            assert queryset.count() == len(listed), params


def test_topic_and_country_together_is_the_intersection(world):
    reader = world["reader"]
    params = {"topic": world["topics"][0].slug, "country": "BE"}
    queryset = PracticeFilters.parse(params).apply(Practice.objects.visible_to(reader), reader)
    both = list(queryset.values_list("pk", flat=True))
    in_topic = set(expected(reader, {"topic": params["topic"]}))
    in_country = set(expected(reader, {"country": "BE"}))
    assert set(both) == in_topic & in_country
    # Neither filter alone gives it: the combination really narrows.
    assert len(both) < min(len(in_topic), len(in_country))
    assert Practice.objects.get(title="Restricted linked practice").pk not in both


def test_page_and_api_agree_on_topic_country_and_organisation(world, client):
    reader = world["reader"]
    params = {"topic": world["topics"][1].slug, "country": "NL", "organisation": str(world["orgs"][1].pk)}
    titles = [Practice.objects.get(pk=pk).title for pk in expected(reader, params)]
    assert titles
    client.force_login(reader)
    page = client.get(reverse("practices:list"), params).content.decode()
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "Restricted linked practice" not in page
    body = as_user(reader, "read").get("/practices", params).json()
    assert [row["title"] for row in body["results"]] == titles
    assert body["count"] == len(titles)


def test_list_page_queries_do_not_grow_with_its_rows(world, client):
    """The rows' topics and countries are fetched once per page, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world["author"])
    counts = []
    for params in ({"organisation": str(world["orgs"][0].pk), "country": "NL", "topic": world["topics"][0].slug}, {}):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("practices:list"), params).content.decode()
        counts.append((page.count("Linked practice"), len(queries)))
    (few_rows, few_queries), (many_rows, many_queries) = counts
    assert 0 < few_rows < many_rows
    assert many_queries == few_queries


@pytest.mark.parametrize("read_ids_max", [0, 1, 50_000])
def test_topic_and_country_lists_agree_whether_the_ids_are_read_first_or_not(world, monkeypatch, read_ids_max):
    """On PostgreSQL a topic's and a country's common practices are read first and sent back as one
    array, up to READ_IDS_MAX of them; above it the sub-query runs in place. Both list the same."""
    from enlets.core import listing

    monkeypatch.setattr(listing, "READ_IDS_MAX", read_ids_max)
    reader = world["reader"]
    for topic in [t.slug for t in world["topics"]] + ["no-such-topic"]:
        for code in ("NL", "BE", "DE"):
            params = {"topic": topic, "country": code}
            queryset, _sort = order(
                PracticeFilters.parse(params).apply(Practice.objects.visible_to(reader), reader), None
            )
            assert list(queryset.values_list("pk", flat=True)) == expected(reader, params), params


def test_every_sort_orders_as_its_label_says(world):
    """Each sort the list offers, against the same order worked out in Python (the sorts are
    walked on their own indexes since migration 0006)."""
    from enlets.core.models import TLP
    from enlets.practices.filters import SORT_LABELS

    author = world["author"]
    rows = list(Practice.objects.visible_to(author))
    assert {p.published_at is None for p in rows} == {True, False}  # drafts and published ones
    strictness = {value: rank for rank, value in enumerate(TLP.values)}
    keys = {
        "title": lambda p: (p.title, p.pk),
        "updated": lambda p: (p.updated_at, p.pk),
        "created": lambda p: (p.created_at, p.pk),
        "tlp": lambda p: (strictness[p.tlp], p.pk),
    }
    for sort, _label in SORT_LABELS:
        queryset, applied = order(Practice.objects.visible_to(author), sort)
        assert applied == sort
        listed = list(queryset.values_list("pk", flat=True))
        name, descending = sort.lstrip("-"), sort.startswith("-")
        if name == "published":
            # Newest first, drafts (no date) last either way.
            dated = sorted(
                (p for p in rows if p.published_at), key=lambda p: (p.published_at, p.pk), reverse=descending
            )
            wanted = [p.pk for p in dated] + sorted((p.pk for p in rows if not p.published_at), reverse=descending)
        else:
            wanted = [p.pk for p in sorted(rows, key=keys[name], reverse=descending)]
        assert listed == wanted, sort
