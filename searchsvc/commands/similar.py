"""`searchsvc similar` (not implemented yet)."""

import sys

HELP = "similar (pas encore disponible)"


def add_arguments(parser):
    pass


def run(args):
    print("searchsvc similar : pas encore disponible.", file=sys.stderr)
    return 2
