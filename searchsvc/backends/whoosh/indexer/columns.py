"""Sortable column values over all the segments of an index.

Whoosh's multi-segment column reader (``MultiReader.column_reader``) skips the
segments that have no column file for a field (for instance a segment in which
no document has a date) but keeps the offsets of the others, so a docnum of a
later segment is read from an earlier one: ``IndexError`` or a wrong value.
These helpers read each segment's column separately.
"""

from __future__ import annotations


def text_value(v) -> str:
    """A column or stored value as text ('' for None)."""
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def column_values(reader, fieldname: str) -> list[str]:
    """Every docnum's value of ``fieldname`` ('' when missing), deleted documents included.

    Read segment by segment from the sortable column; for a field without a
    column in a segment, from the stored fields of its live documents.
    """
    values = [""] * reader.doc_count_all()
    for leaf, offset in reader.leaf_readers():
        m = leaf.doc_count_all()
        if leaf.has_column(fieldname):
            col = leaf.column_reader(fieldname)
            values[offset : offset + m] = [text_value(col[d]) for d in range(m)]
        else:  # not sortable, or no column file in this segment: stored value
            for d in range(m):
                if not leaf.is_deleted(d):
                    values[offset + d] = text_value(leaf.stored_fields(d).get(fieldname))
    return values
