"""Speed and quality figures of searchsvc's French analyzer, next to Whoosh's own.

Reads articles from ../shared/datasets/news-fr/news_fr.jsonl.gz (relative to the
repository; never copied into it) and prints, in one run (the machine is shared:
compare the ratios, not the absolute figures; times are this process's CPU time,
which other processes on the machine disturb less than wall-clock time):

1. analysis speed: tokens/s and ms per 3 KB of text for ``french_analyzer()``
   (first pass with an empty word cache, then steady state) and for Whoosh's
   ``LanguageAnalyzer("fr")`` on the same texts;
2. Whoosh indexing speed (docs/s, in a temp dir) with each analyzer;
3. agreement of PyStemmer's French stemmer with Whoosh's pure-Python
   ``StemFilter(lang="fr")`` stemmer on the sample's vocabulary, and their speeds;
4. the "un" choice: phrase "Kim Jong Un" precision and index size with "un" as a
   stop word (renumbered positions) and without (our choice).

Usage: .venv/bin/python bench/analysis_speed.py [--docs 3000] [--index-docs 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets" / "news-fr" / "news_fr.jsonl.gz"
sys.path.insert(0, str(ROOT))

from whoosh import fields, index  # noqa: E402
from whoosh.analysis import LanguageAnalyzer  # noqa: E402
from whoosh.lang.snowball.french import FrenchStemmer  # noqa: E402
from whoosh.qparser import QueryParser  # noqa: E402

from searchsvc import analysis  # noqa: E402


def load(limit: int | None, keep=None) -> list[str]:
    texts = []
    with gzip.open(DATA, "rt", encoding="utf-8") as stream:
        for line in stream:
            art = json.loads(line)
            text = "\n\n".join([art["title"], art.get("lead") or ""] + art["paragraphs"])
            if keep is None or keep(text):
                texts.append(text)
            if limit and len(texts) >= limit:
                break
    return texts


def time_analyzer(analyzer, texts, **kwargs) -> tuple[float, int]:
    start = time.process_time()
    count = 0
    for text in texts:
        for _ in analyzer(text, **kwargs):
            count += 1
    return time.process_time() - start, count


def report_speed(name, seconds, tokens, chars):
    per_3k = seconds / (chars / 3000) * 1000
    print(f"  {name:<38} {tokens / seconds:>12,.0f} tokens/s  {per_3k:6.3f} ms per 3 KB")


def best_of(rounds, runs):
    """Run each (name, function) ``rounds`` times, interleaved; keep each one's best time."""
    best = {}
    for _ in range(rounds):
        for name, run in runs:
            seconds, count = run()
            old = best.get(name)
            if old is None or seconds < old[0]:
                best[name] = (seconds, count)
    return best


def analysis_speed(texts, rounds):
    chars = sum(len(t) for t in texts)
    print(f"\n1. Analysis speed on {len(texts)} articles ({chars / len(texts):,.0f} chars each "
          f"on average), best of {rounds} interleaved rounds")
    analysis._CACHES.clear()
    ours = analysis.french_analyzer()
    spelling = analysis.spelling_analyzer()
    theirs = LanguageAnalyzer("fr")
    opts = {"positions": True, "mode": "index"}
    cold = time_analyzer(ours, texts, **opts)  # empty word cache
    best = best_of(rounds, [
        ("french_analyzer (steady state)", lambda: time_analyzer(ours, texts, **opts)),
        ("french_analyzer (chars=True)",
         lambda: time_analyzer(ours, texts, positions=True, chars=True, mode="index")),
        ("spelling_analyzer", lambda: time_analyzer(spelling, texts, **opts)),
        ('LanguageAnalyzer("fr")', lambda: time_analyzer(theirs, texts, **opts)),
    ])
    report_speed("french_analyzer (first, empty cache)", *cold, chars)
    for name, (seconds, count) in best.items():
        report_speed(name, seconds, count, chars)
    ratio = best['LanguageAnalyzer("fr")'][0] / best["french_analyzer (steady state)"][0]
    print(f"  french_analyzer is {ratio:.1f}x faster than LanguageAnalyzer(\"fr\")")
    print(f"  word cache: {sum(len(c[1]) for c in analysis._CACHES.values()):,} word forms")


def index_once(texts, analyzer):
    schema = fields.Schema(body=fields.TEXT(analyzer=analyzer, stored=True))
    with tempfile.TemporaryDirectory() as tmp:
        ix = index.create_in(tmp, schema)
        start = time.process_time()
        with ix.writer(limitmb=256) as writer:
            for text in texts:
                writer.add_document(body=text)
        seconds = time.process_time() - start
        size = sum(f.stat().st_size for f in Path(tmp).iterdir())
    return seconds, size


