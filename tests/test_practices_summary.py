"""Topic summaries, their PDF and the CSV/JSON exports never hold more than their reader may see.

Assertions are on the TEXT people get (page HTML, PDF text extracted with pypdf, CSV/JSON bodies):
an AMBER practice's title is absent for someone outside its audience and present for someone in
it, and the PDF's TLP label (header and footer of every page) is the strictest included marking.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from enlets.core.models import TLP, AuditEvent
from enlets.network.models import Role
from enlets.practices import actions
from enlets.practices.models import Practice
from enlets.practices.summary import compile_summary, render_summary_pdf
from tests.access_matrix import CASES, PAGE, AccessMatrix, AccessMatrixTests, ListEndpoint, case_title
from tests.factories import OrganisationFactory, UserFactory, country, make_practice, make_topic
from tests.test_access_matrix_practices import create_practice

pytestmark = pytest.mark.django_db

CLEAR_TITLE = "Clear motorway cameras"
GREEN_TITLE = "Green border scanners"
AMBER_TITLE = "Amber covert plates"
DRAFT_TITLE = "Draft unpublished idea"


@pytest.fixture
def world():
    reviewer = UserFactory()
    topic = make_topic("Summary ANPR", reviewers=[reviewer])
    german_org = OrganisationFactory(country=country("DE"))
    author = UserFactory(organisation=german_org, email="contact.person@polizei.example")
    common = {"topics": [topic], "reviewer": reviewer}
    clear = make_practice(
        author, state="published", tlp="CLEAR", title=CLEAR_TITLE, lessons="Calibrate cameras monthly.", **common
    )
    green = make_practice(
        author,
        state="published",
        tlp="GREEN",
        title=GREEN_TITLE,
        lessons="Green lesson: train the operators.",
        **common,
    )
    amber = make_practice(
        author,
        state="published",
        tlp="AMBER",
        audience={"audience_countries": [country("DE")]},
        title=AMBER_TITLE,
        lessons="Amber lesson: keep the hit list small.",
        legal_basis="Amber statute 99 on covert plates.",
        **common,
    )
    make_practice(author, state="draft", tlp="CLEAR", title=DRAFT_TITLE, topics=[topic])
    insider = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    outsider = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(country=country("BE")))
    return {
        "topic": topic,
        "author": author,
        "reviewer": reviewer,
        "clear": clear,
        "green": green,
        "amber": amber,
        "insider": insider,
        "outsider": outsider,
        "partner": partner,
    }


def pdf_pages(data: bytes) -> list[str]:
    # pypdf is a dev dependency; imported here so that only the PDF tests need it.
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [page.extract_text() or "" for page in reader.pages]


def assert_marked(pages: list[str], label: str) -> None:
    """The label is in the header (after the running title) and the footer (after the page number) of every page."""
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert re.search(r"topic summary\s*" + re.escape(label) + r"(?![+\w])", page), page
        assert re.search(rf"Page {number} of {total}\s*" + re.escape(label) + r"(?![+\w])", page), page


def titles(summary) -> set[str]:
    return {row.title for row in summary.rows}


# --- compile_summary -------------------------------------------------------------------------------


def test_summary_holds_only_visible_published_practices(world):
    anonymous = compile_summary(world["topic"], None)
    assert titles(anonymous) == {CLEAR_TITLE}
    assert anonymous.most_restrictive_tlp == "CLEAR"
    assert not anonymous.contacts_shown and anonymous.contacts == []

    outsider = compile_summary(world["topic"], world["outsider"])
    assert titles(outsider) == {CLEAR_TITLE, GREEN_TITLE}
    assert outsider.most_restrictive_tlp == "GREEN"

    insider = compile_summary(world["topic"], world["insider"])
    assert titles(insider) == {CLEAR_TITLE, GREEN_TITLE, AMBER_TITLE}
    assert insider.most_restrictive_tlp == "AMBER"
    assert insider.tlp_label == "TLP:AMBER"
    assert insider.counts["practices"] == 3
    assert any("keep the hit list small" in lesson.text for lesson in insider.lessons)
    assert {c.email for c in insider.contacts} == {"contact.person@polizei.example"}
    # A person is listed once, with the practices they answer for: only those the reader sees.
    (contact,) = insider.contacts
    assert {p.title for p in contact.practices} == {CLEAR_TITLE, GREEN_TITLE, AMBER_TITLE}
    (outsider_contact,) = compile_summary(world["topic"], world["outsider"]).contacts
    assert {p.title for p in outsider_contact.practices} == {CLEAR_TITLE, GREEN_TITLE}
    row = next(r for r in insider.rows if r.title == AMBER_TITLE)
    assert row.countries == ["Germany"] and "Amber statute 99" in row.legal_basis

    # External partners are not in the community: no GREEN, and no contact people.
    partner = compile_summary(world["topic"], world["partner"])
    assert titles(partner) == {CLEAR_TITLE} and not partner.contacts_shown


def test_owner_draft_never_in_summary(world):
    summary = compile_summary(world["topic"], world["author"])
    assert DRAFT_TITLE not in titles(summary)


def test_summary_follows_marking_changes(world):
    # The summary is compiled per request: tightening a practice's marking removes it at once.
    actions.do_update_practice(world["author"], world["green"], tlp="RED", audience={}, note="Tightened")
    assert GREEN_TITLE not in titles(compile_summary(world["topic"], world["outsider"]))


def test_adoptions_and_empty_summary(world):
    polish = UserFactory(organisation=OrganisationFactory(country=country("PL")))
    actions.do_record_adoption(polish, world["clear"], status="adopted", note="Rolled out")
    summary = compile_summary(world["topic"], None)
    assert [(a.country, a.status) for a in summary.rows[0].adoptions] == [("Poland", "Adopted")]
    assert summary.counts["adopted"] == 1
    empty = compile_summary(make_topic("Nothing here"), None)
    assert empty.is_empty and empty.most_restrictive_tlp == "CLEAR"


# --- The page ---------------------------------------------------------------------------------------


def test_summary_page_anonymous_sees_clear_only(client, world):
    response = client.get(reverse("practices:summary", args=[world["topic"].slug]))
    assert response.status_code == 200
    text = response.content.decode()
    assert CLEAR_TITLE in text
    assert GREEN_TITLE not in text and AMBER_TITLE not in text and DRAFT_TITLE not in text
    assert "contact.person@polizei.example" not in text
    assert "TLP:CLEAR" in text and "TLP:AMBER" not in text


def test_summary_page_for_audience_member_and_audit(client, world):
    client.force_login(world["insider"])
    response = client.get(reverse("practices:summary", args=[world["topic"].slug]))
    text = response.content.decode()
    assert AMBER_TITLE in text and GREEN_TITLE in text
    assert "contact.person@polizei.example" in text
    assert AuditEvent.objects.filter(
        action="practices.practice.summary", object_id=str(world["amber"].pk), actor=world["insider"]
    ).exists()
    # CLEAR and GREEN reads are not audited.
    assert not AuditEvent.objects.filter(action="practices.practice.summary", object_id=str(world["green"].pk)).exists()


def test_summary_page_outsider_never_sees_amber(client, world):
    client.force_login(world["outsider"])
    text = client.get(reverse("practices:summary", args=[world["topic"].slug])).content.decode()
    assert GREEN_TITLE in text and AMBER_TITLE not in text and "Amber statute" not in text


def test_merged_topic_summary_redirects(client, world):
    target = make_topic("Merged target")
    world["topic"].merged_into = target
    world["topic"].save()
    response = client.get(reverse("practices:summary", args=[world["topic"].slug]))
    assert response.status_code == 302 and response["Location"].endswith(f"/topics/{target.slug}/summary/")
    assert client.get(reverse("practices:summary", args=["no-such-topic"])).status_code == 404


# --- The PDF ----------------------------------------------------------------------------------------


def test_pdf_for_anonymous_is_clear_on_every_page(client, world):
    response = client.get(reverse("practices:summary_pdf", args=[world["topic"].slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    today = timezone.now().strftime("%Y-%m-%d")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and world["topic"].slug in disposition and today in disposition
    pages = pdf_pages(response.content)
    everything = "\n".join(pages)
    assert CLEAR_TITLE in everything
    assert GREEN_TITLE not in everything and AMBER_TITLE not in everything and "TLP:GREEN" not in everything
    assert "TLP:AMBER" not in everything and "contact.person@polizei.example" not in everything
    assert_marked(pages, "TLP:CLEAR")


def test_pdf_for_audience_member_is_amber_on_every_page(world):
    pages = pdf_pages(render_summary_pdf(world["topic"], world["insider"]))
    everything = "\n".join(pages)
    assert AMBER_TITLE in everything and "keep the hit list small" in everything
    assert "contact.person@polizei.example" in everything
    assert_marked(pages, "TLP:AMBER")


def test_pdf_for_outsider_is_green_without_amber(world):
    pages = pdf_pages(render_summary_pdf(world["topic"], world["outsider"]))
    everything = "\n".join(pages)
    assert GREEN_TITLE in everything and AMBER_TITLE not in everything and "Amber statute" not in everything
    assert "TLP:AMBER" not in everything
    assert_marked(pages, "TLP:GREEN")


def test_pdf_has_cover_contents_and_page_numbers(world):
    pages = pdf_pages(render_summary_pdf(world["topic"], world["insider"]))
    total = len(pages)
    assert total >= 5  # cover, contents, overview, comparison, lessons, contacts, about
    assert world["topic"].name in pages[0] and timezone.now().strftime("%Y") in pages[0]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
    contents = pages[1]
    assert "Contents" in contents
    # Each entry ends with the page its chapter starts on (target-counter), and that page has the chapter.
    match = re.search(r"Comparison across countries\W*(\d+)", contents)
    assert match, contents
    assert "2. Comparison across countries" in pages[int(match.group(1)) - 1]


def test_pdf_comparison_is_grouped_by_country_with_short_excerpts(world):
    from enlets.practices.summary import PDF_RESULTS_LENGTH, pdf_countries

    long_results = "Stolen vehicles were found within hours. " * 20
    make_practice(
        world["author"],
        topics=[world["topic"]],
        state="published",
        reviewer=world["reviewer"],
        tlp="GREEN",
        title="Shared plates with Austria",
        countries=[country("AT"), country("DE")],
        results=long_results,
        technology="Plate readers on gantries",
    )
    summary = compile_summary(world["topic"], world["insider"])
    groups = pdf_countries(summary)
    # Each practice once, under its first country, in the order the summary sorted them.
    assert [r.title for g in groups for r in g.rows] == [r.title for r in summary.rows]
    assert [g.name for g in groups] == ["Austria", "Germany"]
    (shared,) = groups[0].rows
    # The PDF's cell is shorter than the page's excerpt, and says it was cut.
    page_row = next(r for r in summary.rows if r.title == "Shared plates with Austria")
    assert len(shared.results) <= PDF_RESULTS_LENGTH < len(page_row.results) and shared.results.endswith("…")

    pages = pdf_pages(render_summary_pdf(world["topic"], world["insider"]))
    flat = " ".join("\n".join(pages).split())
    # Every column the comparison promises: practice, countries, marking, technology, cost band, DPIA,
    # results, legal basis and adoption, with a heading per country.
    assert "Austria · 1 practice" in flat and "Germany · 3 practices" in flat
    assert "Shared plates with Austria · Austria, Germany · TLP:GREEN" in flat
    assert "Plate readers on gantries" in flat and "DPIA:" in flat
    assert "Stolen vehicles were found within hours." in flat and "Amber statute 99" in flat
    assert_marked(pages, "TLP:AMBER")


def test_pdf_fetches_nothing_from_outside():
    from enlets.practices.summary import _make_fetcher

    fetcher = _make_fetcher()
    for url in ("http://example.com/x.css", "https://127.0.0.1/", "file:///etc/passwd", "data:,x"):
        with pytest.raises(ValueError):
            fetcher(url)


def test_pdf_escapes_topic_name_in_margin_boxes(world):
    world["topic"].name = 'Evil"; } @page { content: "x</style><h1>Injected'
    world["topic"].save()
    pages = pdf_pages(render_summary_pdf(world["topic"], None))
    assert "Injected" in pages[0]  # the name is printed as text...
    assert_marked(pages, "TLP:CLEAR")  # ...and the margin boxes still hold


# --- CSV and JSON exports ---------------------------------------------------------------------------


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def json_body(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


def test_csv_export_anonymous_gets_clear_only(client, world):
    response = client.get(reverse("practices:export", args=["csv"]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [r["title"] for r in rows] == [CLEAR_TITLE]
    assert list(rows[0].keys()) == [
        "id",
        "title",
        "state",
        "tlp",
        "topics",
        "countries",
        "organisations",
        "technology",
        "cost band",
        "year",
        "published_at",
        "url",
    ]
    assert rows[0]["topics"] == world["topic"].slug and rows[0]["countries"] == "DE"
    assert rows[0]["url"].endswith(f"/practices/{world['clear'].pk}/")


def test_exports_obey_visibility(client, world):
    client.force_login(world["outsider"])
    outsider_titles = {r["title"] for r in csv_rows(client.get(reverse("practices:export", args=["csv"])))}
    assert outsider_titles == {CLEAR_TITLE, GREEN_TITLE}
    client.force_login(world["insider"])
    body = json_body(client.get(reverse("practices:export", args=["json"])))
    assert body["count"] == 3 and {r["title"] for r in body["results"]} == {CLEAR_TITLE, GREEN_TITLE, AMBER_TITLE}
    # The owner also exports their own draft (the list shows it to them too).
    client.force_login(world["author"])
    owner = json_body(client.get(reverse("practices:export", args=["json"])))
    assert DRAFT_TITLE in {r["title"] for r in owner["results"]}


def test_exports_obey_filters_and_order(client, world):
    client.force_login(world["insider"])
    url = reverse("practices:export", args=["json"])
    body = json_body(client.get(url, {"tlp": "AMBER"}))
    assert [r["title"] for r in body["results"]] == [AMBER_TITLE]
    body = json_body(client.get(url, {"topic": "no-such-topic"}))
    assert body == {"count": 0, "results": []}
    body = json_body(client.get(url, {"topic": world["topic"].slug, "sort": "title"}))
    assert [r["title"] for r in body["results"]] == sorted([AMBER_TITLE, CLEAR_TITLE, GREEN_TITLE])
    rows = csv_rows(client.get(reverse("practices:export", args=["csv"]), {"q": "border"}))
    assert [r["title"] for r in rows] == [GREEN_TITLE]


def test_export_bad_input(client, world):
    response = client.get(reverse("practices:export", args=["xml"]))
    assert response.status_code == 404
    response = client.get(reverse("practices:export", args=["json"]), {"year": "soon", "tlp": "PURPLE"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["errors"]) == {"year", "tlp"}
    response = client.get(reverse("practices:export", args=["csv"]), {"year": "1200"})
    assert response.status_code == 400 and b"year" in response.content


def test_export_audits_amber_reads_per_item(client, world):
    client.force_login(world["insider"])
    b"".join(client.get(reverse("practices:export", args=["csv"])).streaming_content)
    events = AuditEvent.objects.filter(action="practices.practice.export", actor=world["insider"])
    assert list(events.values_list("object_id", flat=True)) == [str(world["amber"].pk)]
    assert events.get().changes == {"format": "csv"}


def test_csv_cells_cannot_run_as_formulas(client, world):
    practice = Practice.objects.get(pk=world["clear"].pk)
    practice.technology = '=HYPERLINK("http://evil")'
    practice.save(update_fields=["technology"])
    rows = csv_rows(client.get(reverse("practices:export", args=["csv"])))
    assert rows[0]["technology"].startswith("'=")


def test_pdf_label_follows_the_strictest_item_per_reader(world):
    named = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    make_practice(
        world["author"],
        topics=[world["topic"]],
        state="published",
        reviewer=world["reviewer"],
        tlp="AMBER+STRICT",
        audience={"audience_organisations": [named.organisation]},
        title="Strict practice for one organisation",
    )
    make_practice(
        world["author"],
        topics=[world["topic"]],
        state="published",
        reviewer=world["reviewer"],
        tlp="RED",
        audience={"audience_people": [named]},
        title="Red practice for one person",
    )
    pages = pdf_pages(render_summary_pdf(world["topic"], named))
    assert "Red practice for one person" in "\n".join(pages)
    assert_marked(pages, "TLP:RED")
    # The AMBER audience member sees neither the RED nor the AMBER+STRICT practice, and stays AMBER.
    pages = pdf_pages(render_summary_pdf(world["topic"], world["insider"]))
    everything = "\n".join(pages)
    assert "Red practice" not in everything and "Strict practice" not in everything
    assert "TLP:RED" not in everything and "TLP:AMBER+STRICT" not in everything
    assert_marked(pages, "TLP:AMBER")


# --- The access matrix on the summary, its PDF and the exports --------------------------------------
# Every role of tests/access_matrix.py against every marking case: the keys each endpoint shows are
# exactly the cases the role may see (published only for summaries; not archived for the exports, as
# on the list page), and the PDF's header and footer carry the strictest of them.


def _matrix_topic_slug(world) -> str:
    return world.practice_topic.slug


def _keys_in(text: str, world) -> set[str]:
    flat = " ".join(text.split())  # titles may wrap inside a table cell
    return {key for key in world.items if case_title(key) in flat}


def _summary_page_reader(response, world):
    return _keys_in(response.content.decode(), world), None


def _summary_pdf_reader(response, world):
    pages = pdf_pages(response.content)
    keys = _keys_in("\n".join(pages), world)
    strictest = max((CASES[k].tlp for k in keys), key=TLP.strictness, default=TLP.CLEAR.value)
    assert_marked(pages, f"TLP:{strictest}")
    return keys, None


def _csv_reader(response, world):
    rows = csv_rows(response)
    return _keys_in(" | ".join(r["title"] for r in rows), world), len(rows)


def _json_reader(response, world):
    body = json_body(response)
    return _keys_in(" | ".join(r["title"] for r in body["results"]), world), body["count"]


def _published(case) -> bool:
    return case.state == "published"


def _not_archived(case) -> bool:
    return case.state != "archived"


DISSEMINATION_ENDPOINTS = [
    ListEndpoint(
        "summary",
        PAGE,
        lambda w: reverse("practices:summary", args=[_matrix_topic_slug(w)]),
        _summary_page_reader,
        select=_published,
    ),
    ListEndpoint(
        "summary_pdf",
        PAGE,
        lambda w: reverse("practices:summary_pdf", args=[_matrix_topic_slug(w)]),
        _summary_pdf_reader,
        select=_published,
    ),
    ListEndpoint(
        "export_csv", PAGE, lambda w: reverse("practices:export", args=["csv"]), _csv_reader, select=_not_archived
    ),
    ListEndpoint(
        "export_json", PAGE, lambda w: reverse("practices:export", args=["json"]), _json_reader, select=_not_archived
    ),
    ListEndpoint(
        "export_json_amber",
        PAGE,
        lambda w: reverse("practices:export", args=["json"]) + "?tlp=AMBER",
        _json_reader,
        select=lambda case: case.tlp == "AMBER" and case.state != "archived",
    ),
]


class TestDisseminationAccessMatrix(AccessMatrixTests):
    matrix = AccessMatrix(
        model=Practice,
        create_item=create_practice,
        detail_endpoints=[],
        list_endpoints=DISSEMINATION_ENDPOINTS,
        public_pages=True,
    )
