"""What a search costs on the OpenSearch backend: round trips and milliseconds per query
class of bench/query_speed.py's set, beside the Whoosh backend (and an older version of
the OpenSearch backend) in the same run.

Each engine runs in a worker process of its own (so that two versions of ``searchsvc``
can be timed side by side: ``--before REV`` extracts that commit's ``searchsvc/`` with
``git archive`` and imports it in its worker), and the workers take turns query by query
(the same moments of a noisy machine for all). Each worker times ``engine.search`` and
records every HTTP request its OpenSearch client makes
(:mod:`searchsvc.backends.opensearch.trace`). Printed per class: round trips per search
(mean, max), p50/p95 of each engine, the ratios, and the milliseconds per search spent
in each kind of request; then how many searches answered differently (totals, facets,
the page's ids) between the two OpenSearch versions.

The index: news-fr 1x (33,930 articles, no entities, as bench/query_speed.py's Whoosh
index, which is built or reused under bench/out/speed-index) under the alias
``--alias`` of the cluster at ``SEARCHSVC_OPENSEARCH_URL`` (else a local 3-node cluster
started for the run); built with the backend's own writer when the alias is missing.

    SEARCHSVC_OPENSEARCH_URL=... flock /work/wt/heavy.lock nice .venv/bin/python \\
        bench/os_query_cost.py [--before d90cd40] [--repeat 1]

Data: OrangeSum (actu.orange.fr), CC-BY-SA-4.0, Kamal Eddine, Tixier, Vazirgiannis,
"BARThez", 2020; read from ../shared, never copied into the project.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

ALIAS = "bench-query-1x"


def _articles():
    from _newsfr import body_text, iter_records

    from searchsvc.article import Article

    return (Article(id=r["id"], title=r.get("title"), text=body_text(r), source=r.get("source"),
                    date=r.get("date"), lang="fr") for r in iter_records())


def ensure_index(env: dict, alias: str) -> int:
    """The alias' documents, the index built first when missing."""
    from _newsfr import TOTAL
    from _opensearch import documents, load

    n = documents(env, alias)
    if n != TOTAL:
        os.environ["SEARCHSVC_NER"] = "0"
        print(f"building {alias} ({TOTAL:,} articles)...", flush=True)
        load(env, alias, _articles())
        n = TOTAL
    return n


# ---------------------------------------------------------------- worker


