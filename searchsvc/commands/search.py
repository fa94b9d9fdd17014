"""`searchsvc search`: the same result object as the JSON API, in a terminal."""

from __future__ import annotations

import html
import json
import re
import sys

from searchsvc import config
from searchsvc.commands.options import add_filter_arguments
from searchsvc.french import count_fr, date_fr, decimal_fr, int_fr, unknown_fr

HELP = ("chercher dans l'index (mots, \"phrases\", =\"telle quelle\" ou =mot sans les autres formes, "
        "-exclusion, OR, title:, source:, préfixe*)")

_MARK_RE = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def add_arguments(parser):
    parser.add_argument("query", nargs="*", metavar="REQUÊTE",
                        help="la requête (vide : liste les documents filtrés, du plus récent au plus ancien)")
    parser.add_argument("--sort", default="relevance", metavar="S",
                        help="relevance (défaut), newest ou oldest")
    parser.add_argument("--page", default="1", metavar="N", help="page (à partir de 1)")
    parser.add_argument("--per-page", default="10", metavar="N", help="résultats par page (1 à 100)")
    parser.add_argument("--all-copies", action="store_true",
                        help="affiche toutes les copies (par défaut : un résultat par groupe de copies)")
    parser.add_argument("--count", metavar="C",
                        help="ce que comptent les facettes : articles (défaut) ou stories (un groupe de copies compte une fois)")
    add_filter_arguments(parser)
    parser.add_argument("--json", action="store_true", help="affiche l'objet résultat en JSON")


def french_date(iso: str | None) -> str:
    """``2022-09-22`` -> ``22 septembre 2022`` (``1er`` for the first day)."""
    return date_fr(iso, "date inconnue")


def terminal_text(fragment_html: str, tty: bool) -> str:
    """A snippet for a terminal: marks in bold (terminal) or [brackets], entities decoded."""
    if tty:
        marked = _MARK_RE.sub(lambda m: "\x00B" + m.group(1) + "\x00E", fragment_html)
    else:
        marked = _MARK_RE.sub(lambda m: "[" + m.group(1) + "]", fragment_html)
    text = html.unescape(marked)
    # nothing from a document may drive the terminal: drop control characters
    text = "".join(c for c in text if c == "\x00" or c >= " " or c == "\t")
    return text.replace("\x00B", "\033[1m").replace("\x00E", "\033[0m")


def _plain(value) -> str:
    return terminal_text(html.escape(str(value)), False) if value is not None else ""


def open_engine(args):
    """The configured backend's engine, or None once an error is said in French."""
    from searchsvc import engine as engines

    index = config.index_dir(getattr(args, "index", None))
    try:
        engine = engines.open_engine(index, synonyms_path=getattr(args, "synonyms", None))
        engine.info()
    except (engines.BackendUnavailable, engines.ConfigError) as exc:
        print(f"Erreur : {getattr(exc, 'message', exc)}", file=sys.stderr)
        return None
    except engines.NoIndexError:
        print(f"Aucun index dans « {index} » : lancez d'abord « searchsvc reindex ».", file=sys.stderr)
        return None
    except OSError as exc:
        from searchsvc.ingest.reader import os_error_message

        print(f"Fichier illisible : {os_error_message(exc)}", file=sys.stderr)
        return None
    return engine


def _facet_line(label: str, entries: list[dict], unknown: str, limit: int = 12) -> str:
    shown = [f"{e['value'] if e['value'] is not None else f'({unknown})'} ({e['count']})"
             for e in entries[:limit]]
    more = f", … (+{len(entries) - limit})" if len(entries) > limit else ""
    return f"{label} : " + (", ".join(_plain(s) for s in shown) + more if shown else "—")


PARTIAL_HEADING = "Articles contenant une partie des mots"


