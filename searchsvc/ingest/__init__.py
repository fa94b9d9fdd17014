"""Ingestion: corpus files -> clean :class:`~searchsvc.article.Article` objects.

Public API (used by the indexer, the CLI and the benchmarks)::

    corpus_files(root) -> list[Path]      # sorted, recursive, article files only
    load_manifest(root) -> dict[str, dict]
    extract(path, root=None, manifest=None) -> list[Article]
    doc_id(path, root) -> str
    IngestError(reason)                   # .reason: one line of French

Modules: :mod:`.reader` (walk, size limit, decoding, bad files), :mod:`.text`
(plain-text boilerplate), :mod:`.html` (HTML extraction and page metadata),
:mod:`.meta` (dates, cues, sidecar/manifest precedence), :mod:`.lang` (language).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from searchsvc.article import Article

from .meta import describe, load_manifest, merge, sidecar
from .reader import (EXTENSIONS, IngestError, corpus_files, decode, decode_html, doc_id,
                     json_reason, jsonl_lines, line_boundaries, max_bytes, read_bytes, read_text,
                     sub_id)

# .html (lxml, htmldate, trafilatura) and .text (language detection) are imported when
# a file is first cleaned, not here: a reindex that finds nothing changed never needs them

__all__ = ["IngestError", "corpus_files", "load_manifest", "extract", "iter_extract", "doc_id",
           "EXTENSIONS", "decode", "read_text", "JsonlPart", "jsonl_parts"]

log = logging.getLogger(__name__)

_TEXT_KEYS = ("text", "body", "content", "article", "contenu", "texte")
_HTML_KEYS = ("html", "raw_html")
_ALIASES = {
    "title": ("title", "titre", "headline"),
    "source": ("source", "site", "publisher", "site_name"),
    "date": ("date", "published", "published_at", "datePublished", "date_published"),
    "url": ("url", "link", "canonical"),
    "lang": ("lang", "language", "langue"),
    "author": ("author", "authors", "auteur", "auteurs", "byline"),
}


def extract(path, root=None, manifest=None, *, max_bytes: int | None = None,
            errors: list | None = None) -> list[Article]:
    """Read one corpus file and return its clean article(s).

    ``root`` is the corpus folder (ids and paths are relative to it). ``manifest`` is
    the result of :func:`load_manifest`; when None and ``root`` is given, the root's
    manifest is loaded (cached). ``max_bytes`` overrides ``SEARCHSVC_MAX_BYTES`` (the
    limit of one article: a whole file, or one line of a ``.jsonl``). The reasons of
    the objects of a ``.json``/``.jsonl`` that were skipped are appended to
    ``errors``. Raises :class:`IngestError` for a file that yields nothing usable.
    """
    errors = [] if errors is None else errors
    articles = list(iter_extract(path, root, manifest, max_bytes=max_bytes, errors=errors))
    if not articles:
        raise IngestError(errors[0] if errors else "aucun article dans le fichier")
    return articles


def iter_extract(path, root=None, manifest=None, *, max_bytes: int | None = None,
                 errors: list | None = None, part: "JsonlPart | None" = None):
    """:func:`extract` as a generator, which reads a ``.jsonl`` as a stream; ``part``
    (from :func:`jsonl_parts`) restricts it to one part of the file. Yields nothing
    (and fills ``errors``) when no object of a .json/.jsonl is usable."""
    path = Path(path)
    errors = [] if errors is None else errors
    if manifest is None:
        manifest = load_manifest(root) if root is not None else {}
    ident = doc_id(path, root)
    rel = _relpath(path, root)
    ext = path.suffix.lower()
    if ext not in EXTENSIONS and not os.path.isdir(path):
        raise IngestError(f"extension non prise en charge : {ext or '(aucune)'}")
    if ext == ".jsonl":
        if part is None:
            lines, namer = jsonl_lines(path, max_bytes), SegmentNamer()
        else:
            lines = jsonl_lines(path, max_bytes, part.start, part.end, part.first_line)
            namer = SegmentNamer(part.names)
        objects = (_parse_line(n, line) for n, line in lines)
        yield from _json_articles(objects, False, namer, ident, rel, None, manifest, errors)
        return
    raw = read_bytes(path, max_bytes)  # a folder listed by corpus_files fails here
    text = decode_html(raw) if ext in (".html", ".htm") else decode(raw)
    side = sidecar(path)

    if ext == ".txt":
        yield _article(ident, rel, side, manifest.get(ident), None, text, "text")
    elif ext in (".html", ".htm"):
        yield _article(ident, rel, side, manifest.get(ident), None, text, "html")
    else:
        objects, single = _json_objects(text)
        yield from _json_articles(objects, single, SegmentNamer(), ident, rel, side, manifest,
                                  errors)


def _relpath(path: Path, root) -> str:
    if root is None:
        return path.name
    rel = os.path.relpath(path, root)
    return path.name if rel == ".." or rel.startswith(".." + os.sep) else rel.replace(os.sep, "/")


def _article(ident, rel, side, man, fields, body, kind, known_title=None) -> Article:
    forced_lang = None
    for layer in (side, man, fields):
        if layer and layer.get("lang"):
            forced_lang = str(layer["lang"]).strip() or None
            break
    page_meta: dict = {}
    if kind == "html":
        from .html import clean_html

        cleaned, page_meta = clean_html(body, lang=forced_lang)
    else:
        from .text import clean_text

        cleaned = clean_text(body, known_title=known_title, title_in_text=known_title is None,
                             lang=forced_lang)
    from .author import from_dropped

    cues = {"title": cleaned.title, "source": cleaned.source, "date": cleaned.date,
            "lang": cleaned.lang, "author": from_dropped(cleaned.dropped, cleaned.paragraphs)}
    m = merge(side, man, fields, page_meta, cues)
    if not cleaned.paragraphs and (kind == "html" or not m["title"]):
        raise IngestError("aucun texte d'article après nettoyage"
                          + (f" (page sans article{describe(m)})" if kind == "html" else ""))
    return Article(id=ident, text=cleaned.text, title=m["title"], source=m["source"],
                   date=m["date"], url=m["url"], lang=m["lang"], path=rel, author=m["author"],
                   dropped=cleaned.dropped)


def _object_fields(obj: dict) -> dict:
    out = {}
    for f, keys in _ALIASES.items():
        for k in keys:
            v = obj.get(k)
            if isinstance(v, (str, int, float)) and str(v).strip():
                out[f] = str(v).strip()
                break
            if f == "author" and isinstance(v, (list, dict)) and v:  # JSON-LD-like names
                out[f] = v
                break
    return out


def _object_body(obj: dict) -> tuple[str, str] | None:
    for k in _HTML_KEYS:
        if isinstance(obj.get(k), str) and obj[k].strip():
            return obj[k], "html"
    parts = []
    if isinstance(obj.get("lead"), str):
        parts.append(obj["lead"])
    for k in _TEXT_KEYS:
        v = obj.get(k)
        if isinstance(v, str) and v.strip():
            parts.append(v)
            break
        if isinstance(v, list):
            parts.extend(str(x) for x in v if isinstance(x, str))
            break
    if isinstance(obj.get("paragraphs"), list):
        parts.extend(str(x) for x in obj["paragraphs"] if isinstance(x, str))
    body = "\n\n".join(p.strip() for p in parts if p and p.strip())
    return (body, "text") if body else None


def _parse_line(n: int, line):
    if isinstance(line, IngestError):
        return n, line
    try:
        return n, json.loads(line)
    except ValueError as exc:
        return n, IngestError(f"ligne {n} : JSON invalide ({json_reason(exc)}, colonne {exc.colno})")


def _json_objects(text: str):
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise IngestError(f"JSON invalide : {json_reason(exc)} (ligne {exc.lineno}, colonne {exc.colno})")
    if isinstance(data, dict):
        return [(1, data)], True
    if isinstance(data, list):
        return list(enumerate(data, 1)), False
    raise IngestError("JSON : un objet ou une liste d'objets est attendu")


class SegmentNamer:
    """The last id segment of each object of a .json/.jsonl file: its own ``id``
    (URL-safe), else its line/element number; a segment already used in the file
    gets ``-<number>`` appended. ``names`` (line -> segment, from
    :func:`jsonl_parts`) fixes the segments decided by earlier parts of the file."""

    def __init__(self, names: dict | None = None):
        self.fixed = names
        self.used: set[str] = set()

    @staticmethod
    def natural(n: int, obj: dict) -> str:
        own = obj.get("id")
        return sub_id(own) if isinstance(own, (str, int)) and str(own).strip() else str(n)

    def name(self, n: int, obj: dict) -> str:
        seg = self.natural(n, obj)
        if self.fixed is not None:
            return self.fixed.get(n, seg)
        base = seg
        while seg in self.used:
            seg = f"{base}-{n}" if seg == base else f"{seg}-{n}"
        self.used.add(seg)
        return seg


def _json_articles(objects, single, namer, ident, rel, side, manifest, errors):
    """Articles of the (number, object or IngestError) pairs of a JSON file."""
    for n, obj in objects:
        try:
            if isinstance(obj, IngestError):
                raise obj
            if not isinstance(obj, dict):
                raise IngestError(f"élément {n} : un objet JSON est attendu")
            sid = ident if single else f"{ident}/{namer.name(n, obj)}"
            body = _object_body(obj)
            fields = _object_fields(obj)
            if body is None:
                raise IngestError(f"élément {n} : ni texte ni html")
            yield _article(sid, rel, side if single else None, manifest.get(sid), fields,
                           body[0], body[1], known_title=fields.get("title"))
        except IngestError as exc:
            errors.append(exc.reason)  # the caller reports them (reindex summary, extract)
            log.debug("%s : %s", rel, exc.reason)


class JsonlPart:
    """Part ``index`` of ``count`` of a big .jsonl file: bytes ``start..end``, the
    number of its first line, and the id segments that differ from each object's
    own (fixed by the lines before it: see :class:`SegmentNamer`)."""

    __slots__ = ("index", "count", "start", "end", "first_line", "names")

    def __init__(self, index, count, start, end, first_line, names):
        self.index, self.count, self.start, self.end = index, count, start, end
        self.first_line, self.names = first_line, names

    def __reduce__(self):
        return (JsonlPart, (self.index, self.count, self.start, self.end, self.first_line,
                            self.names))


def jsonl_parts(path, part_bytes: int, limit: int | None = None):
    """Cut a .jsonl file into :class:`JsonlPart` (lazily) so that several processes
    can index it, each part giving exactly the ids the whole file would give.

    Each part's lines are parsed once here, for the ids only (a line's segment
    depends on the lines before it); a file that cannot be streamed (UTF-16)
    gives a single part.
    """
    limit = max_bytes(limit)
    with open(path, "rb") as f:
        head = f.read(4096)
    streamable = not (head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head)
    cuts = line_boundaries(path, part_bytes) if streamable else [0, os.path.getsize(path)]
    namer = SegmentNamer()
    line = 1
    for k, (start, end) in enumerate(zip(cuts, cuts[1:])):
        names = {}
        for n, text in jsonl_lines(path, limit, start, end, line):
            if isinstance(text, IngestError):
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                continue
            if isinstance(obj, dict):
                seg = namer.name(n, obj)
                if seg != SegmentNamer.natural(n, obj):
                    names[n] = seg
        # line numbers advance by the newlines of the part, blank lines included
        with open(path, "rb") as f:
            f.seek(start)
            newlines = f.read(end - start).count(b"\n")
        yield JsonlPart(k, len(cuts) - 1, start, end, line, names)
        line += newlines


