"""Full export: every full match of a search, streamed as CSV or JSON Lines, no cap.

Contract:
    open_export(engine, params, fmt, now=None) -> Export   # searcher held until .close()
    Export: iterable of ``str`` chunks (about 64 KB each); ``.total``, ``.header``
    stream(engine, params, fmt) -> Iterator[str]            # the same, closed when exhausted
    plain_snippet(analyzer, text, terms, phrases) -> str     # the search snippet as plain text
    COLUMNS                                                  # the columns of a row, in order

Rows come in the search's own order (relevance, else date), one per article (every
copy: ``group`` names its copy group), partial matches left out: as many rows as
``total``. The first line records the query, every parameter that changed the rows
(:func:`filters_of`) and the same as a URL query string (``parameters``, from which
:func:`header_params` replays the export), the index generation, the UTC time and the
total: a ``#`` comment in CSV, a ``{"header": {...}}`` object in JSONL. Memory stays flat: rows are produced one by one from the ranked docnums
(one int list) and written in chunks; nothing else grows with the number of rows.

The searcher stays acquired from :func:`open_export` until :meth:`Export.close`
(the WSGI server calls it at the end of the response or when the client goes
away; :func:`stream` calls it when exhausted or closed), through
:meth:`SearchEngine.held_matches`.

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) get a leading apostrophe, as OWASP
advises: a document's text is never executed.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import threading
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import parse_qsl, urlencode

from searchsvc.search.filters import recorded
from searchsvc.search.snippets import snippet

FORMATS = ("csv", "jsonl")
COLUMNS = ("id", "title", "source", "date", "url", "lang", "score", "group", "snippet")
CHUNK_CHARS = 64 * 1024
#: exports running at once in one process (each is a CPU-bound stream)
MAX_CONCURRENT = 2
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}

_MARK_RE = re.compile(r"</?mark>")
_SPACE_RE = re.compile(r"\s+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_slots = threading.BoundedSemaphore(MAX_CONCURRENT)


class ExportBusy(Exception):
    """:data:`MAX_CONCURRENT` exports already run in this process."""


def plain_snippet(analyzer, text: str, terms, phrases=(), spans=None) -> str:
    """The search's snippet of ``text`` (same fragments) as one line of plain text."""
    out = snippet(analyzer, text, terms, phrases=phrases, spans=spans)
    return html.unescape(_MARK_RE.sub("", out))


def one_line(value) -> str:
    """``value`` as one line (newlines and runs of spaces made one space)."""
    return _SPACE_RE.sub(" ", str(value)).strip() if value is not None else ""


def filters_of(params) -> dict:
    """Every parameter of ``params`` that changes the rows or their order, by its API
    name, as recorded in an export's header: the filters that are set
    (:func:`searchsvc.search.filters.recorded`: sources, languages, dates, years,
    person/org/place, exact mode), then the sort, copies and count modes (always)."""
    return {**recorded(params), "sort": params.sort, "copies": params.copies, "count": params.count}


def replay_query(params) -> str:
    """The URL query string that gives the same rows (``/api/export?...``): the
    query and every parameter of :func:`filters_of`."""
    pairs = [("q", params.q)] if params.q else []
    for k, v in filters_of(params).items():
        for one in (v if isinstance(v, list) else [v]):
            pairs.append((k, "1" if one is True else str(one)))
    return urlencode(pairs)


def header_params(header):
    """The ``SearchParams`` an export was made with, from its header alone: the
    JSONL header object, or the first line of a CSV export."""
    from searchsvc.search.params import parse_params

    if isinstance(header, str):
        parts = [p.partition(" : ") for p in header.rstrip("\n").split(" ; ")]
        found = [v for k, _, v in parts if k == "paramètres"]
        if not found:
            raise ValueError("no « paramètres » in this header")
        query = found[0]
    else:
        query = header["parameters"]
    values: dict[str, list[str]] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        values.setdefault(k, []).append(v)
    return parse_params(values)


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def safe_row(row) -> list:
    """A table row for a CSV: text cells a spreadsheet would run as formulas get a
    leading apostrophe (numbers are left as they are)."""
    return [_safe_cell(v) if isinstance(v, str) else v for v in row]


