"""`searchsvc similar ID`: articles like one article (more-like-this over the body)."""

from __future__ import annotations

import json
import sys

from searchsvc import config
from searchsvc.commands.argparse_fr import int_range
from searchsvc.commands.search import _plain, french_date, open_engine

HELP = "articles semblables à un article donné (par son identifiant)"


def add_arguments(parser):
    parser.add_argument("id", metavar="ID", help="identifiant du document (voir « searchsvc search »)")
    parser.add_argument("--limit", type=int_range(config.SIMILAR_MIN, config.SIMILAR_MAX),
                        default=config.SIMILAR_DEFAULT, metavar="N",
                        help=f"nombre d'articles ({config.SIMILAR_MIN} à {config.SIMILAR_MAX}, "
                             f"défaut {config.SIMILAR_DEFAULT})")
    parser.add_argument("--index", metavar="DOSSIER", help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--json", action="store_true",
                        help="sortie JSON : l'objet de GET /api/documents/ID/similar")


def run(args) -> int:
    engine = open_engine(args)
    if engine is None:
        return 1
    try:
        doc = engine.document(args.id)
        items = engine.similar(args.id, limit=args.limit)
    finally:
        engine.close()
    if items is None or doc is None:
        print(f"Document inconnu : « {args.id} ».", file=sys.stderr)
        return 1
    if args.json:
        # the object of GET /api/documents/<id>/similar
        print(json.dumps({"id": args.id, "results": items}, ensure_ascii=False, indent=2))
        return 0
    print(f"Articles semblables à « {_plain(doc['title']) or _plain(doc['id'])} » :")
    print()
    if not items:
        print("Aucun article semblable.")
    for i, r in enumerate(items, 1):
        print(f"{i:>3}. {_plain(r['title']) or '(sans titre)'}")
        meta = [_plain(r["source"]) or "source inconnue", french_date(r["date"]), _plain(r["id"])]
        print("     " + " · ".join(meta))
    return 0
