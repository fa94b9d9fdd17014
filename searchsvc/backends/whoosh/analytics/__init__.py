"""The analytics of the Whoosh backend: numpy over a generation's columns and the
engine's own :class:`~searchsvc.backends.whoosh.engine.MatchSet` (their parameters,
result shapes and backend-neutral parts are in :mod:`searchsvc.analytics`)."""
