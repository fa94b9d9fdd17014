"""The author filter (``author=…``, ``--author``): the documents whose byline names one
of the given authors, read from the ``author_facet`` postings (one term per name, as
written; ``unknown``: no author known)."""

from __future__ import annotations

import numpy as np

FIELD = "author_facet"


def author_docnums(reader, names) -> np.ndarray:
    """The docnums (deleted ones included: the search masks them) naming any of ``names``."""
    found: set[int] = set()
    if FIELD not in reader.schema:  # an index built before authors were kept
        return np.empty(0, np.int64)
    for name in names:
        if reader.doc_frequency(FIELD, name):
            found.update(reader.postings(FIELD, name).all_ids())
    return np.fromiter(found, np.int64, len(found))
