"""The document library pages: list, create/edit, detail, files, delete, transfer, and the dashboard."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enlets.core.models import TLP, AuditEvent
from enlets.documents import actions
from enlets.documents.models import Attachment, Document
from enlets.network.models import GroupMembership, Role
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join, make_document

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# The start of a Windows (PE) executable, named as if it were a PDF: the check looks at content, not name.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a temporary folder, so tests can see exactly which files were stored."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def form_data(**overrides) -> dict:
    data = {
        "title": "Drone detection field test",
        "summary": "What we learned",
        "body": "# Results\n\nIt **works**.",
        "space": "personal",
        "tlp": TLP.GREEN,
        "state": Document.State.PUBLISHED,
    }
    data.update(overrides)
    return data


# --- list --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_only_what_the_reader_may_see(client):
    owner, reader = UserFactory(), UserFactory()
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind="industry"))
    make_document(owner, tlp=TLP.GREEN, title="Green note")
    make_document(owner, tlp=TLP.RED, title="Red secret", people=[owner])
    make_document(owner, tlp=TLP.CLEAR, title="Clear leaflet")
    make_document(owner, tlp=TLP.GREEN, state=Document.State.DRAFT, title="Draft idea")

    client.force_login(reader)
    page = client.get(reverse("documents:list")).content.decode()
    assert "Green note" in page and "Clear leaflet" in page
    assert "Red secret" not in page and "Draft idea" not in page
    assert "2 results" in page
    assert 'class="tlp tlp-GREEN"' in page

    client.force_login(partner)
    page = client.get(reverse("documents:list")).content.decode()
    assert "Clear leaflet" in page and "Green note" not in page

    client.force_login(owner)
    page = client.get(reverse("documents:list")).content.decode()
    assert all(t in page for t in ("Green note", "Red secret", "Draft idea", "Clear leaflet"))


@pytest.mark.django_db
def test_list_filters_and_sorting(client):
    owner, other = UserFactory(), UserFactory()
    group = InterestGroupFactory(name="Drones")
    join(owner, group)
    join(other, group)
    make_document(owner, tlp=TLP.GREEN, title="Alpha radar", body="x")
    Document.objects.filter(title="Alpha radar").update(summary="about sensors")
    make_document(other, tlp=TLP.AMBER, title="Bravo drones", groups=[group])
    Document.objects.filter(title="Bravo drones").update(space="group", space_group=group)
    make_document(other, tlp=TLP.GREEN, title="Charlie archive", state=Document.State.ARCHIVED)
    client.force_login(owner)
    url = reverse("documents:list")

    def titles(**params) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [d.title for d in response.context["object_list"]]

    assert titles(q="sensors") == ["Alpha radar"]
    assert titles(q="BRAVO") == ["Bravo drones"]
    assert titles(tlp=TLP.AMBER) == ["Bravo drones"]
    assert titles(group=group.slug) == ["Bravo drones"]
    assert titles(space="group") == ["Bravo drones"]
    assert titles(state="archived") == ["Charlie archive"]
    assert titles(mine="on") == ["Alpha radar"]
    assert titles(sort="title") == ["Alpha radar", "Bravo drones", "Charlie archive"]
    assert titles(sort="-title") == ["Charlie archive", "Bravo drones", "Alpha radar"]
    assert titles(sort="-tlp")[0] == "Bravo drones"  # AMBER is stricter than GREEN
    # Unknown values never break the page.
    assert len(titles(tlp="PURPLE", sort="nonsense", page="x")) == 3


@pytest.mark.django_db
def test_list_empty_state_offers_new_document(client, user):
    client.force_login(user)
    page = client.get(reverse("documents:list")).content.decode()
    assert 'class="empty"' in page
    assert reverse("documents:create") in page


# --- create ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("tlp", [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED])
def test_create_with_every_marking(client, tlp):
    author, named = UserFactory(), UserFactory()
    group = InterestGroupFactory()
    audience = {
        TLP.AMBER: {"audience_groups": [group.pk], "audience_countries": ["DE"]},
        TLP.AMBER_STRICT: {"audience_organisations": [named.organisation_id]},
        TLP.RED: {"audience_people": [named.pk]},
    }.get(tlp, {})
    client.force_login(author)
    response = client.post(reverse("documents:create"), form_data(tlp=tlp, **audience))
    document = Document.objects.get()
    assert response.status_code == 302 and response["Location"] == document.get_absolute_url()
    assert document.tlp == tlp and document.owner == author and document.state == "published"
    assert AuditEvent.objects.filter(action="documents.document.create", object_id=str(document.pk)).exists()
    if tlp == TLP.RED:
        assert list(document.audience_people.all()) == [named]
    if tlp == TLP.AMBER:
        assert list(document.audience_groups.all()) == [group]
        assert list(document.audience_countries.values_list("pk", flat=True)) == ["DE"]
    # The named person (or the organisation's person) sees it where the marking says so.
    client.force_login(named)
    expected = 404 if tlp == TLP.AMBER else 200
    assert client.get(document.get_absolute_url()).status_code == expected


@pytest.mark.django_db
def test_create_field_errors_keep_what_was_typed(client, user):
    client.force_login(user)
    response = client.post(
        reverse("documents:create"), form_data(title="Kept title 123", tlp=TLP.RED, audience_countries=["NL"])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "TLP:RED is for named people only." in page
    assert "Kept title 123" in page
    assert Document.objects.count() == 0

    response = client.post(reverse("documents:create"), form_data(title="", body="typed body"))
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "typed body" in response.content.decode()
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_create_refuses_a_group_space_i_do_not_belong_to(client, user):
    group = InterestGroupFactory()
    client.force_login(user)
    response = client.post(reverse("documents:create"), form_data(space=f"group:{group.slug}"))
    assert response.status_code == 200
    assert response.context["form"].errors["space"]
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_group_space_prefill_and_amber_for_the_group(client):
    author, member, outsider = UserFactory(), UserFactory(), UserFactory()
    group = InterestGroupFactory(name="Body cams")
    join(author, group)
    join(member, group)
    client.force_login(author)
    page = client.get(reverse("documents:create"), {"space": "group", "group": group.slug}).content.decode()
    assert f'<option value="group:{group.slug}" selected>' in page

    response = client.post(
        reverse("documents:create"), form_data(space=f"group:{group.slug}", tlp=TLP.AMBER, title="Group findings")
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.space_group == group
    assert list(document.audience_groups.all()) == [group]  # the space is the default audience

    client.force_login(member)
    before = AuditEvent.objects.filter(action="documents.document.read").count()
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "TLP:AMBER" in page and "members of Body cams" in page
    read = AuditEvent.objects.filter(action="documents.document.read").order_by("-id").first()
    assert AuditEvent.objects.filter(action="documents.document.read").count() == before + 1
    assert read.actor == member and read.object_id == str(document.pk) and read.tlp == TLP.AMBER

    client.force_login(outsider)
    assert client.get(document.get_absolute_url()).status_code == 404
    assert "Group findings" not in client.get(reverse("documents:list")).content.decode()


# --- uploads -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_too_large_is_refused_and_nothing_is_created(client, user, settings, media):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    client.force_login(user)
    response = client.post(reverse("documents:create"), {**form_data(title="With a big file"), "files": [big]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "the limit is 1 MB" in page
    assert "With a big file" in page
    assert Document.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.django_db
def test_upload_of_a_refused_type_names_the_allowed_types(client, user, media):
    exe = SimpleUploadedFile("report.pdf", EXE, content_type="application/pdf")
    client.force_login(user)
    response = client.post(reverse("documents:create"), {**form_data(), "files": [exe]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "report.pdf: This type of file is not accepted. Allowed:" in page
    assert "PDF" in page and "plain text" in page
    assert Document.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(action__startswith="documents.").exists()


@pytest.mark.django_db
def test_one_bad_file_among_good_ones_stores_none(client, user, media):
    good = SimpleUploadedFile("notes.txt", b"plain notes\n", content_type="text/plain")
    bad = SimpleUploadedFile("tool.pdf", EXE, content_type="application/pdf")
    client.force_login(user)
    response = client.post(reverse("documents:create"), {**form_data(), "files": [good, bad]})
    assert response.status_code == 200
    assert Document.objects.count() == 0 and stored_files(media) == []


@pytest.mark.django_db
def test_download_for_allowed_and_refused_people(client, media):
    owner, member, outsider = UserFactory(), UserFactory(), UserFactory()
    group = InterestGroupFactory()
    join(owner, group)
    join(member, group)
    client.force_login(owner)
    upload = SimpleUploadedFile("findings.pdf", PDF, content_type="text/html")  # the claimed type is ignored
    response = client.post(
        reverse("documents:create"), {**form_data(space=f"group:{group.slug}", tlp=TLP.AMBER), "files": [upload]}
    )
    assert response.status_code == 302
    document = Document.objects.get()
    attachment = document.attachments.get()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert len(stored_files(media)) == 1
    url = attachment.get_absolute_url()
    assert url in client.get(document.get_absolute_url()).content.decode()

    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("attachment;") and "findings.pdf" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    event = AuditEvent.objects.filter(action="documents.document.attachment_download").get()
    assert event.actor == member and event.changes["attachment"]["name"] == "findings.pdf"

    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="documents.document.attachment_download").count() == 1
    # An attachment id under another document is not found either.
    other = make_document(outsider, tlp=TLP.GREEN)
    assert client.get(reverse("documents:attachment", args=[other.pk, attachment.pk])).status_code == 404


@pytest.mark.django_db
def test_attachment_removal_only_by_editors(client, media, django_capture_on_commit_callbacks):
    owner, reader = UserFactory(), UserFactory()
    document = actions.do_create_document(owner, title="With file", tlp=TLP.GREEN, state="published")
    attachment = actions.do_add_attachment(owner, document, SimpleUploadedFile("a.txt", b"hello\n"))
    url = reverse("documents:attachment_delete", args=[document.pk, attachment.pk])
    client.force_login(reader)
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the removal commits
        assert client.post(url).status_code == 302
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


# --- detail, edit, delete, transfer ------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_marking_and_buttons_only_for_authors(client):
    owner, co_author, reader = UserFactory(), UserFactory(), UserFactory()
    document = make_document(owner, tlp=TLP.GREEN, co_authors=[co_author], body="Some **bold** text")
    edit_url = reverse("documents:edit", args=[document.pk])
    delete_url = reverse("documents:delete", args=[document.pk])

    client.force_login(reader)
    page = client.get(document.get_absolute_url()).content.decode()
    assert "<strong>bold</strong>" in page
    assert 'class="tlp tlp-GREEN"' in page and "Every signed-in member" in page
    assert edit_url not in page and delete_url not in page
    assert client.get(edit_url).status_code == 403
    assert client.get(delete_url).status_code == 403

    client.force_login(co_author)
    page = client.get(document.get_absolute_url()).content.decode()
    assert edit_url in page and delete_url not in page
    assert client.get(edit_url).status_code == 200

    client.force_login(owner)
    page = client.get(document.get_absolute_url()).content.decode()
    assert edit_url in page and delete_url in page


@pytest.mark.django_db
def test_hidden_documents_answer_404_everywhere(client):
    owner, stranger = UserFactory(), UserFactory()
    document = make_document(owner, tlp=TLP.RED, people=[])
    client.force_login(stranger)
    for name in ("detail", "edit", "delete", "transfer"):
        assert client.get(reverse(f"documents:{name}", args=[document.pk])).status_code == 404
    assert client.get(reverse("documents:detail", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_edit_by_co_author_keeps_co_authors_and_audits(client):
    owner, co_author = UserFactory(), UserFactory()
    document = actions.do_create_document(owner, title="Old", tlp=TLP.GREEN, state="draft", co_authors=[co_author])
    client.force_login(co_author)
    response = client.post(
        reverse("documents:edit", args=[document.pk]), form_data(title="New title", state="published")
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "New title" and document.state == "published"
    assert list(document.co_authors.all()) == [co_author]
    event = AuditEvent.objects.filter(action="documents.document.update").get()
    assert event.changes["title"] == ["Old", "New title"]


@pytest.mark.django_db
def test_delete_with_confirmation(client, media, django_capture_on_commit_callbacks):
    owner = UserFactory()
    document = actions.do_create_document(owner, title="To go", tlp=TLP.GREEN, state="published")
    actions.do_add_attachment(owner, document, SimpleUploadedFile("a.txt", b"hello\n"))
    client.force_login(owner)
    url = reverse("documents:delete", args=[document.pk])
    page = client.get(url).content.decode()
    assert "cannot be undone" in page and "a.txt" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("documents:list")
    assert not Document.objects.exists()
    assert stored_files(media) == []
    assert AuditEvent.objects.filter(action="documents.document.delete").exists()


@pytest.mark.django_db
def test_transfer_ownership(client):
    owner, new_owner = UserFactory(), UserFactory()
    document = make_document(owner, tlp=TLP.RED, people=[])
    client.force_login(owner)
    url = reverse("documents:transfer", args=[document.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_owner": new_owner.pk})
    assert response.status_code == 302
    # The old owner is not in the RED audience any more: back to the list, not to a 404.
    assert response["Location"] == reverse("documents:list")
    document.refresh_from_db()
    assert document.owner == new_owner and document.owner_organisation == new_owner.organisation
    client.force_login(new_owner)
    assert client.get(document.get_absolute_url()).status_code == 200


# --- dashboard ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_shows_what_is_new_for_me(client):
    me, colleague = UserFactory(), UserFactory()
    group = InterestGroupFactory(name="Forensics")
    join(me, group, chair=True)
    applicant = UserFactory()
    GroupMembership.objects.create(group=group, user=applicant, status=GroupMembership.Status.REQUESTED)
    make_document(colleague, tlp=TLP.GREEN, title="Shared with all")
    make_document(colleague, tlp=TLP.RED, title="Not for me", people=[colleague])
    make_document(me, tlp=TLP.GREEN, title="My own published")
    make_document(me, tlp=TLP.GREEN, state="draft", title="My draft")
    client.force_login(me)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Shared with all" in page
    assert "Not for me" not in page
    assert "My own published" not in page  # recent is about what others shared
    assert "My draft" in page
    assert "Forensics" in page and "1</strong> join request" in page
    assert reverse("core:audit") not in page


@pytest.mark.django_db
def test_dashboard_for_ncp_and_auditor(client):
    ncp = UserFactory(role=Role.NCP)
    UserFactory(vetted_at=None, organisation=OrganisationFactory(country=ncp.organisation.country))
    UserFactory(vetted_at=None, organisation=OrganisationFactory(country=country("DE")))
    client.force_login(ncp)
    page = client.get(reverse("dashboard")).content.decode()
    assert "<strong>1</strong> person of your country waits to be vetted" in page

    auditor = UserFactory(role=Role.CORE_GROUP)
    client.force_login(auditor)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("core:audit") in page
    assert "Nothing new has been shared with you yet." in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, sees_green",
    [
        (Role.MEMBER, True),
        (Role.NCP, True),
        (Role.OBSERVER, True),
        (Role.SECRETARIAT, True),
        (Role.ADMINISTRATOR, True),  # no bypass, but GREEN is for the whole community
        (Role.EXTERNAL_PARTNER, False),
    ],
)
def test_detail_by_role(client, role, sees_green):
    owner = UserFactory()
    green = make_document(owner, tlp=TLP.GREEN)
    red = make_document(owner, tlp=TLP.RED, people=[owner])
    reader = UserFactory(role=role)
    client.force_login(reader)
    assert client.get(green.get_absolute_url()).status_code == (200 if sees_green else 404)
    assert client.get(red.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_anonymous_reads_clear_documents_and_is_sent_to_sign_in_for_the_rest(client):
    owner = UserFactory()
    public = make_document(owner, tlp=TLP.CLEAR, title="Public leaflet")
    green = make_document(owner, tlp=TLP.GREEN, title="Community note")
    listing = client.get(reverse("documents:list")).content.decode()
    assert "Public leaflet" in listing and "Community note" not in listing
    assert client.get(public.get_absolute_url()).status_code == 200
    # A GREEN document and one that does not exist get the same answer: sign in first.
    for url in (
        green.get_absolute_url(),
        reverse("documents:detail", args=[green.pk + 1000]),
        reverse("documents:create"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.django_db
def test_marking_and_file_errors_show_together(client, user, media):
    exe = SimpleUploadedFile("report.pdf", EXE)
    client.force_login(user)
    response = client.post(
        reverse("documents:create"), {**form_data(tlp=TLP.RED, audience_countries=["NL"]), "files": [exe]}
    )
    errors = response.context["form"].errors
    assert "TLP:RED is for named people only." in errors["audience_people"]
    assert "Not an accepted type" in " ".join(errors["files"]) or "not accepted" in " ".join(errors["files"])
    assert "choose them again" in response.content.decode()
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_edit_with_a_refused_file_changes_nothing(client, media):
    owner = UserFactory()
    document = actions.do_create_document(owner, title="Stable", tlp=TLP.GREEN, state="published")
    client.force_login(owner)
    response = client.post(
        reverse("documents:edit", args=[document.pk]),
        {**form_data(title="Changed"), "files": [SimpleUploadedFile("x.pdf", EXE)]},
    )
    assert response.status_code == 200
    document.refresh_from_db()
    assert document.title == "Stable"
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert not AuditEvent.objects.filter(action="documents.document.update").exists()

    good = SimpleUploadedFile("notes.txt", b"field notes\n")
    response = client.post(
        reverse("documents:edit", args=[document.pk]), {**form_data(title="Changed"), "files": [good]}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Changed"
    assert [a.original_name for a in document.attachments.all()] == ["notes.txt"]
