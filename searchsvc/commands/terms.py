"""`searchsvc terms QUERY`: the characteristic words of a search's matches."""

from __future__ import annotations

import json

from searchsvc.commands.search import _plain
from searchsvc.commands.options import add_filter_arguments, filter_mapping
from searchsvc.commands.timeline import compute
from searchsvc.french import decimal_fr, int_fr

HELP = "mots caractéristiques des articles trouvés (les plus fréquents, les plus distinctifs) et leurs sources"


def add_arguments(parser):
    parser.add_argument("query", nargs="*", metavar="REQUÊTE", help="la requête (vide : tous les articles)")
    parser.add_argument("--limit", metavar="N", help="mots par liste (1 à 100, défaut 25)")
    add_filter_arguments(parser)
    parser.add_argument("--json", action="store_true", help="sortie JSON : l'objet de GET /api/terms")


def render(r: dict) -> str:
    head = f"« {_plain(r['query'])} » : " if r["query"] else ""
    out = [f"{head}{int_fr(r['total'])} articles, {int_fr(r['total_stories'])} histoires "
           f"(copies comptées une fois)"]
    for note in r.get("notes") or ():
        out.append(f"Remarque : {_plain(note)}")
    out += ["", "Mots caractéristiques (log-vraisemblance contre le reste de l'index) :"]
    out += [f"  {_plain(t['term']):<24} {t['count']:>7}  {decimal_fr(t['score'], 1):>9}" for t in r["significant"]] or ["  —"]
    out += ["", "Mots les plus fréquents (histoires qui les contiennent) :"]
    out += [f"  {_plain(t['term']):<24} {t['count']:>7}" for t in r["top"]] or ["  —"]
    out += ["", "Sources :"]
    out += [f"  {_plain(s['value']) or 'source inconnue':<24} {s['count']:>7}" for s in r["sources"]] or ["  —"]
    return "\n".join(out)


def run(args) -> int:
    from searchsvc.analytics.terms import parse_terms_args

    mapping = {"q": " ".join(args.query), **filter_mapping(args)}
    if args.limit:
        mapping["limit"] = args.limit
    code, result = compute(args, parse_terms_args, mapping, lambda engine, p: engine.terms(p))
    if result is None:
        return code
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0
