"""Index generations on disk: ``CURRENT``, ``gen-<n>/``, the reindex lock.

Layout of an index folder::

    index/CURRENT        "gen-<n>\\n": the live generation
    index/gen-<n>/       a complete Whoosh index, plus state.json (see state.py)
    index/reindex.lock   held (flock) by the one reindex allowed at a time; holds the
                         holder's pid while held, emptied on release

``CURRENT`` is replaced atomically (temp file, fsync, ``os.replace``, fsync of
the folder) only once the new generation is complete and synced, so a reader
or a crash never sees a half-built index. After a switch the generation that
was live just before is kept (a reader that opened it a moment ago can still
open or refresh it); older ones are removed. Whatever a killed reindex left is
removed by the next one (:func:`clean_leftovers`).
A process that still holds files of a removed generation open keeps reading
them (POSIX keeps unlinked open files; Whoosh maps its compound segments).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from searchsvc.backends.whoosh.indexer import mapped
from searchsvc import engine

# every process that opens an index (searchers, stats, incremental writers, the reindex's
# checks) reads compound segments through their memory map, never copied
mapped.install()

CURRENT = "CURRENT"
LOCK_NAME = "reindex.lock"
_GEN = re.compile(r"^gen-(\d+)$")


class NoIndexError(engine.NoIndexError):
    """There is no usable index in the folder."""

    def __init__(self, index_dir, detail: str | None = None):
        msg = f"Aucun index utilisable dans « {index_dir} »"
        if detail:
            msg += f" ({detail})"
        msg += " : lancez « searchsvc reindex » pour le construire."
        super().__init__(msg)
        self.index_dir = Path(index_dir)


class CorruptIndexError(NoIndexError, engine.IndexDamaged):
    """The live generation is damaged (a file truncated, altered or missing)."""

    def __init__(self, index_dir, generation: str, problem: str):
        Exception.__init__(
            self, f"La génération {generation} de l'index « {index_dir} » est endommagée "
                  f"({problem}) : lancez « searchsvc reindex --full » pour la reconstruire.")
        self.index_dir = Path(index_dir)
        self.generation = generation
        self.problem = problem


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
    """``(generation, whoosh Index)`` of the live generation; raises :class:`NoIndexError`,
    or :class:`CorruptIndexError` when its files cannot be opened or were truncated or
    altered since they were written (see :func:`generation_problem`).

    Retries when a reindex switched generations between reading ``CURRENT``
    and opening the folder.
    """
    index_dir = Path(index_dir)
    last = None
    for _ in range(5):
        gen = current_generation(index_dir)
        if gen is None:
            raise NoIndexError(index_dir)
        # checked before Whoosh maps the files: reading a mapping past the end of a
        # truncated file would kill the process (SIGBUS)
        problem = generation_problem(index_dir / gen)
        if problem is not None and current_generation(index_dir) == gen:
            raise CorruptIndexError(index_dir, gen, problem)
        try:
            ix = whoosh_index.open_dir(str(index_dir / gen))
            ix.reader().close()  # opens every segment's files
            return gen, ix
        except Exception as exc:  # a missing TOC, a truncated compound file...
            last = exc
            if current_generation(index_dir) == gen:
                break
    if isinstance(last, whoosh_index.EmptyIndexError) or not (index_dir / gen).is_dir():
        raise NoIndexError(index_dir, f"{gen} illisible : {last}")
    raise CorruptIndexError(index_dir, gen, f"illisible : {type(last).__name__}: {last}")


def live_generation(index_dir) -> str:
    """The live generation's name once it opens (:func:`open_index`, same errors)."""
    gen, ix = open_index(index_dir)
    ix.close()
    return gen


# -- integrity of a generation's files -------------------------------------------
#
# Whoosh never rewrites a segment file once written, so each generation keeps, in
# checksums.json, the size, mtime and hash of its Whoosh files as they were at
# the last commit (written with state.json). A file whose size or mtime changed
# since is hashed: truncated or altered means the generation is damaged.

