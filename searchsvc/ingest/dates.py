"""The publication day of an HTML page: the page's own metadata, checked against htmldate.

Measured on html-diverse's 598 dated pages (bench/extract_quality.py): our metadata rules
alone found the right day on 65 % of them, htmldate (``find_date(original_date=True)``) on
90 %; most of our misses had no date at all (visible text, meta names we did not read).
So the day comes from:

1. the page's publication metadata (JSON-LD ``datePublished``/``dateCreated``, ``article:
   published_time``, ``DC.date``, ``citation_date``, ``itemprop="datePublished"``...) when all
   of it agrees on one local day: a publisher that states its date consistently is trusted,
   and htmldate is not called (it costs ~6 ms a page);
2. otherwise htmldate, given the page without its sidebars, comment sections and embedded
   posts (their ``<time>`` belongs to someone else);
3. otherwise the first metadata date, then the first ``<time datetime>`` outside those parts.

Timestamps keep the day of their own offset ("2020-05-08T00:30:00+02:00" is the 8th). A UTC
timestamp ("...T22:30:00Z") is not the local day of a European publisher: it is replaced by
another stamp of the same instant with a local offset when the page has one, else converted to
the time zone of the page's language when that language has one (fr, de, it...: Central
European Time), else left to htmldate (which reads the visible text) and then to its UTC day.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
import warnings
from email.utils import parsedate_to_datetime

from .meta import parse_date

# meta names (lower-cased) that state the original publication, best first
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "published_time",
    "datepublished", "publishdate", "publish-date", "publish_date", "publication_date",
    "pubdate", "date", "dc.date", "dc:date", "dc.date.issued", "dc.date.created", "dcterms.date",
    "dcterms.created", "dcterms.issued", "citation_publication_date", "citation_date",
    "citation_online_date", "bepress_citation_date", "parsely-pub-date", "vr:published-time",
    "article.published", "originalpublicationdate", "datecreated", "created",
)
MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
                 "last-modified", "dcterms.modified")
LD_PUBLISHED = ("datePublished", "dateCreated")

# parts of a page whose dates are not the article's: sidebars, teasers, comments, embeds
_FOREIGN_TAGS = frozenset("aside nav iframe blockquote".split())
# a class or id token that starts with one of these words (then "-", "_" or nothing)
_FOREIGN_CLASS = re.compile(
    r"^(?:sidebar|widget|related|teaser|recommend\w*|comments?|commentlist|reply|replies|"
    r"twitter-tweet|tweet|instagram-media|tiktok-embed|embed|more-stories|popular|"
    r"most-read|trending|archive|calendar)(?:$|[_-])")

_STAMP = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
                    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?", re.I)
# languages whose publishers are (nearly all) on Central European Time
_CET_LANGS = frozenset("fr de it es nl pl cs sk sl hr sr hu da sv no nb nn lb bs mk sq".split())


class Stamp:
    """One date read from the page: its day as written, the wall-clock time as written
    (naive, when there is one), its UTC offset (when stated) and whether that is UTC."""

    __slots__ = ("day", "wall", "offset")

    def __init__(self, day: str, wall: _dt.datetime | None = None, offset: _dt.timedelta | None = None):
        self.day = day
        self.wall = wall
        self.offset = offset

    @property
    def utc(self) -> _dt.datetime | None:
        """The instant, for a stamp stated in UTC."""
        if self.wall is not None and self.offset == _dt.timedelta(0):
            return self.wall.replace(tzinfo=_dt.timezone.utc)
        return None

    def same_instant_as(self, u: _dt.datetime) -> bool:
        """This (non-UTC) stamp is the UTC instant ``u`` shown in some zone within ±14 h."""
        if self.wall is None:
            return False
        if self.offset is not None:
            return abs((self.wall - self.offset) - u.replace(tzinfo=None)) <= _dt.timedelta(minutes=2)
        shift = self.wall - u.replace(tzinfo=None)
        return abs(shift) <= _dt.timedelta(hours=14) and shift % _dt.timedelta(minutes=15) <= _dt.timedelta(minutes=2)


def _eu_summer(t: _dt.datetime) -> bool:
    """EU daylight-saving time: last Sunday of March 01:00 UTC to last Sunday of October."""
    def last_sunday(month: int) -> _dt.datetime:
        d = _dt.datetime(t.year, month, 31, 1, tzinfo=_dt.timezone.utc)
        return d - _dt.timedelta(days=(d.weekday() + 1) % 7)
    return last_sunday(3) <= t < last_sunday(10)


def local_day(utc: _dt.datetime, lang: str | None) -> str | None:
    """The day of a UTC instant where the page's language is spoken, when that is one zone."""
    code = (lang or "").lower().replace("_", "-").split("-")[0]
    if code in _CET_LANGS:
        return (utc + _dt.timedelta(hours=2 if _eu_summer(utc) else 1)).date().isoformat()
    return None


