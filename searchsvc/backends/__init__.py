"""The search backends behind :class:`searchsvc.engine.Engine`: ``whoosh`` (embedded,
the default) and ``opensearch`` (a cluster). Each holds only what is its own; what a
search means lives in :mod:`searchsvc.search` and :mod:`searchsvc.analytics`."""
