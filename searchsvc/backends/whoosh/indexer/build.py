"""Full and incremental reindexing into Whoosh generations.

The neutral pipeline (:mod:`searchsvc.pipeline`) shares the files out between
*workers*; each one extracts and enriches its share and hands the articles to a
:class:`WhooshSink`, which writes them into segments of its own in the target
generation (a ``SegmentWriter`` without the lock). The parent process holds the
reindex lock and Whoosh's write lock, applies deletions, and commits the workers'
segments in one atomic TOC write. With ``workers == 1`` (or few files) the single
worker runs in-process; otherwise the workers are ``spawn``-ed processes (safe from
threaded callers such as the web service), killed by the kernel if the parent dies.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.writing import SegmentWriter

from searchsvc import pipeline
from searchsvc.enrich import copies
from searchsvc.enrich import entities as entity_enrich
from searchsvc.french import count_fr
from searchsvc.backends.whoosh.indexer.schema import SCHEMA_VERSION, build_schema
from searchsvc.backends.whoosh.indexer.state import IndexState
from searchsvc.backends.whoosh.indexer.store import (IndexBusyError, clean_leftovers, current_generation,
                                     fsync_tree, generation_problem,
                                     list_generations, os_errors_as, reindex_lock,
                                     remove_old_generations, switch_current)
from searchsvc.pipeline import (ReindexError, ReindexReport, Run, check_corpus, copy_rows, count,
                                drop_losers, duplicate_losers, list_corpus, plan_incremental,
                                run_workers, settle_unchanged, tally, timed)

__all__ = ["ReindexError", "ReindexReport", "build_index_from_articles", "fingerprint",
           "live_documents", "reindex"]

#: Whoosh's estimate (MB) of a worker's in-memory postings at which it closes its
#: segment and starts another one. Letting Whoosh spill postings to sorted runs
#: on disk instead costs about 1.8 ms of CPU per document (a third of the total):
#: rolling segments avoids it. Measured on news-fr (33,930 docs, 2 workers): about
#: 13 segments, 900 MB peak RSS for the whole process tree.
LIMITMB = 192
#: Segments with fewer documents are merged together by incremental commits.
SMALL_SEGMENT_DOCS = 500
#: Seconds a reindex waits for Whoosh's write lock.
LOCK_WAIT = 5.0

def fingerprint() -> str:
    """Identifies the schema and the analysis (code, stop/protected lists, stemmer) an index
    was built with; an index built under another fingerprint is rebuilt in full."""
    from searchsvc import analysis

    return (f"schema-{SCHEMA_VERSION}-{analysis.fingerprint()}-{copies.fingerprint()}"
            f"-{entity_enrich.fingerprint()}")



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

class WhooshSink:
    """A worker's writer (:class:`searchsvc.pipeline.Sink`): articles into segments of
    its own in ``gen_dir``.

    A segment is closed and a new one started whenever the postings held in
    memory reach ``limitmb`` (Whoosh's estimate), so postings never go
    through Whoosh's on-disk sort runs. :meth:`finish` returns the segments.
    """

    def __init__(self, gen_dir, limitmb):
        self.ix = whoosh_index.open_dir(str(gen_dir))
        self.limitmb = limitmb
        self.roll_bytes = limitmb * 1024 * 1024
        self.segments = []
        self.writer = self._new_writer()

    def _new_writer(self):
        # the pool's own spill limit is only a safety net for a giant document
        return _FastSegmentWriter(self.ix, _lk=False, limitmb=4 * self.limitmb)

    def add(self, fields):
        self.writer.add_document(**fields)
        if self.writer.pool.currentsize >= self.roll_bytes:
            self.segments.append(self.writer._finalize_segment())
            self.writer = self._new_writer()

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


def _run(gen_dir, limitmb) -> Run:
    """The pipeline's run writing into ``gen_dir`` (the enricher's caches in its parent)."""
    return Run(WhooshSink, (str(gen_dir), limitmb), Path(gen_dir).parent)


def _segments(finished) -> list:
    """The segments of every worker (each one's :meth:`WhooshSink.finish`)."""
    return [seg for segs in finished for seg in segs]

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
    """The losers of :func:`searchsvc.pipeline.duplicate_losers` removed from the index
    (their documents of their path) and reported as skipped."""
    losers = duplicate_losers(owners, new_records)
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
    drop_losers(losers, new_records, report, skips)


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
    corpus_dir, workers, log = pipeline.start(corpus_dir, workers, log)
    index_dir = Path(index_dir)
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
        listing = list_corpus(corpus_dir, None if full else state.manifest)
        rels, manifest, skipped = listing.rels, listing.manifest, listing.skipped
        if full:
            log(f"reconstruction complète ({reason}) : {count_fr(len(rels), 'fichier')}")
            report = _full(corpus_dir, index_dir, live, rels, manifest, workers, progress,
                           limitmb, reason, skipped, log)
        else:
            report = _incremental(corpus_dir, index_dir, live, state, rels, manifest, workers,
                                  progress, limitmb, wait, skipped, log, listing.sidecars)
        report.cleaned = cleaned
    return timed(report, t0)


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
            outcomes, finished = run_workers(_run(gen_dir, limitmb), corpus_dir,
                                             manifest.entries(), rels, workers, progress, log)
            segments = _segments(finished)
            check_corpus(corpus_dir, live)
            skips = {}
            records = tally(outcomes, report, skips)
            log("validation de la nouvelle génération…")
            w.commit_segments(segments, merge=False)
        except BaseException:
            w.cancel()
            raise
        _resolve_duplicates(ix, {}, records, report, index_dir, limitmb, skips)
        count(records, report, {})
        log("regroupement des copies…")
        copies.update_generation(gen_dir, copy_rows(outcomes, records), fresh=True)
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
    plan = plan_incremental(corpus_dir, state, rels, manifest, report, log, live, sidecars)
    unchanged, todo, gone, skips = plan.unchanged, plan.todo, plan.gone, plan.skips
    if plan.nothing:
        settle_unchanged(plan, state, manifest, report, gen_dir)
        return report

    ix = whoosh_index.open_dir(str(gen_dir))
    w = _writer(ix, wait, limitmb, index_dir)
    try:
        outcomes, finished = run_workers(_run(gen_dir, limitmb), corpus_dir,
                                         manifest.entries(), todo, workers, progress, log)
        segments = _segments(finished)
        check_corpus(corpus_dir, live)
        records = tally(outcomes, report, skips)
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
    count(records, report, state.files)
    state.files = dict(sorted({**unchanged, **records}.items()))
    log("regroupement des copies…")
    copies.update_generation(gen_dir, copy_rows(outcomes, records),
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
    head = list(itertools.islice(it, 2 * pipeline.MIN_FILES_PER_WORKER))
    n = max(1, int(workers or 1)) if len(head) == 2 * pipeline.MIN_FILES_PER_WORKER else 1

    def chunks():
        rest = itertools.chain(head, it)
        while chunk := list(itertools.islice(rest, pipeline.CHUNK)):
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
                outcomes, finished = pipeline.pool(_run(gen_dir, LIMITMB), gen_dir, {}, chunks(),
                                                   n, 0, None, lambda message: None)
                w.commit_segments(_segments(finished), merge=False)
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