"""Values computed once per index generation, dropped with it."""

from __future__ import annotations

import threading
import weakref
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class PerGeneration(Generic[T]):
    """``get(facets, build)``: the value built for a generation, keyed on its
    :class:`~searchsvc.backends.whoosh.facets.FacetData` (one per generation; weakly held, so
    a retired generation's value goes with it). Built once, under a lock."""

    def __init__(self) -> None:
        self._values: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, facets, build: Callable[[], T]) -> T:
        got = self._values.get(facets)
        if got is None:
            with self._lock:
                got = self._values.get(facets)
                if got is None:
                    got = self._values[facets] = build()
        return got
