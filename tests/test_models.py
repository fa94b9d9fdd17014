"""How the models run at index time: only the pipes needed, one BLAS thread, what NER
reads (enrich/nerinput.py), batches over a worker's chunk giving what one-by-one gives,
cache keys that change with the pipeline (real spaCy models, real seed articles)."""

from __future__ import annotations

import os

import pytest

from searchsvc.enrich import entities as ent
from searchsvc.enrich import models, nerinput, speakers
from search_stores import corpus_articles


@pytest.fixture(scope="module")
def seeds(seed_corpus):
    return corpus_articles(seed_corpus)


@pytest.fixture
def ner_on(monkeypatch):
    monkeypatch.setenv("SEARCHSVC_NER", "1")


def test_the_loaded_pipelines_hold_only_the_pipes_they_need():
    """Excluded at load, not disabled: the other components are not in memory at all."""
    nlp, parser = ent.nlp(), speakers.parser()
    assert nlp.pipe_names == ["ner"] and nlp.component_names == ["ner"] and not nlp.disabled
    assert parser.pipe_names == ["tok2vec", "parser"] and parser.component_names == ["tok2vec", "parser"]
    assert not parser.disabled


def test_matrix_products_run_on_one_openblas_thread(monkeypatch):
    assert models.single_blas_thread() is True
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"  # inherited by the worker processes
    for nlp in (ent.nlp(), speakers.parser()):
        for _, pipe in nlp.pipeline:
            assert all(node.ops.use_blis is False for node in pipe.model.walk())
    monkeypatch.setenv("SEARCHSVC_GEMM", "blis")
    blis = models.load("fr_core_news_sm", ("ner",))
    assert all(node.ops.use_blis is True for node in blis.get_pipe("ner").model.walk())


def test_ner_skips_sentences_whose_only_capital_opens_a_common_word():
    text = ("Emmanuel Macron est arrivé à Lyon. Il a ensuite visité une usine de la ville et parlé "
            "longuement avec les ouvriers de la chaîne qui fabrique des pièces détachées pour les "
            "voitures électriques de demain. Les salariés lui ont demandé des hausses de salaire "
            "depuis des mois sans réponse claire de la direction. Il a promis de revenir.\n\n"
            "Dupont a répondu le soir même.")
    got = [text[a:b] for a, b in nerinput.pieces(text, context=0)]
    assert got == ["Emmanuel Macron est arrivé à Lyon.", "Dupont a répondu le soir même."]
    wide = [text[a:b] for a, b in nerinput.pieces(text, context=3)]
    assert wide[0] == "Emmanuel Macron est arrivé à Lyon. Il a ensuite"
    assert wide[1] == "promis de revenir.\n\nDupont a répondu le soir même."
    # an institution's word keeps a sentence: the cleaning keeps "commission nationale ..."
    text = "Emmanuel Macron est arrivé. Il a saisi la commission nationale anticorruption. Il part."
    assert [text[a:b] for a, b in nerinput.pieces(text, context=0)] == [
        "Emmanuel Macron est arrivé. Il a saisi la commission nationale anticorruption."]
    # a text without any name-like sentence gives the model nothing to read
    assert nerinput.pieces("il pleut. le vent souffle.") == []


def test_spans_found_on_what_ner_reads_point_into_the_whole_text(ner_on):
    text = ("Les habitants du quartier attendent depuis des années une solution durable, "
            "disent les associations qui les accompagnent au quotidien dans leurs démarches "
            "administratives et dans leur recherche d'un logement plus décent et moins cher.\n\n"
            "Le maire de Marseille, Benoît Payan, a reçu les représentants de la Fondation Abbé-Pierre.")
    joined, segs = nerinput.joined(text)
    assert len(joined) < len(text)
    spans = ent.raw_spans(text)
    assert {"Marseille", "Benoît Payan"} <= {text[s:e] for s, e, _ in spans}
    cleaned = ent.clean(text, spans)
    assert "Benoît Payan" in cleaned["person"] and "Marseille" in cleaned["place"]


def test_skipping_sentences_changes_no_entity_of_the_seed_articles(seeds, ner_on, monkeypatch):
    texts = [ent.ner_text(a) for a in seeds]
    assert sum(len(nerinput.joined(t)[0]) for t in texts) < sum(len(t) for t in texts)
    skipped = [ent.clean(t, s) for t, s in zip(texts, ent._read(texts))]
    monkeypatch.setenv("SEARCHSVC_NER_SKIP", "0")
    assert [ent.clean(t, s) for t, s in zip(texts, ent._read(texts))] == skipped


def test_a_chunk_in_batches_gives_what_each_article_alone_gives(seeds, ner_on, tmp_path):
    batched = ent.Enricher(tmp_path / "a")
    batched.prepare(seeds)
    assert batched.ready  # NER and the parser ran over the chunk at once
    alone = ent.Enricher(tmp_path / "b")
    got = [batched.fields(a) for a in seeds]
    want = []
    for a in seeds:
        alone.prepare([a])  # one article: nothing prepared, fields() runs the models on it alone
        assert not alone.ready
        want.append(alone.fields(a))
    assert got == want
    assert any(f.get("quotes") for f in got) and all(f.get("entities") for f in got)
    batched.close(), alone.close()


def test_cache_keys_change_with_the_pipeline(ner_on, monkeypatch):
    text = "Emmanuel Macron est arrivé à Lyon."
    keys = (ent._key(text), ent._syntax_key(text))
    monkeypatch.setattr(ent, "PIPELINE_VERSION", ent.PIPELINE_VERSION + 1)
    assert ent._key(text) != keys[0] and ent._syntax_key(text) != keys[1]
    fingerprint = ent.fingerprint()
    monkeypatch.setattr(ent, "PIPELINE_VERSION", ent.PIPELINE_VERSION + 1)
    assert ent.fingerprint() != fingerprint
