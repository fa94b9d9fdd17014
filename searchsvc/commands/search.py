"""`searchsvc search` (not implemented yet)."""

import sys

HELP = "search (pas encore disponible)"


def add_arguments(parser):
    pass


def run(args):
    print("searchsvc search : pas encore disponible.", file=sys.stderr)
    return 2
