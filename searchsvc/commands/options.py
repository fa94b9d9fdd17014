"""The options every searching sub-command shares: the filter set
(:mod:`searchsvc.search.filters`), the index and synonyms files, and French errors that
name the options typed (« --per-page », not the API's « per_page »)."""

from __future__ import annotations

import sys

from searchsvc.search import filters


def add_filter_arguments(parser, synonyms: bool = True) -> None:
    """The filters (one definition for every view), then ``--index`` and ``--synonyms``."""
    filters.add_arguments(parser)
    parser.add_argument("--index", metavar="DOSSIER",
                        help="dossier de l'index (défaut : $SEARCHSVC_INDEX, sinon ./index)")
    if synonyms:
        parser.add_argument("--synonyms", metavar="FICHIER",
                            help="fichier de synonymes (défaut : $SEARCHSVC_SYNONYMS, sinon "
                                 "corpus/synonyms.txt s'il existe)")


def filter_mapping(args) -> dict:
    """The filters given in ``args`` as API parameters."""
    return filters.mapping_of(args)


def print_error(exc) -> None:
    """A ``QueryError`` on stderr, in French, naming the command line's option."""
    print(f"Erreur : {filters.cli_message(exc)}", file=sys.stderr)
