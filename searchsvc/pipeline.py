"""The backend-neutral reindex pipeline: corpus files -> enriched field dicts -> a sink.

Both backends' reindexes run it (:mod:`searchsvc.backends.whoosh.indexer.build`,
:mod:`searchsvc.backends.opensearch.indexer`). It walks the work (files, parts of big
``.jsonl`` files, or :class:`~searchsvc.article.Article` objects), shares it between
*workers* (in this process, or ``spawn``-ed processes killed by the kernel if the parent
dies), each of which extracts (:mod:`searchsvc.ingest`), enriches (copy records,
entities, quotes) and hands every article's fields
(:func:`~searchsvc.backends.whoosh.indexer.schema.article_fields` plus
:meth:`~searchsvc.enrich.entities.Enricher.fields`) to its own **sink**, then reports
per-file outcomes to the parent. A sink is a backend's writer: Whoosh's writes segments,
OpenSearch's sends bulk requests. It is made in the worker by ``make_sink(*sink_args)``
(both picklable) and answers:

- ``add(fields: dict) -> None`` - one article;
- ``finish() -> Any`` - the worker is done; what it returns goes back to the parent
  (Whoosh: the segments written), collected in the order the workers finish;
- ``cancel() -> None`` - the run failed;
- optionally ``drain() -> Any`` - after each chunk, something for the parent, given to
  ``Run.receive`` there (e.g. documents the parent sends itself).

Also here: the change detection of an incremental run (:func:`plan_incremental`), the
duplicate-id rule (:func:`duplicate_losers`), the report and its French tallies.
"""

from __future__ import annotations

import os
import queue
import signal
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from searchsvc.enrich import copies
from searchsvc.enrich import entities as entity_enrich
from searchsvc.french import count_fr
from searchsvc.ingest import IngestError, doc_id, extract, iter_extract, jsonl_parts, load_manifest
from searchsvc.ingest.reader import check_max_bytes, corpus_paths, os_error_reason

#: Below this many files per worker, extra worker processes cost more than they save.
MIN_FILES_PER_WORKER = 150
#: Files handed to a worker at a time.
CHUNK = 16
#: A .jsonl file larger than twice this is cut into parts of about this many bytes,
#: shared out between the workers like files (a part is about 100 news articles).
PART_BYTES = 256 * 1024
#: Rough size of one article in a .jsonl, to weigh a big file against files.
JSONL_ARTICLE_BYTES = 2048


class Sink(Protocol):
    """Where a worker's articles go (see the module's docstring)."""

    def add(self, fields: dict) -> None: ...

    def finish(self) -> Any: ...

    def cancel(self) -> None: ...


class ReindexError(Exception):
    """A reindex could not produce a usable index (the previous one is untouched).

    ``skipped``: the (path, reason) of every file that could not be indexed.
    """

    def __init__(self, message: str, skipped=()):
        super().__init__(message)
        self.skipped = list(skipped)


@dataclass
class ReindexReport:
    """What a reindex did. Counts are of corpus files; ``documents`` of articles."""

    generation: str
    full: bool
    reason: str = ""
    files: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: (path, reason) of the objects of indexed .json/.jsonl files that were left out
    skipped_articles: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    total_documents: int = 0
    seconds: float = 0.0
    docs_per_s: float = 0.0
    removed_generations: list[str] = field(default_factory=list)
    #: what an interrupted reindex had left and this one removed (French sentences)
    cleaned: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """False when the run found nothing to do and left the index as it was."""
        return bool(self.full or self.added or self.updated or self.deleted)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["skipped"] = [{"path": p, "reason": r} for p, r in self.skipped]
        d["skipped_articles"] = [{"path": p, "reason": r} for p, r in self.skipped_articles]
        d["changed"] = self.changed
        return d


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start(corpus_dir, workers, log) -> tuple[Path, int, Callable]:
    """A reindex's checks before it takes its lock: the corpus folder exists and the
    size limit is valid (else :class:`ReindexError`); the workers and ``log`` to use."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise ReindexError(f"dossier du corpus introuvable : « {corpus_dir} »")
    bad_limit = check_max_bytes()
    if bad_limit:
        raise ReindexError(bad_limit)
    return corpus_dir, max(1, int(workers or default_workers())), log or (lambda message: None)


@dataclass
class Listing:
    """The corpus as a run finds it: its files (``rels``), their sidecars, the manifest,
    and the skipped list the run's report starts with (a bad manifest first)."""

    rels: list
    sidecars: set
    manifest: "Manifest"
    skipped: list


