"""Coverage analytics built on :meth:`searchsvc.search.SearchEngine.matches`: each
module reads one view of the search's own matches (a
:class:`searchsvc.backends.whoosh.engine.MatchSet`) and returns plain, serialisable objects."""
