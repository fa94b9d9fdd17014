"""`searchsvc stats`: what the live index holds."""

from __future__ import annotations

import json
import sys

from searchsvc import config
from searchsvc.french import int_fr, size_fr, unknown_fr

HELP = "statistiques de l'index : documents, sources, dates, langues, taille, génération"


def add_arguments(parser):
    parser.add_argument("--index", metavar="DOSSIER",
                        help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--json", action="store_true", help="sortie JSON")


def _label(value: str) -> str:
    return f"({unknown_fr('source')})" if value == "unknown" else value


def run(args) -> int:
    from searchsvc.engine import BackendUnavailable, ConfigError, NoIndexError, stats

    try:
        st = stats(config.index_dir(args.index))
    except (NoIndexError, BackendUnavailable, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(st, ensure_ascii=False, indent=2))
        return 0
    out = [
        f"Génération : {st['generation']}",
        f"Documents : {int_fr(st['documents'])}",
        f"Période : {st['date_min'] or '—'} → {st['date_max'] or '—'} "
        f"({st['undated']} sans date)",
        f"Taille sur disque : {size_fr(st['size_bytes'])} "
        + (f"(avec les répliques : {size_fr(st['total_size_bytes'])})"
           if st.get("backend") == "opensearch" else
           f"(dossier entier : {size_fr(st['total_size_bytes'])})"),
        f"Sources ({st['source_count']}) :",
    ]
    out += [f"  {n:>7}  {_label(v)}" for v, n in st["sources"].items()]
    out.append("Langues :")
    out += [f"  {n:>7}  {_label(v)}" for v, n in st["languages"].items()]
    cg = st["copy_groups"]
    out.append(f"Groupes de copies : {cg['groups']} ({cg['grouped_documents']} articles dans un groupe)"
               + (" ; les plus grands :" if cg["largest"] else ""))
    out += [f"  {g['size']:>7}  {g['group']} — {g['title'] or '(sans titre)'}" for g in cg["largest"]]
    print("\n".join(out))
    return 0