def list_corpus(corpus_dir: Path, known_manifest: str | None) -> Listing:
    """The corpus's files; ``known_manifest``: the digest the live state recorded (None
    for a full run)."""
    skipped: list = []
    manifest = Manifest(corpus_dir, skipped, known_manifest)
    sidecars: set = set()
    try:
        rels = [rel for rel, _ in corpus_paths(corpus_dir, sidecars)]
    except IngestError as exc:
        raise ReindexError(exc.reason) from None
    return Listing(rels, sidecars, manifest, skipped)


def timed(report: ReindexReport, t0: float) -> ReindexReport:
    """``report`` with its duration since ``t0`` (``time.monotonic()``) and docs/s."""
    report.seconds = time.monotonic() - t0
    report.docs_per_s = report.documents / report.seconds if report.seconds > 0 else 0.0
    return report


# ---------------------------------------------------------------- workers


class Worker:
    """Extracts and enriches files and hands each article's fields to its sink."""

    def __init__(self, sink: Sink, corpus_dir, manifest, enrich_dir):
        self.corpus = Path(corpus_dir)
        self.manifest = manifest
        self.sink = sink
        self.current = None  # the item being read or indexed (named if it fails)
        self.enricher = entity_enrich.Enricher(Path(enrich_dir))  # entities and quotes

    def process(self, rel):
        """``("ok", rel, FileRecord, ndocs, skipped objects' reasons, copy records)`` or
        ``("skip", rel, reason, skip signature)``.

        ``rel`` may also be an :class:`~searchsvc.article.Article`, indexed as
        it is, or a part of a big .jsonl (see :meth:`_read_part`).
        """
        return self.process_many([rel])[0]

    def process_many(self, items) -> list:
        """The outcomes of :meth:`process` for each of ``items``, in order: all of them
        are read first, then NER runs over all their articles at once
        (``Enricher.prepare``: batches), then they are indexed in the same order."""
        staged = []
        for item in items:
            self.current = item
            staged.append(self._read(item))
        self.current = None
        self.enricher.prepare([art for st in staged for art in st[-1]])
        out = []
        for item, st in zip(items, staged):
            self.current = item
            out.append(self._index(st))
        self.current = None
        return out

    def _read(self, rel):
        """An item read and cleaned, not indexed yet; its articles come last."""
        if isinstance(rel, tuple):
            return self._read_part(*rel[1:])
        if not isinstance(rel, str):
            return ("article", rel, [rel])
        path = self.corpus / rel
        entry = sig = ssig = None
        try:
            entry = manifest_entry(self.manifest, rel, lambda: doc_id(path, self.corpus))
            # signatures before reading: a change made meanwhile is seen next run
            sig, ssig = signature(path, entry), skip_signature(path, entry)
            # hash before reading too: a file rewritten meanwhile never gets the new
            # content's hash recorded beside the old content's text (seen next run)
            digest = content_hash(path, entry)
            errors = []
            articles = extract(path, root=self.corpus, manifest=self.manifest, errors=errors)
        except IngestError as exc:
            return ("done", ("skip", rel, exc.reason, ssig), [])
        except OSError as exc:
            return ("done", ("skip", rel, f"illisible : {os_error_reason(exc)}", ssig), [])
        except Exception as exc:  # a bug in ingestion must not stop the whole corpus
            return ("done", ("skip", rel,
                             f"erreur inattendue à l'extraction : {type(exc).__name__}: {exc}",
                             ssig), [])
        if not articles:
            return ("done", ("skip", rel, "aucun article dans ce fichier", ssig), [])
        ids = [a.id for a in articles]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            return ("done", ("skip", rel, f"identifiant « {dup} » en double dans le fichier",
                             ssig), [])
        return ("file", rel, sig, digest, errors, ids, articles)

    def _index(self, staged):
        """Index what :meth:`_read` gave; returns the item's outcome."""
        kind = staged[0]
        if kind == "done":
            return staged[1]
        if kind == "article":
            art = staged[1]
            self.sink.add({**article_fields(art), **self.enricher.fields(art)})
            return ("article", art.id, [r for r in [copies.record(art)] if r is not None])
        if kind == "file":
            _, rel, sig, digest, errors, ids, articles = staged
            rows = [row for art in articles if (row := self._add_article(rel, art, digest)) is not None]
            return ("ok", rel, FileRecord(sig, digest, ids), len(ids), errors, rows)
        _, rel, part, digest, errors, fatal, articles = staged
        ids, rows = [], []
        for art in articles:
            row = self._add_article(rel, art, digest)
            if row is not None:
                rows.append(row)
            ids.append(art.id)
        return ("part", rel, part.index, part.count, ids, errors, fatal, rows)

    def _add_article(self, rel, art, digest):
        """Index one article; returns its copy-group record (searchsvc.enrich.copies,
        grouped by the parent) or None."""
        row = copies.record(art)
        fields = article_fields(art, digest)
        fields["path"] = rel
        fields.update(self.enricher.fields(art))
        try:
            self.sink.add(fields)
        except ReindexError:  # the sink's own French message
            raise
        except Exception as exc:
            raise RuntimeError(f"{rel} : échec de l'indexation ({type(exc).__name__}: {exc})") from exc
        return row

    def _read_part(self, rel, part, digest):
        """One part of a big .jsonl, read up to its end or to a fatal error; indexed as
        ``("part", rel, k, count, ids, errors, fatal, rows)``."""
        errors, fatal, articles = [], None, []
        stream = iter_extract(self.corpus / rel, root=self.corpus, manifest=self.manifest,
                              errors=errors, part=part)
        while True:
            art = None
            try:
                art = next(stream, None)
            except IngestError as exc:
                fatal = exc.reason
            except OSError as exc:
                fatal = f"illisible : {os_error_reason(exc)}"
            except Exception as exc:  # a bug in ingestion must not stop the whole corpus
                fatal = f"erreur inattendue à l'extraction : {type(exc).__name__}: {exc}"
            if art is None or fatal:
                break
            articles.append(art)
        return ("part", rel, part, digest, errors, fatal, articles)

    def drain(self):
        """What the sink passes to the parent after each chunk (its ``drain()``), or None."""
        drain = getattr(self.sink, "drain", None)
        return drain() if drain else None

    def finish(self):
        """The sink's result (returned to the parent)."""
        return self.sink.finish()

    def cancel(self):
        try:
            self.sink.cancel()
        except Exception:
            pass


