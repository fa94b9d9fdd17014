"""`searchsvc similar ID`: articles like one article (more-like-this over the body)."""

from __future__ import annotations

import json
import sys

from searchsvc.commands.search import _plain, french_date, open_engine

HELP = "articles semblables à un article donné (par son identifiant)"


def add_arguments(parser):
    parser.add_argument("id", metavar="ID", help="identifiant du document (voir « searchsvc search »)")
    parser.add_argument("--limit", type=int, default=5, metavar="N", help="nombre d'articles (1 à 50, défaut 5)")
    parser.add_argument("--index", metavar="DOSSIER", help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def run(args) -> int:
    if not 1 <= args.limit <= 50:
        print("Erreur : --limit doit être entre 1 et 50.", file=sys.stderr)
        return 2
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
        print(json.dumps({"id": args.id, "similar": items}, ensure_ascii=False, indent=2))
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