def parse_stamp(value) -> Stamp | None:
    """A :class:`Stamp` from an ISO-like timestamp, an RFC 2822 date or any form that
    :func:`~searchsvc.ingest.meta.parse_date` reads; None if there is no date."""
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    m = _STAMP.search(s)
    if m:
        try:
            day = _dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        if not 1000 <= day.year <= 2999:
            return None
        wall = offset = None
        if m[4] is not None:
            try:
                wall = _dt.datetime(day.year, day.month, day.day, int(m[4]), int(m[5]), int(m[6] or 0))
            except ValueError:
                wall = None
            zone = (m[7] or "").upper().replace(":", "")
            if zone in ("Z", "UTC", "GMT"):
                offset = _dt.timedelta(0)
            elif zone:
                sign = -1 if zone[0] == "-" else 1
                offset = sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        return Stamp(day.isoformat(), wall, offset)
    if re.search(r"\d{1,2}:\d{2}", s) and re.search(r"[A-Za-z]{3},?\s+\d", s):
        try:
            t = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            t = None
        if t is not None:
            return Stamp(t.date().isoformat(), t.replace(tzinfo=None), t.utcoffset())
    day = parse_date(s)
    return Stamp(day) if day else None


def _foreign(el) -> bool:
    """Inside a sidebar, teaser list, comment section or embedded post (looked for up to
    the nearest header, article or main element)."""
    for a in (el, *el.iterancestors()):
        tag = a.tag
        if tag in _FOREIGN_TAGS:
            return True
        words = f"{a.get('class') or ''} {a.get('id') or ''}".lower().split()
        if any(_FOREIGN_CLASS.match(w) for w in words):
            return True
        if tag in ("header", "article", "main", "body"):
            return False
    return False


def time_stamps(root) -> tuple[list[Stamp], list[Stamp]]:
    """(``itemprop="datePublished"`` elements, other ``<time datetime>`` elements, the
    ``pubdate`` ones first) outside sidebars, comments and embedded posts."""
    itemprop, first, rest = [], [], []
    for el in root.iter("time", "span", "div", "p", "abbr"):
        value = el.get("datetime") or (el.get("content") if el.get("itemprop") == "datePublished" else None)
        if not value or _foreign(el):
            continue
        if el.tag != "time" and el.get("itemprop") != "datePublished":
            continue
        st = parse_stamp(value)
        if st is None:
            continue
        if el.get("itemprop") == "datePublished":
            itemprop.append(st)
        else:
            (first if el.get("pubdate") is not None or "publish" in (el.get("class") or "") else rest).append(st)
    return itemprop, first + rest


def _resolve_utc(stamps: list[Stamp], lang: str | None, others: list[Stamp] = ()) -> list[tuple[str, bool]]:
    """(local day, sure) of each stamp. A UTC stamp takes the day of another stamp of the
    page (in ``stamps`` or ``others``) that shows the same instant in a local zone, else the day in the
    page language's zone; in an unknown zone the UTC day is sure only between 08:00 and
    16:00, where no zone from UTC-8 to UTC+8 changes the day (else htmldate decides)."""
    out = []
    for s in stamps:
        u = s.utc
        if u is None:
            out.append((s.day, True))
            continue
        twins = {t.day for t in (*stamps, *others) if t.utc is None and t.same_instant_as(u)}
        if len(twins) == 1:
            out.append((twins.pop(), True))
            continue
        day = local_day(u, lang)
        if day is not None:
            out.append((day, True))
        else:
            out.append((s.day, 8 <= u.hour < 16))
    return out


def htmldate_day(root) -> str | None:
    """htmldate's original publication day for a parsed page. When the day it finds is
    only in the ``<time>`` of a comment, a sidebar or an embedded post, it is asked again
    without those elements (it works on a copy of the page either way)."""
    day = _find_date(root)
    if day is None:
        return None
    foreign = own = False
    for t in root.iter("time"):
        st = parse_stamp(t.get("datetime"))
        if st is not None and st.day == day:
            if _foreign(t):
                foreign = True
            else:
                own = True
    if foreign and not own:
        root = copy.deepcopy(root)
        for t in [t for t in root.iter("time") if _foreign(t)]:
            t.drop_tree()
        day = _find_date(root)
    return day


def _find_date(root) -> str | None:
    from htmldate import find_date

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = find_date(root, original_date=True)
        except Exception:  # htmldate/dateparser failures must never lose a page
            return None
    return found[:10] if found else None


def publication_day(published: list[Stamp], modified: list[Stamp], times: list[Stamp],
                    lang: str | None, htmldate=None) -> str | None:
    """The page's publication day (see the module docstring). ``published`` holds the
    metadata stamps (``itemprop="datePublished"`` elements included), ``times`` the other
    ``<time>`` elements; ``htmldate`` is a zero-argument callable, called only when needed."""
    days = _resolve_utc(published, lang, times + modified)
    if days and all(sure for _, sure in days) and len({d for d, _ in days}) == 1:
        return days[0][0]
    found = htmldate() if htmldate is not None else None
    own_times = _resolve_utc(times, lang, published)
    if found and own_times and not days and found not in {d for d, _ in own_times} \
            and found in {d for d, _ in _resolve_utc(modified, lang, published)}:
        return own_times[0][0]  # htmldate took the modification, the page shows a <time>
    if found:
        return found
    for group in (days, own_times, _resolve_utc(modified, lang, published)):
        if group:
            return group[0][0]
    return None
