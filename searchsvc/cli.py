"""The ``searchsvc`` command: one sub-command a module in :mod:`searchsvc.commands`."""

from __future__ import annotations

import importlib
import os
import sys

from searchsvc.commands.argparse_fr import FrenchArgumentParser

# sub-commands that read the corpus: SEARCHSVC_MAX_BYTES is checked before they start
READS_CORPUS = {"extract", "reindex", "serve"}

# sub-command name -> module in searchsvc.commands defining
# ``HELP`` (str), ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = {
    "extract": "extract",
    "reindex": "reindex",
    "stats": "stats",
    "search": "search",
    "similar": "similar",
    "copies": "copies",
    "timeline": "timeline",
    "terms": "terms",
    "export": "export",
    "concordance": "concordance",
    "batch": "batch",
    "quotes": "quotes",
    "serve": "serve",
    "cluster": "cluster",
}


def build_parser(only: str | None = None) -> FrenchArgumentParser:
    """The parser of every sub-command, or of ``only`` alone (``main`` with a known
    sub-command name first: the other commands' modules are not even imported)."""
    parser = FrenchArgumentParser(
        prog="searchsvc",
        description="Recherche plein texte dans des articles de presse en français.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE")
    sub.required = True
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"searchsvc.commands.{module_name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
    if args.command in READS_CORPUS:
        from searchsvc.ingest.reader import check_max_bytes

        problem = check_max_bytes()
        if problem:
            print(f"searchsvc {args.command} : {problem}", file=sys.stderr)
            return 2
    try:
        code = int(args._run(args) or 0)
        sys.stdout.flush()  # a closed pipe must fail here, not in Python's flush at exit
        return code
    except BrokenPipeError:  # e.g. `searchsvc search x | head`: the reader is gone, not an error
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except OSError as exc:  # a file the command needed: one French sentence, no traceback
        from searchsvc.ingest.reader import os_error_message

        print(f"searchsvc {args.command} : {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
