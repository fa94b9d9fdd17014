"""The one engine interface the views call, and the choice of backend.

Every view (``searchsvc.commands``, ``searchsvc.web``, ``searchsvc.analytics.overview``)
talks to an :class:`Engine` obtained from :func:`open_engine`; none imports a backend.
A backend implements the operations, not a query subset: each call below is answered
by the backend's own machinery (Whoosh: numpy over the postings; OpenSearch:
queries and aggregations run in the cluster). The result objects are the contract:
the schemas of :mod:`searchsvc.web.openapi`, checked on every backend by
the behaviour tests over ``tests/search_stores.py``.

Backends (``SEARCHSVC_BACKEND``):

- ``whoosh`` (default): an embedded index in ``--index DIR``
  (:mod:`searchsvc.backends.whoosh`);
- ``opensearch``: a cluster at ``SEARCHSVC_OPENSEARCH_URL``, ``--index DIR`` holding
  only the local state (manifest signatures, caches) (:mod:`searchsvc.backends.opensearch`).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from searchsvc.analytics.terms import TermsParams
    from searchsvc.analytics.timeline import TimelineParams
    from searchsvc.search.params import SearchParams

#: backend name -> "module:class" of its engine
BACKENDS = {
    "whoosh": "searchsvc.backends.whoosh.engine:SearchEngine",
    "opensearch": "searchsvc.backends.opensearch.engine:OpenSearchEngine",
}
DEFAULT_BACKEND = "whoosh"


class BackendUnavailable(Exception):
    """The search backend cannot be reached or answered in time (HTTP 503).

    ``message`` is French and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NoIndexError(Exception):
    """There is no usable index yet (HTTP 503 ``no_index``); French message."""


class IndexDamaged(NoIndexError):
    """The live index is damaged (HTTP 503 ``index_damaged``); ``generation`` names it."""

    generation: str | None = None


class ConfigError(ValueError):
    """A configuration value (environment) the service cannot use; French message."""


@runtime_checkable
class Engine(Protocol):
    """What every backend answers. Parameters are the neutral objects of
    :mod:`searchsvc.search.params` and of the analytics modules; results are plain,
    JSON-serialisable dicts whose shapes are the OpenAPI schemas."""

    #: the backend's name, as in :data:`BACKENDS`
    backend: str

    def search(self, params: SearchParams) -> dict:
        """Ranked, highlighted, faceted results: ``total`` full matches, ``total_partial``."""

    def document(self, doc_id: str, q: str | None = None, exact: bool = False) -> dict | None:
        """One cleaned article, its entities and quotes; ``highlighted`` with ``q`` (in
        exact mode: marked as written)."""

    def similar(self, doc_id: str, limit: int = 5) -> list[dict] | None:
        """Articles like ``doc_id`` (more-like-this), never itself."""

    def versions(self, doc_id: str, compare: str | None = None) -> dict | None:
        """The copy group of ``doc_id`` and, with ``compare``, the differences."""

    def info(self) -> dict:
        """``{"documents", "generation"}`` of the live index."""

    def date_bounds(self) -> tuple[str | None, str | None, int]:
        """First and last publication days of the index, and the undated count."""

    def timeline(self, params: TimelineParams) -> dict:
        """Matches per period with their share of the period's articles (and compared queries)."""

    def terms(self, params: TermsParams) -> dict:
        """Characteristic and frequent words of the matches, top sources."""

    def concordance(self, params: SearchParams, sort: str = "doc", page: int = 1,
                    per_page: int | None = 50) -> dict:
        """Every marked occurrence of the query in the matches, with its context."""

    def open_export(self, params: SearchParams, fmt: str) -> Any:
        """A stream of every full match (CSV or JSONL), header first; ``.close()`` it."""

    def batch(self, lines: Iterable, base_params: SearchParams, hits: int = 3, exact: bool = True) -> dict:
        """Each line searched in turn: its total and first hits."""

    def open_batch_csv(self, lines: Iterable, base_params: SearchParams, exact: bool = True) -> Any:
        """A stream of every match of every line, labelled by line."""

    def newest(self, params: SearchParams, limit: int = 50) -> dict:
        """The newest full matches (the Atom feed's entries)."""

    def entities(self, params: SearchParams, kind: str, limit: int = 50) -> dict:
        """The entities of one kind in the matches, with counts and co-occurrence."""

    def quotes(self, params: SearchParams, speaker: str | None, limit: int, offset: int = 0,
               max_docs: int = 2000) -> dict:
        """Direct quotations of the matches holding the query's words."""

    def close(self) -> None:
        """Release what the engine holds (searchers, connections)."""


def backend_name(env: Mapping[str, str] | None = None) -> str:
    """The configured backend (``SEARCHSVC_BACKEND``, default ``whoosh``)."""
    env = os.environ if env is None else env
    name = (env.get("SEARCHSVC_BACKEND") or DEFAULT_BACKEND).strip().lower()
    if name not in BACKENDS:
        raise ConfigError(f"SEARCHSVC_BACKEND : « {name} » inconnu ; valeurs possibles : "
                          + ", ".join(sorted(BACKENDS)) + ".")
    return name


def engine_class(name: str | None = None) -> type:
    """The engine class of backend ``name`` (the configured one by default)."""
    module, _, cls = BACKENDS[name or backend_name()].partition(":")
    return getattr(importlib.import_module(module), cls)


def open_engine(index_dir: str | os.PathLike, synonyms_path: str | os.PathLike | None = None,
                backend: str | None = None, **options) -> Engine:
    """The engine of the configured backend over ``index_dir`` (Whoosh: the index;
    OpenSearch: the local state folder)."""
    return engine_class(backend)(index_dir, synonyms_path=synonyms_path, **options)


#: backend name -> module of its indexer: ``reindex(corpus_dir, index_dir, full=False,
#: workers=None, progress=None, *, wait=0.0, log=None) -> ReindexReport``,
#: ``index_stats(index_dir) -> dict`` and ``live_generation(index_dir) -> str``
INDEXERS = {
    "whoosh": "searchsvc.backends.whoosh.indexer",
    "opensearch": "searchsvc.backends.opensearch.indexer",
}


def _indexer(backend: str | None = None):
    return importlib.import_module(INDEXERS[backend or backend_name()])


def reindex(corpus_dir: str | os.PathLike, index_dir: str | os.PathLike, *,
            backend: str | None = None, **options):
    """Bring the configured backend's index up to date with ``corpus_dir`` (the same
    pipeline, options, report and errors on every backend: ``full``, ``workers``,
    ``progress``, ``wait``, ``log``; :class:`~searchsvc.pipeline.ReindexError`,
    ``IndexBusyError``)."""
    return _indexer(backend).reindex(corpus_dir, index_dir, **options)


def stats(index_dir: str | os.PathLike, backend: str | None = None) -> dict:
    """What the live index holds (``searchsvc stats``): documents, sources, date range,
    languages, size, generation, copy groups. Raises :class:`NoIndexError`."""
    return _indexer(backend).index_stats(index_dir)


def live_generation(index_dir: str | os.PathLike, backend: str | None = None) -> str:
    """The name of the live generation (Whoosh) or concrete index (OpenSearch); raises
    :class:`NoIndexError` (:class:`IndexDamaged` for a damaged one) when there is none."""
    return _indexer(backend).live_generation(index_dir)
