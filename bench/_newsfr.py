"""Write news-fr articles out as a corpus of ``.txt`` files (shared by the benchmarks).

Data: ``../shared/datasets/news-fr/news_fr.jsonl.gz`` (OrangeSum, actu.orange.fr,
CC-BY-SA-4.0, Kamal Eddine, Tixier, Vazirgiannis, "BARThez", 2020). It is read
from ../shared and never copied into the project.

Each article becomes ``<id>.txt``: the title on the first line, a blank line,
then the lead and the paragraphs separated by blank lines. Source and date go
into ``manifest.jsonl`` (``metadata="manifest"``, the default), into
``<id>.meta.json`` sidecars (``"sidecar"``), or nowhere (``None``).

    from _newsfr import write_corpus          # with bench/ on sys.path
    n = write_corpus(tmp / "corpus", 1000)
    n = write_jsonl(tmp / "corpus" / "news.jsonl", 1000)   # the same, as one .jsonl

    python bench/_newsfr.py DEST [-n N] [--metadata manifest|sidecar|none]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
from pathlib import Path
from typing import Iterator

# ../shared beside the checkout; from a worktree nested one level deeper, ../../shared;
# SEARCHSVC_SHARED names it anywhere else
_HERE = Path(__file__).resolve()
SHARED_DIR = Path(os.environ["SEARCHSVC_SHARED"]) if os.environ.get("SEARCHSVC_SHARED") else next(
    (p / "shared" for p in _HERE.parents[2:4] if (p / "shared" / "datasets" / "news-fr").is_dir()),
    _HERE.parents[2] / "shared")
DATASET_DIR = SHARED_DIR / "datasets" / "news-fr"


def shared_datasets() -> Path:
    """The ``shared/datasets`` folder found above (see ``SHARED_DIR``)."""
    return SHARED_DIR / "datasets"
NEWS = DATASET_DIR / "news_fr.jsonl.gz"
TOTAL = 33_930


def iter_records(n: int | None = None) -> Iterator[dict]:
    """The first ``n`` articles of the dataset (all when None), as dicts."""
    with gzip.open(NEWS, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, n):
            yield json.loads(line)


def body_text(rec: dict) -> str:
    """The lead and paragraphs of one record, separated by blank lines."""
    blocks = [rec.get("lead") or ""] + list(rec.get("paragraphs") or [])
    return "\n\n".join(b.strip() for b in blocks if b and b.strip())


def article_text(rec: dict) -> str:
    """The ``.txt`` form of one record."""
    return (rec.get("title") or "").strip() + "\n\n" + body_text(rec) + "\n"


def cached_index(index_dir, tag: str, articles, rebuild: bool = False) -> bool:
    """Build an index from ``articles()`` (a callable giving Article objects) into
    ``index_dir`` unless one built under the same analysis fingerprint and ``tag``
    is there already; returns True when it was built."""
    import shutil

    from searchsvc.backends.whoosh.indexer import build_index_from_articles, fingerprint

    index_dir = Path(index_dir)
    stamp = index_dir / "FINGERPRINT"
    want = f"{fingerprint()}-{tag}"
    if not rebuild and stamp.exists() and stamp.read_text() == want:
        return False
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    build_index_from_articles(index_dir, articles())
    stamp.write_text(want)
    return True


def write_corpus(dest, n: int | None = None, *, metadata: str | None = "manifest",
                 records=None) -> int:
    """Write ``n`` articles (all when None) into folder ``dest``; returns how many.
    ``records`` (an iterable of dicts like the dataset's) replaces the dataset."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    manifest = []
    count = 0
    for rec in iter_records(n) if records is None else records:
        name = rec["id"]
        (dest / f"{name}.txt").write_text(article_text(rec), encoding="utf-8")
        meta = {"source": rec.get("source"), "date": rec.get("date")}
        if metadata == "manifest":
            manifest.append(json.dumps({"id": name, **meta}, ensure_ascii=False))
        elif metadata == "sidecar":
            (dest / f"{name}.meta.json").write_text(json.dumps(meta, ensure_ascii=False),
                                                    encoding="utf-8")
        count += 1
    if manifest:
        (dest / "manifest.jsonl").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return count


def write_jsonl(dest, n: int | None = None, *, records=None) -> int:
    """Write ``n`` articles (all when None) as one JSON Lines file ``dest`` (the records as
    they are: id, title, lead, paragraphs, source, date...); returns how many.
    ``records`` (an iterable of dicts like the dataset's) replaces the dataset."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(dest, "w", encoding="utf-8") as f:
        for rec in iter_records(n) if records is None else records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            count += 1
    return count


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dest")
    p.add_argument("-n", type=int, default=None, help="number of articles (default: all)")
    p.add_argument("--metadata", choices=["manifest", "sidecar", "none"], default="manifest")
    a = p.parse_args(argv)
    n = write_corpus(a.dest, a.n, metadata=None if a.metadata == "none" else a.metadata)
    print(f"{n} articles written to {a.dest}")


if __name__ == "__main__":
    main()
