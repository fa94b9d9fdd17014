"""SearchEngine.matches: the selection analytics build on is the search's own."""

from searchsvc.search.params import parse_params


def test_match_set_is_what_search_counts(whoosh_engine):
    for q in ("munitions Téhéran", "munitions", "Iran", "zzzintrouvable", ""):
        params = parse_params({"q": q})
        result = whoosh_engine.search(params)
        got = whoosh_engine.matches(params, lambda ms: (len(ms.docnums), len(ms.partial), ms.generation))
        assert got[:2] == (result["total"], result["total_partial"])
        assert got[2]


def test_match_set_applies_filters_and_ranks_like_search(whoosh_engine):
    params = parse_params({"q": "munitions", "per_page": "50"})
    result = whoosh_engine.search(params)
    assert result["total"] >= 2

    def first_ids(ms):
        s = ms.searcher
        return [s.stored_fields(d)["id"] for _, d in ms.ranked(ms.docnums, len(ms.docnums))]

    ids = whoosh_engine.matches(params, first_ids)
    shown = [h["id"] for h in whoosh_engine.search(parse_params({"q": "munitions", "per_page": "50",
                                                          "copies": "all"}))["results"]
             if not h["partial"]]
    assert ids == shown
    source = result["results"][0]["source"]
    if source:
        only = parse_params({"q": "munitions", "source": source})
        n = whoosh_engine.matches(only, lambda ms: len(ms.docnums))
        assert n == whoosh_engine.search(only)["total"]
        assert 0 < n <= result["total"]
