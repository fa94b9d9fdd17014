"""Paths and settings shared by the CLI and the web app (environment first)."""

from __future__ import annotations

import os
from pathlib import Path


def corpus_dir(value: str | os.PathLike | None = None) -> Path:
    """The corpus folder: explicit value, else ``SEARCHSVC_CORPUS``, else ``./corpus``."""
    return Path(value or os.environ.get("SEARCHSVC_CORPUS") or "corpus")


def index_dir(value: str | os.PathLike | None = None) -> Path:
    """The index folder: explicit value, else ``SEARCHSVC_INDEX``, else ``./index``."""
    return Path(value or os.environ.get("SEARCHSVC_INDEX") or "index")


def synonyms_file(value: str | os.PathLike | None = None) -> Path | None:
    """The user's synonyms file: explicit, ``SEARCHSVC_SYNONYMS``, or None."""
    v = value or os.environ.get("SEARCHSVC_SYNONYMS")
    return Path(v) if v else None
