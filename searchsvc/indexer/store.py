"""Index generations on disk: ``CURRENT``, ``gen-<n>/``, the reindex lock.

Layout of an index folder::

    index/CURRENT        "gen-<n>\\n": the live generation
    index/gen-<n>/       a complete Whoosh index, plus state.json (see state.py)
    index/reindex.lock   held (flock) by the one reindex allowed at a time

``CURRENT`` is replaced atomically (temp file, fsync, ``os.replace``, fsync of
the folder) only once the new generation is complete and synced, so a reader
or a crash never sees a half-built index. After a switch the generation that
was live just before is kept (a reader that opened it a moment ago can still
open or refresh it); older ones, and leftovers of crashed builds, are removed.
A process that still holds files of a removed generation open keeps reading
them (POSIX keeps unlinked open files; Whoosh maps its compound segments).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

CURRENT = "CURRENT"
LOCK_NAME = "reindex.lock"
_GEN = re.compile(r"^gen-(\d+)$")


class NoIndexError(Exception):
    """There is no usable index in the folder."""

    def __init__(self, index_dir, detail: str | None = None):
        msg = f"Aucun index utilisable dans « {index_dir} »"
        if detail:
            msg += f" ({detail})"
        msg += " : lancez « searchsvc reindex » pour le construire."
        super().__init__(msg)
        self.index_dir = Path(index_dir)


class IndexBusyError(Exception):
    """Another reindex holds the index."""

    def __init__(self, index_dir):
        super().__init__(
            f"Une réindexation est déjà en cours sur « {index_dir} » ; "
            "réessayez quand elle sera terminée."
        )
        self.index_dir = Path(index_dir)


def gen_number(name: str) -> int | None:
    m = _GEN.match(name)
    return int(m.group(1)) if m else None


def list_generations(index_dir) -> list[tuple[int, Path]]:
    """All ``gen-<n>`` folders, oldest first (complete or not)."""
    index_dir = Path(index_dir)
    try:
        entries = list(os.scandir(index_dir))
    except FileNotFoundError:
        return []
    gens = [(gen_number(e.name), Path(e.path)) for e in entries if e.is_dir(follow_symlinks=False)]
    return sorted((n, p) for n, p in gens if n is not None)


def current_generation(index_dir) -> str | None:
    """The name in ``CURRENT`` (``gen-<n>``) or None when absent or invalid."""
    try:
        name = (Path(index_dir) / CURRENT).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if gen_number(name) is not None else None


def open_index(index_dir):
    """``(generation, whoosh Index)`` of the live generation; raises :class:`NoIndexError`.

    Retries when a reindex switched generations between reading ``CURRENT``
    and opening the folder.
    """
    index_dir = Path(index_dir)
    last = None
    for _ in range(5):
        gen = current_generation(index_dir)
        if gen is None:
            raise NoIndexError(index_dir)
        try:
            return gen, whoosh_index.open_dir(str(index_dir / gen))
        except (OSError, whoosh_index.EmptyIndexError) as exc:
            last = exc
            if current_generation(index_dir) == gen:
                break
    raise NoIndexError(index_dir, f"{gen} illisible : {last}")


def fsync_dir(path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path) -> None:
    """fsync every file of a generation folder, then the folder."""
    for root, dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(root)


def write_atomic(path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def switch_current(index_dir, gen: str) -> None:
    """Make ``gen`` the live generation (atomic, durable)."""
    write_atomic(Path(index_dir) / CURRENT, (gen + "\n").encode("ascii"))


def remove_old_generations(index_dir, keep: set[str]) -> list[str]:
    """Delete every ``gen-<n>`` folder not named in ``keep``; returns the removed names."""
    removed = []
    for _, path in list_generations(index_dir):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


@contextmanager
def reindex_lock(index_dir, wait: float = 0.0):
    """Hold the index's reindex lock; raise :class:`IndexBusyError` after ``wait`` seconds.

    ``flock`` is released by the kernel when the holder dies, so a killed
    reindex never leaves a stale lock.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusyError(index_dir) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the flock


def dir_size(path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
