"""HTML extraction quality and speed: ours vs trafilatura and htmldate, same pages, same run.

Two data sets, read from ``shared/datasets/`` beside the repository (never copied into it):

- ``html-diverse/`` (1,224 pages from ~1,100 sites in 29 languages; pages and annotations
  from the trafilatura evaluation set (A. Barbaresi), the Zyte/Scrapinghub article extraction
  benchmark and the fundus parser tests (flairNLP); development use only). Scored with the
  set's own ``score.py`` (imported, not rewritten): must-keep / must-drop snippet shares on
  the ``trafilatura`` source, word P/R/F1 on ``scrapinghub`` and ``fundus``, publication day
  on the 598 dated pages, and title equality with the gold title where there is one. Each
  source is also split in two halves by a hash of the site's domain (``A`` / ``B``): rules
  were tuned looking at half ``A`` only, so ``B`` shows how they generalise.
- ``news-fr/html_dev.tar.gz`` (500 pages of actu.orange.fr with the site's own extraction as
  gold; CC-BY-SA-4.0, OrangeSum, Kamal Eddine et al. 2020): word P/R/F1 (micro-averaged, the
  gold joins paragraphs without separators), title and original publication date.

Extractors, interleaved page by page so that the shared machine's load hits them alike:

- ours: ``searchsvc.ingest.html.clean_html`` on the decoded page (text and metadata: its
  time includes the date, htmldate included where our rules call it),
- trafilatura 2.3.1: ``trafilatura.extract`` with the settings of its own evaluation
  (``include_comments=False, include_tables=True``), timed; its metadata (title, site name,
  date) untimed,
- htmldate: ``find_date(page, original_date=True)``, timed separately.

    .venv/bin/python bench/extract_quality.py [--limit N] [--source S] [--no-dev] [--no-diverse]
        [--per-page FILE] [--show-worst K] [--text N] [--no-bs4]

``--text N`` also times the plain-text path (N news-fr articles written as .txt files).
The machine is shared: compare the rates of one run, not across runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tarfile
import time
import warnings
import zlib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _datasets() -> Path:
    """``shared/datasets`` in the nearest ancestor of the repository that has one."""
    for anc in HERE.parents:
        cand = anc / "shared" / "datasets"
        if cand.is_dir():
            return cand
    return HERE.parent.parent / "shared" / "datasets"


DATASETS = _datasets()
DATASET = DATASETS / "news-fr" / "html_dev.tar.gz"
NEWS = DATASET.with_name("news_fr.jsonl.gz")
DIVERSE = DATASETS / "html-diverse"

_WORD = re.compile(r"\w+")


def words(text: str) -> Counter:
    return Counter(_WORD.findall((text or "").lower()))


def _norm_title(t) -> str:
    return " ".join(_WORD.findall((t or "").lower()))


# ---- extractors ------------------------------------------------------------------------

def _ours():
    from searchsvc.ingest import decode_html
    from searchsvc.ingest.html import clean_html

    def run(raw: bytes) -> dict:
        cleaned, meta = clean_html(decode_html(raw))
        return {"text": cleaned.text, "date": meta.get("date"), "title": meta.get("title"),
                "source": meta.get("source")}
    return run


def _trafilatura():
    import trafilatura

    def run(raw: bytes) -> dict:
        return {"text": trafilatura.extract(raw, include_comments=False, include_tables=True) or ""}

    def meta(raw: bytes) -> dict:
        m = trafilatura.extract_metadata(raw)
        return {"date": m.date, "title": m.title, "source": m.sitename} if m else {}
    return run, meta, trafilatura.__version__


def _htmldate():
    import htmldate
    from htmldate import find_date

    def run(raw: bytes) -> dict:
        return {"date": find_date(raw, original_date=True)}
    return run, getattr(htmldate, "__version__", "?")


def _timed(fn, arg, clock: dict, key: str):
    t0 = time.perf_counter()
    try:
        out = fn(arg)
    except Exception as exc:  # a crash counts as an empty extraction, as in score.py
        out = {"text": "", "error": f"{type(exc).__name__}: {exc}"}
    clock[key] = clock.get(key, 0.0) + time.perf_counter() - t0
    return out


# ---- html-diverse ------------------------------------------------------------------------

def _score_module():
    spec = importlib.util.spec_from_file_location("html_diverse_score", DIVERSE / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def half(rec: dict) -> str:
    """``A`` (tuning half) or ``B`` (held-out half), by the page's domain."""
    key = rec.get("domain") or rec["id"]
    return "AB"[zlib.crc32(key.encode("utf-8")) % 2]


