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

    from searchsvc.engine import BackendUnavailable, IndexDamaged, NoIndexError

    @app.errorhandler(IndexUnavailable)
    @app.errorhandler(NoIndexError)
    def _no_index(exc: Exception):
        return error_response(
            503, "no_index",
            "Aucun index n'est encore disponible : lancez « searchsvc reindex » "
            "(le service le prendra en compte sans redémarrage).",
            headers={"Retry-After": "5"})

    @app.errorhandler(IndexDamaged)
    def _damaged_index(exc: IndexDamaged):
        return error_response(503, "index_damaged", str(exc), headers={"Retry-After": "30"})

    @app.errorhandler(BackendUnavailable)
    def _backend_down(exc: BackendUnavailable):
        log.error("backend unavailable on %s %s: %s", request.method, request.path, exc.message)
        return error_response(503, "backend_unavailable", exc.message, headers={"Retry-After": "5"})

    @app.errorhandler(OSError)
    def _os_error(exc: OSError):
        # a file of the service (synonyms, index) unreadable: said in the log with its
        # name, answered without server paths
        from searchsvc.ingest.reader import os_error_message

        log.error("file unreadable on %s %s: %s", request.method, request.path, os_error_message(exc))
        return error_response(
            503, "unavailable", "Service momentanément indisponible : un fichier du service est "
            "illisible (le journal du service dit lequel).", headers={"Retry-After": "5"})

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


# -- errors waitress answers itself (the request never reaches Flask) ----------

# waitress's error body (its English detail) -> a French message
_WAITRESS_DETAILS = (
    ("Bad URI", "Adresse invalide : les caractères hors ASCII doivent être encodés en %XX "
                "(UTF-8), par exemple « Corée » s'écrit Cor%C3%A9e."),
    ("Start line is invalid", "Ligne de requête HTTP invalide."),
    ("Malformed HTTP method", "Méthode HTTP invalide."),
    ("Invalid header", "En-tête HTTP invalide."),
    ("Malformed header line", "En-tête HTTP invalide."),
    ("Bare CR or LF", "Fin de ligne invalide dans la requête HTTP."),
    ("HTTP message header invalid", "En-têtes HTTP invalides."),
    ("Content-Length is invalid", "En-tête Content-Length invalide."),
)
_WAITRESS_STATUS = {
    400: ("bad_request", "Requête HTTP invalide."),
    413: _HTTP_MESSAGES[413],
    431: _HTTP_MESSAGES[431],
    500: _HTTP_MESSAGES[500],
    501: ("not_implemented", "Fonction HTTP non prise en charge (Transfer-Encoding)."),
}
_REASONS = {400: "Bad Request", 413: "Payload Too Large", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented"}


def waitress_error(status: int, detail: str, raw_path: bytes) -> tuple[str, list, bytes]:
    """The response to a request waitress rejected: (status line, headers, body), JSON
    ``{"error": {"code", "message"}}`` under /api/ and /healthz, a French page elsewhere."""
    import html
    import json

    code, message = _WAITRESS_STATUS.get(status, _WAITRESS_STATUS[500 if status >= 500 else 400])
    for english, french in _WAITRESS_DETAILS:
        if detail.startswith(english):
            message = french
            break
    path = raw_path.split(b"?", 1)[0]
    headers = [("Connection", "close"), ("Cache-Control", "no-store"),
               ("X-Content-Type-Options", "nosniff")]
    if path.startswith(b"/api/") or path in (b"/api", b"/healthz"):
        body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
        headers.append(("Content-Type", "application/json; charset=utf-8"))
    else:
        body = ("<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
                f"<title>Erreur {status}</title></head><body><h1>Erreur {status}</h1>"
                f"<p>{html.escape(message)}</p><p><a href=\"/\">Retour à la recherche</a></p>"
                "</body></html>")
        headers.append(("Content-Type", "text/html; charset=utf-8"))
        headers.append(("Content-Security-Policy", "default-src 'none'"))
    data = body.encode("utf-8")
    headers.append(("Content-Length", str(len(data))))
    return f"{status} {_REASONS.get(status, 'Bad Request')}", headers, data


def french_waitress_errors(server) -> None:
    """Make a waitress server (from ``waitress.create_server``) answer the requests it
    rejects itself (invalid UTF-8 in the URL, bad headers...) with :func:`waitress_error`
    instead of its English plain text."""
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer
    from waitress.task import ErrorTask

    class FrenchErrorTask(ErrorTask):
        def execute(self):
            err = self.request.error
            first = getattr(self.request, "first_line", b"") or b""
            parts = first.split(b" ")
            status, headers, body = waitress_error(
                getattr(err, "code", 500), str(getattr(err, "body", "")),
                parts[1] if len(parts) > 1 else b"")
            self.status = status
            self.response_headers.extend(h for h in headers if h[0] != "Content-Length")
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class FrenchChannel(HTTPChannel):
        error_task_class = FrenchErrorTask

    for s in [server, *getattr(server, "map", {}).values()]:
        if isinstance(s, BaseWSGIServer):
            s.channel_class = FrenchChannel
