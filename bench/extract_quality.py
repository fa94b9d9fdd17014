"""HTML extraction quality and speed: ours vs trafilatura, same pages, same run.

Reads ../shared/datasets/news-fr/html_dev.tar.gz (500 pages of actu.orange.fr with the
site's own extraction as gold; CC-BY-SA-4.0, OrangeSum, Kamal Eddine et al. 2020) and
prints word-level precision, recall and F1 of the kept text against the gold (lead +
article: both are in the page body) and pages per second for:

- ours: ``searchsvc.ingest.html.clean_html`` (lxml, boilerplate rules, language check),
- trafilatura: ``trafilatura.extract(page)`` with its defaults,
- and, for reference only, how long ``BeautifulSoup(page, "lxml")`` takes just to parse.

Words are ``\\w+`` tokens, lower-cased, compared as multisets (the gold joins
paragraphs without separators: "Pyrénées.Alors"). Micro-averaged over all words.

    .venv/bin/python bench/extract_quality.py [--limit N] [--no-bs4] [--show-worst K] [--text N]

``--text N`` also times the plain-text path: N articles of news_fr.jsonl.gz written as
.txt files (title, lead, paragraphs) to a temp folder, then ``extract()`` on each, and
prints ms per document (``SEARCHSVC_LANGDETECT=langdetect`` forces pure-Python langdetect).

The machine is shared: compare the two rates of one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DATASET = HERE.parent.parent / "shared" / "datasets" / "news-fr" / "html_dev.tar.gz"
NEWS = DATASET.with_name("news_fr.jsonl.gz")

_WORD = re.compile(r"\w+")


def words(text: str) -> Counter:
    return Counter(_WORD.findall((text or "").lower()))


def load(limit: int | None):
    pages: dict[str, dict] = {}
    with tarfile.open(DATASET) as tar:
        for m in tar:
            if not m.isfile():
                continue
            name = Path(m.name).name
            key, _, kind = name.partition(".")
            data = tar.extractfile(m).read()
            entry = pages.setdefault(key, {})
            if kind == "html":
                entry["html"] = data
            elif kind == "gold.json":
                entry["gold"] = json.loads(data)
    items = [(k, v) for k, v in sorted(pages.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else kv[0])
             if "html" in v and "gold" in v]
    return items[:limit] if limit else items


def score(preds: list[str], golds: list[str]):
    tp = fp = fn = 0
    per_page = []
    for pred, gold in zip(preds, golds):
        p, g = words(pred), words(gold)
        overlap = sum((p & g).values())
        tp += overlap
        fp += sum(p.values()) - overlap
        fn += sum(g.values()) - overlap
        pp = overlap / max(1, sum(p.values()))
        rr = overlap / max(1, sum(g.values()))
        per_page.append(2 * pp * rr / (pp + rr) if pp + rr else 0.0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, per_page


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--no-bs4", action="store_true", help="skip the BeautifulSoup parse timing")
    ap.add_argument("--show-worst", type=int, default=0, help="list the K pages where our F1 is lowest")
    ap.add_argument("--text", type=int, default=0, metavar="N", help="also time extract() on N news-fr .txt articles")
    args = ap.parse_args(argv)
    if not DATASET.exists():
        print(f"jeu de données absent : {DATASET}", file=sys.stderr)
        return 2

    from searchsvc.ingest import decode
    from searchsvc.ingest.html import clean_html
    from searchsvc.ingest.lang import BACKEND
    import trafilatura

    items = load(args.limit)
    htmls = [decode(v["html"]) for _, v in items]
    golds = [" ".join(x for x in (v["gold"].get("lead"), v["gold"].get("article")) if x) for _, v in items]
    n = len(items)
    print(f"{n} pages from {DATASET.name}; gold = lead + article; language backend: {BACKEND}")

    clean_html(htmls[0])            # warm-up: language profiles, imports
    trafilatura.extract(htmls[0])

    ours_t = traf_t = 0.0
    ours: list[str] = [""] * n
    traf: list[str] = [""] * n
    titles_ok = dates_ok = 0
    # interleave the two extractors page by page so load on the shared machine hits both alike
    for i, html in enumerate(htmls):
        t0 = time.perf_counter()
        cleaned, meta = clean_html(html)
        t1 = time.perf_counter()
        traf[i] = trafilatura.extract(html) or ""
        t2 = time.perf_counter()
        ours[i] = cleaned.text
        ours_t += t1 - t0
        traf_t += t2 - t1
        gold = items[i][1]["gold"]
        titles_ok += (meta.get("title") or "").strip() == (gold.get("title") or "").strip()
        dates_ok += meta.get("date") == gold.get("date")

    print(f"{'extractor':<14}{'precision':>10}{'recall':>9}{'F1':>8}{'pages/s':>10}{'ms/page':>9}")
    for name, preds, secs in (("ours", ours, ours_t), ("trafilatura", traf, traf_t)):
        p, r, f, _ = score(preds, golds)
        print(f"{name:<14}{p:>10.4f}{r:>9.4f}{f:>8.4f}{n / secs:>10.1f}{secs / n * 1000:>9.2f}")
    print(f"speed ratio ours/trafilatura: {traf_t / ours_t:.2f}x")
    print(f"metadata (ours): title = gold title on {titles_ok}/{n}, date = gold date on {dates_ok}/{n}")
    t_ok = d_ok = 0
    for i, html in enumerate(htmls):  # trafilatura's metadata (htmldate for the date), untimed
        m = trafilatura.extract_metadata(html)
        gold = items[i][1]["gold"]
        t_ok += m is not None and (m.title or "").strip() == (gold.get("title") or "").strip()
        d_ok += m is not None and (m.date or "")[:10] == gold.get("date")
    print(f"metadata (trafilatura): title = gold title on {t_ok}/{n}, date = gold date on {d_ok}/{n}")

    if not args.no_bs4:
        from bs4 import BeautifulSoup
        t0 = time.perf_counter()
        for html in htmls:
            BeautifulSoup(html, "lxml")
        bs = time.perf_counter() - t0
        print(f"reference: BeautifulSoup(page, 'lxml') parse alone: {n / bs:.1f} pages/s ({bs / n * 1000:.2f} ms/page)")

    if args.text:
        text_speed(args.text)

    if args.show_worst:
        _, _, _, per = score(ours, golds)
        for f, (key, _) in sorted(zip(per, items))[: args.show_worst]:
            print(f"  worst: page {key} F1 {f:.3f}")
    return 0


def text_speed(n: int) -> None:
    import gzip
    import tempfile

    from searchsvc.ingest import extract

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        with gzip.open(NEWS, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                p = root / f"{rec['id']}.txt"
                p.write_text("\n\n".join([rec["title"], rec["lead"], *rec["paragraphs"]]) + "\n", encoding="utf-8")
                paths.append(p)
                if len(paths) == n:
                    break
        extract(paths[0], root=root, manifest={})
        size = sum(p.stat().st_size for p in paths)
        t0 = time.perf_counter()
        dropped = 0
        for p in paths:
            dropped += len(extract(p, root=root, manifest={})[0].dropped)
        secs = time.perf_counter() - t0
    print(f"plain text: {len(paths)} news-fr articles (mean {size / len(paths) / 1024:.1f} KB), "
          f"{secs / len(paths) * 1000:.2f} ms/doc, {len(paths) / secs:.0f} docs/s on one core, "
          f"{dropped} lines dropped")


if __name__ == "__main__":
    sys.exit(main())
