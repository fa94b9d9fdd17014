"""The JSON API: search, documents, similar articles, health, reindex."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from searchsvc import config as sconfig
from searchsvc.web import get_engine, get_reindex_job
from searchsvc.web.errors import ApiError
from searchsvc.web.openapi import openapi_document
from searchsvc.web.state import IndexUnavailable

bp = Blueprint("api", __name__)

MAX_ID_LENGTH = 512
SIMILAR_MAX = sconfig.SIMILAR_MAX  # the same bounds as `searchsvc similar --limit`


def parse_search_args(args):
    """``request.args`` -> ``SearchParams``, or a 400 ``ApiError``."""
    from searchsvc.search import QueryError, parse_params

    try:
        return parse_params(args)
    except QueryError as exc:
        raise ApiError(400, "invalid_parameter", _message(exc),
                       field=getattr(exc, "field", None)) from None


def _message(exc) -> str:
    return getattr(exc, "message", None) or getattr(exc, "message_fr", None) or str(exc)


def _not_found(doc_id: str) -> ApiError:
    return ApiError(404, "document_not_found", "Aucun article ne porte cet identifiant.")


def _valid_id(doc_id: str) -> bool:
    return 0 < len(doc_id) <= MAX_ID_LENGTH and "\x00" not in doc_id


@bp.get("/api/search")
def search():
    params = parse_search_args(request.args)
    return jsonify(get_engine().search(params))


@bp.get("/api/timeline")
def timeline():
    """Matches per period (searchsvc.analytics.timeline)."""
    from searchsvc.analytics.timeline import csv_rows, parse_timeline_args

    result = _checked(lambda: get_engine().timeline(parse_timeline_args(_without_format())))
    return _as_csv("chronologie", csv_rows(result)) if _wants_csv() else jsonify(result)


@bp.get("/api/terms")
def terms():
    """Characteristic words of the matches (searchsvc.analytics.terms)."""
    from searchsvc.analytics.terms import csv_rows, parse_terms_args

    result = _checked(lambda: get_engine().terms(parse_terms_args(_without_format())))
    return _as_csv("mots", csv_rows(result)) if _wants_csv() else jsonify(result)


def _wants_csv() -> bool:
    """``format=csv`` (else JSON); any other value is a French 400."""
    fmt = (request.args.get("format") or "").strip() or "json"  # empty: the default
    if fmt not in ("json", "csv"):
        raise ApiError(400, "invalid_parameter", "format : « json » ou « csv » attendu.", field="format")
    return fmt == "csv"


def _without_format():
    """The query string without ``format`` (the analytics parsers know only their own keys)."""
    from werkzeug.datastructures import MultiDict

    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "format"])


def _as_csv(name: str, rows: list[list]):
    """A CSV download (UTF-8, a header row) of ``rows``."""
    import csv
    import io

    from searchsvc.analytics.export import safe_row

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(safe_row(r) for r in rows)
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _checked(fn):
    """``fn()``, a ``QueryError`` (bad parameter) as a 400 ``ApiError``."""
    from searchsvc.search import QueryError

    try:
        return fn()
    except QueryError as exc:
        raise ApiError(400, "invalid_parameter", _message(exc), field=exc.field) from None


@bp.get("/api/documents/<path:doc_id>")
def document(doc_id: str):
    from searchsvc.search import QueryError
    from searchsvc.search.params import flag

    q = request.args.get("q") or None
    try:
        exact = flag(request.args, "exact")
    except QueryError as exc:
        raise ApiError(400, "invalid_parameter", exc.message, field="exact") from None
    doc = get_engine().document(doc_id, q=q, exact=exact) if _valid_id(doc_id) else None
    if doc is None:
        raise _not_found(doc_id)
    return jsonify(doc)


@bp.get("/api/documents/<path:doc_id>/similar")
def similar(doc_id: str):
    raw = (request.args.get("limit") or "").strip() or str(sconfig.SIMILAR_DEFAULT)
    if not raw.isascii() or not raw.isdigit() or not sconfig.SIMILAR_MIN <= int(raw) <= SIMILAR_MAX:
        raise ApiError(400, "invalid_parameter",
                       f"« limit » doit être un entier entre {sconfig.SIMILAR_MIN} et {SIMILAR_MAX}.",
                       field="limit")
    results = get_engine().similar(doc_id, limit=int(raw)) if _valid_id(doc_id) else None
    if results is None:
        raise _not_found(doc_id)
    return jsonify({"id": doc_id, "results": results})


@bp.get("/api/documents/<path:doc_id>/copies")
def copies(doc_id: str):
    """The article's copy group (first publication first) and, with ``compare``, the
    differences from this article to that copy."""
    compare = request.args.get("compare") or None
    if compare is not None and not _valid_id(compare):
        raise ApiError(400, "invalid_parameter", "« compare » n'est pas un identifiant valide.",
                       field="compare")
    got = get_engine().versions(doc_id, compare=compare) if _valid_id(doc_id) else None
    if got is None:
        raise _not_found(doc_id)
    if compare is not None and got["diff"] is None:
        raise ApiError(400, "invalid_parameter",
                       "« compare » doit être une autre version de cet article.", field="compare")
    return jsonify(got)


@bp.get("/api/entities")
def entities():
    """The entities of one kind in a search's result set, with counts and co-occurrence."""
    params = parse_search_args(request.args)
    kind = (request.args.get("kind") or "").strip() or "person"
    if kind not in ("person", "org", "place"):
        raise ApiError(400, "invalid_parameter",
                       "« kind » doit valoir person, org ou place.", field="kind")
    limit = _bounded_int("limit", 50, 1, 200)
    return jsonify(get_engine().entities(params, kind, limit))


