"""The Whoosh backend: an embedded index of generations on local disk.

``indexer`` (schema, generations, the reindex's writers, mapped segments), ``engine``
(:class:`SearchEngine`), ``vectors``/``w3read``/``scoring`` (postings read straight from
the segments into numpy), ``facets``, ``collapse`` (copy groups at search time),
``entities`` (entity arrays, facets and quotes), ``operations`` (the analytic calls of
the engine interface). Names are imported lazily so that importing the indexer does not
load the search engine.
"""

from __future__ import annotations

_LAZY = {"SearchEngine": "searchsvc.backends.whoosh.engine",
         "in_date_order": "searchsvc.backends.whoosh.facets"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
