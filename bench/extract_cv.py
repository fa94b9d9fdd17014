"""Cross-validated choice of the extractor's lead-rule thresholds on html-diverse.

Each setting of a small grid (``searchsvc.ingest.html.LEAD_*``) is run once over the pages;
the sites are then cut in ``--folds`` folds by a hash of their domain (so a site's pages
stay together), and for each fold the setting that scores best on the other folds is
reported on that fold alone. The objective is the mean of must-keep share, must-drop share
and full-text F1 (pooled over scrapinghub and fundus). Prints, per fold, the chosen
setting with its held-out figures beside the shipped setting's, then the held-out figures
pooled over the folds.

    .venv/bin/python bench/extract_cv.py [--folds 5] [--limit N] [--grid small|wide|off]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from extract_quality import _score_module, load_diverse  # noqa: E402

GRIDS = {
    # (LEAD_BUDGET, LEAD_SHARE, LEAD_MIN_CHARS, LEAD_MAX_LINKS, LEAD_NEEDS_TITLE);
    # budget 0 and share 0: the rule off
    "small": [(0, 0.0, 60, 0.3, False), (400, 0.25, 60, 0.3, False), (800, 0.5, 60, 0.3, True)],
    "wide": [(0, 0.0, 60, 0.3, False), (400, 0.25, 60, 0.3, False), (1600, 1.0, 60, 0.3, False),
             (800, 0.5, 30, 0.3, False), (800, 0.5, 120, 0.3, False), (800, 0.5, 60, 0.15, False),
             (800, 0.5, 60, 0.5, False), (800, 0.5, 60, 0.3, True)],
    "off": [(0, 0.0, 60, 0.3, False)],
}
NAMES = ("LEAD_BUDGET", "LEAD_SHARE", "LEAD_MIN_CHARS", "LEAD_MAX_LINKS", "LEAD_NEEDS_TITLE")


def fold(rec: dict, k: int) -> int:
    return zlib.crc32((rec.get("domain") or rec["id"]).encode("utf-8")) % k


def figures(sc, rows) -> dict:
    """must-keep, must-drop, full-text F1 and their mean over (rec, score) rows."""
    snip = [(r, s) for r, s in rows if r["gold_type"] == "snippets"]
    full = [(r, s) for r, s in rows if r["gold_type"] != "snippets"]
    out = {}
    if snip:
        agg = sc.aggregate(snip)
        out["keep"], out["drop"] = agg["with_kept"], agg["without_dropped"]
    if full:
        out["f1"] = sc.aggregate(full)["f1"]
    out["objective"] = sum(out.values()) / len(out)
    for src in ("scrapinghub", "fundus"):
        part = [(r, s) for r, s in full if r["source"] == src]
        if part:
            out[src] = sc.aggregate(part)["f1"]
    return out


def run(setting, items, sc) -> list:
    from searchsvc.ingest import decode_html
    from searchsvc.ingest import html as H

    for name, value in zip(NAMES, setting):
        setattr(H, name, value)
    out = []
    for rec, raw in items:
        try:
            text = H.clean_html(decode_html(raw))[0].text
        except Exception:  # noqa: BLE001  a crash counts as an empty extraction, as in score.py
            text = ""
        score = sc.score_snippets if rec["gold_type"] == "snippets" else sc.score_full
        out.append(score(rec, text))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--grid", choices=sorted(GRIDS), default="small")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from searchsvc.ingest import html as H

    shipped = tuple(getattr(H, n) for n in NAMES)
    sc = _score_module()
    items = load_diverse(None, args.limit)
    recs = [r for r, _ in items]
    grid = list(dict.fromkeys([shipped, *GRIDS[args.grid]]))
    scores = {}
    for setting in grid:
        t0 = time.perf_counter()
        scores[setting] = run(setting, items, sc)
        f = figures(sc, list(zip(recs, scores[setting])))
        print(f"{dict(zip(NAMES, setting))}: keep {f['keep']:.3f} drop {f['drop']:.3f} F1 {f['f1']:.3f} "
              f"(scrapinghub {f.get('scrapinghub', 0):.3f}, fundus {f.get('fundus', 0):.3f}) "
              f"objective {f['objective']:.4f}  ({time.perf_counter() - t0:.0f} s)", flush=True)
    k = args.folds
    held_chosen, held_shipped = [], []
    print(f"\n{k} folds by site; per fold: setting chosen on the other folds -> its figures on the fold "
          f"(shipped setting's figures on the same fold)")
    for i in range(k):
        train = [j for j, r in enumerate(recs) if fold(r, k) != i]
        test = [j for j, r in enumerate(recs) if fold(r, k) == i]
        best = max(grid, key=lambda s: figures(sc, [(recs[j], scores[s][j]) for j in train])["objective"])
        held_chosen += [(recs[j], scores[best][j]) for j in test]
        held_shipped += [(recs[j], scores[shipped][j]) for j in test]
        fc = figures(sc, [(recs[j], scores[best][j]) for j in test])
        fs = figures(sc, [(recs[j], scores[shipped][j]) for j in test])
        print(f"  fold {i} ({len(test)} pages): chosen {best}: keep {fc['keep']:.3f} drop {fc['drop']:.3f} "
              f"F1 {fc['f1']:.3f}  (shipped keep {fs['keep']:.3f} drop {fs['drop']:.3f} F1 {fs['f1']:.3f})")
    fc, fs = figures(sc, held_chosen), figures(sc, held_shipped)
    print(f"held-out, pooled over folds: chosen-on-other-folds keep {fc['keep']:.3f} drop {fc['drop']:.3f} "
          f"F1 {fc['f1']:.3f}; shipped keep {fs['keep']:.3f} drop {fs['drop']:.3f} F1 {fs['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