def load_diverse(sources=None, limit=None):
    recs = [json.loads(line) for line in (DIVERSE / "gold.jsonl").open(encoding="utf-8") if line.strip()]
    if sources:
        recs = [r for r in recs if r["source"] in sources]
    if limit:
        recs = recs[:limit]
    wanted = {f"pages/{r['id']}.html" for r in recs}
    pages: dict[str, bytes] = {}
    with tarfile.open(DIVERSE / "pages.tar.gz") as tar:
        for m in tar:
            if m.isfile() and m.name in wanted:
                pages[m.name[6:-5]] = tar.extractfile(m).read()
    return [(r, pages[r["id"]]) for r in recs if r["id"] in pages]


def _group_line(name: str, agg: dict, pps: float | None) -> str:
    rate = f"{pps:>8.1f}" if pps else f"{'':>8}"
    if agg.get("gold_type") == "snippets":
        return (f"  {name:<22}{agg['pages']:>5}  keep {agg['with_kept']:.3f}  drop {agg['without_dropped']:.3f}"
                f"  snipF1 {agg['snippet_f1']:.3f}{rate} p/s")
    return (f"  {name:<22}{agg['pages']:>5}  P {agg['precision']:.3f}  R {agg['recall']:.3f}"
            f"  F1 {agg['f1']:.3f}{'':>6}{rate} p/s")


