"""Find corpus files and read them as text: size limit, encodings, bad files.

Every failure is an :class:`IngestError` whose ``reason`` is one line of French.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Iterator

EXTENSIONS = frozenset({".txt", ".html", ".htm", ".json", ".jsonl"})
EXCLUDED_NAMES = frozenset({"manifest.jsonl", "synonyms.txt"})
SIDECAR_SUFFIX = ".meta.json"
DEFAULT_MAX_BYTES = 10 * 1000 * 1000  #: 10 MB, per article
MAX_BYTES_ENV = "SEARCHSVC_MAX_BYTES"


class IngestError(Exception):
    """A file that cannot be ingested; ``reason`` is a one-line French message."""

    def __init__(self, reason: str):
        reason = " ".join(str(reason).split())
        super().__init__(reason)
        self.reason = reason


_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_SIZE_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:([kKmMgGtT])(i?)([bBoO]?)|([bBoO]))?")
SIZE_HELP = ("un nombre d'octets (10000000) ou une taille avec son unité (10MB, 10 MB, 10M, "
             "10 Mo, 512 Ko, 10 MiB) ; 0 = aucune limite")


#: what the help of the commands that read the corpus says of the limit
MAX_BYTES_HELP = (f"{MAX_BYTES_ENV} : taille maximale d'un article (un fichier, ou une ligne "
                  "d'un .jsonl) ; 10 MB par défaut ; 10MB, 10 MB, 10M ou 10000000 ; 0 = aucune limite.")


def parse_size(text: str) -> int:
    """``"10MB"``, ``"10 MB"``, ``"10M"``, ``"10 Mo"``, ``"10000000"`` -> bytes (0: no limit).

    k/M/G/T are powers of 1000, KiB/MiB/GiB (Kio, Mio...) powers of 1024. Anything
    else (``1e7``, ``-1``, ``10 MBs``, a fraction of a byte) raises ``ValueError``
    with a French message.
    """
    raw = str(text).strip()
    m = _SIZE_RE.fullmatch(raw)
    if m:
        number, prefix, binary, _, unit_only = m.groups()
        value = float(number.replace(",", "."))
        if prefix:
            factor = (1024 ** " kmgt".index(prefix.lower())) if binary else _UNITS[prefix.lower()]
        else:
            factor = 1
        if (prefix or "." not in number and "," not in number):
            return int(round(value * factor))
    raise ValueError(f"{MAX_BYTES_ENV} invalide : « {raw} » ; attendu : {SIZE_HELP}")


def max_bytes(value: int | None = None) -> int:
    """The per-article size limit in bytes, 0 for none: explicit value, else
    ``SEARCHSVC_MAX_BYTES`` (see :func:`parse_size`), else 10 MB.

    An invalid variable raises :class:`IngestError` (callers check it once with
    :func:`check_max_bytes` before a run, so that it never fails file by file).
    """
    if value is not None:
        return max(0, int(value))
    env = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not env:
        return DEFAULT_MAX_BYTES
    try:
        return parse_size(env)
    except ValueError as exc:
        raise IngestError(str(exc)) from None


def check_max_bytes() -> str | None:
    """None when ``SEARCHSVC_MAX_BYTES`` is usable, else its French error message."""
    try:
        max_bytes()
    except IngestError as exc:
        return exc.reason
    return None


def is_corpus_file(name: str) -> bool:
    """True for an article file name (not a manifest, sidecar or synonyms list)."""
    low = name.lower()
    if low in EXCLUDED_NAMES or low.endswith(SIDECAR_SUFFIX) or name.startswith("."):
        return False
    return os.path.splitext(low)[1] in EXTENSIONS


def corpus_files(root, sidecars: set | None = None) -> list[Path]:
    """Article files under ``root``, recursively, sorted by relative path.

    Hidden files and folders are skipped and folder symlinks are not followed (no
    cycles). Broken symlinks, unreadable files and unreadable sub-folders ARE listed:
    :func:`extract` then raises an :class:`IngestError` for them, so the caller can
    report them as skipped. ``sidecars``, when given, receives the path (``root``
    joined with the relative path, as a string) of every sidecar metadata file seen,
    so that a caller need not look for the sidecars of each file one by one.
    """
    return [Path(p) for _, p in corpus_paths(root, sidecars)]


def corpus_paths(root, sidecars: set | None = None) -> list[tuple[str, str]]:
    """:func:`corpus_files` as ``(relative POSIX path, path)`` strings, without building
    a ``Path`` per file (a reindex lists 33,930 files each run)."""
    root = Path(root)
    if not root.is_dir():
        raise IngestError(f"dossier de corpus introuvable : {root}")
    found: list[tuple[str, str]] = []

    def unreadable(err: OSError):  # listed, so that extract() reports it
        if err.filename and Path(err.filename) != root:
            rel = os.path.relpath(err.filename, root).replace(os.sep, "/")
            found.append((rel, os.fspath(err.filename)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            if is_corpus_file(name):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                found.append((rel.replace(os.sep, "/"), os.path.join(dirpath, name)))
            elif sidecars is not None and name.endswith(SIDECAR_SUFFIX):
                sidecars.add(os.path.join(dirpath, name))
    found.sort(key=lambda t: t[0])
    return found


_SEGMENT_BAD = re.compile(r"[^A-Za-z0-9._~-]+")


def _slug(segment: str) -> str:
    s = unicodedata.normalize("NFKD", segment)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _SEGMENT_BAD.sub("-", s).strip("-")
    s = re.sub(r"^\.+", "_", s)  # never "." or ".." as a segment
    return s or "_"


def doc_id(path, root=None) -> str:
    """URL-safe document id: the path relative to ``root`` without its extension.

    For a flat folder this is the file stem. Accents are folded and any character
    outside ``[A-Za-z0-9._~-]`` becomes ``-`` in each path segment.
    """
    path = Path(path)
    if root is not None:
        try:
            rel = Path(os.path.relpath(path, root))
        except ValueError:
            rel = Path(path.name)
        if rel.parts and rel.parts[0] == "..":
            rel = Path(path.name)
    else:
        rel = Path(path.name)
    parts = list(rel.parts)
    parts[-1] = os.path.splitext(parts[-1])[0] or parts[-1]
    return "/".join(_slug(p) for p in parts)


def sub_id(segment) -> str:
    """A URL-safe id segment for an object inside a .json/.jsonl file."""
    return _slug(str(segment).replace("/", "-"))


#: French reasons of system errors, for every view (ingestion, index writing, serving).
_ERRNO_FR = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé (permissions insuffisantes)",
    errno.EPERM: "opération non permise",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ELOOP: "lien symbolique en boucle",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota de disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EEXIST: "existe déjà",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EBUSY: "ressource occupée",
    errno.ENOTEMPTY: "dossier non vide",
    errno.EXDEV: "déplacement impossible entre deux systèmes de fichiers",
    errno.EADDRINUSE: "adresse déjà utilisée (un autre service écoute sur ce port ?)",
    errno.EADDRNOTAVAIL: "adresse indisponible sur cette machine",
}


def os_error_reason(exc: OSError) -> str:
    """The French reason of an OS error (never Python's English ``strerror``)."""
    if isinstance(exc, PermissionError) and exc.errno is None:
        return _ERRNO_FR[errno.EACCES]
    reason = _ERRNO_FR.get(exc.errno)
    if reason:
        return reason
    name = errno.errorcode.get(exc.errno) if exc.errno else None
    return f"erreur système {name}" if name else "erreur système"


def os_error_message(exc: OSError, path=None) -> str:
    """``« /nonexistent » : fichier ou dossier introuvable``: one French sentence naming the file."""
    where = path if path is not None else exc.filename
    reason = os_error_reason(exc)
    return f"« {where} » : {reason}" if where is not None else reason


def _open_regular(path: Path, limit: int):
    """An open binary file, after the checks every reader makes (IngestError otherwise)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(path)
            raise IngestError("pas un fichier ordinaire (tube, socket ou périphérique)")
        if limit and st.st_size > limit:
            raise IngestError(f"fichier trop volumineux : {_mb(st.st_size)} (limite {_mb(limit)}, {MAX_BYTES_ENV})")
        return open(path, "rb")
    except IngestError:
        raise
    except OSError as exc:
        raise IngestError(_read_error(path, exc)) from None


def _read_error(path: Path, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "lien symbolique cassé (la cible n'existe pas)" if os.path.islink(path) else "fichier introuvable"
    if isinstance(exc, IsADirectoryError):
        try:
            os.listdir(path)
        except OSError:
            return "dossier illisible (permissions insuffisantes) : ses articles sont ignorés"
        return "c'est un dossier, pas un fichier"
    if isinstance(exc, PermissionError):
        return "lecture refusée (permissions insuffisantes)"
    return f"lecture impossible : {os_error_reason(exc)}"


def read_bytes(path, limit: int | None = None) -> bytes:
    """The file's bytes, or an :class:`IngestError` (symlink, size, permission...).

    ``limit`` (default :func:`max_bytes`; 0: none) is the largest size accepted.
    """
    path = Path(path)
    limit = max_bytes(limit)
    f = _open_regular(path, limit)
    try:
        with f:
            data = f.read(limit + 1) if limit else f.read()
    except OSError as exc:
        raise IngestError(_read_error(path, exc)) from None
    if limit and len(data) > limit:  # grew while reading
        raise IngestError(f"fichier trop volumineux : plus de {_mb(limit)} ({MAX_BYTES_ENV})")
    return data


#: a .jsonl file is read as a stream only when its first bytes say it is 8-bit text
_STREAM_HEAD = 4096


def jsonl_lines(path, limit: int | None = None, start: int = 0, end: int | None = None,
                first_line: int = 1) -> Iterator[tuple[int, str | IngestError]]:
    """The lines of a JSON Lines file as a stream: ``(line number, text)``.

    The size limit applies to each line (one article), not to the file; a longer
    line gives ``(n, IngestError)`` and is skipped without being held in memory.
    ``start``/``end`` (byte offsets on line boundaries, see :func:`line_boundaries`)
    read one part of the file; ``first_line`` is the number of the line at
    ``start``. Blank lines are skipped. A file that is binary raises
    :class:`IngestError`; one in UTF-16/32 is decoded whole (file-level limit).
    """
    path = Path(path)
    limit = max_bytes(limit)
    f = _open_regular(path, 0)
    with f:
        try:
            head = f.read(_STREAM_HEAD)
        except OSError as exc:
            raise IngestError(_read_error(path, exc)) from None
        if start == 0:
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
                f.close()
                text = decode(read_bytes(path, limit))
                for n, line in enumerate(text.splitlines(), 1):
                    if line.strip():
                        yield n, line
                return
            for magic, kind in _MAGIC:
                if head.startswith(magic):
                    raise IngestError(f"fichier binaire ({kind}), pas du texte")
            if not head.replace(codecs.BOM_UTF8, b"", 1).strip():
                if not head or not f.read(1):
                    raise IngestError("fichier vide")
        f.seek(start)
        pos, n = start, first_line
        while end is None or pos < end:
            try:
                raw = f.readline(limit + 1) if limit else f.readline()
            except OSError as exc:
                raise IngestError(_read_error(path, exc)) from None
            if not raw:
                break
            pos += len(raw)
            if limit and len(raw) > limit and not raw.endswith(b"\n"):
                size = len(raw)
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                    raw = f.readline(1 << 20)
                    size += len(raw)
                    pos += len(raw)
                yield n, IngestError(f"ligne {n} : article trop volumineux : {_mb(size)} "
                                     f"(limite {_mb(limit)}, {MAX_BYTES_ENV})")
                n += 1
                continue
            if n == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if raw.strip():
                text = _decode_8bit(raw.rstrip(b"\r\n"))
                if _JUNK.search(text):
                    text = _JUNK.sub(" ", text)
                yield n, text
            n += 1


def line_boundaries(path, part_bytes: int) -> list[int]:
    """Byte offsets cutting a file into parts of about ``part_bytes`` on line ends
    (first 0, last the file size): cheap, nothing is parsed."""
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as f:
        at = part_bytes
        while at < size:
            f.seek(at)
            f.readline()
            pos = f.tell()
            if pos >= size:
                break
            if pos > cuts[-1]:
                cuts.append(pos)
            at = max(pos, at) + part_bytes
    cuts.append(size)
    return cuts


def _mb(n: int) -> str:
    if n >= 1000 * 1000:
        return f"{n / (1000 * 1000):.1f} Mo".replace(".", ",")
    return f"{n} octet{'s' if n > 1 else ''}"


_MAGIC = (
    (b"%PDF-", "PDF"), (b"\x89PNG", "PNG"), (b"GIF8", "GIF"), (b"\xff\xd8\xff", "JPEG"),
    (b"PK\x03\x04", "ZIP/Office"), (b"\x1f\x8b", "gzip"), (b"\x7fELF", "exécutable"),
    (b"BZh", "bzip2"), (b"\xfd7zXZ", "xz"), (b"7z\xbc\xaf", "7z"), (b"RIFF", "RIFF"),
    (b"\xd0\xcf\x11\xe0", "Office"), (b"SQLite format 3", "SQLite"),
)
# characters that never occur in real text: C0/C1 controls (but \t \n \r \f), U+FFFD
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_JUNK_RATIO = 0.05


def decode(data: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16/32 with BOM, else cp1252.

    Mixed files (UTF-8 lines next to cp1252 lines) are decoded line by line and
    never crash. Binary data and undecodable text raise :class:`IngestError`.
    """
    body = data
    for bom in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8,
                codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if body.startswith(bom):
            body = body[len(bom):]
            break
    if not body.replace(b"\x00", b"").strip():
        raise IngestError("fichier vide")
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                     (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            body = data[len(bom):]
            if enc == "utf-8":
                text = _decode_8bit(body)
            else:
                try:
                    text = body.decode(enc)
                except UnicodeDecodeError as exc:
                    raise IngestError(f"texte indécodable : marque {enc.upper()} mais octets invalides à la position {exc.start + len(bom)}")
            return _checked(text)
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise IngestError(f"fichier binaire ({kind}), pas du texte")
    if b"\x00" in data:
        enc = _utf16_without_bom(data)
        if enc is None:
            raise IngestError("fichier binaire (octets nuls), pas du texte")
        try:
            return _checked(data.decode(enc))
        except UnicodeDecodeError:
            raise IngestError("texte indécodable (UTF-16 sans marque, invalide)")
    return _checked(_decode_8bit(data))


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_nul = sample[0::2].count(0) / (len(sample) / 2)
    odd_nul = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nul > 0.6 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.6 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _cp1252_fallback(exc: UnicodeDecodeError):
    """Codec error handler: an invalid UTF-8 byte is read as cp1252 (latin-1 for the
    5 bytes cp1252 leaves undefined), so mixed files keep every character."""
    bad = exc.object[exc.start:exc.end]
    out = []
    for b in bad:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out), exc.end


codecs.register_error("searchsvc-cp1252", _cp1252_fallback)


def _decode_8bit(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Legacy or mixed: valid UTF-8 sequences stay UTF-8, every other byte is cp1252.
    return data.decode("utf-8", errors="searchsvc-cp1252")


def _checked(text: str) -> str:
    if not text.strip():
        raise IngestError("fichier vide")
    sample = text[:20000]
    junk = _JUNK.findall(sample)
    if junk and len(junk) > _JUNK_RATIO * len(sample):
        controls = sum(1 for c in junk if c < "\x80")
        if controls > _JUNK_RATIO * len(sample):
            raise IngestError("fichier binaire (caractères de contrôle), pas du texte")
        raise IngestError(f"texte indécodable : {len(junk)} caractères invalides sur {len(sample)}")
    if junk:
        text = _JUNK.sub(" ", text)
    return text


_JSON_REASONS = (  # Python's json messages -> French
    ("Expecting value", "valeur attendue"),
    ("Expecting property name enclosed in double quotes", "nom de clé entre guillemets attendu"),
    ("Expecting ',' delimiter", "virgule attendue"),
    ("Expecting ':' delimiter", "deux-points attendu"),
    ("Unterminated string", "chaîne non terminée"),
    ("Invalid control character", "caractère de contrôle dans une chaîne"),
    ("Invalid \\escape", "séquence d'échappement invalide"),
    ("Invalid \\uXXXX escape", "séquence \\uXXXX invalide"),
    ("Extra data", "données en trop après l'objet"),
)


def json_reason(exc: ValueError) -> str:
    """The French reason of a JSON syntax error."""
    msg = getattr(exc, "msg", str(exc))
    for english, french in _JSON_REASONS:
        if msg.startswith(english):
            return french
    return "syntaxe incorrecte"


_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.I)


def decode_html(data: bytes) -> str:
    """Like :func:`decode`, but a page that is not UTF-8 is read in the charset its
    ``<meta>`` declares (e.g. ISO-8859-15, where 0xA4 is "€") when Python knows it."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        return decode(data)
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    m = _CHARSET.search(data[:8192])
    if m:
        try:
            enc = codecs.lookup(m.group(1).decode("ascii")).name
        except LookupError:
            enc = None
        if enc and enc not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
            if enc in ("latin-1", "iso8859-1", "ascii"):
                enc = "cp1252"  # what browsers do for both
            return _checked(data.decode(enc, errors="replace"))
    return decode(data)


def read_text(path, limit: int | None = None) -> str:
    """Read and decode one file (see :func:`read_bytes` and :func:`decode`)."""
    return decode(read_bytes(path, limit))
