"""The clean article that ingestion hands to the index writer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Dropped:
    """A line or block that ingestion removed, and why."""

    text: str
    reason: str


@dataclass
class Article:
    """One cleaned article.

    ``text`` is the kept body, paragraphs separated by a blank line.
    ``date`` is ISO ``YYYY-MM-DD``; unknown metadata stays ``None``.
    ``path`` is the source file's path relative to the corpus root.
    """

    id: str
    text: str
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    lang: str | None = None
    path: str | None = None
    #: the byline's name(s) (searchsvc.ingest.author), None when unknown
    author: str | None = None
    dropped: list[Dropped] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON shape of ``searchsvc extract --json``."""
        d = asdict(self)
        return {
            "id": d["id"],
            "title": d["title"],
            "text": d["text"],
            "source": d["source"],
            "date": d["date"],
            "url": d["url"],
            "lang": d["lang"],
            "author": d["author"],
            "dropped": d["dropped"],
        }
