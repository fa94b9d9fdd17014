"""Full export speed: rows/s exporting every news-fr article, and peak memory.

Builds (once, cached under ``bench/out/export-index``) an index of the 33,930
news-fr articles as articles (title, lead + paragraphs, source, date, lang fr),
then exports every match of an empty query (all articles) and of common words
with :func:`searchsvc.analytics.export.stream` (the Whoosh backend's rows) through the CSV and JSONL
writers, in-process, and reports rows/s and the peak RSS growth. Beside it, in
the same run, two references: the bare read of the same rows' stored fields
(no snippet, no ranking, no writer), and SQLite FTS5 (in memory, ``unicode61
remove_diacritics 2``) writing the same CSV columns with ``bm25`` order and its
``snippet()`` for the same queries.

Memory is checked flat by sampling RSS every 10,000 rows: the growth from the
first 10,000 rows to the end is printed (a list of all rows would grow with them).

Data: ``../shared/datasets/news-fr/`` (OrangeSum, CC-BY-SA-4.0; read, never copied).

    nice -n 15 .venv/bin/python bench/export_speed.py [--limit N] [--rebuild]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _newsfr import TOTAL, body_text, cached_index, iter_records  # noqa: E402

OUT = HERE / "out"
TARGET_ROWS_S = 2000
QUERIES = ["", "France", "gouvernement", "coronavirus OR covid"]
FTS5_QUERIES = {"": None, "France": "France", "gouvernement": "gouvernement",
                "coronavirus OR covid": "coronavirus OR covid"}


def build_fts5(limit):
    import sqlite3

    t = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, source UNINDEXED, "
               "date UNINDEXED, body, tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", (
        (d["id"], d.get("title"), d.get("source"), d.get("date"), body_text(d))
        for d in iter_records(limit)))
    db.commit()
    print(f"fts5: indexed in {time.perf_counter() - t:.1f} s", flush=True)
    return db


def fts5_export(db, match) -> tuple[int, float, float]:
    """Rows, wall and CPU seconds of FTS5 writing the CSV of ``match`` (None: every row)."""
    import csv

    sink = _Sink()
    w = csv.writer(sink, lineterminator="\n")
    t, c = time.perf_counter(), time.process_time()
    if match is None:
        cur = db.execute("SELECT id, title, source, date, NULL, substr(body, 1, 300) FROM docs ORDER BY date DESC")
    else:
        cur = db.execute("SELECT id, title, source, date, bm25(docs), snippet(docs, 4, '', '', '…', 48) "
                         "FROM docs WHERE docs MATCH ? ORDER BY bm25(docs)", (match,))
    n = 0
    for row in cur:
        w.writerow(row)
        n += 1
    return n, time.perf_counter() - t, time.process_time() - c


def build(index_dir: Path, limit, rebuild: bool) -> None:
    from searchsvc.article import Article

    t = time.perf_counter()
    built = cached_index(index_dir, f"articles-{limit or 'all'}", lambda: (
        Article(id=d["id"], title=d.get("title"), text=body_text(d), source=d.get("source"),
                date=d.get("date"), lang="fr") for d in iter_records(limit)), rebuild)
    print(f"index: built in {time.perf_counter() - t:.1f} s" if built else f"index: cached {index_dir}")


def rss_mb() -> float:
    """Current resident set size (MB), from /proc."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1e6


class _Sink(io.TextIOBase):
    """Counts what is written, keeps nothing (a client reading the stream)."""

    def __init__(self):
        self.chars = 0

    def write(self, s):
        self.chars += len(s)
        return len(s)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=None, help=f"articles (default: all {TOTAL})")
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build-only", action="store_true")
    a = p.parse_args(argv)
    index_dir = OUT / "export-index"
    build(index_dir, a.limit, a.rebuild)
    if a.build_only:
        return 0
    return measure(index_dir, build_fts5(a.limit))


def measure(index_dir: Path, db) -> int:
    from searchsvc.analytics import export
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine

    engine = SearchEngine(index_dir)
    print(f"index: {engine.info()['documents']} documents, generation {engine.info()['generation']}")
    ok = True
    for q in QUERIES:
        params = parse_params({"q": q})
        # reference: the same matches, stored fields only (what any export must read)
        t = time.perf_counter()

        def bare(ms):
            n = 0
            for d in sorted(ms.docnums):
                ms.searcher.stored_fields(d)
                n += 1
            return n

        n_bare = engine.matches(params, bare)
        bare_s = time.perf_counter() - t
        n_fts, fts_wall, fts_cpu = fts5_export(db, FTS5_QUERIES[q])
        print(f"q={q!r:24} FTS5  rows {n_fts:6d}  {fts_wall:6.2f} s wall ({fts_cpu:6.2f} s CPU, "
              f"{n_fts / fts_cpu if fts_cpu else 0:6.0f} rows/CPU-s)  {n_fts / fts_wall if fts_wall else 0:6.0f} rows/s",
              flush=True)
        for fmt in ("csv", "jsonl"):
            sink = _Sink()
            samples = []
            t = time.perf_counter()
            c0 = time.process_time()
            lines, next_sample = 0, 10_000
            for chunk in export.stream(engine, params, fmt):
                sink.write(chunk)
                lines += chunk.count("\n")  # every field is one line: a line a row
                if lines >= next_sample:
                    samples.append(rss_mb())
                    next_sample += 10_000
            wall = time.perf_counter() - t
            cpu = time.process_time() - c0
            rows = lines - (2 if fmt == "csv" else 1)  # header comment (+ column names)
            total = engine.matches(params, lambda ms: len(ms.docnums))
            assert rows == total, (rows, total)
            speed = total / wall if wall else float("inf")
            growth = (rss_mb() - samples[0]) if samples else 0.0
            met = "met" if speed >= TARGET_ROWS_S else "MISSED"
            if q == "" and speed < TARGET_ROWS_S:
                ok = False
            print(f"q={q!r:24} {fmt:5} rows {total:6d}  {wall:6.2f} s wall ({cpu:6.2f} s CPU, "
                  f"{total / cpu if cpu else 0:6.0f} rows/CPU-s)  {speed:6.0f} rows/s "
                  f"(target {TARGET_ROWS_S}: {met})  {sink.chars / 1e6:5.1f} MB out  "
                  f"RSS growth after the first 10k rows {growth:+.1f} MB  | reference (stored fields "
                  f"only) {n_bare / bare_s if bare_s else 0:6.0f} rows/s: export {wall / bare_s if bare_s else 0:4.1f}x its time",
                  flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"peak RSS of the process: {peak:.0f} MB")
    engine.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
