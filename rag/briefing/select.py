"""Which documents a briefing reads: the indexed documents about a company and period, matched loosely."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.errors import DocumentNotFoundError
from rag.ingestion.pipeline import list_documents
from rag.query.companies import find_companies
from rag.store.stores import Stores
from rag.text.normalize import squash


def _matches_company(wanted: str, keys: list[str], doc: dict[str, Any]) -> bool:
    if doc.get("company_key") and doc["company_key"] in keys:
        return True
    sq = squash(wanted)
    if sq == squash(str(doc.get("company_key", ""))):
        return True
    # "Riot" finds "Riot Platforms"; too short a fragment would find everything.
    return len(sq) >= 3 and any(sq in squash(c) for c in str(doc.get("company", "")).split(","))


def _matches_period(wanted: str, period: str) -> bool:
    # "2025" takes 2025Q1..Q4; "2025Q4" also takes the full-year 2025 documents that contain the quarter.
    wanted, period = wanted.strip().upper(), str(period or "").strip().upper()
    return bool(period) and (period.startswith(wanted) or (len(period) == 4 and wanted.startswith(period)))


def names_company(text: str, company: str, keys: Sequence[str]) -> bool:
    """True when the text names the company: its words ("Riot") or any alias of its keys ("ライオット")."""
    sq = squash(company)
    return (len(sq) >= 3 and sq in squash(text)) or bool(set(find_companies(text)) & set(keys))


def company_keys(company: str, selected: Sequence[dict[str, Any]]) -> list[str]:
    """The company's keys: those its name gives, and those of the selected documents about it alone."""
    own = [d["company_key"] for d in selected if d.get("company_key") and "," not in str(d.get("company", ""))]
    return list(dict.fromkeys([*find_companies(company or ""), *own]))


def display_name(company: str, selected: Sequence[dict[str, Any]]) -> str:
    """The company's name as most of its documents write it ("Riot" -> "Riot Platforms")."""
    # A document about several firms names them all ("Core Scientific, IREN, …, CleanSpark"): take its part
    # that is the company asked for.
    names = [next((part for part in parts if squash(company) in squash(part)), "") if len(parts) > 1 else parts[0]
             for d in selected if d.get("company")
             for parts in [[p.strip() for p in str(d["company"]).split(",") if p.strip()]]]
    names = [n for n in names if n]
    return max(dict.fromkeys(names), key=names.count) if names else company


def _named(catalog: list[dict[str, Any]], docs: Sequence[str]) -> list[dict[str, Any]]:
    names = {d["doc_name"] for d in catalog}
    unknown = [n for n in docs if n not in names]
    if unknown:
        close = [n for n in names if any(u.lower() in n.lower() or n.lower() in u.lower() for u in unknown)]
        hint = f"; did you mean {', '.join(sorted(close)[:5])}?" if close else "; `shiftbrief docs` lists them"
        raise DocumentNotFoundError(f"No document named {', '.join(map(repr, unknown))} is indexed{hint}")
    return [d for d in catalog if d["doc_name"] in set(docs)]


def _about(pool: list[dict[str, Any]], catalog: list[dict[str, Any]], company: str) -> list[dict[str, Any]]:
    keys = find_companies(company)
    chosen = [d for d in pool if _matches_company(company, keys, d)]
    if not chosen:
        known = sorted({c.strip() for d in catalog for c in str(d.get("company") or "").split(",") if c.strip()})
        raise DocumentNotFoundError(
            f"No indexed document is about {company!r}. Companies in the index: {', '.join(known) or 'none'}; "
            "check the spelling, or run `shiftbrief docs`")
    return chosen


def _in_period(pool: list[dict[str, Any]], company: str, period: str) -> list[dict[str, Any]]:
    dated = [d for d in pool if _matches_period(period, str(d.get("period", "")))]
    if not dated:
        periods = sorted({str(d.get("period")) for d in pool if d.get("period")})
        raise DocumentNotFoundError(
            f"No document about {company or 'the selection'!r} covers period {period!r}; its documents cover "
            f"{', '.join(periods) or 'no stated period'}. Leave the period out to use them all")
    return dated


def select_documents(stores: Stores, company: str, period: str | None = None,
                     docs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The indexed documents about a company (and period, and among `docs` when given), oldest period first.

    Raises:
        DocumentNotFoundError: nothing matches; the message lists what is indexed.
    """
    catalog = [d for d in list_documents(stores) if d.get("status", "complete") == "complete"]
    if not catalog:
        raise DocumentNotFoundError("No documents are indexed yet; run `shiftbrief ingest corpus/` first")
    pool = _named(catalog, docs) if docs else catalog
    company = (company or "").strip()
    if company:
        pool = _about(pool, catalog, company)
    if period:
        pool = _in_period(pool, company, period)
    return sorted(pool, key=lambda d: (str(d.get("period", "")), d["doc_name"]))