def _die_with_parent():
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - not Linux
        pass


def _worker_main(num, make_sink, sink_args, corpus_dir, manifest, enrich_dir, tasks, results,
                 parent):
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # and SIGTERM (sent to a whole group by systemd)
    if os.getppid() != parent:
        return
    worker = None
    try:
        worker = Worker(make_sink(*sink_args), corpus_dir, manifest, enrich_dir)
        while True:
            chunk = tasks.get()
            if chunk is None:
                break
            out = worker.process_many(chunk)
            results.put(("files", num, out, worker.drain()))
        results.put(("done", num, worker.finish()))
    except BaseException as exc:
        item = getattr(worker, "current", None)
        rel = (item if isinstance(item, str) else item[1] if isinstance(item, tuple)
               else getattr(item, "id", None))
        oserr = find_os_error(exc)  # re-raised as such by the parent (disk full...)
        told = isinstance(exc, ReindexError)  # a French message: passed on as it is
        results.put(("error", num, rel, str(exc) if told else traceback.format_exc(),
                     (oserr.errno, oserr.strerror, oserr.filename) if oserr else None, told))


@dataclass
class Run:
    """How to run the workers: their sink (``make_sink(*sink_args)`` in each worker),
    where the enricher keeps its caches, and the French line logged once every file
    is read (the sinks finishing)."""

    make_sink: Callable
    sink_args: tuple
    enrich_dir: Path
    finishing: tuple[str, str] = ("écriture du segment…", "écriture des segments…")
    #: called in the parent with what a sink's optional ``drain()`` gave after each chunk
    receive: Callable | None = None


