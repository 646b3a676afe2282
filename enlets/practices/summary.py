"""The topic summary (the EDBP product): one topic's published practices, compiled for one reader.

`compile_summary(topic, user)` is the only way the page, the PDF and the API get a summary, and it
reads practices ONLY through `Practice.objects.visible_to(user).published()`: a summary never holds
more than its reader may see, and its marking (`most_restrictive_tlp`) is the strictest marking of
what it does hold, so an anonymous reader's summary is TLP:CLEAR and an audience member's may be
TLP:AMBER. Adoptions and contacts are reached only through those visible practices.

`render_summary_pdf(topic, user)` prints it with WeasyPrint from a template that carries the marking
in the header and footer of every page. The PDF fetches nothing over the network: the stylesheet is
inline and the URL fetcher refuses everything except the platform's own static files.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import nh3
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Prefetch, prefetch_related_objects
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from enlets.core import markdown as md
from enlets.core.listing import pk_among
from enlets.core.models import TLP
from enlets.practices.models import Adoption, CostBand, DpiaStatus, Practice, Topic

RESULTS_LENGTH = 320
LEGAL_LENGTH = 220
LESSONS_LENGTH = 700
BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|pre|blockquote|td|th|tr)>|<br\s*/?>|<hr\s*/?>")


def plain(text: str, length: int) -> str:
    """Markdown as plain text, cut at a word boundary (unescaped: templates escape it once)."""
    # A space where a block ends, so "Act</p><p>Data" does not read "ActData" once the tags are gone.
    rendered = BLOCK_END.sub(" ", md.render(text or ""))
    cleaned = html.unescape(nh3.clean(rendered, tags=set()))
    return cut(" ".join(cleaned.split()), length)


def cut(text: str, length: int) -> str:
    """`text` cut to at most `length` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


@dataclass
class AdoptionStatus:
    country: str
    status: str  # display label: Interested, Piloting, Adopted
    code: str  # the status value, for counting and CSS


@dataclass
class ComparisonRow:
    """One practice in the comparison table."""

    practice_id: int
    title: str
    url: str
    tlp: str
    countries: list[str]
    organisations: list[str]
    technology: str
    cost_band: str
    results: str
    legal_basis: str
    dpia: str
    adoptions: list[AdoptionStatus]
    published_at: datetime | None
    year: int | None

    @property
    def country_names(self) -> str:
        return ", ".join(self.countries)


@dataclass
class Lesson:
    practice_id: int
    title: str
    url: str
    tlp: str
    countries: list[str]
    text: str


@dataclass
class ContactPractice:
    practice_id: int
    title: str
    tlp: str


@dataclass
class Contact:
    """One contact person, once, with the practices (of this summary) they answer for."""

    name: str
    organisation: str
    country: str
    email: str
    practices: list[ContactPractice] = field(default_factory=list)


@dataclass
class ContactNote:
    practice_id: int
    practice_title: str
    tlp: str
    note: str


@dataclass
class TopicSummary:
    topic: Topic
    generated_at: datetime
    rows: list[ComparisonRow]
    lessons: list[Lesson]
    contacts: list[Contact]
    contact_notes: list[ContactNote]
    # False when the reader may not see contact people (anonymous, external partners): the page
    # says so instead of showing an empty list.
    contacts_shown: bool
    counts: dict[str, int] = field(default_factory=dict)
    tlp_counts: dict[str, int] = field(default_factory=dict)
    most_restrictive_tlp: str = TLP.CLEAR

    @property
    def tlp_label(self) -> str:
        return f"TLP:{self.most_restrictive_tlp}"

    @property
    def practice_ids(self) -> list[int]:
        return [row.practice_id for row in self.rows]

    @property
    def is_empty(self) -> bool:
        return not self.rows


def summary_practices(topic: Topic, user: Any):
    """The practices of a summary: published in `topic` and visible to `user`, nothing else."""
    in_topic = Practice.topics.through.objects.filter(topic_id=topic.pk).values("practice_id")
    return (
        Practice.objects.visible_to(user)
        .published()
        .filter(pk_among(in_topic))
        .select_related("owner_organisation__country")
        .prefetch_related(
            "countries",
            "organisations",
            Prefetch("adoptions", queryset=Adoption.objects.select_related("country").order_by("country__name")),
        )
        .order_by("title", "pk")
    )


def _may_see_contacts(user: Any) -> bool:
    # Contact people are named police officers: only signed-in members of the network community get
    # their names and addresses, whatever the practice's marking (an external partner or the public
    # reads the practice, not the phone list).
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_community_member)


