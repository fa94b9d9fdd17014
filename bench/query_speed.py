"""Query latency on the 33,930-article news-fr index: searchsvc vs SQLite FTS5.

Builds (once, cached under bench/out/, git-ignored) an index of every article of
../shared/datasets/news-fr/news_fr.jsonl.gz (title, lead and paragraphs; source;
date) with our schema and analysis, then runs a fixed, seeded set of queries
(single words common and rare, 2-4 word queries, phrases, prefixes, exclusions,
queries with date/year filters and date sorts, empty query + filter), each with
facets and snippets for 10 results, in-process, and prints p50 / p95 / max in ms.
In the same run, SQLite FTS5 (unicode61 remove_diacritics 2) answers the same
queries with bm25 + snippet() for 10 results + COUNT/GROUP BY source.

    .venv/bin/python bench/query_speed.py [--rebuild] [--repeat N] [--entities N]

The main index is built without entities (SEARCHSVC_NER=0: spaCy on 33,930 articles
takes a while). ``--entities N`` (issue 12) builds two more cached indexes of the first
N articles, with and without entities and quotes, and times the same queries on both:
the growth of p50 is the query cost of the entity facets (target <= 20 %).

Data: OrangeSum (actu.orange.fr), CC-BY-SA-4.0, Kamal Eddine, Tixier,
Vazirgiannis, "BARThez", 2020; read from ../shared, never copied.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from _newsfr import body_text, cached_index, iter_records  # noqa: E402

from searchsvc.article import Article  # noqa: E402
from searchsvc.search import parse_params  # noqa: E402
from searchsvc.backends.whoosh import SearchEngine  # noqa: E402

OUT = HERE / "out"
INDEX = OUT / "speed-index"

COMMON = ["France", "Macron", "gouvernement", "Paris", "police", "président", "coronavirus",
          "Trump", "football", "élections", "grève", "retraites", "enquête", "justice", "santé",
          "économie", "Europe", "Chine", "manifestation", "incendie"]
STOP = set("le la les de des du un une et en à au aux pour par sur dans avec qui que ce ces est "
           "sont a été il elle ils on ne pas plus se sa son ses leur leurs l d qu s c n".split())


def build_index(rebuild: bool) -> None:
    os.environ.setdefault("SEARCHSVC_NER", "0")  # entities: --entities N
    t = time.perf_counter()
    built = cached_index(INDEX, "full-articles", lambda: (
        Article(id=r["id"], title=r.get("title"), text=body_text(r), source=r.get("source"),
                date=r.get("date"), lang="fr") for r in iter_records()), rebuild)
    print(f"index: built in {time.perf_counter() - t:.0f} s" if built else f"index: cached {INDEX}")


CLASSES = ("rare", "common", "2-4 words", "long 8-12", "phrase", "prefix", "exclusion",
           "filter/sort", "empty+filter")


def query_class(p: dict) -> str:
    """The class of one query of :func:`make_queries` (for the per-class table)."""
    q = p.get("q", "")
    if not q:
        return "empty+filter"
    if any(k in p for k in ("year", "date_from", "sort")):
        return "filter/sort"
    if q.startswith('"'):
        return "phrase"
    if q.endswith("*"):
        return "prefix"
    if " -" in q:
        return "exclusion"
    n = len(q.split())
    if n >= 8:
        return "long 8-12"
    if n >= 2:
        return "2-4 words"
    return "common" if q in COMMON else "rare"


def entity_cost(n: int, queries, repeat: int, rebuild: bool) -> None:
    """p50/p95 of the same queries on N articles indexed with and without entities."""

    def articles():
        return (Article(id=r["id"], title=r.get("title"), text=body_text(r), source=r.get("source"),
                        date=r.get("date"), lang="fr") for r in iter_records(n))

    engines = {}
    for mode in ("0", "1"):
        index = OUT / f"speed-index-{n}-ner{mode}"
        os.environ["SEARCHSVC_NER"] = mode
        t = time.perf_counter()
        if cached_index(index, f"first-{n}", lambda: articles(), rebuild):
            print(f"index of {n} articles, entities {'on' if mode == '1' else 'off'}: built in "
                  f"{time.perf_counter() - t:.0f} s")
        engines[mode] = SearchEngine(index)
        engines[mode].search(queries[0])  # warm-up: the generation's arrays (and entity arrays)
    times = interleaved(engines, queries, repeat)
    for mode, engine in engines.items():
        engine.close()
        report(f"entities {'on' if mode == '1' else 'off'}", times[mode])
    growth = pct(times["1"], 50) / pct(times["0"], 50) - 1
    print(f"entity facets: p50 grows by {100 * growth:+.0f} %, p95 by "
          f"{100 * (pct(times['1'], 95) / pct(times['0'], 95) - 1):+.0f} % on {n} articles "
          f"(target <= +20 %):", "met" if growth <= 0.20 else "MISSED")


def interleaved(engines: dict, queries, repeat: int = 1, on_result=None) -> dict:
    """{name: [ms of each query]} of ``engines`` ({name: engine}) taking turns query by
    query: all see the same moments of a noisy machine. ``on_result(name, result)``."""
    times = {name: [] for name in engines}
    for _ in range(repeat):
        for p in queries:
            for name, engine in engines.items():
                t = time.perf_counter()
                r = engine.search(p)
                times[name].append((time.perf_counter() - t) * 1000)
                if on_result:
                    on_result(name, r)
    return times


def make_queries(n_each: int = 30) -> list[dict]:
    """A fixed (seeded) list of query parameter sets."""
    rng = random.Random(20261121)
    titles = [r["title"] for r in iter_records(6000) if r.get("title")]
    words = [w for t in titles for w in re.findall(r"[^\W\d_]{4,}", t) if w.lower() not in STOP]
    vocab_count: dict[str, int] = {}
    for w in words:
        vocab_count[w] = vocab_count.get(w, 0) + 1
    rare = sorted(w for w, c in vocab_count.items() if c == 1)
    qs: list[dict] = [{"q": w} for w in COMMON]
    qs += [{"q": w} for w in rng.sample(rare, n_each)]
    for k in (2, 3, 4):
        for _ in range(n_each):
            t = rng.choice(titles)
            ws = [w for w in re.findall(r"\w+", t) if w.lower() not in STOP]
            if len(ws) >= k:
                i = rng.randrange(len(ws) - k + 1)
                qs.append({"q": " ".join(ws[i:i + k])})
    long_titles = [t for t in titles if len(t.split()) >= 8]
    for _ in range(n_each):  # pasted headlines
        ws = rng.choice(long_titles).split()
        qs.append({"q": " ".join(ws[:rng.randint(8, 12)])})
    for _ in range(n_each):
        ws = re.findall(r"\w+", rng.choice(titles))
        if len(ws) >= 3:
            i = rng.randrange(len(ws) - 1)
            qs.append({"q": '"%s"' % " ".join(ws[i:i + rng.choice((2, 3))])})
    for _ in range(n_each // 2):
        w = rng.choice(rare)
        qs.append({"q": w[:4] + "*"})
        qs.append({"q": f"{rng.choice(COMMON)} -{rng.choice(COMMON)}"})
    for _ in range(n_each):
        base = rng.choice(COMMON + rng.sample(rare, 3))
        year = str(rng.choice(range(2012, 2021)))
        qs.append(rng.choice([
            {"q": base, "year": year},
            {"q": base, "date_from": f"{year}-03", "date_to": f"{year}-09-15"},
            {"q": base, "sort": "newest"},
            {"q": base, "year": year, "sort": "oldest"},
            {"q": "", "year": year},
            {"q": "", "date_from": f"{year}-06-01", "date_to": f"{year}-06-30"},
        ]))
    return qs


def fts5_build(rows=None) -> sqlite3.Connection:
    """The FTS5 table of news-fr, or of ``rows`` ((id, source, date, title, body) tuples)."""
    t = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, source UNINDEXED, date UNINDEXED, "
               "title, body, tokenize='unicode61 remove_diacritics 2')")
    db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?)", rows if rows is not None else (
        (r["id"], r.get("source"), r.get("date") or "", r.get("title") or "", body_text(r))
        for r in iter_records()))
    db.commit()
    print(f"fts5: built in {time.perf_counter() - t:.0f} s")
    return db


def fts5_match(q: str, all_words: bool | None = None) -> str | None:
    """Our query syntax in FTS5 terms, with our matching rule: all the words (AND) up to
    ``STRICT_MAX_UNITS`` units, OR of them beyond (where we rank by coverage);
    phrases, prefixes, NOT. ``all_words`` forces one or the other."""
    pos, neg = [], []
    for m in re.finditer(r'(-?)"([^"]*)"|(-?)(\S+)', q):
        if m.group(2) is not None:
            words = re.findall(r"\w+", m.group(2))
            if words:
                (neg if m.group(1) else pos).append('"%s"' % " ".join(words))
        else:
            raw = m.group(4)
            star = raw.endswith("*")
            for w in re.findall(r"\w+", raw):
                (neg if m.group(3) else pos).append('"%s"%s' % (w, "*" if star else ""))
    if not pos:
        return None
    if all_words is None:
        from searchsvc.search.matching import STRICT_MAX_UNITS

        all_words = len(pos) <= STRICT_MAX_UNITS
    expr = "(" + (" AND " if all_words else " OR ").join(pos) + ")"
    if neg:
        expr += " NOT (" + " OR ".join(neg) + ")"
    return expr


def fts5_search(db, params) -> None:
    p = params
    where, args = [], []
    lo, hi = p.date_range
    if p.years:
        lo, hi = f"{min(p.years)}-01-01", f"{max(p.years)}-12-31"
    if lo:
        where.append("date >= ?")
        args.append(lo)
    if hi:
        where.append("date <= ? AND date != ''")
        args.append(hi)
    match = fts5_match(p.q) if p.q else None
    if match:
        cond = " AND ".join(["docs MATCH ?"] + where)
        order = "date DESC" if p.sort == "newest" else "date ASC" if p.sort == "oldest" else "bm25(docs, 2.0, 1.0)"
        db.execute(f"SELECT id, title, snippet(docs, 4, '<mark>', '</mark>', '…', 40) FROM docs "
                   f"WHERE {cond} ORDER BY {order} LIMIT 10", [match] + args).fetchall()
        db.execute(f"SELECT source, count(*) FROM docs WHERE {cond} GROUP BY source",
                   [match] + args).fetchall()
    else:
        cond = " AND ".join(where) or "1"
        db.execute(f"SELECT id, title, substr(body, 1, 300) FROM docs WHERE {cond} "
                   f"ORDER BY date DESC LIMIT 10", args).fetchall()
        db.execute(f"SELECT source, count(*) FROM docs WHERE {cond} GROUP BY source", args).fetchall()


def pct(values, p) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def rss_mb() -> float:
    """This process' resident memory, MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cache_report(engine) -> str:
    """The live generation's cache sizes (searchsvc.backends.whoosh.engine._Generation.cache_stats)."""
    from searchsvc.backends.whoosh.indexer import mapped

    gen = engine._current()
    st = gen.cache_stats()
    a = st["arrays"]
    return (f"caches: arrays {a['entries']} entries {a['bytes'] / 1e6:.1f} MB (max {a['max_bytes'] / 1e6:.0f} MB), "
            f"query expansions (prefixes, accents, spelling) {st['prefixes']} (max 1024), searchers {st['searchers']} (max 4), "
            f"facet filters {st['facets']}, copy groups {st['copy_groups']}; shared segment maps "
            f"{mapped.shared_maps()['maps']} ({mapped.shared_maps()['bytes'] / 1e6:.0f} MB of files)")


