"""What a model declares for search, next to its fields (the Wagtail style):

search_fields = [SearchField("title", boost=3), SearchField("body"), FacetField("tlp")]
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SearchField:
    """A text field searched with English stemming and accent folding; `boost` weighs a match in it."""

    name: str
    boost: float = 1.0
    # How to read the value from an item, when it is not simply the attribute `name`.
    source: Callable[[Any], str] | None = None
    # The value is Markdown: index its text without the markup, so snippets read as prose.
    markdown: bool = False

    def value(self, item: Any) -> str:
        value = self.source(item) if self.source else getattr(item, self.name, "")
        text = str(value or "")
        if self.markdown and text and not _has_markup(text):
            # What the renderer would give: the words, whitespace collapsed.
            text = " ".join(text.split())
        elif self.markdown and text:
            from enlets.core.markdown import plain_excerpt

            # plain_excerpt gives escaped text; the index holds text, and snippets escape it again.
            text = html.unescape(plain_excerpt(text, length=10 * len(text) + 10))
        return text


# Characters and line starts that can make Markdown differ from its text (emphasis, links, code,
# HTML, entities, headings, lists, quotes, tables, rules). Text without any is its own plain text,
# so indexing skips the Markdown renderer for it (a quarter of a millisecond per field).
_MARKUP_CHARS = re.compile(r"[*_`\[\]<>#!|~\\&=]")
_MARKUP_LINE = re.compile(r"^\s*(?:[-+>]|\d+[.)])", re.MULTILINE)


def _has_markup(text: str) -> bool:
    return bool(_MARKUP_CHARS.search(text) or _MARKUP_LINE.search(text))


@dataclass(frozen=True)
class FacetField:
    """An exact value counted in the facets and usable as a filter (?tlp=AMBER).

    The value may be a list (a practice's topics): the item is then indexed under every value,
    found by a filter on any of them, and counted once in each value's facet count. Declare such
    a facet `many=True`: tantivy then counts it on one single-valued column per position of the
    values, several times faster than on one multi-valued column (docs/search.md). The counts
    are exact either way; the declaration only picks how they are made."""

    name: str
    label: str = ""
    source: Callable[[Any], Any] | None = None
    many: bool = False

    def _raw(self, item: Any) -> Any:
        return self.source(item) if self.source else getattr(item, self.name, "")

    def values(self, item: Any) -> list[str]:
        """Every value of the item, as text, without empties and duplicates (in first-seen order)."""
        stored = self.stored(item)
        return stored if isinstance(stored, list) else [stored] if stored else []

    def stored(self, item: Any) -> str | list[str]:
        """What an index stores: the text of a single value, or the list of texts of a list facet
        (a list even when it is empty or has one value, so the stored shape follows the declaration)."""
        raw = self._raw(item)
        if isinstance(raw, list | tuple | set | frozenset):
            return list(dict.fromkeys(str(v) for v in raw if v is not None and str(v) != ""))
        return "" if raw is None else str(raw)

    def value(self, item: Any) -> str:
        """The single value (the first one of a list facet; "" when there is none)."""
        values = self.values(item)
        return values[0] if values else ""
