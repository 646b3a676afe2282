"""The bounded count of a visible list (enlets.core.listing.bounded_count) is exact.

A queryset made by `visible_to` counts the rows visible by their marking alone first (released and
CLEAR/GREEN: `access.CountHint`) and the rest only when that first part stays within the limit.
These tests fail if that shortcut ever returns a number other than min(count, limit + 1): when the
marking part is below the limit but the whole is above it, when the marking part alone is above it,
at the exact boundaries, with other filters on top, and for distinct rows that could fall on both
sides of the split.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.test import RequestFactory

from enlets.core import access
from enlets.core.api import bounded_count as api_bounded_count
from enlets.core.listing import bounded_count, filter_first, paginate
from enlets.core.models import TLP
from enlets.documents.models import Document
from enlets.network.models import Organisation, Role, User
from enlets.practices.models import Practice
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join, make_document


@pytest.fixture(autouse=True)
def labels_tested_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count like a member of many groups (the split count) with this small world's few labels."""
    monkeypatch.setattr(access, "PER_ROW_MIN_LABELS", 1)


@pytest.fixture
def world(db) -> dict[str, Any]:
    nl = country("NL")
    group_a, group_b = InterestGroupFactory(), InterestGroupFactory()
    owner = UserFactory(organisation=OrganisationFactory(country=nl))
    in_a = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    join(in_a, group_a)
    in_b = UserFactory(organisation=OrganisationFactory(country=country("BE")))
    join(in_b, group_b)
    research = OrganisationFactory(country=nl, kind=Organisation.Kind.RESEARCH)
    external = UserFactory(organisation=research, role=Role.EXTERNAL_PARTNER)
    inactive = UserFactory(organisation=OrganisationFactory(country=nl), is_active=False)
    return {
        "owner": owner,
        "in_a": in_a,
        "in_b": in_b,
        "external": external,
        "inactive": inactive,
        "group_a": group_a,
        "group_b": group_b,
        "research": research,
    }


def fresh(user: User) -> User:
    # Labels are cached on the user object for one request.
    return User.objects.get(pk=user.pk)


def true_count(queryset: Any) -> int:
    """The number of rows, by reading them all (no count shortcut involved)."""
    return len(list(queryset))


def docs(owner: User, n: int, **kwargs: Any) -> None:
    for i in range(n):
        make_document(owner, title=f"{kwargs.get('tlp', 'GREEN')} {i}", **kwargs)


def test_marking_part_below_the_limit_but_the_whole_above_it(world, settings) -> None:
    """1 GREEN + 4 AMBER to group A: the GREEN part (1) stays within the limit of 3, the whole (5)
    does not: the count must say "more than 3", not 1."""
    settings.LIST_COUNT_LIMIT = 3
    owner, in_a = world["owner"], world["in_a"]
    docs(owner, 1, tlp=TLP.GREEN)
    docs(owner, 4, tlp=TLP.AMBER, groups=[world["group_a"]])
    visible = Document.objects.visible_to(fresh(in_a))
    assert true_count(visible) == 5
    assert bounded_count(visible, 3) == 4
    assert api_bounded_count(visible) == (3, False)
    page = paginate(RequestFactory().get("/"), visible.order_by("-updated_at", "-id"), per_page=2)
    assert (page.count, page.count_is_exact, page.has_next) == (3, False, True)
    # Group B's member sees only the GREEN one: exact.
    assert api_bounded_count(Document.objects.visible_to(fresh(world["in_b"]))) == (1, True)


def test_marking_part_alone_above_the_limit(world, settings) -> None:
    """5 GREEN and 2 AMBER: the marking part reaches limit + 1 by itself; a filter that removes the
    GREEN rows must then count the AMBER ones, not stop at the (filtered-away) GREEN part."""
    settings.LIST_COUNT_LIMIT = 3
    owner, in_a = world["owner"], world["in_a"]
    docs(owner, 5, tlp=TLP.GREEN)
    docs(owner, 2, tlp=TLP.AMBER, groups=[world["group_a"]])
    visible = Document.objects.visible_to(fresh(in_a))
    assert bounded_count(visible, 3) == 4
    assert api_bounded_count(visible) == (3, False)
    amber = visible.filter(tlp=TLP.AMBER)
    assert bounded_count(amber, 3) == 2
    assert api_bounded_count(amber) == (2, True)
    # Not marking-visible at all for the external partner (no GREEN), and nothing named: zero.
    assert api_bounded_count(Document.objects.visible_to(fresh(world["external"]))) == (0, True)


