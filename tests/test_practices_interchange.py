"""Import and export of practices between instances: round trip, idempotency, refusals, visibility."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from enlets.core.models import TLP, AuditEvent
from enlets.network.models import Role
from enlets.practices import actions, interchange
from enlets.practices.models import Practice, PracticeAttachment, PracticeRevision
from tests.factories import (
    COMPLETE_PRACTICE,
    InterestGroupFactory,
    OrganisationFactory,
    UserFactory,
    country,
    join,
    make_practice,
    make_topic,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    tmp_path = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


@pytest.fixture
def world():
    """Three practices at three markings and states, one with two revisions and two files."""
    nl = OrganisationFactory(name="Politie Test", country=country("NL"))
    de = OrganisationFactory(name="BKA Test", country=country("DE"))
    author = UserFactory(organisation=nl, first_name="Bram", last_name="de Vries")
    colleague = UserFactory(organisation=nl)
    reviewer = UserFactory(organisation=de)
    german = UserFactory(organisation=de)
    group = InterestGroupFactory(slug="anpr-group")
    join(german, group)
    topic = make_topic("ANPR test", reviewers=[reviewer])
    secretariat = UserFactory(role=Role.SECRETARIAT, organisation=OrganisationFactory(country=country("BE")))

    clear = actions.do_create_practice(
        author,
        tlp=TLP.CLEAR,
        topics=[topic],
        co_authors=[colleague],
        countries=[country("NL"), country("BE")],
        organisations=[nl, de],
        contacts=[author, colleague],
        title="Fixed ANPR on motorways",
        cost_band="250k_1m",
        procurement_route="framework",
        dpia="done",
        implementation_start="2023-02-01",
        implementation_end="2024-06-30",
        **COMPLETE_PRACTICE,
    )
    actions.do_add_attachment(author, clear, SimpleUploadedFile("evaluation.pdf", PDF))
    actions.do_add_attachment(author, clear, SimpleUploadedFile("notes.txt", b"Read rates per lane.\n"))
    ticked = {c: True for c in ("evidence", "legal_basis", "transferability", "contact", "marking")}
    actions.do_transition(author, clear, "submit")
    actions.do_transition(reviewer, clear, "publish", checklist=ticked, comment="Good.")
    actions.do_update_practice(
        author, clear, results="Recovery rose from 31% to 61% (2025 figures).", note="2025 figures"
    )

    amber = make_practice(
        author,
        topics=[topic],
        state="published",
        reviewer=reviewer,
        tlp=TLP.AMBER,
        audience={"audience_countries": [country("DE")], "audience_groups": [group], "audience_people": [colleague]},
        title="Mobile ANPR at the German border",
        public_teaser="Mobile ANPR cut search times at the border.",
    )
    red = make_practice(
        author, topics=[topic], tlp=TLP.RED, audience={"audience_people": [colleague]}, title="Covert ANPR trial"
    )
    return {
        "author": author,
        "colleague": colleague,
        "reviewer": reviewer,
        "german": german,
        "topic": topic,
        "secretariat": secretariat,
        "clear": clear,
        "amber": amber,
        "red": red,
    }


def export(tmp_path: Path, *args: str, name: str = "out.json") -> dict:
    path = tmp_path / name
    call_command("export_practices", str(path), *args, stdout=StringIO())
    return json.loads(path.read_text())


def run_import(tmp_path: Path, document: dict | str | bytes, *args: str) -> str:
    path = tmp_path / "in.json"
    if isinstance(document, dict):
        path.write_text(json.dumps(document))
    elif isinstance(document, str):
        path.write_text(document)
    else:
        path.write_bytes(document)
    out = StringIO()
    call_command("import_practices", str(path), *args, stdout=out)
    return out.getvalue()


def pictures() -> dict[str, dict]:
    return {str(p.uid): interchange.practice_to_dict(p) for p in Practice.objects.all()}


def counts() -> tuple[int, int, int, int]:
    return (
        Practice.objects.count(),
        PracticeRevision.objects.count(),
        PracticeAttachment.objects.count(),
        AuditEvent.objects.count(),
    )


# --- Round trip and idempotency ------------------------------------------------------------------


def test_round_trip_keeps_fields_revisions_and_attachments(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    assert document["format"] == "enlets-practices" and document["version"] == 1
    assert document["source"] and document["exported_at"]
    assert len(document["practices"]) == 3
    before = pictures()
    clear = before[str(world["clear"].uid)]
    assert [r["number"] for r in clear["revisions"]] == [1, 2]
    assert clear["revisions"][1]["note"] == "2025 figures"
    assert {a["name"] for a in clear["attachments"]} == {"evaluation.pdf", "notes.txt"}
    pdf = next(a for a in clear["attachments"] if a["name"] == "evaluation.pdf")
    assert base64.b64decode(pdf["data"]) == PDF and pdf["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert clear["topics"] == [{"slug": "anpr-test", "name": "ANPR test"}]
    assert clear["owner"]["username"] == world["author"].username
    amber = before[str(world["amber"].uid)]
    assert amber["audience"]["countries"] == ["DE"] and amber["audience"]["groups"] == ["anpr-group"]

    Practice.objects.all().delete()
    assert not PracticeRevision.objects.exists() and not PracticeAttachment.objects.exists()

    output = run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert "created 3, updated 0, unchanged 0" in output
    after = pictures()
    assert after == before  # every field, person, audience, revision and file byte for byte
    imported = Practice.objects.get(uid=world["amber"].uid)
    # The labels were rebuilt from the audience: a German community member sees the AMBER practice.
    assert Practice.objects.visible_to(world["german"]).filter(pk=imported.pk).exists()
    assert (
        not Practice.objects.visible_to(UserFactory(organisation=OrganisationFactory(country=country("FR"))))
        .filter(pk=imported.pk)
        .exists()
    )
    events = AuditEvent.objects.filter(action="practices.practice.import")
    assert events.count() == 3
    assert {e.actor_id for e in events} == {world["secretariat"].pk}
    file = PracticeAttachment.objects.get(practice__uid=world["clear"].uid, original_name="evaluation.pdf")
    with file.file.open("rb") as handle:
        assert handle.read() == PDF


def test_import_twice_changes_nothing_the_second_time(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    Practice.objects.all().delete()
    run_import(tmp_path, document, "--as", world["secretariat"].username)
    before = counts()
    output = run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert "created 0, updated 0, unchanged 3" in output
    assert counts() == before


def test_the_language_travels_and_old_files_read_as_english(world, tmp_path):
    Practice.objects.filter(pk=world["amber"].pk).update(language="de")  # access: test set-up
    document = export(tmp_path, "--as", world["author"].username)
    by_title = {p["title"]: p for p in document["practices"]}
    assert by_title["Mobile ANPR at the German border"]["language"] == "de"
    assert by_title["Fixed ANPR on motorways"]["language"] == "en"
    Practice.objects.all().delete()
    run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert Practice.objects.get(title="Mobile ANPR at the German border").language == "de"  # access: test
    # A file written before practices had a language: every practice is English.
    for practice in document["practices"]:
        del practice["language"]
    Practice.objects.all().delete()
    run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert set(Practice.objects.values_list("language", flat=True)) == {"en"}  # access: test
    bad = {**document, "practices": [{**document["practices"][0], "language": "klingon"}]}
    with pytest.raises(CommandError, match="language"):
        run_import(tmp_path, bad, "--as", world["secretariat"].username)


def test_import_onto_the_source_instance_is_unchanged(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    before = counts()
    output = run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert "created 0, updated 0, unchanged 3" in output
    assert counts() == before


def test_changed_practice_is_updated_and_missing_revisions_added(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    entry = next(p for p in document["practices"] if p["uid"] == str(world["clear"].uid))
    entry["title"] = "Fixed ANPR on motorways and ring roads"
    entry["revisions"].append({**entry["revisions"][-1], "number": 3, "note": "Ring roads added"})
    entry["revision_number"] = 3
    entry["published_at"] = "2024-05-01T09:30:00+00:00"
    revisions = PracticeRevision.objects.count()
    output = run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert "created 0, updated 1, unchanged 2" in output
    practice = Practice.objects.get(uid=world["clear"].uid)
    assert practice.title == "Fixed ANPR on motorways and ring roads"
    assert practice.revision_number == 3
    assert list(practice.revisions.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
    assert PracticeRevision.objects.count() == revisions + 1
    event = AuditEvent.objects.filter(action="practices.practice.import").get()
    assert event.changes["title"][1] == "Fixed ANPR on motorways and ring roads"
    assert event.changes["revisions_added"] == [None, [3]]
    assert event.changes["published_at"][1].startswith("2024-05-01")
    assert practice.published_at.isoformat() == "2024-05-01T09:30:00+00:00"


def test_unknown_owner_falls_back_to_the_importer(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    for entry in document["practices"]:
        entry["owner"] = {"username": "someone.elsewhere", "email": "someone@elsewhere.example", "display_name": "X"}
    Practice.objects.all().delete()
    output = run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert "'someone.elsewhere' (someone@elsewhere.example) is not on this instance" in output
    assert set(Practice.objects.values_list("owner", flat=True)) == {world["secretariat"].pk}


def test_people_are_matched_by_email_when_the_username_differs(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    for entry in document["practices"]:
        for person in entry["contacts"]:
            person["username"] = "renamed-" + person["username"]
    Practice.objects.all().delete()
    run_import(tmp_path, document, "--as", world["secretariat"].username)
    practice = Practice.objects.get(uid=world["clear"].uid)
    assert set(practice.contacts.all()) == {world["author"], world["colleague"]}


def test_dry_run_changes_nothing(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    Practice.objects.all().delete()
    before = counts()
    output = run_import(tmp_path, document, "--as", world["secretariat"].username, "--dry-run")
    assert "Would have: created 3, updated 0, unchanged 0" in output
    assert counts() == before


# --- Malformed files are refused, naming the problem, and change nothing ----------------------------


def _set(path: str, value):
    def mutate(document: dict) -> None:
        target = document
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()


def _bad_sha(document: dict) -> None:
    document["practices"][0]["attachments"][0]["sha256"] = "0" * 64


def _exe(document: dict) -> None:
    data = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
    entry = document["practices"][0]["attachments"][0]
    entry["data"], entry["sha256"] = base64.b64encode(data).decode(), hashlib.sha256(data).hexdigest()


def _owner_without_organisation(document: dict) -> None:
    UserFactory(username="no-org-person", organisation=None)
    document["practices"][0]["owner"] = {"username": "no-org-person", "email": ""}
    document["practices"][0]["owner_organisation"] = {"name": "Gone", "country": "NL"}


MALFORMED = {
    "owner without organisation": (
        _owner_without_organisation,
        "field 'owner_organisation': 'Gone' (NL) is not on this instance",
    ),
    "unknown TLP": (_set("practices.0.tlp", "PURPLE"), "field 'tlp': 'PURPLE' is not a TLP marking"),
    "unknown topic": (
        _set("practices.0.topics", [{"slug": "quantum-policing", "name": "Quantum"}]),
        "field 'topics': unknown topic 'quantum-policing'",
    ),
    "unknown person": (
        _set("practices.0.contacts", [{"username": "ghost", "email": "ghost@nowhere.example"}]),
        "field 'contacts': unknown person 'ghost' (ghost@nowhere.example)",
    ),
    "unknown audience person": (
        _set("practices.1.audience.people", [{"username": "ghost", "email": ""}]),
        "field 'audience.people': unknown person 'ghost'",
    ),
    "unknown co-author": (_set("practices.0.co_authors", ["nobody-here"]), "field 'co_authors': unknown person"),
    "bad base64": (_set("practices.0.attachments.0.data", "not base64 at all!!"), "is not valid base64"),
    "sha mismatch": (_bad_sha, "sha256': does not match the content"),
    "refused file type": (_exe, "This type of file is not accepted"),
    "bad date": (_set("practices.0.implementation_start", "2023-13-45"), "field 'implementation_start': '2023-13-45'"),
    "bad datetime": (_set("practices.0.published_at", "yesterday"), "field 'published_at': 'yesterday'"),
    "published without date": (
        _set("practices.0.published_at", None),
        "field 'published_at': a published or archived practice needs its publication date",
    ),
    "missing title": (_set("practices.0.title", _DELETE), "field 'title': missing"),
    "empty title": (_set("practices.0.title", "  "), "field 'title': must not be empty"),
    "unknown state": (_set("practices.0.state", "limbo"), "field 'state': 'limbo' is not a state"),
    "wrong type": (_set("practices.0.summary", 42), "field 'summary': must be a string"),
    "bad uid": (_set("practices.0.uid", "not-a-uuid"), "field 'uid': 'not-a-uuid' is not a UUID"),
    "unknown country": (_set("practices.0.countries", ["XX"]), "field 'countries': unknown country code 'XX'"),
    "unknown organisation": (
        _set("practices.0.organisations", [{"name": "Nowhere Police", "country": "NL"}]),
        "unknown organisation 'Nowhere Police' (NL)",
    ),
    "unknown group": (_set("practices.1.audience.groups", ["no-such-group"]), "unknown interest group 'no-such-group'"),
    "bad revision": (_set("practices.0.revisions.0.tlp", "BLUE"), "field 'revisions[1].tlp': 'BLUE'"),
    "marking audience clash": (
        _set("practices.2.audience.countries", ["DE"]),
        "TLP:RED shares only with named people",
    ),
    "wrong format": (_set("format", "something-else"), "'format' is 'something-else'"),
    "wrong version": (_set("version", 99), "Unsupported export version 99"),
    "practices not a list": (_set("practices", {"a": 1}), "'practices' must be a list"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_file_is_refused_naming_the_problem_and_changes_nothing(world, tmp_path, case):
    document = export(tmp_path, "--as", world["author"].username)
    Practice.objects.all().delete()  # so a valid practice in the file would be created if checks were partial
    mutate, expected = MALFORMED[case]
    mutate(document)
    before = counts()
    with pytest.raises(CommandError) as error:
        run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert expected in str(error.value)
    assert "nothing was changed" in str(error.value).lower()
    assert counts() == before


def test_message_names_practice_index_and_uid(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    document["practices"][2]["tlp"] = "PURPLE"
    uid = document["practices"][2]["uid"]
    with pytest.raises(CommandError, match=rf"practice 3 \(uid {uid}\): field 'tlp': 'PURPLE' is not a TLP marking"):
        run_import(tmp_path, document, "--as", world["secretariat"].username)


@pytest.mark.parametrize(
    "raw,expected",
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object"),
    ],
)
def test_unreadable_file_is_refused(world, tmp_path, raw, expected):
    before = counts()
    with pytest.raises(CommandError, match=expected):
        run_import(tmp_path, raw, "--as", world["secretariat"].username)
    assert counts() == before


def test_duplicate_uid_in_one_file_is_refused(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    document["practices"].append(copy.deepcopy(document["practices"][0]))
    Practice.objects.all().delete()
    with pytest.raises(CommandError, match=r"practice 4 .*the same uid as practice 1"):
        run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert not Practice.objects.exists()


def test_failure_while_writing_rolls_back_rows_and_files(world, tmp_path, media, monkeypatch):
    document = export(tmp_path, "--as", world["author"].username)
    Practice.objects.all().delete()
    files_before = {p for p in media.rglob("*") if p.is_file()}
    original = interchange._create

    def fail_on_the_third(actor, planned, *args):
        if planned.index == 3:
            raise RuntimeError("disk full")
        return original(actor, planned, *args)

    monkeypatch.setattr(interchange, "_create", fail_on_the_third)
    events = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        run_import(tmp_path, document, "--as", world["secretariat"].username)
    assert not Practice.objects.exists()
    assert AuditEvent.objects.count() == events
    # The attachments written for the first practice were removed with the rolled-back rows.
    assert {p for p in media.rglob("*") if p.is_file()} == files_before


# --- Who may export what, who may import ---------------------------------------------------------


def test_export_as_an_outsider_leaves_out_amber_they_may_not_see(world, tmp_path):
    outsider = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    uids = {p["uid"] for p in export(tmp_path, "--as", outsider.username)["practices"]}
    assert str(world["clear"].uid) in uids
    assert str(world["amber"].uid) not in uids
    assert str(world["red"].uid) not in uids
    insider = {p["uid"] for p in export(tmp_path, "--as", world["german"].username)["practices"]}
    assert str(world["amber"].uid) in insider and str(world["red"].uid) not in insider


def test_export_without_as_is_clear_and_published_only(world, tmp_path):
    green = make_practice(world["author"], topics=[world["topic"]], state="published", reviewer=world["reviewer"])
    draft_clear = make_practice(world["author"], topics=[world["topic"]], tlp=TLP.CLEAR, title="Draft clear")
    practices = export(tmp_path)["practices"]
    assert [p["uid"] for p in practices] == [str(world["clear"].uid)]
    assert all(p["tlp"] == "CLEAR" and p["state"] == "published" for p in practices)
    assert str(green.uid) not in {p["uid"] for p in practices}
    assert str(draft_clear.uid) not in {p["uid"] for p in practices}


def test_export_filters_and_is_audited(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username, "--state", "draft")
    assert [p["uid"] for p in document["practices"]] == [str(world["red"].uid)]
    assert export(tmp_path, "--as", world["author"].username, "--country", "be")["practices"][0]["uid"] == str(
        world["clear"].uid
    )
    assert len(export(tmp_path, "--as", world["author"].username, "--topic", "anpr-test")["practices"]) == 3
    events = AuditEvent.objects.filter(action="practices.export").order_by("id")
    assert events.count() == 3
    assert events[0].changes["practices"] == [None, [str(world["red"].uid)]]
    assert events[0].actor_id == world["author"].pk
    with pytest.raises(CommandError, match="Unknown topic"):
        export(tmp_path, "--topic", "nope")
    with pytest.raises(CommandError, match="No person"):
        export(tmp_path, "--as", "nobody-at-all")


def test_only_core_group_and_secretariat_import(world, tmp_path):
    document = export(tmp_path, "--as", world["author"].username)
    Practice.objects.all().delete()
    before = counts()
    for person in (world["author"], UserFactory(role=Role.NCP), UserFactory(role=Role.ADMINISTRATOR)):
        with pytest.raises(CommandError, match="may not import practices"):
            run_import(tmp_path, document, "--as", person.username)
    assert counts() == before
    core = UserFactory(role=Role.CORE_GROUP)
    assert "created 3" in run_import(tmp_path, document, "--as", core.username)
