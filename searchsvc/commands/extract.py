"""`searchsvc extract` (not implemented yet)."""

import sys

HELP = "extract (pas encore disponible)"


def add_arguments(parser):
    pass


def run(args):
    print("searchsvc extract : pas encore disponible.", file=sys.stderr)
    return 2