def render(result: dict, tty: bool) -> str:
    total, partial = result["total"], result.get("total_partial", 0)
    q = result["query"]
    head = f"« {_plain(q)} » : " if q else ""
    ms = decimal_fr(result["took_ms"])
    stories = result.get("total_stories", total)
    # hits listed over all pages: one per copy group unless every copy is asked for
    listed = (stories if result.get("copies") != "all" else total) + partial
    pages = max(1, -(-listed // result["per_page"]))
    grouped = (f", {stories} {'histoire distincte' if stories <= 1 else 'histoires distinctes'}"
               if stories != total else "")
    more = f", et {int_fr(partial)} avec une partie des mots" if partial else ""
    at = (f"page {int_fr(result['page'])} : au-delà de la dernière ({int_fr(pages)})"
          if result["page"] > pages else f"page {result['page']}/{pages}")
    out = [f"{head}{count_fr(total, 'résultat')}{grouped}{more} ({ms} ms) — {at}"]
    for note in result.get("notes") or ():
        out.append(f"Remarque : {_plain(note)}")
    if result.get("suggestion"):
        out.append(f"Essayez avec : {_plain(result['suggestion'])}")
    if not total and partial:
        out.append("Aucun article ne contient tous les mots ; voici ceux qui en contiennent une partie.")
    out.append("")
    start = (result["page"] - 1) * result["per_page"]
    if not result["results"]:
        if (total or partial) and start >= listed:
            out.append("Cette page est au-delà du dernier résultat.")
        else:
            out.append("Aucun document ne correspond. Vérifiez l'orthographe, retirez un filtre "
                       "ou essayez des mots plus généraux.")
        out.append("")
    for i, r in enumerate(result["results"], start + 1):
        if r.get("partial") and (i == start + 1 or not result["results"][i - start - 2].get("partial")):
            out.append(f"— {PARTIAL_HEADING} ({partial}) —")
            out.append("")
        title = _plain(r["title"]) or "(sans titre)"
        out.append(f"{i:>3}. {title}")
        meta = [_plain(r["source"]) or f"source {unknown_fr('source')}", french_date(r["date"]),
                _plain(r["id"])]
        if r.get("author"):
            meta.insert(1, "par " + _plain(r["author"]))
        out.append("     " + " · ".join(meta))
        if r.get("snippet"):
            out.append("     " + terminal_text(r["snippet"], tty))
        cp = r.get("copies") or {}
        if cp.get("count"):
            shown = ", ".join(f"{_plain(c['source']) or 'source inconnue'} ({french_date(c['date'])})"
                              for c in cp["items"])
            more = f" et {cp['count'] - len(cp['items'])} de plus" if cp["count"] > len(cp["items"]) else ""
            out.append(f"     + {cp['count']} {'autre version' if cp['count'] == 1 else 'autres versions'} : "
                       f"{shown}{more} (searchsvc copies {_plain(r['id'])})")
        out.append("")
    f = result["facets"]
    if result.get("facets_count") == "stories":
        out.append("(les nombres comptent les histoires : un groupe de copies compte une fois)")
    out.append(_facet_line("Sources", f["source"], unknown_fr("source")))
    out.append(_facet_line("Années", f["year"], unknown_fr("year")))
    out.append(_facet_line("Mois", f["month"], unknown_fr("month")))
    out.append(_facet_line("Langues", f["lang"], unknown_fr("lang")))
    for key, label in (("person", "Personnes"), ("org", "Organisations"), ("place", "Lieux")):
        if f.get(key):
            out.append(_facet_line(label, f[key], ""))
    return "\n".join(out)


def run(args) -> int:
    from searchsvc.commands.options import filter_mapping, print_error
    from searchsvc.search import QueryError, parse_params

    raw = {
        "q": " ".join(args.query),
        **filter_mapping(args),
        "sort": args.sort,
        "page": args.page,
        "per_page": args.per_page,
        "copies": "all" if args.all_copies else None,
        "count": args.count,
    }
    try:
        params = parse_params({k: v for k, v in raw.items() if v is not None})
    except QueryError as exc:
        print_error(exc)
        return 2
    engine = open_engine(args)
    if engine is None:
        return 1
    try:
        result = engine.search(params)
    finally:
        engine.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(render(result, sys.stdout.isatty()))
    return 0