@pytest.mark.parametrize(("green", "amber", "expected"), [(2, 1, 3), (3, 0, 3), (0, 3, 3), (2, 2, 4), (3, 1, 4)])
def test_at_the_boundary(world, settings, green: int, amber: int, expected: int) -> None:
    """Exactly the limit is exact; one more is "more", however the rows split between the parts."""
    settings.LIST_COUNT_LIMIT = 3
    owner, in_a = world["owner"], world["in_a"]
    docs(owner, green, tlp=TLP.GREEN)
    docs(owner, amber, tlp=TLP.AMBER, groups=[world["group_a"]])
    visible = Document.objects.visible_to(fresh(in_a))
    assert bounded_count(visible, 3) == expected
    assert api_bounded_count(visible) == (min(expected, 3), expected <= 3)


def test_distinct_rows_on_both_sides_are_counted_once(world, settings) -> None:
    """One owner with a GREEN and an AMBER document: `values("owner").distinct()` has one row, which
    the marking part and the rest would each count once."""
    owner, in_a = world["owner"], world["in_a"]
    docs(owner, 1, tlp=TLP.GREEN)
    docs(owner, 1, tlp=TLP.AMBER, groups=[world["group_a"]])
    owners = Document.objects.visible_to(fresh(in_a)).order_by().values("owner").distinct()
    assert true_count(owners) == 1
    assert bounded_count(owners, 3) == 1
    assert bounded_count(Document.objects.visible_to(fresh(in_a)).distinct(), 3) == 2


def test_every_user_filter_and_limit_matches_the_true_count(world) -> None:
    """A mixed world, every kind of viewer, filters on top and every limit from 0 to past the total."""
    owner, in_a, group_a, group_b = world["owner"], world["in_a"], world["group_a"], world["group_b"]
    docs(owner, 3, tlp=TLP.CLEAR)
    docs(owner, 2, tlp=TLP.CLEAR, state=Document.State.DRAFT)
    docs(owner, 3, tlp=TLP.GREEN)
    docs(owner, 1, tlp=TLP.GREEN, state=Document.State.ARCHIVED)
    docs(owner, 2, tlp=TLP.GREEN, state=Document.State.DRAFT)
    docs(owner, 3, tlp=TLP.AMBER, groups=[group_a])
    docs(owner, 2, tlp=TLP.AMBER, groups=[group_b])
    docs(owner, 2, tlp=TLP.AMBER_STRICT, organisations=[world["research"]])
    docs(owner, 1, tlp=TLP.RED, people=[in_a])
    docs(owner, 1, tlp=TLP.RED, people=[world["in_b"]])
    docs(in_a, 2, tlp=TLP.RED, state=Document.State.DRAFT)  # in_a's own drafts
    make_document(owner, tlp=TLP.AMBER, state=Document.State.DRAFT, co_authors=[in_a])
    viewers: list[Any] = [
        *(fresh(world[k]) for k in ("owner", "in_a", "in_b", "external", "inactive")),
        None,
        AnonymousUser(),
    ]
    narrowings = [
        lambda qs: qs,
        lambda qs: qs.filter(tlp=TLP.AMBER),
        lambda qs: qs.filter(state=Document.State.DRAFT),
        lambda qs: qs.exclude(tlp=TLP.GREEN).order_by("title"),
        lambda qs: qs.filter(Q(tlp=TLP.RED) | Q(tlp=TLP.CLEAR)),
        lambda qs: qs.distinct(),
    ]
    for viewer in viewers:
        for narrow in narrowings:
            queryset = narrow(Document.objects.visible_to(viewer))
            total = true_count(queryset)
            for limit in range(total + 2):
                assert bounded_count(queryset, limit) == min(total, limit + 1), (viewer, limit)


def test_a_filter_that_rules_out_the_marking_part_skips_it(world, django_assert_num_queries) -> None:
    """A list narrowed to AMBER (or to drafts) has no row visible by marking: that part is not
    counted (it would read every row in vain), and the rest is still counted exactly."""
    owner, in_a = world["owner"], world["in_a"]
    docs(owner, 3, tlp=TLP.GREEN)
    docs(owner, 2, tlp=TLP.AMBER, groups=[world["group_a"]])
    docs(in_a, 2, tlp=TLP.GREEN, state=Document.State.DRAFT)
    visible = Document.objects.visible_to(fresh(in_a))
    list(visible[:1])  # the member's labels, once
    with django_assert_num_queries(1):
        assert bounded_count(visible.filter(tlp=TLP.AMBER), 10) == 2
    with django_assert_num_queries(1):
        assert bounded_count(visible.filter(state=Document.State.DRAFT, title__startswith="GREEN"), 10) == 2
    with django_assert_num_queries(2):
        assert bounded_count(visible.filter(tlp__in=[TLP.AMBER, TLP.GREEN]), 10) == 7  # own drafts too
    # Under OR the filter rules nothing out: both parts are counted.
    with django_assert_num_queries(2):
        assert bounded_count(visible.filter(Q(tlp=TLP.AMBER) | Q(title="none")), 10) == 2


