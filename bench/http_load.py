"""HTTP load check: N concurrent clients against ``searchsvc serve`` while ``reindex --full`` runs.

Builds (once, cached under bench/out/http_load/) a corpus of news-fr articles
from ../shared/datasets/news-fr (never copied into the project) and its index,
starts the real server (waitress) on a free loopback port, then runs two phases
in the same run so their figures can be compared on this shared machine:

1. baseline: clients only, for ``--baseline`` seconds;
2. reindex: the same clients while ``searchsvc reindex --full`` builds and
   switches to a new generation (the phase lasts until the reindex is done,
   bounded by ``--max-seconds``), then 10 s on the new generation ("after").

Each client is a thread with its own keep-alive ``http.client`` connection,
cycling through a fixed, seeded mix: 80 % /api/search (words, phrases,
filters, sorts, page 2), 10 % the HTML page, 10 % /api/documents/<id>.
A failure is any exception or any status other than 200. Prints requests/s,
p50/p95/p99/max latency and failures per phase. Target: zero failures,
p95 <= 300 ms with 8 clients.

Before them, a start phase (``--start-only`` runs it alone): a fresh ``serve`` without
(``SEARCHSVC_WARM=0``) and with its start warm-up, the first 10 searches after it prints
its address (the first is "gilets jaunes"), beside the p95 of the next 100 (warm).
Target: the first 10's p95 <= 2 x the warm p95, all highlighted.

    python bench/http_load.py [--clients 8] [-n 33930] [--baseline 10] [--max-seconds 600]

``--backend opensearch`` (or ``both``) serves the same corpus from the OpenSearch backend
(``serve`` with ``SEARCHSVC_BACKEND=opensearch``, the cluster at ``SEARCHSVC_OPENSEARCH_URL``,
else a local 3-node cluster started for the run as bench/scale.py starts it; the corpus
indexed once by ``searchsvc reindex --full`` under the alias ``bench-http-<n>``). It runs
the load phase alone, no reindex meanwhile (the reindex under load stays the Whoosh
backend's measure); ``both`` runs it on each backend in turn, ``--rounds`` times, and
prints their p50/p95 side by side with the ratio. On this 2-core machine the nodes,
the service's processes and the load clients share the cores: compare ratios.

    flock /work/wt/heavy.lock nice .venv/bin/python bench/http_load.py --backend both \
        --no-entities --no-start --baseline 60
    ... bench/http_load.py --backend both --scale 10x --baseline 60   # bench/scale.py's 10x indexes
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _newsfr  # noqa: E402

AFTER_SECONDS = 10.0  # the "after" phase: the first seconds on the new generation
WORDS_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ'-]{4,}")


def prepare(workdir: Path, n: int, workers: int | None, extra=()) -> tuple[Path, Path]:
    corpus, index = workdir / "corpus", workdir / "index"
    stamp = workdir / "corpus.count"
    if not (stamp.exists() and stamp.read_text().strip() == str(n) and (index / "CURRENT").exists()):
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        t0 = time.perf_counter()
        written = _newsfr.write_corpus(corpus, n)
        print(f"corpus: {written} articles written in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "searchsvc.cli", "reindex", "--full", "--quiet",
               "--corpus", str(corpus), "--index", str(index), *extra]
        if workers:
            cmd += ["--workers", str(workers)]
        subprocess.run(cmd, cwd=ROOT, check=True)
        print(f"index: built in {time.perf_counter() - t0:.1f} s")
        stamp.write_text(str(written))
    return corpus, index


def request_mix(n_records: int, seed: int = 42, id_form: str = "{}") -> list[str]:
    """A fixed list of request paths drawn from the dataset's own titles (article ids
    as ``id_form`` says: bench/scale.py's corpora name news-fr's articles
    ``news-00/<id>-x0``)."""
    rng = random.Random(seed)
    titles, sources, years, ids = [], set(), set(), []
    for rec in _newsfr.iter_records(min(n_records, 3000)):
        titles.append(rec.get("title") or "")
        ids.append(id_form.format(rec["id"]))
        if rec.get("source"):
            sources.add(rec["source"])
        if rec.get("date"):
            years.add(rec["date"][:4])
    sources, years = sorted(sources), sorted(years)
    paths = []
    for _ in range(400):
        words = WORDS_RE.findall(rng.choice(titles)) or ["France"]
        k = min(len(words), rng.choice([1, 1, 2, 2, 3, 4]))
        start = rng.randrange(len(words) - k + 1)
        q = " ".join(words[start:start + k])
        params = {"q": q}
        r = rng.random()
        if r < 0.08:
            params["q"] = f'"{q}"'
        elif r < 0.16 and years:
            params["year"] = rng.choice(years)
        elif r < 0.22 and sources:
            params["source"] = rng.choice(sources)
        elif r < 0.28:
            params["sort"] = rng.choice(["newest", "oldest"])
        elif r < 0.32:
            params["page"] = "2"
        elif r < 0.36:
            params["q"] = rng.choice(["Macron", "France", "gouvernement", "Paris", "police"])
        kind = rng.random()
        qs = urllib.parse.urlencode(params)
        if kind < 0.8:
            paths.append("/api/search?" + qs)
        elif kind < 0.9:
            paths.append("/?" + qs)
        else:
            paths.append("/api/documents/" + urllib.parse.quote(rng.choice(ids)))
    return paths


class Server:
    def __init__(self, corpus: Path, index: Path, threads: int | None, workers: int | None = None,
                 env: dict | None = None):
        opts = (["--threads", str(threads)] if threads else []) + (["--workers", str(workers)] if workers else [])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "searchsvc.cli", "serve", "--port", "0", *opts,
             "--corpus", str(corpus), "--index", str(index)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True)  # stop() kills the group
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in self.proc.stdout], daemon=True).start()
        m = None
        while m is None:
            m = re.search(r"http://(127\.0\.0\.1):(\d+)/", lines.get(timeout=600))
        self.host, self.port = m.group(1), int(m.group(2))

    def health(self) -> dict:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", "/healthz")
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def rss_each(self) -> list[float]:
        """Resident memory of each serving process, MB (the parent of --workers N > 1
        only waits for its children: its own RSS is listed first)."""
        pids = [self.proc.pid]
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        out = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as f:
                    out.append(next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024)
            except (OSError, StopIteration):
                pass
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.proc.stdout.close()


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[float, float, str | None]] = []  # (t_end, seconds, error)

    def add(self, t_end: float, seconds: float, error: str | None) -> None:
        with self.lock:
            self.samples.append((t_end, seconds, error))


def client(host: str, port: int, paths: list[str], offset: int, stop: threading.Event, rec: Recorder):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    i = offset
    try:
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            error = None
            try:
                conn.request("GET", path, headers={"Accept": "application/json"})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    error = f"HTTP {resp.status} {path}"
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc} {path}"
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            t1 = time.perf_counter()
            rec.add(t1, t1 - t0, error)
    finally:
        conn.close()


#: the first search of the issue that asked for the warm-up (2.15 s, no highlighting)
FIRST_SEARCH = "/api/search?q=" + urllib.parse.quote("gilets jaunes")
#: a search whose highlighting ran out of time says so in its notes
UNHIGHLIGHTED = "sans mise en évidence"


def sequential(host: str, port: int, paths: list[str]) -> list[tuple[float, bool]]:
    """(seconds, highlighted) of each of ``paths``, one after the other, each on a new
    connection (so that every serving process gets some, as browsers' would)."""
    out = []
    for path in paths:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", "replace")
            ok = resp.status == 200
        finally:
            conn.close()
        out.append((time.perf_counter() - t0, ok and UNHIGHLIGHTED not in body))
    return out


def start_phase(corpus: Path, index: Path, paths: list[str], threads, workers, first: int = 10,
                warm_after: int = 100) -> dict:
    """A fresh ``serve`` without and with its start warm-up (SEARCHSVC_WARM): the first
    ``first`` searches after the address is printed, then ``warm_after`` more (warm)."""
    searches = [FIRST_SEARCH] + [p for p in paths if p.startswith(("/api/search", "/?"))]
    figures = {}
    for label, warm in (("no warm-up", "0"), ("warm-up", "1")):
        t0 = time.perf_counter()
        server = Server(corpus, index, threads, workers, env={"SEARCHSVC_WARM": warm})
        started = time.perf_counter() - t0
        try:
            cold = sequential(server.host, server.port, searches[:first])
            hot = sequential(server.host, server.port, searches[first:first + warm_after]) if warm == "1" else []
        finally:
            server.stop()
        figures[label] = {"start": started, "first": cold, "warm": hot}
    return figures


def print_start(figures: dict, first: int = 10) -> bool:
    """Print the start phase side by side; whether the target is met."""
    warm_lat = [t * 1000 for t, _ in figures["warm-up"]["warm"]]
    warm_p95 = pct(warm_lat, 95)
    print(f"start: the first {first} searches after a fresh start (sequential, a new connection each; "
          f"the first is {urllib.parse.unquote(FIRST_SEARCH)!r}), beside the same service warm:")
    for label, f in figures.items():
        lat = [t * 1000 for t, _ in f["first"]]
        plain = sum(1 for _, hl in f["first"] if not hl)
        print(f"  {label:<11} address after {f['start']:5.1f} s   first {first}: p95 {pct(lat, 95):7.1f}  "
              f"max {max(lat):7.1f}  first {lat[0]:7.1f} ms   without highlighting {plain}   "
              f"ratio to warm p95 {pct(lat, 95) / warm_p95:5.2f}")
    print(f"  {'warm':<11} {len(warm_lat)} searches after those: p95 {warm_p95:7.1f} ms")
    lat = [t * 1000 for t, _ in figures["warm-up"]["first"]]
    met = pct(lat, 95) <= 2 * warm_p95 and all(hl for _, hl in figures["warm-up"]["first"])
    print(f"  target: first {first} p95 <= 2 x warm p95, highlighting included: {'met' if met else 'MISSED'}")
    return met


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def report(name: str, samples, t_start: float, t_end: float) -> None:
    sel = [s for s in samples if t_start <= s[0] < t_end]
    lat = [s[1] * 1000 for s in sel]
    errors = [s[2] for s in sel if s[2]]
    secs = t_end - t_start
    print(f"{name:<10} {secs:7.1f} s {len(sel):8d} req {len(sel) / secs:8.1f} req/s   "
          f"p50 {pct(lat, 50):7.1f}  p95 {pct(lat, 95):7.1f}  p99 {pct(lat, 99):7.1f}  "
          f"max {max(lat) if lat else float('nan'):7.1f} ms   failures {len(errors)}")
    for e in sorted(set(errors))[:5]:
        print(f"           e.g. {e}")


def os_index(corpus: Path, workdir: Path, n: int, env: dict, extra=()) -> tuple[Path, dict]:
    """The OpenSearch backend's state folder and serve environment for ``corpus`` (the
    alias ``bench-http-<n>``, reindexed fully unless it holds the corpus already)."""
    from _opensearch import documents

    alias = f"bench-http-{n}" + ("-noent" if "--no-entities" in extra else "")
    served = {"SEARCHSVC_BACKEND": "opensearch", "SEARCHSVC_OPENSEARCH_URL": env["SEARCHSVC_OPENSEARCH_URL"],
              "SEARCHSVC_OPENSEARCH_INDEX": alias}
    state = workdir / f"os-state-{alias}"
    if documents(env, alias) != n:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "searchsvc.cli", "reindex", "--full", "--quiet",
                        "--corpus", str(corpus), "--index", str(state), *extra],
                       cwd=ROOT, check=True, env={**env, **served, "SEARCHSVC_OPENSEARCH_TIMEOUT": "300"})
        print(f"opensearch index {alias}: built in {time.perf_counter() - t0:.1f} s")
    return state, served


