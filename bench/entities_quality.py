"""Precision and recall of entities and quotes on the five seed articles.

Indexes corpus/ (the seed articles, = ../shared/seed-corpus/) with entities on,
then compares what the document page shows with the hand annotation of
tests/fixtures/entities/seed_gold.json (see searchsvc/enrich/gold.py for the
rules). Reference in the same run: spaCy's raw spans alone (no cleaning, no
query-time view), scored the same way. Targets: entities >= 0.90 / 0.90,
quotes >= 0.90 / 0.80.

    .venv/bin/python bench/entities_quality.py [--errors]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLD = ROOT / "tests" / "fixtures" / "entities" / "seed_gold.json"


class _RawEngine:
    """spaCy's spans as they come (label mapped, text stripped): the reference."""

    def __init__(self, corpus: Path):
        from searchsvc.enrich import entities
        from searchsvc.ingest import extract, load_manifest

        self.docs = {}
        man = load_manifest(corpus)
        for p in sorted(corpus.glob("*.txt")):
            for a in extract(p, root=corpus, manifest=man):
                text = entities.ner_text(a)
                ents = {k: [] for k in entities.KINDS}
                for s, e, label in entities.raw_spans(text):
                    kind = entities._LABELS.get(label)
                    if kind and text[s:e].strip() not in ents[kind]:
                        ents[kind].append(text[s:e].strip())
                self.docs[a.id] = {"entities": ents, "quotes": []}

    def document(self, doc_id):
        return self.docs.get(doc_id)


def line(name, prf) -> str:
    return (f"{name:<28} precision {prf['precision']:.3f}  recall {prf['recall']:.3f}  "
            f"({prf['tp']} / {prf['predicted']} predicted, {prf['gold']} annotated)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list every error")
    args = ap.parse_args(argv)
    os.environ["SEARCHSVC_NER"] = "1"
    from searchsvc.enrich import gold
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.backends.whoosh import SearchEngine

    want = gold.load(GOLD)
    with tempfile.TemporaryDirectory() as tmp:
        reindex(ROOT / "corpus", Path(tmp) / "index", workers=1)
        got = gold.score(SearchEngine(Path(tmp) / "index"), want)
    ref = gold.score(_RawEngine(ROOT / "corpus"), want)
    print("seed articles: 5, hand annotation", GOLD.relative_to(ROOT))
    print(line("entities (searchsvc)", got["entities"]), "  target 0.90 / 0.90")
    for k, prf in got["by_kind"].items():
        print(line(f"  {k}", prf))
    print(line("entities (raw spaCy spans)", ref["entities"]))
    print(line("quotes (text + speaker)", got["quotes"]), "  target 0.90 / 0.80")
    if args.errors:
        print("\n".join(got["errors"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
