"""Index states: stats and columns on multi-segment indexes with deletions."""

from __future__ import annotations

from collections import Counter

import pytest

from searchsvc.backends.whoosh.indexer import index_stats, open_index, reindex
from searchsvc.backends.whoosh.indexer.columns import column_values

ARTICLE = "{title}\n\n{body}\n"


def _write(corpus, name, title, body, source=None, date=None):
    import json

    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(title=title, body=body), encoding="utf-8")
    meta = {k: v for k, v in (("source", source), ("date", date)) if v}
    if meta:
        path.with_name(path.stem + ".meta.json").write_text(json.dumps(meta), encoding="utf-8")


def _stored_counts(index_dir):
    """Sources, languages and dates of the live documents, read from stored fields."""
    _, ix = open_index(index_dir)
    with ix.searcher() as s:
        docs = list(s.all_stored_fields())
    return (Counter(d.get("source") or "unknown" for d in docs),
            Counter(d.get("lang") or "unknown" for d in docs),
            sorted(d["date"] for d in docs if d.get("date")), len(docs))


def test_stats_on_an_index_with_several_segments_and_deletions(tmp_path):
    corpus = tmp_path / "corpus"
    for i in range(6):
        _write(corpus, f"a{i}.txt", f"Le conseil municipal numéro {i}",
               f"Les élus de la commune {i} ont voté le budget de la piscine.",
               source="La Gazette", date=f"2021-0{i + 1}-10")
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    # second run: one added, one updated, one deleted -> a second segment, deletions in the
    # first; no document of the new segment has a date (it has no date column)
    _write(corpus, "b0.txt", "Un tramway inauguré", "Le tramway relie la gare au campus.",
           source="Le Courrier")
    _write(corpus, "a1.txt", "Le conseil municipal change d'avis",
           "Les élus reviennent sur le budget de la piscine.", source="Le Courrier")
    (corpus / "a2.txt").unlink()
    (corpus / "a2.meta.json").unlink()
    reindex(corpus, index, workers=1)
    _, ix = open_index(index)
    assert len(ix._segments()) >= 2
    with ix.reader() as r:
        assert r.doc_count() < r.doc_count_all()  # deleted documents remain in a segment

    st = index_stats(index)  # raised IndexError in whoosh/columns.py before
    sources, langs, dates, n = _stored_counts(index)
    assert st["documents"] == n == 6
    assert st["sources"] == dict(sources) == {"La Gazette": 4, "Le Courrier": 2}
    assert st["languages"] == dict(langs)
    assert (st["date_min"], st["date_max"]) == (dates[0], dates[-1]) == ("2021-01-10", "2021-06-10")
    assert st["undated"] == 2  # b0, and a1 lost its date with its update
    assert st["segments"] == len(ix._segments())


def test_column_values_agree_with_stored_fields_segment_by_segment(tmp_path):
    corpus = tmp_path / "corpus"
    for i in range(4):
        _write(corpus, f"d{i}.txt", f"Titre {i}", f"Texte numéro {i} sur la marée.",
               source=f"Source {i % 2}", date=f"2020-02-0{i + 1}")
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    _write(corpus, "d4.txt", "Titre 4", "Texte numéro 4 sur la marée.")  # no date column
    (corpus / "d0.txt").unlink()
    reindex(corpus, index, workers=1)
    _, ix = open_index(index)
    with ix.reader() as r:
        values = column_values(r, "source_facet")
        dates = column_values(r, "date")
        assert len(values) == r.doc_count_all()
        for docnum in r.all_doc_ids():
            stored = r.stored_fields(docnum)
            assert values[docnum] == stored.get("source", "unknown") != ""
            assert dates[docnum] == stored.get("date", "")


# -- the index shapes of conftest.py ------------------------------------------------


def _layout(index_dir):
    """(segments, deleted documents, {id: stored fields}) of the live generation."""
    _, ix = open_index(index_dir)
    with ix.reader() as r:
        stored = {f["id"]: f for f in r.all_stored_fields()}
        return len(ix._segments()), r.doc_count_all() - r.doc_count(), stored


def _check_shape(shape, segments, deleted):
    if shape == "one-segment":
        assert (segments, deleted) == (1, 0)
    elif shape == "segments-deletions":
        assert segments >= 4 and deleted >= 3
    elif shape in ("incremental-runs", "workers"):
        assert segments >= 2
    else:  # pragma: no cover - a new shape must say what it is
        raise AssertionError(shape)


@pytest.fixture(scope="module")
def reference_index(tmp_path_factory, fixture_corpus):
    index = tmp_path_factory.mktemp("reference") / "index"
    reindex(fixture_corpus, index, full=True, workers=1)
    return index


def test_each_corpus_shape_has_its_layout_and_the_same_documents(built_index, index_shape,
                                                                 reference_index):
    segments, deleted, stored = _layout(built_index)
    _check_shape(index_shape, segments, deleted)
    assert stored == _layout(reference_index)[2]  # same documents, same stored fields
    assert index_stats(built_index) | {"index_dir": None, "corpus": None, "size_bytes": 0,
                                      "total_size_bytes": 0, "segments": 0} == \
        index_stats(reference_index) | {"index_dir": None, "corpus": None, "size_bytes": 0,
                                        "total_size_bytes": 0, "segments": 0}


def test_each_article_shape_has_its_layout_and_the_same_documents(shaped_index, index_shape):
    from searchsvc.article import Article

    arts = [Article(id=f"a{i}", text=f"Paragraphe {i} sur la marée.", title=f"Titre {i}",
                    source=f"Source {i % 3}", date=f"2020-01-{i + 1:02d}", lang="fr")
            for i in range(12)]
    segments, deleted, stored = _layout(shaped_index("states", arts))
    _check_shape(index_shape, segments, deleted)
    assert sorted(stored) == sorted(a.id for a in arts)
    for a in arts:
        assert stored[a.id]["text" if "text" in stored[a.id] else "body"] == a.text
        assert stored[a.id]["source"] == a.source and stored[a.id]["date"] == a.date
