"""Shared fixtures: real files on disk, real indexes in temp folders."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from opensearch_fixtures import opensearch_cluster  # noqa: F401  (fixture: a 3-node cluster)

# Named-entity recognition (spaCy, seconds to load per process) is off for the indexes the
# suite builds, except in the entity tests, which turn it on for their own seed indexes.
os.environ["SEARCHSVC_NER"] = "0"

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def seed_corpus() -> Path:
    """The five demo articles shipped in ``corpus/`` (read-only: copy before changing)."""
    return SEED_CORPUS


@pytest.fixture
def corpus_copy(tmp_path, seed_corpus) -> Path:
    """A writable copy of the demo corpus."""
    dst = tmp_path / "corpus"
    shutil.copytree(seed_corpus, dst)
    return dst


CORPUS_EXTRA = FIXTURES / "corpus_extra"


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory, seed_corpus) -> Path:
    """Demo corpus + ``tests/fixtures/corpus_extra/`` in one session temp folder. Read-only.

    The extra articles (each with a ``.meta.json`` sidecar unless noted):
    ``script_injection`` (``<script>alert(1)</script>`` in title and body, 2023-03-12,
    source "Le Veilleur Numérique"), ``sans_metadonnees`` (no sidecar: no date, no
    source), ``autre_annee`` (2019-06-14, "Courrier des Alpes"), ``english_article``
    (lang ``en``, 2021-11-03), ``chronique_longue`` (> 40,000 characters, 2022-09-22,
    the rare word "zinzolin" only in its last paragraph).
    """
    dst = tmp_path_factory.mktemp("fixture") / "corpus"
    shutil.copytree(seed_corpus, dst)
    for f in sorted(CORPUS_EXTRA.iterdir()):
        shutil.copy2(f, dst / f.name)
    return dst


# -- index shapes ---------------------------------------------------------------
#
# The search, stats, web and CLI suites run against each of these shapes of one
# logical content (same documents, same fields): readers must not depend on how
# the index was written. Each shape is built once per session.
#
# ``one-segment``         one full build, one process: one segment, no deletions
# ``segments-deletions``  a full build rolling small segments, then incremental runs that
#                         add, update (and restore) and delete files, with the merging of
#                         small segments turned off (as for segments over
#                         SMALL_SEGMENT_DOCS): many segments, deleted documents in them
# ``incremental-runs``    the same sequence of incremental runs with the normal merge policy
# ``workers``             a full build by two spawned worker processes, rolling small segments
INDEX_SHAPES = ("one-segment", "segments-deletions", "incremental-runs", "workers")


@pytest.fixture(scope="session", params=INDEX_SHAPES)
def index_shape(request) -> str:
    """The shape of the indexes given by ``built_index`` and :func:`shaped_articles_index`."""
    return request.param


#: postings (MB) at which a worker rolls to a new segment in the small-segment shapes
SMALL_LIMITMB = 0.02


def _few_files_per_worker(mp):
    """Worker processes even for a handful of files, each rolling small segments (which
    worker gets which file is up to the scheduler: segments >= 2 either way)."""
    import searchsvc.backends.whoosh.indexer.build as build
    import searchsvc.pipeline as pipeline

    mp.setattr(pipeline, "MIN_FILES_PER_WORKER", 2)
    mp.setattr(pipeline, "CHUNK", 1)
    mp.setattr(build, "LIMITMB", SMALL_LIMITMB)


def _with_sidecars(path: Path) -> list[Path]:
    """The file and its sidecars."""
    from searchsvc.backends.whoosh.indexer.state import sidecars

    return [path, *sidecars(path)]


def _steps(items: list, decoys: int = 2) -> list[dict]:
    """A sequence of incremental runs over ``items`` that ends with exactly ``items``.

    Run 1 indexes the first batch and ``decoys`` extra items; later runs add the
    next batches, change two items (restored in the last run) and delete the decoys.
    """
    n = len(items)
    batches = [items[i * n // 4:(i + 1) * n // 4] for i in range(4)]
    changed = items[:2]
    return [
        {"add": batches[0], "decoys": list(range(decoys))},
        {"add": batches[1], "change": changed[:1], "delete_decoys": [0]},
        {"add": batches[2], "change": changed[1:]},
        {"add": batches[3], "restore": changed, "delete_decoys": list(range(1, decoys))},
    ]


def build_corpus_index(corpus: Path, index: Path, shape: str, work: Path) -> Path:
    """Index ``corpus`` into ``index`` with ``searchsvc.backends.whoosh.indexer.reindex`` in the given shape.

    The incremental shapes replay their runs on a copy of the corpus in ``work``.
    """
    from searchsvc.backends.whoosh.indexer import reindex

    if shape == "one-segment":
        report = reindex(corpus, index, full=True, workers=1)
        assert not report.skipped, report.skipped
        return index
    if shape == "workers":
        with pytest.MonkeyPatch.context() as mp:
            _few_files_per_worker(mp)
            report = reindex(corpus, index, full=True, workers=2, limitmb=SMALL_LIMITMB)
        assert not report.skipped, report.skipped
        return index
    from searchsvc.ingest import corpus_files

    import searchsvc.backends.whoosh.indexer.build as build

    merge = shape == "incremental-runs"
    limitmb = build.LIMITMB if merge else SMALL_LIMITMB
    copy = work / "corpus"
    copy.mkdir(parents=True)
    for extra in ("manifest.jsonl", "synonyms.txt"):
        if (corpus / extra).exists():
            shutil.copy2(corpus / extra, copy / extra)
    files = [p.relative_to(corpus) for p in corpus_files(corpus)]
    with pytest.MonkeyPatch.context() as mp:
        if not merge:
            mp.setattr(build, "SMALL_SEGMENT_DOCS", 0)
        for step in _steps(files):
            for rel in step.get("add", []):
                (copy / rel).parent.mkdir(parents=True, exist_ok=True)
                for f in _with_sidecars(corpus / rel):
                    shutil.copy2(f, copy / f.relative_to(corpus))
            for k in step.get("decoys", []):
                (copy / f"leurre_{k}.txt").write_text(
                    f"Article provisoire {k}\n\nUn leurre numéro {k}, supprimé plus tard.\n",
                    encoding="utf-8")
            for k in step.get("delete_decoys", []):
                (copy / f"leurre_{k}.txt").unlink()
            for rel in step.get("change", []):
                with open(copy / rel, "a", encoding="utf-8") as f:
                    f.write("\nParagraphe provisoire ajouté puis retiré.\n")
            for rel in step.get("restore", []):
                shutil.copy2(corpus / rel, copy / rel)
            report = reindex(copy, index, workers=1, limitmb=limitmb)
            assert not report.skipped, report.skipped
    return index


def shaped_articles_index(index: Path, articles: list, shape: str) -> Path:
    """An index holding exactly ``articles`` (``Article`` objects), written in ``shape``.

    One segment and workers: ``build_index_from_articles``; the incremental shapes
    start from it and replay the runs of :func:`_steps` with Whoosh writers
    (``update_document`` / ``delete_by_term``), merging small segments or not.
    """
    from searchsvc.article import Article
    from searchsvc.backends.whoosh.indexer import article_fields, build_index_from_articles, open_index

    articles = list(articles)
    if shape == "one-segment":
        build_index_from_articles(index, articles)
        return index
    if shape == "workers":
        with pytest.MonkeyPatch.context() as mp:
            _few_files_per_worker(mp)
            build_index_from_articles(index, articles, workers=2)
        return index
    merge = shape == "incremental-runs"
    decoys = [Article(id=f"leurre-{k}", text=f"Un leurre numéro {k}, supprimé plus tard.",
                      title=f"Article provisoire {k}") for k in range(2)]
    steps = _steps(list(range(len(articles))))
    build_index_from_articles(index, [articles[i] for i in steps[0]["add"]] + decoys)
    for step in steps[1:]:
        _, ix = open_index(index)
        w = ix.writer()
        for i in step.get("add", []):
            w.add_document(**article_fields(articles[i]))
        for i in step.get("change", []):
            changed = dataclasses.replace(articles[i], text=articles[i].text + "\n\nParagraphe provisoire.")
            w.update_document(**article_fields(changed))
        for i in step.get("restore", []):
            w.update_document(**article_fields(articles[i]))
        for k in step.get("delete_decoys", []):
            w.delete_by_term("id", decoys[k].id)
        w.commit(merge=merge)
    return index


@pytest.fixture(scope="session")
def shaped_index(tmp_path_factory, index_shape):
    """``make(name, articles) -> index folder``: an index of exactly ``articles``, written
    in the session's ``index_shape`` (use it from a module-scoped fixture)."""

    def make(name: str, articles) -> Path:
        index = tmp_path_factory.mktemp(f"{name}-{index_shape}") / "index"
        return shaped_articles_index(index, articles, index_shape)

    return make


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, fixture_corpus, index_shape) -> Path:
    """An index folder built by ``searchsvc.backends.whoosh.indexer.reindex`` from ``fixture_corpus``, in
    each of :data:`INDEX_SHAPES` (the tests that use it run once per shape). Read-only.

    Open it with ``searchsvc.backends.whoosh.indexer.open_index(built_index)`` or pass it as an
    index_dir; tests that reindex must build their own.
    """
    work = tmp_path_factory.mktemp(f"built-{index_shape}")
    return build_corpus_index(fixture_corpus, work / "index", index_shape, work)


