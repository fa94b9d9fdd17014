"""Searchers read compound segments through one shared map, without a copy each, and a
generation opens at most ``engine.POOL_SIZE`` searchers however many threads search."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from io import BytesIO

from searchsvc.backends.whoosh.indexer import open_index
from searchsvc.backends.whoosh import engine as engine_mod
from searchsvc.backends.whoosh.indexer import mapped
from searchsvc.backends.whoosh import SearchEngine
from searchsvc.search.params import parse_params


def _compound_storages(searcher):
    out = []
    for leaf, _ in searcher.reader().leaf_readers():
        storage = getattr(leaf, "_storage", None)
        storage = getattr(storage, "a", storage)  # OverlayStorage(compound files, the folder)
        if getattr(storage, "_source", None) is not None:
            out.append(storage)
    return out


def test_segments_are_shared_and_read_without_copies(plain_index):
    mapped.install()
    _, ix = open_index(plain_index)
    s1, s2 = ix.searcher(), ix.searcher()
    try:
        a, b = _compound_storages(s1), _compound_storages(s2)
        assert a, "the index has compound segments"
        for x, y in zip(a, b):
            assert x is not y and x._source is y._source  # one map for both searchers
            for name in x.list():
                f = x.open_file(name)
                assert not isinstance(f.file, BytesIO)  # Whoosh's BufferFile copied the segment here
                original = mapped._original(x, name)
                assert f.read() == original.read()
                f.seek(0)
                original.seek(0)
                assert f.read(7) == original.read(7) and f.tell() == original.tell()
                f.close()
                original.close()
        # the search still answers from these files
        assert s1.doc_count() == s2.doc_count() > 0
    finally:
        s1.close()
        s2.close()
        ix.close()
    # the last storage of a file closes its map
    assert all(x._source is None for x in a)


def test_every_process_that_opens_an_index_reads_segments_without_copies(plain_index):
    """The shared maps are installed by the indexer's store, not only by the search
    engine: ``searchsvc stats`` (and an incremental reindex) opened readers that copied
    every compound segment into memory (680 MB of RSS for the 356 MB news-fr index)."""
    code = (
        "import sys\n"
        "from whoosh.filedb import compound\n"
        "from searchsvc.backends.whoosh.indexer import index_stats\n"
        f"assert index_stats({str(plain_index)!r})['documents'] > 0\n"
        "assert 'searchsvc.backends.whoosh.engine' not in sys.modules\n"
        "print(compound.CompoundStorage.open_file.__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "searchsvc.backends.whoosh.indexer.mapped"


def test_searchers_are_bounded_per_generation(plain_index):
    engine = SearchEngine(plain_index)
    engine.search(parse_params({"q": "munitions"}))
    gen = engine._current()
    most, now = [0], [0]
    lock = threading.Lock()

    def hold(g, s):
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.05)
        total = engine.search(parse_params({"q": "munitions"}))["total"]  # nested: never waits
        with lock:
            now[0] -= 1
        return total

    results = []
    threads = [threading.Thread(target=lambda: results.append(engine._run(hold))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and len(set(results)) == 1
    assert 1 <= most[0] <= engine_mod.POOL_SIZE
    assert len(gen._pool) <= engine_mod.POOL_SIZE and gen._opened <= engine_mod.POOL_SIZE
    engine.close()
