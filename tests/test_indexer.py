"""The index writer: schema, unknown buckets, incremental reindex, skips, stats, generations."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from whoosh.query import Term

from searchsvc.article import Article
from searchsvc.backends.whoosh.indexer import (NoIndexError, ReindexError, build_index_from_articles,
                               build_schema, current_generation, index_stats, open_index,
                               reindex)
from searchsvc.ingest import corpus_files

ARTICLE = "{title}\n\n{body}\n"


def write(corpus: Path, name: str, title: str, body: str, meta: dict | None = None) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(title=title, body=body), encoding="utf-8")
    if meta is not None:
        path.with_name(path.stem + ".meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def ids_for(index_dir, field, text) -> set[str]:
    _, ix = open_index(index_dir)
    with ix.searcher() as s:
        return {s.stored_fields(d)["id"] for d in s.document_numbers(**{field: text})}


def all_ids(index_dir) -> list[str]:
    _, ix = open_index(index_dir)
    with ix.searcher() as s:
        return sorted(f["id"] for f in s.all_stored_fields())


def body_hits(index_dir, word) -> set[str]:
    _, ix = open_index(index_dir)
    analyzer = ix.schema["body"].analyzer
    terms = [t.text for t in analyzer(word)]
    assert terms, word
    with ix.searcher() as s:
        return {s.stored_fields(d)["id"] for d in s.docs_for_query(Term("body", terms[0]))}


@pytest.fixture
def corpus(tmp_path) -> Path:
    c = tmp_path / "corpus"
    write(c, "alpha.txt", "Les vendanges commencent en Bourgogne",
          "Les viticulteurs de la côte de Beaune ont commencé les vendanges sous le soleil.",
          {"source": "La Gazette du Vin", "date": "2022-09-05"})
    write(c, "beta.txt", "Un nouveau tramway pour la métropole",
          "La métropole a inauguré une ligne de tramway qui relie la gare au campus universitaire.",
          {"source": "Le Courrier Urbain", "date": "2021-03-17"})
    write(c, "sub/gamma.txt", "Les apiculteurs inquiets pour leurs ruches",
          "Les apiculteurs observent une mortalité élevée des abeilles après un hiver humide.")
    return c


def test_schema_matches_the_architecture():
    schema = build_schema()
    assert set(schema.names()) == {"id", "title", "body", "source", "source_facet", "date",
                                   "year", "month", "lang", "url", "path", "hash", "spell", "forms",
                                   "entities", "quotes", "person", "org", "place", "author", "author_facet",
                                   "title_written", "body_written", "source_written"}
    assert schema["id"].unique and schema["id"].stored
    for name in ("title_written", "body_written"):  # exact mode: unstemmed, phrases
        assert not schema[name].stored and schema[name].format.supports("positions")
    assert schema["title"].stored and schema["title"].format.field_boost == 2.0
    assert schema["body"].stored and schema["body"].format.supports("positions")
    assert not schema["spell"].stored and not schema["spell"].format.supports("positions")
    assert not schema["forms"].stored and type(schema["forms"].format).__name__ == "Existence"
    for name in ("source_facet", "date", "year", "month", "lang"):
        assert schema[name].column_type is not None, name
    assert not any(schema[n].vector for n in schema.names())


def test_full_build_indexes_every_file_with_facets(tmp_path, corpus):
    index = tmp_path / "index"
    report = reindex(corpus, index, workers=1)
    assert report.full and report.reason == "aucun index existant"
    assert (report.added, report.documents, report.total_documents) == (3, 3, 3)
    assert current_generation(index) == report.generation == "gen-1"
    assert all_ids(index) == ["alpha", "beta", "sub/gamma"]
    assert ids_for(index, "source_facet", "La Gazette du Vin") == {"alpha"}
    assert ids_for(index, "year", "2021") == {"beta"}
    assert ids_for(index, "month", "2022-09") == {"alpha"}
    assert body_hits(index, "tramway") == {"beta"}
    _, ix = open_index(index)
    with ix.searcher() as s:
        stored = s.document(id="alpha")
    assert stored["date"] == "2022-09-05" and stored["source"] == "La Gazette du Vin"
    assert stored["path"] == "alpha.txt" and len(stored["hash"]) == 32


def test_documents_without_metadata_land_in_unknown_buckets(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    unknown = "sub/gamma"
    assert ids_for(index, "source_facet", "unknown") == {unknown}
    assert ids_for(index, "year", "unknown") == {unknown}
    assert ids_for(index, "month", "unknown") == {unknown}
    assert body_hits(index, "apiculteurs") == {unknown}  # still searchable
    _, ix = open_index(index)
    with ix.searcher() as s:
        stored = s.document(id=unknown)
    assert "date" not in stored and "source" not in stored
    st = index_stats(index)
    assert st["sources"]["unknown"] == 1 and st["undated"] == 1


def test_unchanged_second_run_does_nothing(tmp_path, corpus):
    index = tmp_path / "index"
    first = reindex(corpus, index, workers=1)
    toc_before = sorted(os.listdir(index / first.generation))
    second = reindex(corpus, index, workers=1)
    assert not second.changed and not second.full
    assert (second.added, second.updated, second.deleted, second.unchanged) == (0, 0, 0, 3)
    assert second.documents == 0 and second.total_documents == 3
    assert second.generation == first.generation
    assert sorted(os.listdir(index / first.generation)) == toc_before  # no new Whoosh commit


def test_touched_file_with_same_content_is_not_reindexed(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    p = corpus / "alpha.txt"
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    report = reindex(corpus, index, workers=1)
    assert not report.changed and report.unchanged == 3


def test_incremental_add_update_delete(tmp_path, corpus):
    index = tmp_path / "index"
    gen = reindex(corpus, index, workers=1).generation
    write(corpus, "delta.txt", "Une régate sur le lac", "Les voiliers ont affronté un vent violent sur le lac.")
    write(corpus, "beta.txt", "Le tramway reporté", "Finalement la ligne de funiculaire remplace le projet.",
          {"source": "Le Courrier Urbain", "date": "2021-04-01"})
    (corpus / "sub" / "gamma.txt").unlink()
    report = reindex(corpus, index, workers=1)
    assert not report.full and report.generation == gen
    assert (report.added, report.updated, report.deleted, report.unchanged) == (1, 1, 1, 1)
    assert report.documents == 2 and report.total_documents == 3
    assert all_ids(index) == ["alpha", "beta", "delta"]
    assert body_hits(index, "funiculaire") == {"beta"}
    assert body_hits(index, "tramway") == set()  # the old version is gone
    assert body_hits(index, "apiculteurs") == set()
    assert ids_for(index, "month", "2021-04") == {"beta"}
    assert ids_for(index, "month", "2021-03") == set()
    # and the next run is a no-op again
    assert not reindex(corpus, index, workers=1).changed


def test_sidecar_change_alone_updates_the_document(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    (corpus / "alpha.meta.json").write_text(
        json.dumps({"source": "Le Journal des Caves", "date": "2022-09-05"}), encoding="utf-8")
    report = reindex(corpus, index, workers=1)
    assert report.updated == 1 and report.added == 0
    assert ids_for(index, "source_facet", "Le Journal des Caves") == {"alpha"}
    assert ids_for(index, "source_facet", "La Gazette du Vin") == set()


def test_unchanged_manifest_is_not_parsed_and_a_changed_entry_updates_its_file(
        tmp_path, corpus, monkeypatch):
    """An unchanged run trusts the manifest digest recorded in the state (no parsing, no
    per-entry digests); a changed entry, a new sidecar and a broken manifest still count."""
    import searchsvc.pipeline as pipeline

    (corpus / "manifest.jsonl").write_text(
        json.dumps({"id": "beta", "title": "Le tramway"}) + "\n"
        + json.dumps({"id": "sub/gamma", "source": "Le Manifeste"}) + "\n", encoding="utf-8")
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    assert ids_for(index, "source_facet", "Le Manifeste") == {"sub/gamma"}
    loads = []
    real = pipeline.load_manifest
    monkeypatch.setattr(pipeline, "load_manifest", lambda root: loads.append(root) or real(root))
    again = reindex(corpus, index, workers=1)
    assert not again.changed and again.unchanged == 3 and loads == []
    # a changed entry: only that file is redone
    (corpus / "manifest.jsonl").write_text(
        json.dumps({"id": "beta", "title": "Le tramway"}) + "\n"
        + json.dumps({"id": "sub/gamma", "source": "Le Manifeste corrigé"}) + "\n", encoding="utf-8")
    report = reindex(corpus, index, workers=1)
    assert (report.updated, report.unchanged) == (1, 2) and len(loads) == 1
    assert ids_for(index, "source_facet", "Le Manifeste corrigé") == {"sub/gamma"}
    # a sidecar appearing beside a file that had none
    (corpus / "sub" / "gamma.meta.json").write_text(json.dumps({"source": "La Ruche"}),
                                                     encoding="utf-8")
    report = reindex(corpus, index, workers=1)
    assert report.updated == 1 and ids_for(index, "source_facet", "La Ruche") == {"sub/gamma"}
    assert not reindex(corpus, index, workers=1).changed
    # a manifest that cannot be read is reported by every run, unchanged or not
    (corpus / "manifest.jsonl").write_text("{pas du json\n", encoding="utf-8")
    for _ in range(2):
        report = reindex(corpus, index, workers=1)
        assert "manifest.jsonl" in dict(report.skipped)


def test_skipped_files_are_reported_and_the_rest_indexed(tmp_path, corpus):
    (corpus / "vide.txt").write_bytes(b"")
    (corpus / "binaire.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "lien_casse.txt").symlink_to(corpus / "nulle_part.txt")
    index = tmp_path / "index"
    report = reindex(corpus, index, workers=1)
    skipped = dict(report.skipped)
    assert set(skipped) == {"vide.txt", "binaire.txt", "lien_casse.txt"}
    assert all(reason.strip() for reason in skipped.values())
    assert report.added == 3 and all_ids(index) == ["alpha", "beta", "sub/gamma"]
    # a file that becomes readable is picked up by the next incremental run
    write(corpus, "vide.txt", "Le marché de Noël ouvre", "Les chalets du marché de Noël ouvrent ce week-end.")
    again = reindex(corpus, index, workers=1)
    assert again.added == 1 and "vide" in all_ids(index)
    assert {p for p, _ in again.skipped} == {"binaire.txt", "lien_casse.txt"}


def test_file_that_turns_bad_loses_its_old_documents(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    (corpus / "beta.txt").write_bytes(b"")
    report = reindex(corpus, index, workers=1)
    assert dict(report.skipped).keys() == {"beta.txt"}
    assert all_ids(index) == ["alpha", "sub/gamma"]  # same as a full rebuild would give
    full = reindex(corpus, tmp_path / "other", full=True, workers=1)
    assert all_ids(tmp_path / "other") == all_ids(index) and full.skipped == report.skipped


def test_duplicate_ids_keep_the_first_file(tmp_path, corpus):
    (corpus / "alpha.json").write_text(json.dumps(
        {"title": "Doublon", "text": "Un texte en double sur les vendanges tardives du Jura."}),
        encoding="utf-8")
    index = tmp_path / "index"
    report = reindex(corpus, index, workers=1)
    assert all_ids(index) == ["alpha", "beta", "sub/gamma"]
    assert len(report.skipped) == 1 and report.skipped[0][0] in {"alpha.json", "alpha.txt"}
    assert "alpha" in report.skipped[0][1]


def test_full_reindex_switches_generation_and_keeps_the_previous_one(tmp_path, corpus):
    index = tmp_path / "index"
    assert reindex(corpus, index, workers=1).generation == "gen-1"
    _, old_ix = open_index(index)
    old_searcher = old_ix.searcher()
    r2 = reindex(corpus, index, full=True, workers=1)
    assert r2.full and r2.generation == "gen-2" and current_generation(index) == "gen-2"
    assert r2.reason and r2.removed_generations == []
    assert (index / "gen-1").is_dir()  # kept for readers that just opened it
    r3 = reindex(corpus, index, full=True, workers=1)
    assert r3.generation == "gen-3" and r3.removed_generations == ["gen-1"]
    assert sorted(p.name for p in index.glob("gen-*")) == ["gen-2", "gen-3"]
    # a reader still holding the deleted generation keeps working
    assert old_searcher.doc_count() == 3
    assert len(list(old_searcher.document_numbers(year="2021"))) == 1
    assert old_searcher.stored_fields(0)["id"]
    old_searcher.close()


def test_open_index_without_index_raises_a_french_error(tmp_path):
    with pytest.raises(NoIndexError, match="Aucun index"):
        open_index(tmp_path / "absent")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "CURRENT").write_text("gen-7\n")
    with pytest.raises(NoIndexError, match="searchsvc reindex"):
        open_index(tmp_path / "bad")
    with pytest.raises(NoIndexError):
        index_stats(tmp_path / "absent")


def test_missing_corpus_is_an_error(tmp_path):
    with pytest.raises(ReindexError, match="introuvable"):
        reindex(tmp_path / "nope", tmp_path / "index")


def test_all_files_skipped_keeps_the_previous_generation(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "vide.txt").write_bytes(b"")
    with pytest.raises(ReindexError, match="gen-1"):
        reindex(bad, index, full=True, workers=1)
    assert current_generation(index) == "gen-1" and all_ids(index) == ["alpha", "beta", "sub/gamma"]
    assert sorted(p.name for p in index.glob("gen-*")) == ["gen-1"]


def test_missing_state_means_full_rebuild(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    (index / "gen-1" / "state.json").unlink()
    report = reindex(corpus, index, workers=1)
    assert report.full and report.generation == "gen-2" and "état" in report.reason


def test_changed_analysis_data_means_full_rebuild(tmp_path, corpus, monkeypatch):
    """A new stop or protected list changes the terms: the next run rebuilds in full."""
    from searchsvc import analysis

    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    assert not reindex(corpus, index, workers=1).full
    real = analysis.fingerprint()
    monkeypatch.setattr(analysis, "fingerprint", lambda: real + "-new-stop-list")
    report = reindex(corpus, index, workers=1)
    assert report.full and report.generation == "gen-2" and "analyse" in report.reason


def test_build_index_from_articles(tmp_path):
    arts = [Article(id="a1", text="Le port de Marseille accueille un paquebot géant.",
                    title="Paquebot", source="Le Phare", date="2020-02-29", lang="fr"),
            Article(id="a2", text="Une tempête frappe la Bretagne.")]
    gen = build_index_from_articles(tmp_path / "ix", arts)
    assert gen == "gen-1" and current_generation(tmp_path / "ix") == gen
    assert all_ids(tmp_path / "ix") == ["a1", "a2"]
    assert ids_for(tmp_path / "ix", "lang", "unknown") == {"a2"}
    assert ids_for(tmp_path / "ix", "month", "2020-02") == {"a1"}


def test_stats_describe_the_fixture_index(built_index, fixture_corpus):
    st = index_stats(built_index)
    n_files = len(corpus_files(fixture_corpus))
    assert st["documents"] == n_files == st["files"]
    assert st["generation"] == current_generation(built_index)
    assert sum(st["sources"].values()) == n_files
    assert st["sources"]["Courrier des Alpes"] == 1 and "unknown" in st["sources"]
    assert st["languages"]["en"] == 1 and sum(st["languages"].values()) == n_files
    assert st["date_min"] == "2019-06-14"
    assert st["size_bytes"] > 0 and st["total_size_bytes"] >= st["size_bytes"]


def test_fixture_index_finds_the_rare_word_of_the_long_article(built_index):
    _, ix = open_index(built_index)
    with ix.searcher() as s:
        doc = s.document(id="chronique_longue")
    assert len(doc["body"]) > 40_000
    assert body_hits(built_index, "zinzolin") == {"chronique_longue"}


def test_fixture_index_stores_markup_as_plain_text(built_index):
    _, ix = open_index(built_index)
    with ix.searcher() as s:
        doc = s.document(id="script_injection")
    assert "<script>alert(1)</script>" in doc["body"] and "<script>" in doc["title"]


def _vocab(text: str) -> set[str]:
    analyzer = build_schema()["spell"].analyzer
    return {t.text for t in analyzer(text)}


def test_spell_text_keeps_the_vocabulary_of_the_full_text(fixture_corpus):
    from searchsvc.backends.whoosh.indexer.schema import spell_text
    from searchsvc.ingest import extract

    tricky = ("Entre 100 000 et 200 000 euros, 3 500 soldats ; l'Ukraine, l’Ukraine, "
              "aujourd'hui, Kim Jong-un et Kim Jong Un, nord-coréen, Vostok-2022, 1 000 000 "
              "et 12\u00a0000 ou 7\u202f500. Et encore 100 000 et 100 000.")
    texts = [tricky]
    for path in corpus_files(fixture_corpus):
        art = extract(path, root=fixture_corpus)[0]
        texts.append(f"{art.title}\n{art.text}")
    for text in texts:
        short = spell_text(text)
        assert len(short) <= len(text)
        assert _vocab(short) == _vocab(text)


def test_spell_text_property():
    from hypothesis import given, settings, strategies as st

    from searchsvc.backends.whoosh.indexer.schema import spell_text

    alphabet = st.sampled_from(list("aeéèlnrstuœç0123456789 '’-\n\u00a0\u202f.,") + ["Corée ", "l'", "100 "])
    @settings(max_examples=150, deadline=None)
    @given(st.lists(alphabet, max_size=60).map("".join))
    def check(text):
        assert _vocab(spell_text(text)) == _vocab(text)

    # found by hypothesis: two kinds of separator in one run of digits
    assert _vocab(spell_text("100 000\u00a0100 ")) == _vocab("100 000\u00a0100 ") == {"100000", "100"}
    check()


def _articles(n):
    for i in range(n):
        yield Article(id=f"p{i:04d}", text=f"Paragraphe numéro {i} sur la pêche côtière en Bretagne.",
                      source=f"Source {i % 3}", date=f"20{10 + i % 10}-0{1 + i % 9}-15", lang="fr")


def test_build_index_from_articles_in_parallel_from_a_generator(tmp_path):
    gen = build_index_from_articles(tmp_path / "ix", _articles(400), workers=2)
    _, ix = open_index(tmp_path / "ix")
    assert ix.doc_count() == 400 and 1 <= len(ix._segments()) <= 2
    assert all_ids(tmp_path / "ix") == [f"p{i:04d}" for i in range(400)]
    assert ids_for(tmp_path / "ix", "year", "2013") == {f"p{i:04d}" for i in range(3, 400, 10)}
    assert gen == current_generation(tmp_path / "ix")


def test_failing_article_source_leaves_the_live_generation(tmp_path):
    build_index_from_articles(tmp_path / "ix", _articles(5))

    def broken():
        yield from _articles(350)
        raise ValueError("source cassée")

    with pytest.raises(ValueError, match="source cassée"):
        build_index_from_articles(tmp_path / "ix", broken(), workers=2)
    assert current_generation(tmp_path / "ix") == "gen-1"
    assert sorted(p.name for p in (tmp_path / "ix").glob("gen-*")) == ["gen-1"]
    assert len(all_ids(tmp_path / "ix")) == 5


def test_workers_roll_segments_instead_of_spilling(tmp_path):
    corpus = tmp_path / "corpus"
    for i in range(12):
        write(corpus, f"n{i:02d}.txt", f"Dépêche {i} sur la météo",
              " ".join(f"mot{i}x{j} orage pluie vent" for j in range(150)))
    report = reindex(corpus, tmp_path / "index", workers=1, limitmb=0.05)
    _, ix = open_index(tmp_path / "index")
    assert report.added == 12 and ix.doc_count() == 12
    assert len(ix._segments()) > 3  # one segment per ~50 KB of postings
    assert body_hits(tmp_path / "index", "orage") == {f"n{i:02d}" for i in range(12)}
    assert body_hits(tmp_path / "index", "mot7x149") == {"n07"}


def test_repeated_incremental_runs_keep_few_segments(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    for k in range(6):
        write(corpus, f"inc{k}.txt", f"Brève {k}", f"Une brève numéro {k} sur le trafic ferroviaire.")
        write(corpus, "alpha.txt", f"Vendanges, version {k}", f"Les vendanges, épisode {k}.")
        assert reindex(corpus, index, workers=1).changed
    _, ix = open_index(index)
    assert len(ix._segments()) <= 2
    assert ix.doc_count() == 3 + 6
    assert all_ids(index) == sorted(["alpha", "beta", "sub/gamma"] + [f"inc{k}" for k in range(6)])
    assert body_hits(index, "épisode") == {"alpha"} and len(body_hits(index, "ferroviaire")) == 6


def test_unreadable_live_index_is_rebuilt(tmp_path, corpus):
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    for toc in (index / "gen-1").glob("_MAIN_*.toc"):
        toc.unlink()
    report = reindex(corpus, index, workers=1)
    assert report.full and "illisible" in report.reason and report.generation == "gen-2"
    assert all_ids(index) == ["alpha", "beta", "sub/gamma"]


def test_reindex_counts_the_documents_without_opening_the_segments(tmp_path, corpus, monkeypatch):
    """After the workers, the reindex counts the generation's documents from its TOC:
    opening a reader makes Whoosh copy every compound segment into memory (about twice
    the index size in the reindex process: 6.4 GB at 10x news-fr). Deletions counted."""
    from whoosh import reading

    opened_late = []
    late = [False]
    original = reading.SegmentReader.__init__

    def spy(self, *args, **kwargs):
        if late[0]:
            opened_late.append(args)
        original(self, *args, **kwargs)

    def log(message):
        if message.startswith("regroupement des copies"):
            late[0] = True

    monkeypatch.setattr(reading.SegmentReader, "__init__", spy)
    index = tmp_path / "index"
    full = reindex(corpus, index, full=True, workers=1, log=log)
    assert full.total_documents == 3 and opened_late == []
    late[0] = False
    (corpus / "sub" / "gamma.txt").unlink()  # a deletion in the live generation
    report = reindex(corpus, index, workers=1, log=log)
    assert report.deleted == 1 and report.total_documents == 2 and opened_late == []
    ix = open_index(index)[1]
    assert ix.doc_count() == report.total_documents
