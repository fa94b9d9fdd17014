"""The export on the Whoosh backend: every full match of a held
:class:`~searchsvc.backends.whoosh.engine.MatchSet` in the search's order, one
stored-fields read and one snippet a row (the format is :mod:`searchsvc.analytics.export`'s).

The searcher stays acquired from :func:`open_export` until :meth:`Export.close` (the
WSGI server calls it at the end of the response or when the client goes away),
through :meth:`SearchEngine.held_matches`. Memory stays flat: rows are produced one by
one from the ranked docnums (one int list) and written in chunks.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Iterator

from searchsvc.analytics.export import FORMATS, Stream, generate, header_of, one_line, plain_snippet
from searchsvc.search.snippets import Marker


class Export(Stream):
    """The export of one search; the searcher is held from here to :meth:`close`."""

    def __init__(self, engine, params, fmt: str, now: datetime | None = None):
        if fmt not in FORMATS:
            raise ValueError(fmt)
        super().__init__()
        try:
            cm = engine.held_matches(params)
            ms = cm.__enter__()
        except BaseException:
            self.close()
            raise
        self._on_close.append(functools.partial(cm.__exit__, None, None, None))
        self.ms, self.fmt, self.params = ms, fmt, params
        self.total = len(ms.docnums)
        self.header = header_of(params, ms.generation, self.total, ms.notes, now)
        # a plain function, not a method: no reference cycle through the generator, so
        # an export dropped without close() is released at once by its refcount
        self._chunks = generate(rows(ms), fmt, self.header)


def rows(ms) -> Iterator[dict]:
    """The rows of a :class:`~searchsvc.backends.whoosh.engine.MatchSet` in the search's
    order (dicts with :data:`COLUMNS`), one stored-fields read and one snippet each."""
    s = ms.searcher
    groups = ms.groups()
    marker = ms.marker if ms.built.query is not None else Marker(())
    analyzer = ms.analyzer
    ranked = ms.ranked(ms.docnums, len(ms.docnums))
    scores = [sc for sc, _ in ranked]
    docnums = [d for _, d in ranked]
    del ranked
    by_docnum, group_ids = groups.by_docnum, groups.group_ids
    for i, docnum in enumerate(docnums):
        stored = s.stored_fields(docnum)
        doc_id = stored.get("id")
        g = by_docnum.get(docnum)
        lang = stored.get("lang") or None
        sc = scores[i]
        body = stored.get("body") or ""
        yield {
            "id": doc_id,
            "title": one_line(stored.get("title")) or None,
            "source": one_line(stored.get("source")) or None,
            "date": stored.get("date") or None,
            "url": one_line(stored.get("url")) or None,
            "lang": None if lang in (None, "unknown") else lang,
            "score": None if sc is None else round(float(sc), 4),
            "group": group_ids[g] if g is not None else doc_id,
            "snippet": plain_snippet(analyzer, body, (), (), marker.spans(body)),
        }


def open_export(engine, params, fmt: str, now: datetime | None = None) -> Export:
    """Start an export (raises ``ExportBusy``, ``NoIndexError``... before any byte)."""
    return Export(engine, params, fmt, now)
