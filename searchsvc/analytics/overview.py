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

import numpy as np

from searchsvc.analytics import terms as terms_mod
from searchsvc.analytics import timeline as tl
from searchsvc.search.params import SearchParams, parse_params

LATEST = 5
TERMS_SHOWN = 15


def _bounds(ms) -> tuple[str | None, str | None, int]:
    cols = tl.columns(ms.facets)
    days = cols.days[cols.live_dated]
    undated = len(ms.facets.live) - len(days)
    if not len(days):
        return None, None, undated
    lo, hi = int(days.min()), int(days.max())
    as_iso = lambda d: str(np.datetime64(d, "D"))  # noqa: E731
    return as_iso(lo), as_iso(hi), undated


def date_bounds(engine) -> tuple[str | None, str | None]:
    """The first and last publication dates of the index (None when nothing is dated)."""
    first, last, _ = engine.matches(SearchParams(), _bounds)
    return first, last


def corpus_overview(engine) -> dict:
    """The home page's picture of the corpus: counts, date range, the timeline of every
    article, the newest ones."""
    listing = engine.search(parse_params({"sort": "newest", "per_page": str(LATEST)}))
    first, last, undated = engine.matches(SearchParams(), _bounds)
    sources = sum(1 for s in listing["facets"]["source"] if s["value"] is not None)
    return {"documents": listing["total"], "stories": listing["total_stories"], "sources": sources,
            "first_date": first, "last_date": last, "undated": undated,
            "timeline": tl.timeline(engine, tl.TimelineParams(searches=(SearchParams(),))),
            "latest": listing["results"]}


def page_analytics(engine, timeline_params: tl.TimelineParams, params: SearchParams) -> dict:
    """The timeline of ``timeline_params`` (the search, then the queries compared with
    it) and the characteristic words of ``params`` (the search)."""
    timeline = tl.timeline(engine, timeline_params)
    words = terms_mod.terms(engine, terms_mod.TermsParams(search=replace(params, page=1), limit=TERMS_SHOWN))
    return {"timeline": timeline, "terms": words}
