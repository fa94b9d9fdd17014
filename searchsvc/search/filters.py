"""The one filter set every view takes: its names, its CLI options, its help.

Each :class:`Filter` is a query-string parameter of the JSON API and of the pages
(its ``name``, parsed by :func:`searchsvc.search.params.parse_params` into the
:class:`~searchsvc.search.params.SearchParams` attribute ``attr``), an option of
every CLI sub-command that searches (``option``), a parameter of every OpenAPI
operation that searches (:func:`openapi_parameters`) and a field of an export's
header (:func:`recorded`). Adding a filter is adding one entry to :data:`FILTERS`
(and its parsing in ``parse_params``); ``tests/test_filters.py`` walks every
endpoint and sub-command to check they all take it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Filter:
    name: str                # query-string parameter (API, pages, export header)
    attr: str                # SearchParams attribute
    option: str              # CLI option
    help: str                # French: CLI help and OpenAPI description
    repeatable: bool = False  # several values: any of them
    switch: bool = False      # a yes/no parameter (``exact=1``, ``--exact``)
    metavar: str = "V"
    schema: dict | None = None  # JSON Schema of one value (default: a string)
    max_values: int = 0       # a repeatable filter's most values (parse_params refuses more)

    @property
    def dest(self) -> str:
        """The argparse destination of :attr:`option`."""
        return self.option.lstrip("-").replace("-", "_")


_ANY_OF = " (répétable : l'une ou l'autre)"
#: a date as parse_params takes it (an impossible day such as 2022-02-30 is still refused)
_DATE = {"type": "string",
         "pattern": r"^\s*\d{4}(-(0?[1-9]|1[0-2])(-(0?[1-9]|[12]\d|3[01]))?)?\s*$"}

FILTERS: tuple[Filter, ...] = (
    Filter("source", "sources", "--source", "seulement cette source, valeur exacte de la facette "
           "« source » (« unknown » : source inconnue)" + _ANY_OF, repeatable=True, metavar="S",
           max_values=50),
    Filter("author", "authors", "--author", "seulement les articles signés de cet auteur, nom exact "
           "tel que dans « author » (« unknown » : auteur inconnu ; répétable : l'un ou l'autre)",
           repeatable=True, metavar="NOM", max_values=50),
    Filter("lang", "langs", "--lang", "langue de l'article, code ISO (fr, en…)" + _ANY_OF,
           repeatable=True, metavar="L", max_values=50,
           schema={"type": "string", "pattern": r"^\s*([A-Za-z]{2,3}|unknown)\s*$"}),
    Filter("date_from", "date_from", "--from", "depuis cette date incluse (AAAA, AAAA-MM ou AAAA-MM-JJ)",
           metavar="D", schema=_DATE),
    Filter("date_to", "date_to", "--to", "jusqu'à cette date incluse (AAAA, AAAA-MM ou AAAA-MM-JJ)",
           metavar="D", schema=_DATE),
    Filter("year", "years", "--year", "seulement cette année (AAAA, ou « unknown » : sans date)" + _ANY_OF,
           repeatable=True, metavar="AAAA", max_values=200,
           schema={"type": "string", "pattern": r"^\s*(\d{4}|unknown)\s*$"}),
    Filter("person", "persons", "--person", "personne citée dans l'article, valeur de la facette "
           "« person »" + _ANY_OF, repeatable=True, metavar="NOM", max_values=50),
    Filter("org", "orgs", "--org", "organisation citée dans l'article, valeur de la facette « org »"
           + _ANY_OF, repeatable=True, metavar="NOM", max_values=50),
    Filter("place", "places", "--place", "lieu cité dans l'article, valeur de la facette « place »"
           + _ANY_OF, repeatable=True, metavar="NOM", max_values=50),
    Filter("exact", "exact", "--exact", "mode exact : chaque mot et chaque expression de la requête "
           "ne trouve que la forme écrite (sans racinisation ni synonymes ; accents et majuscules "
           "comme d'habitude)", switch=True),
)

BY_NAME = {f.name: f for f in FILTERS}

#: CLI options of the other parameters of the API, for error messages (see :func:`cli_message`)
OTHER_OPTIONS = {"q": "REQUÊTE", "page": "--page", "per_page": "--per-page", "sort": "--sort",
                 "count": "--count", "copies": "--all-copies", "limit": "--limit",
                 "interval": "--interval", "by": "--by", "compare": "--compare", "hits": "--hits"}


def add_arguments(parser) -> None:
    """The filters as options of an argparse sub-command (French help)."""
    for f in FILTERS:
        if f.switch:
            parser.add_argument(f.option, dest=f.dest, action="store_true", help=f.help)
        elif f.repeatable:
            parser.add_argument(f.option, dest=f.dest, action="append", default=[], metavar=f.metavar,
                                help=f.help)
        else:
            parser.add_argument(f.option, dest=f.dest, metavar=f.metavar, help=f.help)


def mapping_of(args) -> dict:
    """The filters given on a command line (argparse ``Namespace``) as API parameters."""
    out: dict = {}
    for f in FILTERS:
        v = getattr(args, f.dest, None)
        if f.switch:
            if v:
                out[f.name] = "1"
        elif v:
            out[f.name] = list(v) if f.repeatable else v
    return out


def openapi_parameters() -> list[dict]:
    """The filters as OpenAPI 3.1 query parameters (an empty value counts as absent)."""
    out = []
    for f in FILTERS:
        if f.switch:
            schema = {"type": "string", "enum": ["", "0", "1", "true", "false", "oui", "non", "on", "off"],
                      "default": "0"}
            desc = f.help[0].upper() + f.help[1:] + " : 1 (oui) ou 0 (non, défaut ; vide : non)."
        else:
            one = dict(f.schema or {"type": "string"})
            schema = {"type": "array", "items": one} if f.repeatable else one
            if f.max_values:
                schema["maxItems"] = f.max_values
            desc = f.help[0].upper() + f.help[1:] + "."
        param = {"name": f.name, "in": "query", "required": False, "description": desc, "schema": schema}
        if f.repeatable:
            param.update(style="form", explode=True)
        out.append(param)
    return out


def recorded(params) -> dict:
    """The filters of ``params`` that change the rows, by parameter name (an export's
    header): lists for repeatable ones, ``True`` for a switch; absent ones left out."""
    out: dict = {}
    for f in FILTERS:
        v = getattr(params, f.attr)
        if f.switch:
            if v:
                out[f.name] = True
        elif v:
            out[f.name] = list(v) if f.repeatable else v
    return out


def cli_message(exc) -> str:
    """The French message of a ``QueryError`` with the API's parameter names replaced
    by the options of the command line (« per_page » -> « --per-page »)."""
    options = {**OTHER_OPTIONS, **{f.name: f.option for f in FILTERS}}
    field = getattr(exc, "field", None)
    if field not in options:
        return exc.message
    return exc.message.replace(f"« {field} »", f"« {options[field]} »")