@bp.get("/api/quotes")
def quotes():
    """Direct quotations of the matching articles that hold the query's words."""
    params = parse_search_args(request.args)
    speaker = (request.args.get("speaker") or "").strip()[:200] or None
    limit = _bounded_int("limit", 20, 1, 100)
    offset = (params.page - 1) * limit
    return jsonify(get_engine().quotes(params, speaker, limit, offset))


def _bounded_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = (request.args.get(name) or "").strip() or str(default)  # empty: the default
    if not raw.isascii() or not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ApiError(400, "invalid_parameter",
                       f"« {name} » doit être un entier entre {lo} et {hi}.", field=name)
    return int(raw)


@bp.get("/healthz")
def healthz():
    from searchsvc.engine import BackendUnavailable, IndexDamaged, NoIndexError

    try:
        info = get_engine().info()
    except BackendUnavailable as exc:
        resp = jsonify({"status": "backend_unavailable", "documents": 0, "generation": None,
                        "message": exc.message})
        resp.status_code = 503
        return resp
    except IndexDamaged as exc:
        resp = jsonify({"status": "damaged", "documents": 0, "generation": exc.generation,
                        "message": str(exc)})
        resp.status_code = 503
        return resp
    except (IndexUnavailable, NoIndexError):
        resp = jsonify({"status": "no_index", "documents": 0, "generation": None,
                        "message": "Aucun index : lancez « searchsvc reindex »."})
        resp.status_code = 503
        return resp
    return jsonify({"status": "ok", "documents": info.get("documents"),
                    "generation": info.get("generation")})


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document())


# -- reindex (admin) ---------------------------------------------------------

def require_admin() -> None:
    """Bearer token check, in constant time; 403 when no token is configured."""
    token = current_app.config.get("ADMIN_TOKEN")
    if not token:
        raise ApiError(
            403, "admin_disabled",
            "La réindexation par l'API est désactivée. Pour l'activer, définissez la "
            "variable d'environnement SEARCHSVC_ADMIN_TOKEN avant de lancer le service, "
            "puis envoyez l'en-tête « Authorization: Bearer <jeton> ».")
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    ok = scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("latin-1", "replace"), token.encode("utf-8"))
    if not ok:
        raise ApiError(401, "invalid_token",
                       "Jeton d'administration absent ou invalide "
                       "(en-tête « Authorization: Bearer <jeton> »).",
                       headers={"WWW-Authenticate": 'Bearer realm="searchsvc"'})


def _truthy(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "oui", "on")


@bp.post("/api/reindex")
def reindex():
    require_admin()
    body = request.get_json(silent=True) if request.is_json else None
    full = request.args.get("full")
    if full is None and isinstance(body, dict):
        full = body.get("full")
    status_url = url_for("api.reindex_status")
    if not get_reindex_job().start(full=_truthy(full)):
        raise ApiError(409, "reindex_running",
                       f"Une réindexation est déjà en cours ; suivez-la sur {status_url}.",
                       headers={"Location": status_url})
    resp = jsonify({"status": "started", "full": _truthy(full), "status_url": status_url})
    resp.status_code = 202
    resp.headers["Location"] = status_url
    return resp


@bp.get("/api/reindex/status")
def reindex_status():
    require_admin()
    return jsonify(get_reindex_job().status())
