"""`searchsvc quotes QUERY [--speaker NAME]`: who said what, in the matching articles."""

from __future__ import annotations

import json

from searchsvc.commands.argparse_fr import int_range
from searchsvc.commands.export import filter_params
from searchsvc.commands.options import add_filter_arguments
from searchsvc.commands.search import _plain, open_engine
from searchsvc.french import count_fr

HELP = "citations directes des articles trouvés (qui a dit quoi)"


def add_arguments(parser):
    parser.add_argument("query", nargs="*", metavar="REQUÊTE",
                        help="mots cherchés dans les citations (vide : toutes les citations)")
    parser.add_argument("--speaker", metavar="NOM", help="auteur de la citation (mot à mot : « Kirby »)")
    parser.add_argument("--limit", type=int_range(1, 100), default=20, metavar="N",
                        help="nombre de citations affichées (1 à 100, défaut 20)")
    add_filter_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="sortie JSON : l'objet de GET /api/quotes")


def run(args) -> int:

    params = filter_params(args, " ".join(args.query))
    if params is None:
        return 2
    engine = open_engine(args)
    if engine is None:
        return 1
    try:
        got = engine.quotes(params, args.speaker, args.limit)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(got, ensure_ascii=False, indent=2))
        return 0
    for note in got.get("notes") or []:
        print(note)
    print(f"{count_fr(got['total'], 'citation')}" + (f" de « {_plain(args.speaker)} »" if args.speaker else ""))
    print()
    for i, q in enumerate(got["quotes"], 1):
        who = _plain(q["speaker"]) or (f"{_plain(q['role'])} (non nommé)" if q.get("role") else "auteur inconnu")
        where = ", ".join(_plain(x) for x in (q.get("source"), q.get("date")) if x)
        print(f"{i:>3}. « {_plain(q['text'])} »")
        print(f"     — {who} · {_plain(q.get('title')) or _plain(q['id'])}" + (f" ({where})" if where else ""))
        print(f"       {_plain(q['id'])}")
    return 0
