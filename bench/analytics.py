"""Timeline and characteristic-terms speed on the 33,930-article news-fr index.

    nice python bench/analytics.py [--rebuild] [--build-only] [--repeat 5]

Builds (once, cached under bench/out/articles-index) an index of every news-fr article
(title, lead and paragraphs, source, date), then times over a query set of common and
rarer words: ``timeline`` (target p95 <= 50 ms on a common word), ``terms`` (target
p95 <= 300 ms), beside the reference of the same run: ``SearchEngine.search`` of the
same query (first page), so that ratios survive a loaded machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from searchsvc.article import Article  # noqa: E402

from _newsfr import body_text, cached_index, iter_records  # noqa: E402

OUT = HERE / "out"
INDEX = OUT / "articles-index"
#: common words (thousands of matches each) and rarer ones, one or two words
COMMON = ["France", "gouvernement", "président", "Paris", "police", "ans", "Macron", "coronavirus",
          "économie", "élection", "enfants", "football", "guerre", "santé", "justice"]
RARER = ["Pyrénées", "sous-marin", "grève SNCF", "incendie Notre-Dame", "Brexit", "gilets jaunes",
         "vaccin", "tempête", "Trump Iran", "ours"]
TARGET_TIMELINE_MS = 50
TARGET_TERMS_MS = 300


def build(rebuild: bool = False) -> None:
    t = time.perf_counter()
    built = cached_index(INDEX, "articles-all", lambda: (
        Article(id=r["id"], title=r.get("title"), text=body_text(r), source=r.get("source"),
                date=r.get("date"), lang="fr") for r in iter_records()), rebuild)
    print(f"index: built in {time.perf_counter() - t:.1f} s" if built else f"index: cached {INDEX}")


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    """(first run ms, the next ``repeat`` runs ms)."""
    t = time.perf_counter()
    fn()
    first = (time.perf_counter() - t) * 1000
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return first, runs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args(argv)
    build(a.rebuild)
    if a.build_only:
        return 0
    from searchsvc.analytics import terms as tm
    from searchsvc.analytics import timeline as tl
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine

    engine = SearchEngine(INDEX)
    print(f"index: {engine.info()['documents']} articles, generation {engine.info()['generation']}")
    t = time.perf_counter()
    engine.timeline(tl.parse_timeline_args({"q": ""}))
    print(f"timeline: per-generation date column built with the first call, {(time.perf_counter() - t) * 1000:.0f} ms")
    print(f"terms: at most {tm.SAMPLE_MAX} stories read per query")

    rows = []
    for q in COMMON + RARER:
        search_params = parse_params({"q": q})
        tparams = tl.parse_timeline_args({"q": q})
        mparams = tm.parse_terms_args({"q": q})
        total = engine.search(search_params)["total"]
        s_first, s_runs = timed(lambda: engine.search(search_params), a.repeat)
        t_first, t_runs = timed(lambda: engine.timeline(tparams), a.repeat)
        m_first, m_runs = timed(lambda: engine.terms(mparams), a.repeat)
        rows.append((q, total, s_first, s_runs, t_first, t_runs, m_first, m_runs))
        print(f"  {q:<20} {total:>6} matches   search {statistics.median(s_runs):6.1f} ms   "
              f"timeline {statistics.median(t_runs):6.1f} ms   terms {statistics.median(m_runs):6.1f} ms")

    def line(label, pick, target=None):
        for name, subset in (("common", rows[:len(COMMON)]), ("all", rows)):
            warm = [v for r in subset for v in pick(r)[1]]
            cold = [pick(r)[0] for r in subset]
            verdict = "" if target is None else ("  (target <= %d ms: %s)" % (
                target, "met" if p95(warm) <= target else "MISSED"))
            print(f"{label:<30} {name:<6} p95 {p95(warm):7.1f} ms  median {statistics.median(warm):6.1f} ms  "
                  f"first-run p95 {p95(cold):7.1f} ms{verdict}")

    print()
    print(f"{len(rows)} queries x {a.repeat} runs (after one first run each), "
          f"{len(COMMON)} common words:")
    line("search, first page (reference)", lambda r: (r[2], r[3]))
    line("timeline", lambda r: (r[4], r[5]), TARGET_TIMELINE_MS)
    line("terms", lambda r: (r[6], r[7]), TARGET_TERMS_MS)
    ratio_t = statistics.median(v for r in rows for v in r[5]) / statistics.median(v for r in rows for v in r[3])
    ratio_m = statistics.median(v for r in rows for v in r[7]) / statistics.median(v for r in rows for v in r[3])
    print(f"median ratio to the search of the same query: timeline {ratio_t:.2f}, terms {ratio_m:.2f}")
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
