"""Known-item ranking quality: searchsvc (Whoosh, our French analysis) vs SQLite FTS5.

Indexes the PARAGRAPHS ONLY (no title, no lead) of the 33,930 articles of
../shared/datasets/news-fr/news_fr.jsonl.gz, runs the 731 headline queries of
known_item_dev.jsonl, and prints MRR@10 and Recall@10 for each ranking strategy of
ours and for FTS5 (unicode61 remove_diacritics 2, bm25, OR of the query's words),
all built and measured in this one run. Headlines are searched as plain words
(see ``as_words``): their quotes are not phrase queries.

    .venv/bin/python bench/ranking.py [--limit N] [--rebuild]

The Whoosh index is cached under bench/out/ (git-ignored), keyed by the analysis
and schema fingerprint; --rebuild forces a fresh one.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from searchsvc.article import Article  # noqa: E402
from searchsvc.search import SearchEngine, parse_params  # noqa: E402

from _newsfr import DATASET_DIR as DATA, cached_index, iter_records  # noqa: E402
OUT = HERE / "out"
K = 10


def build_whoosh(index_dir: Path, limit, rebuild: bool) -> None:
    t = time.perf_counter()
    built = cached_index(index_dir, f"paragraphs-{limit or 'all'}", lambda: (
        Article(id=d["id"], text="\n\n".join(d["paragraphs"]), source=d.get("source"),
                date=d.get("date"), lang="fr") for d in iter_records(limit)), rebuild)
    print(f"whoosh: indexed in {time.perf_counter() - t:.1f} s" if built
          else f"whoosh: cached index {index_dir}")


def build_fts5(limit) -> sqlite3.Connection:
    t = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, body, "
               "tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs(id, body) VALUES (?, ?)",
                   ((d["id"], "\n\n".join(d["paragraphs"])) for d in iter_records(limit)))
    db.commit()
    print(f"fts5: indexed in {time.perf_counter() - t:.1f} s")
    return db


def fts5_or_query(text: str) -> str | None:
    words = re.findall(r"\w+", text)
    return " OR ".join('"%s"' % w for w in words) if words else None


def as_words(headline: str) -> str:
    """A headline as plain words: its double quotes, leading minus signs, stars,
    parentheses and field prefixes are query syntax for us, not for a headline.
    FTS5 gets the same words (OR of them)."""
    q = re.sub(r'["*()\[\]{}]', " ", headline)
    q = re.sub(r"(^|\s)[-+!]+", r"\1", q)
    q = re.sub(r"\b(title|titre|source|texte|text|body):", r"\1 ", q, flags=re.IGNORECASE)
    return re.sub(r"\b(OR|OU|AND|ET|NOT|SAUF)\b", lambda m: m.group(1).lower(), q)


def evaluate(name, queries, rank_fn):
    rr = hits = 0
    t = time.perf_counter()
    for q in queries:
        ids = rank_fn(q["query"])[:K]
        rel = set(q["relevant_ids"])
        for i, doc_id in enumerate(ids):
            if doc_id in rel:
                rr += 1 / (i + 1)
                hits += 1
                break
    n = len(queries)
    ms = (time.perf_counter() - t) * 1000 / n
    print(f"{name:<28} MRR@10 {rr / n:.4f}   Recall@10 {hits / n:.4f}   ({ms:.1f} ms/query)")
    return rr / n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="index only the first N articles")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--strategies", default="coord,andboost,or")
    args = ap.parse_args(argv)

    with open(DATA / "known_item_dev.jsonl", encoding="utf-8") as f:
        queries = [json.loads(line) for line in f if line.strip()]
    if args.limit:
        present = {d["id"] for d in iter_records(args.limit)}
        queries = [q for q in queries if set(q["relevant_ids"]) & present]
    print(f"{len(queries)} known-item queries; paragraphs only")

    index_dir = OUT / "ranking-index"
    build_whoosh(index_dir, args.limit, args.rebuild)
    db = build_fts5(args.limit)

    def fts5(text):
        mq = fts5_or_query(text)
        if not mq:
            return []
        rows = db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                          (mq, K)).fetchall()
        return [r[0] for r in rows]

    base = evaluate("SQLite FTS5 (bm25, OR)", queries, fts5)
    best = None
    for strategy in args.strategies.split(","):
        engine = SearchEngine(index_dir, strategy=strategy)

        def ours(text, engine=engine):
            r = engine.search(parse_params({"q": as_words(text), "per_page": str(K)}))
            return [x["id"] for x in r["results"]]

        mrr = evaluate(f"searchsvc ({strategy})", queries, ours)
        if best is None or mrr > best[1]:
            best = (strategy, mrr)
        engine.close()
    print(f"best: {best[0]}  MRR@10 {best[1]:.4f}  vs FTS5 {base:.4f}  "
          f"(delta {best[1] - base:+.4f}; target +0.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
