"""`searchsvc reindex`: bring the index up to date with the corpus."""

from __future__ import annotations

import sys
import time

from searchsvc import config

HELP = "met l'index à jour avec le corpus (incrémental ; --full pour tout reconstruire)"

# exit codes
OK, NO_INDEX, BUSY = 0, 1, 3


def add_arguments(parser):
    parser.add_argument("--corpus", metavar="DOSSIER",
                        help="dossier des articles (défaut : $SEARCHSVC_CORPUS, sinon ./corpus)")
    parser.add_argument("--index", metavar="DOSSIER",
                        help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    parser.add_argument("--full", action="store_true",
                        help="reconstruit une nouvelle génération complète puis bascule dessus")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="processus d'extraction et d'indexation (défaut : nombre de cœurs)")
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDES",
                        help="attendre jusqu'à SECONDES qu'une autre réindexation se termine")
    parser.add_argument("--quiet", action="store_true",
                        help="n'affiche que les fichiers ignorés et les erreurs")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def _num(n: float) -> str:
    return f"{n:,.0f}".replace(",", "\u202f")


class Progress:
    """A progress bar on a terminal, plain log lines otherwise (on ``stream``)."""

    def __init__(self, stream=None, tty=None, interval=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.start = time.monotonic()
        self.last = 0.0
        self.last_decile = -1
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        decile = done * 10 // total if total else 10
        due = now - self.last >= self.interval or (not self.tty and decile > self.last_decile)
        if not due and done < total:
            return
        self.last, self.last_decile = now, decile
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0
        pct = 100 * done / total if total else 100
        if self.tty:
            width = 28
            full = int(width * done / total) if total else width
            bar = "█" * full + "·" * (width - full)
            line = (f"\r[{bar}] {_num(done)}/{_num(total)} fichiers  {rate:,.0f}/s  "
                    f"reste {_duration(eta)}   ")
            self.stream.write(line)
            self.drawn = True
            if done >= total:
                self.stream.write("\n")
                self.drawn = False
        else:
            self.stream.write(f"indexation : {done}/{total} fichiers ({pct:.0f} %), "
                              f"{rate:.0f} fichiers/s, reste {_duration(eta)}\n")
        self.stream.flush()

    def log(self, message: str) -> None:
        self.close()
        self.stream.write(message + "\n")
        self.stream.flush()

    def close(self):
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


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
        f"inchangés : {report.unchanged}, ignorés : {len(report.skipped)}")
    for path, reason in report.skipped:
        lines.append(f"  ignoré : {path} : {reason}")
    lines.append(f"documents indexés : {report.documents} ; dans l'index : {report.total_documents}")
    lines.append(f"durée : {report.seconds:.1f} s ; {report.docs_per_s:.0f} docs/s")
    if report.removed_generations:
        lines.append("anciennes générations supprimées : " + ", ".join(report.removed_generations))
    return "\n".join(lines)


def run(args) -> int:
    from searchsvc.indexer import IndexBusyError, ReindexError, reindex

    corpus = config.corpus_dir(args.corpus)
    index = config.index_dir(args.index)
    if args.workers is not None and args.workers < 1:
        print("--workers doit être au moins 1.", file=sys.stderr)
        return 2
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
    except ReindexError as exc:
        if progress:
            progress.close()
        print(f"Échec de la réindexation : {exc}", file=sys.stderr)
        return NO_INDEX
    if progress:
        progress.close()
    if args.quiet:
        for path, reason in report.skipped:
            print(f"ignoré : {path} : {reason}", file=sys.stderr)
    else:
        print(summary(report))
    return OK
