"""The features bench/ltr.py fits (searchsvc.search.ranking) on a small real Whoosh index:
the corpus of tests/test_ranking_backends.py, where the ranking's properties are tested on
every store (each Whoosh index shape and OpenSearch)."""

from __future__ import annotations

import pytest
from test_ranking_backends import articles

from searchsvc.backends.whoosh.indexer import build_index_from_articles
from searchsvc.search import parse_params, ranking
from searchsvc.backends.whoosh import SearchEngine


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("ranking") / "index"
    build_index_from_articles(d, articles())
    e = SearchEngine(d)
    yield e
    e.close()


def test_features_rebuild_the_shipped_score(engine):
    """bench/ltr.py fits weights on Scorer.features: with the shipped weights they
    must give the engine's own scores."""
    from searchsvc.backends.whoosh import query as wquery
    from searchsvc.search import query as qmod

    q = "Combien guerre commerciale Pologne"
    expected = {x["id"]: x["score"] for x in engine.search(parse_params({"q": q}))["results"]}

    def run(gen, s):
        built = wquery.build(qmod.parse(q), gen.schema, s.reader())
        pool = engine._candidates(gen, s, built)
        saved = ranking.PROX_WEIGHT
        feats = gen.scorer.features(s.reader(), built.units, lambda x: gen.docset(s, x), pool, 100)
        assert ranking.PROX_WEIGHT == saved
        return {s.stored_fields(d)["id"]: f for d, f in feats}

    feats = engine._run(run)
    for doc_id, f in feats.items():
        n = f["units"]
        coord = (f["matched"] / n) ** ranking.COORD_POWER if n > 1 else 1.0
        got = coord * (f["body"] + ranking.TITLE_WEIGHT * f["title"]
                       + ranking.QUESTION_WEIGHT * f["question"] + ranking.EARLY_WEIGHT * f["early"]
                       + ranking.EXACT_WEIGHT * f["exact"] + ranking.PROX_WEIGHT * f["prox"])
        assert got == pytest.approx(expected[doc_id], abs=1e-3), doc_id