@pytest.fixture(scope="session")
def plain_index(tmp_path_factory, fixture_corpus) -> Path:
    """One one-segment index of ``fixture_corpus``, for tests whose subject does not depend
    on the index's shape (input and message checks). Read-only."""
    work = tmp_path_factory.mktemp("plain")
    return build_corpus_index(fixture_corpus, work / "index", "one-segment", work)


@pytest.fixture(scope="module")
def engine(corpus_store):
    """An engine over the fixture corpus, on every backend and index shape
    (``corpus_store``): the behaviour tests that take it run on each."""
    e = corpus_store.engine()
    yield e
    e.close()


@pytest.fixture(scope="module")
def whoosh_engine(built_index):
    """The Whoosh backend's engine over ``built_index`` (tests of its own internals)."""
    from searchsvc.backends.whoosh import SearchEngine

    e = SearchEngine(built_index)
    yield e
    e.close()


@pytest.fixture(scope="module")
def app(corpus_store, fixture_corpus, engine):
    """The Flask app over the fixture corpus, reindex API disabled (no admin token)."""
    from searchsvc.web import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(corpus_store.index_dir),
                       "CORPUS_DIR": str(fixture_corpus), "ENGINE": engine, "ADMIN_TOKEN": None})


@pytest.fixture(scope="session")
def entity_index(tmp_path_factory, seed_corpus) -> tuple[Path, Path]:
    """``(corpus, index)``: a copy of the seed corpus indexed with entities and quotes
    (spaCy on, in this process: the model loads once a session). Read-only."""
    from searchsvc.backends.whoosh.indexer import reindex

    work = tmp_path_factory.mktemp("entities")
    corpus = work / "corpus"
    shutil.copytree(seed_corpus, corpus)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEARCHSVC_NER", "1")
        reindex(corpus, work / "index", full=True, workers=1)
    return corpus, work / "index"


from search_stores import corpus_store, search_store, store_corpus, store_index  # noqa: E402,F401  (every backend and shape)
