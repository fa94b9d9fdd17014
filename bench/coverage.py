"""Where strict all-words matching ends and soft coverage starts: measured on long queries.

A full match must contain every content unit of a short query; for a query of more
than ``STRICT_MAX_UNITS`` units it needs ``STRICT_MAX_UNITS + ceil(SOFT_FRACTION *
(n - STRICT_MAX_UNITS))`` of them (:mod:`searchsvc.search.matching`); full matches
rank before partial ones. This runs the two long-query dev sets under several rules,
in one run, beside SQLite FTS5 (bm25, OR of the words) and beside the previous
behaviour (every document with one word is a full match: OR + coordination):

* bench/ranking.py's 731 known-item headline queries over the news-fr paragraphs
  (its cached index under bench/out/ranking-index);
* ../shared/datasets/piaf-dev: 2,004 questions over 399 Wikipedia paragraphs
  (title + text, indexed under bench/out/piaf-index).

For each rule: MRR@10, Recall@10, and the share of queries whose ``total`` (full
matches) is 0. The data is read from ../shared (``SEARCHSVC_SHARED``), never copied.

    .venv/bin/python bench/coverage.py [--sets known,piaf] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import ranking  # noqa: E402
from _newsfr import SHARED_DIR, cached_index  # noqa: E402

from searchsvc.article import Article  # noqa: E402
from searchsvc.search import matching, parse_params  # noqa: E402
from searchsvc.backends.whoosh import SearchEngine  # noqa: E402

PIAF = SHARED_DIR / "datasets" / "piaf-dev"
K = ranking.K

#: (label, STRICT_MAX_UNITS, SOFT_FRACTION); None: the previous behaviour (need 1)
RULES = [
    ("OR + coordination (before)", 0, 0.0),
    ("all words, any length", 10_000, 1.0),
    ("strict <= 3, then 1/2", 3, 0.5),
    ("strict <= 4, then 1/2", 4, 0.5),
    ("strict <= 5, then 1/2", 5, 0.5),
    ("strict <= 6, then 1/2", 6, 0.5),
    ("strict <= 8, then 1/2", 8, 0.5),
    ("strict <= 4, then 1/3", 4, 1 / 3),
    ("strict <= 4, then 3/4", 4, 0.75),
    ("strict <= 3, then 1/3", 3, 1 / 3),
    ("strict <= 2, then 1/2", 2, 0.5),
]


def piaf_data(limit=None):
    with open(PIAF / "passages_dev.jsonl", encoding="utf-8") as f:
        passages = [json.loads(line) for line in f if line.strip()]
    with open(PIAF / "questions_dev.jsonl", encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    return passages, questions[:limit] if limit else questions


def fts5_ranker(rows):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, body, "
               "tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs(id, body) VALUES (?, ?)", rows)
    db.commit()

    def rank(text):
        mq = ranking.fts5_or_query(text)
        if not mq:
            return []
        return [r[0] for r in db.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (mq, K))]

    return rank


def run_rules(name, index_dir, queries, rules):
    engine = SearchEngine(index_dir, budget_seconds=60)
    saved = matching.STRICT_MAX_UNITS, matching.SOFT_FRACTION
    try:
        for label, strict_max, fraction in rules:
            matching.STRICT_MAX_UNITS, matching.SOFT_FRACTION = strict_max, fraction
            empty = []

            def ours(text):
                r = engine.search(parse_params({"q": ranking.as_words(text), "per_page": str(K)}))
                empty.append(r["total"] == 0)
                return [x["id"] for x in r["results"]]

            mrr = ranking.evaluate(f"{name}: {label}", queries, ours)
            print(f"{'':<28}   queries with total 0: {sum(empty) / len(empty):.1%}")
            yield label, mrr
    finally:
        matching.STRICT_MAX_UNITS, matching.SOFT_FRACTION = saved
        engine.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="known,piaf")
    ap.add_argument("--limit", type=int, default=None, help="first N queries of each set")
    ap.add_argument("--rules", default=None, help="indexes into RULES, e.g. 0,3")
    args = ap.parse_args(argv)
    rules = [RULES[int(i)] for i in args.rules.split(",")] if args.rules else RULES
    sets = args.sets.split(",")
    figures = {}
    if "piaf" in sets:
        passages, questions = piaf_data(args.limit)
        index = ranking.OUT / "piaf-index"
        cached_index(index, "piaf-dev", lambda: (
            Article(id=p["id"], title=p.get("title"), text=p["text"], lang="fr") for p in passages))
        print(f"piaf-dev: {len(questions)} questions, {len(passages)} paragraphs")
        fts = fts5_ranker((p["id"], (p.get("title") or "") + "\n\n" + p["text"]) for p in passages)
        figures["piaf FTS5"] = ranking.evaluate("piaf: SQLite FTS5 (bm25, OR)", questions, fts)
        for label, mrr in run_rules("piaf", index, questions, rules):
            figures[f"piaf {label}"] = mrr
    if "known" in sets:
        with open(ranking.DATA / "known_item_dev.jsonl", encoding="utf-8") as f:
            queries = [json.loads(line) for line in f if line.strip()]
        queries = queries[:args.limit] if args.limit else queries
        index = ranking.OUT / "ranking-index"
        ranking.build_whoosh(index, None, False)
        print(f"known-item: {len(queries)} headline queries, news-fr paragraphs")
        t = time.perf_counter()
        fts = fts5_ranker((d["id"], "\n\n".join(d["paragraphs"])) for d in ranking.iter_records())
        print(f"fts5: indexed in {time.perf_counter() - t:.1f} s")
        figures["known FTS5"] = ranking.evaluate("known: SQLite FTS5 (bm25, OR)", queries, fts)
        for label, mrr in run_rules("known", index, queries, rules):
            figures[f"known {label}"] = mrr
    return 0


if __name__ == "__main__":
    sys.exit(main())
