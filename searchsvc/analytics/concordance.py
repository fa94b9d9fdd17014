"""Concordance (key word in context): every occurrence of a search's words or
phrases in its matching articles, with about :data:`WIDTH` characters each side.

Contract:
    concordance(engine, params, sort="doc", page=1, per_page=50, width=WIDTH) -> dict
        {"query", "total", "articles", "page", "per_page", "sort", "lines": [line], "notes"}
        line = {"id", "left", "match", "right", "source", "date"} (plain text)
    iter_lines(ms, width) -> Iterator[line]     # on a MatchSet, in the search's order
    SORTS

Occurrences are what the snippets mark (:func:`searchsvc.search.snippets.matched_spans`
with the query's own marks): a phrase or a multi-word synonym is one occurrence from
its first to its last word, never word by word; "munition" finds "munitions". Lines
come from the article bodies, articles in the search's order (relevance, else date),
occurrences in text order; ``sort="left"`` / ``"right"`` orders all lines by the
words just before / after the match (accents and case folded). Reading stops when
:data:`CPU_SECONDS` of CPU are spent: ``total`` then counts the lines of the
articles read, and ``notes`` says so.
"""

from __future__ import annotations

import re
import time
from typing import Iterator

from searchsvc.analysis import fold

WIDTH = 60
SORTS = ("doc", "left", "right")
MAX_PER_PAGE = 500
#: CPU seconds one concordance may spend reading articles
CPU_SECONDS = 5.0

_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+")


def _flat(text: str) -> str:
    return _SPACE_RE.sub(" ", text)


def context(text: str, start: int, end: int, width: int = WIDTH) -> tuple[str, str, str]:
    """``(left, match, right)`` around ``text[start:end]``: about ``width``
    characters each side, cut at a word boundary, whitespace made single spaces."""
    a = max(0, start - width)
    if a > 0:
        sp = text.find(" ", a, start)
        a = sp + 1 if sp != -1 and sp + 1 < start else a
    b = min(len(text), end + width)
    if b < len(text):
        sp = text.rfind(" ", end, b)
        b = sp if sp > end else b
    return (_flat(text[a:start]).lstrip(), _flat(text[start:end]), _flat(text[end:b]).rstrip())


def iter_lines(ms, width: int = WIDTH, deadline: float | None = None, read: list | None = None
               ) -> Iterator[dict]:
    """The lines of a :class:`~searchsvc.backends.whoosh.engine.MatchSet`, articles in the
    search's order. Stops at ``deadline`` (``time.thread_time()``); ``read`` (a
    one-item list) counts the articles read."""
    if ms.built.query is None:
        return
    marker = ms.marker  # the query's marks, each with its analyzer (stemmed, or as written)
    if not marker:
        return
    s = ms.searcher
    for _, docnum in ms.ranked(ms.docnums, len(ms.docnums)):
        if deadline is not None and time.thread_time() > deadline:
            return
        stored = s.stored_fields(docnum)
        if read is not None:
            read[0] += 1
        text = stored.get("body") or ""
        for start, end, _ in marker.spans(text):
            left, match, right = context(text, start, end, width)
            yield {"id": stored.get("id"), "left": left, "match": match, "right": right,
                   "source": (stored.get("source") or "").strip() or None,
                   "date": stored.get("date") or None}


def _left_key(line: dict):
    words = _WORD_RE.findall(fold(line["left"]).lower())
    return (list(reversed(words)), fold(line["match"]).lower())


def _right_key(line: dict):
    return (_WORD_RE.findall(fold(line["right"]).lower()), fold(line["match"]).lower())


def concordance(engine, params, sort: str = "doc", page: int = 1, per_page: int | None = 50,
                width: int = WIDTH) -> dict:
    """One page of the concordance of ``params`` (``per_page=None``: every line)."""
    if sort not in SORTS:
        raise ValueError(sort)

    def run(ms):
        read = [0]
        deadline = time.thread_time() + CPU_SECONDS
        lines = list(iter_lines(ms, width, deadline, read))
        notes = list(ms.notes)
        if read[0] < len(ms.docnums):
            notes.append(f"Temps de calcul dépassé : concordance des {read[0]} premiers articles "
                         f"sur {len(ms.docnums)}.")
        if ms.built.query is None:
            notes.append(NO_WORDS)
        return lines, notes, len(ms.docnums)

    lines, notes, articles = engine.matches(params, run)
    return page_of(params.q, lines, notes, articles, sort, page, per_page)


NO_WORDS = "La concordance demande des mots à chercher."


def page_of(query: str, lines: list[dict], notes: list[str], articles: int, sort: str,
            page: int, per_page: int | None) -> dict:
    """The concordance object of every line found (any backend): sorted, one page."""
    if sort == "left":
        lines.sort(key=_left_key)
    elif sort == "right":
        lines.sort(key=_right_key)
    total = len(lines)
    if per_page is not None:
        lines = lines[(page - 1) * per_page: page * per_page]
    return {"query": query, "total": total, "articles": articles, "page": page,
            "per_page": per_page if per_page is not None else total, "sort": sort,
            "lines": lines, "notes": notes}


CSV_COLUMNS = ("id", "left", "match", "right", "source", "date")


def csv_text(result: dict) -> str:
    """The lines of :func:`concordance`'s ``result`` as CSV (a ``#`` line first:
    query, total, notes); cells a spreadsheet would read as a formula are quoted
    with an apostrophe, as in the full export."""
    import csv
    import io

    from searchsvc.analytics.export import csv_cells, one_line

    buf = io.StringIO()
    head = f"# searchsvc concordance ; requête : {one_line(result['query'])} ; lignes : {result['total']}"
    for note in result.get("notes") or ():
        head += f" ; remarque : {one_line(note)}"
    buf.write(head + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for line in result["lines"]:
        w.writerow(csv_cells(line, CSV_COLUMNS))
    return buf.getvalue()
