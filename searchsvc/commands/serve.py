"""`searchsvc serve`: the web service on waitress, indexing the corpus first if needed."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile

from searchsvc import config
from searchsvc.commands.prefork import prefork, serve_gracefully
from searchsvc.commands.argparse_fr import int_range

HELP = "lance le service web (page de recherche et API JSON)"


def add_arguments(parser) -> None:
    from searchsvc.ingest.reader import MAX_BYTES_HELP

    parser.epilog = MAX_BYTES_HELP
    parser.add_argument("--host", default="127.0.0.1", metavar="ADRESSE",
                        help="adresse d'écoute (défaut : 127.0.0.1, cette machine seulement)")
    parser.add_argument("--port", type=int_range(0, 65535), default=8000, metavar="PORT",
                        help="port d'écoute, de 0 à 65535 (défaut : 8000 ; 0 choisit un port libre)")
    parser.add_argument("--threads", type=int_range(1, 256), default=8, metavar="N",
                        help="nombre de fils de traitement des requêtes, de 1 à 256 (défaut : 8)")
    parser.add_argument("--workers", type=int_range(1, 64), default=None, metavar="N",
                        help="processus de service partageant le port, de 1 à 64 (défaut : "
                             f"{default_workers()} sur cette machine, soit 2 dès qu'elle a deux cœurs "
                             "et fork, sinon 1 ; jusqu'au nombre de cœurs pour servir plus de "
                             "requêtes en parallèle)")
    parser.add_argument("--corpus", default=None, metavar="DOSSIER",
                        help="dossier du corpus (défaut : $SEARCHSVC_CORPUS, sinon ./corpus)")
    parser.add_argument("--index", default=None, metavar="DOSSIER",
                        help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")


def ensure_index(corpus_dir, index_dir, out=sys.stderr) -> bool:
    """Build the index from the corpus when there is none; False if that fails."""
    from searchsvc.engine import BackendUnavailable, IndexDamaged, NoIndexError, live_generation, reindex

    try:
        live_generation(index_dir)
        return True
    except (IndexDamaged, BackendUnavailable) as exc:  # served as 503 (healthz says why)
        print(f"Attention : {exc}", file=out, flush=True)
        return True
    except NoIndexError:
        pass
    print(f"Aucun index dans « {index_dir} » : indexation de « {corpus_dir} »…", file=out, flush=True)
    try:
        reindex(corpus_dir, index_dir, full=True)
        gen = live_generation(index_dir)
    except Exception as exc:  # reported in French, the service cannot start without an index
        from searchsvc.commands.reindex import skipped_lines
        from searchsvc.ingest.reader import os_error_message

        reason = os_error_message(exc) if isinstance(exc, OSError) else exc
        print(f"Échec de l'indexation : {reason}", file=out, flush=True)
        for line in skipped_lines(getattr(exc, "skipped", ())):
            print(line, file=out, flush=True)
        return False
    print(f"Index prêt ({gen}).", file=out, flush=True)
    return True


def default_workers() -> int:
    """Serving processes by default: 2 where there are two cores and ``fork`` (one
    Python process computes on one core at a time; a search is CPU-bound), else 1."""
    return 2 if hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 else 1


def run(args) -> int:
    from waitress import create_server

    if args.workers is None:
        args.workers = default_workers()
    if args.workers > 1 and not hasattr(os, "fork"):
        print("--workers : plus de 1 seulement sur les systèmes avec fork.", file=sys.stderr)
        return 2
    corpus_dir = config.corpus_dir(args.corpus)
    index_dir = config.index_dir(args.index)
    synonyms = config.synonyms_file(corpus=corpus_dir)
    if synonyms is not None:
        try:
            with open(synonyms, "rb"):
                pass
        except OSError as exc:
            from searchsvc.ingest.reader import os_error_message

            print(f"Fichier de synonymes illisible : {os_error_message(exc, synonyms)}", file=sys.stderr)
            return 1
    if not ensure_index(corpus_dir, index_dir):
        return 1

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sock = _listen(args.host, args.port)
    except (OSError, OverflowError, UnicodeError) as exc:
        print(f"Impossible d'écouter sur {args.host}:{args.port} : {_listen_reason(exc)}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    # everything that depends on the corpus is resolved here, the same way for
    # --corpus and SEARCHSVC_CORPUS (its synonyms.txt included)
    app_config = {"INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir),
                  "SYNONYMS_PATH": synonyms}
    status_dir = None
    if args.workers > 1:  # the processes share the API reindex status through a file
        status_dir = tempfile.TemporaryDirectory(prefix="searchsvc-")
        app_config["REINDEX_STATUS_FILE"] = os.path.join(status_dir.name, "reindex-status.json")

    def serve_here(ready) -> None:
        from searchsvc.web import create_app

        from searchsvc.web.errors import french_waitress_errors
        from searchsvc.web.warmup import warm_app

        app = create_app(app_config)
        warm_app(app)  # before accepting: the first searches are as fast as the rest
        server = create_server(app, sockets=[sock], threads=args.threads,
                               ident="searchsvc", clear_untrusted_proxy_headers=True)
        french_waitress_errors(server)
        serve_gracefully(server, on_ready=ready)

    def announce() -> None:  # once every serving process accepts
        print(f"Service disponible sur http://{shown}:{port}/ (index « {index_dir} », "
              f"{args.workers} processus × {args.threads} fils ; Ctrl+C pour arrêter)", flush=True)

    signal.signal(signal.SIGTERM, _raise_exit)
    if args.workers == 1:
        serve_here(announce)
    else:
        try:
            prefork(args.workers, serve_here, on_ready=announce)
        finally:
            status_dir.cleanup()
    sock.close()
    print("Service arrêté.", file=sys.stderr, flush=True)
    return 0


def _listen_reason(exc: Exception) -> str:
    """Why the socket could not be bound, in French."""
    import errno

    from searchsvc.ingest.reader import os_error_reason

    if isinstance(exc, socket.gaierror):
        return "adresse inconnue (nom d'hôte introuvable ou invalide)"
    if isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EACCES:
        return "port réservé (les ports inférieurs à 1024 demandent les droits d'administrateur)"
    if not isinstance(exc, OSError):
        return "adresse ou port invalide"
    return os_error_reason(exc)


def _raise_exit(signum, frame):
    raise SystemExit(0)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before any worker starts (so port 0 is resolved once)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
