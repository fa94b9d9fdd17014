"""`searchsvc copies ID`: the copy group of one article, with the differences to the first version."""

from __future__ import annotations

import html
import json
import re
import sys

from searchsvc.commands.search import _plain, french_date, open_engine

HELP = "les copies d'un article (même dépêche reprise) et leurs différences avec la première publication"

_TAG = re.compile(r"<(/?)(del|ins)>")
_MARKS = {"del": ("[-", "-]"), "ins": ("{+", "+}")}
_OPS = {"added": "+", "removed": "-", "changed": "~"}


def add_arguments(parser):
    parser.add_argument("id", metavar="ID", help="identifiant de l'article (voir « searchsvc search »)")
    parser.add_argument("--index", metavar="DOSSIER", help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def plain_diff(fragment: str) -> str:
    """A diff sentence for a terminal: [-removed-] and {+added+} words, entities decoded."""
    text = _TAG.sub(lambda m: _MARKS[m.group(2)][1 if m.group(1) else 0], fragment)
    return _plain(html.unescape(text))


def _summary(s: dict) -> str:
    def n(k, one, many):
        return f"{s[k]} {one if s[k] <= 1 else many}"
    return ", ".join([n("added", "phrase ajoutée", "phrases ajoutées"), n("removed", "retirée", "retirées"),
                      n("changed", "modifiée", "modifiées"), n("same", "identique", "identiques")])


def group_with_diffs(engine, doc_id: str) -> dict | None:
    """``{"id", "group", "versions"}``: every version, first publication first, each but
    the first with ``diff`` (:func:`searchsvc.search.textdiff.diff` from the first)."""
    from searchsvc.search.textdiff import diff

    got = engine.versions(doc_id)
    if got is None:
        return None
    versions = [dict(v) for v in got["versions"]]
    if versions:
        first = (engine.document(versions[0]["id"]) or {}).get("text") or ""
        for v in versions:
            v["diff"] = None if v["first"] else diff(first, (engine.document(v["id"]) or {}).get("text") or "")
    return {"id": doc_id, "group": got["group"], "versions": versions}


def run(args) -> int:
    engine = open_engine(args)
    if engine is None:
        return 1
    try:
        got = group_with_diffs(engine, args.id)
    finally:
        engine.close()
    if got is None:
        print(f"Document inconnu : « {_plain(args.id)} ».", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(got, ensure_ascii=False, indent=2))
        return 0
    versions = got["versions"]
    if not versions:
        print(f"« {_plain(args.id)} » n'a pas de copie dans l'index.")
        return 0
    print(f"{len(versions)} versions (groupe « {_plain(got['group'])} »), de la plus ancienne à la plus récente :")
    for i, v in enumerate(versions, 1):
        print()
        mark = " — première publication" if v["first"] else ""
        here = " (cet article)" if v["id"] == args.id else ""
        print(f"{i:>3}. {_plain(v['title']) or '(sans titre)'}{here}")
        print("     " + " · ".join([_plain(v["source"]) or "source inconnue", french_date(v["date"]),
                                   _plain(v["id"])]) + mark)
        if v["diff"]:
            print(f"     Différences avec la première publication : {_summary(v['diff']['summary'])}")
            for op in v["diff"]["ops"]:
                if op["op"] in _OPS:
                    print(f"       {_OPS[op['op']]} {plain_diff(op['html'])}")
    return 0
