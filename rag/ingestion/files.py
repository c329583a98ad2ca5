"""Files to ingest: walking folders, telling documents from sidecars, sniffing bytes, reading within a size limit."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from rag.errors import (
    CorruptFileError,
    EmptyFileError,
    FileTooLargeError,
    LoaderError,
    OutsideFolderError,
    UnsupportedFileError,
)

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


@dataclass(frozen=True)
class TextLimits:
    """Caps on the text taken from one file (SHIFTBRIEF_MAX_PAGE_CHARS, SHIFTBRIEF_MAX_DOC_CHARS)."""

    page_chars: int = 200_000
    doc_chars: int = 5_000_000


@dataclass
class TextBudget:
    """Hands out a file's text within its limits and remembers what it cut, to say so."""

    limits: TextLimits = field(default_factory=TextLimits)
    used: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def spent(self) -> bool:
        return self.used >= self.limits.doc_chars

    def take(self, text: str, where: str = "", total: int | None = None) -> str:
        """text cut to the page limit (when `where` names a page) and to what is left of the document's.

        `total` is the page's full length when the caller already read only part of it.
        """
        total = max(total or 0, len(text))
        if where and total > self.limits.page_chars:
            self.notes.append(f"{where} cut at {self.limits.page_chars:,} of its {total:,} characters "
                              "(SHIFTBRIEF_MAX_PAGE_CHARS)")
            text = text[:self.limits.page_chars]
        left = self.limits.doc_chars - self.used
        if len(text) > left:
            self.notes.append(f"text after {self.limits.doc_chars:,} characters skipped"
                              f"{f' (from {where})' if where else ''} (SHIFTBRIEF_MAX_DOC_CHARS)")
            text = text[:max(left, 0)]
        self.used += len(text)
        return text

    def note(self) -> str:
        """What was cut, for the document's metadata; '' when nothing was."""
        more = f"; and {len(self.notes) - 3} more" if len(self.notes) > 3 else ""
        return "; ".join(self.notes[:3]) + more


class Found(NamedTuple):
    """A file to ingest and the folder its bytes must come from (links may not leave it)."""

    path: Path
    root: Path


def sniff(head: bytes) -> tuple[str, str]:
    """What the first bytes say a file is, and what to do: ('', '') when they say nothing."""
    return next(((what, todo) for magic, what, todo in _MAGIC if head.lstrip().startswith(magic)), ("", ""))


