"""`searchsvc reindex`: bring the index up to date with the corpus."""

from __future__ import annotations

import os
import sys
import time

from searchsvc import config
from searchsvc.commands.argparse_fr import int_range, number
from searchsvc.french import count_fr, int_fr, plural_fr, rate_fr, seconds_fr

HELP = "met l'index à jour avec le corpus (incrémental ; --full pour tout reconstruire)"

# exit codes
OK, NO_INDEX, BUSY = 0, 1, 3
#: CPU niceness of a reindex (the service's searches come first; as POST /api/reindex)
DEFAULT_NICE = 10


def add_arguments(parser):
    from searchsvc.ingest.reader import MAX_BYTES_HELP

    parser.epilog = MAX_BYTES_HELP
    parser.add_argument("--corpus", metavar="DOSSIER",
                        help="dossier des articles (défaut : $SEARCHSVC_CORPUS, sinon ./corpus)")
    parser.add_argument("--index", metavar="DOSSIER",
                        help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--full", action="store_true",
                        help="reconstruit une nouvelle génération complète puis bascule dessus")
    parser.add_argument("--workers", type=int_range(1, 256), metavar="N",
                        help="processus d'extraction et d'indexation (défaut : nombre de cœurs)")
    parser.add_argument("--wait", type=number, default=0.0, metavar="SECONDES",
                        help="attendre jusqu'à SECONDES qu'une autre réindexation se termine")
    parser.add_argument("--no-entities", action="store_true",
                        help="sans reconnaissance des entités ni des citations (plus rapide ; "
                             "changer ce choix reconstruit l'index)")
    parser.add_argument("--quiet", action="store_true",
                        help="n'affiche que les fichiers ignorés et les erreurs")
    parser.add_argument("--nice", type=int_range(0, 19), default=DEFAULT_NICE, metavar="N",
                        help=f"priorité CPU abaissée de N, de 0 à 19 (défaut : {DEFAULT_NICE}) : le "
                             "service reste réactif pendant une réindexation ; seul, sur une "
                             "machine libre, cela ne coûte rien ; 0 pour la priorité normale")


