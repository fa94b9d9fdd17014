"""The ``searchsvc`` command: one sub-command a module in :mod:`searchsvc.commands`."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading

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


class Interrupted(KeyboardInterrupt):
    """SIGINT (Ctrl+C) or SIGTERM (a process manager, ``kill``): stopped the same way."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum, frame):
    # once: a second signal must not cut short the clean-up the first one started
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


@contextlib.contextmanager
def stop_signals_as_interrupt():
    """SIGINT and SIGTERM raise :class:`Interrupted` (a ``KeyboardInterrupt``) in the main
    thread while in the block, so that both take the clean-up path of Ctrl+C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    with stop_signals_as_interrupt():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
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
    except KeyboardInterrupt as exc:  # Ctrl+C or SIGTERM: exit status 128 + the signal
        print("Interrompu.", file=sys.stderr, flush=True)
        return 128 + getattr(exc, "signum", signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
