"""Items in other EU languages, on both engines (the PostgreSQL one only on PostgreSQL): an item is
stemmed in its own language as well as in English, so an inflected form of a German word finds a
German practice; a language without a stemmer is still found by its words; snippets mark the
inflected form; the language is part of the practice template (form, API, interchange)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from enlets.practices import actions
from enlets.practices.models import Practice
from enlets.search import backend
from enlets.search.languages import EU_LANGUAGES, TANTIVY_STEMMERS, Language, item_language, postgres_config
from tests.factories import UserFactory, make_practice, make_topic
from tests.test_api_helpers import as_user

pytestmark = pytest.mark.django_db


GERMAN = (
    "Die Kennzeichenerkennung an der Grenzkontrolle erfasst alle Fahrzeuge und gleicht sie mit der Fahndungsliste ab."
)
POLISH = "Kamery rozpoznawania tablic rejestracyjnych na autostradach."


@pytest.fixture
def world(engine) -> dict[str, Any]:
    owner, reviewer, member = UserFactory(), UserFactory(), UserFactory()
    topic = make_topic("Languages", reviewers=[reviewer], slug="languages")

    def practice(title: str, language: str, text: str) -> Practice:
        return make_practice(
            owner,
            topics=[topic],
            state="published",
            reviewer=reviewer,
            title=title,
            language=language,
            summary=text,
            solution=text,
        )

    practices = {
        "german": practice("Grenzüberwachung Bayern", "de", GERMAN),
        "polish": practice("Autostrady", "pl", POLISH),
        "english": practice("Motorway cameras", "en", "Fixed cameras read the plates of all vehicles on motorways."),
    }
    backend().rebuild()
    return {"member": member, "owner": owner, "practices": practices}


def found(world: dict[str, Any], query: str) -> set[str]:
    by_pk = {p.pk: key for key, p in world["practices"].items()}
    results = backend().search(world["member"], query)
    return {by_pk[hit.pk] for hit in results.hits if hit.pk in by_pk}


def test_the_language_codes_and_stemmers():
    assert len(EU_LANGUAGES) == 24 and set(Language.values) == set(EU_LANGUAGES)
    assert set(TANTIVY_STEMMERS) <= set(EU_LANGUAGES)
    assert postgres_config("de") == "german" and postgres_config("ga") == "irish"
    # Without a stemmer in the engine: folded and lower-cased words only.
    assert postgres_config("pl") == "simple"


def test_item_language_defaults_to_english():
    class Unknown:
        search_language = "language"
        language = "xx"

    class Undeclared:
        pass

    assert item_language(Unknown()) == "en" and item_language(Undeclared()) == "en"


def test_an_inflected_german_form_finds_the_german_practice(world):
    # English stemming leaves "fahrzeugen" and "grenzkontrollen" alone, so only the German column
    # (or configuration) matches them to "Fahrzeuge" and "Grenzkontrolle".
    assert found(world, "Fahrzeugen") == {"german"}
    assert found(world, "Grenzkontrollen Fahndungslisten") == {"german"}
    assert found(world, '"Fahrzeuge und"') == {"german"}
    # The exact words are found as before.
    assert found(world, "Fahrzeuge") == {"german"}


def test_a_language_without_a_stemmer_is_found_by_its_words(world):
    assert found(world, "rejestracyjnych") == {"polish"}
    assert found(world, "Autostrady") == {"polish"}


def test_english_is_still_stemmed_for_every_item(world):
    assert found(world, "plate") == {"english"}
    assert found(world, "reading plates") == {"english"}


def test_the_snippet_marks_the_inflected_form(world):
    results = backend().search(world["member"], "Fahrzeugen")
    [hit] = results.hits
    assert "<mark>Fahrzeuge</mark>" in hit.snippet_html


def test_changing_the_language_reindexes(world, django_capture_on_commit_callbacks):
    english = world["practices"]["english"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_practice(
            world["owner"], english, language="de", solution="Die Kameras lesen die Kennzeichen aller Fahrzeuge."
        )
    assert found(world, "Fahrzeugen") == {"german", "english"}


def test_only_the_languages_present_are_queried(engine, world):
    engine_object = backend()
    if engine == "tantivy":
        index = engine_object._open(create=False)
        index.reload()
        assert engine_object._languages_present(index.searcher()) == ["de"]
    else:
        with connection.cursor() as cursor:
            assert set(engine_object._configs_present(cursor)) == {"english", "german", "simple"}


def test_the_form_and_the_api_take_the_language(world):
    owner = world["owner"]
    client = Client()
    client.force_login(owner)
    page = client.get("/practices/new/")
    assert page.status_code == 200 and 'name="language"' in page.content.decode()
    api = as_user(owner)
    bad = api.post("/practices", {"title": "Wrong language", "language": "xx"})
    assert bad.status_code == 422 and "language" in bad.content.decode()
    assert not Practice.objects.filter(title="Wrong language").exists()  # access: test
    made = api.post("/practices", {"title": "En français", "language": "fr"})
    assert made.status_code == 201 and made.json()["language"] == "fr"
    assert api.post("/practices", {"title": "Default"}).json()["language"] == "en"
    changed = api.patch(f"/practices/{made.json()['id']}", {"language": "de"})
    assert changed.status_code == 200 and changed.json()["language"] == "de"


def test_the_list_filters_on_the_language(world):
    """The practice list's filters (page, API, exports share them) take ?language=."""
    member = world["member"]
    client = Client()
    client.force_login(member)
    page = client.get("/practices/", {"language": "de"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Grenzüberwachung Bayern" in text and "Motorway cameras" not in text and 'id="f-language"' in text
    bad = client.get("/practices/", {"language": "klingon"})
    assert bad.status_code == 200 and "ISO 639-1" in bad.content.decode()
    api = as_user(member)
    listed = api.get("/practices", {"language": "pl"})
    assert listed.status_code == 200 and [p["title"] for p in listed.json()["results"]] == ["Autostrady"]
    refused = api.get("/practices", {"language": "klingon"})
    assert refused.status_code == 422 and "language" in refused.json()["errors"]
