"""Prefix queries on the 33,930-article news-fr index: their latency, and what they do to others.

Uses query_speed.py's cached index (bench/out/speed-index, built once from
../shared/datasets/news-fr; the data is never copied into the project) and
http_load.py's server and client machinery. In one run:

1. in-process: ``pr*`` and ``pr* co* ma* de*`` (cold: first time in this
   generation; then warm), CPU and wall ms, beside SQLite FTS5 answering the same
   prefixes (bm25, 10 rows + COUNT) on the same articles;
2. HTTP: one client sending ``pr*`` (p50/p95; target p95 <= 150 ms);
3. HTTP: 4 clients sending ``pr* co* ma* de*`` and 1 client sending plain queries
   (the titles' words, as bench/http_load.py draws them): the plain client's
   p50/p95 (target p95 <= 300 ms), beside the same plain client alone.

    .venv/bin/python bench/prefix_load.py [--seconds 20] [--server-workers 1] [--no-fts5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import http_load  # noqa: E402
import query_speed  # noqa: E402

from searchsvc.search import parse_params  # noqa: E402
from searchsvc.backends.whoosh import SearchEngine  # noqa: E402

HEAVY = "pr* co* ma* de*"
TARGET_PREFIX_P95 = 150.0
TARGET_PLAIN_P95 = 300.0


def in_process(fts5_db, index=None) -> None:
    engine = SearchEngine(index or query_speed.INDEX)
    try:
        engine.search(parse_params({"q": "Macron"}))  # open the generation
        for q in ("pr*", HEAVY):
            runs = []
            for _ in range(6):
                c0, w0 = time.thread_time(), time.perf_counter()
                r = engine.search(parse_params({"q": q}))
                runs.append(((time.thread_time() - c0) * 1000, (time.perf_counter() - w0) * 1000))
            warm = sorted(runs[1:], key=lambda cw: cw[1])[len(runs) // 2 - 1]
            print(f"in-process {q!r:<20} cold {runs[0][1]:6.0f} ms wall ({runs[0][0]:.0f} CPU); warm median "
                  f"{warm[1]:6.0f} ms wall ({warm[0]:.0f} CPU); total {r['total']}, partial {r['total_partial']}")
            if fts5_db is not None:
                match = query_speed.fts5_match(q).replace(" OR ", " AND ")
                t = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    fts5_db.execute("SELECT id, title FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10",
                                    (match,)).fetchall()
                    n = fts5_db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()[0]
                    t.append((time.perf_counter() - t0) * 1000)
                print(f"  FTS5 {match!r:<36} median {sorted(t)[1]:6.0f} ms; count {n}")
    finally:
        engine.close()


def run_clients(server, groups, seconds: float) -> dict[str, list[float]]:
    """``groups``: {name: (paths, n_clients)}; latencies in ms per group."""
    stop = threading.Event()
    recs = {name: http_load.Recorder() for name in groups}
    threads = []
    for name, (paths, n) in groups.items():
        for i in range(n):
            threads.append(threading.Thread(target=http_load.client,
                                            args=(server.host, server.port, paths, i * 7, stop, recs[name])))
    http_load.run_for(threads, stop, seconds)
    out = {}
    for name, rec in recs.items():
        errors = [s for s in rec.samples if s[2]]
        if errors:
            print(f"  {name}: {len(errors)} failures, e.g. {errors[0][2]}")
        out[name] = [s[1] * 1000 for s in rec.samples if not s[2]]
    return out


def show(name: str, lat: list[float], target: float | None = None) -> None:
    p95 = http_load.pct(lat, 95)
    verdict = "" if target is None else ("  (target <= %.0f ms: %s)" % (target, "met" if p95 <= target else "MISSED"))
    print(f"  {name:<34} {len(lat):6d} req   p50 {http_load.pct(lat, 50):7.1f}   p95 {p95:7.1f}   "
          f"max {max(lat) if lat else float('nan'):7.1f} ms{verdict}")


def plain_paths() -> list[str]:
    """Plain word queries of the API, drawn like bench/http_load.py's mix."""
    return [p for p in http_load.request_mix(http_load._newsfr.TOTAL)
            if p.startswith("/api/search?") and "*" not in urllib.parse.unquote(p)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each HTTP phase")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--server-workers", type=int, default=1)
    ap.add_argument("--no-fts5", action="store_true")
    ap.add_argument("--index", type=Path, default=None,
                    help="an existing news-fr index (e.g. bench/out/http_load/n33930/index)")
    a = ap.parse_args(argv)

    if a.index is None:
        query_speed.build_index(False)
    index = a.index or query_speed.INDEX
    db = None if a.no_fts5 else query_speed.fts5_build()
    in_process(db, index)
    if db is not None:
        db.close()

    prefix = ["/api/search?" + urllib.parse.urlencode({"q": "pr*"})]
    heavy = ["/api/search?" + urllib.parse.urlencode({"q": HEAVY})]
    plain = plain_paths()
    with tempfile.TemporaryDirectory() as empty:
        server = http_load.Server(Path(empty), index, a.threads, a.server_workers)
        try:
            info = server.health()
            print(f"server: {info['documents']} documents, {a.server_workers} process(es) x {a.threads} "
                  f"threads, {os.cpu_count()} cores, {a.seconds:.0f} s a phase")
            run_clients(server, {"warm-up": (prefix + heavy + plain[:20], 1)}, 3)
            show("1 client pr*", run_clients(server, {"p": (prefix, 1)}, a.seconds)["p"], TARGET_PREFIX_P95)
            show("1 plain client alone", run_clients(server, {"p": (plain, 1)}, a.seconds)["p"])
            mixed = run_clients(server, {"heavy": (heavy, 4), "plain": (plain, 1)}, a.seconds)
            show(f"4 clients {HEAVY!r}", mixed["heavy"])
            show("1 plain client beside them", mixed["plain"], TARGET_PLAIN_P95)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