def run_for(threads: list, stop: threading.Event, seconds: float) -> None:
    """Start the client ``threads``, let them run ``seconds``, stop and join them."""
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()


def load_only(server: Server, paths: list[str], clients: int, seconds: float) -> list:
    """The samples of ``clients`` clients for ``seconds`` against ``server``."""
    rec, stop = Recorder(), threading.Event()
    run_for([threading.Thread(target=client, args=(server.host, server.port, paths, i * 37, stop, rec))
             for i in range(clients)], stop, seconds)
    return rec.samples


def scale_indexes(tag: str, env: dict) -> tuple[Path, Path, Path, dict]:
    """(corpus, Whoosh index, OpenSearch state, serve environment) of the indexes
    bench/scale.py left for size ``tag`` (``10x``: its corpus-10x, index-10x and the alias
    bench-scale-10x-os), reused as they are."""
    out = HERE / "out" / "scale"
    corpus, index, state = out / f"corpus-{tag}", out / f"index-{tag}", out / f"index-{tag}-os"
    if not (corpus.is_dir() and (index / "CURRENT").exists() and state.is_dir()):
        sys.exit(f"no bench/scale.py indexes of {tag} under {out}: run bench/scale.py first")
    return corpus, index, state, {
        "SEARCHSVC_BACKEND": "opensearch", "SEARCHSVC_OPENSEARCH_URL": env["SEARCHSVC_OPENSEARCH_URL"],
        "SEARCHSVC_OPENSEARCH_INDEX": f"bench-scale-{tag}-os".lower()}


