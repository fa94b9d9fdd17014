"""What the NER model reads of a text: the sentences that may hold a name.

A sentence whose only capital letters are in its first word, when that word is a
common word (written in lower case elsewhere in the text, or a pronoun, article,
preposition or conjunction),
and that holds no institution's word ("commission", "ministère"), holds no name the
cleaning would keep (:func:`searchsvc.enrich.entities.clean` keeps names starting with
a capital, a digit or an institution's word): the model skips it. On news-fr that is about 15 % of the
characters and of NER's CPU; on 1,000 articles, 18 of 14,696 cleaned entities were
lost and 17 gained (the context at a cut), on who-dev the figures are unchanged
(docs/who.md).

The kept sentences, runs of them joined back as they are written, are given to the
model as one text, separated by blank lines; :func:`to_text` maps the spans found
back to offsets in the whole text. ``SEARCHSVC_NER_SKIP=0`` makes it read everything
(comparisons).

Contract:
    pieces(text) -> [(start, end)]              # the ranges the model reads, in order
    joined(text) -> (str, segments)             # what it reads, and the way back
    to_text(spans, segments) -> [[start, end, label]]
"""

from __future__ import annotations

import bisect
import os
import re

from searchsvc.enrich.entities import _ORG_HEADS

_PARA = re.compile(r"[^\n]+")
_SENT_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-ÝŒ]")
_TOKEN = re.compile(r"\S+")
#: words opening a sentence that are never a name alone, even when the text never writes
#: them in lower case
_COMMON = set("il elle ils elles on je nous vous le la les l un une des du de d ce cet cette ces "
              "c et mais ou donc or car en dans pour par sur avec sans selon après avant depuis "
              "pendant si quand lorsque alors puis enfin aussi ainsi cependant pourtant toutefois "
              "mais même tout tous toute toutes son sa ses leur leurs mon ma mes notre nos votre "
              "vos qui que quoi où comment pourquoi y a est sont était".split())
SEPARATOR = "\n\n"
#: words of the neighbouring sentences read with a kept one: the model's token vectors see
#: four tokens on each side, so a kept sentence's words are read as in the whole text
CONTEXT_WORDS = 6


def pieces(text: str, context: int | None = None) -> list[tuple[int, int]]:
    """The ranges of ``text`` the model reads: the kept sentences, each with up to
    ``context`` (:data:`CONTEXT_WORDS`) words on each side (across paragraphs: the
    model reads the text as one), ranges that touch or overlap merged."""
    if os.environ.get("SEARCHSVC_NER_SKIP", "").strip() == "0":
        return [(0, len(text))] if text.strip() else []
    context = CONTEXT_WORDS if context is None else context
    lower = {w.lower() for w in _WORD.findall(text) if w[:1].islower()}
    kept: list[tuple[int, int]] = []
    for para in _PARA.finditer(text):
        p0, p1 = para.span()
        ends = [m.span() for m in _SENT_END.finditer(text, p0, p1)]
        for a, b in zip([p0] + [e for _, e in ends], [s for s, _ in ends] + [p1]):
            if a < b and _named(text, a, b, lower):
                kept.append((a, b))
    if context and kept:
        words = [m.span() for m in _TOKEN.finditer(text)]
        starts = [w[0] for w in words]
        ends_ = [w[1] for w in words]
        wide = []
        for a, b in kept:
            i = bisect.bisect_right(ends_, a)  # the first word ending after a
            j = bisect.bisect_left(starts, b)  # the first word starting at or after b
            a = words[max(0, i - context)][0] if i > 0 else a
            b = words[min(len(words), j + context) - 1][1] if j < len(words) else b
            wide.append((a, b))
        kept = wide
    out: list[tuple[int, int]] = []
    for a, b in kept:
        if out and (a <= out[-1][1] or not text[out[-1][1]:a].strip()):
            out[-1] = (out[-1][0], max(b, out[-1][1]))  # touching: one piece, as written
        else:
            out.append((a, b))
    return out


def _named(text: str, a: int, b: int, lower: set[str]) -> bool:
    """Whether the sentence ``text[a:b]`` may hold a name."""
    first = _WORD.search(text, a, b)
    if first is None:
        return bool(text[a:b].strip())
    if _UPPER.search(text, first.end(), b):
        return True
    if any(w.lower() in _ORG_HEADS for w in _WORD.findall(text, a, b)):
        return True  # "la commission nationale anticorruption": an organisation in lower case
    word = first.group()
    return not (word[:1].islower() or word.lower() in lower or word.lower() in _COMMON)


def joined(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    """The kept pieces joined by :data:`SEPARATOR`, and segments ``(joined offset, text
    offset, length)``."""
    parts, segs, pos = [], [], 0
    for a, b in pieces(text):
        segs.append((pos, a, b - a))
        parts.append(text[a:b])
        pos += b - a + len(SEPARATOR)
    return SEPARATOR.join(parts), segs


def to_text(spans, segs) -> list[list]:
    """``[[start, end, label]]`` of the joined text, as offsets in the whole text."""
    out = []
    for start, end, label in spans:
        for jo, to, ln in segs:
            if jo <= start < jo + ln:
                out.append([to + start - jo, to + min(end, jo + ln) - jo, label])
                break
    return out
