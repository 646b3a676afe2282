"""What a model declares for search, next to its fields (the Wagtail style):

search_fields = [SearchField("title", boost=3), SearchField("body"), FacetField("tlp")]
"""

from __future__ import annotations

import html
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
        if self.markdown and text:
            from enlets.core.markdown import plain_excerpt

            # plain_excerpt gives escaped text; the index holds text, and snippets escape it again.
            text = html.unescape(plain_excerpt(text, length=10 * len(text) + 10))
        return text


@dataclass(frozen=True)
class FacetField:
    """An exact value counted in the facets and usable as a filter (?tlp=AMBER)."""

    name: str
    label: str = ""
    source: Callable[[Any], Any] | None = None

    def value(self, item: Any) -> str:
        value = self.source(item) if self.source else getattr(item, self.name, "")
        return str(value or "")