CHECKSUMS = "checksums.json"
_verdicts: dict[tuple, str | None] = {}


def _whoosh_files(gen_dir: Path) -> list[str]:
    from whoosh.index import TOC

    toc, seg = TOC._pattern("MAIN"), TOC._segment_pattern("MAIN")
    try:
        names = os.listdir(gen_dir)
    except OSError:
        return []
    return sorted(n for n in names if toc.match(n) or seg.match(n))


def _file_hash(path) -> str:
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _read_checksums(gen_dir: Path) -> dict | None:
    try:
        return json.loads((gen_dir / CHECKSUMS).read_bytes())
    except (OSError, ValueError):
        return None


def write_checksums(gen_dir) -> None:
    """Record size, mtime and hash of the generation's Whoosh files (after a commit).
    Files already recorded keep their first record (they are never rewritten)."""
    gen_dir = Path(gen_dir)
    old = _read_checksums(gen_dir) or {}
    out = {}
    for name in _whoosh_files(gen_dir):
        if name in old:
            out[name] = old[name]
            continue
        st = os.stat(gen_dir / name)
        out[name] = [st.st_size, st.st_mtime_ns, _file_hash(gen_dir / name)]
    write_atomic(gen_dir / CHECKSUMS, json.dumps(out, separators=(",", ":")).encode("ascii"))


def generation_problem(gen_dir) -> str | None:
    """None, or a French phrase saying which file of the generation is truncated or
    altered. Cheap: one stat per file; only a file whose size or mtime changed is
    hashed (once per change). A generation without checksums is not checked."""
    gen_dir = Path(gen_dir)
    sums = _read_checksums(gen_dir)
    if not isinstance(sums, dict):
        return None
    for name, record in sums.items():
        try:
            size, mtime, digest = record
            st = os.stat(gen_dir / name)
        except FileNotFoundError:
            continue  # removed by a later commit (a file the TOC needs fails at opening)
        except (OSError, ValueError, TypeError):
            return f"empreintes illisibles pour « {name} »"
        if (st.st_size, st.st_mtime_ns) == (size, mtime):
            continue
        key = (os.fspath(gen_dir / name), st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in _verdicts:
            if st.st_size < size:
                verdict = f"fichier « {name} » tronqué : {st.st_size} octets au lieu de {size}"
            elif st.st_size != size:
                verdict = f"fichier « {name} » modifié : {st.st_size} octets au lieu de {size}"
            else:
                try:
                    same = _file_hash(gen_dir / name) == digest
                except OSError as exc:
                    same = False
                    name = f"{name} ({exc.strerror})"
                verdict = None if same else f"fichier « {name} » altéré depuis son écriture"
            _verdicts[key] = verdict
        if _verdicts[key]:
            return _verdicts[key]
    return None


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
    reindex never blocks the next one. The holder writes its pid into the lock
    file and empties it on release: yields the pid found there on acquiring
    (a holder that died without releasing, e.g. ``kill -9``), else None.
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
        stale = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield int(stale) if stale.isdigit() else None
        finally:
            try:
                os.ftruncate(fd, 0)
            except OSError:  # pragma: no cover - e.g. the disk went read-only
                pass
    finally:
        os.close(fd)  # releases the flock


def _remove_tmp_files(folder: Path) -> list[str]:
    """``*.tmp-<pid>`` files of :func:`write_atomic` (only ever left by a killed writer)."""
    removed = []
    for path in folder.glob("*.tmp-*"):
        try:
            path.unlink()
            removed.append(path.name)
        except OSError:
            pass
    return removed


def _remove_orphan_segments(gen_dir: Path) -> int:
    """Whoosh files of the live generation that its TOC does not name (segments a killed
    incremental run wrote but never committed): removed the way Whoosh's own commit does.
    Returns how many files went."""
    from whoosh.index import clean_files

    try:
        ix = whoosh_index.open_dir(str(gen_dir))
        toc = ix._read_toc()
    except Exception:  # unreadable: the reindex rebuilds it in full
        return 0
    before = set(os.listdir(gen_dir))
    clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    return len(before - set(os.listdir(gen_dir)))


def clean_leftovers(index_dir, stale_pid: int | None = None) -> list[str]:
    """Remove what an interrupted reindex left; call it holding the reindex lock.

    A complete build always switches ``CURRENT`` before releasing the lock, so
    every generation numbered above the live one is a partial build; of the older
    ones only the most recent is kept (the generation live before the last switch).
    Also removes temp files of interrupted atomic writes and uncommitted segment
    files in the live generation. Returns one French sentence per thing cleaned.
    """
    index_dir = Path(index_dir)
    notes = []
    if stale_pid is not None:
        notes.append(f"verrou d'une réindexation interrompue (processus {stale_pid}) repris")
    live = current_generation(index_dir)
    live_n = gen_number(live) if live else None
    gens = list_generations(index_dir)
    if live_n is None:
        partial = [p for _, p in gens]
        old = []
    else:
        partial = [p for n, p in gens if n > live_n]
        older = [p for n, p in gens if n < live_n]
        old = older[:-1]
    for path in partial:
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"génération partielle {path.name} d'une réindexation interrompue supprimée")
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"ancienne génération {path.name} supprimée")
    tmp = _remove_tmp_files(index_dir)
    if live is not None and (index_dir / live).is_dir():
        tmp += _remove_tmp_files(index_dir / live)
        orphans = _remove_orphan_segments(index_dir / live)
        if orphans:
            notes.append(f"{orphans} fichier{'s' if orphans > 1 else ''} de segment non validé"
                         f"{'s' if orphans > 1 else ''} supprimé{'s' if orphans > 1 else ''} "
                         f"dans {live}")
    if tmp:
        notes.append("fichiers temporaires d'une écriture interrompue supprimés : " + ", ".join(tmp))
    return notes


