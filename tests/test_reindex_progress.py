"""The reindex progress counts what is being indexed: articles (beside files), a rate that
is never 0 for a run that indexed something, a time left not inflated by the start-up."""

from __future__ import annotations

import io

from test_ingest_limits import record, write_jsonl
from test_reindex_cli import make_corpus

import searchsvc.pipeline as pipeline
from searchsvc.commands.reindex import Progress
from searchsvc.french import rate_fr
from searchsvc.backends.whoosh.indexer import reindex


class Clock:
    """A settable clock for :class:`Progress` (its time source is a parameter)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress():
    out, clock = io.StringIO(), Clock()
    return Progress(stream=out, tty=False, interval=0.0, clock=clock), out, clock


def test_one_jsonl_file_reads_in_articles_not_in_zero_files():
    progress, out, clock = _progress()
    clock.now = 20.0
    progress(0.11, 1, 4200)
    line = out.getvalue()
    assert line.startswith("indexation : 4\u202f200 articles, 0/1 fichier (11 %), 210 articles/s, ")


def test_the_rate_is_never_zero_for_a_run_that_indexed_something():
    progress, out, clock = _progress()
    clock.now = 20.0
    progress(1, 1, 3)
    assert "0,15 article/s" in out.getvalue()
    assert rate_fr(0.043) == "0,043" and rate_fr(2.46) == "2,5" and rate_fr(850.4) == "850"
    assert rate_fr(0) == "0"


def test_time_left_is_paced_on_the_progress_since_the_first_report():
    """A 28-minute run whose workers take 60 s to start: the first estimate is not hours."""
    progress, out, clock = _progress()
    clock.now = 60.0  # start-up: spawning the workers, loading the entity model
    progress(1, 100, 20)
    assert out.getvalue().rstrip().endswith("reste : estimation en cours")
    clock.now = 76.8  # then 1 % every 16.8 s: 27.7 min for the other 99 %
    progress(2, 100, 40)
    left = out.getvalue().splitlines()[-1]
    assert left.endswith("reste 27 min 26 s"), left  # 98 % at 16.8 s each
    # from the start instead, it would have read 62 min 43 s
    progress(100, 100, 2000)
    assert out.getvalue().splitlines()[-1].endswith("reste 0,0 s")


def test_a_real_reindex_reports_every_article_of_a_cut_jsonl(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "PART_BYTES", 16 * 1024)  # the .jsonl is cut into parts
    corpus = make_corpus(tmp_path / "corpus", 3)
    write_jsonl(corpus / "depeches.jsonl", [record(i) for i in range(200)])
    calls = []
    report = reindex(corpus, tmp_path / "index", workers=1, progress=lambda *a: calls.append(a))
    assert report.documents == 203
    done, total, articles = calls[-1]
    assert (done, total, articles) == (4, 4, 203)
    # the parts of the .jsonl report articles before the file is done
    assert any(0 < a < 203 and d < total for d, _, a in calls)
    assert [a for _, _, a in calls] == sorted(a for _, _, a in calls)
