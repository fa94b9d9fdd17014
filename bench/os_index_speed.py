"""Full reindex speed of the OpenSearch backend beside the Whoosh one, in the same run.

Writes N news-fr articles (default 3,000; bench/_newsfr.py, not timed) as .txt files,
then runs ``searchsvc reindex --full --no-entities`` as a subprocess on each backend
(Whoosh into a temp folder; OpenSearch at ``--url`` under the alias ``--alias``, deleted
at the end) with the same workers, and prints docs/s end to end (reading, cleaning,
enrichment, analysis, writing or bulk requests, refresh, count check, alias switch) and
the ratio OpenSearch / Whoosh. ``--os-workers`` adds OpenSearch runs with other worker
counts (1: one process reads, makes and sends every document). Each OpenSearch run is
made twice: ``opensearch``, the default (``indexer.BULK_FROM = "parent"``: the parent
sends the documents the workers made), and ``opensearch-workers`` (each worker sends its
own bulks).

The machine is shared and the cluster runs on it: compare the ratio, not the figures.

    python bench/os_index_speed.py --url http://127.0.0.1:9700 [-n 3000] [--workers 2]
                                   [--os-workers 1,2] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _newsfr import write_corpus  # noqa: E402

#: runs the CLI with the OpenSearch alias of the bench (not the service's)
_CLI = ("import os, sys; from searchsvc.backends.opensearch import indexer, mapping; "
        "mapping.DEFAULT_ALIAS = os.environ['BENCH_ALIAS']; "
        "indexer.BULK_FROM = os.environ.get('BENCH_BULK_FROM', indexer.BULK_FROM); "
        "from searchsvc.cli import main; sys.exit(main(sys.argv[1:]))")


def run(corpus: Path, index: Path, workers: int, env_extra: dict) -> tuple[float, str]:
    cmd = [sys.executable, "-c", _CLI, "reindex", "--full", "--no-entities", "--quiet",
           "--nice", "0", "--workers", str(workers), "--corpus", str(corpus), "--index", str(index)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"reindex a échoué ({p.returncode}) :\n{p.stderr[-3000:]}")
    return seconds, p.stdout


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=os.environ.get("SEARCHSVC_OPENSEARCH_URL"), required=False)
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--os-workers", default="", help="extra OpenSearch runs, e.g. 1,2")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each backend (best kept)")
    ap.add_argument("--alias", default="bench-index-speed")
    a = ap.parse_args(argv)
    if not a.url:
        raise SystemExit("--url (ou SEARCHSVC_OPENSEARCH_URL) requis")
    from opensearchpy import OpenSearch

    client = OpenSearch(a.url)
    info = client.info()
    tmp = Path(tempfile.mkdtemp(prefix="os-index-speed-"))
    try:
        n = write_corpus(tmp / "corpus", a.n)
        print(f"{time.strftime('%Y-%m-%d %H:%M')} {platform.node()} {os.cpu_count()} CPUs, "
              f"OpenSearch {info['version']['number']} at {a.url}, {n} news-fr articles, "
              f"--no-entities, --workers {a.workers}")
        env_os = {"SEARCHSVC_BACKEND": "opensearch", "SEARCHSVC_OPENSEARCH_URL": a.url,
                  "BENCH_ALIAS": a.alias}
        env_wh = {"SEARCHSVC_BACKEND": "whoosh", "BENCH_ALIAS": a.alias}
        best = {}
        plan = [("whoosh", a.workers, env_wh)]
        for w in [a.workers] + [int(w) for w in a.os_workers.split(",") if w and int(w) != a.workers]:
            plan += [("opensearch", w, {**env_os, "BENCH_BULK_FROM": "parent"}),
                     ("opensearch-workers", w, {**env_os, "BENCH_BULK_FROM": "workers"})]
        for _ in range(a.repeat):
            for name, workers, env in plan:
                index = tmp / f"index-{name}-{workers}"
                shutil.rmtree(index, ignore_errors=True)
                seconds, _ = run(tmp / "corpus", index, workers, env)
                key = (name, workers)
                best[key] = min(best.get(key, seconds), seconds)
                print(f"  {name:<18} workers={workers}: {seconds:7.1f} s  {n / seconds:6.1f} docs/s",
                      flush=True)
        wh = best[("whoosh", a.workers)]
        os_ = best[("opensearch", a.workers)]
        print(f"best: whoosh {n / wh:.1f} docs/s, opensearch {n / os_:.1f} docs/s "
              f"(workers={a.workers}); ratio opensearch/whoosh = {wh / os_:.2f}")
        for (name, workers), s in sorted(best.items()):
            if name != "whoosh" and (name, workers) != ("opensearch", a.workers):
                print(f"  {name} workers={workers}: {n / s:.1f} docs/s "
                      f"(ratio to whoosh {wh / s:.2f})")
    finally:
        client.indices.delete(index=f"{a.alias}-*", params={"expand_wildcards": "all",
                                                             "ignore_unavailable": "true"})
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
