"""Document names: a file's stem, kept distinct when two files share one."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def _resolved(path: str | Path) -> str:
    return os.path.realpath(path)


class DocNames:
    """Names documents for one ingest, from the catalog's (doc_name, source) rows.

    A document is named by its file's stem (`report.md` -> `report`), as the evaluation sets
    expect. Two different files with the same stem are both kept: the one that had the name
    first keeps it; the other becomes `report-<6 hex of a hash of its resolved path>`. A path
    that is already in the catalog always gets its catalog name back, so re-ingesting either
    file, in any order, updates the same document (a changed file replaces its own chunks).
    A name whose file no longer exists is free: a moved or renamed folder keeps its names.
    """

    def __init__(self, catalog: Iterable[Mapping[str, Any]]) -> None:
        self._by_path: dict[str, str] = {}
        self._owner: dict[str, str] = {}
        for row in catalog:
            self._claim(row["doc_name"], _resolved(row["source"]))

    def _claim(self, name: str, key: str) -> None:
        self._by_path.setdefault(key, name)
        self._owner[name] = key

    def _free(self, name: str, key: str) -> bool:
        owner = self._owner.get(name)
        return owner is None or owner == key or not os.path.exists(owner)

    def name_for(self, path: Path) -> str:
        """The document name for a file, claimed for it for the rest of this ingest."""
        key = _resolved(path)
        name = self._by_path.get(key)
        if name is None:
            digest = hashlib.sha256(os.fsencode(key)).hexdigest()
            candidates = [path.stem, *(f"{path.stem}-{digest[:n]}" for n in (6, 12, 64))]
            name = next((c for c in candidates if self._free(c, key)), candidates[-1])
        self._by_path[key] = name
        self._owner[name] = key
        return name
