"""The languages an item can be written in, and how each engine stems them.

An item says its language (a model declares `search_language = "language"`, the name of a field
holding one of the codes below; English when it declares none). Both engines stem English for
every item, and stem an item in another language with that language's stemmer too, where the
engine has one; a language without a stemmer is still found by its folded, lower-cased words.
A query is stemmed in English and in each other language present in the index, so a reader
finds "Kennzeichenerkennungssysteme" by typing "Kennzeichenerkennungssystem".
"""

from __future__ import annotations

from typing import Any

from django.db import models

ENGLISH = "en"

# The 24 official languages of the EU (ISO 639-1).
EU_LANGUAGES: dict[str, str] = {
    "bg": "Bulgarian",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "hr": "Croatian",
    "hu": "Hungarian",
    "it": "Italian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mt": "Maltese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sv": "Swedish",
}

LANGUAGE_CHOICES = sorted(EU_LANGUAGES.items(), key=lambda pair: pair[1])
# For a model field: `language = models.CharField(max_length=2, choices=Language.choices, default="en")`.
Language = models.TextChoices("Language", [(code.upper(), (code, name)) for code, name in LANGUAGE_CHOICES])

# tantivy's Snowball stemmers (tantivy::tokenizer::Language) for EU languages.
TANTIVY_STEMMERS: dict[str, str] = {
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}

# PostgreSQL's built-in text search configurations (pg_ts_config) for EU languages; the others use
# "simple" (lower case, no stemming). PostgreSQL has Irish and Lithuanian, which tantivy lacks.
POSTGRES_CONFIGS: dict[str, str] = {**TANTIVY_STEMMERS, "ga": "irish", "lt": "lithuanian"}
POSTGRES_FALLBACK = "simple"


def item_language(item: Any) -> str:
    """The item's language code: its model's `search_language` field, English when unknown."""
    name = getattr(type(item), "search_language", None)
    code = str(getattr(item, name, "") or "") if name else ""
    return code if code in EU_LANGUAGES else ENGLISH


def postgres_config(code: str) -> str:
    return POSTGRES_CONFIGS.get(code, POSTGRES_FALLBACK)