class Progress:
    """A progress bar on a terminal, plain log lines otherwise (on ``stream``): articles
    indexed, files done, their rate and the time left.

    The time left is extrapolated from the progress made since the first report, not
    since the start: starting the workers (and loading the entity model) would otherwise
    make the first estimates several times too long."""

    def __init__(self, stream=None, tty=None, interval=None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.clock = clock
        self.start = clock()
        self.first = None  # (time, fraction done) of the first report
        self.last = 0.0
        self.last_decile = -1
        self.drawn = False

    def __call__(self, done: float, total: int, articles: int = 0) -> None:
        now = self.clock()
        frac = min(1.0, done / total) if total else 1.0
        if self.first is None:
            self.first = (now, frac)
        decile = int(frac * 10)
        due = now - self.last >= self.interval or (not self.tty and decile > self.last_decile)
        if not due and frac < 1:
            return
        self.last, self.last_decile = now, decile
        per_s = articles / max(now - self.start, 1e-9)
        rate = rate_fr(per_s)
        left = self.eta(now, frac)
        left = f"reste {seconds_fr(left)}" if left is not None else "reste : estimation en cours"
        indexed = count_fr(articles, "article")
        files = f"{int(done)}/{count_fr(total, 'fichier')}"
        if self.tty:
            width = 28
            full = int(width * frac)
            bar = "█" * full + "·" * (width - full)
            self.stream.write(f"\r[{bar}] {indexed}, {files}  {rate}/s  {left}   ")
            self.drawn = True
            if frac >= 1:
                self.stream.write("\n")
                self.drawn = False
        else:
            self.stream.write(f"indexation : {indexed}, {files} ({100 * frac:.0f} %), "
                              f"{rate} {plural_fr(per_s, 'article')}/s, {left}\n")
        self.stream.flush()

    def eta(self, now: float, frac: float) -> float | None:
        """Seconds left at the pace since the first report; None until there is one."""
        if frac >= 1:
            return 0.0
        t1, f1 = self.first
        if frac <= f1 or now <= t1:
            return None
        return (1 - frac) * (now - t1) / (frac - f1)

    def log(self, message: str) -> None:
        self.close()
        self.stream.write(message + "\n")
        self.stream.flush()

    def close(self):
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


#: skipped objects of .json/.jsonl files listed in the summary (the rest is counted)
SHOWN_ARTICLES = 20


def skipped_lines(skipped, articles=()) -> list[str]:
    """One line per skipped file (all of them), then the skipped objects of indexed files."""
    lines = [f"  ignoré : {path} : {reason}" for path, reason in skipped]
    articles = list(articles)
    for path, reason in articles[:SHOWN_ARTICLES]:
        lines.append(f"  article ignoré : {path} : {reason}")
    if len(articles) > SHOWN_ARTICLES:
        rest = len(articles) - SHOWN_ARTICLES
        lines.append(f"  … et {count_fr(rest, 'autre article ignoré', 'autres articles ignorés')} "
                     "(« searchsvc extract FICHIER » les montre tous)")
    return lines


def summary(report) -> str:
    """The closing summary, in French."""
    lines = []
    if report.full:
        lines.append(f"Nouvelle génération {report.generation} ({report.reason}).")
    elif not report.changed:
        lines.append(f"Aucun changement : l'index {report.generation} est déjà à jour.")
    else:
        lines.append(f"Génération {report.generation} mise à jour.")
    lines.append(
        f"ajoutés : {report.added}, mis à jour : {report.updated}, supprimés : {report.deleted}, "
        f"inchangés : {report.unchanged}, ignorés : {len(report.skipped)}"
        + (f" ; articles ignorés dans des fichiers indexés : {len(report.skipped_articles)}"
           if report.skipped_articles else ""))
    lines += skipped_lines(report.skipped, report.skipped_articles)
    lines.append(f"documents indexés : {int_fr(report.documents)} ; "
                 f"dans l'index : {int_fr(report.total_documents)}")
    lines.append(f"durée : {seconds_fr(report.seconds)} ; "
                 f"{rate_fr(report.docs_per_s)} {plural_fr(report.docs_per_s, 'document')}/s")
    if report.removed_generations:
        lines.append(plural_fr(len(report.removed_generations), "ancienne génération supprimée",
                               "anciennes générations supprimées")
                     + " : " + ", ".join(report.removed_generations))
    return "\n".join(lines)


def run(args) -> int:
    from searchsvc.engine import ConfigError, reindex
    from searchsvc.pipeline import IndexBusyError, ReindexError

    corpus = config.corpus_dir(args.corpus)
    index = config.index_dir(args.index)
    config.lower_cpu_priority(args.nice)  # the worker processes inherit it
    if args.no_entities:
        os.environ["SEARCHSVC_NER"] = "0"  # read by the worker processes too
    progress = None if args.quiet else Progress()
    if not args.quiet:
        print(f"Réindexation de « {corpus} » dans « {index} »…", file=sys.stderr, flush=True)
    try:
        report = reindex(corpus, index, full=args.full, workers=args.workers,
                         progress=progress, wait=args.wait,
                         log=progress.log if progress else None)
    except IndexBusyError as exc:
        if progress:
            progress.close()
        print(str(exc), file=sys.stderr)
        return BUSY
    except (ReindexError, ConfigError) as exc:
        if progress:
            progress.close()
        print(f"Échec de la réindexation : {exc}", file=sys.stderr)
        for line in skipped_lines(getattr(exc, "skipped", ())):
            print(line, file=sys.stderr)
        return NO_INDEX
    if progress:
        progress.close()
    if args.quiet:
        for line in skipped_lines(report.skipped, report.skipped_articles):
            print(line.strip(), file=sys.stderr)
    else:
        print(summary(report))
    return OK
