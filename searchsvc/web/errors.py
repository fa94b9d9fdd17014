"""Errors: JSON ``{"error": {"code", "message"}}`` for the API, a French page otherwise."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from searchsvc.web.state import IndexUnavailable

log = logging.getLogger(__name__)

# HTTP status -> (code, French message) for errors raised by Flask/Werkzeug itself.
_HTTP_MESSAGES = {
    400: ("bad_request", "Requête invalide."),
    401: ("unauthorized", "Authentification requise."),
    403: ("forbidden", "Accès refusé."),
    404: ("not_found", "Cette adresse n'existe pas."),
    405: ("method_not_allowed", "Méthode HTTP non autorisée pour cette adresse."),
    406: ("not_acceptable", "Format de réponse non disponible."),
    408: ("request_timeout", "Délai de requête dépassé."),
    413: ("payload_too_large", "Requête trop volumineuse."),
    414: ("uri_too_long", "Adresse trop longue."),
    415: ("unsupported_media_type", "Type de contenu non pris en charge."),
    431: ("headers_too_large", "En-têtes de requête trop volumineux."),
    500: ("internal_error", "Erreur interne du service. Elle a été consignée."),
    503: ("unavailable", "Service momentanément indisponible."),
}


class ApiError(Exception):
    """An error with an HTTP status, a stable code and a French message."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.field = field
        self.headers = headers or {}


def wants_json() -> bool:
    """API paths always answer JSON; pages answer HTML."""
    path = request.path
    return path.startswith("/api/") or path == "/api" or path == "/healthz"


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict | None = None):
    if wants_json():
        err = {"code": code, "message": message}
        if field:
            err["field"] = field
        resp = jsonify({"error": err})
    else:
        resp = render_template("error.html", status=status, code=code, message=message)
        from flask import make_response

        resp = make_response(resp)
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    resp.headers["Cache-Control"] = "no-store"
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)

    from searchsvc.indexer import NoIndexError

    @app.errorhandler(IndexUnavailable)
    @app.errorhandler(NoIndexError)
    def _no_index(exc: Exception):
        return error_response(
            503, "no_index",
            "Aucun index n'est encore disponible : lancez « searchsvc reindex » "
            "(le service le prendra en compte sans redémarrage).",
            headers={"Retry-After": "5"})

    from searchsvc.indexer import CorruptIndexError

    @app.errorhandler(CorruptIndexError)
    def _damaged_index(exc: CorruptIndexError):
        return error_response(503, "index_damaged", str(exc), headers={"Retry-After": "30"})

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("http_error", exc.name or "Erreur."))
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
        if status == 405 and "Allow" in headers:
            message = f"{message} Méthodes acceptées : {headers['Allow']}."
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # Safety net only: the fuzz tests show that no input reaches it.
        log.exception("unexpected error on %s %s", request.method, request.path)
        code, message = _HTTP_MESSAGES[500]
        return error_response(500, code, message)
