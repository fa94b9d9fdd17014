"""`searchsvc concordance QUERY`: every occurrence of the query's words in context."""

from __future__ import annotations

import json
import sys

from searchsvc.commands.export import filter_params
from searchsvc.commands.options import add_filter_arguments
from searchsvc.french import count_fr

HELP = "concordance : chaque occurrence des mots de la requête dans son contexte"


def add_arguments(parser):
    parser.add_argument("query", nargs="+", metavar="REQUÊTE", help="les mots ou l'« expression » à montrer")
    parser.add_argument("--sort", choices=["relevance", "newest", "oldest", "left", "right"],
                        default="relevance",
                        help="ordre : des articles (relevance, newest, oldest) ou des lignes par le mot "
                             "avant (left) ou après (right)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true", help="sortie CSV (toutes les lignes)")
    group.add_argument("--json", action="store_true", help="sortie JSON : l'objet de GET /api/concordance")
    add_filter_arguments(parser)


def run(args) -> int:
    from searchsvc.analytics import concordance
    from searchsvc.commands.search import _plain, french_date, open_engine

    params = filter_params(args, " ".join(args.query),
                           None if args.sort in ("left", "right") else args.sort)
    if params is None:
        return 2
    engine = open_engine(args)
    if engine is None:
        return 1
    kind = args.sort if args.sort in ("left", "right") else "doc"
    try:
        got = engine.concordance(params, sort=kind, per_page=None)
    finally:
        engine.close()
    got["sort"] = args.sort
    if args.csv:
        sys.stdout.write(concordance.csv_text(got))
        return 0
    if args.json:
        print(json.dumps(got, ensure_ascii=False, indent=2))
        return 0
    print(f"« {_plain(params.q)} » : {count_fr(got['total'], 'occurrence')} "
          f"dans {count_fr(got['articles'], 'article')}")
    for note in got["notes"]:
        print(f"Remarque : {_plain(note)}")
    for line in got["lines"]:
        left = _plain(line["left"])[-45:]
        print(f"{left:>45} [{_plain(line['match'])}] {_plain(line['right'])[:45]}"
              f"   ({_plain(line['source']) or 'source inconnue'}, {french_date(line['date'])})")
    return 0
