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

from .html import clean_html
from .meta import describe, load_manifest, merge, sidecar
from .reader import (EXTENSIONS, IngestError, corpus_files, decode, decode_html, doc_id, read_bytes,
                     read_text, sub_id)
from .text import clean_text

__all__ = ["IngestError", "corpus_files", "load_manifest", "extract", "doc_id", "EXTENSIONS",
           "decode", "read_text"]

log = logging.getLogger(__name__)

_TEXT_KEYS = ("text", "body", "content", "article", "contenu", "texte")
_HTML_KEYS = ("html", "raw_html")
_ALIASES = {
    "title": ("title", "titre", "headline"),
    "source": ("source", "site", "publisher", "site_name"),
    "date": ("date", "published", "published_at", "datePublished", "date_published"),
    "url": ("url", "link", "canonical"),
    "lang": ("lang", "language", "langue"),
}


def extract(path, root=None, manifest=None, *, max_bytes: int | None = None) -> list[Article]:
    """Read one corpus file and return its clean article(s).

    ``root`` is the corpus folder (ids and paths are relative to it). ``manifest`` is
    the result of :func:`load_manifest`; when None and ``root`` is given, the root's
    manifest is loaded (cached). ``max_bytes`` overrides ``SEARCHSVC_MAX_BYTES``.
    Raises :class:`IngestError` for a file that yields nothing usable.
    """
    path = Path(path)
    if manifest is None:
        manifest = load_manifest(root) if root is not None else {}
    ident = doc_id(path, root)
    rel = _relpath(path, root)
    ext = path.suffix.lower()
    if ext not in EXTENSIONS and not os.path.isdir(path):
        raise IngestError(f"extension non prise en charge : {ext or '(aucune)'}")
    raw = read_bytes(path, max_bytes)  # a folder listed by corpus_files fails here
    text = decode_html(raw) if ext in (".html", ".htm") else decode(raw)
    side = sidecar(path)

    if ext == ".txt":
        return [_article(ident, rel, side, manifest.get(ident), None, text, "text")]
    if ext in (".html", ".htm"):
        return [_article(ident, rel, side, manifest.get(ident), None, text, "html")]
    return _extract_json(text, ext, ident, rel, side, manifest)


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
        cleaned, page_meta = clean_html(body, lang=forced_lang)
    else:
        cleaned = clean_text(body, known_title=known_title, title_in_text=known_title is None,
                             lang=forced_lang)
    cues = {"title": cleaned.title, "source": cleaned.source, "date": cleaned.date,
            "lang": cleaned.lang}
    m = merge(side, man, fields, page_meta, cues)
    if not cleaned.paragraphs and (kind == "html" or not m["title"]):
        raise IngestError("aucun texte d'article après nettoyage"
                          + (f" (page sans article{describe(m)})" if kind == "html" else ""))
    return Article(id=ident, text=cleaned.text, title=m["title"], source=m["source"],
                   date=m["date"], url=m["url"], lang=m["lang"], path=rel,
                   dropped=cleaned.dropped)


def _object_fields(obj: dict) -> dict:
    out = {}
    for f, keys in _ALIASES.items():
        for k in keys:
            v = obj.get(k)
            if isinstance(v, (str, int, float)) and str(v).strip():
                out[f] = str(v).strip()
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


def _extract_json(text, ext, ident, rel, side, manifest) -> list[Article]:
    objects: list[tuple[int, object]] = []
    single = False
    if ext == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    objects.append((n, json.loads(line)))
                except ValueError as exc:
                    objects.append((n, IngestError(f"ligne {n} : JSON invalide ({exc.msg})")))
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise IngestError(f"JSON invalide : {exc.msg} (ligne {exc.lineno})")
        if isinstance(data, dict):
            objects, single = [(1, data)], True
        elif isinstance(data, list):
            objects = list(enumerate(data, 1))
        else:
            raise IngestError("JSON : un objet ou une liste d'objets est attendu")
    articles: list[Article] = []
    errors: list[str] = []
    used: set[str] = set()
    for n, obj in objects:
        try:
            if isinstance(obj, IngestError):
                raise obj
            if not isinstance(obj, dict):
                raise IngestError(f"élément {n} : un objet JSON est attendu")
            if single:
                sid = ident
            else:
                own = obj.get("id")
                seg = sub_id(own) if isinstance(own, (str, int)) and str(own).strip() else str(n)
                if seg in used:
                    seg = f"{seg}-{n}"
                used.add(seg)
                sid = f"{ident}/{seg}"
            body = _object_body(obj)
            fields = _object_fields(obj)
            if body is None:
                raise IngestError(f"élément {n} : ni texte ni html")
            art = _article(sid, rel, side if single else None, manifest.get(sid), fields,
                           body[0], body[1], known_title=fields.get("title"))
            articles.append(art)
        except IngestError as exc:
            errors.append(exc.reason)
            log.warning("%s : %s", rel, exc.reason)
    if not articles:
        raise IngestError(errors[0] if errors else "aucun article dans le fichier")
    return articles
