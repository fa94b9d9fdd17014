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
