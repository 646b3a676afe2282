"""The practice pages: list (filters, sorting, pagination, empty state), the practice page and its
public teaser, the form (create, edit, save as you go, Markdown preview, files), delete, files, and
revisions with their diffs."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enlets.core.models import TLP, AuditEvent
from enlets.network.models import Role
from enlets.practices import actions
from enlets.practices.diff import diff_content, diff_text, visible_revisions
from enlets.practices.models import Practice, PracticeAttachment, PracticeRevision
from tests.factories import OrganisationFactory, UserFactory, country, make_practice, make_topic

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# The start of a Windows (PE) executable named as a PDF: the check looks at content, not name.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a temporary folder, so tests see exactly which files were stored."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def world():
    author = UserFactory(first_name="Anna", last_name="Author")
    reviewer = UserFactory(first_name="Rita", last_name="Reviewer")
    reader = UserFactory(first_name="Rob", last_name="Reader")
    topic = make_topic("ANPR pages", reviewers=[reviewer])
    return author, reviewer, reader, topic


def form_data(topic=None, **overrides) -> dict:
    data = {
        "title": "Drone detection at airports",
        "summary": "Radar and RF sensors found drones near runways.",
        "problem": "Drones near **runways**.",
        "solution": "Radar plus RF detection.",
        "technology": "Radar, RF sensors",
        "implementation_start": "2023-02-01",
        "implementation_end": "",
        "cost_band": "50k_250k",
        "staffing": "2 FTE operators",
        "procurement_route": "open_tender",
        "implementation": "Six months of trials.",
        "results": "Detection rate 91% in trials.",
        "lessons": "Calibrate often.",
        "legal_basis": "Aviation Act.",
        "dpia": "done",
        "fundamental_rights": "RF content is not recorded.",
        "transferability": "Needs airport cooperation.",
        "contact_note": "cuas@example.test",
        "public_teaser": "",
        "tlp": TLP.GREEN,
    }
    if topic is not None:
        data["topics"] = [topic.pk]
    data.update(overrides)
    return data


# --- list --------------------------------------------------------------------------------------


def test_list_is_public_for_clear_and_shows_more_to_members(client, world):
    author, reviewer, reader, topic = world
    make_practice(author, topics=[topic], state="published", reviewer=reviewer, tlp=TLP.CLEAR, title="Clear one")
    make_practice(author, topics=[topic], state="published", reviewer=reviewer, tlp=TLP.GREEN, title="Green one")
    make_practice(author, topics=[topic], state="draft", title="Draft one")

    page = client.get(reverse("practices:list")).content.decode()
    assert "Clear one" in page and "Green one" not in page and "Draft one" not in page
    assert "1 result" in page
    assert "TLP:CLEAR" in page

    client.force_login(reader)
    page = client.get(reverse("practices:list")).content.decode()
    assert "Clear one" in page and "Green one" in page and "Draft one" not in page
    assert "2 results" in page

    client.force_login(author)
    page = client.get(reverse("practices:list")).content.decode()
    assert "Draft one" in page and "3 results" in page
    practice = Practice.objects.get(title="Green one")
    assert f'href="{practice.get_absolute_url()}"' in page


@pytest.mark.django_db
def test_the_default_order_can_be_read_from_the_list_index():
    """Only a nullable sort column says where its nulls go: "NULLS LAST" on `updated_at` (never null)
    kept PostgreSQL from reading the `practice_updated` index in order, and every list page sorted
    all visible practices (0.8 s at a million). Drafts still go last on the publication date."""
    from django.db import connection

    from enlets.practices.filters import order

    newest, _ = order(Practice.objects.all(), None)  # access: the SQL of the ordering only
    published, _ = order(Practice.objects.all(), "-published")  # access: the SQL of the ordering only
    assert "NULLS" not in str(newest.query)
    assert "NULLS LAST" in str(published.query)
    if connection.vendor == "postgresql":
        sql, params = newest[:25].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is small enough to scan
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "practice_updated" in plan, plan


def test_list_filters_sort_and_export_links(client, world):
    author, reviewer, reader, topic = world
    other_topic = make_topic("OSINT pages", reviewers=[reviewer])
    be_org = OrganisationFactory(country=country("BE"), name="Belgian Police Pages")
    make_practice(author, topics=[topic], state="published", reviewer=reviewer, title="Alpha ANPR", technology="ANPR")
    make_practice(
        author,
        topics=[other_topic],
        state="published",
        reviewer=reviewer,
        title="Beta OSINT",
        technology="Crawler",
        countries=[country("BE")],
        organisations=[be_org],
    )
    client.force_login(reader)

    page = client.get(reverse("practices:list"), {"topic": other_topic.slug}).content.decode()
    assert "Beta OSINT" in page and "Alpha ANPR" not in page
    page = client.get(reverse("practices:list"), {"country": "BE"}).content.decode()
    assert "Beta OSINT" in page and "Alpha ANPR" not in page
    page = client.get(reverse("practices:list"), {"organisation": be_org.pk}).content.decode()
    assert "Beta OSINT" in page and "Alpha ANPR" not in page
    page = client.get(reverse("practices:list"), {"technology": "anpr"}).content.decode()
    assert "Alpha ANPR" in page and "Beta OSINT" not in page
    page = client.get(reverse("practices:list"), {"q": "osint"}).content.decode()
    assert "Beta OSINT" in page and "Alpha ANPR" not in page

    ascending = client.get(reverse("practices:list"), {"sort": "title"}).content.decode()
    descending = client.get(reverse("practices:list"), {"sort": "-title"}).content.decode()
    assert ascending.index("Alpha ANPR") < ascending.index("Beta OSINT")
    assert descending.index("Beta OSINT") < descending.index("Alpha ANPR")

    # The export links keep the filters (the export view applies the same PracticeFilters).
    page = client.get(reverse("practices:list"), {"country": "BE", "sort": "title"}).content.decode()
    assert f"{reverse('practices:export', args=['csv'])}?country=BE&amp;sort=title" in page
    assert f"{reverse('practices:export', args=['json'])}?country=BE&amp;sort=title" in page
    # Labelled selects of topics, countries and organisations.
    assert '<label for="f-topic">Topic</label>' in page
    assert '<label for="f-country">Country</label>' in page
    assert '<label for="f-organisation">Organisation</label>' in page


def test_list_bad_filter_values_are_named_not_errors(client, world):
    author, reviewer, reader, topic = world
    make_practice(author, topics=[topic], state="published", reviewer=reviewer, title="Still listed")
    client.force_login(reader)
    response = client.get(reverse("practices:list"), {"year": "soon", "tlp": "PURPLE"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Give a whole number." in page and "Still listed" in page


def test_list_empty_state_and_archived_only_on_request(client, world):
    author, reviewer, reader, topic = world
    make_practice(author, topics=[topic], state="archived", reviewer=reviewer, title="Old archived one")
    client.force_login(reader)
    page = client.get(reverse("practices:list")).content.decode()
    assert 'class="empty"' in page and "Old archived one" not in page
    page = client.get(reverse("practices:list"), {"state": "archived"}).content.decode()
    assert "Old archived one" in page
    page = client.get(reverse("practices:list"), {"q": "nothing-matches-this"}).content.decode()
    assert "No practices you may see match these filters." in page


def test_list_paginates(client, world):
    author, _reviewer, _reader, _topic = world
    for n in range(27):
        actions.do_create_practice(author, title=f"Paged draft {n:02d}")
    client.force_login(author)
    first = client.get(reverse("practices:list"), {"sort": "title"}).content.decode()
    assert "27 results" in first and "Paged draft 00" in first and "Paged draft 25" not in first
    assert 'rel="next"' in first
    second = client.get(reverse("practices:list"), {"sort": "title", "page": 2}).content.decode()
    assert "Paged draft 25" in second and "Paged draft 26" in second and "Paged draft 00" not in second


# --- detail ------------------------------------------------------------------------------------


def test_detail_shows_every_section_sanitised(client, world):
    author, reviewer, reader, topic = world
    practice = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        title="Full practice",
        lessons="Keep **spares**. <script>alert('x')</script>",
        staffing="Three officers",
        cost_band="250k_1m",
        procurement_route="framework",
        dpia="done",
        fundamental_rights="Retention limited to 28 days.",
        public_teaser="A public abstract.",
    )
    related = make_practice(author, topics=[topic], state="published", reviewer=reviewer, title="Sibling practice")
    make_practice(author, topics=[topic], state="draft", title="Hidden draft sibling")
    client.force_login(reader)
    response = client.get(practice.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Full practice",
        "TLP:GREEN",
        "Stolen vehicles crossed the border",  # problem
        "<strong>ANPR</strong>",  # solution, rendered Markdown
        "Recovery within 24 hours",  # results
        "<strong>spares</strong>",  # lessons
        "Police Act, article 3",  # legal basis
        "Retention limited to 28 days.",  # fundamental rights
        "Needs a national hit list",  # transferability
        "EUR 250,000 to 1 million",
        "Three officers",
        "Framework contract",
        "Data-protection impact assessment",
        reverse("practices:topic", args=[topic.slug]),
        "Netherlands",
        author.display_name,
        author.email,  # contact e-mail: the reader is a community member
        reverse("practices:revisions", args=[practice.pk]),
        "1 revision",
        related.get_absolute_url(),
    ):
        assert text in page, text
    assert "<script>alert" not in page
    assert "Hidden draft sibling" not in page
    # The teaser is shown as such to authors only.
    assert "Public teaser" not in page
    client.force_login(author)
    assert "Public teaser" in client.get(practice.get_absolute_url()).content.decode()


def test_contact_email_only_for_signed_in_community(client, world):
    author, reviewer, _reader, topic = world
    practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer, tlp=TLP.CLEAR)
    page = client.get(practice.get_absolute_url()).content.decode()
    assert author.display_name in page and author.email not in page
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind="industry"))
    client.force_login(partner)
    page = client.get(practice.get_absolute_url()).content.decode()
    assert author.display_name in page and author.email not in page


def test_amber_read_is_audited(client, world):
    author, reviewer, reader, topic = world
    practice = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        tlp=TLP.AMBER,
        audience={"audience_people": [reader]},
    )
    client.force_login(reader)
    assert client.get(practice.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.filter(
        action="practices.practice.read", actor_id=reader.pk, object_id=str(practice.pk)
    ).exists()


def test_teaser_for_who_may_not_see_and_404_without_it(client, world):
    author, reviewer, reader, topic = world
    secret = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        tlp=TLP.RED,
        audience={"audience_people": [reviewer]},
        title="Teased practice",
        public_teaser="We cut search time by half.",
        problem="Secret problem text",
    )
    hidden = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        tlp=TLP.RED,
        audience={"audience_people": [reviewer]},
        title="Untold practice",
    )
    draft = make_practice(author, topics=[topic], title="Teased draft", public_teaser="Not yet public.")

    client.force_login(reader)
    response = client.get(secret.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "We cut search time by half." in page and "Teased practice" in page
    assert "details are restricted" in page and "Secret problem text" not in page
    assert "TLP:RED" in page
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(draft.get_absolute_url()).status_code == 404  # a teaser is public once published only

    client.logout()
    response = client.get(secret.get_absolute_url())
    assert response.status_code == 200 and "Sign in" in response.content.decode()
    response = client.get(hidden.get_absolute_url())
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- create and edit ---------------------------------------------------------------------------


def test_create_draft_with_every_field_and_a_file(client, world, media):
    author, _reviewer, reader, topic = world
    client.force_login(author)
    page = client.get(reverse("practices:create")).content.decode()
    for legend in (
        "Summary",
        "Problem and solution",
        "Implementation",
        "Results and lessons",
        "Legal and rights",
        "Transferability and contacts",
        "Marking and audience",
        "Public teaser",
    ):
        assert f"<legend>{legend}</legend>" in page
    assert 'hx-post="/practices/preview/"' in page
    assert "What changed" not in page  # the revision note is for published practices only

    data = form_data(topic, co_authors=[reader.pk], contacts=[author.pk], countries=["DE"])
    data["files"] = [SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")]
    response = client.post(reverse("practices:create"), data)
    assert response.status_code == 302
    practice = Practice.objects.get(title="Drone detection at airports")
    assert response["Location"] == practice.get_absolute_url()
    assert practice.state == "draft" and practice.owner == author
    assert practice.cost_band == "50k_250k" and practice.dpia == "done"
    assert practice.implementation_start.isoformat() == "2023-02-01" and practice.implementation_end is None
    assert list(practice.topics.all()) == [topic]
    assert list(practice.countries.values_list("pk", flat=True)) == ["DE"]
    assert list(practice.co_authors.all()) == [reader]
    assert [a.original_name for a in practice.attachments.all()] == ["report.pdf"]
    assert len(stored_files(media)) == 1


def test_create_refuses_wrong_file_type_and_saves_nothing(client, world, media):
    author, _reviewer, _reader, topic = world
    client.force_login(author)
    data = form_data(topic)
    data["files"] = [SimpleUploadedFile("tool.pdf", EXE, content_type="application/pdf")]
    response = client.post(reverse("practices:create"), data)
    assert response.status_code == 200
    assert "tool.pdf" in response.content.decode()
    assert not Practice.objects.filter(title="Drone detection at airports").exists()
    assert stored_files(media) == []


def test_create_needs_a_title_and_a_community_member(client, world):
    author, _reviewer, _reader, _topic = world
    client.force_login(author)
    response = client.post(reverse("practices:create"), form_data(title=""))
    assert response.status_code == 200 and not Practice.objects.exists()
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind="industry"))
    client.force_login(partner)
    assert client.get(reverse("practices:create")).status_code == 403
    client.logout()
    assert client.get(reverse("practices:create")).status_code == 302


def test_edit_published_keeps_a_revision_with_the_note(client, world):
    author, reviewer, _reader, topic = world
    practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    client.force_login(author)
    page = client.get(reverse("practices:edit", args=[practice.pk])).content.decode()
    assert "What changed" in page and "data-autosave-url" not in page
    data = form_data(topic, title=practice.title, results="Recovery rose to 61%.", note="New figures")
    response = client.post(reverse("practices:edit", args=[practice.pk]), data)
    assert response.status_code == 302
    latest = PracticeRevision.objects.filter(practice=practice).order_by("-number").first()
    assert latest.number == 2 and latest.note == "New figures"
    assert latest.content["results"] == "Recovery rose to 61%."


def test_edit_refusals(client, world):
    author, reviewer, reader, topic = world
    submitted = make_practice(author, topics=[topic], state="submitted", reviewer=reviewer)
    published = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    client.force_login(author)
    response = client.get(reverse("practices:edit", args=[submitted.pk]))
    assert response.status_code == 403 and "withdraw it to draft first" in response.content.decode()
    client.force_login(reader)  # sees the published practice, is no author
    assert client.get(reverse("practices:edit", args=[published.pk])).status_code == 403
    assert client.get(reverse("practices:edit", args=[submitted.pk])).status_code == 404
    client.force_login(reviewer)  # sees the submission, may not edit it
    assert client.get(reverse("practices:edit", args=[submitted.pk])).status_code == 403


def test_autosave_saves_a_draft_and_answers_204(client, world):
    author, _reviewer, _reader, topic = world
    practice = actions.do_create_practice(author, title="Autosaved")
    client.force_login(author)
    page = client.get(reverse("practices:edit", args=[practice.pk])).content.decode()
    assert f'data-autosave-url="{reverse("practices:edit", args=[practice.pk])}"' in page
    assert "practices/autosave.js" in page
    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        form_data(topic, title="Autosaved", results="Half way written"),
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 204
    assert response["X-Autosave-Status"].startswith("Saved at ")
    practice.refresh_from_db()
    assert practice.results == "Half way written" and practice.state == "draft"


def test_autosave_with_errors_answers_422_and_saves_nothing(client, world):
    author, _reviewer, _reader, topic = world
    practice = actions.do_create_practice(author, title="Autosaved", results="Original")
    client.force_login(author)
    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        form_data(topic, title="", results="Changed"),
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 422
    body = json.loads(response.content)
    assert body["code"] and "title" in body["errors"]
    practice.refresh_from_db()
    assert practice.results == "Original" and practice.title == "Autosaved"
    # A marking that needs an audience it lacks: the action's refusal, also 422.
    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        form_data(topic, title="Autosaved", tlp=TLP.RED, audience_countries=["NL"], results="Changed"),
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 422
    practice.refresh_from_db()
    assert practice.results == "Original" and practice.tlp == TLP.GREEN


def test_autosave_never_revises_a_published_practice(client, world):
    author, reviewer, _reader, topic = world
    practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    client.force_login(author)
    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        form_data(topic, title=practice.title, results="Typing"),
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 409
    assert PracticeRevision.objects.filter(practice=practice).count() == 1


def test_autosave_refusal_is_json_with_the_reason(client, world):
    author, reviewer, _reader, topic = world
    practice = make_practice(author, topics=[topic], state="submitted", reviewer=reviewer)
    client.force_login(author)
    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        form_data(topic, title=practice.title, results="Typing"),
        headers={"X-Autosave": "1"},
    )
    assert response.status_code == 403
    assert "withdraw it to draft first" in json.loads(response.content)["message"]
    practice.refresh_from_db()
    assert practice.results != "Typing"


def test_preview_renders_sanitised_markdown(client, world):
    author, _reviewer, _reader, _topic = world
    url = reverse("practices:preview")
    assert client.post(url, {"field": "problem", "problem": "x"}).status_code == 302  # sign in first
    client.force_login(author)
    response = client.post(url, {"field": "problem", "problem": "**Bold** <script>alert(1)</script> [x](javascript:y)"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert client.get(url).status_code == 405


def test_preview_needs_csrf(world):
    from django.test import Client

    author, _reviewer, _reader, _topic = world
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(author)
    assert strict.post(reverse("practices:preview"), {"field": "problem", "problem": "x"}).status_code == 403


# --- delete and files ----------------------------------------------------------------------------


def test_delete_drafts_only_after_confirmation(client, world):
    author, reviewer, reader, topic = world
    draft = actions.do_create_practice(author, title="Throwaway draft", co_authors=[reader])
    published = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    client.force_login(author)
    page = client.get(reverse("practices:delete", args=[draft.pk])).content.decode()
    assert "Delete the draft" in page and "Throwaway draft" in page
    assert client.get(reverse("practices:delete", args=[published.pk])).status_code == 403
    assert client.post(reverse("practices:delete", args=[published.pk])).status_code == 403
    client.force_login(reader)  # a co-author does not delete
    assert client.post(reverse("practices:delete", args=[draft.pk])).status_code == 403
    client.force_login(author)
    response = client.post(reverse("practices:delete", args=[draft.pk]))
    assert response.status_code == 302
    assert not Practice.objects.filter(pk=draft.pk).exists()
    assert Practice.objects.filter(pk=published.pk).exists()


def test_attachment_download_and_remove(client, world, media):
    author, reviewer, reader, topic = world
    practice = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        tlp=TLP.AMBER,
        audience={"audience_people": [reader]},
    )
    upload = SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf")
    attachment = actions.do_add_attachment(author, practice, upload)
    url = reverse("practices:attachment", args=[practice.pk, attachment.pk])

    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    event = AuditEvent.objects.get(action="practices.practice.attachment_download", actor_id=reader.pk)
    assert "evidence.pdf" in json.dumps(event.changes)
    remove = reverse("practices:attachment_remove", args=[practice.pk, attachment.pk])
    assert client.post(remove).status_code == 403

    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302

    client.force_login(author)
    assert "Remove the file" in client.get(remove).content.decode()
    assert PracticeAttachment.objects.filter(pk=attachment.pk).exists()  # GET only asks
    assert client.post(remove).status_code == 302
    assert not PracticeAttachment.objects.filter(pk=attachment.pk).exists()


# --- revisions and diffs -------------------------------------------------------------------------


def test_revisions_list_page_and_diff(client, world):
    author, reviewer, reader, topic = world
    practice = make_practice(author, topics=[topic], state="published", reviewer=reviewer)
    actions.do_update_practice(
        author, practice, results="Recovery within 24 hours rose from 31% to 64% over 18 months.", note="New figures"
    )
    client.force_login(reader)
    page = client.get(reverse("practices:revisions", args=[practice.pk])).content.decode()
    assert "Revision 1" in page and "Revision 2" in page and "New figures" in page
    assert author.display_name in page

    page = client.get(reverse("practices:revision", args=[practice.pk, 1])).content.decode()
    assert "58% over 12 months" in page and "<strong>ANPR</strong>" in page

    # Default: the one before the latest against the latest.
    page = client.get(reverse("practices:diff", args=[practice.pk])).content.decode()
    assert "Changes from revision 1 to revision 2" in page
    assert "<del>58%</del>" in page and "<ins>64%</ins>" in page
    assert "Results and evidence" in page
    assert "Legal basis" not in page.split('class="diff"', 1)[1]  # unchanged fields are left out
    page = client.get(reverse("practices:diff", args=[practice.pk]), {"a": 2, "b": 1}).content.decode()
    assert "<del>64%</del>" in page and "<ins>58%</ins>" in page
    page = client.get(reverse("practices:diff", args=[practice.pk]), {"b": 2}).content.decode()
    assert "Changes from revision 1 to revision 2" in page
    assert client.get(reverse("practices:diff", args=[practice.pk]), {"a": 1, "b": 9}).status_code == 404
    assert client.get(reverse("practices:diff", args=[practice.pk]), {"a": "x", "b": 2}).status_code == 404
    assert client.get(reverse("practices:revision", args=[practice.pk, 9])).status_code == 404


def test_revisions_of_a_hidden_practice_are_404(client, world):
    author, reviewer, reader, topic = world
    practice = make_practice(
        author, topics=[topic], state="published", reviewer=reviewer, tlp=TLP.RED, audience={"audience_people": []}
    )
    client.force_login(reader)
    for url in (
        reverse("practices:revisions", args=[practice.pk]),
        reverse("practices:revision", args=[practice.pk, 1]),
        reverse("practices:diff", args=[practice.pk]),
    ):
        assert client.get(url).status_code == 404, url
    client.logout()
    assert client.get(reverse("practices:revision", args=[practice.pk, 1])).status_code == 302


def test_stricter_revision_only_for_authors(client, world):
    author, reviewer, reader, topic = world
    co_author = UserFactory()
    practice = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        tlp=TLP.AMBER,
        audience={"audience_people": [co_author]},
        results="Secret figure 77%.",
    )
    practice.co_authors.add(co_author)
    # Opened up to GREEN, with the figure removed: revision 1 stays AMBER.
    actions.do_update_practice(author, practice, tlp=TLP.GREEN, results="Figures on request.", note="Opened up")
    practice.refresh_from_db()
    assert set(visible_revisions(reader, practice).values_list("number", flat=True)) == {2}
    assert set(visible_revisions(co_author, practice).values_list("number", flat=True)) == {1, 2}

    client.force_login(reader)
    page = client.get(reverse("practices:revisions", args=[practice.pk])).content.decode()
    assert "Revision 2" in page and "Revision 1" not in page
    assert client.get(reverse("practices:revision", args=[practice.pk, 1])).status_code == 404
    assert client.get(reverse("practices:diff", args=[practice.pk]), {"a": 1, "b": 2}).status_code == 404
    page = client.get(reverse("practices:diff", args=[practice.pk])).content.decode()
    assert "nothing to compare" in page and "77%" not in page
    assert "1 revision" in client.get(practice.get_absolute_url()).content.decode()

    client.force_login(co_author)
    page = client.get(reverse("practices:diff", args=[practice.pk])).content.decode()
    assert "Changes from revision 1 to revision 2" in page and "<del>" in page and "77%" in page


def test_diff_is_word_level_and_escaped():
    html = str(diff_text("The <b>cat</b> sat", "The <b>dog</b> sat"))
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "<del>" in html and "<ins>" in html and html.startswith("The ")
    rows = {row.name: row for row in diff_content({"topics": ["ANPR", "OSINT"]}, {"topics": ["ANPR", "SIGINT"]})}
    assert rows["topics"].changed
    assert str(rows["topics"].html) == "ANPR, <del>OSINT</del>, <ins>SIGINT</ins>"
    assert not rows["title"].changed
