"""searchsvc: full-text search over French news articles.

Data flows one way: files -> ingestion (:mod:`searchsvc.ingest`, clean
:class:`~searchsvc.article.Article`) -> index writer (:mod:`searchsvc.backends.whoosh.indexer`,
French analysis from :mod:`searchsvc.analysis`) -> Whoosh -> search
(:mod:`searchsvc.search`, plain result dicts) -> CLI / JSON / HTML.
"""

__version__ = "0.1.0"
