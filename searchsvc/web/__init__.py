"""The web service: a French search page and a JSON API over one search engine.

``create_app(config=None)`` builds the Flask app. Configuration keys (all
optional; the environment gives the defaults through :mod:`searchsvc.config`):

``INDEX_DIR``, ``CORPUS_DIR``, ``SYNONYMS_PATH``
    where the index and the corpus live;
``ADMIN_TOKEN``
    the bearer token of the reindex endpoints (``SEARCHSVC_ADMIN_TOKEN``);
    unset or empty disables them;
``REINDEX_NICE``
    CPU niceness of the reindex child process started by ``POST /api/reindex``
    (default 10: searches stay fast while it runs);
``REINDEX_STATUS_FILE``
    a JSON file through which several server processes share the reindex
    status (``searchsvc serve --workers N`` sets it); None keeps it in memory;
``ENGINE``
    a ready :class:`~searchsvc.search.SearchEngine` to share (tests, benches).
"""

from __future__ import annotations

import os

from flask import Flask, current_app, request

from searchsvc import config as sconfig
from searchsvc.ingest.author import author_names
from searchsvc.web import formatting
from searchsvc.web.errors import register_error_handlers
from searchsvc.web.state import EngineHolder, ReindexJob

# script-src 'self' only: no inline script, no inline event handler, no eval.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

# Cache-Control by endpoint; results change with each index generation, so
# data is revalidated every time; admin and health answers are never stored.
CACHE_CONTROL = {
    "api.search": "no-cache",
    "api.document": "no-cache",
    "api.similar": "no-cache",
    "api.openapi": "public, max-age=3600",
    "api.healthz": "no-store",
    "api.reindex": "no-store",
    "api.reindex_status": "no-store",
    "pages.search": "no-cache",
    "pages.document": "no-cache",
    "static": "public, max-age=3600",
}


def create_app(config: dict | None = None) -> Flask:
    """Build the app; *config* overrides the defaults taken from the environment."""
    app = Flask(__name__)
    token = os.environ.get("SEARCHSVC_ADMIN_TOKEN")
    app.config.from_mapping(
        INDEX_DIR=str(sconfig.index_dir()),
        CORPUS_DIR=str(sconfig.corpus_dir()),
        SYNONYMS_PATH=sconfig.synonyms_file(),
        ADMIN_TOKEN=token or None,
        ENGINE=None,
        REINDEX_NICE=10,
        REINDEX_STATUS_FILE=None,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if config:
        app.config.update(config)
    app.url_map.merge_slashes = False  # ids are looked up as given, never rewritten
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    app.extensions["searchsvc.engine"] = EngineHolder(
        app.config["INDEX_DIR"], app.config["SYNONYMS_PATH"], engine=app.config["ENGINE"])
    app.extensions["searchsvc.reindex"] = ReindexJob(
        app.config["CORPUS_DIR"], app.config["INDEX_DIR"], nice=app.config["REINDEX_NICE"],
        status_file=app.config["REINDEX_STATUS_FILE"])

    from searchsvc.web import api, pages

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    from searchsvc.web import exports  # concordance, export, batch, feeds (issue 11)

    app.register_blueprint(exports.bp)
    register_error_handlers(app)
    _register_template_helpers(app)
    app.after_request(_security_headers)
    return app


def get_engine():
    """The shared search engine (raises ``IndexUnavailable`` while there is no index)."""
    return current_app.extensions["searchsvc.engine"].get()


def get_reindex_job() -> ReindexJob:
    return current_app.extensions["searchsvc.reindex"]


def _security_headers(response):
    h = response.headers
    if response.mimetype == "application/json":
        h["Content-Type"] = "application/json; charset=utf-8"
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Content-Type-Options"] = "nosniff"
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    if "Cache-Control" not in h:
        h["Cache-Control"] = CACHE_CONTROL.get(request.endpoint or "", "no-store")
    return response


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        date_fr=formatting.date_fr,
        month_fr=formatting.month_name_fr,
        int_fr=formatting.int_fr,
        ms_fr=formatting.ms_fr,
        lang_fr=formatting.lang_fr,
        http_url=formatting.safe_http_url,
        author_names=author_names,
    )
    app.jinja_env.globals.update(plural_fr=formatting.plural_fr)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
