"""A member uploads an AMBER document for their interest group; a member of another group gets 404."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.access_matrix import PDF_BYTES
from tests.e2e.conftest import sign_in_as
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLE = "Drone detection field trial: results"


def test_amber_document_for_a_group_is_hidden_from_another_group(new_context: Any, live_server: Any) -> None:
    from enlets.documents.models import Document

    drones = InterestGroupFactory(name="Drones and counter-drones", slug="drones")
    forensics = InterestGroupFactory(name="Digital forensics", slug="forensics")
    author = UserFactory(first_name="Eva", last_name="Smit")
    colleague = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    outsider = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    join(author, drones)
    join(colleague, drones)
    join(outsider, forensics)

    # (c) The author writes the document in the group's space, marks it AMBER and attaches a PDF.
    author_context = new_context()
    sign_in_as(author_context, live_server, author)
    page = author_context.new_page()
    response = page.goto("/documents/new/?space=group&group=drones")
    assert response is not None and response.status == 200
    page.fill("input[name=title]", TITLE)
    page.fill("[name=summary]", "What worked, what did not, at three airports.")
    page.fill("textarea[name=body]", "## Findings\n\nRadar plus RF detection found **every** test drone.")
    page.select_option("select[name=space]", "group:drones")
    page.check("input[name=tlp][value=AMBER]")
    page.select_option("select[name=state]", "published")
    page.set_input_files(
        "input[name=files]", files=[{"name": "trial-results.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.locator("form.document-form [type=submit]").click()
    page.wait_for_url(re.compile(r".*/documents/\d+/$"))

    document = Document.objects.get(title=TITLE)
    assert document.tlp == "AMBER" and document.state == "published"
    assert document.space_group == drones
    # In a group's space an AMBER document is shared with that group unless told otherwise.
    assert list(document.audience_groups.all()) == [drones]
    attachment = document.attachments.get()
    assert attachment.original_name == "trial-results.pdf" and attachment.content_type == "application/pdf"

    text = page.inner_text("main")
    assert "TLP:AMBER" in text and "Drones and counter-drones" in text and "trial-results.pdf" in text
    detail_path = f"/documents/{document.pk}/"
    file_path = f"/documents/{document.pk}/files/{attachment.pk}/"

    # Another member of the same group sees it, and can download the file.
    colleague_context = new_context()
    sign_in_as(colleague_context, live_server, colleague)
    colleague_page = colleague_context.new_page()
    response = colleague_page.goto(detail_path)
    assert response is not None and response.status == 200
    assert TITLE in colleague_page.inner_text("main")
    download = colleague_context.request.get(f"{live_server.url}{file_path}")
    assert download.status == 200 and download.body() == PDF_BYTES

    # (d) A member of another group gets the 404 page, exactly as for a document that does not exist.
    outsider_context = new_context()
    sign_in_as(outsider_context, live_server, outsider)
    outsider_page = outsider_context.new_page()
    response = outsider_page.goto(detail_path)
    assert response is not None and response.status == 404
    hidden = outsider_page.content()
    assert TITLE not in hidden and "trial-results" not in hidden
    hidden_text = outsider_page.inner_text("main")
    assert "Not found" in hidden_text
    missing = outsider_page.goto(f"/documents/{document.pk + 1000}/")
    assert missing is not None and missing.status == 404
    assert outsider_page.inner_text("main") == hidden_text  # the same page as for a document that does not exist
    assert outsider_context.request.get(f"{live_server.url}{file_path}").status == 404
    # Nor is it in their list.
    outsider_page.goto("/documents/")
    assert TITLE not in outsider_page.content()
