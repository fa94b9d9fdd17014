"""Where an article's entities are mentioned in its text, marked for the document page.

The stored entities are names, not offsets; their mentions are found again in the
cleaned text: each name as written, its words separated by any run of spaces or
hyphens ("Kim Jong-un" marks "Kim Jong Un"), case-insensitively, as whole words;
a person's surname alone ("Kirby" for John Kirby, as :func:`searchsvc.enrich.entities.clean`
joins it); the longest name first where two overlap. Everything is escaped: the
only markup produced is ``<mark class="entity entity-<kind>">`` and, kept from the
query's highlighting (``searchsvc.search.snippets.mark``), plain ``<mark>``.

Contract:
    mention_spans(text, entities) -> [(start, end, kind)]      # sorted, not overlapping
    mark_paragraphs(text, entities, marked=None) -> [str]      # one escaped paragraph each
"""

from __future__ import annotations

import html
import re

from markupsafe import escape

KINDS = ("person", "org", "place")
_SEP = re.compile(r"[\s\-‐‑–]+")
#: at most this many names are looked for (a page, not a corpus)
MAX_NAMES = 500


def _names(entities: dict) -> list[tuple[str, str]]:
    """(name or surname, kind) to look for, longest first."""
    seen: dict[str, str] = {}
    for kind in KINDS:
        for name in (entities or {}).get(kind) or []:
            name = str(name).strip()
            if not name or len(seen) >= MAX_NAMES:
                continue
            seen.setdefault(name.lower(), kind)
    for kind in ("person",):
        for name in (entities or {}).get(kind) or []:
            words = _SEP.split(str(name).strip())
            if len(words) > 1 and len(words[-1]) > 2 and words[-1][:1].isupper():
                seen.setdefault(words[-1].lower(), kind)
    return sorted(seen.items(), key=lambda kv: (-len(kv[0]), kv[0]))


def _pattern(names) -> re.Pattern | None:
    alts = []
    for name, _ in names:
        words = [w for w in _SEP.split(name) if w]
        if words:
            alts.append(r"[\s\-‐‑–]+".join(re.escape(w) for w in words))
    if not alts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)


def mention_spans(text: str, entities: dict) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of every mention of ``entities`` ({kind: [names]}) in ``text``."""
    names = _names(entities)
    pattern = _pattern(names)
    if pattern is None or not text:
        return []
    kinds = {_SEP.sub(" ", name): kind for name, kind in names}
    out = []
    for m in pattern.finditer(text):
        kind = kinds.get(_SEP.sub(" ", m.group().lower()))
        if kind is not None:
            out.append((m.start(), m.end(), kind))
    return out


def _unmark(marked: str) -> tuple[str, list[tuple[int, int]]] | None:
    """The plain text and the ``<mark>`` spans of a paragraph highlighted by
    ``snippets.mark`` (escaped text, ``<mark>`` and ``</mark>`` only), or None."""
    text, spans, pos = [], [], 0
    for piece in re.split(r"(</?mark>)", marked):
        if piece == "<mark>":
            start = pos
        elif piece == "</mark>":
            spans.append((start, pos))
        elif piece:
            if "<" in piece or ">" in piece:
                return None
            plain = html.unescape(piece)
            text.append(plain)
            pos += len(plain)
    return "".join(text), spans


def _escaped(text: str, start: int, end: int, query) -> str:
    """``text[start:end]`` escaped, the parts inside ``query`` spans in ``<mark>``."""
    out, pos = [], start
    for s, e in query:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(str(escape(text[pos:s])) + "<mark>" + str(escape(text[s:e])) + "</mark>")
        pos = e
    out.append(str(escape(text[pos:end])))
    return "".join(out)


def mark(text: str, entities: dict, query=()) -> str:
    """``text`` escaped, mentions in ``<mark class="entity entity-<kind>">``, ``query``
    spans ((start, end)) in plain ``<mark>`` inside them."""
    out, pos = [], 0
    for s, e, kind in mention_spans(text, entities):
        out.append(_escaped(text, pos, s, query))
        out.append(f'<mark class="entity entity-{kind}">' + _escaped(text, s, e, query) + "</mark>")
        pos = e
    out.append(_escaped(text, pos, len(text), query))
    return "".join(out)


def mark_paragraphs(text: str, entities: dict, marked: list[str] | None = None) -> list[str]:
    """Each paragraph of ``text`` (split as the page splits it) escaped with its entity
    mentions marked; ``marked``: the same paragraphs with the query's words in ``<mark>``
    (the engine's ``highlighted``), whose marks are kept."""
    paragraphs = [p.strip() for p in (text or "").split("\n\n") if p.strip()]
    out = []
    for k, para in enumerate(paragraphs):
        query = []
        if marked is not None and k < len(marked):
            got = _unmark(marked[k])
            if got is not None and got[0] == para:
                query = got[1]
        out.append(mark(para, entities, query))
    return out
