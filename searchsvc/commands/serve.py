"""`searchsvc serve`: the web service on waitress, indexing the corpus first if needed."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import tempfile
import time

from searchsvc import config

HELP = "lance le service web (page de recherche et API JSON)"


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="adresse d'écoute (défaut : 127.0.0.1, cette machine seulement)")
    parser.add_argument("--port", type=int, default=8000,
                        help="port d'écoute (défaut : 8000 ; 0 choisit un port libre)")
    parser.add_argument("--threads", type=int, default=8,
                        help="nombre de fils de traitement des requêtes (défaut : 8)")
    parser.add_argument("--workers", type=int, default=1,
                        help="processus de service partageant le port (défaut : 1 ; "
                             "jusqu'au nombre de cœurs pour servir plus de requêtes en parallèle)")
    parser.add_argument("--corpus", default=None,
                        help="dossier du corpus (défaut : SEARCHSVC_CORPUS ou ./corpus)")
    parser.add_argument("--index", default=None,
                        help="dossier de l'index (défaut : SEARCHSVC_INDEX ou ./index)")


def ensure_index(corpus_dir, index_dir, out=sys.stderr) -> bool:
    """Build the index from the corpus when there is none; False if that fails."""
    from searchsvc.indexer import CorruptIndexError, NoIndexError, open_index, reindex

    try:
        gen, ix = open_index(index_dir)
        ix.close()
        return True
    except CorruptIndexError as exc:  # served as 503 (healthz says why) until rebuilt
        print(f"Attention : {exc}", file=out, flush=True)
        return True
    except NoIndexError:
        pass
    print(f"Aucun index dans « {index_dir} » : indexation de « {corpus_dir} »…", file=out, flush=True)
    try:
        reindex(corpus_dir, index_dir, full=True)
        gen, ix = open_index(index_dir)
        ix.close()
    except Exception as exc:  # reported in French, the service cannot start without an index
        print(f"Échec de l'indexation : {exc}", file=out, flush=True)
        return False
    print(f"Index prêt ({gen}).", file=out, flush=True)
    return True


def run(args) -> int:
    from waitress import create_server

    if not 1 <= args.threads <= 256:
        print("--threads doit être entre 1 et 256.", file=sys.stderr)
        return 2
    if not 1 <= args.workers <= 64 or (args.workers > 1 and not hasattr(os, "fork")):
        print("--workers doit être entre 1 et 64 (plus de 1 : systèmes avec fork seulement).", file=sys.stderr)
        return 2
    corpus_dir = config.corpus_dir(args.corpus)
    index_dir = config.index_dir(args.index)
    if not ensure_index(corpus_dir, index_dir):
        return 1

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sock = _listen(args.host, args.port)
    except OSError as exc:
        print(f"Impossible d'écouter sur {args.host}:{args.port} : {exc.strerror or exc}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    app_config = {"INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir)}
    status_dir = None
    if args.workers > 1:  # the processes share the API reindex status through a file
        status_dir = tempfile.TemporaryDirectory(prefix="searchsvc-")
        app_config["REINDEX_STATUS_FILE"] = os.path.join(status_dir.name, "reindex-status.json")

    def serve_here() -> None:
        from searchsvc.web import create_app

        server = create_server(create_app(app_config), sockets=[sock], threads=args.threads,
                               ident="searchsvc", clear_untrusted_proxy_headers=True)
        try:
            server.run()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            server.close()

    signal.signal(signal.SIGTERM, _raise_exit)
    print(f"Service disponible sur http://{shown}:{port}/ (index « {index_dir} », "
          f"{args.workers} processus × {args.threads} fils ; Ctrl+C pour arrêter)", flush=True)
    if args.workers == 1:
        serve_here()
    else:
        try:
            _prefork(args.workers, serve_here)
        finally:
            status_dir.cleanup()
    sock.close()
    print("Service arrêté.", file=sys.stderr, flush=True)
    return 0


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


def _prefork(workers: int, serve_here) -> None:
    """Fork *workers* processes that accept on the shared socket; restart any that dies."""
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # child: serve until SIGTERM
            code = 0
            try:
                serve_here()
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.add(pid)

    for _ in range(workers):
        spawn()
    try:
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            children.discard(pid)
            if not stopping:
                print(f"Processus de service {pid} arrêté (statut {status}) : relancé.",
                      file=sys.stderr, flush=True)
                time.sleep(0.5)
                spawn()
    except (KeyboardInterrupt, SystemExit):
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in list(children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