def diverse(args) -> dict:
    sc = _score_module()
    items = load_diverse(args.source, args.limit)
    ours = _ours()
    traf, traf_meta, traf_version = _trafilatura()
    hdate, hd_version = _htmldate()
    print(f"\n== html-diverse: {len(items)} pages; trafilatura {traf_version}, htmldate {hd_version}")
    ours(items[0][1]), traf(items[0][1]), hdate(items[0][1])  # warm-up
    rows = []
    clocks: dict[str, dict] = {}
    for rec, raw in items:
        clock = clocks.setdefault(rec["source"], {})
        o = _timed(ours, raw, clock, "ours")
        t = _timed(traf, raw, clock, "trafilatura")
        h = _timed(hdate, raw, clock, "htmldate")
        tm = traf_meta(raw) if rec.get("date") or rec.get("title") else {}
        score = sc.score_snippets if rec["gold_type"] == "snippets" else sc.score_full
        rows.append({"rec": rec, "ours": o, "traf": t, "hd": h, "tm": tm,
                     "s_ours": score(rec, o.get("text") or ""), "s_traf": score(rec, t.get("text") or "")})
    if args.per_page:
        with open(args.per_page, "w", encoding="utf-8") as f:
            for r in rows:
                rec = r["rec"]
                f.write(json.dumps({"id": rec["id"], "source": rec["source"], "half": half(rec),
                                    "ours": r["s_ours"], "trafilatura": r["s_traf"],
                                    "gold_date": rec.get("date"), "date_ours": r["ours"].get("date"),
                                    "date_htmldate": r["hd"].get("date"), "chars": len(r["ours"].get("text") or ""),
                                    "error": r["ours"].get("error")}, ensure_ascii=False) + "\n")

    report: dict = {"sources": {}}
    print("text (score.py metrics), per source and per half (A: tuning sites, B: held-out sites)")
    for src in dict.fromkeys(r["rec"]["source"] for r in rows):
        mine = [r for r in rows if r["rec"]["source"] == src]
        clock = clocks[src]
        report["sources"][src] = {}
        for who, key, secs in (("ours", "s_ours", clock["ours"]), (f"trafilatura", "s_traf", clock["trafilatura"])):
            agg = sc.aggregate([(r["rec"], r[key]) for r in mine])
            pps = len(mine) / secs
            report["sources"][src][who] = {**agg, "pages_per_s": round(pps, 1)}
            print(_group_line(f"{src} {who}", agg, pps))
            for h in "AB":
                part = [(r["rec"], r[key]) for r in mine if half(r["rec"]) == h]
                if part:
                    agg_h = sc.aggregate(part)
                    report["sources"][src][f"{who} {h}"] = agg_h
                    print(_group_line(f"  half {h}", agg_h, None))
    total = {k: sum(c.get(k, 0.0) for c in clocks.values()) for k in ("ours", "trafilatura", "htmldate")}
    n = len(rows)
    print(f"speed: ours {n / total['ours']:.1f} pages/s (text + metadata), trafilatura "
          f"{n / total['trafilatura']:.1f} pages/s (text), ratio {total['trafilatura'] / total['ours']:.2f}x; "
          f"htmldate alone {n / total['htmldate']:.1f} pages/s")
    errors = [r["rec"]["id"] for r in rows if r["ours"].get("error")]
    if errors:
        print(f"ours crashed on {len(errors)} pages: {', '.join(errors[:5])}")

    dated = [r for r in rows if r["rec"].get("date")]
    if dated:
        print(f"dates on {len(dated)} pages with a gold publication day (accuracy / coverage)")
        for who, get in (("ours", lambda r: r["ours"].get("date")),
                         ("htmldate original_date", lambda r: r["hd"].get("date")),
                         ("trafilatura metadata", lambda r: r["tm"].get("date"))):
            acc = sum(str(get(r) or "")[:10] == r["rec"]["date"] for r in dated) / len(dated)
            cov = sum(bool(get(r)) for r in dated) / len(dated)
            by_half = "  ".join(
                f"{h} {sum(str(get(r) or '')[:10] == r['rec']['date'] for r in part) / len(part):.3f}"
                for h in "AB" if (part := [r for r in dated if half(r["rec"]) == h]))
            report[f"dates {who}"] = {"accuracy": round(acc, 4), "coverage": round(cov, 4)}
            print(f"  {who:<24}{acc:.3f} / {cov:.3f}   ({by_half})")
    titled = [r for r in rows if r["rec"].get("title")]
    if titled:
        print(f"titles on {len(titled)} pages with a gold title (exact after lower-casing and \\w+ tokens)")
        for who, key in (("ours", "ours"), ("trafilatura", "tm")):
            ok = sum(_norm_title(r[key].get("title")) == _norm_title(r["rec"]["title"]) for r in titled)
            cov = sum(bool(r[key].get("source")) for r in titled)
            report[f"titles {who}"] = ok / len(titled)
            print(f"  {who:<24}title {ok / len(titled):.3f}   site name given on {cov / len(titled):.3f}")
        agree = sum(_norm_title(r["ours"].get("source")) == _norm_title(r["tm"].get("source"))
                    for r in titled if r["ours"].get("source") and r["tm"].get("source"))
        both = sum(1 for r in titled if r["ours"].get("source") and r["tm"].get("source"))
        print(f"  site names: ours = trafilatura's on {agree}/{both} pages where both give one")
    return report


# ---- html_dev ----------------------------------------------------------------------------

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


