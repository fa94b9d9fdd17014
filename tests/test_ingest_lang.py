"""Language detection: the fast backend and the stop-word shortcut change no result.

Uses 300 articles of ../shared/datasets/news-fr when the data set is present (skipped
otherwise: it is never copied into the project) plus the seed articles' lines.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from searchsvc.ingest import lang
from searchsvc.ingest.text import clean_text

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT.parent / "shared" / "datasets" / "news-fr" / "news_fr.jsonl.gz"
SAMPLE = 300


@pytest.fixture(scope="module")
def news_sample():
    if not NEWS.exists():
        pytest.skip(f"news-fr absent ({NEWS})")
    out = []
    with gzip.open(NEWS, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 97 == 0:
                out.append(json.loads(line))
                if len(out) == SAMPLE:
                    break
    return out


def _texts(news_sample, seed_corpus):
    texts = []
    for rec in news_sample:
        texts.append(rec["lead"])
        texts.extend(p for p in rec["paragraphs"][:2] if len(p) > 15)
    for p in sorted(seed_corpus.glob("*.txt")):
        texts += [l.strip() for l in p.read_text(encoding="utf-8").splitlines() if len(l.strip()) > 15]
    return texts


def test_langdetect_rs_identical_to_langdetect_on_news_fr_and_seeds(news_sample, seed_corpus):
    langdetect = pytest.importorskip("langdetect")
    rs = pytest.importorskip("langdetect_rs")
    langdetect.DetectorFactory.seed = 0
    rs.DetectorFactory.seed = 0
    texts = _texts(news_sample, seed_corpus)
    assert len(texts) >= 600
    def labels(mod, t):
        try:
            return [(x.lang, round(x.prob, 9)) for x in mod.detect_langs(t)]
        except mod.LangDetectException:
            return "no features"

    differ = []
    for t in texts:
        a, b = labels(langdetect, t), labels(rs, t)
        if a != b:
            differ.append((t, a, b))
    print(f"\nlangdetect vs langdetect_rs: {len(texts) - len(differ)}/{len(texts)} identical")
    assert not differ


def test_stopword_shortcut_changes_nothing_on_news_fr(news_sample):
    """Skipping langdetect for obviously French paragraphs gives the same articles."""
    skipped = total = 0
    for rec in news_sample:
        text = "\n\n".join([rec["title"], rec["lead"], *rec["paragraphs"]])
        fast = clean_text(text)
        full = clean_text(text, check_all_languages=True)
        assert (fast.paragraphs, fast.dropped, fast.lang) == (full.paragraphs, full.dropped, full.lang), rec["id"]
        for p in fast.paragraphs:
            if len(p) >= lang.MIN_PARAGRAPH_CHARS:
                total += 1
                skipped += lang.looks_french(p)
    print(f"\nstop-word shortcut: {skipped}/{total} long paragraphs not sent to langdetect")
    assert skipped > 0.9 * total


def test_document_language_detected_at_most_once_per_document(monkeypatch, seed_corpus):
    calls = []
    real = lang._ld.detect
    monkeypatch.setattr(lang._ld, "detect", lambda t: calls.append(t) or real(t))
    french = (seed_corpus / "002_209a75ba72bab8cf.txt").read_text(encoding="utf-8")
    assert clean_text(french).lang == "fr" and calls == []  # clearly French: no call
    assert clean_text(french, check_all_languages=True).lang == "fr" and len(calls) == 1
    calls.clear()
    english = ("The government presented a bill on energy on Wednesday, which provides for higher "
               "investment in the electricity networks and dams, the ministry said in a statement.")
    assert clean_text(f"Title\n\n{english}\n\n{english.replace('Wednesday', 'Monday')}").lang == "en"
    assert len(calls) == 1


def test_document_shortcut_agrees_with_langdetect_on_news_fr(news_sample):
    for rec in news_sample:
        paras = [rec["lead"], *rec["paragraphs"]]
        assert lang.document_language(paras) == lang.document_language(paras, check_all=True) == "fr"


def test_wrong_document_language_does_not_drop_the_article(monkeypatch, seed_corpus):
    """If the document detection errs, the majority of the paragraphs wins."""
    text = (seed_corpus / "002_209a75ba72bab8cf.txt").read_text(encoding="utf-8")
    right = clean_text(text)
    monkeypatch.setattr(lang, "document_language", lambda paragraphs, check_all=False: "en")
    wrong = clean_text(text)
    assert (wrong.lang, wrong.paragraphs, wrong.dropped) == ("fr", right.paragraphs, right.dropped)
