"""Files to ingest: walking folders, telling documents from sidecars, sniffing bytes, reading within a size limit."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from rag.errors import CorruptFileError, EmptyFileError, FileTooLargeError, LoaderError, UnsupportedFileError

SUPPORTED_SUFFIXES = (".pdf", ".html", ".htm", ".txt", ".md", ".markdown")
SIDECAR_SUFFIX = ".meta.json"

_MAGIC = (  # (signature, what it is, what to do)
    (b"%PDF-", "a PDF", "rename it to .pdf"), (b"PK\x03\x04", "a ZIP or Office file", "export it as PDF"),
    (b"\x89PNG", "a PNG image", "OCR it into a PDF first"),
    (b"\xff\xd8\xff", "a JPEG image", "OCR it into a PDF first"),
    (b"\xd0\xcf\x11\xe0", "an old Office file", "export it as PDF"), (b"<", "HTML or XML", "save it as .html"),
)
_CONTROL_BYTES = tuple(bytes([b]) for b in (*range(0, 8), 14, 15, *range(16, 27), *range(28, 32)))

Skip = Callable[[Path, LoaderError], None]


def sniff(head: bytes) -> tuple[str, str]:
    """What the first bytes say a file is, and what to do: ('', '') when they say nothing."""
    return next(((what, todo) for magic, what, todo in _MAGIC if head.lstrip().startswith(magic)), ("", ""))


def display_name(path: object) -> str:
    """The file's basename, safe to print: control characters escaped, very long names shortened."""
    base = os.path.basename(str(path)) or str(path)
    base = base.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    base = re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", base)
    return base if len(base) <= 100 else base[:60] + "…" + base[-30:]


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def unsupported_message(path: Path) -> str:
    kinds = ", ".join(SUPPORTED_SUFFIXES)
    return (f"{display_name(path)} is not a supported file type ({path.suffix or 'no suffix'}); "
            f"convert it to one of {kinds}")


def iter_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, LoaderError]]]:
    """Expand files and folders into the supported files under them, and the ones skipped with why.

    Folders are walked recursively in sorted order, leaving out hidden files and folders and
    NAME.meta.json sidecars. A file is listed once however often it is named.
    """
    files: list[Path] = []
    skipped: list[tuple[str, LoaderError]] = []
    seen: set[str] = set()

    def skip(p: Path, error: LoaderError) -> None:
        skipped.append((str(p), error))

    for p in map(Path, paths):
        for f in _candidates(p, skip):
            if _admit(f, skip) and (key := os.path.realpath(f)) not in seen:
                seen.add(key)
                files.append(f)
    return files, skipped


def _candidates(p: Path, skip: Skip) -> list[Path]:
    """The path itself, or every visible file under it when it is a folder."""
    try:
        if not p.exists():
            what = "is a broken link" if p.is_symlink() else "does not exist"
            skip(p, LoaderError(p, f"{display_name(p)} {what}; check the path and try again"))
            return []
        return [p] if not p.is_dir() else _walk(p, skip)
    except OSError as e:
        skip(p, LoaderError(p, f"{display_name(p)} cannot be read ({e.strerror}); check the path and its permissions"))
        return []


def _admit(f: Path, skip: Skip) -> bool:
    """True for a regular file of a supported type; sidecars are passed over, anything else is reported."""
    if f.name.endswith(SIDECAR_SUFFIX):
        return False
    try:
        regular = stat.S_ISREG(f.stat().st_mode)
    except OSError as e:
        skip(f, LoaderError(f, f"{display_name(f)} cannot be read ({e.strerror}); check the path"))
        return False
    if not regular:
        skip(f, UnsupportedFileError(f, f"{display_name(f)} is not a regular file; skipping it"))
        return False
    if f.suffix.lower() not in SUPPORTED_SUFFIXES:
        skip(f, UnsupportedFileError(f, unsupported_message(f)))
        return False
    return True


def _walk(folder: Path, skip: Skip) -> list[Path]:
    """Every visible file under folder, sorted; unreadable subfolders are reported through skip."""
    found: list[Path] = []

    def on_error(e: OSError) -> None:
        f = Path(e.filename or folder)
        skip(f, LoaderError(f, f"{display_name(f)} cannot be read ({e.strerror}); check its permissions"))

    for root, dirs, names in os.walk(folder, onerror=on_error):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root) / n for n in names if not n.startswith("."))
    return sorted(found, key=lambda f: f.parts)


def read_bytes(path: Path, max_bytes: int | None) -> bytes:
    """The file's bytes; refused when it is not a regular file, over max_bytes, empty or only whitespace."""
    try:
        st = path.stat()
    except OSError as e:
        raise LoaderError(path, f"{display_name(path)} cannot be read ({e.strerror}); check the path") from e
    if not stat.S_ISREG(st.st_mode):
        raise UnsupportedFileError(path, f"{display_name(path)} is not a regular file; point at a document file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise FileTooLargeError(
            path, f"{display_name(path)} is {_size(st.st_size)} ({st.st_size:,} bytes), over the limit of "
                  f"{_size(max_bytes)} ({max_bytes:,} bytes); split it or raise SHIFTBRIEF_MAX_FILE_MB")
    try:
        with open(path, "rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as e:
        raise LoaderError(path, f"{display_name(path)} cannot be read ({e.strerror}); check its permissions") from e
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLargeError(path, f"{display_name(path)} grew past the {_size(max_bytes)} limit while being "
                                      "read; ingest it again when it is complete")
    if not data or (len(data) < 1_000_000 and not data.strip()):
        what = "empty (0 bytes)" if not data else "only whitespace"
        raise EmptyFileError(path, f"{display_name(path)} is {what}; nothing to ingest — check the export or download")
    return data


def check_binary(path: Path, data: bytes) -> None:
    """Refuse bytes that are not text (NULs or many control bytes), saying what they look like instead."""
    head = data[:65536]
    controls = sum(head.count(b) for b in _CONTROL_BYTES)
    if b"\x00" in head or controls > len(head) * 0.05:
        what, todo = sniff(head) if not head.lstrip().startswith(b"<") else ("", "")
        raise CorruptFileError(path, f"{display_name(path)} looks like binary data, not text"
                                     f"{f' (it looks like {what})' if what else ''}; "
                                     f"{todo or 'check that the file is what its name says'}")
