"""``index_stats``: what the live generation holds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from searchsvc.enrich.copies import CopyStore
from searchsvc.backends.whoosh.indexer.columns import column_values
from searchsvc.backends.whoosh.indexer.schema import UNKNOWN
from searchsvc.backends.whoosh.indexer.state import IndexState
from searchsvc.backends.whoosh.indexer.store import dir_size, open_index


def _counts(reader, fieldname) -> Counter:
    """Values of a sortable field over the live (non-deleted) documents, read segment
    by segment (see :mod:`searchsvc.backends.whoosh.indexer.columns`)."""
    values = column_values(reader, fieldname)
    return Counter(values[d] for d in reader.all_doc_ids())


def _ordered(counts: Counter) -> dict:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def index_stats(index_dir) -> dict:
    """Documents, sources, date range, languages, size and generation of the live index.

    Raises :class:`~searchsvc.backends.whoosh.indexer.NoIndexError` when there is none.
    ``sources``/``languages`` map each value (``unknown`` for missing ones) to
    its document count, most frequent first; ``size_bytes`` is the live
    generation on disk, ``total_size_bytes`` the whole index folder.
    """
    index_dir = Path(index_dir)
    gen, ix = open_index(index_dir)
    with ix.reader() as reader:
        sources = _counts(reader, "source_facet")
        langs = _counts(reader, "lang")
        dates = _counts(reader, "date")
        segments = len(ix._segments())
        documents = reader.doc_count()
    dated = sorted(d for d in dates if d)
    state = IndexState.load(index_dir / gen)
    return {
        "generation": gen,
        "documents": documents,
        "sources": _ordered(sources),
        "source_count": len([s for s in sources if s != UNKNOWN]),
        "date_min": dated[0] if dated else None,
        "date_max": dated[-1] if dated else None,
        "undated": dates.get("", 0),
        "languages": _ordered(langs),
        "size_bytes": dir_size(index_dir / gen),
        "total_size_bytes": dir_size(index_dir),
        "segments": segments,
        "copy_groups": CopyStore.load(index_dir / gen).stats(),
        "files": len(state.files) if state else None,
        "corpus": state.corpus if state else None,
        "index_dir": str(index_dir.resolve()),
    }
