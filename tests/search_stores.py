"""Backend-neutral test fixtures: the same articles indexed in every index shape of the
Whoosh backend and in the OpenSearch test cluster, so that one behaviour test runs
against every backend and every index shape (the contract of searchsvc.engine.Engine).

``store_index(name, articles) -> Store``: ``Store.engine(**options)`` opens an engine
of the store's backend on those articles (``synonyms_path=...`` for instance);
``Store.backend``; ``Store.index_dir`` (the Whoosh index, or the OpenSearch backend's
local state folder).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import INDEX_SHAPES, shaped_articles_index

#: every Whoosh index shape, and the OpenSearch cluster
STORES = (*INDEX_SHAPES, "opensearch")


@dataclasses.dataclass
class Store:
    backend: str
    index_dir: Path
    alias: str | None = None
    cluster: object = None

    def env(self) -> dict[str, str]:
        """The environment a command or a service needs to reach this store."""
        import os

        if self.backend != "opensearch":
            return dict(os.environ)
        return self.cluster.env(SEARCHSVC_BACKEND="opensearch", SEARCHSVC_OPENSEARCH_INDEX=self.alias)

    def live_generation(self) -> str:
        """The generation its indexer says is live (Whoosh: ``CURRENT``; OpenSearch: the
        index behind the alias)."""
        if self.backend == "opensearch":
            from searchsvc.backends.opensearch.indexer import live_generation

            return live_generation(self.index_dir, self.cluster.client(), self.alias)
        from searchsvc.backends.whoosh.indexer import live_generation

        return live_generation(self.index_dir)

    def engine(self, **options):
        from searchsvc.engine import open_engine

        if self.backend == "opensearch":
            from searchsvc.backends.opensearch.client import connect

            options.setdefault("client", connect(self.cluster.env()))
            options.setdefault("alias", self.alias)
        return open_engine(self.index_dir, backend=self.backend, **options)


@pytest.fixture(scope="session", params=STORES)
def search_store(request) -> str:
    """Where the behaviour tests' articles are indexed: a Whoosh index shape or OpenSearch."""
    return request.param


@pytest.fixture(scope="session")
def store_index(tmp_path_factory, search_store, request):
    """``make(name, articles) -> Store`` in the session's :func:`search_store`."""
    made: dict[str, Store] = {}

    def make(name: str, articles) -> Store:
        if name not in made:
            work = tmp_path_factory.mktemp(f"{name}-{search_store}")
            made[name] = make_articles_store(search_store, name, articles, work, request)
        return made[name]

    return make


def make_articles_store(store: str, name: str, articles, work: Path, request) -> Store:
    """Exactly ``articles`` in ``store`` (a Whoosh index shape, or OpenSearch under the
    alias ``test-<name>`` of the session's cluster)."""
    if store != "opensearch":
        return Store("whoosh", shaped_articles_index(work / "index", articles, store))
    from searchsvc.backends.opensearch.indexer import build_from_articles

    cluster = request.getfixturevalue("opensearch_cluster")
    alias = f"test-{name}".lower()
    build_from_articles(cluster.client(), alias, list(articles), work / "state")
    return Store("opensearch", work / "state", alias, cluster)


def corpus_articles(corpus: Path) -> list:
    """The articles ingestion keeps of a corpus folder (malformed files skipped, as the
    reindex skips them)."""
    from searchsvc.ingest import IngestError, corpus_files, extract, load_manifest

    manifest = load_manifest(corpus)
    out = []
    for path in corpus_files(corpus):
        try:
            out.extend(extract(path, corpus, manifest, errors=[]))
        except IngestError:
            continue
    return out


def make_corpus_store(store: str, name: str, corpus: Path, work: Path, request) -> Store:
    """``corpus`` in ``store`` (a Whoosh index shape, built by the reindex, or OpenSearch,
    reindexed into the session's cluster under the alias ``test-<name>``)."""
    from conftest import build_corpus_index

    if store != "opensearch":
        return Store("whoosh", build_corpus_index(corpus, work / "index", store, work))
    from searchsvc.backends.opensearch.indexer import reindex

    cluster = request.getfixturevalue("opensearch_cluster")
    alias = f"test-{name}".lower()
    reindex(corpus, work / "state", full=True, workers=1, client=cluster.client(), alias=alias)
    return Store("opensearch", work / "state", alias, cluster)


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory, fixture_corpus, search_store, request) -> Store:
    """The shared fixture corpus (seed articles + ``corpus_extra``) in the session's
    :func:`search_store`: a Whoosh index of that shape built by the reindex, or the
    OpenSearch cluster. Read-only."""
    work = tmp_path_factory.mktemp(f"corpus-{search_store}")
    return make_corpus_store(search_store, "corpus", fixture_corpus, work, request)


def held(engine) -> int:
    """What exports and streams hold open on ``engine``: the Whoosh generation's
    searchers, or OpenSearch's points in time."""
    if engine.backend == "opensearch":
        return len(engine.client.get_all_pits().get("pits") or [])
    return engine._current()._refs


@pytest.fixture(scope="session")
def store_corpus(tmp_path_factory, search_store, request):
    """``make(name, corpus_dir) -> Store``: a corpus folder indexed by the reindex in the
    session's Whoosh index shape, or ingested into OpenSearch."""
    made: dict[str, Store] = {}

    def make(name: str, corpus: Path) -> Store:
        if name not in made:
            work = tmp_path_factory.mktemp(f"{name}-{search_store}")
            made[name] = make_corpus_store(search_store, name, corpus, work, request)
        return made[name]

    return make


def all_documents(engine) -> list[dict]:
    """Every article of the index as the article page reads it (``id``, ``title``,
    ``text``...), through the engine interface (an oracle that works on any backend)."""
    import json

    from searchsvc.analytics import export
    from searchsvc.search.params import parse_params

    lines = "".join(export.stream(engine, parse_params({"q": ""}), "jsonl")).splitlines()[1:]
    return [engine.document(json.loads(x)["id"]) for x in lines]
