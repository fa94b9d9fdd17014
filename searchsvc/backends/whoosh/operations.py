"""The analytic operations of the :class:`~searchsvc.engine.Engine` interface on the
Whoosh backend: each one runs its implementation in
:mod:`searchsvc.backends.whoosh.analytics` (or :mod:`searchsvc.backends.whoosh.entities`) over the engine's own
:class:`~searchsvc.backends.whoosh.engine.MatchSet`, on one held generation."""

from __future__ import annotations

from searchsvc.search.params import SearchParams


class WhooshOperations:
    """Mixed into :class:`~searchsvc.backends.whoosh.engine.SearchEngine`."""

    backend = "whoosh"

    def date_bounds(self) -> tuple[str | None, str | None, int]:
        from searchsvc.backends.whoosh.analytics.timeline import day_bounds

        return self.matches(SearchParams(), day_bounds)

    def timeline(self, params) -> dict:
        from searchsvc.backends.whoosh.analytics.timeline import timeline

        return timeline(self, params)

    def terms(self, params) -> dict:
        from searchsvc.backends.whoosh.analytics.terms import terms

        return terms(self, params)

    def concordance(self, params, sort: str = "doc", page: int = 1, per_page: int | None = 50) -> dict:
        from searchsvc.backends.whoosh.analytics.concordance import concordance

        return concordance(self, params, sort=sort, page=page, per_page=per_page)

    def open_export(self, params, fmt: str, now=None):
        from searchsvc.backends.whoosh.analytics.export import open_export

        return open_export(self, params, fmt, now=now)

    def batch(self, lines, base_params, hits: int = 3, exact: bool = True) -> dict:
        from searchsvc.backends.whoosh.analytics.batch import run_batch

        return run_batch(self, lines, base_params, hits=hits, exact=exact)

    def open_batch_csv(self, lines, base_params, exact: bool = True):
        from searchsvc.backends.whoosh.analytics.batch import open_batch_csv

        return open_batch_csv(self, lines, base_params, exact=exact)

    def newest(self, params, limit: int = 50) -> dict:
        from searchsvc.backends.whoosh.analytics.feeds import newest

        return newest(self, params, limit)

    def entities(self, params, kind: str, limit: int = 50) -> dict:
        from searchsvc.backends.whoosh.entities import entity_table

        return self.matches(params, lambda ms: dict(
            entity_table(ms, self.entity_search, self.synonyms, kind, limit), query=params.q))

    def quotes(self, params, speaker: str | None, limit: int, offset: int = 0,
               max_docs: int = 2000) -> dict:
        from searchsvc.backends.whoosh.entities import quote_search

        return self.matches(params, lambda ms: quote_search(
            ms, self.entity_search, self.synonyms, speaker, limit, offset, max_docs=max_docs))
