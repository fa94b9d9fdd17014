"""Paths and settings shared by the CLI and the web app (environment first)."""

from __future__ import annotations

import os
from pathlib import Path

#: bounds of the number of similar articles, in the API (``limit``) and the CLI (``--limit``)
SIMILAR_MIN, SIMILAR_MAX, SIMILAR_DEFAULT = 1, 20, 5


def corpus_dir(value: str | os.PathLike | None = None) -> Path:
    """The corpus folder: explicit value, else ``SEARCHSVC_CORPUS``, else ``./corpus``."""
    return Path(value or os.environ.get("SEARCHSVC_CORPUS") or "corpus")


def index_dir(value: str | os.PathLike | None = None) -> Path:
    """The index folder: explicit value, else ``SEARCHSVC_INDEX``, else ``./index``."""
    return Path(value or os.environ.get("SEARCHSVC_INDEX") or "index")


def synonyms_file(value: str | os.PathLike | None = None, corpus=None) -> Path | None:
    """The user's synonyms file: explicit, ``SEARCHSVC_SYNONYMS``, else (when ``corpus``
    is given) ``synonyms.txt`` of that corpus folder if it exists, else None."""
    v = value or os.environ.get("SEARCHSVC_SYNONYMS")
    if v:
        return Path(v)
    if corpus is not None:
        default = Path(corpus) / "synonyms.txt"
        return default if default.is_file() else None
    return None
