"""A readable diff between two revisions of a practice, field by field and word by word.

A revision keeps every template field as it was (actions.revision_content), so two revisions are
compared without looking at the practice. The output is HTML built only from escaped pieces
(<del> for what went, <ins> for what came): it is safe to put on a page as it is.

Who may read which revision is decided here too (`visible_revisions`), so the pages and the API
apply the same rule.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from enlets.core.models import TLP
from enlets.practices.models import Practice, PracticeRevision

# The fields of a revision's content, in the order of the practice page, with their labels.
FIELD_LABELS: list[tuple[str, str]] = [
    ("title", "Title"),
    ("summary", "Summary"),
    ("language", "Language"),
    ("topics", "Topics"),
    ("countries", "Countries"),
    ("organisations", "Organisations"),
    ("problem", "Operational problem"),
    ("solution", "Solution"),
    ("technology", "Technology used"),
    ("implementation_start", "Implementation start"),
    ("implementation_end", "Implementation end"),
    ("cost_band", "Cost band"),
    ("staffing", "Staffing"),
    ("procurement_route", "Procurement route"),
    ("implementation", "Implementation"),
    ("results", "Results and evidence"),
    ("lessons", "Lessons learned"),
    ("legal_basis", "Legal basis"),
    ("dpia", "Data-protection impact assessment"),
    ("fundamental_rights", "Fundamental-rights considerations"),
    ("transferability", "Transferability"),
    ("contacts", "Contacts"),
    ("contact_note", "Other contact details"),
    ("attachments", "Attachments"),
    ("public_teaser", "Public teaser"),
    ("tlp", "TLP marking"),
]
# Long fields written in Markdown: a revision page renders them; a diff compares their source.
MARKDOWN_FIELDS = frozenset(
    {
        "problem",
        "solution",
        "implementation",
        "results",
        "lessons",
        "legal_basis",
        "fundamental_rights",
        "transferability",
    }
)

# Words and the white space between them are separate tokens, so a diff keeps line breaks and
# marks whole words (a changed figure, a new sentence) rather than single letters.
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    changed: bool
    html: SafeString  # the new value with <del>/<ins> marks (plain escaped text when unchanged)


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text or "")


def diff_text(old: str, new: str) -> SafeString:
    """Word-level diff of two texts as HTML: unchanged words escaped, removed in <del>, added in <ins>."""
    a, b = _tokens(old), _tokens(new)
    parts: list[SafeString] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(format_html("<del>{}</del>", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(format_html("<ins>{}</ins>", "".join(b[j1:j2])))
    return format_html_join("", "{}", ((p,) for p in parts))


def diff_list(old: list[str], new: list[str]) -> SafeString:
    """Names in a list (topics, countries, contacts...): kept ones plain, removed <del>, added <ins>."""
    old_set, new_set = set(old or []), set(new or [])
    parts: list[SafeString] = []
    for name in sorted(old_set | new_set):
        if name in old_set and name in new_set:
            parts.append(escape(name))
        elif name in old_set:
            parts.append(format_html("<del>{}</del>", name))
        else:
            parts.append(format_html("<ins>{}</ins>", name))
    return format_html_join(", ", "{}", ((p,) for p in parts))


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def diff_content(old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """Every field of the template, in page order, with its diff; fields unknown to FIELD_LABELS
    (kept by a later version of the template) follow at the end."""
    names = [name for name, _label in FIELD_LABELS]
    extra = sorted((set(old) | set(new)) - set(names))
    labels = dict(FIELD_LABELS)
    result: list[FieldDiff] = []
    for name in [*names, *extra]:
        before, after = old.get(name), new.get(name)
        if isinstance(before, list) or isinstance(after, list):
            before_list = list(before or []) if isinstance(before, list) else [_as_text(before)] if before else []
            after_list = list(after or []) if isinstance(after, list) else [_as_text(after)] if after else []
            changed = sorted(before_list) != sorted(after_list)
            html = diff_list(before_list, after_list)
        else:
            changed = _as_text(before) != _as_text(after)
            html = diff_text(_as_text(before), _as_text(after)) if changed else escape(_as_text(after))
        result.append(FieldDiff(name, labels.get(name, name.replace("_", " ").capitalize()), changed, html))
    return result


def content_rows(content: dict[str, Any]) -> list[tuple[str, str, Any, bool]]:
    """(name, label, value, is_markdown) for a revision page, in page order."""
    labels = dict(FIELD_LABELS)
    names = [name for name, _label in FIELD_LABELS]
    extra = sorted(set(content) - set(names))
    return [(name, labels.get(name, name), content.get(name), name in MARKDOWN_FIELDS) for name in [*names, *extra]]


def visible_revisions(user: Any, practice: Practice) -> QuerySet[PracticeRevision]:
    """The revisions of a practice `user` may read. `practice` must be one they see.

    Whoever sees the practice sees its revisions, except a revision that was marked stricter than
    the practice is now: its content was shared with fewer people than today's readers, so only
    the owner and the co-authors read it (DESIGN.md: nothing is shown more widely than marked)."""
    revisions = practice.revisions.select_related("author")
    if practice.is_editable_by(user):
        return revisions
    current = TLP.strictness(practice.tlp)
    allowed = [value for value in TLP.values if TLP.strictness(value) <= current]
    return revisions.filter(tlp__in=allowed)
