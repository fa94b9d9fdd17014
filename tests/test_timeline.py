"""Attention over time (searchsvc.analytics.timeline), checked against the articles themselves."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from analytics_corpus import ARTICLES, COPY_IDS, engine_over, has_topic
from searchsvc.analytics import timeline as tl
from searchsvc.backends.whoosh.analytics import timeline as wtl
from searchsvc.search import QueryError
from searchsvc.backends.whoosh import SearchEngine


@pytest.fixture(scope="module")
def eng(store_index):
    e = store_index("timeline", ARTICLES).engine()
    yield e
    e.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    e = engine_over(tmp_path_factory.mktemp("timeline-built"))
    yield e
    e.close()


def run(eng, **kw):
    return eng.timeline(tl.parse_timeline_args(kw))


def test_months_count_the_matches_and_their_share_of_the_month(eng):
    r = run(eng, q="zeppelin", interval="month")
    matched = [a for a in ARTICLES if has_topic(a)]
    by_month = Counter(a.date[:7] for a in matched if a.date)
    all_month = Counter(a.date[:7] for a in ARTICLES if a.date)
    assert r["total"] == len(matched) and r["undated"] == sum(1 for a in matched if not a.date)
    starts = [b["start"] for b in r["buckets"]]
    # every month from the first match to the last, the empty May included
    assert starts == ["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01", "2021-05-01", "2021-06-01"]
    for b in r["buckets"]:
        m = b["start"][:7]
        assert b["count"] == by_month[m]
        assert b["share"] == (round(by_month[m] / all_month[m], 6) if all_month[m] else 0.0)
    assert r["buckets"][4] == {"start": "2021-05-01", "end": "2021-05-31", "count": 0, "stories": 0,
                               "share": 0.0}


def test_stories_count_a_copy_group_once_per_period(built):
    r = run(built, q="gondolier", interval="month")
    copies = [a for a in ARTICLES if a.id in COPY_IDS]
    months = Counter(a.date[:7] for a in copies)
    got = {b["start"][:7]: (b["count"], b["stories"]) for b in r["buckets"] if b["count"]}
    assert got == {m: (n, 1) for m, n in months.items()}
    assert r["total"] == 3 and r["total_stories"] == 1


def test_intervals_partition_the_same_matches(eng):
    month = run(eng, q="zeppelin", interval="month")
    for interval in ("day", "week", "year"):
        r = run(eng, q="zeppelin", interval=interval)
        assert r["interval"] == interval
        assert sum(b["count"] for b in r["buckets"]) == sum(b["count"] for b in month["buckets"])
        for a, b in zip(r["buckets"], r["buckets"][1:]):  # contiguous periods
            end = dt.date.fromisoformat(a["end"])
            assert dt.date.fromisoformat(b["start"]) == end + dt.timedelta(days=1)
    weeks = run(eng, q="zeppelin", interval="week")["buckets"]
    assert all(dt.date.fromisoformat(b["start"]).weekday() == 0 for b in weeks)
    days = run(eng, q="zeppelin", interval="day")["buckets"]
    dated = Counter(a.date for a in ARTICLES if has_topic(a) and a.date)
    assert {b["start"]: b["count"] for b in days if b["count"]} == dated


def test_default_interval_follows_the_date_range(eng):
    assert run(eng, q="zeppelin")["interval"] == "week"       # six months: 26 weeks
    assert run(eng, q="zeppelin", date_from="2021-03", date_to="2021-03")["interval"] == "day"
    assert tl.auto_interval(0, 365 * 5) == "month"
    assert tl.auto_interval(0, 365 * 30) == "year"


def test_filters_apply_and_a_chosen_period_is_shown_whole(eng):
    r = run(eng, q="zeppelin", source="Source 3", interval="month")
    expected = Counter(a.date[:7] for a in ARTICLES if has_topic(a) and a.source == "Source 3" and a.date)
    assert {b["start"][:7]: b["count"] for b in r["buckets"] if b["count"]} == expected
    r = run(eng, q="gondolier", date_from="2021-01", date_to="2021-06", interval="month")
    assert [b["start"] for b in r["buckets"]][0] == "2021-01-01"
    assert r["buckets"][-1]["start"] == "2021-06-01"


def test_queries_compared_share_the_periods(eng):
    r = run(eng, q=["zeppelin", "aérostat", "gondolier"], interval="month")
    assert [s["query"] for s in r["series"]] == ["zeppelin", "aérostat", "gondolier"]
    starts = {tuple(b["start"] for b in s["buckets"]) for s in r["series"]}
    assert len(starts) == 1
    single = run(eng, q="aérostat", interval="month")
    assert {b["start"]: b["count"] for b in r["series"][1]["buckets"] if b["count"]} == \
        {b["start"]: b["count"] for b in single["buckets"] if b["count"]}
    with pytest.raises(QueryError) as e:
        tl.parse_timeline_args({"q": [f"mot{i}" for i in range(6)]})
    assert e.value.field == "q"


def test_by_source_top_eight_and_the_others(eng):
    r = run(eng, by="source", interval="month")
    series = r["series"]
    per_source = Counter(a.source for a in ARTICLES)
    top = [s for s, _ in sorted(per_source.items(), key=lambda kv: -kv[1])]
    assert len(series) == tl.TOP_SOURCES + 1 and series[-1]["other"] and series[-1]["source"] == "autres"
    assert [s["total"] for s in series[:-1]] == [per_source[s["source"]] for s in series[:-1]]
    assert {s["source"] for s in series[:-1]} <= set(top)
    assert sum(s["total"] for s in series) == len(ARTICLES)
    # each source's share is of that source's own articles of the period
    first = series[0]
    months = Counter(a.date[:7] for a in ARTICLES if a.source == first["source"] and a.date)
    for b in first["buckets"]:
        assert b["share"] == (1.0 if months[b["start"][:7]] else 0.0)
    with pytest.raises(QueryError) as e:
        tl.parse_timeline_args({"q": ["a", "b"], "by": "source"})
    assert e.value.field == "by"


@pytest.mark.parametrize("key,value", [("interval", "décennie"), ("by", "auteur"), ("date_from", "2021-13")])
def test_bad_parameters_name_their_field(key, value):
    with pytest.raises(QueryError) as e:
        tl.parse_timeline_args({"q": "x", key: value})
    assert e.value.field == key and e.value.message


def test_too_many_periods_is_a_parameter_error(tmp_path):
    from searchsvc.article import Article
    from searchsvc.backends.whoosh.indexer import build_index_from_articles

    build_index_from_articles(tmp_path, [Article(id="a", text="vieux texte", date="1800-01-01"),
                                         Article(id="b", text="vieux texte", date="2021-01-01")])
    e = SearchEngine(tmp_path)
    try:
        with pytest.raises(QueryError) as err:
            e.timeline(tl.parse_timeline_args({"q": "texte", "interval": "day"}))
        assert err.value.field == "interval"
        auto = e.timeline(tl.parse_timeline_args({"q": "texte"}))
        assert auto["interval"] == "year" and len(auto["buckets"]) == 2021 - 1800 + 1
    finally:
        e.close()


def test_bucket_codes_match_the_calendar():
    days = np.array([(dt.date(2020, 2, 29) - dt.date(1970, 1, 1)).days,
                     (dt.date(1969, 12, 31) - dt.date(1970, 1, 1)).days], dtype=np.int64)
    assert tl.bucket_codes(days, "month").tolist() == [50 * 12 + 1, -1]
    assert tl.bucket_codes(days, "year").tolist() == [50, -1]
    monday = tl.bucket_codes(days, "week")
    assert [(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).weekday() for d in monday] == [0, 0]


def test_columns_are_cached_per_generation(built):
    """The Whoosh backend's per-generation day columns."""
    params = tl.parse_timeline_args({"q": "zeppelin"}).searches[0]
    a = built.matches(params, lambda ms: wtl.columns(ms.facets))
    b = built.matches(params, lambda ms: wtl.columns(ms.facets))
    assert a is b


def test_the_page_widens_an_interval_with_too_many_periods(eng):
    from searchsvc.analytics.overview import page_analytics

    tparams = tl.parse_timeline_args({"q": "zeppelin", "interval": "day"})
    got = page_analytics(eng, tparams, tparams.searches[0], max_buckets=40)
    assert got["timeline"]["interval"] == "week"  # about 180 days: over 40; 26 weeks
    assert len(got["timeline"]["buckets"]) <= 40 and "plus de 40 barres" in got["timeline"]["notes"][-1]
    same = page_analytics(eng, tparams, tparams.searches[0])
    assert same["timeline"]["interval"] == "day" and not same["timeline"]["notes"]
