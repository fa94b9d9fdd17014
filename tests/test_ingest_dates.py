"""Publication days of HTML pages (searchsvc.ingest.dates), on small hand-made pages
(tests/fixtures/ingest/dates/*.html, expected days in dates.expected.json)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from searchsvc.ingest import IngestError, dates, extract
from searchsvc.ingest.dates import Stamp, local_day, parse_stamp, publication_day
from searchsvc.ingest.html import clean_html

FIX = Path(__file__).parent / "fixtures" / "ingest"
EXPECTED = json.loads((FIX / "dates.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_page_day(name):
    day, why = EXPECTED[name]
    _, meta = clean_html((FIX / "dates" / f"{name}.html").read_text(encoding="utf-8"))
    assert meta["date"] == day, why


def test_extract_reports_the_day():
    (art,) = extract(FIX / "dates" / "utc_paris.html", root=FIX / "dates", manifest={})
    assert art.date == "2020-05-08"


@pytest.mark.parametrize("value, day, utc", [
    ("2020-05-07T22:30:00Z", "2020-05-07", True),
    ("2020-05-07T22:30:00+00:00", "2020-05-07", True),
    ("2020-05-08T00:30:00+02:00", "2020-05-08", False),
    ("2020/10/04 15:05:21", "2020-10-04", False),
    ("Sat, 19 Oct 2019 00:04:00 +0200", "2019-10-19", False),
    ("Fri, 18 Oct 2019 22:04:00 GMT", "2019-10-18", True),
    ("23 mai 2019", "2019-05-23", False),
    ("2020-02-30", None, False),
    ("pas une date", None, False),
])
def test_parse_stamp(value, day, utc):
    st = parse_stamp(value)
    assert (st.day if st else None) == day
    if st:
        assert (st.utc is not None) == utc


def test_local_day_follows_european_summer_time():
    winter = dt.datetime(2020, 1, 7, 23, 30, tzinfo=dt.timezone.utc)   # CET, UTC+1
    summer = dt.datetime(2020, 7, 7, 22, 30, tzinfo=dt.timezone.utc)   # CEST, UTC+2
    before = dt.datetime(2020, 7, 7, 21, 30, tzinfo=dt.timezone.utc)
    assert local_day(winter, "fr") == "2020-01-08"
    assert local_day(summer, "fr-FR") == "2020-07-08"
    assert local_day(before, "de") == "2020-07-07"
    assert local_day(summer, "en") is None  # no single zone for English


def _never():
    raise AssertionError("htmldate called although the metadata agreed")


def test_consistent_metadata_does_not_call_htmldate():
    stamps = [parse_stamp("2020-06-15T16:40:39+02:00"), parse_stamp("2020-06-15")]
    assert publication_day(stamps, [], [], "fr", _never) == "2020-06-15"


def test_conflicting_metadata_asks_htmldate():
    stamps = [parse_stamp("2020-06-15"), parse_stamp("2020-06-17")]
    assert publication_day(stamps, [], [], "fr", lambda: "2020-06-17") == "2020-06-17"
    assert publication_day(stamps, [], [], "fr", lambda: None) == "2020-06-15"


def test_utc_near_midnight_in_unknown_zone_asks_htmldate():
    late = [parse_stamp("2020-02-25T02:25:54Z")]
    assert publication_day(late, [], [], "en", lambda: "2020-02-24") == "2020-02-24"
    noon = [parse_stamp("2021-09-19T14:00:49Z")]
    assert publication_day(noon, [], [], "en", _never) == "2021-09-19"


def test_fallbacks_without_htmldate_answer():
    times = [Stamp("2020-05-23")]
    modified = [Stamp("2020-06-01")]
    assert publication_day([], modified, times, None, lambda: None) == "2020-05-23"
    assert publication_day([], modified, [], None, lambda: None) == "2020-06-01"
    assert publication_day([], [], [], None, lambda: None) is None


def test_htmldate_failure_never_loses_the_page(monkeypatch):
    import htmldate

    def boom(*a, **k):
        raise ValueError("dateparser exploded")
    monkeypatch.setattr(htmldate, "find_date", boom)
    cleaned, meta = clean_html((FIX / "dates" / "visible_text.html").read_text(encoding="utf-8"))
    assert meta["date"] is None and "conseil municipal" in cleaned.text


def test_page_without_article_keeps_its_metadata_in_the_error(tmp_path):
    page = tmp_path / "vide.html"
    page.write_text('<html lang="fr"><head><title>Résultats du vote</title>'
                    '<meta property="og:site_name" content="Le Journal">'
                    '<meta property="article:published_time" content="2020-05-07T10:00:00+02:00">'
                    '</head><body><nav><a href="/">Accueil</a></nav></body></html>', encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        extract(page, root=tmp_path, manifest={})
    reason = exc.value.reason
    assert "page sans article" in reason
    assert "Résultats du vote" in reason and "Le Journal" in reason and "2020-05-07" in reason
