"""The HTML pages: the search page and the document page (server-rendered, no JS needed)."""

from __future__ import annotations

import math

from flask import Blueprint, abort, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from searchsvc.search import matching
from searchsvc.search.filters import FILTERS
from searchsvc.web import get_engine
from searchsvc.web.api import MAX_ID_LENGTH

bp = Blueprint("pages", __name__)

# The query-string keys of the search page; anything else is ignored.
#: the filter set of every view (searchsvc.search.filters) and the page's month shortcut
FILTER_KEYS = tuple(f.name for f in FILTERS) + ("month",)
#: quotes listed under "Citations" on the search page
PAGE_QUOTES = 5
SORTS = (("relevance", "Pertinence"), ("newest", "Plus récents d'abord"), ("oldest", "Plus anciens d'abord"))
PAGE_WINDOW = 2  # page links shown on each side of the current page


def engine_args(args: MultiDict) -> MultiDict:
    """The page's query string as the search engine's parameters.

    ``month=YYYY-MM`` (the month checkboxes under a year) is a page-level
    shortcut for ``date_from=date_to=YYYY-MM``.
    """
    out = MultiDict(args)
    month = out.get("month")
    if month:
        out.setlist("date_from", [month])
        out.setlist("date_to", [month])
    out.poplist("month")
    return out


#: The French label of each parameter the page can get wrong (errors name the field so).
FIELD_LABELS = {
    "q": "Rechercher dans les articles", "date_from": "Du", "date_to": "Au", "sort": "Trier par",
    "count": "Les nombres des filtres comptent", "copies": "Afficher toutes les copies",
    "year": "Date de publication", "source": "Source", "lang": "Langue", "page": "Page",
    "per_page": "Résultats par page", "interval": "Période", "compare": "Comparer avec",
    "exact": "Mode exact",
}


def _form_state(args: MultiDict) -> dict:
    return {
        "interval": args.get("interval", ""),
        "compare": [c for c in args.getlist("compare") if c.strip()],
        "q": args.get("q", ""),
        "sources": args.getlist("source"),
        "authors": [a for a in args.getlist("author") if a.strip()],
        "lang": args.getlist("lang"),
        "years": args.getlist("year"),
        "month": args.get("month", ""),
        "date_from": "" if args.get("month") else args.get("date_from", ""),
        "date_to": "" if args.get("month") else args.get("date_to", ""),
        "sort": args.get("sort", "relevance"),
        "per_page": args.get("per_page", ""),
        "copies": args.get("copies", ""),
        "count": args.get("count", ""),
        "person": args.getlist("person"),
        "org": args.getlist("org"),
        "place": args.getlist("place"),
        "exact": _checked(args, "exact"),
    }


def _checked(args: MultiDict, key: str) -> bool:
    """Whether a yes/no parameter is on (an invalid value is the search's error)."""
    from searchsvc.search.params import TRUE_VALUES

    return (args.get(key) or "").strip() in TRUE_VALUES


def _facet_items(values: list[dict], selected: list[str]) -> list[dict]:
    """Facet values with a ``checked`` flag; selected values with no count are kept (count 0)."""
    items = [{"value": v["value"], "count": v["count"],
              "key": "unknown" if v["value"] is None else v["value"],
              "checked": ("unknown" if v["value"] is None else v["value"]) in selected}
             for v in values]
    present = {i["key"] for i in items}
    items += [{"value": s, "key": s, "count": 0, "checked": True} for s in selected if s not in present]
    return items


def _years_newest_first(items: list[dict]) -> list[dict]:
    """Years newest first, the unknown bucket last."""
    known = sorted((i for i in items if i["key"] != "unknown"), key=lambda i: i["key"], reverse=True)
    return known + [i for i in items if i["key"] == "unknown"]