def compile_summary(topic: Topic, user: Any) -> TopicSummary:
    practices = list(summary_practices(topic, user))
    contacts_shown = _may_see_contacts(user)
    if contacts_shown:
        # Prefetched only when shown, so an anonymous summary never loads the people at all.
        prefetch_related_objects(practices, "contacts__organisation__country")

    rows: list[ComparisonRow] = []
    lessons: list[Lesson] = []
    contacts: dict[int, Contact] = {}
    notes: list[ContactNote] = []
    adoption_counts: Counter[str] = Counter()
    countries_seen: set[str] = set()
    strictest = TLP.CLEAR.value
    for practice in practices:
        countries = [c.name for c in practice.countries.all()]
        if not countries and practice.owner_organisation.country_id:
            countries = [practice.owner_organisation.country.name]
        countries_seen.update(countries)
        adoptions = [
            AdoptionStatus(country=a.country.name, status=a.get_status_display(), code=a.status)
            for a in practice.adoptions.all()
        ]
        adoption_counts.update(a.code for a in adoptions)
        if TLP.strictness(practice.tlp) > TLP.strictness(strictest):
            strictest = practice.tlp
        url = practice.get_absolute_url()
        rows.append(
            ComparisonRow(
                practice_id=practice.pk,
                title=practice.title,
                url=url,
                tlp=practice.tlp,
                countries=countries,
                organisations=[str(o) for o in practice.organisations.all()],
                technology=practice.technology,
                cost_band=CostBand(practice.cost_band).label,
                results=plain(practice.results, RESULTS_LENGTH),
                legal_basis=plain(practice.legal_basis, LEGAL_LENGTH),
                dpia=DpiaStatus(practice.dpia).label,
                adoptions=adoptions,
                published_at=practice.published_at,
                year=practice.year,
            )
        )
        if practice.lessons.strip():
            lessons.append(
                Lesson(
                    practice_id=practice.pk,
                    title=practice.title,
                    url=url,
                    tlp=practice.tlp,
                    countries=countries,
                    text=plain(practice.lessons, LESSONS_LENGTH),
                )
            )
        if contacts_shown:
            for person in practice.contacts.all():
                if not person.is_active:
                    continue
                contact = contacts.get(person.pk)
                if contact is None:
                    org = person.organisation
                    contact = contacts[person.pk] = Contact(
                        name=person.display_name,
                        organisation=str(org) if org else "",
                        country=org.country.name if org and org.country_id else "",
                        email=person.email,
                    )
                contact.practices.append(ContactPractice(practice.pk, practice.title, practice.tlp))
            if practice.contact_note.strip():
                notes.append(ContactNote(practice.pk, practice.title, practice.tlp, practice.contact_note.strip()))

    # The comparison is across countries: group the rows by country, then by title.
    rows.sort(
        key=lambda r: ((r.countries[0] if r.countries else "\uffff").casefold(), r.title.casefold(), r.practice_id)
    )
    lessons.sort(key=lambda item: (item.title.casefold(), item.practice_id))
    people = sorted(contacts.values(), key=lambda c: (c.country.casefold(), c.name.casefold(), c.email))
    tlp_counts = {value: 0 for value in TLP.values}
    for row in rows:
        tlp_counts[row.tlp] += 1
    return TopicSummary(
        topic=topic,
        generated_at=timezone.now(),
        rows=rows,
        lessons=lessons,
        contacts=people,
        contact_notes=notes,
        contacts_shown=contacts_shown,
        counts={
            "practices": len(rows),
            "countries": len(countries_seen),
            "interested": adoption_counts[Adoption.Status.INTERESTED],
            "piloting": adoption_counts[Adoption.Status.PILOTING],
            "adopted": adoption_counts[Adoption.Status.ADOPTED],
            "lessons": len(lessons),
            "contacts": len(people),
        },
        tlp_counts=tlp_counts,
        most_restrictive_tlp=strictest,
    )


# --- PDF ------------------------------------------------------------------------------------------


def _static_roots() -> list[Path]:
    roots = [
        Path(storage.location).resolve()
        for finder in finders.get_finders()
        for storage in getattr(finder, "storages", {}).values()
    ]
    static_root = getattr(settings, "STATIC_ROOT", None)
    if static_root:
        roots.append(Path(static_root).resolve())
    return roots


