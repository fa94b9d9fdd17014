"""`searchsvc reindex` (not implemented yet)."""

import sys

HELP = "reindex (pas encore disponible)"


def add_arguments(parser):
    pass


def run(args):
    print("searchsvc reindex : pas encore disponible.", file=sys.stderr)
    return 2
