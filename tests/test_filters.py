"""One filter set on every view (issue 21, point 4): every searching endpoint, page and
sub-command takes every filter of :data:`searchsvc.search.filters.FILTERS`, under the
same name, and applies it; the OpenAPI document lists them; the CLI's errors name the
option typed."""

from __future__ import annotations

import pytest

from searchsvc.search import parse_params
from searchsvc.search.filters import FILTERS, mapping_of

#: the searching operations of the OpenAPI document (method, path)
API_VIEWS = [("get", "/api/search"), ("get", "/api/timeline"), ("get", "/api/terms"),
             ("get", "/api/concordance"), ("get", "/api/export"), ("post", "/api/batch"),
             ("get", "/feeds/search.atom"), ("get", "/api/entities"), ("get", "/api/quotes")]
PAGES = ["/", "/concordance", "/entites", "/panels"]
COMMANDS = ["search", "timeline", "terms", "export", "concordance", "batch", "quotes"]

#: a value of each filter that its parsing refuses (so that a view that parses it says so)
BAD = {"source": ["s%d" % i for i in range(51)], "author": ["a%d" % i for i in range(51)], "lang": ["123456"], "date_from": ["2022-13"],
       "date_to": ["x"], "year": ["20x2"], "person": ["p%d" % i for i in range(51)],
       "org": ["o%d" % i for i in range(51)], "place": ["l%d" % i for i in range(51)], "exact": ["2"]}
#: a value each filter takes, and the SearchParams value it gives
GOOD = {"source": (["BBC News"], ("BBC News",)), "author": (["Jean Dupont"], ("Jean Dupont",)),
        "lang": (["fr"], ("fr",)),
        "date_from": (["2022-09"], "2022-09"), "date_to": (["2022"], "2022"),
        "year": (["2022"], ("2022",)), "person": (["John Kirby"], ("John Kirby",)),
        "org": (["OTAN"], ("OTAN",)), "place": (["Iran"], ("Iran",)), "exact": (["1"], True)}


@pytest.fixture(scope="module")
def plain_app(plain_index, fixture_corpus):
    from searchsvc.web import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(plain_index), "CORPUS_DIR": str(fixture_corpus),
                       "ADMIN_TOKEN": None})


@pytest.fixture(scope="module")
def ner_app(entity_index):
    """The seeds with entities and quotes (so that /api/entities and /api/quotes have some)."""
    from searchsvc.web import create_app

    corpus, index = entity_index
    return create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                       "ADMIN_TOKEN": None})


def test_the_lists_walked_are_every_searching_view():
    """Every OpenAPI operation that searches (takes ``q``, or the batch's lines) and every
    sub-command that takes a query (or a batch file) is in the lists the tests below walk:
    a new view cannot be left out of the filter set unnoticed."""
    from searchsvc.cli import COMMANDS as ALL_COMMANDS
    from searchsvc.web.openapi import openapi_document

    doc = openapi_document()
    searching = {(m, path) for path, ops in doc["paths"].items() for m, op in ops.items()
                 if any(p["name"] == "q" for p in op.get("parameters", ())) and "{id}" not in path}
    assert searching | {("post", "/api/batch")} == set(API_VIEWS)
    with_query = {name for name in ALL_COMMANDS
                  if any(a.dest in ("query", "file") and not a.option_strings
                         for a in _subparser(name)._actions)}
    assert with_query == set(COMMANDS)


def test_every_filter_has_a_bad_and_a_good_value():
    assert set(BAD) == set(GOOD) == {f.name for f in FILTERS}
    for f in FILTERS:  # the API name parses into the SearchParams attribute
        assert getattr(parse_params({f.name: GOOD[f.name][0]}), f.attr) == GOOD[f.name][1]


@pytest.mark.parametrize("method,path", API_VIEWS)
def test_openapi_lists_every_filter(method, path):
    from searchsvc.web.openapi import openapi_document

    params = {p["name"] for p in openapi_document()["paths"][path][method]["parameters"]}
    assert {f.name for f in FILTERS} <= params


