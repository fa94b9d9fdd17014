"""Warm a serving process before it accepts requests, so that its first searches are as
fast as the rest.

The first search of a fresh process otherwise pays for everything built on first use:
opening the generation, its facet arrays, norms and copy groups, the query and snippet
analysers, the templates, the postings' first pages. Paid inside a request, that cost
counted against the query's budget, so the first search could even come back without
highlighting. :func:`warm_app` sends a few representative requests through the app
(Flask's test client: no socket), built from the index's own newest titles: the listing,
word, phrase and prefix searches as JSON and as the HTML page with its panels, and an
article page. The engine already does the same when it switches to a new generation
(it replays the latest searches there). ``SEARCHSVC_WARM=0`` turns it off.
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse

#: seconds the warm-up may take at most (the service starts accepting after it)
WARM_START_SECONDS = 20.0
#: newest articles whose titles give the warm-up's searches
TITLES = 3

_WORDS = re.compile(r"[^\W\d_]{4,}")


def enabled() -> bool:
    """Whether serving processes warm up before accepting (``SEARCHSVC_WARM``, default on)."""
    return os.environ.get("SEARCHSVC_WARM", "1").strip().lower() not in ("0", "non", "no", "false")


def warm_paths(listing: dict) -> list[str]:
    """The requests of the warm-up, from the newest results of the empty query."""
    paths = ["/"]
    for doc in (listing.get("results") or [])[:TITLES]:
        words = _WORDS.findall(doc.get("title") or "")
        if not words:
            continue
        q = " ".join(words[:2])
        quoted = urllib.parse.quote(q)
        paths += [f"/api/search?q={quoted}", f"/?q={quoted}", f"/panels?q={quoted}",
                  f"/api/timeline?q={quoted}",
                  "/api/search?q=" + urllib.parse.quote(f'"{q}"'),
                  "/api/search?q=" + urllib.parse.quote(words[0][:4] + "*"),
                  f"/documents/{urllib.parse.quote(doc['id'])}?q={quoted}"]
    return paths


def warm_app(app, seconds: float = WARM_START_SECONDS) -> int:
    """Send the warm-up requests through ``app`` for ``seconds`` at most; how many were
    answered 200. Best effort: a failure only leaves that part for the first request."""
    if not enabled():
        return 0
    deadline = time.monotonic() + seconds
    client = app.test_client()
    answered = 0
    try:
        first = client.get("/api/search")
        if first.status_code != 200:
            return 0
        answered = 1
        for path in warm_paths(first.get_json()):
            if time.monotonic() > deadline:
                break
            resp = client.get(path)
            answered += resp.status_code == 200
            resp.close()
    except Exception:  # never stop the service from starting
        pass
    return answered
