"""Serving processes that stop cleanly: a graceful waitress loop and a prefork parent.

A process manager (systemd, a container runtime) sends SIGTERM to the parent, then
SIGKILL after its grace period. Whatever happens, no serving process outlives the
parent: each one asks the kernel for SIGTERM when its parent dies (``PR_SET_PDEATHSIG``
on Linux) and also watches a pipe whose only writer is the parent (its end-of-file
means the parent is gone, on any system with ``fork``). A serving process stopped by
SIGTERM or SIGINT stops accepting, answers the requests it has already accepted
(:data:`DRAIN_SECONDS` at most), then exits; the parent forwards SIGTERM to its
children and waits :data:`STOP_SECONDS` at most before it kills the ones left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from typing import Callable

#: seconds a stopping serving process keeps answering the requests it has accepted
DRAIN_SECONDS = 10.0
#: seconds the parent waits for its stopping children before SIGKILL
STOP_SECONDS = DRAIN_SECONDS + 5.0
#: a connection with traffic this recent is treated as carrying a request
RECENT_SECONDS = 0.25

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _server_map(server) -> dict:
    return server._map if hasattr(server, "_map") else server.map


def _servers(server) -> list:
    """The listening dispatchers of ``server`` (one, or several for several sockets)."""
    from waitress.server import BaseWSGIServer

    return [d for d in list(_server_map(server).values()) if isinstance(d, BaseWSGIServer)]


def _busy(server) -> bool:
    """Whether a connection of ``server`` still has a request to receive, run or send."""
    now = time.time()
    for srv in _servers(server):
        for ch in list(srv.active_channels.values()):
            if (ch.requests or ch.total_outbufs_len or ch.request is not None
                    or now - ch.last_activity < RECENT_SECONDS):
                return True
    return False


def serve_gracefully(server, on_ready: Callable[[], None] | None = None,
                     drain: float = DRAIN_SECONDS) -> None:
    """Run a waitress ``server`` until SIGTERM or SIGINT, then answer the requests already
    accepted (``drain`` seconds at most) and close it; ``on_ready()`` is called once the
    stop signals are handled, just before the first connection is accepted."""
    stop = threading.Event()

    def on_stop(signum, frame):
        stop.set()
        with contextlib.suppress(Exception):
            _servers(server)[0].pull_trigger()  # wake the poll loop now

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_stop)
    loop = server.asyncore.loop
    adj = server.adj
    smap = _server_map(server)
    if on_ready is not None:
        on_ready()
    while not stop.is_set():
        loop(timeout=adj.asyncore_loop_timeout, map=smap, use_poll=adj.asyncore_use_poll, count=1)
    for srv in _servers(server):
        srv.accepting = False  # no longer polled: the other processes, if any, accept
    deadline = time.monotonic() + drain
    while _busy(server) and time.monotonic() < deadline:
        loop(timeout=0.05, map=smap, use_poll=adj.asyncore_use_poll, count=1)
    server.task_dispatcher.shutdown(timeout=max(0.1, deadline - time.monotonic()))
    from waitress import wasyncore

    wasyncore.close_all(smap)


def die_with_parent(parent: int, watch_fd: int | None = None, drain: float = DRAIN_SECONDS) -> None:
    """In a forked child: get SIGTERM when ``parent`` dies; if ``watch_fd`` (the read end of
    a pipe only the parent writes to) reaches end-of-file, the same, then a hard exit
    if the graceful stop takes longer than ``drain`` seconds and a margin."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    if watch_fd is not None:
        def watch() -> None:
            with contextlib.suppress(OSError):
                while os.read(watch_fd, 1):
                    pass
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(drain + 3.0)
            os._exit(1)

        threading.Thread(target=watch, name="searchsvc-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the watch was in place
        os.kill(os.getpid(), signal.SIGTERM)


def prefork(workers: int, serve_here: Callable[[Callable[[], None]], None],
            on_ready: Callable[[], None] | None = None, stop_seconds: float = STOP_SECONDS) -> None:
    """Fork ``workers`` processes running ``serve_here(ready)`` (they accept on a socket
    opened before; each calls ``ready()`` when it is about to accept) and restart any that
    dies, until SIGTERM or SIGINT; then forward SIGTERM to them, wait ``stop_seconds`` at
    most and kill those left. ``on_ready()`` is called once all the first ones are ready."""
    children: set[int] = set()
    parent = os.getpid()
    watch_r, watch_w = os.pipe()
    ready_r, ready_w = os.pipe()

    def ready() -> None:
        os.write(ready_w, b".")

    def await_ready() -> None:
        seen = 0
        with contextlib.suppress(OSError):
            while seen < workers:
                got = os.read(ready_r, workers)
                if not got:
                    return
                seen += len(got)
            if on_ready is not None:
                on_ready()
            while os.read(ready_r, 64):  # the restarted ones
                pass

    def spawn() -> None:
        # no stop signal between fork and the child's own handlers, or the parent's record
        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:  # child: serve until SIGTERM
            code = 0
            try:
                os.close(watch_w)
                os.close(ready_r)
                die_with_parent(parent, watch_r)
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
                serve_here(ready)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.add(pid)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)

    try:
        for _ in range(workers):
            spawn()
        threading.Thread(target=await_ready, name="searchsvc-ready", daemon=True).start()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            children.discard(pid)
            print(f"Processus de service {pid} arrêté (statut {status}) : relancé.",
                  file=sys.stderr, flush=True)
            time.sleep(0.5)
            spawn()
    except (KeyboardInterrupt, SystemExit):
        for sig in STOP_SIGNALS:  # a second signal must not cut the bounded wait short
            signal.signal(sig, signal.SIG_IGN)
        _stop(children, stop_seconds)
    finally:
        os.close(watch_w)  # any child left sees end-of-file and stops
        os.close(watch_r)
        os.close(ready_w)


def _stop(children: set[int], seconds: float) -> None:
    """SIGTERM to ``children``, reaped within ``seconds``; SIGKILL to those left."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while children and time.monotonic() < deadline:
        for pid in list(children):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
            children.discard(pid)
        time.sleep(0.02)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
