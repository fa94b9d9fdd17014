"""What a search means, whatever the backend: parameters, the query language and
its matching rules, snippets, the accent rule, the CPU budget.

Public names: :class:`SearchParams`, :func:`parse_params`, :class:`QueryError`. In
facets, ``null`` is the bucket of documents without that metadata, selected with the
filter value ``"unknown"`` (:data:`UNKNOWN`). The engines are behind
:func:`searchsvc.engine.open_engine`.
"""

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
    "SearchParams",
    "parse_params",
]
