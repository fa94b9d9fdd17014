"""What one running app holds: the shared search engine and the reindex job."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger(__name__)


class IndexUnavailable(Exception):
    """No usable index yet (the service answers 503 until one is built)."""


class EngineHolder:
    """Creates the configured backend's engine (:func:`searchsvc.engine.open_engine`) on first use.

    The engine itself is thread-safe and follows new index generations; this
    holder only retries creation while no index exists (for example when the
    service was started before the first ``searchsvc reindex``).
    """

    def __init__(self, index_dir: Path, synonyms_path: Path | None = None, engine=None):
        self.index_dir = Path(index_dir)
        self.synonyms_path = synonyms_path
        self._engine = engine
        self._lock = threading.Lock()

    def get(self):
        engine = self._engine
        if engine is not None:
            return engine
        with self._lock:
            if self._engine is None:
                from searchsvc.engine import NoIndexError, open_engine

                try:
                    self._engine = open_engine(self.index_dir, synonyms_path=self.synonyms_path)
                except NoIndexError as exc:
                    raise IndexUnavailable(str(exc)) from exc
            return self._engine


def jsonable(value):
    """A ReindexReport (dataclass or plain object) as JSON-friendly data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    elif hasattr(value, "__dict__") and not isinstance(value, (dict, list, tuple, str)):
        value = {k: v for k, v in vars(value).items() if not k.startswith("_")}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_IDLE = {"state": "idle", "full": None, "started_at": None, "finished_at": None,
         "duration_s": None, "report": None, "error": None}


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return False
    return True


class ReindexJob:
    """One background reindex at a time, started through the API.

    The reindex itself runs in a child process (:mod:`searchsvc.web.reindex_worker`)
    at a lower CPU priority; a thread of the server only waits for it. With
    *status_file* (set by ``searchsvc serve --workers N``), the status is shared
    by all the service's processes through that JSON file, under a file lock.
    """

    def __init__(self, corpus_dir: Path, index_dir: Path, nice: int = 10,
                 status_file: str | os.PathLike | None = None):
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self.nice = nice
        self.status_file = Path(status_file) if status_file else None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._status = dict(_IDLE)

    # -- shared status -------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        with self._lock:
            if self.status_file is None:
                yield
                return
            fd = os.open(self.status_file.with_name(self.status_file.name + ".lock"),
                         os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _read(self) -> dict:
        if self.status_file is None:
            return dict(self._status)
        try:
            st = json.loads(self.status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return dict(_IDLE)
        pid = st.pop("pid", None)
        if st.get("state") == "running" and not _alive(pid):
            st.update(state="failed", error="Réindexation interrompue (processus du service arrêté).")
        return st

    def _write(self, st: dict) -> None:
        self._status = dict(st)
        if self.status_file is not None:
            tmp = self.status_file.with_name(f"{self.status_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({**st, "pid": os.getpid()}), encoding="utf-8")
            os.replace(tmp, self.status_file)

    def status(self) -> dict:
        with self._locked():
            return self._read()

    # -- running -------------------------------------------------------------

    def start(self, full: bool = False) -> bool:
        """Start a reindex; False if one started through the API is still running."""
        with self._locked():
            if self._read()["state"] == "running":
                return False
            self._write({**_IDLE, "state": "running", "full": full, "started_at": _now()})
            self._thread = threading.Thread(target=self._run, args=(full,),
                                            name="searchsvc-reindex", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, full: bool) -> None:
        t0 = time.perf_counter()
        report = error = None
        cmd = [sys.executable, "-m", "searchsvc.web.reindex_worker",
               str(self.corpus_dir), str(self.index_dir), "--nice", str(self.nice)]
        if full:
            cmd.append("--full")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", stdin=subprocess.DEVNULL)
            if done.returncode == 0:
                report = json.loads(done.stdout.strip().splitlines()[-1])
                state = "done"
            else:
                lines = [l for l in done.stderr.strip().splitlines() if l.strip()]
                error = lines[-1] if lines else f"code de sortie {done.returncode}"
                log.warning("reindex failed: %s", done.stderr.strip())
                state = "failed"
        except (OSError, ValueError, IndexError) as exc:
            log.exception("reindex could not run")
            state, error = "failed", f"{type(exc).__name__}: {exc}"
        with self._locked():
            st = self._read()
            st.update(state=state, finished_at=_now(), report=report, error=error,
                      duration_s=round(time.perf_counter() - t0, 3))
            self._write(st)
