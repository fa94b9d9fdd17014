"""Batch search on the Whoosh backend: each line's total, stories and first hits
from one :class:`~searchsvc.backends.whoosh.engine.MatchSet`; the batch CSV from the
rows of a held one (the format is :mod:`searchsvc.analytics.batch`'s)."""

from __future__ import annotations

import contextlib
import functools

from searchsvc.analytics.batch import HITS, MAX_HITS, BatchExport, Line, run_lines
from searchsvc.analytics.export import one_line
from searchsvc.backends.whoosh.analytics.export import rows


def run_batch(engine, lines: list[Line], base_params, hits: int = HITS, exact: bool = True) -> dict:
    """For each line its query, total, copy groups and first ``hits`` hits (Whoosh backend)."""
    hits = max(0, min(int(hits), MAX_HITS))

    def answer(line, params):
        def one(ms):
            s = ms.searcher
            first = []
            for sc, d in ms.ranked(ms.docnums, min(hits, len(ms.docnums))):
                st = s.stored_fields(d)
                first.append({"id": st.get("id"), "title": one_line(st.get("title")) or None,
                              "source": one_line(st.get("source")) or None,
                              "date": st.get("date") or None,
                              "score": None if sc is None else round(float(sc), 4)})
            stories = ms.groups().stories(ms.docnums)
            return {"line": line.number, "text": line.text, "query": params.q,
                    "total": len(ms.docnums), "total_stories": stories, "hits": first,
                    "notes": list(ms.notes)}

        return engine.matches(params, one)

    return run_lines(lines, base_params, exact, answer)


def open_batch_csv(engine, lines: list[Line], base_params, exact: bool = True) -> BatchExport:
    """The batch CSV on the Whoosh backend (rows of a held :class:`MatchSet`)."""
    return BatchExport(functools.partial(_held_rows, engine), lines, base_params, exact)


@contextlib.contextmanager
def _held_rows(engine, params):
    with engine.held_matches(params) as ms:
        yield rows(ms)
