"""`searchsvc extract PATH [--json]`: what ingestion makes of one file."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

from searchsvc import config
from searchsvc.french import count_fr, date_fr, unknown_fr
from searchsvc.ingest import IngestError, iter_extract, load_manifest

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
    """Articles are printed as they are extracted: a big .jsonl is streamed."""
    path = Path(args.path)
    root = _root_for(path, args.corpus)
    errors: list[str] = []
    shown = 0

    def skipped() -> None:  # objects of a .json/.jsonl left out, as they come
        while errors:
            print(f"searchsvc extract : {args.path} : article ignoré : {errors.pop(0)}", file=sys.stderr)

    first = None
    try:
        manifest = load_manifest(root)
        for a in iter_extract(path, root=root, manifest=manifest, errors=errors):
            skipped()
            if args.json:
                if shown == 0:
                    first = a  # one article alone is printed indented
                else:
                    if first is not None:
                        print(json.dumps(first.to_dict(), ensure_ascii=False))
                        first = None
                    print(json.dumps(a.to_dict(), ensure_ascii=False))
            else:
                if shown:
                    print("\n" + "─" * 60 + "\n")
                _show(a)
            shown += 1
    except IngestError as exc:
        skipped()
        print(f"searchsvc extract : {args.path} : {exc.reason}", file=sys.stderr)
        return 1
    if shown == 0:
        skipped()
        print(f"searchsvc extract : {args.path} : aucun article utilisable dans le fichier",
              file=sys.stderr)
        return 1
    skipped()
    if first is not None:
        print(json.dumps(first.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _show(a) -> None:
    width = max(40, min(100, os.get_terminal_size(sys.stdout.fileno()).columns
                        if sys.stdout.isatty() else 100))
    print(f"Identifiant : {a.id}")
    print(f"Fichier     : {a.path}")
    print(f"Titre       : {a.title or unknown_fr('title')}")
    print(f"Source      : {a.source or unknown_fr('source')}")
    print(f"Auteur      : {a.author or unknown_fr('author')}")
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
