"""Template pieces every app uses: the TLP badge with its audience, Markdown, form fields."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from enlets.core import markdown as md

register = template.Library()


@register.inclusion_tag("core/_marking.html")
def marking(item: Any) -> dict[str, Any]:
    """The TLP badge in TLP colours, with the audience in words (required on every item page)."""
    return {"tlp": item.tlp, "label": f"TLP:{item.tlp}", "audience": item.audience_in_words()}


@register.simple_tag
def tlp_badge(tlp: str) -> SafeString:
    return format_html('<span class="tlp tlp-{}">TLP:{}</span>', tlp, tlp)


@register.filter
def markdown(text: str) -> SafeString:
    # md.render sanitises with nh3: the result is safe by construction.
    return mark_safe(md.render(text))  # noqa: S308


@register.filter
def excerpt(text: str, length: int = 200) -> str:
    return md.plain_excerpt(text, length)


@register.inclusion_tag("core/_field.html")
def field(bound_field: Any) -> dict[str, Any]:
    """A labelled form field with its help text and errors (accessible: aria-describedby)."""
    return {"field": bound_field}
