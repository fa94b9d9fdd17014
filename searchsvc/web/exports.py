"""Routes of the take-away analytics: concordance, full export, batch search, Atom
feed (API and pages). Each route parses its parameters, calls one function of
:mod:`searchsvc.analytics`, renders."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from searchsvc.analytics import batch, concordance, export, feeds
from searchsvc.web import get_engine
from searchsvc.web.api import parse_search_args
from searchsvc.search.params import QueryError, flag
from searchsvc.web.errors import ApiError

bp = Blueprint("exports", __name__)

#: parameters of these routes that are not search parameters
OWN_KEYS = ("format", "page", "per_page", "sort", "lines", "text", "hits", "as_written", "file")
CONCORDANCE_SORTS = ("relevance", "newest", "oldest", "left", "right")
BATCH_FORMATS = ("json", "csv")


def _search_params(values: MultiDict, sort: str | None = None):
    """The search parameters of a request, without this module's own keys."""
    args = MultiDict(values)
    for key in OWN_KEYS:
        args.poplist(key)
    month = args.get("month")
    if month:  # the search page's month shortcut
        args.setlist("date_from", [month])
        args.setlist("date_to", [month])
    args.poplist("month")
    if sort:
        args.setlist("sort", [sort])
    return parse_search_args(args)


def _choice(values, key: str, allowed, default: str) -> str:
    v = (values.get(key) or "").strip() or default
    if v not in allowed:
        raise ApiError(400, "invalid_parameter",
                       f"Valeur inconnue pour « {key} » : « {v[:40]} » (valeurs possibles : "
                       f"{', '.join(allowed)}).", field=key)
    return v


def _int(values, key: str, default: int, lo: int, hi: int) -> int:
    v = (values.get(key) or "").strip()
    if not v:
        return default
    if not re.fullmatch(r"\+?\d{1,9}", v) or not lo <= int(v) <= hi:
        raise ApiError(400, "invalid_parameter",
                       f"« {key} » doit être un entier entre {lo} et {hi} (reçu « {v[:40]} »).", field=key)
    return int(v)


def _slug(q: str) -> str:
    s = re.sub(r"[^\w]+", "-", q, flags=re.ASCII).strip("-").lower()[:40]
    return s or "tout"


def _download(chunks, media_type: str, filename: str) -> Response:
    resp = Response(chunks, mimetype=media_type.split(";")[0], direct_passthrough=False)
    resp.headers["Content-Type"] = media_type
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _busy() -> ApiError:
    return ApiError(503, "too_many_exports",
                    f"Trop d'exports en cours ({export.MAX_CONCURRENT} au plus à la fois) : "
                    "réessayez dans un instant.", headers={"Retry-After": "5"})


# -- concordance ---------------------------------------------------------------

def _concordance(values):
    sort = _choice(values, "sort", CONCORDANCE_SORTS, "relevance")
    params = _search_params(values, None if sort in ("left", "right") else sort)
    fmt = _choice(values, "format", ("json", "csv"), "json")
    page = _int(values, "page", 1, 1, 100_000)
    per_page = _int(values, "per_page", 50, 1, concordance.MAX_PER_PAGE)
    kind = sort if sort in ("left", "right") else "doc"
    if fmt == "csv":
        got = get_engine().concordance(params, sort=kind, per_page=None)
        return got, fmt, params
    got = get_engine().concordance(params, sort=kind, page=page, per_page=per_page)
    got["sort"] = sort
    return got, fmt, params


@bp.get("/api/concordance")
def api_concordance():
    got, fmt, params = _concordance(request.args)
    if fmt == "csv":
        return _download(concordance.csv_text(got), "text/csv; charset=utf-8",
                         f"concordance-{_slug(params.q)}.csv")
    return jsonify(got)


