"""Quotation marks paired as a reader pairs them.

French guillemets (« … ») and curly quotes (“ … ”) say which way they face and
pair inside one paragraph. Straight double quotes (") do not: they are paired
left to right inside a paragraph, after two repairs of a common layout quirk of
news pages (OrangeSum among others):

- a paragraph with an odd number of straight marks whose last one ends it
  (``…criant à tue-tête."``) lends that mark to the next paragraph, where it
  opens the quote (``Nous avons perdu 80% de nos clients" à cause…``);
- a paragraph left with an unclosed mark is closed by a straight mark that
  opens the next paragraph followed by a space (``" Invité de iTélé…``).

Straight marks inside a guillemet pair are the quote's own (nested) marks; a straight
mark left open in its paragraph is closed by a stray closing guillemet after it.

Contract: ``pairs(text) -> [(begin, close)]``: the quote is ``text[begin:close]``
(``text[close]`` is the closing mark, ``begin`` the character after the opening
mark, or the first of the paragraph a mark was lent to), in reading order.
"""

from __future__ import annotations

import re

_OPEN = {"«": "»", "“": "”"}
_PARA = re.compile(r"[^\n]+")


def _typed(text: str, start: int, end: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Guillemet and curly pairs of one paragraph ``text[start:end]``."""
    out = []
    i = start
    while i < end:
        c = text[i]
        if c in _OPEN:
            j = text.find(_OPEN[c], i + 1, end)
            if j >= 0:
                out.append((i + 1, j))
                taken.append((i, j))
                i = j + 1
                continue
        i += 1
    return out


def pairs(text: str) -> list[tuple[int, int]]:
    """The quoted spans of ``text`` in reading order (see the module's docstring)."""
    out: list[tuple[int, int]] = []
    lent: int | None = None  # a straight opening mark carried to this paragraph
    unclosed: int | None = None  # an opening mark left open by the previous paragraph
    for m in _PARA.finditer(text):
        start, end = m.start(), m.end()
        if not text[start:end].strip():
            continue
        taken: list[tuple[int, int]] = []
        out.extend(_typed(text, start, end, taken))
        marks = [i for i in range(start, end) if text[i] == '"'
                 and not any(a < i < b for a, b in taken)]
        first = start + len(text[start:end]) - len(text[start:end].lstrip())
        if unclosed is not None and lent is None and marks and marks[0] == first and (
                first + 1 >= end or text[first + 1].isspace()):
            out.append((unclosed + 1, marks.pop(0)))
        unclosed = None
        if lent is not None:
            marks.insert(0, lent - 1)  # as if the mark stood just before the paragraph
            lent = None
        last = end - len(text[start:end]) + len(text[start:end].rstrip()) - 1
        if len(marks) % 2 and marks[-1] == last and last > start and not text[last - 1].isspace():
            marks.pop()
            lent = -1  # filled with the next paragraph's start
        if len(marks) % 2:
            unclosed = marks.pop()
            stray = next((i for i in range(unclosed + 1, end) if text[i] in "»”"
                          and not any(a <= i <= b for a, b in taken)), None)
            if stray is not None:  # "… régulièrement.» : a straight mark closed by a guillemet
                out.append((unclosed + 1, stray))
                unclosed = None
        out.extend((marks[k] + 1, marks[k + 1]) for k in range(0, len(marks), 2))
        if lent == -1:
            lent = _next_start(text, end)
    out.sort()
    return out


def _next_start(text: str, end: int) -> int | None:
    m = _PARA.search(text, end)
    while m is not None and not m.group(0).strip():
        m = _PARA.search(text, m.end())
    if m is None:
        return None
    return m.start() + len(m.group(0)) - len(m.group(0).lstrip())
