"""Whoosh 3 postings read straight from a segment's mapped files.

Whoosh finds a term's postings through several Python objects per segment: the
reader's checks, the terms reader, an ``OrderedHashReader`` lookup that reads each
slot through a method call, a ``W3TermInfo``, a ``W3LeafMatcher`` that seeks and
unpickles the first block's header through a file object, and a ``FilterMatcher``
over the deleted documents. For a query that reads a dozen terms in each of a
dozen segments, that overhead was the larger part of reading postings.

Here the same bytes are read from the segment's memory-mapped buffers
(:mod:`searchsvc.backends.whoosh.indexer.mapped`) with ``struct.unpack_from``: the hash lookup of
Whoosh's ``HashReader.ranges_for_key``, the term info of ``W3TermInfo.from_bytes``,
and each block as ``W3LeafMatcher._goto`` and ``_read_data`` read it (length, pickled
header, zlib-compressed pickled ``(ids, weights, values)``). The format is Whoosh
2.7's, which the index is written with; any segment this module cannot read that way
(another codec, a segment file without a buffer) gives ``None`` and the caller uses
Whoosh's matcher. ``tests/test_vectors.py`` compares both on every index shape.

Deleted documents are included, as in :func:`searchsvc.backends.whoosh.vectors.posting_values`.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from hashlib import md5

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.filedb.filetables import md5_hash

_POINTER = struct.Struct("!Iq")  # hash slot: key hash, item position
_LENGTHS = struct.Struct("!ii")  # item: key length, value length
_INT = struct.Struct("!i")
_USHORT = struct.Struct("!H")
_EXTENT = struct.Struct("!qi")  # term info: postings offset, length
_TERMINFO = W3TermInfo._struct.size
_HEADER = 4  # each term's postings start with a 4-byte tag (WHOOSH3_HEADER_MAGIC)


class Segment:
    """What a lookup needs from one segment reader: its term index's hash tables and
    buffer, its postings buffer and field numbers."""

    __slots__ = ("tables", "tbuf", "pbuf", "fieldmap")

    def __init__(self, tables, tbuf, pbuf, fieldmap):
        self.tables = tables
        self.tbuf = tbuf
        self.pbuf = pbuf
        self.fieldmap = fieldmap

    def term_info(self, fieldname: str, tbytes: bytes, keys: dict | None = None):
        """The term info bytes of ``fieldname:tbytes``, or None if absent. ``keys``
        (a dict the caller keeps for one term) remembers the key and its hash for the
        next segments that number the field the same way."""
        fnum = self.fieldmap.get(fieldname)
        if fnum is None:
            return None
        got = keys.get(fnum) if keys is not None else None
        if got is None:
            key = _USHORT.pack(fnum) + tbytes
            got = key, int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")
            if keys is not None:
                keys[fnum] = got
        key, h = got
        start, nslots = self.tables[h & 255]
        if not nslots:
            return None
        buf = self.tbuf
        end = start + nslots * _POINTER.size
        slot = start + ((h >> 8) % nslots) * _POINTER.size
        klen = len(key)
        for _ in range(nslots):
            slothash, item = _POINTER.unpack_from(buf, slot)
            if not item:
                return None
            if slothash == h:
                keylen, datalen = _LENGTHS.unpack_from(buf, item)
                kstart = item + _LENGTHS.size
                if keylen == klen and buf[kstart:kstart + keylen] == key:
                    return bytes(buf[kstart + keylen:kstart + keylen + datalen])
            slot += _POINTER.size
            if slot == end:
                slot = start
        return None

    def blocks(self, fieldname: str, tbytes: bytes, keys: dict | None = None):
        """``(n, last id, delta, raw)`` of each posting block of the term, in docnum
        order (nothing if absent), the data not yet decoded: :func:`data` gives a
        block's ``(ids, weights, values)`` as Whoosh stores them (ids delta-coded when
        ``delta``; weights None for all 1.0, one float for equal weights, or a
        sequence; values a sequence of bytes, or one bytes string of fixed-size
        values). A block whose last id is below the documents wanted is skipped on
        its header alone, as ``W3LeafMatcher.skip_to`` does."""
        info = self.term_info(fieldname, tbytes, keys)
        if info is None:
            return
        if info[0]:  # inlined postings: one tuple of plain ids, weights and values
            got = pickle.loads(info[_TERMINFO:])
            yield len(got[0]), (got[0][-1] if got[0] else -1), False, got
            return
        offset, _ = _EXTENT.unpack_from(info, _TERMINFO)
        buf = self.pbuf
        pos = offset + _HEADER
        while True:
            blen = _INT.unpack_from(buf, pos)[0]
            nxt = pos + _INT.size + abs(blen)
            head = io.BytesIO(buf[pos + _INT.size:nxt])
            n, maxid, _maxweight, comp, _minlen, _maxlen = pickle.load(head)
            yield n, maxid, True, (comp, head)
            if blen < 0:
                return
            pos = nxt


def data(raw) -> tuple:
    """The ``(ids, weights, values)`` of a block of :meth:`Segment.blocks`."""
    if not isinstance(raw[1], io.BytesIO):
        return raw
    comp, head = raw
    body = head.read()
    return pickle.loads(zlib.decompress(body) if comp else body)


def segment(leaf) -> Segment | None:
    """The :class:`Segment` of a Whoosh segment reader (made once, kept on the reader),
    or None when its terms are not read from buffers by Whoosh 3's codec (the caller
    then uses Whoosh's matcher)."""
    got = getattr(leaf, "_w3read", _UNSET)
    if got is _UNSET:
        got = _segment(leaf)
        try:
            leaf._w3read = got
        except AttributeError:  # a reader with __slots__: made again each time
            pass
    return got


_UNSET = object()


def _segment(leaf) -> Segment | None:
    terms = getattr(leaf, "_terms", None)
    if type(terms) is not W3TermsReader:
        return None
    tindex, postfile = getattr(terms, "_tindex", None), getattr(terms, "_postfile", None)
    tbuf, pbuf = getattr(getattr(tindex, "dbfile", None), "_buf", None), getattr(postfile, "_buf", None)
    if tbuf is None or pbuf is None or getattr(tindex, "hashfn", None) is not md5_hash:
        return None
    return Segment(tindex.tables, tbuf, pbuf, terms._fieldmap)