def run_workers(run: Run, corpus_dir, manifest, todo, workers, progress, log):
    """Index the files ``todo``; returns (outcomes, what each worker's sink finished with)."""
    total = len(todo)
    big = _big_jsonl(corpus_dir, todo)
    weight = total - len(big) + sum(size // JSONL_ARTICLE_BYTES for size in big.values())
    n = max(1, min(workers, weight // MIN_FILES_PER_WORKER))
    log(f"extraction et indexation de {count_fr(total, 'fichier')}"
        + (f" ({count_fr(len(big), '.jsonl découpé', '.jsonl découpés')} en parties)" if big else "")
        + (f" par {n} processus" if n > 1 else " dans ce processus"))
    parts_meta: dict = {}
    chunks = _work_units(corpus_dir, todo, big, manifest, parts_meta)
    outcomes, finished = pool(run, corpus_dir, manifest, chunks, n, total, progress, log)
    return _merge_parts(outcomes, parts_meta), finished


def _big_jsonl(corpus_dir, todo) -> dict:
    """{rel: size} of the .jsonl files of ``todo`` big enough to be cut into parts."""
    big = {}
    for rel in todo:
        if rel.lower().endswith(".jsonl"):
            try:
                size = os.path.getsize(os.path.join(corpus_dir, rel))
            except OSError:
                continue
            if size > 2 * PART_BYTES:
                big[rel] = size
    return big


def _work_units(corpus_dir, todo, big, manifest, meta):
    """Chunks of CHUNK files; each part of a big .jsonl is a chunk of its own.

    ``meta`` receives rel -> [signature, skip signature, hash, error] of the cut
    files (taken before any part is read); their outcomes are joined by
    :func:`_merge_parts`.
    """
    chunk = []
    for rel in todo:
        if rel not in big:
            chunk.append(rel)
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
            continue
        path = Path(corpus_dir) / rel
        info = meta[rel] = [None, None, "", None]
        try:
            entry = manifest_entry(manifest, rel, lambda: doc_id(path, corpus_dir))
            info[0], info[1] = signature(path, entry), skip_signature(path, entry)
            info[2] = content_hash(path, entry)
            for part in jsonl_parts(path, PART_BYTES):  # lazily: workers start at once
                yield [("part", rel, part, info[2])]
        except IngestError as exc:
            info[3] = exc.reason
        except OSError as exc:
            info[3] = f"illisible : {os_error_reason(exc)}"
    if chunk:
        yield chunk


def _merge_parts(outcomes, meta) -> list:
    """The outcomes of the parts of each cut .jsonl joined into the outcome of the file."""
    parts: dict[str, list] = {rel: [] for rel in meta}
    out = []
    for o in outcomes:
        if o[0] == "part":
            parts[o[1]].append(o)
        else:
            out.append(o)
    for rel, got in parts.items():
        sig, ssig, digest, error = meta[rel]
        got.sort(key=lambda o: o[2])
        ids = [i for o in got for i in o[4]]
        errors = [e for o in got for e in o[5]]
        fatal = error or next((o[6] for o in got if o[6]), None)
        if not got and not fatal:
            fatal = "fichier vide"
        if ids:
            # a part that could not be read: the file is read again next run
            record = FileRecord(None, "", ids) if fatal else FileRecord(sig, digest, ids)
            out.append(("ok", rel, record, len(ids), errors + ([fatal] if fatal else []),
                        [r for o in got for r in o[7]]))
        else:
            out.append(("skip", rel, fatal or (errors[0] if errors else "aucun article dans ce fichier"),
                        ssig))
    return out


def pool(run: Run, corpus_dir, manifest, chunks, n, total, progress, log):
    """Run ``n`` workers over ``chunks`` (lists of corpus paths or of Articles).

    One worker runs in this process; several are spawned processes fed
    through a queue (by a thread, so ``chunks`` may be a lazy generator).
    Returns (outcomes of the files, what each worker's sink finished with).
    """
    if n == 1:
        worker = Worker(run.make_sink(*run.sink_args), corpus_dir, manifest, run.enrich_dir)
        out, done, articles = [], 0.0, 0
        try:
            for chunk in chunks:
                for o in worker.process_many(chunk):
                    if o is not None:
                        out.append(o)
                    done += _weight(o)
                    articles += _articles(o)
                if run.receive:
                    run.receive(worker.drain())
                if progress:
                    progress(min(total, round(done, 6)), total, articles)
            log(run.finishing[0])
            return out, [worker.finish()]
        except BaseException:
            worker.cancel()
            raise

    import multiprocessing as mp
    import threading

    ctx = mp.get_context("spawn")
    tasks, results = ctx.Queue(4 * n), ctx.Queue()
    stop = threading.Event()
    feed_error = []

    def put(item) -> bool:
        """Queue ``item`` unless the run stops meanwhile; False if it stopped."""
        while not stop.is_set():
            try:
                tasks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def feed():
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
        except BaseException as exc:  # e.g. the caller's article generator failed
            feed_error.append(exc)
        for _ in range(n):
            put(None)

    procs = [ctx.Process(target=_worker_main, name=f"searchsvc-indexer-{k}", daemon=True,
                         args=(k, run.make_sink, run.sink_args, str(corpus_dir), manifest,
                               str(run.enrich_dir), tasks, results, os.getpid()))
             for k in range(n)]
    feeder = threading.Thread(target=feed, name="searchsvc-indexer-feed", daemon=True)
    out, finished_with, finished, done, wrote, articles = [], [], set(), 0.0, False, 0
    try:
        # started with Ctrl-C and SIGTERM blocked (kept across exec): sent to the whole group,
        # they stop the parent alone, which cleans up; a worker starting cannot die of them
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGINT, signal.SIGTERM))
        try:
            for p in procs:
                p.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        feeder.start()
        idle_since = None
        while len(finished) < n:
            if feed_error:
                raise feed_error[0]
            try:
                msg = results.get(timeout=0.5)
            except queue.Empty:
                dead = [p for k, p in enumerate(procs) if k not in finished and p.exitcode is not None]
                if dead:
                    idle_since = idle_since or time.monotonic()
                    if any(p.exitcode != 0 for p in dead) or time.monotonic() - idle_since > 5:
                        codes = ", ".join(str(p.exitcode) for p in dead)
                        raise ReindexError(f"un processus d'indexation s'est arrêté (code {codes})")
                continue
            kind = msg[0]
            if kind == "files":
                if run.receive:
                    run.receive(msg[3])
                out.extend(o for o in msg[2] if o is not None)
                done += sum(_weight(o) for o in msg[2])
                articles += sum(_articles(o) for o in msg[2])
                if progress:
                    progress(min(total, round(done, 6)), total, articles)
                if total and round(done, 6) >= total and not wrote:
                    wrote = True
                    log(run.finishing[1])
            elif kind == "done":
                finished.add(msg[1])
                finished_with.append(msg[2])
            else:
                if msg[4]:
                    raise OSError(*msg[4])
                if msg[5]:
                    raise ReindexError(msg[3])
                where = f" sur {msg[2]}" if msg[2] else ""
                raise ReindexError(f"échec d'un processus d'indexation{where} :\n{msg[3]}")
        if feed_error:
            raise feed_error[0]
    finally:
        stop.set()
        for p in procs:
            if p.is_alive() and p.pid is not None and len(finished) < n:
                p.kill()
        for p in procs:
            if p.pid is not None:
                p.join(timeout=10)
        if feeder.is_alive():
            feeder.join(timeout=5)
        tasks.cancel_join_thread()
        for q in (tasks, results):
            q.close()
    return out, finished_with


def _articles(outcome) -> int:
    """How many articles one outcome indexed."""
    if outcome is None:
        return 0
    kind = outcome[0]
    return outcome[3] if kind == "ok" else len(outcome[4]) if kind == "part" else int(kind == "article")


def _weight(outcome) -> float:
    """How much of a file one outcome is: a part of a cut .jsonl counts 1/parts."""
    return 1.0 / outcome[3] if outcome is not None and outcome[0] == "part" else 1.0


# ---------------------------------------------------------------- outcomes


def tally(outcomes, report, skips):
    """Documents and skips from worker outcomes; returns {path: FileRecord} of indexed files.

    Skipped files go into ``report.skipped`` and ``skips`` (path -> [sig, reason, kind]).
    """
    records = {}
    for o in outcomes:
        if o[0] == "ok":
            records[o[1]] = o[2]
            report.documents += o[3]
            report.skipped_articles.extend((o[1], reason) for reason in o[4])
        else:
            report.skipped.append((o[1], o[2]))
            skips[o[1]] = [o[3], o[2], "bad"]
    return dict(sorted(records.items()))


def copy_rows(outcomes, records) -> list:
    """The copy records of the files kept in ``records`` (duplicate-id losers excluded)."""
    return [row for o in outcomes if o[0] == "ok" and o[1] in records for row in o[5]]


def count(records, report, previous):
    report.updated = sum(1 for rel in records if rel in previous)
    report.added = len(records) - report.updated


def duplicate_losers(owners, new_records) -> dict:
    """Two files giving one document id: the file indexed first (or first by path) keeps it.

    ``owners`` maps id -> path for files already in the index and unchanged;
    ``new_records`` (path -> FileRecord, in path order) are this run's files. Returns
    ``{path: (FileRecord, clashing id, path of its owner)}`` of the losers.
    """
    owner = dict(owners)
    losers = {}
    for rel, rec in new_records.items():
        clash = next((i for i in rec.ids if owner.get(i, rel) != rel), None)
        if clash is not None:
            losers[rel] = (rec, clash, owner[clash])
        else:
            for i in rec.ids:
                owner[i] = rel
    return losers


def drop_losers(losers, new_records, report, skips) -> None:
    """Report the losers of :func:`duplicate_losers` as skipped (once the backend has
    removed their documents) and forget their records."""
    for rel, (rec, clash, first) in losers.items():
        del new_records[rel]
        reason = f"identifiant « {clash} » déjà utilisé par {first}"
        report.skipped.append((rel, reason))
        skips[rel] = [None, reason, "dup"]
        report.documents -= len(rec.ids)


class Manifest:
    """The corpus's ``manifest.jsonl``, read only when needed.

    Its digest is taken first; when it is the one the live state recorded (``known``,
    recorded only for a manifest that could be read), every file's manifest entry is
    the one its signature holds, so an incremental run that finds nothing changed
    never parses the manifest nor digests its 33,930 entries. Otherwise it is read at
    once (a bad manifest is reported first among the skipped files, as ever).
    """

    def __init__(self, corpus_dir: Path, skipped: list, known: str | None = None):
        self.corpus_dir, self.skipped = corpus_dir, skipped
        try:
            self.digest = manifest_digest(corpus_dir)
        except OSError:
            self.digest = None  # unreadable: loading it says why
        self.unchanged = self.digest is not None and self.digest == known
        self._entries: dict | None = None
        self.ok = self.unchanged
        if not self.unchanged:
            self.entries()

    def entries(self) -> dict:
        if self._entries is None:
            try:
                self._entries = load_manifest(self.corpus_dir)
                self.ok = True
            except IngestError as exc:
                self._entries, self.ok = {}, False
                self.skipped.append(("manifest.jsonl", f"manifeste ignoré : {exc.reason}"))
        return self._entries

    def recorded(self) -> str | None:
        """What the state records: the digest of a manifest that could be read."""
        return self.digest if self.ok else None


def check_corpus(corpus_dir: Path, live) -> None:
    """Refuse to commit when the corpus folder vanished during the run: its files were
    not deleted, they could not be read (the index is left as it was)."""
    if not corpus_dir.is_dir():
        raise ReindexError(
            f"le dossier du corpus « {corpus_dir} » a disparu pendant la réindexation : "
            + (f"l'index {live} est conservé tel quel" if live else "aucun index n'a été activé"))


# ---------------------------------------------------------------- incremental runs


@dataclass
class Plan:
    """What an incremental run must do: ``todo`` files to (re)index, ``gone`` files
    deleted, ``unchanged`` records kept, ``skips`` still skipped, ``touched``: some
    unchanged file got a new signature (its state is saved even with nothing to do)."""

    unchanged: dict
    todo: list
    gone: list
    skips: dict
    touched: bool

    @property
    def nothing(self) -> bool:
        return not self.todo and not self.gone


def plan_incremental(corpus_dir: Path, state, rels, manifest: Manifest, report, log, live,
                     sidecars=None) -> Plan:
    """Compare the corpus's files (``rels``) with ``state``; fills ``report``'s
    ``unchanged``, ``deleted`` and the skipped files that stay skipped."""
    unchanged, todo, touched, skips, dups = {}, [], False, {}, []
    root = os.fspath(corpus_dir)

    def entry_of(rel, path):
        try:
            return manifest_entry(manifest.entries(), rel, lambda: doc_id(Path(path), corpus_dir))
        except Exception:
            return None

    def sig_of(rel, path, old_sig, sign=signature):
        """The file's signature; with the manifest unchanged, the manifest part of the
        signature recorded for it (``old_sig``) is the current one."""
        if manifest.unchanged and old_sig is not None:
            return sign(path, None, entry_digest=old_sig[3], sidecars=sidecars)
        return sign(path, entry_of(rel, path), sidecars=sidecars)

    for rel in rels:
        path = os.path.join(root, rel)
        old = state.files.get(rel)
        if old is None:
            sk = state.skipped.get(rel)
            if sk is not None and sk[2] == "dup":
                dups.append(rel)
            elif sk is not None and sk[0] == sig_of(rel, path, sk[0], skip_signature):
                skips[rel] = sk  # still the same bad file: not retried
                report.skipped.append((rel, sk[1]))
            else:
                todo.append(rel)
            continue
        sig = sig_of(rel, path, old.sig)
        if sig is not None and sig == old.sig:
            unchanged[rel] = old
            continue
        try:
            digest = content_hash(path, entry_of(rel, path))
        except OSError:
            digest = None
        if sig is not None and digest == old.hash:  # touched, same content
            unchanged[rel] = FileRecord(sig, digest, old.ids)
            touched = True
        else:
            todo.append(rel)
    present = set(rels)
    gone = [rel for rel in state.files if rel not in present]
    if todo or gone:  # an id clash may be gone: retry the files that lost one
        todo = sorted(todo + dups)
    else:
        for rel in dups:
            skips[rel] = state.skipped[rel]
            report.skipped.append((rel, skips[rel][1]))
    report.unchanged = len(unchanged)
    report.deleted = len(gone)
    log(f"{live} : {count_fr(len(rels), 'fichier')}, "
        f"{count_fr(len(todo), 'nouveau ou modifié', 'nouveaux ou modifiés')}, "
        f"{count_fr(len(gone), 'supprimé')}")
    return Plan(unchanged, todo, gone, skips, touched)


def settle_unchanged(plan: Plan, state, manifest: Manifest, report, state_dir) -> None:
    """A run with nothing to (re)index: save the state only if signatures, skips or the
    manifest changed; ``report.total_documents`` from the state."""
    if (plan.touched or plan.skips.keys() != state.skipped.keys()
            or state.manifest != manifest.recorded()):
        state.files = dict(sorted(plan.unchanged.items()))
        state.skipped = plan.skips
        state.manifest = manifest.recorded()
        state.save(state_dir)
    report.total_documents = sum(len(r.ids) for r in plan.unchanged.values())


# Last: these modules' package (searchsvc.backends.whoosh.indexer) imports its reindex,
# which imports this module; everything above is defined by then, whichever comes first.
from searchsvc.backends.whoosh.indexer.schema import article_fields  # noqa: E402
from searchsvc.backends.whoosh.indexer.state import (FileRecord, content_hash,  # noqa: E402
                                                     manifest_digest, manifest_entry, signature,
                                                     skip_signature)
from searchsvc.backends.whoosh.indexer.store import IndexBusyError, find_os_error  # noqa: E402,F401
