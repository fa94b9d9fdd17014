"""One search engine for the CLI, the JSON API and the web page.

Public names: :class:`SearchParams`, :func:`parse_params`, :class:`QueryError`,
:class:`SearchEngine`, :func:`in_date_order` (facet entries such as months by
value). Every method returns plain, JSON-serialisable objects; in facets, ``null``
is the bucket of documents without that metadata, selected with the filter value
``"unknown"`` (:data:`UNKNOWN`).
"""

from searchsvc.search.engine import SearchEngine
from searchsvc.search.facets import in_date_order
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
    "in_date_order",
    "parse_params",
]
