"""The index a corpus gives does not change when indexing gets faster.

Two checks: the reindex workers (their segment writer, ``build._FastSegmentWriter``)
write exactly the postings, block statistics, field lengths and stored fields that
Whoosh's stock writer writes for the same documents; and the whole index of the
demo corpus and the extra fixtures (every term, posting, weight, position and
character offset of every field) has the digest recorded in
``tests/fixtures/index_digest.json``, so that any change of ingestion or analysis
output fails here. An intended change updates the record:

    .venv/bin/python tests/test_index_identity.py --update
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("SEARCHSVC_NER", "0")

from whoosh import index as whoosh_index  # noqa: E402

from searchsvc.backends.whoosh.indexer import article_fields, build_schema, open_index, reindex  # noqa: E402
from searchsvc.ingest import corpus_files, extract, load_manifest  # noqa: E402

HERE = Path(__file__).resolve().parent
RECORD = HERE / "fixtures" / "index_digest.json"
SEED = HERE.parent / "corpus"
EXTRA = HERE / "fixtures" / "corpus_extra"


def dump(ix) -> dict:
    """Every field's terms with their statistics and postings, every document's stored
    fields and field lengths, as JSON-able values in docnum order."""
    out: dict = {"fields": {}, "stored": [], "lengths": []}
    with ix.reader() as r:
        schema = ix.schema
        for name in sorted(schema.names()):
            field = schema[name]
            if not field.indexed:
                continue
            terms = []
            for btext in r.lexicon(name):
                ti = r.term_info(name, btext)
                m = r.postings(name, btext)
                posts = []
                while m.is_active():
                    v = m.value()
                    posts.append([m.id(), m.weight(), v.hex() if isinstance(v, bytes) else v])
                    m.next()
                terms.append([btext.hex(), ti.doc_frequency(), ti.weight(), ti.min_length(),
                              ti.max_length(), ti.max_weight(), posts])
            out["fields"][name] = terms
        for docnum in range(r.doc_count_all()):
            out["stored"].append(sorted((k, str(v)) for k, v in r.stored_fields(docnum).items()
                                        if k not in ("hash", "path")))
            out["lengths"].append([r.doc_field_length(docnum, n) for n in sorted(schema.names())
                                   if schema[n].scorable])
    return out


def digest(data: dict) -> dict:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return {"sha256": hashlib.sha256(blob).hexdigest(), "documents": len(data["stored"]),
            "terms": {name: len(terms) for name, terms in data["fields"].items()},
            "postings": sum(len(t[6]) for terms in data["fields"].values() for t in terms)}


def corpus(dst: Path) -> Path:
    shutil.copytree(SEED, dst)
    for f in sorted(EXTRA.iterdir()):
        shutil.copy2(f, dst / f.name)
    return dst


def reindexed(tmp: Path) -> dict:
    """The dump of the index ``searchsvc reindex`` builds from the fixture corpus."""
    c = corpus(tmp / "corpus")
    reindex(c, tmp / "index", full=True, workers=1)
    _, ix = open_index(tmp / "index")
    return dump(ix)


def test_workers_write_what_whoosh_writes(tmp_path):
    ours = reindexed(tmp_path)
    c = tmp_path / "corpus"
    manifest = load_manifest(c)
    docs = [a for f in corpus_files(c) for a in extract(f, root=c, manifest=manifest)]
    (tmp_path / "stock").mkdir()
    ix = whoosh_index.create_in(str(tmp_path / "stock"), build_schema())
    w = ix.writer()  # Whoosh's own SegmentWriter
    for art in sorted(docs, key=lambda a: a.path):
        w.add_document(**article_fields(art))
    w.commit()
    stock = dump(whoosh_index.open_dir(str(tmp_path / "stock")))
    assert ours["stored"] == stock["stored"]
    for name in ours["fields"]:
        if name != "hash":  # the file's content hash, which the stock build has no file for
            assert ours["fields"][name] == stock["fields"][name], name
    assert ours["lengths"] == stock["lengths"]


def test_index_of_the_fixture_corpus_is_unchanged(tmp_path):
    got = digest(reindexed(tmp_path))
    want = json.loads(RECORD.read_text(encoding="utf-8"))
    assert got == want, ("the index of the fixture corpus changed: if ingestion or analysis "
                         "was changed on purpose, run tests/test_index_identity.py --update")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        RECORD.write_text(json.dumps(digest(reindexed(Path(tmp))), indent=1, sort_keys=True) + "\n",
                          encoding="utf-8")
    print(f"written {RECORD}")
