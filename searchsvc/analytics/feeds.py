"""Atom feeds (RFC 4287) of a search's newest matches, so that a feed reader shows
what each reindex adds.

Contract:
    newest(engine, params, limit=FEED_SIZE) -> {"generation", "total", "entries": [entry]}
        entry = {"id", "title", "source", "date", "url", "summary"} (plain text)
    atom(feed, self_url, page_url, base_url, title, now=None) -> str   # an XML document

Entries are the full matches newest first (articles without a date last), every
copy listed. Dates are RFC 3339 (a day ``YYYY-MM-DD`` becomes midnight UTC);
``updated`` of the feed is its newest entry's (else the time of the request).
Everything a document holds is escaped by the XML serializer; ``summary`` is the
search's snippet as plain text.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote
from xml.etree import ElementTree as ET


FEED_SIZE = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_XML_BAD = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _xml_text(value) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates dropped."""
    text = str(value).translate(_XML_BAD)
    return text.encode("utf-8", "ignore").decode("utf-8") if text else text


def rfc3339(day: str | None, fallback: datetime) -> str:
    """``2022-09-22`` -> ``2022-09-22T00:00:00Z``; None -> ``fallback`` in UTC."""
    if day:
        try:
            return datetime.strptime(day, "%Y-%m-%d").strftime("%Y-%m-%dT00:00:00Z")
        except ValueError:
            pass
    return fallback.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom(feed: dict, self_url: str, page_url: str, base_url: str, title: str,
         now: datetime | None = None) -> str:
    """The Atom document of :func:`newest`'s ``feed``. ``base_url`` ends with ``/``:
    an entry's link is its document page ``base_url + "documents/" + id`` unless it
    has its own (http/https) URL."""
    now = now or datetime.now(timezone.utc)
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _xml_text(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _xml_text(text)
        return el

    root = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "fr"})
    sub(root, "title", title)
    sub(root, "subtitle", f"{feed['total']} articles trouvés ; les {len(feed['entries'])} plus récents "
                          f"(index {feed['generation']}).")
    sub(root, "id", self_url)
    sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(root, "link", rel="alternate", type="text/html", href=page_url)
    dated = [e["date"] for e in feed["entries"] if e["date"]]
    sub(root, "updated", rfc3339(max(dated) if dated else None, now))
    sub(sub(root, "author"), "name", "searchsvc")
    sub(root, "generator", "searchsvc")
    for e in feed["entries"]:
        entry = sub(root, "entry")
        doc_page = base_url + "documents/" + quote(e["id"], safe="/")
        sub(entry, "title", e["title"] or "Sans titre")
        # a tag URI would need a domain; the document page is stable per id
        sub(entry, "id", doc_page)
        url = e["url"] if (e["url"] or "").lower().startswith(("http://", "https://")) else None
        sub(entry, "link", rel="alternate", href=url or doc_page)
        if url:
            sub(entry, "link", rel="related", type="text/html", href=doc_page)
        stamp = rfc3339(e["date"], now)
        sub(entry, "updated", stamp)
        if e["date"]:
            sub(entry, "published", stamp)
        if e["source"]:
            sub(sub(entry, "author"), "name", e["source"])
        sub(entry, "summary", e["summary"], type="text")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
