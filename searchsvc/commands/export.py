"""`searchsvc export QUERY`: every match of a search as CSV or JSON Lines on stdout."""

from __future__ import annotations

import sys

from searchsvc.commands.options import add_filter_arguments, filter_mapping, print_error

HELP = "exporter tous les articles trouvés (CSV ou JSON Lines, sans limite) sur la sortie standard"


def filter_params(args, q: str, sort: str | None = None):
    """``SearchParams`` of the filters in ``args``, or None after a French error on stderr."""
    from searchsvc.search import QueryError, parse_params

    raw = {"q": q, **filter_mapping(args), "sort": sort,
           "copies": "all" if getattr(args, "all_copies", False) else None,
           "count": getattr(args, "count", None)}
    try:
        return parse_params({k: v for k, v in raw.items() if v is not None})
    except QueryError as exc:
        print_error(exc)
        return None


def add_arguments(parser):
    parser.add_argument("query", nargs="*", metavar="REQUÊTE",
                        help="la requête (vide : tous les articles filtrés)")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv",
                        help="csv (défaut ; première ligne : commentaire # avec la requête, les filtres, "
                             "la génération et l'heure) ou jsonl (premier objet : {\"header\": …})")
    parser.add_argument("--sort", default="relevance", metavar="S",
                        help="relevance (défaut), newest ou oldest")
    add_filter_arguments(parser)


def run(args) -> int:
    from searchsvc.analytics import export
    from searchsvc.commands.search import open_engine

    params = filter_params(args, " ".join(args.query), args.sort)
    if params is None:
        return 2
    engine = open_engine(args)
    if engine is None:
        return 1
    try:
        out = sys.stdout
        for chunk in export.stream(engine, params, args.format):
            out.write(chunk)
        out.flush()
    finally:
        engine.close()
    return 0
