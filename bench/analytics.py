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


def build(rebuild: bool = False) -> None:
    t = time.perf_counter()
    built = cached_index(INDEX, "articles-all", lambda: (
        Article(id=r["id"], title=r.get("title"), text=body_text(r), source=r.get("source"),
                date=r.get("date"), lang="fr") for r in iter_records()), rebuild)
    print(f"index: built in {time.perf_counter() - t:.1f} s" if built else f"index: cached {INDEX}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build-only", action="store_true")
    a = p.parse_args(argv)
    build(a.rebuild)
    return 0


if __name__ == "__main__":
    sys.exit(main())
