"""Groups of equivalent terms (transliterations, acronyms), applied at query time.

The package ships a default list (``searchsvc/data/synonyms.txt``); a user file
extends it. Format: one group a line, terms separated by commas (``;`` and ``|``
also work), ``#`` starts a comment; a term may be several words
(``ONU, Nations unies``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.analysis import fold

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "synonyms.txt"

_SPLIT_RE = re.compile(r"[,;|]")
_WORD_RE = re.compile(r"\w+")
_ELISION_RE = re.compile(r"\b(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’ʼ‘]", re.IGNORECASE)
MAX_TERM_WORDS = 8


def words_key(text: str) -> tuple[str, ...]:
    """Accent-folded lower-case words: how terms and queries are compared."""
    return tuple(_WORD_RE.findall(fold(_ELISION_RE.sub(" ", text)).lower()))


@dataclass
class Synonyms:
    """Equivalence groups. ``groups`` lists each group's terms as written."""

    groups: list[tuple[str, ...]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __post_init__(self):
        # first word -> [(key, group index)], longest keys first
        self._index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for gi, group in enumerate(self.groups):
            self._add_keys(gi, group)

    def _add_keys(self, gi: int, group: tuple[str, ...]) -> None:
        for term in group:
            key = words_key(term)
            if key:
                entries = self._index.setdefault(key[0], [])
                entries.append((key, gi))
                entries.sort(key=lambda e: -len(e[0]))

    def add_group(self, terms) -> None:
        terms = tuple(dict.fromkeys(t.strip() for t in terms if t.strip()))
        keys = {words_key(t) for t in terms} - {()}
        if len(keys) < 2:
            return
        self.groups.append(terms)
        self._add_keys(len(self.groups) - 1, terms)

    def __len__(self) -> int:
        return len(self.groups)

    def match(self, words: list[str], start: int) -> tuple[int, tuple[str, ...]] | None:
        """The longest term starting at ``words[start]`` (raw query words):
        ``(number of words matched, the group's terms)``, or None."""
        if start >= len(words):
            return None
        first = words_key(words[start])
        if len(first) != 1:
            return None
        for key, gi in self._index.get(first[0], ()):
            n = len(key)
            if start + n > len(words):
                continue
            got = tuple(w for word in words[start:start + n] for w in words_key(word))
            if got == key:
                return n, self.groups[gi]
        return None

    def equivalents(self, term: str) -> tuple[str, ...]:
        """Every term equivalent to ``term`` (itself included), or ``(term,)``."""
        key = words_key(term)
        for gi, group in enumerate(self.groups):
            if any(words_key(t) == key for t in group):
                return group
        return (term,)


def parse_lines(lines) -> list[tuple[str, ...]]:
    groups = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        terms = [t.strip() for t in _SPLIT_RE.split(line)]
        terms = [t for t in terms if t and len(words_key(t)) <= MAX_TERM_WORDS]
        if len(terms) >= 2:
            groups.append(tuple(terms))
    return groups


def read_file(path: str | os.PathLike) -> list[tuple[str, ...]]:
    """Groups in a synonyms file (UTF-8, BOM allowed; undecodable bytes replaced)."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        return parse_lines(f)


def load_synonyms(path: str | os.PathLike | None = None) -> Synonyms:
    """The package's default groups, extended by the user's file at ``path`` (if any).

    A group of the user file that shares a term with an existing group is merged
    into it. A missing or unreadable user file raises ``OSError``.
    """
    syn = Synonyms(sources=[str(DEFAULT_PATH)])
    for group in read_file(DEFAULT_PATH):
        syn.add_group(group)
    if path is not None:
        for group in read_file(path):
            _merge(syn, group)
        syn.sources.append(str(path))
    return syn


def _merge(syn: Synonyms, group: tuple[str, ...]) -> None:
    keys = {words_key(t) for t in group}
    for gi, existing in enumerate(syn.groups):
        if keys & {words_key(t) for t in existing}:
            merged = tuple(dict.fromkeys(existing + group))
            syn.groups[gi] = merged
            syn.__post_init__()
            return
    syn.add_group(group)
