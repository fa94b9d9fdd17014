"""Copy groups in search results, facets, the API, the pages and the CLI: copies of a seed."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from copymaker import outlet_copy
from searchsvc.backends.whoosh.indexer import reindex
from searchsvc.search import parse_params
from searchsvc.backends.whoosh import SearchEngine
from searchsvc.web import create_app
from test_api import assert_error, assert_matches_openapi
from test_copies import SEED, paragraphs, write_article

COPIES = {  # id -> (source, date)
    "copie_quotidien": ("Le Quotidien", "2022-09-23"),
    "copie_gazette": ("La Gazette", "2022-09-24"),
    "copie_ouest": ("Ouest Matin", "2022-10-02"),
}
INJECTION = "<script>alert('copie')</script>"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_corpus):
    import shutil

    dst = tmp_path_factory.mktemp("copies") / "corpus"
    shutil.copytree(seed_corpus, dst)
    p = paragraphs(dst, SEED)
    texts = {
        "copie_quotidien": outlet_copy(p, dateline="PARIS (AFP) - ", trailer="Avec AFP"),
        # a paragraph dropped, two swapped, 8 % of the words changed, a sentence with markup added
        "copie_gazette": outlet_copy(p[:2] + [p[2] + " " + INJECTION + " Une phrase ajoutée."] + p[3:],
                                     drop=4, swap=(1, 3), change_rate=0.08, rng=random.Random(11)),
        "copie_ouest": outlet_copy(p, keep=len(p) - 1, trailer="(avec AFP)"),
    }
    for name, (source, date) in COPIES.items():
        write_article(dst, name, texts[name], source=source, date=date,
                      title=f"Corée du Nord : la version de {source}")
    return dst


@pytest.fixture(scope="module")
def store(store_corpus, corpus):
    return store_corpus("copies", corpus)


@pytest.fixture(scope="module")
def eng(store):
    e = store.engine()
    yield e
    e.close()


@pytest.fixture(scope="module")
def client(store, corpus, eng):
    app = create_app({"TESTING": True, "INDEX_DIR": str(store.index_dir), "CORPUS_DIR": str(corpus),
                      "ENGINE": eng, "ADMIN_TOKEN": None})
    return app.test_client()


GROUP = {SEED, *COPIES}


def run(eng, **kw):
    return eng.search(parse_params(kw))


def test_a_result_list_shows_one_hit_per_group_with_its_copies(eng):
    every = run(eng, q="Corée", copies="all", per_page=100)
    ids = [h["id"] for h in every["results"]]
    assert GROUP <= set(ids)
    r = run(eng, q="Corée", per_page=100)
    assert r["total"] == every["total"] and r["total_stories"] == every["total"] - 3
    shown = [h for h in r["results"] if h["id"] in GROUP]
    assert len(shown) == 1 and len(r["results"]) == r["total_stories"]
    hit = shown[0]
    assert hit["id"] == next(i for i in ids if i in GROUP)  # the best-ranked member
    assert hit["group"] == SEED and hit["copies"]["count"] == 3
    others = GROUP - {hit["id"]}
    assert {c["id"] for c in hit["copies"]["items"]} == others
    dates = [c["date"] for c in hit["copies"]["items"]]
    assert dates == sorted(dates, key=lambda d: d or "9999")  # first publication first
    src = {c["id"]: c["source"] for c in hit["copies"]["items"]}
    assert all(src[i] == COPIES[i][0] for i in others if i in COPIES)
    # articles alone: their own group, no copies
    alone = [h for h in r["results"] if h["id"] not in GROUP]
    assert alone and all(h["group"] == h["id"] and h["copies"] == {"count": 0, "items": []} for h in alone)


def test_collapsed_pages_never_repeat_a_group(eng):
    seen = []
    for page in range(1, 10):
        r = run(eng, q="Corée", per_page=1, page=page)
        seen += [h["group"] for h in r["results"]]
    assert len(seen) == len(set(seen)) == run(eng, q="Corée")["total_stories"]


def test_listing_newest_first_collapses_to_the_newest_member(eng):
    r = run(eng, source=["Ouest Matin", "La Gazette", "Le Quotidien"], sort="newest")
    assert r["total"] == 3 and r["total_stories"] == 1
    assert [h["id"] for h in r["results"]] == ["copie_ouest"]


def test_filters_apply_before_collapsing(eng):
    r = run(eng, q="Corée", source=["La Gazette"])
    assert [h["id"] for h in r["results"]] == ["copie_gazette"]
    assert r["results"][0]["group"] == SEED and r["results"][0]["copies"]["count"] == 3


def test_facets_count_articles_by_default_and_stories_on_request(eng):
    arts = run(eng, q="Corée")
    stories = run(eng, q="Corée", count="stories")
    assert arts["facets_count"] == "articles" and stories["facets_count"] == "stories"
    year = lambda r, y: next(e["count"] for e in r["facets"]["year"] if e["value"] == y)  # noqa: E731
    assert year(arts, "2022") - year(stories, "2022") == 3  # four 2022 articles, one story
    # each copy's source holds one article and one story
    src = lambda r, s: next(e["count"] for e in r["facets"]["source"] if e["value"] == s)  # noqa: E731
    assert src(arts, "La Gazette") == src(stories, "La Gazette") == 1
    assert sum(e["count"] for e in stories["facets"]["lang"]) == stories["total_stories"]


def test_versions_oldest_first_and_a_diff_to_a_chosen_copy(eng):
    v = eng.versions("copie_gazette", compare=SEED)
    assert v["group"] == SEED
    assert [m["id"] for m in v["versions"]] == [SEED, "copie_quotidien", "copie_gazette", "copie_ouest"]
    assert [m["first"] for m in v["versions"]] == [True, False, False, False]
    ops = v["diff"]["ops"]
    s = v["diff"]["summary"]
    assert s["same"] and s["changed"] and s["removed"]  # the seed has what the copy dropped
    changed = [o["html"] for o in ops if o["op"] == "changed"]
    assert any("<del>" in h and "<ins>" in h for h in changed)
    # the copy's markup is escaped (a removed sentence from the copy's side)
    assert all("<script>" not in o["html"] for o in ops)
    assert any("&lt;script&gt;" in o["html"] for o in ops)
    # no diff with an article outside the group; an article alone has no versions
    assert eng.versions(SEED, compare="002_209a75ba72bab8cf")["diff"] is None
    alone = eng.versions("002_209a75ba72bab8cf")
    assert alone["versions"] == [] and alone["group"] == "002_209a75ba72bab8cf"
    assert eng.versions("inconnu") is None


def test_api_search_and_copies_match_the_openapi_description(client):
    resp = client.get("/api/search?q=Corée")
    assert_matches_openapi(resp, "/api/search")
    resp = client.get("/api/search?q=Corée&copies=all&count=stories")
    assert_matches_openapi(resp, "/api/search")
    body = resp.get_json()
    assert body["copies"] == "all" and GROUP <= {h["id"] for h in body["results"]}
    assert_error(client.get("/api/search?q=Corée&copies=toutes"), 400, "copies")
    assert_error(client.get("/api/search?q=Corée&count=lignes"), 400, "count")
    resp = client.get(f"/api/documents/copie_ouest/copies?compare={SEED}")
    assert_matches_openapi(resp, "/api/documents/{id}/copies")
    assert resp.get_json()["compare"] == SEED and resp.get_json()["diff"]["ops"]
    assert_error(client.get("/api/documents/copie_ouest/copies?compare=002_209a75ba72bab8cf"), 400, "compare")
    assert_error(client.get("/api/documents/inconnu/copies"), 404)


def test_search_page_collapses_and_the_checkbox_shows_every_copy(client):
    html = client.get("/?q=Corée").get_data(as_text=True)
    assert 'class="hit-copies"' in html and "3 autres versions" in html
    assert "première publication" in html and "histoires distinctes" in html
    assert 'name="copies" value="all"' in html
    assert "Les nombres comptent les articles" in html
    full = client.get("/?q=Corée&copies=all&count=stories").get_data(as_text=True)
    assert all(f"/documents/{i}?q=" in full for i in COPIES)
    assert "Les nombres comptent les histoires" in full


def test_document_page_lists_the_versions_and_shows_the_diff(client):
    html = client.get("/documents/copie_ouest").get_data(as_text=True)
    assert "Autres versions de cet article" in html
    assert html.index(f"/documents/{SEED}") < html.index("/documents/copie_quotidien")
    assert html.count("première publication") == 1
    page = client.get(f"/documents/copie_gazette?compare={SEED}").get_data(as_text=True)
    assert 'id="diff"' in page and "<del>" in page and "<ins>" in page
    assert INJECTION not in page and "&lt;script&gt;alert(" in page
    # an article alone has no versions section
    assert "Autres versions" not in client.get("/documents/002_209a75ba72bab8cf").get_data(as_text=True)


def test_cli_copies_search_and_stats(store):
    index = store.index_dir

    def _cli(*args):
        return subprocess.run([sys.executable, "-m", "searchsvc.cli", *args], capture_output=True,
                              text=True, timeout=120, env=store.env())

    out = _cli("copies", "copie_gazette", "--index", str(index))
    assert out.returncode == 0, out.stderr
    assert "4 versions" in out.stdout and "première publication" in out.stdout
    assert "Différences avec la première publication" in out.stdout
    assert "[-" in out.stdout and "{+" in out.stdout and "<script>" not in out.stdout.replace(INJECTION, "")
    got = json.loads(_cli("copies", "copie_gazette", "--index", str(index), "--json").stdout)
    assert got["group"] == SEED and got["versions"][0]["diff"] is None
    assert all(v["diff"]["summary"] for v in got["versions"][1:])
    assert _cli("copies", "inconnu", "--index", str(index)).returncode == 1
    collapsed = _cli("search", "Corée", "--index", str(index)).stdout
    assert "3 autres versions" in collapsed and "histoires distinctes" in collapsed
    every = json.loads(_cli("search", "Corée", "--all-copies", "--index", str(index), "--json").stdout)
    assert GROUP <= {h["id"] for h in every["results"]}
    stats = _cli("stats", "--index", str(index)).stdout
    assert "Groupes de copies : 1 (4 articles dans un groupe)" in stats and SEED in stats
    st = json.loads(_cli("stats", "--index", str(index), "--json").stdout)
    assert st["copy_groups"]["largest"][0] == {"group": SEED, "size": 4, "title": st["copy_groups"]["largest"][0]["title"]}


def test_collapsed_full_matches_then_partial_ones_in_every_view(eng, client):
    """Copies collapse among the full matches only; the partial ones follow, one per
    article, and the CLI's separator stands right before the first of them."""
    from searchsvc.commands.search import PARTIAL_HEADING, render

    r = eng.search(parse_params({"q": "Kim Kirby", "per_page": "50"}))
    assert r["total"] > r["total_stories"] >= 1 and r["total_partial"] >= 1
    flags = [h["partial"] for h in r["results"]]
    assert flags == [False] * r["total_stories"] + [True] * r["total_partial"]
    lines = render(r, tty=False).splitlines()
    sep = next(i for i, line in enumerate(lines) if PARTIAL_HEADING in line)
    numbered = [line for line in lines[:sep] if line[:4].strip().rstrip(".").isdigit()]
    assert len(numbered) == r["total_stories"]
    assert "page 1/1" in lines[0]
    page = client.get("/?q=Kim+Kirby&per_page=50").get_data(as_text=True)
    full, _, partial = page.partition('id="partial-heading"')
    assert full.count('class="hit-snippet"') == r["total_stories"]
    assert partial.count('class="hit-snippet"') == r["total_partial"]
