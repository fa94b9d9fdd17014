"""Who said what on real news: the who-dev development set scored as the product shows it.

Writes the articles of each annotated set (default ``../shared/datasets/who-dev``: its
``ids.txt`` are lines of ``news-fr``) as ``.txt`` files, one corpus folder per set
(bench/_newsfr.py; nothing is copied into the project), runs ``reindex`` with entities and
quotes on, reads every article back through :meth:`SearchEngine.document` (the entities and
quotes the page, the API and the CLI show), writes the predictions and runs the set's own
``score.py``. Prints the issue-23 table beside the figures measured at main 4e3e400 and the
targets, then the same figures per set folder (``--set`` may be given several times).

    .venv/bin/python bench/who_quality.py [--set DIR]... [--errors errors.json] [--model sm|md]
                                          [--parser sm|md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _newsfr import iter_records, shared_datasets, write_corpus  # noqa: E402

DEV = shared_datasets() / "who-dev"

#: (label, getter, figure at main 4e3e400 on who-dev, target, higher is better)
ROWS = [
    ("quotes recall", lambda s: s["quotes"]["recall"], 0.674, 0.95, True),
    ("quotes precision", lambda s: s["quotes"]["precision"], 0.754, 0.97, True),
    ("speaker right (accuracy)", lambda s: s["quotes"]["speaker_accuracy"], 0.242, 0.80, True),
    ("speaker precision (right / given)", lambda s: _speaker_precision(s), None, 0.95, True),
    ("no speaker given", lambda s: s["quotes"]["missing_speaker_share"], 0.362, None, False),
    ("wrong speaker given", lambda s: s["quotes"]["wrong_speaker_share"], 0.396, None, False),
    ("unnamed people given a name", lambda s: _named_for_anonymous(s), None, 0, False),
    ("entities F1 persons", lambda s: s["entities"]["persons"]["f1"], 0.860, 0.85, True),
    ("entities F1 organisations", lambda s: s["entities"]["orgs"]["f1"], 0.637, 0.80, True),
    ("entities F1 places", lambda s: s["entities"]["places"]["f1"], 0.772, 0.85, True),
    ("entities F1 all (kind checked)", lambda s: s["entities"]["all"]["f1"], None, None, True),
    ("organisations recall", lambda s: s["entities"]["orgs"]["recall"], None, None, True),
]


def _speaker_precision(s: dict):
    q = s["quotes"]
    n = q["matched_with_gold_speaker"]
    if not n:
        return None
    right = q["speaker_accuracy"] * n
    given = n - q["missing_speaker_share"] * n
    return round(right / given, 3) if given else None


def _named_for_anonymous(s: dict) -> str:
    q = s["quotes"]
    return f"{q['null_gold_speaker_named_by_prediction']} of {q['matched_with_null_gold_speaker']}"


def write_set(set_dir: Path, dest: Path) -> list[str]:
    """The set's articles as a corpus folder; returns their ids."""
    ids = [x.strip() for x in (set_dir / "ids.txt").read_text(encoding="utf-8").split() if x.strip()]
    want = set(ids)
    write_corpus(dest, records=(r for r in iter_records() if r["id"] in want))
    return ids


def predictions(engine, folder: str, ids: list[str]) -> list[dict]:
    """One scorer line per article, from what the engine shows for it."""
    out = []
    for i in ids:
        doc = engine.document(f"{folder}/{i}") or {}
        ents = doc.get("entities") or {}
        out.append({"id": i, "persons": ents.get("person", []), "orgs": ents.get("org", []),
                    "places": ents.get("place", []),
                    "quotes": [{"text": q["text"], "speaker": q.get("speaker")}
                               for q in doc.get("quotes") or []]})
    return out


def score(set_dir: Path, preds: list[dict], tmp: Path, errors: str | None) -> dict:
    pfile = tmp / f"pred-{set_dir.name}.jsonl"
    pfile.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds), encoding="utf-8")
    cmd = [sys.executable, str(set_dir / "score.py"), str(set_dir / "gold.jsonl"), str(pfile)]
    if errors:
        cmd += ["--errors", errors]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def fmt(x) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def table(s: dict, title: str) -> None:
    print(f"\n{title}")
    print(f"{'measure':<36} {'4e3e400':>8} {'now':>10} {'target':>8}")
    for label, get, before, target, higher in ROWS:
        got = get(s)
        mark = ""
        if target is not None and isinstance(got, float):
            mark = "  ok" if (got >= target if higher else got <= target) else "  MISSED"
        elif target == 0 and isinstance(got, str):
            mark = "  ok" if got.startswith("0 ") else "  MISSED"
        tgt = "-" if target is None else (f">= {target}" if higher else f"<= {target}")
        print(f"{label:<36} {fmt(before):>8} {fmt(got):>10} {tgt:>8}{mark}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", type=Path, help=f"annotated set folder (default {DEV})")
    ap.add_argument("--errors", help="write the scorer's errors (JSON) to this file (first set)")
    ap.add_argument("--model", choices=["sm", "md"], help="spaCy model of NER (default: the product's)")
    ap.add_argument("--parser", choices=["sm", "md"], help="spaCy model of the parser (default: the product's)")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    sets = args.set or [DEV]
    os.environ["SEARCHSVC_NER"] = "1"
    if args.model:
        os.environ["SEARCHSVC_NER_MODEL"] = f"fr_core_news_{args.model}"
    if args.parser:
        os.environ["SEARCHSVC_PARSER_MODEL"] = f"fr_core_news_{args.parser}"
    from searchsvc.enrich import entities, speakers
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.backends.whoosh import SearchEngine

    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        corpus = tmp / "corpus"
        ids = {s: write_set(s, corpus / s.name) for s in sets}
        t0, c0 = time.perf_counter(), time.process_time()
        reindex(corpus, tmp / "index", full=True, workers=args.workers)
        wall = time.perf_counter() - t0
        engine = SearchEngine(tmp / "index")
        try:
            scores = {s: score(s, predictions(engine, s.name, ids[s]), tmp,
                               args.errors if i == 0 else None) for i, s in enumerate(sets)}
        finally:
            engine.close()
    n = sum(len(v) for v in ids.values())
    print(f"who said what: {n} articles, NER {entities.model_name()}, parser {speakers.parser_name()}, "
          f"reindex {wall:.1f} s wall ({n / wall:.1f} articles/s, shared machine)")
    if len(sets) == 1:
        table(scores[sets[0]], f"{sets[0].name} ({len(ids[sets[0]])} articles)")
    else:
        for s in sets:
            table(scores[s], f"folder {s.name} ({len(ids[s])} articles)")
    for s in sets:
        q = scores[s]["quotes"]
        print(f"\n{s.name}: quotes {q['found']}/{q['gold']} found, {q['predicted_correct']}/{q['predicted']} "
              f"real; speakers judged on {q['matched_with_gold_speaker']} quotes; "
              + ", ".join(f"{k} P {v['precision']} R {v['recall']}"
                          for k, v in scores[s]["entities"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
