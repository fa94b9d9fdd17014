"""`searchsvc batch FILE`: search each line of a file (names, phrases) in turn."""

from __future__ import annotations

import json
import sys

from searchsvc.commands.argparse_fr import int_range
from searchsvc.commands.export import filter_params
from searchsvc.commands.options import add_filter_arguments
from searchsvc.french import count_fr

HELP = "recherche par lot : chaque ligne d'un fichier (noms, expressions ; 500 au plus) cherchée à son tour"


def add_arguments(parser):
    from searchsvc.analytics.batch import HITS, MAX_HITS

    parser.add_argument("file", metavar="FICHIER", help="une recherche par ligne (« - » : l'entrée standard)")
    parser.add_argument("--hits", type=int_range(0, MAX_HITS), default=HITS, metavar="N",
                        help=f"premiers articles montrés par ligne (0 à {MAX_HITS}, défaut {HITS})")
    parser.add_argument("--as-written", action="store_true",
                        help="chercher chaque ligne telle quelle (par défaut : comme une expression exacte)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--csv", action="store_true",
                       help="tous les articles trouvés en CSV, chacun avec le numéro et le texte de sa ligne")
    group.add_argument("--json", action="store_true", help="sortie JSON : l'objet de POST /api/batch")
    add_filter_arguments(parser)


def run(args) -> int:
    from searchsvc.analytics import batch
    from searchsvc.commands.search import _plain, french_date, open_engine

    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, "rb") as f:
            data = f.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")
    try:
        lines = batch.parse_lines(text)
    except batch.BatchError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
        return 2
    params = filter_params(args, "")
    if params is None:
        return 2
    engine = open_engine(args)
    if engine is None:
        return 1
    exact = not args.as_written
    try:
        if args.csv:
            for chunk in engine.open_batch_csv(lines, params, exact):
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return 0
        got = engine.batch(lines, params, hits=args.hits, exact=exact)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(got, ensure_ascii=False, indent=2))
        return 0
    print(f"{count_fr(got['matched_lines'], 'ligne trouvée', 'lignes trouvées')} sur {got['total_lines']}")
    for row in got["lines"]:
        print(f"{row['line']:>4}. {_plain(row['text'])} : {count_fr(row['total'], 'article')}")
        for h in row["hits"]:
            print(f"        {_plain(h['title']) or '(sans titre)'} · {_plain(h['source']) or 'source inconnue'}"
                  f" · {french_date(h['date'])} · {_plain(h['id'])}")
    return 0
