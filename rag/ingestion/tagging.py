"""`shiftbrief tag`: correct a document's company, period or type in place, without re-embedding it."""

from __future__ import annotations

import json
from typing import Any

from rag.errors import ShiftbriefError
from rag.ingestion.meta_value import MetaValue
from rag.ingestion.metadata import one_company
from rag.ingestion.overrides import (
    TAGGABLE,
    apply_overrides,
    normalize_override,
    override_record,
    stored_overrides,
    stored_read,
    stored_sources,
)
from rag.ingestion.pipeline import claimed_document, company_keys
from rag.store.stores import Stores


def tag_document(stores: Stores, doc_name: str, company: str | None = None, period: str | None = None,
                 doc_type: str | None = None, lock_wait: float = 0) -> dict[str, Any]:
    """Correct what a document is: its company, period or type, whatever it or its file name says.

    The correction is kept in the catalog and applied again on every re-ingest of the file. Only
    metadata changes — the catalog row, its chunks' metadata in the keyword index and in Chroma;
    nothing is re-embedded (the chunks' vectors keep the header they were embedded with until
    the file is next re-processed).

    Args:
        stores: from `open_stores(settings)`.
        doc_name: the document's name, as `shiftbrief docs` lists it.
        company, period, doc_type: the corrected values; None leaves a field alone, "" takes its
            correction back (the document's own value returns). Periods are '2019' or '2023Q2';
            '10-K' is stored as '10k'.
        lock_wait: seconds to wait for an ingest running on the same data directory.

    Returns:
        The document's catalog row after the change (`meta_sources` says 'tag' for corrected fields).

    Raises:
        DocumentNotFoundError: no document has that name.
        ShiftbriefError: nothing to change, or a value that cannot be a period or a type.
        IngestLockedError: another ingest holds the data directory.

    Example:
        >>> tag_document(stores, "filing-3f2a9c", company="Nike", period="2019")["company_key"]  # doctest: +SKIP
        'NIKE'
    """
    given = {f: v for f, v in zip(TAGGABLE, (company, period, doc_type)) if v is not None}
    if not given:
        raise ShiftbriefError("Nothing to change; give a company, a period or a document type")
    wanted = {f: normalize_override(f, v) for f, v in given.items()}
    with stores.writing(lock_wait) as claims:
        row = claimed_document(stores, claims, doc_name, lock_wait)
        before = stored_overrides(row)
        overrides = {f: v for f, v in {**before, **wanted}.items() if v}
        read = stored_read(row) if before else _row_values(row)
        final = apply_overrides(read, overrides)
        fields = {f: final[f].text() if f in final else "" for f in TAGGABLE}
        fields["company"] = one_company(fields["company"])
        fields["company_key"] = company_keys({**row, **fields})
        sources = {k: v for k, v in stored_sources(row).items() if k not in TAGGABLE}
        sources.update({f: final[f].source for f in TAGGABLE if f in final})
        record = override_record(read, overrides) or {"overrides": "", "meta_read": ""}
        stores.vectors.update_metadata(doc_name, fields)
        stores.keywords.update_metadata(doc_name, {**fields, **record,
                                                   "meta_sources": json.dumps(sources, ensure_ascii=False)}, fields)
    return stores.keywords.get_document(doc_name) or row


def _row_values(row: dict[str, Any]) -> dict[str, MetaValue]:
    """The taggable values of a catalog row that has no corrections yet, with their sources."""
    sources = stored_sources(row)
    return {f: MetaValue(str(row[f]), sources.get(f, "")) for f in TAGGABLE if row.get(f)}