@bp.get("/concordance")
def page_concordance():
    try:
        got, fmt, params = _concordance(request.args) if (request.args.get("q") or "").strip() else (None, "json", None)
        error = None
    except ApiError as exc:
        got, fmt, error = None, "json", exc
    if fmt == "csv" and got is not None:
        return _download(concordance.csv_text(got), "text/csv; charset=utf-8",
                         f"concordance-{_slug(params.q)}.csv")
    pages = 0
    if got:
        pages = max(1, -(-got["total"] // got["per_page"])) if got["per_page"] else 1
    return render_template("concordance.html", result=got, error=error, pages=pages,
                           q=request.args.get("q", ""), sort=request.args.get("sort", "relevance"),
                           link=analytics_url), (400 if error else 200)


# -- export --------------------------------------------------------------------

@bp.get("/api/export")
def api_export():
    fmt = _choice(request.args, "format", export.FORMATS, "csv")
    params = _search_params(request.args, request.args.get("sort") or None)
    try:
        stream = get_engine().open_export(params, fmt)
    except export.ExportBusy:
        raise _busy() from None
    resp = _download(stream, export.MEDIA_TYPES[fmt], f"export-{_slug(params.q)}.{fmt}")
    resp.headers["X-Total-Count"] = str(stream.total)
    return resp


# -- batch ---------------------------------------------------------------------

def _batch_input():
    """(lines, base params, exact, hits) of a batch request (form, file or JSON)."""
    values = MultiDict(request.args)
    text = None
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_parameter", "Corps JSON invalide : un objet est attendu.",
                           field="lines")
        raw = body.get("lines")
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            text = "\n".join(raw)
        elif isinstance(raw, str):
            text = raw
        elif raw is not None:
            raise ApiError(400, "invalid_parameter",
                           "« lines » doit être une liste de textes ou un texte.", field="lines")
        for k, v in body.items():
            if k != "lines" and isinstance(v, (str, int)):
                values.add(k, str(v))
            elif k != "lines" and isinstance(v, list):
                for x in v:
                    if isinstance(x, (str, int)):
                        values.add(k, str(x))
    else:
        values.update(request.form)
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data = upload.read()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", "replace")
        if not (text or "").strip():
            text = request.form.get("lines")
    if text is None:
        raise ApiError(400, "invalid_parameter",
                       "Donnez la liste : « lines » (un nom ou une expression par ligne) ou un fichier.",
                       field="lines")
    try:
        lines = batch.parse_lines(text)
    except batch.BatchError as exc:
        raise ApiError(400, "invalid_parameter", exc.message, field="lines") from None
    # each line an exact phrase unless ``as_written=1`` (``exact`` is the exact mode of the filters)
    try:
        exact = not flag(values, "as_written")
    except QueryError as exc:
        raise ApiError(400, "invalid_parameter", exc.message, field="as_written") from None
    hits = _int(values, "hits", batch.HITS, 0, batch.MAX_HITS)
    return lines, _search_params(values, values.get("sort") or None), exact, hits, values


@bp.post("/api/batch")
def api_batch():
    lines, params, exact, hits, values = _batch_input()
    fmt = _choice(values, "format", BATCH_FORMATS, "json")
    engine = get_engine()
    if fmt == "csv":
        engine.info()  # no index: 503 before anything is sent
        try:
            stream = engine.open_batch_csv(lines, params, exact)
        except export.ExportBusy:
            raise _busy() from None
        return _download(stream, "text/csv; charset=utf-8", "recherche-par-lot.csv")
    return jsonify(engine.batch(lines, params, hits=hits, exact=exact))


@bp.route("/batch", methods=["GET", "POST"])
def page_batch():
    result = error = None
    text = ""
    if request.method == "POST":
        text = request.form.get("lines", "")
        try:
            lines, params, exact, hits, values = _batch_input()
            result = get_engine().batch(lines, params, hits=hits, exact=exact)
        except ApiError as exc:
            error = exc
    return render_template("batch.html", result=result, error=error, text=text,
                           max_lines=batch.MAX_LINES), (400 if error else 200)


# -- Atom feed -------------------------------------------------------------------

@bp.get("/feeds/search.atom")
def feed():
    params = _search_params(request.args)
    got = get_engine().newest(params)
    page_url = url_for("pages.search", _external=True, **_search_args())
    self_url = url_for("exports.feed", _external=True, **_search_args())
    title = f"searchsvc : {params.q}" if params.q else "searchsvc : derniers articles"
    xml = feeds.atom(got, self_url, page_url, request.host_url, title)
    resp = Response(xml, mimetype="application/atom+xml")
    resp.headers["Content-Type"] = feeds.MEDIA_TYPE
    resp.headers["Cache-Control"] = "no-cache"
    return resp


# -- links from the search page ----------------------------------------------------

def _search_args() -> dict:
    """The current request's search parameters (no paging) as url_for keywords."""
    args = MultiDict(request.args)
    for key in ("page", "per_page", "format"):
        args.poplist(key)
    return args.to_dict(flat=False)


def analytics_url(endpoint: str, **extra) -> str:
    """The URL of ``endpoint`` with the current search's parameters and ``extra``."""
    args = _search_args()
    for k, v in extra.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = [v]
    return url_for(endpoint, **args)


@bp.app_context_processor
def _helpers():
    from searchsvc.web.pages import FILTER_KEYS

    return {"analytics_url": analytics_url, "page_filter_keys": FILTER_KEYS}
