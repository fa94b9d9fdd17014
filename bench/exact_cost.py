"""What exact mode costs and what it changes, on news-fr.

Builds the first N news-fr articles twice in one process (one worker each): with the
schema as it is (the unstemmed ``*_written`` fields of exact mode) and, as the
reference measured in the same run, without those fields (as before exact mode).
Prints the build times and index sizes side by side, then, on the index with the
fields, the totals and median query times of a few searches stemmed and in exact mode
(``exact=1``), including the issue's "gilets jaunes".

    nice .venv/bin/python bench/exact_cost.py [-n 33930] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("SEARCHSVC_NER", "0")

from _newsfr import body_text, iter_records  # noqa: E402

from searchsvc.analysis import WRITTEN_FIELDS  # noqa: E402
from searchsvc.article import Article  # noqa: E402

QUERIES = ['"gilets jaunes"', "missile", "manifestation", "Macron", '"réforme des retraites"',
           "grève", "vaccin", "élections", '"Kim Jong Un"', "policier*"]


def articles(n: int):
    for i, rec in enumerate(iter_records(n)):
        yield Article(id=f"nf-{i:05d}", title=(rec.get("title") or "").strip() or None,
                      text=body_text(rec), source="news-fr", date=None, lang="fr")


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def build(dest: Path, n: int, written: bool) -> float:
    """Seconds to build ``n`` articles into ``dest`` (``written=False``: without the fields)."""
    from searchsvc.backends.whoosh.indexer import build as build_mod
    from searchsvc.backends.whoosh.indexer import schema as schema_mod

    saved = build_mod.build_schema, build_mod.article_fields
    if not written:
        def schema_without():
            s = schema_mod.build_schema()
            for name in WRITTEN_FIELDS.values():
                s.remove(name)
            return s

        def fields_without(article, content_hash=""):
            f = schema_mod.article_fields(article, content_hash)
            return {k: v for k, v in f.items() if k not in WRITTEN_FIELDS.values()}

        build_mod.build_schema, build_mod.article_fields = schema_without, fields_without
    try:
        t0 = time.perf_counter()
        build_mod.build_index_from_articles(dest, articles(n), workers=1)
        return time.perf_counter() - t0
    finally:
        build_mod.build_schema, build_mod.article_fields = saved


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=33_930)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine

    tmp = Path(tempfile.mkdtemp(prefix="exact-cost-"))
    try:
        without = build(tmp / "without", args.n, written=False)
        with_ = build(tmp / "with", args.n, written=True)
        s0, s1 = size_mb(tmp / "without"), size_mb(tmp / "with")
        print(f"{args.n} articles, one worker")
        print(f"{'':24}{'reference (no *_written)':>26}{'with *_written':>18}{'ratio':>8}")
        print(f"{'build (s)':24}{without:>26.1f}{with_:>18.1f}{with_ / without:>8.2f}")
        print(f"{'index size (MB)':24}{s0:>26.1f}{s1:>18.1f}{s1 / s0:>8.2f}")
        engine = SearchEngine(tmp / "with")
        print()
        print(f"{'query':28}{'total':>8}{'exact':>8}{'ms':>8}{'exact ms':>10}")
        for q in QUERIES:
            row = []
            for exact in ("0", "1"):
                params = parse_params({"q": q, "exact": exact, "copies": "all"})
                engine.search(params)  # first read of the postings
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    r = engine.search(params)
                    times.append((time.perf_counter() - t0) * 1000)
                row.append((r["total"], statistics.median(times)))
            print(f"{q:28}{row[0][0]:>8}{row[1][0]:>8}{row[0][1]:>8.1f}{row[1][1]:>10.1f}")
        engine.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
