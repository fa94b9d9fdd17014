"""`searchsvc extract PATH [--json]`: what ingestion makes of one file."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from searchsvc import config
from searchsvc.french import count_fr, date_fr, unknown_fr
from searchsvc.ingest import IngestError, extract, load_manifest

HELP = "montre ce que l'ingestion extrait d'un fichier (texte gardé, métadonnées, lignes supprimées)"


def add_arguments(parser):
    from searchsvc.ingest.reader import MAX_BYTES_HELP

    parser.epilog = MAX_BYTES_HELP
    parser.add_argument("path", metavar="FICHIER", help="fichier .txt, .html, .json ou .jsonl")
    parser.add_argument("--json", action="store_true",
                        help="sortie JSON : un objet par article (une ligne par article "
                             "quand le fichier en contient plusieurs)")
    parser.add_argument("--corpus", metavar="DOSSIER", default=None,
                        help="racine du corpus pour l'identifiant et manifest.jsonl "
                             "(défaut : SEARCHSVC_CORPUS ou ./corpus si le fichier s'y trouve, "
                             "sinon son dossier)")


def _root_for(path: Path, explicit) -> Path:
    if explicit:
        return Path(explicit)
    corpus = config.corpus_dir().resolve()
    try:
        path.resolve().relative_to(corpus)
        return corpus
    except ValueError:
        return path.parent


def run(args) -> int:
    path = Path(args.path)
    root = _root_for(path, args.corpus)
    errors = []
    try:
        manifest = load_manifest(root)
        articles = extract(path, root=root, manifest=manifest, errors=errors)
    except IngestError as exc:
        print(f"searchsvc extract : {args.path} : {exc.reason}", file=sys.stderr)
        return 1
    for reason in errors:  # objects of a .json/.jsonl left out
        print(f"searchsvc extract : {args.path} : article ignoré : {reason}", file=sys.stderr)
    if args.json:
        if len(articles) == 1:
            print(json.dumps(articles[0].to_dict(), ensure_ascii=False, indent=2))
        else:
            for a in articles:
                print(json.dumps(a.to_dict(), ensure_ascii=False))
        return 0
    for n, a in enumerate(articles):
        if n:
            print("\n" + "─" * 60 + "\n")
        _show(a)
    return 0


def _show(a) -> None:
    width = max(40, min(100, os.get_terminal_size(sys.stdout.fileno()).columns
                        if sys.stdout.isatty() else 100))
    print(f"Identifiant : {a.id}")
    print(f"Fichier     : {a.path}")
    print(f"Titre       : {a.title or unknown_fr('title')}")
    print(f"Source      : {a.source or unknown_fr('source')}")
    print(f"Date        : {date_fr(a.date, unknown_fr('date'))}" + (f" ({a.date})" if a.date else ""))
    print(f"URL         : {a.url or unknown_fr('url')}")
    print(f"Langue      : {a.lang or unknown_fr('lang')}")
    paragraphs = [p for p in a.text.split("\n\n") if p]
    print(f"\nTexte conservé ({count_fr(len(paragraphs), 'paragraphe')}, "
          f"{count_fr(len(a.text), 'caractère')}) :")
    for p in paragraphs:
        print(textwrap.fill(p, width=width, initial_indent="  ", subsequent_indent="  "))
        print()
    print(f"Lignes supprimées ({len(a.dropped)}) :")
    for d in a.dropped:
        text = d.text if len(d.text) <= 90 else d.text[:89] + "…"
        print(f"  [{d.reason}] {text}")
