"""The review of a practice, end to end in Chromium: a member drafts and submits, a reviewer asks
for changes, the author revises and resubmits, the reviewer publishes, and the practice then
appears in its topic's summary page and in the summary's PDF."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from tests.e2e.conftest import sign_in_as
from tests.factories import OrganisationFactory, UserFactory, country

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLE = "Fixed ANPR at border crossings: stolen vehicles found within hours"


def _fill_practice(page: Any) -> None:
    page.fill("input[name=title]", TITLE)
    page.fill("[name=summary]", "Fixed cameras at 12 crossings matched plates against the stolen-vehicle list.")
    page.select_option("select[name=topics]", label="ANPR")
    page.fill("[name=problem]", "Stolen cars left the country before a patrol could react.")
    page.fill("[name=solution]", "Fixed **ANPR** cameras at 12 crossings, with alerts to the nearest patrol.")
    page.fill("input[name=technology]", "ANPR cameras, hit-list matching")
    page.fill("[name=results]", "Recoveries rose.")
    page.fill("[name=legal_basis]", "Police Act, article 3.")
    page.fill("[name=transferability]", "Needs a national hit list and a legal basis for keeping hits.")
    page.check("input[name=tlp][value=GREEN]")


def test_draft_review_revise_publish_and_summarise(new_context: Any, live_server: Any) -> None:
    from pypdf import PdfReader

    from enlets.practices.models import Practice, Topic

    anpr = Topic.objects.get(slug="anpr")
    author = UserFactory(first_name="Anouk", last_name="de Vries")
    reviewer = UserFactory(
        first_name="Jonas", last_name="Weber", organisation=OrganisationFactory(country=country("DE"))
    )
    anpr.reviewers.set([reviewer])

    # The member drafts the practice and submits it.
    author_context = new_context()
    sign_in_as(author_context, live_server, author)
    page = author_context.new_page()
    response = page.goto("/practices/new/")
    assert response is not None and response.status == 200
    _fill_practice(page)
    page.locator("form.practice-form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/practices/\d+/$"))
    practice = Practice.objects.get(title=TITLE)
    assert practice.state == "draft"
    detail_path = f"/practices/{practice.pk}/"
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(rf".*{detail_path}$"))
    assert "Submitted" in page.inner_text("main")
    practice.refresh_from_db()
    assert practice.state == "submitted"

    # The reviewer asks for changes, with a comment.
    reviewer_context = new_context()
    sign_in_as(reviewer_context, live_server, reviewer)
    review = reviewer_context.new_page()
    response = review.goto(f"{detail_path}review/")
    assert response is not None and response.status == 200
    review.fill("[name=comment]", "Give the measured figures: how many recoveries, over which period?")
    review.get_by_role("button", name="Request changes").click()
    review.wait_for_load_state()
    practice.refresh_from_db()
    assert practice.state == "changes_requested"

    # The author sees the request, revises the results and submits again.
    page.goto(detail_path)
    assert "how many recoveries" in page.inner_text("main")
    page.goto(f"{detail_path}edit/")
    page.fill("[name=results]", "Recoveries within 24 hours rose from 31% to 58% over 12 months (measured).")
    page.locator("form.practice-form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf".*{detail_path}$"))
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(rf".*{detail_path}$"))
    practice.refresh_from_db()
    assert practice.state == "submitted"

    # The reviewer ticks every criterion and publishes.
    review.goto(f"{detail_path}review/")
    for checkbox in review.locator("input[name=checklist]").all():
        checkbox.check()
    review.fill("[name=comment]", "Evidence now given. Published.")
    review.get_by_role("button", name="Publish").click()
    review.wait_for_load_state()
    practice.refresh_from_db()
    assert practice.state == "published"
    assert practice.revisions.count() == 1

    # The practice appears in the topic summary, and in its PDF with the marking on every page.
    summary = reviewer_context.new_page()
    response = summary.goto("/practices/topics/anpr/summary/")
    assert response is not None and response.status == 200
    assert TITLE in summary.inner_text("main")
    pdf = reviewer_context.request.get(f"{live_server.url}/practices/topics/anpr/summary.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Fixed ANPR at border crossings" in text
    assert all("TLP:GREEN" in p.extract_text() for p in reader.pages)
