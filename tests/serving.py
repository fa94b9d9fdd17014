"""``searchsvc serve`` started by the tests: in its own process group, stopped with
bounded waits, checked to leave no process behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import procs

ROOT = Path(__file__).resolve().parent.parent


class Served:
    """``searchsvc serve --port 0`` in a subprocess (its own process group), its URL read
    from its first line."""

    def __init__(self, *args, env=None, cwd=ROOT, start_timeout=120, unset=()):
        self.stderr_path = Path(env.pop("_STDERR")) if env and "_STDERR" in env else None
        self.errlog = open(self.stderr_path, "wb") if self.stderr_path else subprocess.DEVNULL
        self.proc = procs.popen(
            [sys.executable, "-m", "searchsvc.cli", "serve", "--port", "0", *args],
            cwd=cwd, env={k: v for k, v in {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}.items()
                          if k not in unset},
            stdout=subprocess.PIPE, stderr=self.errlog, text=True)
        self.lines: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=lambda: [self.lines.put(l) for l in self.proc.stdout],
                                       daemon=True)
        self.reader.start()
        self.url = None
        deadline = time.monotonic() + start_timeout
        while self.url is None:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise AssertionError("serve did not start")
            m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            self.url = m and m.group(1)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers, err.read()

    def stop(self, sig=signal.SIGTERM, orphans_grace: float = 0.0) -> int | None:
        """Stop the server with ``sig``, then SIGKILL its whole process group (bounded waits
        only); its exit status (None if it did not exit within 20 s). Fails if a process of
        its group is still running ``orphans_grace`` seconds after the server exited."""
        pgid = self.proc.pid
        try:
            code = procs.signal_and_wait(self.proc, sig, 20)
            left = procs.wait_group_gone(pgid, orphans_grace)
        finally:
            procs.kill_group(self.proc)  # never leave anything behind
            self.reader.join(5)  # the pipe's writers are all dead: end of file
            if not self.reader.is_alive():
                self.proc.stdout.close()
            if self.stderr_path:
                self.errlog.close()
        assert not left, f"processes left after serve stopped: {sorted(left)}"
        return code
