"""`searchsvc serve` stops cleanly, always: under load, by SIGTERM (graceful, the requests
already accepted are answered) or SIGKILL of its parent (a process manager's last word),
no serving process outlives the parent and the port can be bound again."""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
import urllib.request
from pathlib import Path

import procs
import pytest
from serving import Served

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not Path("/proc/self/stat").exists() or not hasattr(os, "fork"),
                       reason="needs /proc and fork"),
]

ROUNDS = 20
CLIENTS = 8
QUERIES = ["munitions", "France", "gouvernement", "Paris", "police", "le", "a*", "zinzolin"]


def _port_free(port: int) -> bool:
    """Whether a new server could listen on ``port`` (as serve does: SO_REUSEADDR, so
    connections in TIME_WAIT do not count, a listening socket does)."""
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


def _hammer(url: str, stop: threading.Event, answered: list, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{url}/api/search?q={rng.choice(QUERIES)}", timeout=10) as resp:
                resp.read()
                answered.append(resp.status)
        except OSError:  # refused or reset once the service is stopping: expected
            time.sleep(0.01)


@pytest.mark.slow
def test_serve_stops_cleanly_under_load_on_sigterm_or_sigkill_of_the_parent(plain_index, fixture_corpus):
    rng = random.Random(2026)
    signals = [signal.SIGTERM, signal.SIGKILL] * (ROUNDS // 2)
    rng.shuffle(signals)
    for n, sig in enumerate(signals):
        srv = Served("--workers", "2", "--threads", "4", "--index", str(plain_index),
                     "--corpus", str(fixture_corpus), start_timeout=60,
                     env={"SEARCHSVC_WARM": "0"})  # 20 starts: the warm-up is not the subject
        port = int(srv.url.rsplit(":", 1)[1])
        pgid = srv.proc.pid
        stop, answered = threading.Event(), []
        clients = [threading.Thread(target=_hammer, args=(srv.url, stop, answered, n * CLIENTS + k),
                                    daemon=True) for k in range(CLIENTS)]
        try:
            for c in clients:
                c.start()
            deadline = time.monotonic() + 30
            while len(answered) < CLIENTS and time.monotonic() < deadline:
                time.sleep(0.01)
            assert answered, f"round {n}: no search answered"
            time.sleep(rng.uniform(0.0, 0.5))  # a random moment under load
            code = procs.signal_and_wait(srv.proc, sig, 20)
            left = procs.wait_group_gone(pgid, 0 if sig == signal.SIGTERM else 20)
        finally:
            stop.set()
            for c in clients:
                c.join(15)
            srv.stop()
        name = signal.Signals(sig).name
        assert not left, f"round {n} ({name}): processes left {sorted(left)}"
        assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL), f"round {n} ({name})"
        assert _port_free(port), f"round {n} ({name}): port {port} still bound"
        assert all(status == 200 for status in answered)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_request_accepted_before_sigterm_gets_its_answer(plain_index, fixture_corpus, workers):
    srv = Served("--workers", workers, "--index", str(plain_index), "--corpus", str(fixture_corpus))
    port = int(srv.url.rsplit(":", 1)[1])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as conn:
            conn.sendall(b"GET /api/search?q=munitions HTTP/1.1\r\nHost: localhost\r\n")
            time.sleep(0.3)  # accepted, its headers half sent
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert srv.proc.poll() is None  # still answering what it accepted
            conn.sendall(b"Connection: close\r\n\r\n")
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200 ") and b'"total"' in reply
        assert srv.proc.wait(timeout=20) == 0
    finally:
        srv.stop()
    assert _port_free(port)


def test_serving_processes_die_with_a_parent_killed_by_sigkill(plain_index, fixture_corpus):
    srv = Served("--workers", "2", "--index", str(plain_index), "--corpus", str(fixture_corpus))
    try:
        deadline = time.monotonic() + 10
        while len(procs.group_pids(srv.proc.pid)) < 3:  # the parent and its two workers
            assert time.monotonic() < deadline, "two serving processes expected"
            time.sleep(0.05)
        assert srv.get("/healthz")[0] == 200
        workers = procs.group_pids(srv.proc.pid) - {srv.proc.pid}
        srv.proc.kill()
        srv.proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(procs.alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(procs.alive(w) for w in workers)
    finally:
        srv.stop()
