"""The local OpenSearch cluster's cost on this machine: start time and memory of each node.

Starts a cluster (``searchsvc cluster start``'s code, free ports, a temporary folder),
prints the time to green, each JVM's resident memory (RSS) idle, after indexing
``--docs`` small documents into an index of 3 primary shards and 1 replica, and after
``--searches`` searches from 8 threads through ``connect()``; then the time to restart a
node killed with SIGKILL until green again, and stops the cluster. The load average is
printed beside the figures: on a shared machine they move with it.

    python bench/opensearch_cluster.py [--nodes 3] [--docs 20000] [--searches 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchsvc.backends.opensearch import cluster  # noqa: E402
from searchsvc.backends.opensearch.client import connect  # noqa: E402

WORDS = [f"mot{i}" for i in range(200)]


def rss_row(cluster_dir: Path) -> list[float]:
    return [cluster.node_rss_mb(n["pid"]) or 0.0 for n in cluster.status(cluster_dir)["nodes"]]


def show(label: str, values: list[float]) -> None:
    print(f"{label:<32}" + "  ".join(f"{v:7.0f} MB" for v in values)
          + f"   (load {os.getloadavg()[0]:.1f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--searches", type=int, default=2000)
    args = ap.parse_args()

    d = Path(tempfile.mkdtemp(prefix="searchsvc-bench-cluster-"))
    d.chmod(0o755)
    try:
        t0 = time.monotonic()
        st = cluster.start(d, nodes=args.nodes, port_base=0)
        print(f"{args.nodes}-node cluster green in {time.monotonic() - t0:.1f} s "
              f"(load {os.getloadavg()[0]:.1f})")
        show("RSS per JVM, idle:", rss_row(d))

        client = connect({"SEARCHSVC_OPENSEARCH_URL": st["url"], "SEARCHSVC_OPENSEARCH_TIMEOUT": "60"})
        client.indices.create(index="bench", body={
            "settings": {"number_of_shards": 3, "number_of_replicas": 1},
            "mappings": {"properties": {"body": {"type": "text", "analyzer": "whitespace"}}}})
        rng = random.Random(1)
        t0 = time.monotonic()
        for start in range(0, args.docs, 2000):
            lines = []
            for i in range(start, min(args.docs, start + 2000)):
                lines += [{"index": {"_index": "bench", "_id": str(i)}},
                          {"body": " ".join(rng.choices(WORDS, k=60))}]
            client.bulk(body=lines)
        client.indices.refresh(index="bench")
        cluster.wait_health(d, "green", 300)
        print(f"indexed {args.docs} docs in {time.monotonic() - t0:.1f} s")
        show("RSS per JVM, after indexing:", rss_row(d))

        times: list[float] = []
        lock = threading.Lock()

        def searcher(seed: int, n: int) -> None:
            r = random.Random(seed)
            for _ in range(n):
                q = " ".join(r.choices(WORDS, k=2))
                t = time.perf_counter()
                client.search(index="bench", body={"query": {"match": {"body": q}}, "size": 10,
                                                   "track_total_hits": True})
                with lock:
                    times.append(time.perf_counter() - t)

        threads = [threading.Thread(target=searcher, args=(i, args.searches // 8)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        times.sort()
        print(f"{len(times)} searches, 8 threads: p50 {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms")
        show("RSS per JVM, after searches:", rss_row(d))

        cluster.kill_node(d, "node-1")
        t0 = time.monotonic()
        cluster.restart_node(d, "node-1")
        cluster.wait_health(d, "green", 300)
        print(f"node-1 killed (SIGKILL), restarted and cluster green again in "
              f"{time.monotonic() - t0:.1f} s")
    finally:
        if cluster.load_state(d):
            cluster.stop(d)
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