def class_table(rows) -> bool:
    """Per-class p50/p95 of ours and FTS5's, with the ratios; True when every class meets
    ours <= FTS5 at both."""
    print(f"{'class':<14}{'n':>4}  {'ours p50':>9} {'p95':>7}  {'FTS5 p50':>9} {'p95':>7}  "
          f"{'ratio p50':>9} {'p95':>6}  target")
    ok_all = True
    for name in CLASSES + ("all",):
        sel = [r for r in rows if name == "all" or r[0] == name]
        if not sel:
            continue
        o, f = [r[1] for r in sel], [r[2] for r in sel]
        op50, op95, fp50, fp95 = pct(o, 50), pct(o, 95), pct(f, 50), pct(f, 95)
        ok = op50 <= fp50 and op95 <= fp95
        ok_all &= ok
        print(f"{name:<14}{len(sel):>4}  {op50:9.1f} {op95:7.1f}  {fp50:9.1f} {fp95:7.1f}  "
              f"{op50 / fp50:8.2f}x {op95 / fp95:5.2f}x  {'met' if ok else 'MISSED'}")
    return ok_all


def report(name, times) -> None:
    print(f"{name:<12} n={len(times):<4} p50 {pct(times, 50):7.1f} ms   p95 {pct(times, 95):7.1f} ms   "
          f"max {max(times):7.1f} ms   mean {statistics.mean(times):6.1f} ms")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="run the query set N times")
    ap.add_argument("--slowest", type=int, default=5, help="print the N slowest queries")
    ap.add_argument("--index", type=Path, default=None,
                    help="an existing index (e.g. bench/out/ranking-index) instead of building one")
    ap.add_argument("--before", default="", help="NAME=value,... ranking settings of a 'before' "
                    "engine timed beside the shipped one, query by query (bench/ranking.py --variants)")
    ap.add_argument("--entities", type=int, default=0, metavar="N",
                    help="time the queries on N articles indexed with and without entities")
    args = ap.parse_args(argv)
    if args.entities:
        entity_cost(args.entities, [parse_params(q) for q in make_queries()], args.repeat,
                    args.rebuild)
        return 0

    if args.index is None:
        build_index(args.rebuild)
    raw = make_queries()
    queries = [parse_params(q) for q in raw]
    classes = [query_class(q) for q in raw]
    print(f"{len(queries)} queries x {args.repeat}; facets + snippets for 10 results; RSS {rss_mb():.0f} MB")

    engine = SearchEngine(args.index or INDEX)
    t = time.perf_counter()
    info = engine.info()
    print(f"searchsvc: {info['documents']} documents; opening the generation (searcher + facet "
          f"arrays) took {(time.perf_counter() - t) * 1000:.0f} ms")
    db = fts5_build()

    ours, theirs, per_query, before, rows = [], [], [], [], []
    for _ in range(args.repeat):
        for p, cls in zip(queries, classes):
            if args.before:
                from ranking import apply, restore  # bench/ranking.py

                old = apply(args.before)
                t = time.perf_counter()
                engine.search(p)
                before.append((time.perf_counter() - t) * 1000)
                restore(old)
            t = time.perf_counter()
            r = engine.search(p)
            ms = (time.perf_counter() - t) * 1000
            ours.append(ms)
            per_query.append((ms, p, r["total"]))
            t = time.perf_counter()
            fts5_search(db, p)
            theirs.append((time.perf_counter() - t) * 1000)
            rows.append((cls, ms, theirs[-1]))
    report("searchsvc", ours)
    if before:
        report("before", before)
        print(f"before ({args.before}): ratio shipped / before p50 {pct(ours, 50) / pct(before, 50):.2f}x "
              f"p95 {pct(ours, 95) / pct(before, 95):.2f}x")
    report("FTS5", theirs)
    print(f"ratio p50 {pct(ours, 50) / pct(theirs, 50):.1f}x  p95 {pct(ours, 95) / pct(theirs, 95):.1f}x "
          "(same run; the machine is shared, compare ratios)")
    print("targets: p50 <= 30 ms, p95 <= 150 ms:",
          "met" if pct(ours, 50) <= 30 and pct(ours, 95) <= 150 else "MISSED")
    print("per class (ms; same run, each query ours then FTS5 with the same matching rule):")
    met = class_table(rows)
    print(f"target (ours p50 and p95 <= FTS5's in every class): {'met' if met else 'MISSED'}")
    fts5_mb = (db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]) / 2**20
    print(f"RSS after {len(ours)} queries: {rss_mb():.0f} MB, of which FTS5's in-memory database "
          f"{fts5_mb:.0f} MB: ours {rss_mb() - fts5_mb:.0f} MB (target <= 600 MB); {cache_report(engine)}")
    for ms, p, total in sorted(per_query, key=lambda x: -x[0])[:args.slowest]:
        print(f"  slow: {ms:7.1f} ms  total={total:<6} {p.to_dict()}")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
