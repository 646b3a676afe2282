"""The filters and sorts of practice lists, shared by the list page, the API and the CSV/JSON
exports, so the three always agree on what "?topic=anpr&country=NL&year=2024" means.

Apply them to a queryset that is already `Practice.objects.visible_to(user)`: filters narrow what
the person may see, they never widen it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet, Subquery

from enlets.core.listing import pk_among, pk_among_read
from enlets.core.models import TLP, marking_rank
from enlets.practices.models import Practice, Topic
from enlets.search.languages import Language

# Public sort name -> field. "tlp" sorts by strictness (annotated), not alphabetically.
SORTS: dict[str, str] = {
    "updated": "updated_at",
    "published": "published_at",
    "created": "created_at",
    "title": "title",
    "tlp": "tlp_rank",
}
DEFAULT_SORT = "-updated"
_NULLABLE_SORTS = {
    name for name, field in SORTS.items() if field != "tlp_rank" and Practice._meta.get_field(field).null
}
SORT_LABELS: list[tuple[str, str]] = [
    ("-updated", "Recently updated"),
    ("-published", "Recently published"),
    ("-created", "Newest"),
    ("title", "Title A to Z"),
    ("-title", "Title Z to A"),
    ("tlp", "Marking, least restricted first"),
    ("-tlp", "Marking, most restricted first"),
]

FILTER_NAMES = ("q", "topic", "country", "organisation", "technology", "year", "tlp", "state", "language", "mine")


@dataclass
class PracticeFilters:
    """Parsed filter values; `errors` names each value that was not understood (the API answers
    422 with them; the page shows them beside the filter and ignores the value)."""

    q: str = ""
    topic: str = ""
    country: str = ""
    organisation: int | None = None
    technology: str = ""
    year: int | None = None
    tlp: str = ""
    state: str = ""
    language: str = ""
    mine: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> PracticeFilters:
        f = cls()
        f.q = str(params.get("q") or "").strip()[:200]
        f.topic = str(params.get("topic") or "").strip()[:60]
        f.country = str(params.get("country") or "").strip().upper()[:2]
        f.technology = str(params.get("technology") or "").strip()[:100]
        f.tlp = str(params.get("tlp") or "").strip().upper()
        f.state = str(params.get("state") or "").strip().lower()
        f.language = str(params.get("language") or "").strip().lower()
        f.mine = str(params.get("mine") or "").lower() in ("1", "true", "yes", "on")
        if f.tlp and f.tlp not in TLP.values:
            f.errors["tlp"] = [f"Choose one of: {', '.join(TLP.values)}."]
            f.tlp = ""
        if f.state and f.state not in Practice.State.values:
            f.errors["state"] = [f"Choose one of: {', '.join(Practice.State.values)}."]
            f.state = ""
        if f.language and f.language not in Language.values:
            f.errors["language"] = ["Give the ISO 639-1 code of an EU language, e.g. de."]
            f.language = ""
        for name in ("organisation", "year"):
            raw = str(params.get(name) or "").strip()
            if not raw:
                continue
            try:
                value = int(raw)
            except ValueError:
                f.errors[name] = ["Give a whole number."]
                continue
            if name == "organisation" and not 0 < value < 2**63:
                # Beyond 64 bits SQLite cannot even compare it: no organisation has such an id.
                f.errors[name] = ["No organisation has this number."]
                continue
            if name == "year" and not 1990 <= value <= 2100:
                f.errors[name] = ["Give a year between 1990 and 2100."]
                continue
            setattr(f, name, value)
        return f

    def apply(self, queryset: QuerySet[Practice], user: Any = None) -> QuerySet[Practice]:
        if self.q:
            words = Q()
            for word in self.q.split()[:8]:
                words &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(technology__icontains=word)
            queryset = queryset.filter(words)
        queryset = self._apply_links(queryset)
        if self.technology:
            queryset = queryset.filter(technology__icontains=self.technology)
        if self.year is not None:
            queryset = queryset.filter(
                Q(implementation_start__year=self.year)
                | Q(implementation_start__isnull=True, published_at__year=self.year)
            )
        if self.tlp:
            queryset = queryset.filter(tlp=self.tlp)
        if self.state:
            queryset = queryset.filter(state=self.state)
        if self.language:
            queryset = queryset.filter(language=self.language)
        if self.mine and getattr(user, "is_authenticated", False):
            co_authored = Practice.co_authors.through.objects.filter(user_id=user.pk).values("practice_id")
            queryset = queryset.filter(Q(owner_id=user.pk) | Q(pk__in=co_authored))
        return queryset

    def _apply_links(self, queryset: QuerySet[Practice]) -> QuerySet[Practice]:
        """The topic, country and organisation filters, each a link table of practice ids.

        A topic or a country as a join: each holds many practices, so PostgreSQL reads the list in
        index order and stops after a page (48 and 70 ms at a million practices). An organisation
        holds few: its practices' ids are read once and fetched by key (`pk_among`); as a join the
        ordered walk read most of the table to find a page (222-333 against 132-137 ms), and with
        it the topic and the country stay joins, tested on those few. A topic and a country without
        an organisation are intersected in their link tables first, on the (topic, practice) and
        (country, practice) indexes, and the practices in both are read once (`pk_among_read`): as
        two joins, neither order of reading found the 1.4 % of practices in both a topic (20 %) and
        a country (7 %) without reading a third of the table (377-477 against 47-50 ms). Never two
        lists of ids: PostgreSQL tests the second item by item against every candidate of the first
        (2.9 s for a topic, a country and an organisation). Figures: docs/performance.md, "Practice
        list by topic and country". A slug, a country and an organisation each match one row of
        their link table per practice, so nothing is repeated.
        """
        if self.topic and self.country and self.organisation is None:
            # The topic's id as a sub-query, not a join to the topic table: with the id fixed, the
            # (topic, practice) index yields the practice ids in order, ready to merge with the country's.
            topic_id = Subquery(Topic.objects.filter(slug=self.topic).order_by().values("pk")[:1])
            in_country = Practice.countries.through.objects.filter(country_id=self.country).values("practice_id")
            in_both = Practice.topics.through.objects.filter(topic_id=topic_id, practice_id__in=in_country)
            return queryset.filter(pk_among_read(in_both.values_list("practice_id", flat=True)))
        if self.topic:
            queryset = queryset.filter(topics__slug=self.topic)
        if self.country:
            queryset = queryset.filter(countries__pk=self.country)
        if self.organisation is not None:
            links = Practice.organisations.through.objects.filter(organisation_id=self.organisation)
            queryset = queryset.filter(pk_among(links.values("practice_id")))
        return queryset

    def active(self) -> dict[str, Any]:
        """The filters in use, for links that keep them (pagination, sorting, exports)."""
        values = {n: getattr(self, n) for n in FILTER_NAMES}
        return {k: ("1" if v is True else v) for k, v in values.items() if v not in ("", None, False)}


def order(queryset: QuerySet[Practice], sort: str | None) -> tuple[QuerySet[Practice], str]:
    """Order by an allow-listed sort (unknown values fall back to the default) with a stable tiebreak."""
    sort = sort or DEFAULT_SORT
    name = sort.lstrip("-")
    if name not in SORTS:
        sort, name = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    if name == "tlp":
        queryset = queryset.annotate(tlp_rank=marking_rank())
    column = F(SORTS[name])
    # Drafts have no publication date: they go last either way, on SQLite and PostgreSQL alike. Only
    # a nullable column says where its nulls go: "NULLS LAST" on a column that has none still keeps
    # PostgreSQL from reading its index in order (an index is DESC NULLS FIRST), and the default list
    # then sorted every visible practice for each page (0.8 s at a million practices).
    nullable = name in _NULLABLE_SORTS
    if sort.startswith("-"):
        return queryset.order_by(column.desc(nulls_last=True) if nullable else column.desc(), "-pk"), sort
    return queryset.order_by(column.asc(nulls_last=True) if nullable else column.asc(), "pk"), sort
