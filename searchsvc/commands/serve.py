"""`searchsvc serve` (not implemented yet)."""

import sys

HELP = "serve (pas encore disponible)"


def add_arguments(parser):
    pass


def run(args):
    print("searchsvc serve : pas encore disponible.", file=sys.stderr)
    return 2