def html_dev(args) -> None:
    from htmldate import find_date

    from searchsvc.ingest.lang import BACKEND

    items = load(args.limit)
    raws = [v["html"] for _, v in items]
    golds = [" ".join(x for x in (v["gold"].get("lead"), v["gold"].get("article")) if x) for _, v in items]
    n = len(items)
    print(f"\n== html_dev: {n} pages from {DATASET.name}; gold = lead + article; language backend: {BACKEND}")
    ours = _ours()
    traf, traf_meta, _ = _trafilatura()
    ours(raws[0]), traf(raws[0])  # warm-up: language profiles, imports
    clock: dict = {}
    out_o, out_t = [], []
    for raw in raws:
        out_o.append(_timed(ours, raw, clock, "ours"))
        out_t.append(_timed(traf, raw, clock, "trafilatura"))
    print(f"{'extractor':<14}{'precision':>10}{'recall':>9}{'F1':>8}{'pages/s':>10}{'ms/page':>9}")
    for name, outs, secs in (("ours", out_o, clock["ours"]), ("trafilatura", out_t, clock["trafilatura"])):
        p, r, f, _ = score([o.get("text") or "" for o in outs], golds)
        print(f"{name:<14}{p:>10.4f}{r:>9.4f}{f:>8.4f}{n / secs:>10.1f}{secs / n * 1000:>9.2f}")
    print(f"speed ratio ours/trafilatura: {clock['trafilatura'] / clock['ours']:.2f}x")
    gold = [v["gold"] for _, v in items]
    metas = [traf_meta(raw) for raw in raws]  # untimed
    t0 = time.perf_counter()
    hd_orig = [find_date(raw, original_date=True) for raw in raws]
    hd_secs = time.perf_counter() - t0
    hd_default = [find_date(raw) for raw in raws]
    for who, titles, dates in (("ours", [o.get("title") for o in out_o], [o.get("date") for o in out_o]),
                               ("trafilatura", [m.get("title") for m in metas], [m.get("date") for m in metas]),
                               ("htmldate original_date", None, hd_orig),
                               ("htmldate default", None, hd_default)):
        d_ok = sum(str(d or "")[:10] == g.get("date") for d, g in zip(dates, gold))
        t_ok = (f"title = gold on {sum((t or '').strip() == (g.get('title') or '').strip() for t, g in zip(titles, gold))}/{n}, "
                if titles else "")
        print(f"metadata ({who}): {t_ok}date = gold publication date on {d_ok}/{n}")
    print(f"htmldate original_date alone: {n / hd_secs:.1f} pages/s")
    if not args.no_bs4:
        from bs4 import BeautifulSoup
        t0 = time.perf_counter()
        for raw in raws:
            BeautifulSoup(raw, "lxml")
        bs = time.perf_counter() - t0
        print(f"reference: BeautifulSoup(page, 'lxml') parse alone: {n / bs:.1f} pages/s ({bs / n * 1000:.2f} ms/page)")
    if args.show_worst:
        _, _, _, per = score([o.get("text") or "" for o in out_o], golds)
        for f, (key, _) in sorted(zip(per, items))[: args.show_worst]:
            print(f"  worst: page {key} F1 {f:.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    ap.add_argument("--source", action="append", help="html-diverse: only this source (repeatable)")
    ap.add_argument("--no-dev", action="store_true", help="skip html_dev")
    ap.add_argument("--no-diverse", action="store_true", help="skip html-diverse")
    ap.add_argument("--per-page", metavar="FILE", help="html-diverse scores of each page as JSONL")
    ap.add_argument("--no-bs4", action="store_true", help="skip the BeautifulSoup parse timing")
    ap.add_argument("--show-worst", type=int, default=0, help="list the K html_dev pages where our F1 is lowest")
    ap.add_argument("--text", type=int, default=0, metavar="N", help="also time extract() on N news-fr .txt articles")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")  # htmldate/dateparser deprecation chatter
    missing = [p for p, skip in ((DIVERSE / "gold.jsonl", args.no_diverse), (DATASET, args.no_dev))
               if not skip and not p.exists()]
    if missing:
        print(f"jeu de données absent : {missing[0]}", file=sys.stderr)
        return 2
    if not args.no_diverse:
        diverse(args)
    if not args.no_dev:
        html_dev(args)
    if args.text:
        text_speed(args.text)
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
