"""Concordance (key word in context): every occurrence of a search's words or
phrases in its matching articles, with about :data:`WIDTH` characters each side.

Contract:
    concordance(engine, params, sort="doc", page=1, per_page=50, width=WIDTH) -> dict
        {"query", "total", "articles", "page", "per_page", "sort", "lines": [line], "notes"}
        line = {"id", "left", "match", "right", "source", "date"} (plain text)
    iter_lines(ms, width) -> Iterator[line]     # on a MatchSet, in the search's order
    SORTS

Occurrences are what the snippets mark (:func:`searchsvc.search.snippets.matched_spans`
with the query's own marks): a phrase or a multi-word synonym is one occurrence from
its first to its last word, never word by word; "munition" finds "munitions". Lines
come from the article bodies, articles in the search's order (relevance, else date),
occurrences in text order; ``sort="left"`` / ``"right"`` orders all lines by the
words just before / after the match (accents and case folded). Reading stops when
:data:`CPU_SECONDS` of CPU are spent: ``total`` then counts the lines of the
articles read, and ``notes`` says so.
"""

from __future__ import annotations

import re

from searchsvc.analysis import fold

WIDTH = 60
SORTS = ("doc", "left", "right")
MAX_PER_PAGE = 500
#: CPU seconds one concordance may spend reading articles
CPU_SECONDS = 5.0

_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+")


def _flat(text: str) -> str:
    return _SPACE_RE.sub(" ", text)


def context(text: str, start: int, end: int, width: int = WIDTH) -> tuple[str, str, str]:
    """``(left, match, right)`` around ``text[start:end]``: about ``width``
    characters each side, cut at a word boundary, whitespace made single spaces."""
    a = max(0, start - width)
    if a > 0:
        sp = text.find(" ", a, start)
        a = sp + 1 if sp != -1 and sp + 1 < start else a
    b = min(len(text), end + width)
    if b < len(text):
        sp = text.rfind(" ", end, b)
        b = sp if sp > end else b
    return (_flat(text[a:start]).lstrip(), _flat(text[start:end]), _flat(text[end:b]).rstrip())


def _left_key(line: dict):
    words = _WORD_RE.findall(fold(line["left"]).lower())
    return (list(reversed(words)), fold(line["match"]).lower())


def _right_key(line: dict):
    return (_WORD_RE.findall(fold(line["right"]).lower()), fold(line["match"]).lower())


NO_WORDS = "La concordance demande des mots à chercher."


def page_of(query: str, lines: list[dict], notes: list[str], articles: int, sort: str,
            page: int, per_page: int | None) -> dict:
    """The concordance object of every line found (any backend): sorted, one page."""
    if sort == "left":
        lines.sort(key=_left_key)
    elif sort == "right":
        lines.sort(key=_right_key)
    total = len(lines)
    if per_page is not None:
        lines = lines[(page - 1) * per_page: page * per_page]
    return {"query": query, "total": total, "articles": articles, "page": page,
            "per_page": per_page if per_page is not None else total, "sort": sort,
            "lines": lines, "notes": notes}


CSV_COLUMNS = ("id", "left", "match", "right", "source", "date")


def csv_text(result: dict) -> str:
    """The lines of :func:`concordance`'s ``result`` as CSV (a ``#`` line first:
    query, total, notes); cells a spreadsheet would read as a formula are quoted
    with an apostrophe, as in the full export."""
    import csv
    import io

    from searchsvc.analytics.export import csv_cells, one_line

    buf = io.StringIO()
    head = f"# searchsvc concordance ; requête : {one_line(result['query'])} ; lignes : {result['total']}"
    for note in result.get("notes") or ():
        head += f" ; remarque : {one_line(note)}"
    buf.write(head + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for line in result["lines"]:
        w.writerow(csv_cells(line, CSV_COLUMNS))
    return buf.getvalue()
