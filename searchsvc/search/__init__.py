"""One search engine for the CLI, the JSON API and the web page.

Public names: :class:`SearchParams`, :func:`parse_params`, :class:`QueryError`,
:class:`SearchEngine`. Every method returns plain, JSON-serialisable objects.
"""

from searchsvc.search.engine import SearchEngine
from searchsvc.search.params import (
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    SORTS,
    UNKNOWN,
    QueryError,
    SearchParams,
    parse_params,
)

__all__ = [
    "MAX_PER_PAGE",
    "MAX_QUERY_CHARS",
    "SORTS",
    "UNKNOWN",
    "QueryError",
    "SearchEngine",
    "SearchParams",
    "parse_params",
]
