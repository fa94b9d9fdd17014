"""Shared fixtures: real files on disk, real indexes in temp folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, fixture_corpus) -> Path:
    """An index folder built by ``searchsvc.indexer.reindex`` from ``fixture_corpus``. Read-only.

    Open it with ``searchsvc.indexer.open_index(built_index)`` or pass it as an
    index_dir; tests that reindex must build their own.
    """
    from searchsvc.indexer import reindex

    index = tmp_path_factory.mktemp("built") / "index"
    report = reindex(fixture_corpus, index, full=True, workers=1)
    assert not report.skipped, report.skipped
    return index


@pytest.fixture(scope="module")
def engine(built_index):
    """A search engine over ``built_index``."""
    from searchsvc.search import SearchEngine

    return SearchEngine(built_index)


@pytest.fixture(scope="module")
def app(built_index, fixture_corpus, engine):
    """The Flask app over ``built_index``, reindex API disabled (no admin token)."""
    from searchsvc.web import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(built_index),
                       "CORPUS_DIR": str(fixture_corpus), "ENGINE": engine, "ADMIN_TOKEN": None})