def test_practices_filtered_on_a_joined_state_count_exactly(world) -> None:
    """`state` of a joined table (the topic's) is not the practice's own: the marking part stays."""
    from enlets.practices.models import Practice
    from tests.factories import make_practice, make_topic

    reviewer = UserFactory(organisation=OrganisationFactory(country=country("NL")))
    topic = make_topic("Counting", reviewers=[reviewer])
    for i in range(3):
        make_practice(world["owner"], topics=[topic], state="published", reviewer=reviewer, title=f"P{i}")
    visible = Practice.objects.visible_to(fresh(world["in_a"]))
    in_active_topics = visible.filter(topics__state="active")
    assert true_count(in_active_topics) == 3
    for limit in range(5):
        assert bounded_count(in_active_topics, limit) == min(3, limit + 1)


def test_few_labels_count_in_one_query(world, monkeypatch, django_assert_num_queries) -> None:
    """Below PER_ROW_MIN_LABELS a member's list uses the set form and one plain count."""
    monkeypatch.setattr(access, "PER_ROW_MIN_LABELS", 10)
    docs(world["owner"], 2, tlp=TLP.GREEN)
    docs(world["owner"], 2, tlp=TLP.AMBER, groups=[world["group_a"]])
    visible = Document.objects.visible_to(fresh(world["in_a"]))
    assert visible.count_hint is None
    list(visible[:1])
    with django_assert_num_queries(1):
        assert bounded_count(visible, 2) == 3


def test_a_queryset_combined_with_another_counts_whole(world) -> None:
    """`visible | other` may hold rows the user does not see: the hint is dropped, the count stays exact."""
    owner, in_a = world["owner"], world["in_a"]
    docs(owner, 2, tlp=TLP.GREEN)
    docs(owner, 2, tlp=TLP.AMBER, groups=[world["group_b"]])  # not visible to in_a
    visible = Document.objects.visible_to(fresh(in_a))
    combined = visible | Document.objects.filter(tlp=TLP.AMBER)  # access: the test's own union
    assert combined.count_hint is None
    assert (visible ^ Document.objects.none()).count_hint is None
    for limit in range(6):
        assert bounded_count(combined, limit) == min(4, limit + 1)
    narrowed = visible & Document.objects.filter(tlp=TLP.GREEN)  # access: narrows visible_to
    assert bounded_count(narrowed, 5) == 2


def test_the_hint_follows_the_queryset_and_stays_inside_visibility(world) -> None:
    in_a = fresh(world["in_a"])
    visible = Document.objects.visible_to(in_a)
    assert visible.count_hint is not None
    assert visible.filter(tlp=TLP.GREEN).order_by("title").prefetch_related("co_authors").count_hint is not None
    assert Document.objects.all().count_hint is None
    assert Document.objects.visible_to(fresh(world["inactive"])).count_hint is None
    assert Document.objects.visible_to(None).count_hint is None  # a visitor: CLEAR only, one count
    assert Document.objects.visible_to(fresh(world["external"])).count_hint is None  # the set form
    # The rows it selects are rows the user may see (here: a foreign draft GREEN is not one of them).
    make_document(world["owner"], tlp=TLP.GREEN)
    make_document(world["owner"], tlp=TLP.GREEN, state=Document.State.DRAFT)
    hinted = set(Document.objects.filter(visible.count_hint.marking))  # access: checked against visible_to
    assert hinted and hinted <= set(visible)


