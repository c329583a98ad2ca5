"""Files uploaded through the app: bounded, renamed safely, stored inside the data directory."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.errors import FileTooLargeError, UnsupportedFileError
from rag.ingestion.files import SUPPORTED_SUFFIXES

MAX_FILES_PER_UPLOAD = 50
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_filename(name: str, max_len: int = 120) -> str:
    """A file name that cannot leave its folder: no path parts, control characters or leading dots."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").split("/")[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()[:10]
    stem = stem[: max_len - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


@dataclass
class UploadResult:
    saved: list[Path]
    rejected: list[tuple[str, str]]


def upload_dir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"


def save_uploads(files: Sequence[tuple[str, bytes]], settings: Settings) -> UploadResult:
    """Save (name, bytes) pairs under the data directory's uploads/ folder; reject what can't be ingested.

    Raises nothing for a bad file: each is listed in `rejected` with the reason.
    """
    folder = upload_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    rejected: list[tuple[str, str]] = []
    limit = settings.max_file_mb * 1024 * 1024
    for i, (name, data) in enumerate(files):
        if i >= MAX_FILES_PER_UPLOAD:
            rejected.append((name, f"only {MAX_FILES_PER_UPLOAD} files per upload; add the rest in another upload"))
            continue
        clean = safe_filename(name)
        suffix = Path(clean).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            rejected.append((name, str(UnsupportedFileError(name, f"{clean}: {suffix or 'no extension'} files are "
                                                                  f"not supported; use PDF, HTML, TXT or Markdown"))))
            continue
        if len(data) > limit:
            rejected.append((name, str(FileTooLargeError(name, f"{clean} is {len(data) / 2**20:.1f} MB; the limit is "
                                                              f"{settings.max_file_mb} MB"))))
            continue
        target = (folder / clean).resolve()
        if folder.resolve() not in target.parents:
            rejected.append((name, f"{clean}: unsafe file name"))
            continue
        target.write_bytes(data)
        saved.append(target)
    return UploadResult(saved, rejected)


def remove_upload(source: str | Path, settings: Settings) -> bool:
    """Delete a document's file when it is one the app saved (inside uploads/); True when a file was removed.

    Files elsewhere (a folder the user ingested from the command line) are never touched.
    """
    folder = upload_dir(settings).resolve()
    try:
        target = Path(source).resolve()
    except (OSError, RuntimeError):
        return False
    if folder not in target.parents or not target.is_file():
        return False
    target.unlink(missing_ok=True)
    return True
