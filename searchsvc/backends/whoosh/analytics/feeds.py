"""The newest matches of a search on the Whoosh backend, for
:mod:`searchsvc.analytics.feeds`' Atom feeds."""

from __future__ import annotations

from searchsvc.analytics.export import one_line, plain_snippet
from searchsvc.analytics.feeds import FEED_SIZE
from searchsvc.search.snippets import Marker


def newest(engine, params, limit: int = FEED_SIZE) -> dict:
    """The ``limit`` newest full matches of ``params`` (every copy, filters applied)."""
    from dataclasses import replace

    by_date = replace(params, sort="newest")

    def run(ms):
        marker = ms.marker if ms.built.query is not None else Marker(())
        s = ms.searcher
        entries = []
        for _, docnum in ms.ranked(ms.docnums, min(limit, len(ms.docnums))):
            stored = s.stored_fields(docnum)
            entries.append({
                "id": stored.get("id"),
                "title": one_line(stored.get("title")) or None,
                "source": one_line(stored.get("source")) or None,
                "date": stored.get("date") or None,
                "url": one_line(stored.get("url")) or None,
                "summary": plain_snippet(ms.analyzer, stored.get("body") or "", (),
                                         spans=marker.spans(stored.get("body") or "")),
            })
        return {"generation": ms.generation, "total": len(ms.docnums), "entries": entries}

    return engine.matches(by_date, run)
