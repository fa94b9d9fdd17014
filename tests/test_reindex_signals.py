"""`searchsvc reindex` stopped by SIGTERM (a process manager, ``kill``) behaves as one stopped
by Ctrl+C: one French line, its partial generation and its lock cleaned up, exit 128 + the
signal, no worker left and no English warning from multiprocessing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import procs
import pytest
from test_reindex_cli import ROOT, SEARCHSVC, doc_ids, files_done, make_corpus

from searchsvc.backends.whoosh.indexer import current_generation, reindex

pytestmark = [pytest.mark.timeout(240),
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")]


def _stop_mid_indexing(corpus: Path, index: Path, workers: int, sig: int, to_group: bool):
    """Run ``reindex --full`` and send ``sig`` once some but not all files are indexed;
    (exit status, stderr, the processes of its group still running 10 s later)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = procs.popen(SEARCHSVC + ["reindex", "--full", "--workers", str(workers), "--nice", "0",
                                 "--corpus", str(corpus), "--index", str(index)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        lines = []
        while True:
            line = p.stderr.readline()
            assert line, "reindex ended before it could be stopped: " + "".join(lines)
            lines.append(line)
            if line.startswith("indexation : "):
                done, total = files_done(line)
                if 0 < done < total:
                    break
        if to_group:  # Ctrl+C in a terminal: the whole foreground group
            os.killpg(p.pid, sig)
        else:  # a process manager's SIGTERM to the main process
            p.send_signal(sig)
        _, rest = p.communicate(timeout=60)
        left = procs.wait_group_gone(p.pid, 10)
        return p.returncode, "".join(lines) + rest, left
    finally:
        procs.kill_group(p)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("sig, to_group, status", [(signal.SIGTERM, False, 143), (signal.SIGINT, True, 130)],
                         ids=["sigterm", "ctrl-c"])
def test_a_stopped_reindex_says_so_once_and_cleans_up(tmp_path, workers, sig, to_group, status):
    corpus = make_corpus(tmp_path / "corpus", 20)
    index = tmp_path / "index"
    first = reindex(corpus, index, workers=1)
    before = doc_ids(index)
    make_corpus(corpus, 420, seed=7)
    code, err, left = _stop_mid_indexing(corpus, index, workers, sig, to_group)
    assert code == status, err
    assert err.count("Interrompu.") == 1, err
    assert err.rstrip().endswith("Interrompu."), err
    for noise in ("Traceback", "resource_tracker", "leaked", "Warning"):
        assert noise not in err, err
    assert not left, f"processes left: {sorted(left)}"
    # the live generation untouched, the partial one gone, the lock free and empty
    assert current_generation(index) == first.generation
    assert sorted(p.name for p in index.glob("gen-*")) == [first.generation]
    assert (index / "reindex.lock").read_text() == ""
    assert doc_ids(index) == before
    # and the next run neither waits nor reports a stale lock
    t0 = time.monotonic()
    assert reindex(corpus, index, workers=1).added == 400
    assert time.monotonic() - t0 < 60
