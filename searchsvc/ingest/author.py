"""The author of an HTML article (its byline), kept as metadata instead of dropped.

Where, in this order: the article's JSON-LD ``author`` (a name, an object or a list of
them), the page's meta tags (``author``, ``dc.creator``, ``parsely-author``… never a
URL), the markup that names it (``itemprop="author"``, ``rel="author"``, an element
whose class or id is ``author``/``byline``/``auteur``/``signature``), then a byline line
the cleaning dropped ("Par Jeanne Martin", "By John Smith, Reuters").

Contract:
    from_meta(meta, ld) -> str | None            # JSON-LD, then meta tags
    from_markup(root) -> str | None              # after the page chrome (comments) is stripped
    from_dropped(dropped, paragraphs) -> str | None   # the byline lines the cleaning dropped or kept
    clean_author(value) -> str | None            # tidy one name or list of names
    author_names(author) -> list[str]            # "Paul Durand, Ana Lima": each a filter value
"""

from __future__ import annotations

import re

import lxml.etree

#: meta tags that name the author (lower-cased keys of html.page_metadata's ``meta``)
META_KEYS = ("author", "dc.creator", "dcterms.creator", "dc:creator", "parsely-author",
             "sailthru.author", "article:author", "byl", "twitter:creator:name")
#: the longest author string kept (several names, "et", commas)
MAX_CHARS = 120

_CLASS_RX = re.compile(r"(?:^|[\s_-])(?:author|authors|auteur|auteurs|byline|signature|"
                       r"author[\s_-]?name|article[\s_-]?author)(?:$|[\s_-])")
_LEAD_RX = re.compile(r"^\W*(?:source\s*:?\s+|(?:(?:écrit|rédigé|publié)e?s?\s+)?(?:par|by|de|from)\s+)", re.I)
# "Par Jeanne Martin", "Par Jeanne Martin et Paul Durand, à Lyon", "By John Smith | Reuters"
_NAMES = r"((?:[A-ZÀ-Ý][\w'’.-]+)(?:\s+(?:[A-ZÀ-Ý][\w'’.-]+|de|du|van|von|da|et|and|&)){0,8})"
# in a line the cleaning classed as a byline: "Publié le 3 mars 2021 par Jean Dupont"
_BY_RX = re.compile(r"(?:^|[\s(])(?:[Pp]ar|[Bb]y)\s+" + _NAMES)
# a line of its own that is nothing but a byline: "Par Jeanne Martin, à Lyon"
_BYLINE_RX = re.compile(r"^\W*(?:[Pp]ar|PAR|[Bb]y|BY)\s+" + _NAMES + r"(?:\s*[,|/·–—-].{0,60})?$")
_NAME_RX = re.compile(r"^[A-ZÀ-Ý][\w'’.-]*(?:\s+(?:[A-ZÀ-Ý][\w'’.-]*|de|du|des|van|von|da|et|and|&)){0,5}$")
_PIECES = re.compile(r"\s*[,·•|/–—]\s*|\s+-\s+")
#: an element inside these is a reader's comment, not the article's byline
_COMMENTS_RX = re.compile(r"comment|commentaire|reaction|réaction|disqus|reply|forum")
#: words a byline has around the name, never a name alone ("By" of an empty "By <span>")
_NOT_NAMES = frozenset("by par von de from autor autorin auteur auteure author text texte photo photos "
                       "source sources".split())
_DATE_RX = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}\b|\b\d{1,2}\s*[hH:]\s*\d{2}\b")


def clean_author(value) -> str | None:
    """One author string from a name, a JSON-LD object or a list of them: "Par "
    removed, a trailing date or outlet cut, names joined by ", "; None when it is not
    a person's or a desk's name (a URL, a date, a sentence)."""
    if isinstance(value, list):
        names = [n for n in (clean_author(v) for v in value[:6]) if n]
        joined = ", ".join(dict.fromkeys(names))
        return joined[:MAX_CHARS] or None
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str):
        return None
    s = " ".join(value.split())
    s = _LEAD_RX.sub("", s)
    m = _DATE_RX.search(s)
    if m:
        s = s[:m.start()]
    if "://" in s or s.startswith(("www.", "@")):
        return None
    names = []  # the leading pieces that are names: "Jeanne Martin, à Lyon" -> "Jeanne Martin"
    for piece in _PIECES.split(s):
        piece = piece.strip(" .;:")
        if not piece or not _NAME_RX.match(piece) or len(piece.split()) > 6 or piece.lower() in _NOT_NAMES:
            break
        names.append(piece)
    s = ", ".join(names)
    return s if s and len(s) <= MAX_CHARS else None


def author_names(author: str | None) -> list[str]:
    """The names of an author string, each a filter value: "Paul Durand, Ana Lima"."""
    return [n.strip() for n in (author or "").split(",") if n.strip()]


# candidates first by one compiled XPath (a page has thousands of elements: 0.5 ms a page
# on news-fr's html_dev), then checked word by word; pages whose body never says any of
# these words are not searched at all (:data:`MAYBE`)
_CANDIDATES = lxml.etree.XPath(
    "//*[@class or @id or @itemprop or @rel][contains(concat(@class, @id, @itemprop, @rel), 'uthor')"
    " or contains(concat(@class, @id), 'yline') or contains(@class, 'auteur') or contains(@class, 'signature')]")
#: a page's markup may name its author only if its text has one of these
MAYBE = re.compile(r"uthor|yline|auteur|signature")


def from_markup(root) -> str | None:
    """The author named by the page's markup (itemprop, rel, class or id)."""
    for el in _CANDIDATES(root):
        if any(_COMMENTS_RX.search(f"{a.get('class') or ''} {a.get('id') or ''}".lower())
               for a in el.iterancestors()) or _COMMENTS_RX.search((el.get("class") or "").lower()):
            continue
        prop = (el.get("itemprop") or "").lower().split()
        rel = (el.get("rel") or "").lower().split()
        words = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        if "author" in prop or (el.tag == "a" and "author" in rel) or (words.strip() and _CLASS_RX.search(words)):
            named = next((c for c in el.iter() if isinstance(c.tag, str)
                          and "name" in (c.get("itemprop") or "").lower().split()), None)
            text = (named if named is not None else el).text_content()
            if len(text) <= 4 * MAX_CHARS:
                got = clean_author(text)
                if got:
                    return got
    return None


def from_meta(meta: dict, ld: dict) -> str | None:
    """The author the page's metadata states: its article's JSON-LD, then meta tags."""
    got = clean_author(ld.get("author")) if ld else None
    for key in META_KEYS:
        if got:
            break
        got = clean_author(meta.get(key))
    return got


def from_dropped(dropped, paragraphs=()) -> str | None:
    """The name in the first byline the cleaning dropped ("Publié le 3 mars par Jean
    Dupont"), else in a short byline line it kept among the first ``paragraphs``."""
    from .text import BYLINE  # the cleaning's reason for a byline line

    lines = [(_BY_RX, d.text) for d in dropped if d.reason == BYLINE]
    lines += [(_BYLINE_RX, p) for p in list(paragraphs)[:3] if len(p) <= 100]
    for rx, line in lines:
        m = rx.search(" ".join(line.split()))
        got = clean_author(m.group(1)) if m else None
        if got:
            return got
    return None
