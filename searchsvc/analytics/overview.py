"""What the search page shows beside the results: the corpus (home page), the timeline
of the search and the queries compared with it, its characteristic words.

Contract:
    corpus_overview(engine) -> {"documents", "sources", "first_date", "last_date",
                                "undated", "timeline", "latest": [hit, ...]}
    page_analytics(engine, timeline_params, params) -> {"timeline", "terms"}
    date_bounds(engine) -> (first_date, last_date)   # ISO or None, for the date boxes
"""

from __future__ import annotations

from dataclasses import replace

from searchsvc.analytics import terms as terms_mod
from searchsvc.analytics import timeline as tl
from searchsvc.search.params import SearchParams, parse_params

LATEST = 5
TERMS_SHOWN = 15
#: The page's chart draws at most this many periods (the API gives up to 10,000).
PAGE_MAX_BUCKETS = 400


def date_bounds(engine) -> tuple[str | None, str | None]:
    """The first and last publication dates of the index (None when nothing is dated)."""
    first, last, _ = engine.date_bounds()
    return first, last


def corpus_overview(engine) -> dict:
    """The home page's picture of the corpus: counts, date range, the timeline of every
    article, the newest ones."""
    listing = engine.search(parse_params({"sort": "newest", "per_page": str(LATEST)}))
    first, last, undated = engine.date_bounds()
    sources = sum(1 for s in listing["facets"]["source"] if s["value"] is not None)
    return {"documents": listing["total"], "stories": listing["total_stories"], "sources": sources,
            "first_date": first, "last_date": last, "undated": undated,
            "timeline": engine.timeline(tl.TimelineParams(searches=(SearchParams(),))),
            "latest": listing["results"]}


def page_analytics(engine, timeline_params: tl.TimelineParams, params: SearchParams,
                   max_buckets: int = PAGE_MAX_BUCKETS) -> dict:
    """The timeline of ``timeline_params`` (the search, then the queries compared with
    it) and the characteristic words of ``params`` (the search). A chosen interval that
    gives more than ``max_buckets`` periods is widened (a page cannot draw thousands of
    bars), and a note says so."""
    timeline = engine.timeline(timeline_params)
    chosen = timeline["interval"]
    while len(tl.series_of(timeline)[0]["buckets"]) > max_buckets and timeline["interval"] != "year":
        wider = tl.INTERVALS[tl.INTERVALS.index(timeline["interval"]) + 1]
        timeline = engine.timeline(replace(timeline_params, interval=wider))
    if timeline["interval"] != chosen:
        timeline["notes"] = timeline["notes"] + [
            f"Graphique par {tl.INTERVAL_LABELS_FR[timeline['interval']]} : par "
            f"{tl.INTERVAL_LABELS_FR[chosen]}, il aurait plus de {max_buckets} barres."]
    words = engine.terms(terms_mod.TermsParams(search=replace(params, page=1), limit=TERMS_SHOWN))
    return {"timeline": timeline, "terms": words}