def _request(client, method, path, name, values):
    query = [(name, v) for v in values] + ([("q", "Corée")] if path != "/api/batch" else [])
    if method == "post":
        return client.post(path, query_string=query, json={"lines": ["Corée", "Iran"]})
    return client.get(path, query_string=query)


@pytest.mark.parametrize("method,path", API_VIEWS + [("get", p) for p in PAGES])
def test_every_view_parses_every_filter(plain_app, method, path):
    """A refused value is a 400 naming the filter: the view parses it (and so applies
    it, through the engine's one selection); a good one is accepted."""
    client = plain_app.test_client()
    for f in FILTERS:
        resp = _request(client, method, path, f.name, BAD[f.name])
        assert resp.status_code == 400, (path, f.name)
        if resp.is_json:
            assert resp.get_json()["error"]["field"] == f.name, (path, f.name)
        resp = _request(client, method, path, f.name, GOOD[f.name][0])
        assert resp.status_code == 200, (path, f.name, resp.data[:300])


@pytest.mark.parametrize("path", ["/api/search", "/api/export?format=jsonl", "/api/concordance",
                                  "/api/timeline", "/api/terms", "/api/entities", "/api/quotes"])
def test_a_filter_changes_what_every_view_counts(ner_app, path):
    """``year=1900`` (no article) empties every view: the filter is applied, not only parsed."""
    client = ner_app.test_client()
    sep = "&" if "?" in path else "?"
    everything = client.get(f"{path}{sep}q=Corée").get_data(as_text=True)
    nothing = client.get(f"{path}{sep}q=Corée&year=1900").get_data(as_text=True)
    assert everything != nothing


def _subparser(name: str):
    from searchsvc.cli import build_parser

    return build_parser(name)._subparsers._group_actions[0].choices[name]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_takes_every_filter(name):
    parser = _subparser(name)
    options = {o for a in parser._actions for o in a.option_strings}
    for f in FILTERS:
        assert f.option in options, (name, f.option)
    # the options given become the same SearchParams as the API's names
    argv = ["--exact", "--source", "BBC News", "--author", "Jean Dupont", "--lang", "fr", "--from", "2022-09", "--to", "2022",
            "--year", "2022", "--person", "John Kirby", "--org", "OTAN", "--place", "Iran"]
    args = parser.parse_args((["liste.txt"] if name == "batch" else ["Corée"]) + argv)
    params = parse_params(mapping_of(args))
    for f in FILTERS:
        assert getattr(params, f.attr) == GOOD[f.name][1], (name, f.name)


@pytest.mark.parametrize("name", COMMANDS)
def test_cli_errors_name_the_option_typed(name, plain_index, tmp_path, capsys):
    from searchsvc.cli import main

    first = [str(tmp_path / "l.txt")] if name == "batch" else ["Corée"]
    (tmp_path / "l.txt").write_text("Corée\n", encoding="utf-8")
    for option, value, shown in (("--from", "2022-13", "« --from »"), ("--to", "x", "« --to »"),
                                 ("--exact", None, None)):
        argv = [name, *first, "--index", str(plain_index), option] + ([value] if value else [])
        code = main(argv)
        err = capsys.readouterr().err
        if shown:
            assert code == 2 and shown in err and "date_" not in err, (name, err)
        else:
            assert code == 0, (name, err)


def test_cli_search_paging_errors_name_the_options(plain_index, capsys):
    from searchsvc.cli import main

    assert main(["search", "x", "--per-page", "1000", "--index", str(plain_index)]) == 2
    err = capsys.readouterr().err
    assert "« --per-page »" in err and "per_page" not in err
    assert main(["search", "x", "--count", "tout", "--index", str(plain_index)]) == 2
    assert "« --count »" in capsys.readouterr().err