class Stream:
    """Chunks of text produced under one export slot (:data:`MAX_CONCURRENT` per
    process): iterate for ``str`` chunks; :meth:`close` (idempotent; also called
    once the chunks are exhausted) ends the generator and releases what it holds."""

    def __init__(self):
        if not _slots.acquire(blocking=False):
            raise ExportBusy()
        self._closed = False
        self._chunks: Iterator[str] = iter(())
        self._on_close: list = [_slots.release]

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self._closed:
            raise StopIteration
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._chunks.close()
        finally:
            for fn in reversed(self._on_close):
                try:
                    fn()
                except Exception:  # pragma: no cover - releasing is best effort
                    pass

    def __del__(self):  # a stream dropped without close (never the WSGI path)
        try:
            self.close()
        except Exception:
            pass


class RowsExport(Stream):
    """An export whose rows a backend streams itself (OpenSearch: a point in time read
    with ``search_after``); ``on_close`` releases what the rows hold."""

    def __init__(self, header: dict, row_iter: Iterator[dict], fmt: str, on_close=None):
        if fmt not in FORMATS:
            raise ValueError(fmt)
        super().__init__()
        if on_close is not None:
            self._on_close.append(on_close)
        self.fmt, self.header, self.total = fmt, header, header["total"]
        self._chunks = generate(row_iter, fmt, header)


def header_of(params, generation: str, total: int, notes=(), now: datetime | None = None) -> dict:
    """The first line of an export: what was asked, of which index, when, how many rows."""
    return {"query": params.q, "filters": filters_of(params), "parameters": replay_query(params),
            "generation": generation, "exported_at": utc_stamp(now), "total": total,
            "columns": list(COLUMNS), "notes": list(notes)}


def generate(row_iter: Iterator[dict], fmt: str, header: dict) -> Iterator[str]:
    buf = io.StringIO()
    if fmt == "csv":
        write_csv_header(buf, header)
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for row in row_iter:
            w.writerow(csv_cells(row))
            if buf.tell() >= CHUNK_CHARS:
                yield flush(buf)
    else:
        buf.write(json.dumps({"header": header}, ensure_ascii=False) + "\n")
        for row in row_iter:
            buf.write(json.dumps(row, ensure_ascii=False) + "\n")
            if buf.tell() >= CHUNK_CHARS:
                yield flush(buf)
    if buf.tell():
        yield buf.getvalue()


def utc_stamp(now: datetime | None = None) -> str:
    """``now`` (default: the current time) as RFC 3339 UTC, to the second."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def flush(buf: io.StringIO) -> str:
    """What ``buf`` holds, emptying it."""
    out = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return out


def csv_cells(row: dict, columns=COLUMNS) -> list[str]:
    return [_csv_value(row[c]) for c in columns]


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return _safe_cell(str(v))


def _free(text) -> str:
    """A free text of the CSV comment line (query, note) on one line, its " ; " kept
    from reading as a separator (a narrow no-break space after the semicolon)."""
    return one_line(text).replace(" ; ", " ;\u202f")


def write_csv_header(buf, header: dict) -> None:
    """The ``#`` comment line of a CSV export."""
    f = header["filters"]
    parts = [f"{k}={' | '.join(v) if isinstance(v, list) else 'oui' if v is True else v}"
             for k, v in f.items() if v]
    line = (f"# searchsvc export ; requête : {_free(header['query']) or '(vide)'} ; "
            f"filtres : {_free(', '.join(parts)) or 'aucun'} ; "
            f"paramètres : {header['parameters']} ; génération : {header['generation']} ; "
            f"date : {header['exported_at']} ; articles : {header['total']}")
    for note in header.get("notes") or ():
        line += f" ; remarque : {_free(note)}"
    buf.write(line + "\n")


def stream(engine, params, fmt: str) -> Iterator[str]:
    """The chunks of an export; the searcher is released when exhausted or closed."""
    exp = engine.open_export(params, fmt)
    try:
        yield from exp
    finally:
        exp.close()
