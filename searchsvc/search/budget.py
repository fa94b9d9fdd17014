"""A query's time budget: CPU seconds after which a search returns what it has.

Measured with the thread's own CPU clock (``time.thread_time``), so that a query
waiting behind others on a loaded machine is not cut short for their work.
Configured by ``SEARCHSVC_QUERY_BUDGET`` (seconds, default :data:`DEFAULT_SECONDS`).
"""

from __future__ import annotations

import os
import sys
import time

DEFAULT_SECONDS = 1.0
ENV = "SEARCHSVC_QUERY_BUDGET"
_warned: set[str] = set()


def configured_seconds(value: str | None = None) -> float:
    """The budget from ``value`` or the environment; a bad value is reported (in
    French, once) and the default used."""
    raw = os.environ.get(ENV) if value is None else value
    if raw is None or not str(raw).strip():
        return DEFAULT_SECONDS
    text = str(raw).strip().replace(",", ".")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.01 <= seconds <= 600:
        if text not in _warned:
            _warned.add(text)
            default = f"{DEFAULT_SECONDS:g}".replace(".", ",")
            print(f"{ENV} invalide : « {str(raw)[:40]} » (attendu : un nombre de secondes "
                  f"entre 0,01 et 600) ; {default} s utilisée.", file=sys.stderr)
        return DEFAULT_SECONDS
    return seconds


class Budget:
    """CPU time left for one query. ``note(stage)`` records, once per stage, what
    the query skipped because the budget ran out."""

    def __init__(self, seconds: float, pause=None):
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds
        self.notes: list[str] = []
        self._pause = pause  # called at each checkpoint (a costly query yields there)

    @property
    def exceeded(self) -> bool:
        """Whether the CPU time is spent."""
        return time.thread_time() > self.deadline

    def checkpoint(self) -> bool:
        """A point where a costly query lets the queries waiting behind it run first
        (waiting uses no CPU time); then :attr:`exceeded`."""
        if self._pause is not None:
            self._pause()
        return self.exceeded

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)
