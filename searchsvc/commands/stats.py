"""`searchsvc stats` (not implemented yet)."""

import sys

HELP = "stats (pas encore disponible)"


def add_arguments(parser):
    pass


def run(args):
    print("searchsvc stats : pas encore disponible.", file=sys.stderr)
    return 2