def index_speed(texts, rounds):
    print(f"\n2. Whoosh indexing speed, {len(texts)} articles, one writer, best of {rounds}")
    best = best_of(rounds, [
        ("french_analyzer", lambda: index_once(texts, analysis.french_analyzer())),
        ('LanguageAnalyzer("fr")', lambda: index_once(texts, LanguageAnalyzer("fr"))),
    ])
    for name, (seconds, size) in best.items():
        print(f"  {name:<38} {len(texts) / seconds:8.1f} docs/s  index {size / 1e6:6.1f} MB")
    ratio = best['LanguageAnalyzer("fr")'][0] / best["french_analyzer"][0]
    print(f"  indexing speed-up: {ratio:.2f}x (Whoosh's own posting work dominates)")


def stemmer_agreement(texts):
    print("\n3. PyStemmer vs Whoosh StemFilter(lang='fr') on the sample's vocabulary")
    words = set()
    word_re = re.compile(r"[^\W\d_]+")
    for text in texts:
        words.update(w.lower() for w in word_re.findall(text))
    words = sorted(words)
    import Stemmer

    py = Stemmer.Stemmer("french")
    py.maxCacheSize = 0
    whoosh_stem = FrenchStemmer().stem
    start = time.process_time()
    ours = [py.stemWord(w) for w in words]
    t_py = time.process_time() - start
    start = time.process_time()
    theirs = [whoosh_stem(w) for w in words]
    t_wh = time.process_time() - start
    diffs = [(w, a, b) for w, a, b in zip(words, ours, theirs) if a != b]
    agree = 1 - len(diffs) / len(words)
    print(f"  vocabulary {len(words):,} words; agreement {agree:.2%} ({len(diffs)} differ)")
    print(f"  PyStemmer {len(words) / t_py:,.0f} words/s, Whoosh {len(words) / t_wh:,.0f} words/s "
          f"({t_wh / t_py:.0f}x)")
    for w, a, b in diffs[:8]:
        print(f"    {w!r}: PyStemmer {a!r}, Whoosh {b!r}")


def build_un_index(docs, stops):
    """Index ``docs`` with ``stops`` as the stop list; return (CPU s, bytes, phrase hits)."""
    original = analysis.STOP_WORDS
    analysis.STOP_WORDS = frozenset(stops)
    analysis._CACHES.clear()
    try:
        schema = fields.Schema(id=fields.NUMERIC(stored=True),
                               body=fields.TEXT(analyzer=analysis.french_analyzer()))
        with tempfile.TemporaryDirectory() as tmp:
            ix = index.create_in(tmp, schema)
            start = time.process_time()
            with ix.writer(limitmb=256) as writer:
                for i, text in enumerate(docs):
                    writer.add_document(id=i, body=text)
            seconds = time.process_time() - start
            size = sum(f.stat().st_size for f in Path(tmp).iterdir())
            with ix.searcher() as searcher:
                q = QueryParser("body", schema).parse('"Kim Jong Un"')
                hits = frozenset(h["id"] for h in searcher.search(q, limit=None))
    finally:
        analysis.STOP_WORDS = original
        analysis._CACHES.clear()
    return seconds, (size, hits)


def un_choice(sample, kim_texts, rounds):
    print(f"\n4. 'un' as a stop word or not: {len(kim_texts)} articles naming 'Kim Jong', "
          f"+ {len(sample)} others, best of {rounds}")
    truth = re.compile(r"\bKim\s+Jong[\s-]+un\b", re.I)
    docs = kim_texts + sample
    relevant = {i for i, t in enumerate(docs) if truth.search(t)}
    base = analysis.STOP_WORDS
    best = best_of(rounds, [
        ("'un' a stop word (renumbered)", lambda: build_un_index(docs, base | {"un"})),
        ("'un' indexed (our choice)", lambda: build_un_index(docs, base - {"un"})),
    ])
    sizes = []
    for label, (seconds, (size, hits)) in best.items():
        good = len(hits & relevant)
        precision = good / len(hits) if hits else 1.0
        print(f"  {label:<32} phrase hits {len(hits):3d}, precision {precision:.2f}, "
              f"recall {good}/{len(relevant)}; index {size:,} bytes, {seconds:.2f} s CPU")
        sizes.append((size, seconds))
    print(f"  indexing 'un' costs {sizes[1][0] / sizes[0][0] - 1:+.1%} of index size, "
          f"{sizes[1][1] / sizes[0][1] - 1:+.1%} of indexing time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--index-docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"missing data: {DATA}", file=sys.stderr)
        return 1
    print(f"news-fr sample from {DATA} (CC-BY-SA-4.0, OrangeSum); "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    texts = load(args.docs)
    analysis_speed(texts, args.rounds)
    index_speed(texts[: args.index_docs], args.rounds)
    stemmer_agreement(texts)
    kim = load(None, keep=lambda t: "kim jong" in t.lower())
    random.seed(7)
    others = [t for t in texts if "kim jong" not in t.lower()]
    un_choice(random.sample(others, min(len(others), args.index_docs)), kim, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
