"""The search engine (skeleton: the implementation lands in the next commits)."""

from __future__ import annotations

import os

from searchsvc.search.params import SearchParams


class SearchEngine:
    """Thread-safe searcher over ``index_dir`` that follows new index generations."""

    def __init__(self, index_dir: str | os.PathLike, synonyms_path: str | os.PathLike | None = None):
        self.index_dir = index_dir
        self.synonyms_path = synonyms_path

    def search(self, params: SearchParams) -> dict:
        """The result object: query, total, page, per_page, took_ms, results, facets, suggestion."""
        raise NotImplementedError

    def document(self, doc_id: str, q: str | None = None) -> dict | None:
        """id, title, text, source, date, url, lang (+ ``highlighted`` paragraphs with ``q``)."""
        raise NotImplementedError

    def similar(self, doc_id: str, limit: int = 5) -> list[dict] | None:
        """Articles like ``doc_id`` (never itself); None when the id is unknown."""
        raise NotImplementedError

    def info(self) -> dict:
        """``{"documents": int, "generation": str}``."""
        raise NotImplementedError
