"""`searchsvc serve`: the web service on waitress, indexing the corpus first if needed."""

from __future__ import annotations

import logging
import signal
import sys

from searchsvc import config

HELP = "lance le service web (page de recherche et API JSON)"


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="adresse d'écoute (défaut : 127.0.0.1, cette machine seulement)")
    parser.add_argument("--port", type=int, default=8000,
                        help="port d'écoute (défaut : 8000 ; 0 choisit un port libre)")
    parser.add_argument("--threads", type=int, default=8,
                        help="nombre de fils de traitement des requêtes (défaut : 8)")
    parser.add_argument("--corpus", default=None,
                        help="dossier du corpus (défaut : SEARCHSVC_CORPUS ou ./corpus)")
    parser.add_argument("--index", default=None,
                        help="dossier de l'index (défaut : SEARCHSVC_INDEX ou ./index)")


def ensure_index(corpus_dir, index_dir, out=sys.stderr) -> bool:
    """Build the index from the corpus when there is none; False if that fails."""
    from searchsvc.indexer import NoIndexError, open_index, reindex

    try:
        gen, ix = open_index(index_dir)
        ix.close()
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

    from searchsvc.web import create_app

    if not 1 <= args.threads <= 256:
        print("--threads doit être entre 1 et 256.", file=sys.stderr)
        return 2
    corpus_dir = config.corpus_dir(args.corpus)
    index_dir = config.index_dir(args.index)
    if not ensure_index(corpus_dir, index_dir):
        return 1

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app({"INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir)})
    try:
        server = create_server(app, host=args.host, port=args.port, threads=args.threads,
                               ident="searchsvc", clear_untrusted_proxy_headers=True)
    except OSError as exc:
        print(f"Impossible d'écouter sur {args.host}:{args.port} : {exc.strerror or exc}", file=sys.stderr)
        return 1

    def _stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    host = server.effective_host
    shown = f"[{host}]" if ":" in str(host) else host
    print(f"Service disponible sur http://{shown}:{server.effective_port}/ "
          f"(index « {index_dir} », {args.threads} fils ; Ctrl+C pour arrêter)", flush=True)
    try:
        server.run()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.close()
    print("Service arrêté.", file=sys.stderr, flush=True)
    return 0
