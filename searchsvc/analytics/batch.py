"""Batch search: a list of names or phrases, one a line, each searched in turn
("which of these people appear in my corpus").

Contract:
    parse_lines(text) -> [Line]                # raises BatchError (French) on bad input
    run_batch(engine, lines, base_params, hits=HITS) -> {"total_lines", "matched_lines", "lines", "notes"}
    open_batch_csv(engine, lines, base_params) -> BatchExport  # every match, labelled by line
    MAX_LINES

Each line is searched as an exact phrase (``"Kim Jong Un"``; synonyms count, as in
a search) unless it already holds query syntax (quotes, ``OR``, ``-word``,
``title:``, ``prefix*``...) or ``exact=False``: then as written. Empty lines and
lines starting with ``#`` are skipped; the line number is the one in the input.
The filters of ``base_params`` (sources, dates, languages...) apply to every line.
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, replace
from typing import Iterator

from searchsvc.analytics.export import CHUNK_CHARS, COLUMNS, Stream, csv_cells, flush, utc_stamp
from searchsvc.search.params import MAX_QUERY_CHARS

MAX_LINES = 500
HITS = 3
MAX_HITS = 20
#: CPU seconds one batch may spend; the lines left are named in ``notes``
CPU_SECONDS = 20.0
CSV_COLUMNS = ("line", "query") + COLUMNS
_SYNTAX_RE = re.compile(r'["*]|(^|\s)(OR|AND|NOT)(\s|$)|(^|\s)-\w|\w:')


class BatchError(ValueError):
    """Bad batch input; ``message`` is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, in the input
    text: str    # as given (stripped)


def parse_lines(text: str) -> list[Line]:
    """The non-empty, non-comment lines of ``text`` (at most :data:`MAX_LINES`)."""
    if not isinstance(text, str):
        raise BatchError("La liste doit être du texte.")
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.replace("\x00", " ").strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_QUERY_CHARS:
            raise BatchError(f"Ligne {i} trop longue ({len(line)} caractères ; {MAX_QUERY_CHARS} au plus).")
        out.append(Line(i, line))
    if not out:
        raise BatchError("La liste est vide : un nom ou une expression par ligne.")
    if len(out) > MAX_LINES:
        raise BatchError(f"Trop de lignes : {len(out)} ({MAX_LINES} au plus).")
    return out


def line_query(text: str, exact: bool = True) -> str:
    """The query a line is searched as: an exact phrase unless it holds query syntax."""
    if not exact or _SYNTAX_RE.search(text) or len(text.split()) < 2:
        return text
    return '"' + text + '"'


def _params(base, line: Line, exact: bool):
    return replace(base, q=line_query(line.text, exact), page=1, copies="all")


def run_lines(lines: list[Line], base_params, exact: bool, answer) -> dict:
    """``answer(line, params)`` for each line in turn (any backend), until
    :data:`CPU_SECONDS` are spent: then a note names the lines left."""
    out = []
    notes = []
    deadline = time.thread_time() + CPU_SECONDS
    for k, line in enumerate(lines):
        if time.thread_time() > deadline:
            notes.append(f"Temps de calcul dépassé : {len(lines) - k} lignes non cherchées, "
                         f"à partir de la ligne {line.number} ; relancez-les à part.")
            break
        out.append(answer(line, _params(base_params, line, exact)))
    return {"total_lines": len(lines), "matched_lines": sum(1 for r in out if r["total"]),
            "lines": out, "notes": notes}


class BatchExport(Stream):
    """Every full match of every line as CSV rows, labelled by line number and text.
    ``rows_of(params)``: a context manager giving the export rows of one search (the
    backend's); one line's rows are held at a time, released when written."""

    def __init__(self, rows_of, lines: list[Line], base_params, exact: bool = True, now=None):
        super().__init__()
        # a plain function: no reference cycle (see the Whoosh backend's export.Export)
        self._chunks = _batch_chunks(rows_of, lines, base_params, exact, utc_stamp(now))


def _batch_chunks(rows_of, lines, base, exact: bool, stamp: str) -> Iterator[str]:
    buf = io.StringIO()
    buf.write(f"# searchsvc batch ; lignes : {len(lines)} ; date : {stamp} ; "
              "chaque ligne cherchée comme une expression exacte sauf syntaxe de requête\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for line in lines:
        with rows_of(_params(base, line, exact)) as line_rows:
            label = csv_cells({"line": line.number, "query": line.text}, ("line", "query"))
            for row in line_rows:
                w.writerow(label + csv_cells(row))
                if buf.tell() >= CHUNK_CHARS:
                    yield flush(buf)
    if buf.tell():
        yield buf.getvalue()