def _printable(text: str, limit: int) -> str:
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[:limit * 3 // 5] + "…" + text[-(limit * 3 // 10):]


def display_name(path: object) -> str:
    """The file's basename, safe to print: control characters escaped, very long names shortened."""
    return _printable(os.path.basename(str(path)) or str(path), 100)


def display_path(path: object) -> str:
    """The path as given, safe to print like display_name (for paths the user typed)."""
    return _printable(str(path), 300)


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
    """The supported files under paths, and the ones skipped with why (see find_files)."""
    found, skipped = find_files(paths)
    return [f.path for f in found], skipped


def find_files(paths: Iterable[str | Path]) -> tuple[list[Found], list[tuple[str, LoaderError]]]:
    """Expand files and folders into the supported files under them, and the ones skipped with why.

    Folders are walked recursively in sorted order. Hidden files and folders and links to
    folders are skipped and reported; NAME.meta.json sidecars are passed over. A file link
    must resolve inside the folder given (for a file named directly: the folder holding it),
    else it is refused. A file is listed once however often it is named.
    """
    files: list[Found] = []
    skipped: list[tuple[str, LoaderError]] = []
    seen: set[str] = set()

    def skip(p: Path, error: LoaderError) -> None:
        skipped.append((str(p), error))

    for p in map(Path, paths):
        root = p if _is_dir(p) else p.parent
        for f in _candidates(p, skip):
            if _admit(f, root, skip) and (key := os.path.realpath(f)) not in seen:
                seen.add(key)
                files.append(Found(f, root))
    return files, skipped


def _is_dir(p: Path) -> bool:
    try:
        return p.is_dir()
    except OSError:
        return False


def _candidates(p: Path, skip: Skip) -> list[Path]:
    """The path itself, or every visible file under it when it is a folder."""
    try:
        if not p.exists():
            what = "is a broken link" if p.is_symlink() else "does not exist"
            skip(p, LoaderError(p, f"{display_path(p)} {what}; check the path and try again"))
            return []
        return [p] if not p.is_dir() else _walk(p, skip)
    except OSError as e:
        skip(p, LoaderError(p, f"{display_path(p)} cannot be read ({e.strerror}); check the path and its permissions"))
        return []


def is_inside(path: str | Path, root: str | Path) -> bool:
    """Does path, with every link resolved, lie inside root (also resolved)?"""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or os.path.commonpath([real, top]) == top


def outside_message(path: Path, root: Path) -> str:
    return (f"{display_name(path)} is a link to a file outside {display_path(root)}; links may not leave the "
            "folder being ingested — ingest the file it points to by its own path, or copy it in")


def _admit(f: Path, root: Path, skip: Skip) -> bool:
    """True for a regular file of a supported type inside root; sidecars are passed over, anything else reported."""
    if f.name.endswith(SIDECAR_SUFFIX):
        return False
    try:
        regular = stat.S_ISREG(f.stat().st_mode)
    except OSError as e:
        what = "is a broken link" if f.is_symlink() else f"cannot be read ({e.strerror})"
        skip(f, LoaderError(f, f"{display_name(f)} {what}; check the path"))
        return False
    if not regular:
        skip(f, UnsupportedFileError(f, f"{display_name(f)} is not a regular file; skipping it"))
        return False
    if f.suffix.lower() not in SUPPORTED_SUFFIXES:
        skip(f, UnsupportedFileError(f, unsupported_message(f)))
        return False
    if f.is_symlink() and not is_inside(f, root):
        skip(f, OutsideFolderError(f, outside_message(f, root)))
        return False
    return True


def _walk(folder: Path, skip: Skip) -> list[Path]:
    """Every visible file under folder, sorted; hidden entries, folder links and unreadable folders are reported."""
    found: list[Path] = []

    def on_error(e: OSError) -> None:
        f = Path(e.filename or folder)
        skip(f, LoaderError(f, f"{display_name(f)} cannot be read ({e.strerror}); check its permissions"))

    for root, dirs, names in os.walk(folder, onerror=on_error):
        here = Path(root)
        for d in sorted(dirs):
            if d.startswith("."):
                skip(here / d, UnsupportedFileError(here / d, f"{display_name(d)} is a hidden folder; skipped with "
                                                              "everything in it (ingest it by name to include it)"))
            elif (here / d).is_symlink():  # os.walk lists links to folders but does not enter them
                skip(here / d, UnsupportedFileError(here / d, f"{display_name(d)} is a link to a folder; links to "
                                                              "folders are not followed — ingest that folder by name"))
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (here / d).is_symlink()]
        for n in names:
            if not n.startswith("."):
                found.append(here / n)
            elif not n.endswith(SIDECAR_SUFFIX):
                skip(here / n, UnsupportedFileError(here / n, f"{display_name(n)} is a hidden file; skipped "
                                                              "(rename it without the leading dot to ingest it)"))
    return sorted(found, key=lambda f: f.parts)


def _open_inside(path: Path, root: Path) -> tuple[int, os.stat_result]:
    """Open path for reading and check the opened file: a regular file, inside root, the one path names now.

    The checks are made on the open descriptor, so a link swapped in between a check and the read
    cannot smuggle in a file from outside root. O_NONBLOCK keeps a FIFO swapped in from blocking.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise LoaderError(path, f"{display_name(path)} cannot be read ({e.strerror}); check its permissions") from e
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsupportedFileError(path, f"{display_name(path)} is not a regular file; point at a document file")
        if not is_inside(path, root):
            raise OutsideFolderError(path, outside_message(path, root))
        try:
            now = os.stat(os.path.realpath(path))
        except OSError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise OutsideFolderError(path, f"{display_name(path)} was replaced while it was being opened (a link "
                                           "swapped in?); check the folder and ingest it again")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def read_bytes(path: Path, max_bytes: int | None, root: Path | None = None) -> bytes:
    """The file's bytes, read from a descriptor checked to be a regular file inside root (default: its folder).

    Refused when it is not a regular file, outside root, over max_bytes, empty or only whitespace.
    """
    fd, st = _open_inside(path, root if root is not None else path.parent)
    with os.fdopen(fd, "rb") as f:
        if max_bytes is not None and st.st_size > max_bytes:
            raise FileTooLargeError(
                path, f"{display_name(path)} is {_size(st.st_size)} ({st.st_size:,} bytes), over the limit of "
                      f"{_size(max_bytes)} ({max_bytes:,} bytes); split it or raise SHIFTBRIEF_MAX_FILE_MB")
        try:
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
