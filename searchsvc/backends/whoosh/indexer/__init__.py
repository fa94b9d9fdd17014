"""The index writer: schema, generations, full and incremental reindex, stats.

Public API (see docs/ARCHITECTURE.md)::

    build_schema() -> whoosh.fields.Schema
    reindex(corpus_dir, index_dir, full=False, workers=None, progress=None) -> ReindexReport
    open_index(index_dir) -> (generation, whoosh.index.Index)      # raises NoIndexError
    live_generation(index_dir) -> generation                        # the same errors
    index_stats(index_dir) -> dict
    build_index_from_articles(index_dir, articles) -> generation
"""

from searchsvc.backends.whoosh.indexer.build import (ReindexError, ReindexReport, build_index_from_articles,
                                     fingerprint, reindex)
from searchsvc.backends.whoosh.indexer.schema import UNKNOWN, article_fields, build_schema
from searchsvc.backends.whoosh.indexer.stats import index_stats
from searchsvc.backends.whoosh.indexer.store import (CorruptIndexError, IndexBusyError, NoIndexError,
                                     current_generation, generation_problem, live_generation,
                                     open_index)

__all__ = [
    "UNKNOWN",
    "CorruptIndexError",
    "IndexBusyError",
    "NoIndexError",
    "ReindexError",
    "ReindexReport",
    "article_fields",
    "build_index_from_articles",
    "build_schema",
    "current_generation",
    "fingerprint",
    "generation_problem",
    "index_stats",
    "live_generation",
    "open_index",
    "reindex",
]