def compare_backends(a, corpus: Path, index: Path, paths: list[str], extra) -> int:
    """The load phase on each backend of ``a.backend`` in turn; p50/p95 side by side."""
    from _opensearch import bench_cluster

    backends = ["whoosh", "opensearch"] if a.backend == "both" else [a.backend]
    lat: dict[str, list[float]] = {b: [] for b in backends}
    failures = {b: 0 for b in backends}
    rss: dict[str, list[float]] = {}
    with bench_cluster() as (env, _):
        if a.scale:
            corpus, index, state, served = scale_indexes(a.scale, env)
        else:
            state, served = os_index(corpus, a.workdir, a.n, env, extra)
        where = {"whoosh": (index, {}), "opensearch": (state, served)}
        for r in range(a.rounds):
            for b in backends:
                folder, extra_env = where[b]
                server = Server(corpus, folder, a.threads, a.server_workers, env=extra_env)
                try:
                    h = server.health()
                    load_only(server, paths[:20], a.clients, 2.0)  # warm: the generation opened
                    samples = load_only(server, paths, a.clients, a.baseline)
                    rss[b] = server.rss_each()
                finally:
                    server.stop()
                ms = [x[1] * 1000 for x in samples]
                lat[b] += ms
                failures[b] += sum(1 for x in samples if x[2])
                for e in sorted({x[2] for x in samples if x[2]})[:5]:
                    print(f"           e.g. {e}")
                print(f"round {r + 1} {b:<10} {h['documents']} documents: {len(ms)} requests in "
                      f"{a.baseline:.0f} s ({len(ms) / a.baseline:.1f} req/s), p50 {pct(ms, 50):.1f} ms, "
                      f"p95 {pct(ms, 95):.1f} ms, failures {sum(1 for x in samples if x[2])}", flush=True)
    print(f"\n{a.clients} clients, {a.rounds} round(s) of {a.baseline:.0f} s a backend, no reindex; "
          f"{os.cpu_count()} cores shared by the clients, the service's processes "
          f"({a.server_workers or 'serve default'} x {a.threads or 'serve default'} threads)"
          + (" and the 3 OpenSearch nodes (running during both backends' rounds)" if "opensearch" in backends else ""))
    print(f"{'backend':<11}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'failures':>9}  serve RSS MB")
    for b in backends:
        print(f"{b:<11}{len(lat[b]):>9}{pct(lat[b], 50):>9.1f}{pct(lat[b], 95):>9.1f}{pct(lat[b], 99):>9.1f}"
              f"{failures[b]:>9}  {' + '.join(f'{x:.0f}' for x in rss.get(b, []))}")
    if len(backends) == 2:
        w, o = lat["whoosh"], lat["opensearch"]
        print(f"ratio opensearch / whoosh: p50 {pct(o, 50) / pct(w, 50):.2f}x, p95 {pct(o, 95) / pct(w, 95):.2f}x "
              f"(p95 target <= 300 ms: whoosh {'met' if pct(w, 95) <= 300 else 'MISSED'}, "
              f"opensearch {'met' if pct(o, 95) <= 300 else 'MISSED'})")
    return 0 if not any(failures.values()) else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("-n", type=int, default=_newsfr.TOTAL, help="articles in the corpus (default: all)")
    ap.add_argument("--baseline", type=float, default=10.0, help="seconds of load before the reindex")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="bound of the reindex phase")
    ap.add_argument("--threads", type=int, default=None, help="server threads (default: serve's)")
    ap.add_argument("--server-workers", type=int, default=None,
                    help="serve --workers (default: serve's, as `make run` starts it)")
    ap.add_argument("--no-entities", action="store_true",
                    help="both reindexes with --no-entities (a first full reindex with entities "
                         "takes ~15 min here; a later one reads them from the entity cache)")
    ap.add_argument("--workers", type=int, default=None, help="reindex --workers")
    ap.add_argument("--no-reindex", action="store_true", help="baseline phase only")
    ap.add_argument("--reindex-nice", type=int, default=0,
                    help="run the reindex under `nice -n N` (what POST /api/reindex does with 10)")
    ap.add_argument("--reindex-priority", type=int, default=None, metavar="N",
                    help="reindex --nice N (its own drop of priority; default: reindex's, 10). "
                         "0 lets the reindex take its share of the CPU from the searches, so that "
                         "it finishes under load and the switch is measured")
    ap.add_argument("--workdir", type=Path, default=HERE / "out" / "http_load")
    ap.add_argument("--start-only", action="store_true",
                    help="only the start phase: the first 10 searches after a fresh start, "
                         "without and with the warm-up, beside the warm p95")
    ap.add_argument("--no-start", action="store_true", help="skip the start phase")
    ap.add_argument("--backend", choices=("whoosh", "opensearch", "both"), default="whoosh",
                    help="opensearch/both: the load phase alone (no reindex) on the OpenSearch "
                         "backend, or on each in turn, side by side")
    ap.add_argument("--rounds", type=int, default=1, help="with --backend both: turns of each backend")
    ap.add_argument("--scale", metavar="SIZE", default=None,
                    help="with --backend: serve the indexes bench/scale.py built for SIZE (10x: "
                         "339,300 articles) instead of building -n articles' (its cluster: "
                         "SEARCHSVC_OPENSEARCH_URL)")
    a = ap.parse_args(argv)

    extra = ["--no-entities"] if a.no_entities else []
    if a.scale:
        if a.backend == "whoosh":
            sys.exit("--scale compares backends: give --backend opensearch or both")
        return compare_backends(a, None, None, request_mix(a.n, id_form="news-00/{}-x0"), extra)
    corpus, index = prepare(a.workdir / (f"n{a.n}" + ("-noent" if a.no_entities else "")), a.n, a.workers, extra)
    paths = request_mix(a.n)
    if a.backend != "whoosh":
        return compare_backends(a, corpus, index, paths, extra)
    if not a.no_start:
        met = print_start(start_phase(corpus, index, paths, a.threads, a.server_workers))
        if a.start_only:
            return 0 if met else 1
    server = Server(corpus, index, a.threads, a.server_workers)
    try:
        before = server.health()
        print(f"server: http://{server.host}:{server.port}/  {before['documents']} documents, "
              f"{before['generation']}; {a.clients} clients, server processes "
              f"{a.server_workers or 'serve default'} x threads {a.threads or 'serve default'} "
              f"({len(server.rss_each())} running), {os.cpu_count()} cores")
        rec, stop = Recorder(), threading.Event()
        threads = [threading.Thread(target=client, args=(server.host, server.port, paths, i * 37, stop, rec))
                   for i in range(a.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(a.baseline)
        t_re0 = time.perf_counter()
        if a.no_reindex:
            stop.set()
            for t in threads:
                t.join()
            report("baseline", rec.samples, t0, time.perf_counter())
            failures = sum(1 for s in rec.samples if s[2])
            each = server.rss_each()
            print(f"server RSS after {len(rec.samples)} requests: {' + '.join(f'{r:.0f}' for r in each)} MB; "
                  f"largest serving process {max(each):.0f} MB (target <= 600 MB a process): "
                  f"{'met' if max(each) <= 600 else 'MISSED'} (cache sizes: bench/query_speed.py prints them)")
            return 0 if failures == 0 else 1
        cmd = [sys.executable, "-m", "searchsvc.cli", "reindex", "--full", "--quiet",
               "--corpus", str(corpus), "--index", str(index), *extra]
        if a.workers:
            cmd += ["--workers", str(a.workers)]
        if a.reindex_priority is not None:
            cmd += ["--nice", str(a.reindex_priority)]
        if a.reindex_nice:
            cmd = ["nice", "-n", str(a.reindex_nice)] + cmd
        print(f"reindex: {' '.join(cmd[cmd.index('reindex'):])}" + (f" (nice {a.reindex_nice})" if a.reindex_nice else ""))
        reindexer = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            reindexer.wait(timeout=a.max_seconds)
        except subprocess.TimeoutExpired:
            print(f"reindex still running after {a.max_seconds:.0f} s: stopped", file=sys.stderr)
            reindexer.kill()
            reindexer.wait()
        t_re1 = time.perf_counter()
        time.sleep(AFTER_SECONDS)  # requests right after the switch of generation
        stop.set()
        for t in threads:
            t.join()
        t_end = time.perf_counter()
        err = reindexer.stderr.read()
        reindexer.stderr.close()
        after = server.health()
        each = server.rss_each()
    finally:
        server.stop()

    print(f"reindex --full: exit {reindexer.returncode} in {t_re1 - t_re0:.1f} s; generation "
          f"{before['generation']} -> {after['generation']}, documents {after['documents']}")
    if reindexer.returncode:
        print(err.strip()[-500:])
    samples = rec.samples
    print(f"server RSS at the end: {' + '.join(f'{r:.0f}' for r in each)} MB; largest serving process "
          f"{max(each):.0f} MB (target <= 600 MB a process): {'met' if max(each) <= 600 else 'MISSED'}")
    report("baseline", samples, t0, t_re0)
    report("reindex", samples, t_re0, t_re1)
    report("after", samples, t_re1, t_end)
    report("all", samples, t0, t_end)
    failures = sum(1 for s in samples if s[2])
    lat = [s[1] * 1000 for s in samples if t_re0 <= s[0] < t_re1]
    base = [s[1] * 1000 for s in samples if t0 <= s[0] < t_re0]
    first = [s[1] * 1000 for s in samples if t_re1 <= s[0] < t_end]
    if after["generation"] != before["generation"]:
        print(f"first {AFTER_SECONDS:.0f} s on the new generation against the baseline: p50 "
              f"{pct(first, 50) / pct(base, 50):.2f}x, p95 {pct(first, 95) / pct(base, 95):.2f}x (target: no slower)")
    else:
        print("no new generation served: the switch was not measured")
    ok = failures == 0 and after["generation"] != before["generation"] and pct(lat, 95) <= 300
    print(f"target (0 failures, new generation served, p95 <= 300 ms during reindex): "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
