"""Coverage analytics built on :meth:`searchsvc.search.SearchEngine.matches`: each
module reads the search's own matches and returns plain, serialisable objects."""
