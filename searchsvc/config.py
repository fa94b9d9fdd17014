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


def lower_cpu_priority(niceness: int) -> None:
    """Run this process (and the processes it starts) at ``niceness`` or lower CPU
    priority (POSIX ``nice``; never raised back, nothing where unsupported), so that a
    reindex leaves the CPU to the service's searches when both want it."""
    if niceness <= 0 or not hasattr(os, "nice"):
        return
    try:
        current = os.nice(0)
        if current < niceness:
            os.nice(niceness - current)
    except OSError:
        pass
