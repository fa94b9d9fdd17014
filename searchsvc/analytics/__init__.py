"""Analytics over the matches of a search: each module one view of a
:class:`searchsvc.search.engine.MatchSet` (see ``SearchEngine.matches``)."""