@pytest.mark.parametrize(
    ("model", "index"), [(Document, "document_released_marking"), (Practice, "practice_released_marking")]
)
def test_the_marking_part_reads_the_partial_index(world, model: Any, index: str) -> None:
    """The partial index `released_by_marking_index` serves the first part of the count only if the
    hint's condition implies the index's: a change on either side that breaks it fails here instead
    of slowing every heavy member's list. PostgreSQL only: SQLite never takes a partial index for a
    condition on bound parameters (docs/performance.md, change 8)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not use partial indexes for parameterised conditions")
    visible = model.objects.visible_to(fresh(world["in_a"])).order_by()
    part = filter_first(access.without_visibility(visible), visible.count_hint.marking).values("pk")[:1001]
    sql, params = part.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small enough to scan
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert index in plan, plan


@pytest.mark.parametrize(
    ("model", "index"), [(Document, "document_released_marking"), (Practice, "practice_released_marking")]
)
def test_a_plain_lists_marking_part_is_counted_over_the_partial_index(world, model: Any, index: str) -> None:
    """The plain list's marking part is one statement written once per model over the partial
    index. SQLite takes the index only when told (`INDEXED BY`: it refuses the statement if the index
    is gone or its condition no longer matches the hint's); PostgreSQL's plan must choose it."""
    from django.db import connection

    from enlets.core.listing import _marking_index_count_sql

    hint = model.objects.visible_to(fresh(world["in_a"])).count_hint
    sql = _marking_index_count_sql(connection.alias, model, frozenset(hint.states), frozenset(hint.markings))
    assert sql is not None
    # Not for other states or markings than the index's own.
    assert _marking_index_count_sql(connection.alias, model, frozenset(hint.states), frozenset({"GREEN"})) is None
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            assert f'INDEXED BY "{index}"' in sql
            cursor.execute(sql, [1001])
            assert cursor.fetchone() == (0,)
            return
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small enough to scan
        cursor.execute("EXPLAIN " + sql, [1001])
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert index in plan, plan


def test_plain_list_count_by_the_partial_index_is_exact(world) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner, in_a = world["owner"], world["in_a"]
    docs(owner, 2, tlp=TLP.GREEN)
    docs(owner, 1, tlp=TLP.CLEAR, state=Document.State.ARCHIVED)
    docs(owner, 2, tlp=TLP.GREEN, state=Document.State.DRAFT)  # not released: not in the first part
    docs(owner, 2, tlp=TLP.AMBER, groups=[world["group_a"]])
    visible = Document.objects.visible_to(fresh(in_a)).order_by("-updated_at", "-id")
    assert true_count(visible) == 5
    for limit, expected in ((1, 2), (2, 3), (3, 4), (4, 5), (5, 5), (9, 5)):
        with CaptureQueriesContext(connection) as captured:
            assert bounded_count(visible, limit) == expected
        assert "AS marked" in captured.captured_queries[0]["sql"]
    # A list with a filter of its own is left to the planner, and counted exactly too.
    for mine in (visible.filter(owner=owner), visible.exclude(tlp=TLP.CLEAR), visible.filter(Q() | Q(tlp=TLP.CLEAR))):
        with CaptureQueriesContext(connection) as captured:
            assert bounded_count(mine, 9) == true_count(mine)
        assert not any("AS marked" in query["sql"] for query in captured.captured_queries)


def test_the_marking_part_is_counted_without_the_visibility_rule(world) -> None:
    """Rows that meet the marking are visible to the member (`CountHint`), so the first part of the
    count leaves the rule out and reads no label; the count stays exact (tests above)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    docs(world["owner"], 3, tlp=TLP.GREEN)
    visible = Document.objects.visible_to(fresh(world["in_a"]))
    with CaptureQueriesContext(connection) as captured:
        assert bounded_count(visible, 2) == 3
    (first,) = captured.captured_queries
    assert "access_rows" not in first["sql"]
    assert "owner_id" not in first["sql"]


def test_without_visibility_leaves_out_only_one_rule_joined_by_and(world) -> None:
    in_a, in_b = fresh(world["in_a"]), fresh(world["in_b"])
    docs(world["owner"], 2, tlp=TLP.GREEN)
    docs(world["owner"], 1, tlp=TLP.AMBER, groups=[world["group_a"]])
    visible = Document.objects.visible_to(in_a).filter(tlp__in=[TLP.GREEN, TLP.AMBER])
    stripped = access.without_visibility(visible)
    assert stripped is not None
    assert "access_rows" not in str(stripped.query)
    assert "access_rows" in str(visible.query)  # the queryset itself keeps its rule
    assert stripped.count() == 3 and visible.count() == 3
    # Two rules (two users), a rule under OR, or a rule only inside a subquery: nothing is left out.
    assert access.without_visibility(visible.visible_to(in_b)) is None
    assert access.without_visibility(visible | Document.objects.filter(tlp=TLP.RED)) is None  # access: test union
    inner = Document.objects.filter(pk__in=visible.values("pk"))  # access: narrows visible_to
    assert access.without_visibility(inner) is None


def test_the_rule_keeps_its_columns_inside_a_subquery(world) -> None:
    """The rule's SQL names its table through Django, so it stays right where the table is aliased."""
    in_a = fresh(world["in_a"])
    docs(world["owner"], 2, tlp=TLP.GREEN)
    docs(world["owner"], 2, tlp=TLP.AMBER, groups=[world["group_a"]])
    docs(world["owner"], 2, tlp=TLP.AMBER, groups=[world["group_b"]])
    visible = Document.objects.visible_to(in_a)
    nested = Document.objects.filter(pk__in=visible.values("pk"))  # access: narrows visible_to
    twice = nested.filter(pk__in=Document.objects.visible_to(in_a).values("pk"))  # access: same rule
    assert set(nested) == set(visible) == set(twice)
    assert len(set(visible)) == 4
