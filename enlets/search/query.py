"""The user's query, parsed by us, never by an engine: no input can make an engine raise.

Supported: plain words (all must match), "a phrase", and prefix* (at least two letters).
Everything else (AND, OR, brackets, field:value, lone operators) is read as plain words or
dropped, so a query that looks like engine syntax searches for its words instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 20
# Words are letters and digits (any script); everything else separates them.
WORD = re.compile(r"\w+", re.UNICODE)
OPERATORS = {"and", "or", "not"}


@dataclass(frozen=True)
class Clause:
    kind: str  # "word", "phrase" or "prefix"
    words: tuple[str, ...]


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.replace("_", " "))]


def parse(raw: str) -> list[Clause]:
    text = (raw or "")[:MAX_QUERY_CHARS]
    clauses: list[Clause] = []
    # Split on double quotes: odd parts are phrases. An unbalanced quote leaves its tail as words.
    parts = text.split('"')
    if len(parts) % 2 == 0:
        tail = parts.pop()
        parts[-1] += " " + tail
    for index, part in enumerate(parts):
        if index % 2 == 1:
            words = _words(part)
            if len(words) > 1:
                clauses.append(Clause("phrase", tuple(words)))
            elif words:
                clauses.append(Clause("word", (words[0],)))
            continue
        for token in part.split():
            is_prefix = token.endswith("*")
            words = _words(token)
            for i, word in enumerate(words):
                if word.lower() in OPERATORS and len(words) == 1 and not is_prefix:
                    continue
                if is_prefix and i == len(words) - 1 and len(word) >= 2:
                    clauses.append(Clause("prefix", (word,)))
                else:
                    clauses.append(Clause("word", (word,)))
    return clauses[:MAX_CLAUSES]
