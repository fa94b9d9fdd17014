"""Ranking properties both backends share: the model of searchsvc.search.ranking, computed
by the Whoosh backend (searchsvc.backends.whoosh.scoring) and expressed in the OpenSearch
backend's query DSL (searchsvc.backends.opensearch.translate), on a small real corpus in
every store of tests/search_stores.py (each Whoosh index shape, the OpenSearch cluster)."""

from __future__ import annotations

import pytest
from search_stores import make_articles_store

from searchsvc.article import Article
from searchsvc.search import parse_params, ranking

FILLER = "Le conseil municipal s'est réuni mardi soir pour voter le budget annuel de la ville."

ARTICLES = [
    # a title match and a body-only match of "référendum"; the body one is newer, so it
    # would come first on equal scores (every article has a title: BM25's average title)
    ("titre", "2020-01-01", "Le référendum", FILLER + " Les électeurs ont voté."),
    ("corps", "2020-06-01", "Le vote", FILLER + " Le référendum a eu lieu, les électeurs ont voté."),
    # "grève" in the opening words or only after them (50 terms): same words, the late one newer
    # (copies of each other: listed with copies=all)
    ("tot", "2020-02-01", "Transports", "Une grève paralyse les transports. " + FILLER * 7),
    ("tard", "2020-07-01", "Transports", FILLER * 7 + " Une grève paralyse les transports."),
    # question words: "combien" is rarer than "Pologne" here, so without its discount
    # it would weigh more than the content word
    ("pologne-1", "2022-01-01", "Armée", "Les soldats déployés en Pologne sont nombreux. " + FILLER),
    ("pologne-2", "2022-01-02", "Accueil", "La Pologne accueille des réfugiés. " + FILLER),
    ("pologne-3", "2022-01-03", "Vote", "Varsovie, capitale de la Pologne, a voté. " + FILLER),
    ("combien", "2022-06-01", "Attente", "Combien de temps faudra-t-il encore attendre ? " + FILLER),
    # proximity: the same words once each, side by side or far apart (the far one newer)
    ("proche", "2021-01-01", "Commerce", "Une guerre commerciale oppose les deux pays, les marchés "
     "tremblent. " + FILLER),
    ("loin", "2023-01-01", "Commerce", "Une guerre oppose les deux pays, les marchés tremblent, "
     "commerciale. " + FILLER),
    # coordination (scores below): every word of a query, or three of its four words
    ("cinq", "2019-01-01", "Équipements", "Le maire inaugure la médiathèque, la piscine et le gymnase. "
     + FILLER),
    ("quatre", "2024-01-01", "Équipements", "Le maire inaugure la médiathèque, la médiathèque et la "
     "piscine. " + FILLER),
]


def articles() -> list[Article]:
    return [Article(id=i, title=title, text=text, date=day, lang="fr") for i, day, title, text in ARTICLES]


@pytest.fixture(scope="module")
def engine(store_index):
    e = store_index("ranking", articles()).engine()
    yield e
    e.close()


def found(engine, q: str) -> list[str]:
    return [x["id"] for x in engine.search(parse_params({"q": q, "per_page": "100", "copies": "all"}))["results"]]


def test_a_title_match_outranks_a_body_only_match(engine):
    hits = found(engine, "référendum")
    assert hits.index("titre") < hits.index("corps")


def test_an_early_occurrence_outranks_a_late_one(engine):
    assert ranking.EARLY_WEIGHT > 0
    hits = found(engine, "grève transports")
    assert hits.index("tot") < hits.index("tard")


def test_without_the_early_bonus_the_newer_article_wins(engine, monkeypatch):
    # the test above would fail without the early bonus (same words, same lengths)
    monkeypatch.setattr(ranking, "EARLY_WEIGHT", 0.0)
    monkeypatch.setattr(ranking, "PROX_WEIGHT", 0.0)
    hits = found(engine, "grève paralyse")
    assert hits.index("tard") < hits.index("tot")


def test_question_words_weigh_less_than_content_words(engine):
    hits = found(engine, "Combien Pologne")
    assert set(hits[:3]) == {"pologne-1", "pologne-2", "pologne-3"} and hits[3] == "combien"


def test_close_query_words_rank_first(engine):
    hits = found(engine, "guerre commerciale")
    assert hits.index("proche") < hits.index("loin")


def test_without_proximity_the_newer_article_would_win(engine, monkeypatch):
    monkeypatch.setattr(ranking, "PROX_WEIGHT", 0.0)
    hits = found(engine, "guerre commerciale oppose")
    assert hits.index("loin") < hits.index("proche")


def test_question_words_left_out_of_the_coordination(engine):
    # "combien" missing does not cost a document its coordination factor
    r = engine.search(parse_params({"q": "combien soldats Pologne"}))
    top = r["results"][0]
    assert top["id"] == "pologne-1"
    plain = engine.search(parse_params({"q": "soldats Pologne"}))["results"][0]
    assert plain["id"] == "pologne-1" and top["score"] >= plain["score"] * 0.99



QUERIES = ["référendum", "Combien Pologne", "soldats Pologne réfugiés capitale",
           "médiathèque piscine gymnase maire", "Combien de temps pour voter le budget", "ville électeurs"]


def test_opensearch_scores_are_the_whoosh_scores(tmp_path, request, monkeypatch):
    """Without the bonuses that need positions (early words, proximity), the OpenSearch
    backend's scores are the Whoosh backend's: the same BM25 (title boost included), the
    exact-form bonus, the question words' weight and the coordination factor."""
    monkeypatch.setattr(ranking, "EARLY_WEIGHT", 0.0)
    monkeypatch.setattr(ranking, "PROX_WEIGHT", 0.0)
    for s in ("one-segment", "opensearch"):
        (tmp_path / s).mkdir()
    # "tard" is a copy of "tot": a full build writes it once, its group set (before, a
    # partial update left a soft delete in BM25's statistics, a few per cent of the scores)
    stores = [make_articles_store(s, "ranking-scores", articles(), tmp_path / s, request)
              for s in ("one-segment", "opensearch")]
    engines = [s.engine() for s in stores]
    try:
        for q in QUERIES:
            whoosh, opensearch = ({x["id"]: x["score"] for x in e.search(
                parse_params({"q": q, "per_page": "100", "copies": "all"}))["results"]} for e in engines)
            assert whoosh.keys() == opensearch.keys() and len(whoosh) > 1, q
            for doc_id, score in whoosh.items():
                # field lengths are rounded differently (Whoosh's byte, Lucene's norms)
                assert opensearch[doc_id] == pytest.approx(score, rel=0.03), (q, doc_id)
    finally:
        for e in engines:
            e.close()