def _trace_module():
    """This tree's trace module, loaded by path (an older tree has none)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_os_trace", ROOT / "searchsvc" / "backends" / "opensearch" / "trace.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def worker(kind: str, source_root: str, alias: str) -> None:
    """Answer query numbers read on stdin with one JSON line each on stdout."""
    sys.path.insert(0, source_root)
    import contextlib

    import searchsvc  # first: its submodules then come from source_root whatever sys.path says

    from query_speed import INDEX, make_queries
    from searchsvc.search import parse_params

    assert Path(searchsvc.__file__).resolve().is_relative_to(Path(source_root).resolve()), searchsvc.__file__
    trace = _trace_module()
    raw = make_queries()
    queries = [parse_params(q) for q in raw]
    if kind == "whoosh":
        from searchsvc.backends.whoosh import SearchEngine

        engine = SearchEngine(INDEX)
        record = contextlib.nullcontext
    else:
        from searchsvc.backends.opensearch.client import connect
        from searchsvc.backends.opensearch.engine import OpenSearchEngine

        state = Path(tempfile.mkdtemp(prefix="os-query-cost-"))
        engine = OpenSearchEngine(state, alias=alias, client=connect(os.environ))

        def record():
            return trace.recording(engine.client)
    import time

    engine.search(queries[0])  # opens the generation
    print(json.dumps({"ready": len(queries)}), flush=True)
    for line in sys.stdin:
        i = int(line)
        with record() as trips:
            t = time.perf_counter()
            r = engine.search(queries[i])
            ms = (time.perf_counter() - t) * 1000
        facets = {k: [(e["value"], e["count"]) for e in v] for k, v in r["facets"].items()}
        print(json.dumps({"ms": ms, "trips": [(x.kind, x.ms) for x in trips or ()],
                          "answer": [r["total"], r["total_partial"], r["total_stories"], facets,
                                     [h["id"] for h in r["results"]],
                                     [h["copies"]["count"] for h in r["results"]], r["suggestion"]]}),
              flush=True)
    engine.close()


class Worker:
    def __init__(self, name: str, kind: str, source_root: Path, alias: str, env: dict):
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", kind, "--source-root", str(source_root), "--alias", alias],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        self.n = json.loads(self.proc.stdout.readline())["ready"]

    def ask(self, i: int) -> dict:
        self.proc.stdin.write(f"{i}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(60)


def before_tree(rev: str) -> Path:
    """``searchsvc/`` of commit ``rev``, extracted into a temporary folder."""
    dest = Path(tempfile.mkdtemp(prefix=f"searchsvc-{rev}-"))
    archive = subprocess.run(["git", "archive", rev, "searchsvc"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


# ---------------------------------------------------------------- report


def report(names: list[str], classes: list[str], got: dict) -> None:
    from query_speed import CLASSES, pct

    os_names = [n for n in names if n != "whoosh"]
    head = f"{'class':<13}{'n':>4}  " + "".join(f"{'trips ' + n:>16}" for n in os_names)
    head += "".join(f"{n + ' p50':>15}{'p95':>7}" for n in names)
    head += "".join(f"{n + '/whoosh p50':>20}{'p95':>6}" for n in os_names)
    print(head)
    for c in CLASSES + ("all",):
        sel = [i for i, k in enumerate(classes) if c == "all" or k == c]
        if not sel:
            continue
        line = f"{c:<13}{len(sel):>4}  "
        for n in os_names:
            trips = [len(got[n][i]["trips"]) for i in sel]
            line += f"{sum(trips) / len(trips):>11.1f} max{max(trips):<2}"
        p = {n: (pct([got[n][i]["ms"] for i in sel], 50), pct([got[n][i]["ms"] for i in sel], 95))
             for n in names}
        line += "".join(f"{p[n][0]:>15.1f}{p[n][1]:>7.1f}" for n in names)
        if "whoosh" in p:
            line += "".join(f"{p[n][0] / p['whoosh'][0]:>19.2f}x{p[n][1] / p['whoosh'][1]:>5.2f}x"
                            for n in os_names)
        print(line)
    for n in os_names:
        print(f"\n{n}: ms per search in each kind of request (mean over the class; count per search)")
        kinds = sorted({k for r in got[n] for k, _ in r["trips"]})
        print(f"{'class':<13}" + "".join(f"{k:>22}" for k in kinds))
        for c in CLASSES + ("all",):
            sel = [i for i, k in enumerate(classes) if c == "all" or k == c]
            if not sel:
                continue
            cells = []
            for k in kinds:
                ms = sum(m for i in sel for kk, m in got[n][i]["trips"] if kk == k) / len(sel)
                cnt = sum(1 for i in sel for kk, _ in got[n][i]["trips"] if kk == k) / len(sel)
                cells.append(f"{ms:>13.1f} ms ({cnt:.1f})")
            print(f"{c:<13}" + "".join(cells))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=None, help="a commit whose OpenSearch backend is timed beside this one")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--alias", default=ALIAS)
    ap.add_argument("--no-whoosh", action="store_true")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--source-root", default=str(ROOT), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker, a.source_root, a.alias)
        return 0
    sys.path.insert(0, str(ROOT))
    from _opensearch import bench_cluster
    from query_speed import build_index, make_queries, query_class

    os.environ.setdefault("SEARCHSVC_NER", "0")
    if not a.no_whoosh:
        build_index(False)
    raw = make_queries()
    classes = [query_class(q) for q in raw] * a.repeat
    with bench_cluster() as (env, _):
        env = {**env, "SEARCHSVC_OPENSEARCH_TIMEOUT": "120", "SEARCHSVC_NER": "0"}
        n = ensure_index(env, a.alias)
        workers = [] if a.no_whoosh else [Worker("whoosh", "whoosh", ROOT, a.alias, env)]
        if a.before:
            workers.append(Worker(f"os@{a.before}", "opensearch", before_tree(a.before), a.alias, env))
        workers.append(Worker("os", "opensearch", ROOT, a.alias, env))
        print(f"{len(raw)} queries x {a.repeat} on {n:,} articles; engines {', '.join(w.name for w in workers)} "
              f"in turn, query by query; load average {os.getloadavg()[0]:.1f}", flush=True)
        got = {w.name: [] for w in workers}
        for _ in range(a.repeat):
            for i in range(len(raw)):
                for w in workers:
                    got[w.name].append(w.ask(i))
        for w in workers:
            w.close()
    names = [w.name for w in workers]
    print(f"\nper class (ms; same run; load average {os.getloadavg()[0]:.1f}):")
    report(names, classes, got)
    if a.before:
        old, new = got[f"os@{a.before}"], got["os"]
        differ = [i for i in range(len(old)) if old[i]["answer"][:4] != new[i]["answer"][:4]
                  or old[i]["answer"][5:] != new[i]["answer"][5:]]
        order = [i for i in range(len(old)) if old[i]["answer"][4] != new[i]["answer"][4]]
        print(f"\nanswers: {len(differ)} of {len(old)} searches differ in totals, facets, copies or "
              f"suggestion between os@{a.before} and os; {len(order)} in the page's ids (ranking)")
        for i in differ[:5]:
            print(f"  {raw[i % len(raw)]}: {old[i]['answer'][:3]} -> {new[i]['answer'][:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