def _page_links(page: int, pages: int) -> list[int | None]:
    """Page numbers to show, ``None`` for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = {1, pages, *range(max(1, page - PAGE_WINDOW), min(pages, page + PAGE_WINDOW) + 1)}
    out, prev = [], 0
    for p in sorted(shown):
        if p - prev > 1:
            out.append(None)
        out.append(p)
        prev = p
    return out


def url_with(**changes) -> str:
    """The current search URL with some parameters replaced (``None`` removes one)."""
    args = MultiDict(request.args)
    for key, value in changes.items():
        if value is None:
            args.poplist(key)
        else:
            args.setlist(key, [value])
    return url_for("pages.search", **args.to_dict(flat=False))


def _panels(args: MultiDict, params, form: dict) -> dict:
    """The context of ``_panels.html``: the corpus overview (no search), or the timeline
    (with the queries compared) and the characteristic words of the search."""
    from searchsvc.analytics.overview import corpus_overview, page_analytics
    from searchsvc.analytics.timeline import parse_timeline_args
    from searchsvc.web.chart import chart

    engine = get_engine()
    if params is None:
        overview = corpus_overview(engine)
        timeline, analytics = overview["timeline"], None
    else:
        mapping = engine_args(args)
        mapping.setlist("q", [params.q] + (form["compare"] if params.q else []))
        analytics = page_analytics(engine, parse_timeline_args(mapping), params)
        timeline, overview = analytics["timeline"], None
    charts = {mode: chart(timeline, mode) for mode in ("count", "share")}
    charts.update({f"{mode}_narrow": chart(timeline, mode, "narrow") for mode in ("count", "share")})

    def period_url(start: str, end: str) -> str:
        return url_with(date_from=start, date_to=end, month=None, year=None, page=None)

    def add_word_url(word: str) -> str:
        q = form["q"].strip()
        word = f'"{word}"' if " " in word else word
        return url_with(q=f"{q} {word}".strip(), page=None)

    return {"overview": overview, "analytics": analytics, "charts": charts,
            "period_url": period_url, "add_word_url": add_word_url}


@bp.get("/")
def search():
    from searchsvc.search import QueryError, parse_params

    args = request.args
    form = _form_state(args)
    active = bool(form["q"].strip()) or any(args.get(k) for k in FILTER_KEYS)
    result = error = error_field = info = None
    quotes = None
    status = 200
    if active:
        try:
            params = parse_params(engine_args(args))
        except QueryError as exc:
            error = getattr(exc, "message", None) or str(exc)
            error_field = getattr(exc, "field", None)
            status = 400
        else:
            result = get_engine().search(params)
            quotes = _search_quotes(params)
    info = get_engine().info()

    facets = None
    pages = []
    if result is not None:
        f = result["facets"]
        # months are offered under a year when exactly one is chosen
        year = form["years"][0] if len(form["years"]) == 1 else ""
        facets = {
            "source": _facet_items(f.get("source", []), form["sources"]),
            "lang": _facet_items(f.get("lang", []), form["lang"]),
            "year": _years_newest_first(_facet_items(f.get("year", []), form["years"])),
            "month": sorted(
                _facet_items([m for m in f.get("month", []) if year and (m["value"] or "").startswith(year + "-")],
                             [form["month"]] if form["month"] else []),
                key=lambda m: m["key"]),
        }
        for kind in ("person", "org", "place"):
            facets[kind] = _facet_items(f.get(kind, []), form[kind])
        shown = result["total"] if result["copies"] == "all" else result["total_stories"]
        n_pages = max(1, math.ceil((shown + result["total_partial"]) / result["per_page"]))
        pages = _page_links(result["page"], n_pages) if n_pages > 1 else []
        result = dict(result, n_pages=n_pages)
    elif error:  # the chosen filters stay (checked, without counts) so that nothing is lost
        facets = {name: [dict(i, count=None) for i in _facet_items([], selected)]
                  for name, selected in (("source", form["sources"]), ("lang", form["lang"]),
                                         ("year", form["years"]),
                                         ("month", [form["month"]] if form["month"] else []))}
    panels = {}
    if error is None:
        try:
            panels = _panels(args, params if active else None, form)
        except QueryError as exc:  # a parameter of the chart (interval, compare)
            error, error_field, status = exc.message, exc.field, 400
    from searchsvc.analytics.overview import date_bounds

    return render_template("search.html", form=form, result=result, facets=facets, pages=pages,
                           error=error, error_field=error_field, info=info, sorts=SORTS, url_with=url_with,
                           matching_rule=matching.describe_fr(), field_labels=FIELD_LABELS,
                           bounds=date_bounds(get_engine()), quotes=quotes, **panels), status


@bp.get("/panels")
def panels():
    """The timeline and words of a search (or the corpus overview), alone: app.js puts
    them in place of the page's after each search."""
    from searchsvc.search import QueryError, parse_params

    args = request.args
    form = _form_state(args)
    active = bool(form["q"].strip()) or any(args.get(k) for k in FILTER_KEYS)
    try:
        params = parse_params(engine_args(args)) if active else None
        context = _panels(args, params, form)
    except QueryError as exc:
        return render_template("_panels_error.html", error=exc.message, error_field=exc.field,
                               field_labels=FIELD_LABELS), 400
    return render_template("_panels.html", form=form, error_field=None, url_with=url_with, **context)


