"""argparse in French: help, usage and argument errors of the ``searchsvc`` command.

argparse looks its messages up through ``gettext`` (the module-level ``_`` and
``ngettext`` of :mod:`argparse`). :class:`FrenchArgumentParser` answers those
look-ups from :data:`MESSAGES` while one of its own methods runs, so that only
searchsvc's parsers speak French, whatever ``LANG`` says. Argument types of the
commands raise French :class:`argparse.ArgumentTypeError` messages (:func:`int_range`).
"""

from __future__ import annotations

import argparse
import contextlib
import threading

# argparse's message ids (Python 3.11-3.13) -> French. The placeholders are argparse's.
MESSAGES = {
    "usage: ": "usage : ",
    "positional arguments": "arguments\u00a0",
    "options": "options\u00a0",
    "optional arguments": "options\u00a0",
    "show this help message and exit": "affiche cette aide et quitte",
    "show program's version number and exit": "affiche la version et quitte",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "une valeur au moins est attendue",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
    "ambiguous option: %(option)s could match %(matches)s":
        "option ambiguë : %(option)s peut désigner %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "invalid %(type)s value: %(value)r": "valeur invalide : « %(value)s » (%(type)s attendu)",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "choix invalide : « %(value)s » (valeurs possibles : %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "commande inconnue : « %(parser_name)s » (commandes : %(choices)s)",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
    "argument \"-\" with mode %r": "argument « - » en mode %r",
    "cannot have multiple subparser arguments": "un seul groupe de sous-commandes est permis",
}

#: names argparse gives the built-in types in "invalid %(type)s value"
TYPE_NAMES = {"int": "nombre entier", "float": "nombre"}

_lock = threading.RLock()


def gettext_fr(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext_fr(singular: str, plural: str, n: int) -> str:
    return gettext_fr(singular if n == 1 else plural)


@contextlib.contextmanager
def french():
    """argparse's messages in French for the duration of the block."""
    with _lock:
        saved = argparse._, argparse.ngettext
        argparse._, argparse.ngettext = gettext_fr, ngettext_fr
        try:
            yield
        finally:
            argparse._, argparse.ngettext = saved


def _in_french(method):
    def wrapper(self, *args, **kwargs):
        with french():
            return method(self, *args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


class FrenchArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose help and errors are in French."""

    __init__ = _in_french(argparse.ArgumentParser.__init__)
    add_subparsers = _in_french(argparse.ArgumentParser.add_subparsers)
    parse_args = _in_french(argparse.ArgumentParser.parse_args)
    parse_known_args = _in_french(argparse.ArgumentParser.parse_known_args)
    format_usage = _in_french(argparse.ArgumentParser.format_usage)
    format_help = _in_french(argparse.ArgumentParser.format_help)
    error = _in_french(argparse.ArgumentParser.error)

    def _get_value(self, action, arg_string):
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError as exc:
            name = getattr(action.type, "__name__", "")
            if name in TYPE_NAMES:
                exc.message = MESSAGES["invalid %(type)s value: %(value)r"] % {
                    "type": TYPE_NAMES[name], "value": arg_string}
            raise


def int_range(low: int, high: int | None = None, what: str = "nombre entier"):
    """An argparse type: an integer in ``low..high`` (``high`` None: no maximum),
    with a French error otherwise."""

    def parse(text: str) -> int:
        bound = f"entre {low} et {high}" if high is not None else f"au moins {low}"
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"« {text} » n'est pas un {what} ({bound} attendu)") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} hors limites : {bound} attendu")
        return value

    parse.__name__ = "int_range"
    return parse


def number(text: str) -> float:
    """An argparse type: a non-negative decimal number, ``2.5`` or ``2,5``."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"« {text} » : un nombre positif ou nul est attendu")
    return value
