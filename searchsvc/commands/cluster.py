"""`searchsvc cluster start|status|stop`: a local OpenSearch cluster on loopback."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from searchsvc.commands.argparse_fr import int_range
from searchsvc.french import seconds_fr

HELP = "cluster OpenSearch local (127.0.0.1) : start, status, stop"


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    start = sub.add_parser(
        "start", help="installe OpenSearch si besoin, démarre les nœuds et attend l'état vert",
        description="Installe OpenSearch (Maven Central) si besoin, démarre un cluster de "
                    "nœuds sur 127.0.0.1, attend qu'il soit vert et affiche son URL.")
    start.add_argument("--nodes", type=int_range(1, 9), default=3, metavar="N",
                       help="nombre de nœuds (défaut : 3)")
    start.add_argument("--port-base", type=int_range(0, 65000), default=None, metavar="PORT",
                       help="port HTTP du premier nœud ; les suivants prennent les ports "
                            "suivants, le transport PORT+100… (défaut : 9200 ; 0 = une "
                            "plage libre)")
    start.add_argument("--heap", type=int_range(128, 512), default=512, metavar="MO",
                       help="mémoire de chaque JVM en Mo (défaut et maximum : 512)")
    start.add_argument("--timeout", type=int_range(10, 3600), default=300, metavar="S",
                       help="attente maximale de l'état vert, en secondes (défaut : 300)")
    status = sub.add_parser("status", help="état du cluster et de ses nœuds",
                            description="État du cluster et de ses nœuds.")
    status.add_argument("--json", action="store_true", help="sortie JSON")
    stop = sub.add_parser("stop", help="arrête les nœuds (SIGTERM, puis SIGKILL)",
                          description="Arrête les nœuds (SIGTERM, puis SIGKILL après 30 s). "
                                      "Les données restent : start reprend le même cluster.")
    for p in (start, status, stop):
        p.add_argument("--dir", metavar="DOSSIER",
                       help="dossier du cluster (défaut : $SEARCHSVC_CLUSTER_DIR, sinon "
                            "~/.cache/searchsvc/cluster, /var/cache/searchsvc/cluster pour root)")


def _print_status(st: dict) -> None:
    from searchsvc.backends.opensearch.cluster import HEALTH_FR

    print(f"URL : {st['url']}")
    print(f"État : {HEALTH_FR.get(st['health'], st['health'])}")
    print(f"Dossier : {st['dir']}")
    for n in st["nodes"]:
        where = f"pid {n['pid']}" if n["running"] else "arrêté"
        print(f"  {n['name']}  {n['url']}  {where}")


def run(args) -> int:
    from searchsvc.backends.opensearch import cluster
    from searchsvc.backends.opensearch.install import InstallError

    cluster_dir = Path(args.dir) if args.dir else cluster.default_dir()
    try:
        if args.action == "start":
            t0 = time.monotonic()
            print(f"Démarrage du cluster OpenSearch dans {cluster_dir}…", file=sys.stderr)
            st = cluster.start(cluster_dir, nodes=args.nodes, port_base=args.port_base,
                               heap_mb=args.heap, timeout=args.timeout)
            print(f"Cluster vert en {seconds_fr(time.monotonic() - t0)}.", file=sys.stderr)
            print(st["url"])
        elif args.action == "status":
            st = cluster.status(cluster_dir)
            if args.json:
                print(json.dumps(st, ensure_ascii=False, indent=2))
            else:
                _print_status(st)
        else:
            stopped = cluster.stop(cluster_dir)
            print(f"Nœuds arrêtés : {', '.join(stopped)}." if stopped
                  else "Aucun nœud ne tournait.", file=sys.stderr)
    except (cluster.ClusterError, InstallError) as exc:
        print(f"searchsvc cluster {args.action} : {exc}", file=sys.stderr)
        return 1
    return 0