def find_os_error(exc: BaseException | None) -> OSError | None:
    """The ``OSError`` in ``exc`` or in what caused it (``__cause__``, or ``__context__``
    unless suppressed by ``raise ... from None``)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError) and exc.errno is not None:
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ if exc.__cause__ is not None else (
            None if exc.__suppress_context__ else exc.__context__)
    return None


def describe_os_error(exc: OSError, index_dir) -> str:
    """One French line for a system error met while writing the index in ``index_dir``:
    what happened, on which file, what is still served and what to do."""
    index_dir = Path(index_dir)
    from searchsvc.ingest.reader import os_error_reason  # French, never Python's strerror

    what = os_error_reason(exc)
    where = f" (fichier « {exc.filename} »)" if exc.filename else ""
    live = current_generation(index_dir)
    kept = (f"la génération {live} reste en service, rien d'inachevé n'a été activé" if live
            else "aucun index n'était en service et aucun n'a été activé")
    advice = {
        errno.ENOSPC: "libérez de la place puis relancez la réindexation",
        errno.EDQUOT: "libérez de la place puis relancez la réindexation",
        errno.EROFS: "l'index ne peut pas être modifié ici",
        errno.EACCES: "vérifiez les droits sur le dossier de l'index",
        errno.EPERM: "vérifiez les droits sur le dossier de l'index",
    }.get(exc.errno, "relancez la réindexation")
    return f"{what} pour l'index « {index_dir} »{where} : {kept} ; {advice}."


@contextmanager
def os_errors_as(error_class, index_dir):
    """Turn any system error met inside (also as the cause of another exception) into
    ``error_class(describe_os_error(...))``: one French line instead of a traceback."""
    try:
        yield
    except error_class:
        raise
    except Exception as exc:
        found = find_os_error(exc)
        if found is None:
            raise
        raise error_class(describe_os_error(found, index_dir)) from exc


def dir_size(path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
