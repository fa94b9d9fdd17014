"""`searchsvc export QUERY`: every match of a search as CSV or JSON Lines on stdout."""

from __future__ import annotations

import sys

HELP = "exporter tous les articles trouvés (CSV ou JSON Lines, sans limite) sur la sortie standard"


def add_filter_arguments(parser) -> None:
    """The search filters shared by export, concordance and batch."""
    parser.add_argument("--source", action="append", default=[], metavar="S",
                        help="seulement cette source (répétable : l'une ou l'autre)")
    parser.add_argument("--lang", action="append", default=[], metavar="L",
                        help="langue (fr, en, … ; répétable : l'une ou l'autre)")
    parser.add_argument("--from", dest="date_from", metavar="D",
                        help="depuis cette date (AAAA, AAAA-MM ou AAAA-MM-JJ, incluse)")
    parser.add_argument("--to", dest="date_to", metavar="D", help="jusqu'à cette date (incluse)")
    parser.add_argument("--year", action="append", default=[], metavar="AAAA",
                        help="seulement cette année (répétable : l'une ou l'autre)")
    parser.add_argument("--index", metavar="DOSSIER",
                        help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--synonyms", metavar="FICHIER",
                        help="fichier de synonymes (défaut : $SEARCHSVC_SYNONYMS, sinon corpus/synonyms.txt s'il existe)")


def filter_params(args, q: str, sort: str | None = None):
    """``SearchParams`` of the filters in ``args``, or None after a French error on stderr."""
    from searchsvc.search import QueryError, parse_params

    raw = {"q": q, "source": args.source, "lang": args.lang, "date_from": args.date_from,
           "date_to": args.date_to, "year": args.year, "sort": sort}
    try:
        return parse_params({k: v for k, v in raw.items() if v is not None})
    except QueryError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
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
