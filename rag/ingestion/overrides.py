"""Corrections made with `shiftbrief tag`: a document's company, period or type set by hand.

A correction outranks every other source (sidecar, front matter, XBRL, content, file name),
is kept in the document's catalog row (`overrides`), and is applied again whenever the file
is re-ingested. What the document itself says is kept beside it (`meta_read`), so a
correction can be taken back without reading the file again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rag.errors import ShiftbriefError
from rag.ingestion.meta_value import MetaValue, merge_layers
from rag.ingestion.metadata import normal_doc_type, one_company

TAGGABLE = ("company", "period", "doc_type")
TAG_SOURCE = "tag"
_PERIOD_RE = re.compile(r"(?:FY\s*)?((?:19|20)\d\d)(?:\s*(Q[1-4]|H[12]))?")


def normalize_override(field: str, value: str) -> str:
    """A corrected value as the index stores it ('' takes the correction back); raises when it cannot be one."""
    value = " ".join(str(value).split())
    if not value:
        return ""
    if field == "company":
        return one_company(value)[:200]
    if field == "period":
        m = _PERIOD_RE.fullmatch(value.upper())
        if not m:
            raise ShiftbriefError(f"{value!r} is not a period; write a fiscal year (2019) or a quarter (2023Q2)")
        return m.group(1) + (m.group(2) or "")
    if field == "doc_type":
        doc_type = normal_doc_type(value)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,29}", doc_type):
            raise ShiftbriefError(f"{value!r} is not a document type; use one like 10k, 10q, 8k, earnings, news, note")
        return doc_type
    raise ShiftbriefError(f"{field!r} cannot be tagged; tag one of {', '.join(TAGGABLE)}")


def stored_overrides(row: Mapping[str, Any]) -> dict[str, str]:
    """The corrections kept in a catalog row (or Document.extra); {} when there are none."""
    return {k: v for k, v in _json(row.get("overrides")).items() if k in TAGGABLE and isinstance(v, str) and v}


def stored_sources(row: Mapping[str, Any]) -> dict[str, str]:
    """Where each metadata value of a catalog row came from ('cover page p.1', 'file name', 'tag', ...)."""
    return {k: v for k, v in _json(row.get("meta_sources")).items() if isinstance(v, str)}


def stored_read(row: Mapping[str, Any]) -> dict[str, MetaValue]:
    """What the document itself says for the taggable fields, as kept beside its corrections."""
    out: dict[str, MetaValue] = {}
    for field, pair in _json(row.get("meta_read")).items():
        if field in TAGGABLE and isinstance(pair, list) and len(pair) == 2:
            out[field] = MetaValue(str(pair[0]), str(pair[1]))
    return out


def apply_overrides(read: Mapping[str, MetaValue], overrides: Mapping[str, str]) -> dict[str, MetaValue]:
    """The metadata with the corrections on top (source 'tag')."""
    return merge_layers(({k: v for k, v in overrides.items() if k in TAGGABLE and v}, TAG_SOURCE), (read, ""))


def override_record(read: Mapping[str, MetaValue], overrides: Mapping[str, str]) -> dict[str, str]:
    """The catalog entries that keep corrections across re-ingests: {} when there are none."""
    kept = {k: v for k, v in overrides.items() if k in TAGGABLE and v}
    if not kept:
        return {}
    own = {f: [read[f].text(), read[f].source] for f in TAGGABLE if f in read}
    return {"overrides": json.dumps(kept, ensure_ascii=False), "meta_read": json.dumps(own, ensure_ascii=False)}


def _json(raw: object) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
