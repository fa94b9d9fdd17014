"""The OpenSearch cluster of a benchmark: ``SEARCHSVC_OPENSEARCH_URL`` when set, else a
local 3-node cluster started for the run (``searchsvc cluster start``'s code, free ports,
a temporary folder) and stopped at its end; and the engine over one of its aliases."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchsvc.backends.opensearch import cluster  # noqa: E402
from searchsvc.backends.opensearch.indexer import build_from_articles  # noqa: E402
from searchsvc.backends.opensearch.client import connect  # noqa: E402


@contextlib.contextmanager
def bench_cluster(nodes: int = 3):
    """``env`` (``os.environ`` with ``SEARCHSVC_OPENSEARCH_URL``) of the benchmark's cluster."""
    if os.environ.get("SEARCHSVC_OPENSEARCH_URL"):
        yield dict(os.environ), None
        return
    work = Path(tempfile.mkdtemp(prefix="searchsvc-bench-os-"))
    work.chmod(0o755)
    try:
        st = cluster.start(work / "cluster", nodes=nodes, port_base=0)
        print(f"opensearch: {nodes} nodes at {st['url']}", flush=True)
        # a run killed before its end does not leave its cluster running (cluster.watch)
        subprocess.Popen([sys.executable, "-c", "import sys; from searchsvc.backends.opensearch.cluster "
                          "import watch; watch(sys.argv[1], int(sys.argv[2]))", str(work / "cluster"),
                          str(os.getpid())], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield {**os.environ, "SEARCHSVC_OPENSEARCH_URL": st["url"],
               "SEARCHSVC_OPENSEARCH_TIMEOUT": "120"}, work / "cluster"
    finally:
        with contextlib.suppress(Exception):
            cluster.stop(work / "cluster")
        shutil.rmtree(work, ignore_errors=True)


def documents(env: dict, alias: str) -> int:
    """The documents behind ``alias`` (0 when there is no such alias)."""
    c = connect(env)
    try:
        return c.count(index=alias)["count"] if c.indices.exists_alias(name=alias) else 0
    finally:
        c.close()


def load(env: dict, alias: str, articles, workers: int = 2) -> str:
    """A full build of ``articles`` under ``alias`` (the reindex's own workers, documents
    and bulk sender; caches in a temporary folder); its index."""
    client = connect({**env, "SEARCHSVC_OPENSEARCH_TIMEOUT": "300"})
    state = Path(tempfile.mkdtemp(prefix="searchsvc-bench-os-state-"))
    try:
        return build_from_articles(client, alias, articles, state, workers=workers)
    finally:
        client.close()
        shutil.rmtree(state, ignore_errors=True)


def engine(env: dict, alias: str, state_dir: Path):
    """The OpenSearch engine over ``alias``."""
    from searchsvc.backends.opensearch.engine import OpenSearchEngine

    state_dir.mkdir(parents=True, exist_ok=True)
    return OpenSearchEngine(state_dir, alias=alias, client=connect(env))
