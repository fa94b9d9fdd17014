"""The measured ranking model (searchsvc.search.ranking) on small real indexes:
question words, term proximity, and the features bench/ltr.py fits."""

from __future__ import annotations

import pytest

from searchsvc.article import Article
from searchsvc.backends.whoosh.indexer import build_index_from_articles
from searchsvc.search import parse_params, ranking
from searchsvc.backends.whoosh import SearchEngine

FILLER = "Le conseil municipal s'est réuni mardi soir pour voter le budget annuel de la ville."

ARTICLES = [
    # question words: "combien" is rarer than "Pologne" here, so without its
    # discount it would weigh more than the content word
    ("pologne-1", "2022-01-01", "Les soldats déployés en Pologne sont nombreux. " + FILLER),
    ("pologne-2", "2022-01-02", "La Pologne accueille des réfugiés. " + FILLER),
    ("pologne-3", "2022-01-03", "Varsovie, capitale de la Pologne, a voté. " + FILLER),
    ("combien", "2022-06-01", "Combien de temps faudra-t-il encore attendre ? " + FILLER),
    # proximity: the same words once each, side by side or far apart; the far one
    # is newer, so it would come first on equal scores
    ("proche", "2021-01-01", "Une guerre commerciale oppose les deux pays, les marchés tremblent. " + FILLER),
    ("loin", "2023-01-01", "Une guerre oppose les deux pays, les marchés tremblent, commerciale. " + FILLER),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("ranking") / "index"
    build_index_from_articles(d, [Article(id=i, text=t, date=day, lang="fr") for i, day, t in ARTICLES])
    e = SearchEngine(d)
    yield e
    e.close()


def found(engine, q) -> list[str]:
    return [x["id"] for x in engine.search(parse_params({"q": q, "per_page": "100"}))["results"]]


def test_question_words_weigh_less_than_content_words(engine):
    assert "combien" in ranking.QUESTION_TERMS and "quel" in ranking.QUESTION_TERMS
    assert ranking.QUESTION_WEIGHT < 0.5
    hits = found(engine, "Combien Pologne")
    assert set(hits[:3]) == {"pologne-1", "pologne-2", "pologne-3"} and hits[3] == "combien"


def test_question_words_left_out_of_the_coordination(engine, monkeypatch):
    # "combien" missing does not cost a document its coordination factor
    r = engine.search(parse_params({"q": "combien soldats Pologne"}))
    top = r["results"][0]
    assert top["id"] == "pologne-1"
    plain = engine.search(parse_params({"q": "soldats Pologne"}))["results"][0]
    assert plain["id"] == "pologne-1" and top["score"] >= plain["score"] * 0.99


def test_close_query_words_rank_first(engine):
    assert ranking.PROX_WEIGHT > 0
    hits = found(engine, "guerre commerciale")
    assert hits.index("proche") < hits.index("loin")


def test_without_proximity_the_newer_article_would_win(engine, monkeypatch):
    # the test above would fail without the proximity bonus
    monkeypatch.setattr(ranking, "PROX_WEIGHT", 0.0)
    hits = found(engine, "guerre commerciale")
    assert hits.index("loin") < hits.index("proche")


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
