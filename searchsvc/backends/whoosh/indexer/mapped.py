"""Read compound Whoosh segments through the memory map, without copying them.

Whoosh 2.7.5 opens each sub-file of a compound segment (``*.seg``) as a
``BufferFile`` over a view of the segment's ``mmap``, and ``BufferFile`` wraps that
view in ``io.BytesIO(view)``, which copies it: every searcher held a private copy
of the whole index (about 270 MB of anonymous memory per searcher on news-fr, and
as much again of file pages touched by the copy). That was most of the 4.75 GB RSS
with 8 server threads (issue 13).

:func:`install` makes ``CompoundStorage.open_file`` give a file object whose
``read``/``readline`` copy only what they read from the segment's map (``get`` and
``get_array`` already read the view). Without a map (Whoosh could not mmap the
segment), Whoosh's own ``open_file`` runs. Every searcher of a segment file shares
one map of it (reference-counted), so that its pages count once in the RSS.
"""

from __future__ import annotations

import os
import threading

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

_installed = False


class _Window:
    """A read-only file over a memoryview: each read copies only what it reads."""

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0
        self._len = len(view)

    def read(self, size: int = -1) -> bytes:
        pos = self._pos
        end = self._len if size is None or size < 0 else min(self._len, pos + size)
        self._pos = max(end, pos)
        return bytes(self._view[pos:end])

    def peek(self, size: int = 0) -> bytes:
        """Bytes ahead without moving (the unpickler then reads each pickle in one go)."""
        pos = self._pos
        return bytes(self._view[pos:min(self._len, pos + min(max(size, 1), 512))])

    def readline(self, size: int = -1) -> bytes:
        pos = self._pos
        rest = bytes(self._view[pos:self._len if size is None or size < 0 else pos + size])
        i = rest.find(b"\n")
        line = rest if i < 0 else rest[:i + 1]
        self._pos = pos + len(line)
        return line

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            pos += self._pos
        elif whence == os.SEEK_END:
            pos += self._len
        self._pos = max(0, pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = memoryview(b"")


class MappedFile(BufferFile):
    """A ``BufferFile`` that does not copy its buffer."""

    def __init__(self, buf, window: _Window, name=None):
        self._buf = buf
        self._name = name
        self.file = window
        self.onclose = None
        self.is_real = False
        self.is_closed = False


def _open_file(self, name, *args, **kwargs):
    source = getattr(self, "_source", None)
    if source is None or self.is_closed:
        return _original(self, name, *args, **kwargs)
    try:
        offset, length = self.range(name)
        view = memoryview(source)[offset:offset + length]
    except (OSError, ValueError, TypeError, KeyError, NameError):
        return _original(self, name, *args, **kwargs)
    return MappedFile(view, _Window(view), name=name)


_original = compound.CompoundStorage.open_file
_original_init = compound.CompoundStorage.__init__
_original_close = compound.CompoundStorage.close
#: (path, inode, size, mtime) -> [shared mmap, number of storages using it]
_maps: dict = {}
_maps_lock = threading.Lock()


def _init(self, dbfile, use_mmap=True, basepos=0):
    key = None
    try:
        raw = getattr(dbfile, "file", None)
        st = os.fstat(raw.fileno())
        key = (getattr(raw, "name", None), st.st_ino, st.st_size, st.st_mtime_ns)
    except (AttributeError, OSError, ValueError):
        pass
    _original_init(self, dbfile, use_mmap=use_mmap, basepos=basepos)
    own = getattr(self, "_source", None)
    if own is None or key is None or key[0] is None:
        return
    with _maps_lock:
        entry = _maps.get(key)
        if entry is None:
            _maps[key] = [own, 1]
        else:  # one map per segment file for every searcher: its pages count once in RSS
            entry[1] += 1
            self._source = entry[0]
            own.close()
    self._shared_key = key


def _close(self):
    key = getattr(self, "_shared_key", None)
    if key is not None and not self.is_closed:
        self._shared_key = None
        source, self._source = self._source, None
        with _maps_lock:
            entry = _maps.get(key)
            if entry is not None and entry[0] is source:
                entry[1] -= 1
                if entry[1] <= 0:
                    del _maps[key]
                    try:
                        source.close()
                    except BufferError:  # views still alive: unmapped with the last of them
                        pass
    _original_close(self)


def shared_maps() -> dict:
    """``{"maps", "bytes"}``: the segment maps shared by the searchers."""
    with _maps_lock:
        return {"maps": len(_maps), "bytes": sum(k[2] for k in _maps)}


def install() -> None:
    """Patch Whoosh's ``CompoundStorage`` (once): no copies, one map per segment file."""
    global _installed
    if not _installed:
        compound.CompoundStorage.open_file = _open_file
        compound.CompoundStorage.__init__ = _init
        compound.CompoundStorage.close = _close
        _installed = True
