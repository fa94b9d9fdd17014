"""`searchsvc timeline QUERY`: how many matches per day, week, month or year."""

from __future__ import annotations

import csv
import json
import sys

from searchsvc.commands.options import add_filter_arguments, filter_mapping, print_error
from searchsvc.commands.search import _plain, open_engine
from searchsvc.french import decimal_fr, int_fr

HELP = "nombre d'articles trouvés par période (jour, semaine, mois, année), part de l'index"


def compute(args, parse, mapping, fn):
    """``fn(engine, parse(mapping))`` (an engine operation) on the index of ``args``: ``(0, result)``, or
    ``(2, None)`` for a bad parameter (said in French), ``(1, None)`` without an index."""
    from searchsvc.search import QueryError

    try:
        params = parse(mapping)
    except QueryError as exc:
        print_error(exc)
        return 2, None
    engine = open_engine(args)
    if engine is None:
        return 1, None
    try:
        return 0, fn(engine, params)
    except QueryError as exc:
        print_error(exc)
        return 2, None
    finally:
        engine.close()


def add_arguments(parser):
    parser.add_argument("query", nargs="*", metavar="REQUÊTE",
                        help="la requête (vide : tous les articles)")
    parser.add_argument("--compare", action="append", default=[], metavar="REQUÊTE",
                        help="une autre requête sur le même graphique (répétable, 5 requêtes au plus en tout)")
    parser.add_argument("--interval", metavar="I",
                        help="day (jour), week (semaine), month (mois) ou year (année) ; "
                             "défaut : choisi d'après l'étendue des dates")
    parser.add_argument("--by", metavar="source", help="« source » : une série par source (les 8 premières et « autres »)")
    add_filter_arguments(parser)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="sortie CSV : une ligne par période et par série")
    out.add_argument("--json", action="store_true", help="sortie JSON : l'objet de GET /api/timeline")


def render(result: dict, series: list[dict]) -> str:
    from searchsvc.analytics.timeline import INTERVAL_LABELS_FR, series_label

    out = [f"Intervalle : {INTERVAL_LABELS_FR[result['interval']]}"]
    for note in result.get("notes") or ():
        out.append(f"Remarque : {_plain(note)}")
    for s in series:
        out.append("")
        out.append(f"« {_plain(series_label(s))} » : {int_fr(s['total'])} articles, "
                   f"{int_fr(s['total_stories'])} histoires, {int_fr(s['undated'])} sans date")
        peak = max((b["count"] for b in s["buckets"]), default=0)
        for b in s["buckets"]:
            bar = "#" * (round(40 * b["count"] / peak) if peak else 0)
            out.append(f"  {b['start']}  {b['count']:>7}  {decimal_fr(100 * b['share'], 2):>7} %  {bar}")
    return "\n".join(out)


def run(args) -> int:
    from searchsvc.analytics.timeline import csv_rows, parse_timeline_args, series_of

    mapping = {"q": [" ".join(args.query)] + list(args.compare), **filter_mapping(args)}
    if args.interval:
        mapping["interval"] = args.interval
    if args.by:
        mapping["by"] = args.by
    code, result = compute(args, parse_timeline_args, mapping, lambda engine, p: engine.timeline(p))
    if result is None:
        return code
    series = series_of(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    elif args.csv:
        csv.writer(sys.stdout, lineterminator="\n").writerows(csv_rows(result))
    else:
        print(render(result, series))
    return 0