def _search_quotes(params) -> dict:
    """The first quotes of a search (the "Citations" part of the page)."""
    return get_engine().quotes(params, None, PAGE_QUOTES, max_docs=200)


@bp.get("/documents/<path:doc_id>")
def document(doc_id: str):
    q = request.args.get("q", "").strip() or None
    engine = get_engine()
    exact = _checked(request.args, "exact")
    doc = engine.document(doc_id, q=q, exact=exact) if 0 < len(doc_id) <= MAX_ID_LENGTH and "\x00" not in doc_id else None
    if doc is None:
        abort(404)
    paragraphs = [p for p in (doc.get("text") or "").split("\n\n") if p.strip()]
    highlighted = doc.get("highlighted") if q else None
    mentions = request.args.get("highlight") == "entities"
    if mentions:  # entity mentions marked in the text (searchsvc.enrich.mentions), escaped
        from searchsvc.enrich.mentions import mark_paragraphs

        highlighted = mark_paragraphs(doc.get("text") or "", doc.get("entities") or {}, highlighted)
    similar = engine.similar(doc_id, limit=5) or []
    compare = request.args.get("compare", "").strip() or None
    if compare is not None and not (0 < len(compare) <= MAX_ID_LENGTH and "\x00" not in compare):
        compare = None
    versions = engine.versions(doc_id, compare=compare) or {}
    text = doc.get("text") or ""
    quotes = [dict(qt, paragraph=sum(1 for p in text[:qt.get("position") or 0].split("\n\n")[:-1]
                                     if p.strip()))
              for qt in doc.get("quotes") or []]
    from searchsvc.enrich.entities import NOTE_OFF

    return render_template("document.html", doc=doc, q=q, paragraphs=paragraphs, entities_note=NOTE_OFF,
                           highlighted=highlighted, similar=similar, versions=versions, quotes=quotes,
                           mentions=mentions, compare=compare)


#: Entity kinds of the "who with whom" page: label, and the query syntax that restricts to one.
ENTITY_KINDS = {"person": ("Personnes", "personne"), "org": ("Organisations", "organisation"),
                "place": ("Lieux", "lieu")}


@bp.get("/entites")
def entities():
    """Who with whom: the entities of a search's results and the pairs cited together
    (Engine.entities), each a link to the articles."""
    from searchsvc.search import QueryError, parse_params

    kind = request.args.get("kind", "person")
    if kind not in ENTITY_KINDS:
        kind = "person"
    table, error, status = None, None, 200
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "kind"])
    try:
        params = parse_params(engine_args(args))
    except QueryError as exc:
        error, status = exc.message, 400
    else:
        table = get_engine().entities(params, kind, 50)
    syntax = ENTITY_KINDS[kind][1]

    def together(*names: str) -> str:
        """The search of the current query restricted to articles citing every name."""
        q = " ".join([args.get("q", "").strip()] +
                     [f'{syntax}:"{n.replace(chr(34), " ")}"' for n in names]).strip()
        rest = MultiDict([(k, v) for k, v in args.items(multi=True) if k not in ("q", "page")])
        rest.setlist("q", [q])
        return url_for("pages.search", **rest.to_dict(flat=False))

    return render_template("entities.html", table=table, error=error, kind=kind,
                           kinds=ENTITY_KINDS, q=args.get("q", ""), together=together,
                           args=args), status
