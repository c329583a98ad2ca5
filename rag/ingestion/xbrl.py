"""Metadata from the dei: cover tags of an inline XBRL filing (what EDGAR serves as the primary .htm).

The tags say outright what the cover page says in prose: dei:EntityRegistrantName,
dei:DocumentType, dei:DocumentPeriodEndDate, dei:DocumentFiscalYearFocus and
dei:DocumentFiscalPeriodFocus, dei:TradingSymbol. Several sit in <ix:hidden>, which the HTML
loader drops with the rest of the invisible markup, so they are read from the raw HTML.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import date

from rag.ingestion.fiscal import (
    fiscal_year_label,
    parse_date,
    period_label,
    quarter_ending,
    quarter_year_end,
)
from rag.ingestion.meta_value import MetaValue
from rag.ingestion.sec_cover import doc_type_of_form

_OPEN = re.compile(r"<ix:nonNumeric\b([^>]*)>", re.IGNORECASE)
_CLOSE = re.compile(r"</ix:nonNumeric\s*>", re.IGNORECASE)
_NAME = re.compile(r"""\bname\s*=\s*["']dei:(\w+)["']""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_TICKER = re.compile(r"[A-Z]{1,5}(?:\.[A-Z])?")  # share classes; notes ('GIS27', 'AUKF/27') are left out


def dei_facts(html: str) -> dict[str, list[str]]:
    """Every dei: fact of an inline XBRL document, by local name, values in document order."""
    facts: dict[str, list[str]] = {}
    for m in _OPEN.finditer(html):
        name = _NAME.search(m.group(1))
        if not name:
            continue
        close = _CLOSE.search(html, m.end())
        body = html[m.end():close.start() if close else m.end()]
        value = " ".join(html_lib.unescape(_TAG.sub(" ", body)).split())
        if value:
            facts.setdefault(name.group(1), []).append(value)
    return facts


def read_xbrl_metadata(html: str) -> dict[str, MetaValue]:
    """Company, form, doc type, fiscal period, tickers and aliases from dei: tags; {} when there are none."""
    facts = dei_facts(html)
    if not facts:
        return {}

    def first(name: str) -> str:
        return facts.get(name, [""])[0]

    def src(*names: str) -> str:
        return "+".join(f"xbrl:dei:{n}" for n in names)

    out: dict[str, MetaValue] = {}
    if company := first("EntityRegistrantName"):
        out["company"] = MetaValue(company, src("EntityRegistrantName"))
    form = first("DocumentType").upper().replace(" ", "")
    if form:
        out["form"] = MetaValue(form, src("DocumentType"))
        out["doc_type"] = MetaValue(doc_type_of_form(form), src("DocumentType"))
    end = parse_date(first("DocumentPeriodEndDate"))
    if end:
        out["period_end"] = MetaValue(end.isoformat(), src("DocumentPeriodEndDate"))
    out.update(_period(form, end, first("DocumentFiscalYearFocus"), first("DocumentFiscalPeriodFocus").upper(),
                       first("CurrentFiscalYearEndDate")))
    tickers = [t for t in dict.fromkeys(facts.get("TradingSymbol", [])) if _TICKER.fullmatch(t)]
    if tickers:
        out["tickers"] = MetaValue(tuple(tickers), src("TradingSymbol"))
    former = first("EntityInformationFormerLegalOrRegisteredName")
    if former and not re.fullmatch(r"n/?a|none|not applicable", former, re.IGNORECASE):
        out["former_name"] = MetaValue(former, src("EntityInformationFormerLegalOrRegisteredName"))
    else:
        former = ""
    aliases = tuple(dict.fromkeys(a for a in (company, former, *tickers) if a))
    if aliases:
        out["aliases"] = MetaValue(aliases, "xbrl:dei")
    if cik := first("EntityCentralIndexKey"):
        out["cik"] = MetaValue(cik, src("EntityCentralIndexKey"))
    return out


def _period(form: str, end: date | None, fy: str, fp: str, year_end: str) -> dict[str, MetaValue]:
    """period/fiscal_year/fiscal_period/date from the focus tags, or worked out from the period end date."""
    if form.startswith(("8-K", "6-K")):
        if end is None:
            return {}
        src = "xbrl:dei:DocumentPeriodEndDate"
        return {"date": MetaValue(end.isoformat(), src), "period": MetaValue(str(end.year), src),
                "fiscal_year": MetaValue(str(end.year), src)}
    if re.fullmatch(r"(?:19|20)\d\d", fy) and re.fullmatch(r"FY|Q[1-4]|H[12]", fp):
        src = "xbrl:dei:DocumentFiscalYearFocus+DocumentFiscalPeriodFocus"
        quarter = int(fp[1]) if fp.startswith("Q") else None
        half = int(fp[1]) if fp.startswith("H") else None
        return {"period": MetaValue(period_label(int(fy), quarter, half), src),
                "fiscal_year": MetaValue(fy, src), "fiscal_period": MetaValue(fp, src)}
    if end is None:
        return {}
    quarter = _quarter_from_year_end(end, year_end) if form.startswith("10-Q") else None
    fy_end = quarter_year_end(end, quarter) if quarter else end
    year = fiscal_year_label(fy_end)[0]
    src = "xbrl:dei:DocumentPeriodEndDate" + ("+CurrentFiscalYearEndDate" if quarter else "")
    return {"period": MetaValue(period_label(year, quarter), src), "fiscal_year": MetaValue(str(year), src),
            "fiscal_period": MetaValue(f"Q{quarter}" if quarter else "FY", src)}


def _quarter_from_year_end(end: date, year_end: str) -> int | None:
    """Which quarter ends on end, given the fiscal year end as XBRL writes it ('--06-30')."""
    m = re.fullmatch(r"--(\d\d)-(\d\d)", year_end.strip())
    return quarter_ending(end, int(m.group(1)), int(m.group(2))) if m else None
