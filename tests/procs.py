"""Processes started by the tests: each in its own process group, which teardown kills
whole with a bounded wait, so that no failure (an orphaned child holding a pipe, a
server that does not stop) can hang the suite."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def popen(cmd, **kw) -> subprocess.Popen:
    """``subprocess.Popen`` in a new session (its own process group)."""
    return subprocess.Popen(cmd, start_new_session=True, **kw)


def _stats():
    """(pid, fields after the command name) of every process, from /proc."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue


def group_pids(pgid: int) -> set[int]:
    """Live (not zombie) processes of the process group ``pgid``."""
    return {pid for pid, f in _stats() if int(f[2]) == pgid and f[0] != "Z"}


def children(pid: int) -> set[int]:
    """The child processes of ``pid``."""
    return {child for child, f in _stats() if int(f[1]) == pid}


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def signal_and_wait(proc: subprocess.Popen, sig: int, seconds: float) -> int | None:
    """Send ``sig`` to ``proc`` and wait ``seconds`` at most; its exit status, or None."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=seconds)
    return proc.poll()


def kill_group(proc: subprocess.Popen, grace: float = 0.0) -> int | None:
    """SIGTERM to ``proc`` and ``grace`` seconds to exit if ``grace``, then SIGKILL to its
    whole process group, reaped with a bounded wait; its exit status (None if not reaped)."""
    if grace and proc.poll() is None:
        signal_and_wait(proc, signal.SIGTERM, grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    return proc.poll()


def wait_group_gone(pgid: int, seconds: float) -> set[int]:
    """Wait until no process of group ``pgid`` is left, ``seconds`` at most; those left."""
    deadline = time.monotonic() + seconds
    left = group_pids(pgid)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = group_pids(pgid)
    return left
