"""The concordance on the Whoosh backend (the object of :mod:`searchsvc.analytics.concordance`):
the query's own marks over the stored bodies of a
:class:`~searchsvc.backends.whoosh.engine.MatchSet`, articles in the search's order."""

from __future__ import annotations

import time
from typing import Iterator

from searchsvc.analytics.concordance import CPU_SECONDS, NO_WORDS, SORTS, WIDTH, context, page_of


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
