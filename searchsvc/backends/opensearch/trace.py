"""What a call of the OpenSearch backend costs in requests: each HTTP round trip its
client makes (method, path, a kind read from the body, milliseconds), recorded by a
hook on the real client's transport (every request goes through it, retries on another
node included). For benchmarks (``bench/os_query_cost.py``) and the test that bounds
a search's round trips; nothing is recorded outside a :func:`recording` block.

    with recording(engine.client) as trips:
        engine.search(params)
    len(trips), [t.kind for t in trips]
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Iterator


@dataclass
class Trip:
    """One HTTP request to the cluster."""

    method: str
    path: str
    kind: str
    ms: float


def kind_of(method: str, path: str, body) -> str:
    """A short name of what a request is for, from its path and body (the backend's own
    request shapes: the search's page, the copy-group members, a lexicon lookup...)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last == "_msearch":
        # a search's first request counts its full matches' stories; the second, members...
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        return "msearch" if '"stories"' in text else "msearch 2"
    if last == "_count":
        return "count"
    if "_alias" in path or "_mapping" in path:
        return "generation"
    if last != "_search":
        return f"{method.lower()} {last}"
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            body = {}
    body = body if isinstance(body, dict) else {}
    if "suggest" in body:
        return "lexicon suggest"
    query = json.dumps(body.get("query", {}))[:200]
    if '"prefix"' in query and body.get("size") == 0:
        return "lexicon prefix"
    if '"group"' in query and "terms" in query:
        return "members"
    if "collapse" in body or body.get("size", 10):
        return "page"
    return "search"


@contextlib.contextmanager
def recording(client) -> Iterator[list[Trip]]:
    """The requests ``client`` makes in this block, in order (this thread's and others')."""
    transport = client.transport
    original = transport.perform_request
    trips: list[Trip] = []
    lock = threading.Lock()

    def perform_request(method, url, *args, **kwargs):
        body = kwargs.get("body", args[1] if len(args) > 1 else None)  # (params, body, ...)
        t = time.perf_counter()
        try:
            return original(method, url, *args, **kwargs)
        finally:
            ms = (time.perf_counter() - t) * 1000
            with lock:
                trips.append(Trip(method, url, kind_of(method, url, body), ms))

    transport.perform_request = perform_request
    try:
        yield trips
    finally:
        transport.perform_request = original
