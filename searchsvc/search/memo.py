"""A bounded dict cache shared by threads (per-generation query expansions)."""

from __future__ import annotations


def remember(cache: dict, key, value, size: int):
    """Store ``value`` under ``key`` in ``cache``, first dropping the oldest entry when
    ``cache`` holds ``size`` entries; returns ``value``. Safe against another thread
    changing the dict meanwhile (the eviction is then skipped once)."""
    if len(cache) >= size:
        try:
            cache.pop(next(iter(cache)), None)
        except (RuntimeError, StopIteration):
            pass
    cache[key] = value
    return value