def _make_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses everything but files inside the platform's static folders.

    The summary template needs nothing from outside (its stylesheet is inline); this makes sure a
    stray URL (in user text, or a future template change) can never make the server call another
    host or read an arbitrary file: the platform runs on air-gapped networks (DESIGN.md).
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("file://"):
                from urllib.request import url2pathname

                path = Path(url2pathname(url.split("?")[0].removeprefix("file://"))).resolve()
                if any(path.is_relative_to(root) for root in _static_roots()) and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes())
            raise ValueError(f"The PDF fetches nothing outside the platform: refused {url[:100]}")

    return StaticOnlyFetcher(timeout=1, allow_redirects=False)


# TLP 2.0 colours on black, as the standard prints them.
TLP_COLOURS = {
    TLP.CLEAR: "#ffffff",
    TLP.GREEN: "#33ff00",
    TLP.AMBER: "#ffc000",
    TLP.AMBER_STRICT: "#ffc000",
    TLP.RED: "#ff2b2b",
}


def css_string(text: str) -> SafeString:
    """`text` as a quoted CSS string for the page margin boxes: every character that is not plainly
    harmless becomes a CSS escape, so a topic name can neither end the string nor the <style>."""
    safe = "".join(ch if ch.isalnum() or ch in " .,:;-_()'" else f"\\{ord(ch):x} " for ch in text)
    return mark_safe(f'"{safe}"')  # noqa: S308 - escaped above, character by character


# The PDF's comparison cells are shorter than the page's excerpts: a practice's row is then about 6
# lines, not 10-12. WeasyPrint's time grows with the lines and boxes it lays out and paints
# (docs/performance.md), and the full text is one click away on the platform.
PDF_RESULTS_LENGTH = 260
PDF_LEGAL_LENGTH = 170


@dataclass
class PdfCountry:
    """One country's part of the PDF's comparison table: the practices whose first country it is."""

    name: str
    rows: list[ComparisonRow]


def pdf_countries(summary: TopicSummary) -> list[PdfCountry]:
    """The summary's rows, shortened for print, grouped by their first country (compile_summary has
    sorted them by first country, then title)."""
    groups: list[PdfCountry] = []
    for row in summary.rows:
        name = row.countries[0] if row.countries else "No country stated"
        if not groups or groups[-1].name != name:
            groups.append(PdfCountry(name, []))
        short = replace(
            row, results=cut(row.results, PDF_RESULTS_LENGTH), legal_basis=cut(row.legal_basis, PDF_LEGAL_LENGTH)
        )
        groups[-1].rows.append(short)
    return groups


def summary_pdf_context(summary: TopicSummary) -> dict[str, Any]:
    platform = getattr(settings, "PLATFORM_NAME", "ENLETS Hub")
    topic = summary.topic
    return {
        "summary": summary,
        "countries": pdf_countries(summary),
        "topic": topic,
        "topic_description": plain(topic.description, 1500),
        "platform_name": platform,
        "base_url": settings.ENLETS_BASE_URL.rstrip("/"),
        "tlp_colour": TLP_COLOURS[TLP(summary.most_restrictive_tlp)],
        "tlp_counts": [(tlp, n) for tlp, n in summary.tlp_counts.items() if n],
        "css_header": css_string(f"{platform} · {topic.name}: topic summary"),
        "css_label": css_string(summary.tlp_label),
        # The label's margin box gets an explicit width so that WeasyPrint need not measure the margin
        # boxes' content on every page to share out the line: its monospace glyphs are 0.6 em wide
        # (in em, not `ch`: `ch` costs a text measurement per box per page).
        "label_width": f"{0.62 * len(summary.tlp_label) + 0.4:.2f}em",
        "css_generated": css_string(
            f"Generated {summary.generated_at:%d %b %Y %H:%M} UTC for one reader: share only as its marking allows."
        ),
    }


def summary_pdf_bytes(summary: TopicSummary) -> bytes:
    import weasyprint

    document = render_to_string("practices/summary_pdf.html", summary_pdf_context(summary))
    return weasyprint.HTML(string=document, base_url=None, url_fetcher=_make_fetcher()).write_pdf()


def render_summary_pdf(topic: Topic, user: Any) -> bytes:
    """The PDF of `topic`'s summary as `user` may see it (the benchmark times this)."""
    return summary_pdf_bytes(compile_summary(topic, user))


def pdf_filename(summary: TopicSummary) -> str:
    return f"enlets-summary-{summary.topic.slug}-{summary.generated_at:%Y-%m-%d}.pdf"
