"""Full and incremental reindexing.

Work is split between *workers*: each one extracts its share of the files
(:func:`searchsvc.ingest.extract`), analyses them and writes its own Whoosh
segment into the target generation (a ``SegmentWriter`` without the lock).
The parent process holds the reindex lock and Whoosh's write lock, applies
deletions, and commits the workers' segments in one atomic TOC write. With
``workers == 1`` (or few files) the single worker runs in-process; otherwise
the workers are ``spawn``-ed processes (safe from threaded callers such as
the web service), killed by the kernel if the parent dies.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.writing import SegmentWriter

from searchsvc.enrich import copies
from searchsvc.enrich import entities as entity_enrich
from searchsvc.french import count_fr
from searchsvc.backends.whoosh.indexer.schema import SCHEMA_VERSION, article_fields, build_schema
from searchsvc.backends.whoosh.indexer.state import (FileRecord, IndexState, content_hash, manifest_digest,
                                     manifest_entry, signature, skip_signature)
from searchsvc.backends.whoosh.indexer.store import (IndexBusyError, clean_leftovers, current_generation,
                                     find_os_error, fsync_tree, generation_problem,
                                     list_generations, os_errors_as, reindex_lock,
                                     remove_old_generations, switch_current)
from searchsvc.ingest import (IngestError, doc_id, extract, iter_extract, jsonl_parts,
                              load_manifest)
from searchsvc.ingest.reader import corpus_paths
from searchsvc.ingest.reader import check_max_bytes, os_error_reason

#: Whoosh's estimate (MB) of a worker's in-memory postings at which it closes its
#: segment and starts another one. Letting Whoosh spill postings to sorted runs
#: on disk instead costs about 1.8 ms of CPU per document (a third of the total):
#: rolling segments avoids it. Measured on news-fr (33,930 docs, 2 workers): about
#: 13 segments, 900 MB peak RSS for the whole process tree.
LIMITMB = 192
#: Below this many files per worker, extra worker processes cost more than they save.
MIN_FILES_PER_WORKER = 150
#: Files handed to a worker at a time.
CHUNK = 16
#: A .jsonl file larger than twice this is cut into parts of about this many bytes,
#: shared out between the workers like files (a part is about 100 news articles).
PART_BYTES = 256 * 1024
#: Rough size of one article in a .jsonl, to weigh a big file against files.
JSONL_ARTICLE_BYTES = 2048
#: Segments with fewer documents are merged together by incremental commits.
SMALL_SEGMENT_DOCS = 500
#: Seconds a reindex waits for Whoosh's write lock.
LOCK_WAIT = 5.0


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


def fingerprint() -> str:
    """Identifies the schema and the analysis (code, stop/protected lists, stemmer) an index
    was built with; an index built under another fingerprint is rebuilt in full."""
    from searchsvc import analysis

    return (f"schema-{SCHEMA_VERSION}-{analysis.fingerprint()}-{copies.fingerprint()}"
            f"-{entity_enrich.fingerprint()}")


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------- workers


class _Lengths:
    """The field lengths of a segment being written, for Whoosh's ``add_postings``,
    read once per field.

    Whoosh's own per-document reader is asked once per posting: it reads one byte
    through the column reader each time and, for a field without lengths (the
    existence-only ones), looks for the column file on disk again (one ``stat`` a
    posting). The values given are the same (``None`` for a zero byte, ``default``
    without a column).
    """

    def __init__(self, pdr):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numeric import byte_to_length

        self._pdr, self._column, self._lenfield = pdr, LENGTHS_COLUMN, _lenfield
        self._to_length = byte_to_length
        self._fields: dict = {}

    def _load(self, fieldname):
        pdr = self._pdr
        reader = pdr._cached_reader(self._lenfield(fieldname), self._column)
        if reader is None:
            values = None
        else:
            to_length = self._to_length
            values = [to_length(b) if b else None
                      for b in (reader[d] for d in range(pdr.doc_count_all()))]
        self._fields[fieldname] = values
        return values

    def doc_field_length(self, docnum, fieldname, default=0):
        try:
            values = self._fields[fieldname]
        except KeyError:
            values = self._load(fieldname)
        return default if values is None else values[docnum]


class _FastPool:
    """``add`` of Whoosh's ``PostingPool`` without its type assertions (the same size
    estimate, spill and order), called once per posting."""

    @staticmethod
    def install(pool):
        fieldnames, limit = pool.fieldnames, pool.limit

        def add(item):
            fieldnames.add(item[0])
            pool.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
            if pool.currentsize > limit:
                pool.save()  # a new ``pool.current`` list
            pool.current.append(item)

        pool.add = add
        return pool


class _FastSegmentWriter(SegmentWriter):
    """Whoosh's segment writer, writing postings with :class:`_Lengths` and adding them
    with :class:`_FastPool` (the same bytes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _FastPool.install(self.pool)

    def _flush_segment(self):
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        postings = self.pool.iter_postings()
        self.fieldwriter.add_postings(self.schema, _Lengths(pdr) if pdr else None, postings)
        self.fieldwriter.close()
        if pdr:
            pdr.close()


class _Worker:
    """Extracts files and writes them into segments of its own.

    A segment is closed and a new one started whenever the postings held in
    memory reach ``limitmb`` (Whoosh's estimate), so postings never go
    through Whoosh's on-disk sort runs.
    """

    def __init__(self, gen_dir, corpus_dir, manifest, limitmb):
        self.corpus = Path(corpus_dir)
        self.manifest = manifest
        self.ix = whoosh_index.open_dir(str(gen_dir))
        self.limitmb = limitmb
        self.roll_bytes = limitmb * 1024 * 1024
        self.segments = []
        self.current = None  # the item being read or indexed (named if it fails)
        self.writer = self._new_writer()
        self.enricher = entity_enrich.Enricher(Path(gen_dir).parent)  # entities and quotes

    def _new_writer(self):
        # the pool's own spill limit is only a safety net for a giant document
        return _FastSegmentWriter(self.ix, _lk=False, limitmb=4 * self.limitmb)

    def _add(self, fields):
        self.writer.add_document(**fields)
        if self.writer.pool.currentsize >= self.roll_bytes:
            self.segments.append(self.writer._finalize_segment())
            self.writer = self._new_writer()

    def process(self, rel):
        """``("ok", rel, FileRecord, ndocs, skipped objects' reasons, copy records)`` or
        ``("skip", rel, reason, skip signature)``.

        ``rel`` may also be an :class:`~searchsvc.article.Article`, indexed as
        it is (returns None), or a part of a big .jsonl (see :meth:`_read_part`).
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
            self._add({**article_fields(art), **self.enricher.fields(art)})
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
            self._add(fields)
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

    def finish(self) -> list:
        """Closes the current segment; returns all the segments written."""
        if self.writer._added:
            self.segments.append(self.writer._finalize_segment())
        else:
            self.writer._close_segment()
        return self.segments

    def cancel(self):
        try:
            self.writer._close_segment()
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


def _worker_main(num, gen_dir, corpus_dir, manifest, limitmb, tasks, results, parent):
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # and SIGTERM (sent to a whole group by systemd)
    if os.getppid() != parent:
        return
    worker = None
    try:
        worker = _Worker(gen_dir, corpus_dir, manifest, limitmb)
        while True:
            chunk = tasks.get()
            if chunk is None:
                break
            out = worker.process_many(chunk)
            results.put(("files", num, out))
        results.put(("done", num, worker.finish()))
    except BaseException as exc:
        item = getattr(worker, "current", None)
        rel = (item if isinstance(item, str) else item[1] if isinstance(item, tuple)
               else getattr(item, "id", None))
        oserr = find_os_error(exc)  # re-raised as such by the parent (disk full...)
        results.put(("error", num, rel, traceback.format_exc(),
                     (oserr.errno, oserr.strerror, oserr.filename) if oserr else None))


def _run_workers(gen_dir, corpus_dir, manifest, todo, workers, progress, limitmb, log):
    """Index the files ``todo``; returns (outcomes, segments)."""
    total = len(todo)
    big = _big_jsonl(corpus_dir, todo)
    weight = total - len(big) + sum(size // JSONL_ARTICLE_BYTES for size in big.values())
    n = max(1, min(workers, weight // MIN_FILES_PER_WORKER))
    log(f"extraction et indexation de {count_fr(total, 'fichier')}"
        + (f" ({count_fr(len(big), '.jsonl découpé', '.jsonl découpés')} en parties)" if big else "")
        + (f" par {n} processus" if n > 1 else " dans ce processus"))
    parts_meta: dict = {}
    chunks = _work_units(corpus_dir, todo, big, manifest, parts_meta)
    outcomes, segments = _pool(gen_dir, corpus_dir, manifest, chunks, n, total, progress,
                               limitmb, log)
    return _merge_parts(outcomes, parts_meta), segments


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


def _pool(gen_dir, corpus_dir, manifest, chunks, n, total, progress, limitmb, log):
    """Run ``n`` workers over ``chunks`` (lists of corpus paths or of Articles).

    One worker runs in this process; several are spawned processes fed
    through a queue (by a thread, so ``chunks`` may be a lazy generator).
    Returns (outcomes of the files, segments).
    """
    if n == 1:
        worker = _Worker(gen_dir, corpus_dir, manifest, limitmb)
        out, done, articles = [], 0.0, 0
        try:
            for chunk in chunks:
                for o in worker.process_many(chunk):
                    if o is not None:
                        out.append(o)
                    done += _weight(o)
                    articles += _articles(o)
                if progress:
                    progress(min(total, round(done, 6)), total, articles)
        except BaseException:
            worker.cancel()
            raise
        log("écriture du segment…")
        return out, worker.finish()

    import multiprocessing as mp
    import threading

    ctx = mp.get_context("spawn")
    tasks, results = ctx.Queue(4 * n), ctx.Queue()
    stop = threading.Event()
    feed_error = []

    def feed():
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        tasks.put(chunk, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # e.g. the caller's article generator failed
            feed_error.append(exc)
        for _ in range(n):
            while not stop.is_set():
                try:
                    tasks.put(None, timeout=0.2)
                    break
                except queue.Full:
                    continue

    procs = [ctx.Process(target=_worker_main, name=f"searchsvc-indexer-{k}", daemon=True,
                         args=(k, str(gen_dir), str(corpus_dir), manifest, limitmb,
                               tasks, results, os.getpid()))
             for k in range(n)]
    feeder = threading.Thread(target=feed, name="searchsvc-indexer-feed", daemon=True)
    out, segments, finished, done, wrote, articles = [], [], set(), 0.0, False, 0
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
                out.extend(o for o in msg[2] if o is not None)
                done += sum(_weight(o) for o in msg[2])
                articles += sum(_articles(o) for o in msg[2])
                if progress:
                    progress(min(total, round(done, 6)), total, articles)
                if total and round(done, 6) >= total and not wrote:
                    wrote = True
                    log("écriture des segments…")
            elif kind == "done":
                finished.add(msg[1])
                segments.extend(msg[2])
            else:
                if msg[4]:
                    raise OSError(*msg[4])
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
    return out, segments


def _articles(outcome) -> int:
    """How many articles one outcome indexed."""
    if outcome is None:
        return 0
    kind = outcome[0]
    return outcome[3] if kind == "ok" else len(outcome[4]) if kind == "part" else int(kind == "article")


def _weight(outcome) -> float:
    """How much of a file one outcome is: a part of a cut .jsonl counts 1/parts."""
    return 1.0 / outcome[3] if outcome is not None and outcome[0] == "part" else 1.0


def _merge_small_segments(writer, segments):
    """Merge policy of incremental commits: every segment under SMALL_SEGMENT_DOCS
    documents is merged into the new one once there are two or more of them.

    Whoosh's MERGE_SMALL almost never fires for segments of a few dozen
    documents, so each incremental run would otherwise leave one more segment
    behind; this keeps their number bounded at a cost proportional to the
    small segments only.
    """
    from whoosh.reading import SegmentReader

    small = [seg for seg in segments if seg.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) < 2:
        return segments
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    return [seg for seg in segments if seg not in small]


class _CombiningWriter(_FastSegmentWriter):
    """The parent's writer: deletions, merges, and the workers' segments in one commit."""

    def commit_segments(self, segments, merge=True):
        self._check_state()
        final = _merge_small_segments(self, self.segments) if merge else list(self.segments)
        final = list(final) + list(segments)
        if self._added:
            final.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final)
        self._finish()


def _writer(ix, wait, limitmb, index_dir):
    try:
        return _CombiningWriter(ix, timeout=max(wait, LOCK_WAIT), delay=0.1, limitmb=limitmb)
    except LockError:
        raise IndexBusyError(index_dir) from None


def _resolve_duplicates(ix, owners, new_records, report, index_dir, limitmb, skips):
    """Two files giving one document id: the file indexed first (or first by path) keeps it.

    ``owners`` maps id -> path for files already in the index and unchanged;
    ``new_records`` (path -> FileRecord, in path order) are this run's files.
    Losers are removed from the index and reported as skipped.
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
    if not losers:
        return
    w = _writer(ix, 0, limitmb, index_dir)
    try:
        with w.searcher() as s:
            for rel, (rec, _, _) in losers.items():
                for i in rec.ids:
                    for docnum in s.document_numbers(id=i):
                        if s.stored_fields(docnum).get("path") == rel:
                            w.delete_document(docnum)
        w.commit(merge=False)
    except BaseException:
        w.cancel()
        raise
    for rel, (rec, clash, first) in losers.items():
        del new_records[rel]
        reason = f"identifiant « {clash} » déjà utilisé par {first}"
        report.skipped.append((rel, reason))
        skips[rel] = [None, reason, "dup"]
        report.documents -= len(rec.ids)


def _tally(outcomes, report, skips):
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


def _copy_rows(outcomes, records) -> list:
    """The copy records of the files kept in ``records`` (duplicate-id losers excluded)."""
    return [row for o in outcomes if o[0] == "ok" and o[1] in records for row in o[5]]


def _count(records, report, previous):
    report.updated = sum(1 for rel in records if rel in previous)
    report.added = len(records) - report.updated


# ---------------------------------------------------------------- reindex


def reindex(corpus_dir, index_dir, full=False, workers=None, progress=None, *,
            wait: float = 0.0, limitmb: int = LIMITMB, log=None) -> ReindexReport:
    """Bring the index in ``index_dir`` up to date with ``corpus_dir``.

    Incremental by default (only new, changed and deleted files are touched);
    ``full=True`` builds a new generation and switches to it atomically. A
    first run, a missing or unreadable state, or a change of schema/analysis
    code also means a full build. ``progress(done, total, articles)`` is called as files
    are indexed and ``log(message)`` (French) at each phase. Raises
    :class:`IndexBusyError` when another reindex runs (after ``wait`` seconds)
    and :class:`ReindexError` when no usable index results; in both cases the
    live generation is untouched.
    """
    t0 = time.monotonic()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    if not corpus_dir.is_dir():
        raise ReindexError(f"dossier du corpus introuvable : « {corpus_dir} »")
    workers = max(1, int(workers or _default_workers()))
    log = log or (lambda message: None)
    bad_limit = check_max_bytes()
    if bad_limit:
        raise ReindexError(bad_limit)
    with os_errors_as(ReindexError, index_dir), reindex_lock(index_dir, wait) as stale_pid:
        cleaned = clean_leftovers(index_dir, stale_pid)
        for note in cleaned:
            log(f"nettoyage : {note}")
        live = current_generation(index_dir)
        reason = "reconstruction complète demandée (--full)" if full else ""
        state = None
        if not full:
            state = IndexState.load(index_dir / live) if live else None
            if live is None:
                full, reason = True, "aucun index existant"
            elif state is None:
                full, reason = True, f"état de {live} absent ou illisible"
            elif state.fingerprint != fingerprint():
                full, reason = True, "schéma ou analyse modifiés depuis la dernière indexation"
            elif not whoosh_index.exists_in(str(index_dir / live)):
                full, reason = True, f"index {live} illisible"
            elif (damage := generation_problem(index_dir / live)) is not None:
                full, reason = True, f"index {live} endommagé ({damage})"
            elif not copies.store_exists(index_dir / live):
                full, reason = True, f"groupes de copies de {live} absents ou illisibles"
        skipped = []
        manifest = _Manifest(corpus_dir, skipped, None if full else state.manifest)
        sidecars: set = set()
        try:
            rels = [rel for rel, _ in corpus_paths(corpus_dir, sidecars)]
        except IngestError as exc:
            raise ReindexError(exc.reason) from None
        if full:
            log(f"reconstruction complète ({reason}) : {count_fr(len(rels), 'fichier')}")
            report = _full(corpus_dir, index_dir, live, rels, manifest, workers, progress,
                           limitmb, reason, skipped, log)
        else:
            report = _incremental(corpus_dir, index_dir, live, state, rels, manifest, workers,
                                  progress, limitmb, wait, skipped, log, sidecars)
        report.cleaned = cleaned
    report.seconds = time.monotonic() - t0
    report.docs_per_s = report.documents / report.seconds if report.seconds > 0 else 0.0
    return report


class _Manifest:
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


def _check_corpus(corpus_dir: Path, live) -> None:
    """Refuse to commit when the corpus folder vanished during the run: its files were
    not deleted, they could not be read (the index is left as it was)."""
    if not corpus_dir.is_dir():
        raise ReindexError(
            f"le dossier du corpus « {corpus_dir} » a disparu pendant la réindexation : "
            + (f"l'index {live} est conservé tel quel" if live else "aucun index n'a été activé"))


def _full(corpus_dir, index_dir, live, rels, manifest, workers, progress, limitmb, reason, skipped,
          log):
    number = max([n for n, _ in list_generations(index_dir)] + [0]) + 1
    gen = f"gen-{number}"
    gen_dir = index_dir / gen
    report = ReindexReport(generation=gen, full=True, reason=reason, files=len(rels),
                           skipped=skipped)
    gen_dir.mkdir(parents=True)
    try:
        ix = whoosh_index.create_in(str(gen_dir), build_schema())
        w = _writer(ix, 0, limitmb, index_dir)
        try:
            outcomes, segments = _run_workers(gen_dir, corpus_dir, manifest.entries(), rels,
                                              workers, progress, limitmb, log)
            _check_corpus(corpus_dir, live)
            skips = {}
            records = _tally(outcomes, report, skips)
            log("validation de la nouvelle génération…")
            w.commit_segments(segments, merge=False)
        except BaseException:
            w.cancel()
            raise
        _resolve_duplicates(ix, {}, records, report, index_dir, limitmb, skips)
        _count(records, report, {})
        log("regroupement des copies…")
        copies.update_generation(gen_dir, _copy_rows(outcomes, records), fresh=True)
        report.total_documents = live_documents(gen_dir)
        if report.total_documents == 0 and rels:
            raise ReindexError(
                "aucun document n'a pu être indexé"
                + (f" ; l'index {live} est conservé" if live else ""), report.skipped)
        IndexState(fingerprint(), str(corpus_dir.resolve()), records, skips,
                   manifest.recorded()).save(gen_dir)
        fsync_tree(gen_dir)
        switch_current(index_dir, gen)
    except BaseException:
        shutil.rmtree(gen_dir, ignore_errors=True)
        raise
    keep = {gen} | ({live} if live else set())
    report.removed_generations = remove_old_generations(index_dir, keep)
    return report


def _incremental(corpus_dir, index_dir, live, state, rels, manifest, workers, progress,
                 limitmb, wait, skipped, log, sidecars=None):
    gen_dir = index_dir / live
    report = ReindexReport(generation=live, full=False, files=len(rels), skipped=skipped)
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
    if not todo and not gone:
        if touched or skips.keys() != state.skipped.keys() or state.manifest != manifest.recorded():
            state.files = dict(sorted(unchanged.items()))
            state.skipped = skips
            state.manifest = manifest.recorded()
            state.save(gen_dir)
        report.total_documents = sum(len(r.ids) for r in unchanged.values())
        return report

    ix = whoosh_index.open_dir(str(gen_dir))
    w = _writer(ix, wait, limitmb, index_dir)
    try:
        outcomes, segments = _run_workers(gen_dir, corpus_dir, manifest.entries(), todo,
                                          workers, progress, limitmb, log)
        _check_corpus(corpus_dir, live)
        records = _tally(outcomes, report, skips)
        log(f"validation : {count_fr(len(gone), 'fichier supprimé', 'fichiers supprimés')}, "
            f"{count_fr(len(todo), '(ré)indexé')}…")
        owners = {i: rel for rel, rec in unchanged.items() for i in rec.ids}
        stale = {i for rel in gone + todo if rel in state.files for i in state.files[rel].ids}
        # ids of this run's files too: a run that died after Whoosh's commit but
        # before saving the state must not leave them twice.
        stale |= {i for rec in records.values() for i in rec.ids if i not in owners}
        for i in sorted(stale):
            w.delete_by_term("id", i)
        w.commit_segments(segments, merge=True)
    except BaseException:
        w.cancel()
        raise
    _resolve_duplicates(ix, owners, records, report, index_dir, limitmb, skips)
    _count(records, report, state.files)
    state.files = dict(sorted({**unchanged, **records}.items()))
    log("regroupement des copies…")
    copies.update_generation(gen_dir, _copy_rows(outcomes, records),
                             keep_ids={i for rec in state.files.values() for i in rec.ids},
                             drop_ids={i for rec in records.values() for i in rec.ids})
    state.skipped = skips
    state.manifest = manifest.recorded()
    state.save(gen_dir)
    report.total_documents = live_documents(gen_dir)
    return report


def live_documents(gen_dir) -> int:
    """The generation's undeleted documents, from its TOC (each segment's count and
    deletions), without opening a reader over every segment (``FileIndex.doc_count``):
    before :mod:`searchsvc.backends.whoosh.indexer.mapped` was installed in the indexer too, that copied
    each compound file into memory, about twice the index size (6.4 GB at 10x news-fr)."""
    return sum(seg.doc_count() for seg in whoosh_index.open_dir(str(gen_dir))._segments())


# ---------------------------------------------------------------- from articles


def build_index_from_articles(index_dir, articles, *, workers: int = 1) -> str:
    """A fresh generation holding exactly ``articles`` (benchmarks, tests); returns its name.

    ``articles`` may be a generator. With ``workers > 1`` and more than a few
    hundred articles, that many processes analyse and write in parallel (one
    segment each). No file state is recorded, so the next incremental reindex
    of a corpus rebuilds fully.
    """
    import itertools

    index_dir = Path(index_dir)
    it = iter(articles)
    head = list(itertools.islice(it, 2 * MIN_FILES_PER_WORKER))
    n = max(1, int(workers or 1)) if len(head) == 2 * MIN_FILES_PER_WORKER else 1

    def chunks():
        rest = itertools.chain(head, it)
        while chunk := list(itertools.islice(rest, CHUNK)):
            yield chunk

    with reindex_lock(index_dir):
        live = current_generation(index_dir)
        number = max([k for k, _ in list_generations(index_dir)] + [0]) + 1
        gen = f"gen-{number}"
        gen_dir = index_dir / gen
        gen_dir.mkdir(parents=True)
        try:
            ix = whoosh_index.create_in(str(gen_dir), build_schema())
            w = _writer(ix, 0, LIMITMB, index_dir)
            try:
                outcomes, segments = _pool(gen_dir, gen_dir, {}, chunks(), n, 0, None, LIMITMB,
                                           lambda message: None)
                w.commit_segments(segments, merge=False)
                copies.update_generation(gen_dir, [r for o in outcomes if o[0] == "article"
                                                   for r in o[2]], fresh=True)
            except BaseException:
                w.cancel()
                raise
            fsync_tree(gen_dir)
            switch_current(index_dir, gen)
        except BaseException:
            shutil.rmtree(gen_dir, ignore_errors=True)
            raise
        remove_old_generations(index_dir, {gen} | ({live} if live else set()))
    return gen
