"""Metadata from Japanese disclosure covers: 有価証券報告書, 四半期報告書, 半期報告書 and 決算短信.

A securities report's cover is a list of bracketed fields (【会社名】, 【英訳名】, 【事業年度】
第85期（自 2022年4月1日 至 2023年3月31日）, 【四半期会計期間】 ...); a 決算短信 opens with
its period in the title ("2024年3月期 第1四半期決算短信〔日本基準〕（連結）") and gives
上場会社名 and コード番号. Fiscal years are labelled by the year they end in, as for US filers
(a year ending 31 March 2023 is '2023'), and period_end keeps the exact date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from rag.ingestion.fiscal import (
    add_months,
    find_dates,
    fiscal_year_label,
    period_label,
    quarter_year_end,
)
from rag.ingestion.meta_value import MetaValue

_FORMS = (("有価証券報告書", "10k"), ("四半期報告書", "10q"), ("半期報告書", "10q"))
_FIELD = re.compile(r"【\s*([^】]{1,20}?)\s*】\s*([^【\n]*)")
_TANSHIN = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*期\s*(?:第\s*(?P<q>[1-4１-４])\s*四半期|"
                      r"(?P<h>中間期?))?\s*(?:連結)?\s*決算短信")
_LEGAL_FORM = re.compile(r"^(?:株式会社|\(株\))\s*|\s*(?:株式会社|\(株\))$")
_QUARTER_JA = re.compile(r"第\s*(\d)\s*四半期")


def read_ja_cover(pages: list[str]) -> dict[str, MetaValue]:
    """Company, form, doc type, fiscal period, securities code and English name; {} when no cover is found."""
    head = unicodedata.normalize("NFKC", "\n".join(pages[:3]))[:6000]
    fields = {k.replace(" ", ""): v.strip() for k, v in _FIELD.findall(head)}
    if fields.get("提出書類") or fields.get("会社名"):
        return _securities_report(fields)
    if m := _TANSHIN.search(head[:1500]):
        return _tanshin(head, m)
    return {}


def _securities_report(fields: dict[str, str]) -> dict[str, MetaValue]:
    where = "cover page 【表紙】"
    form = next((f for f, _ in _FORMS if f in fields.get("提出書類", "")), "")
    out: dict[str, MetaValue] = {}
    if form:
        out["form"] = MetaValue(form, f"{where} 【提出書類】")
        out["doc_type"] = MetaValue(dict(_FORMS)[form], f"{where} 【提出書類】")
    company = fields.get("会社名", "")
    english = fields.get("英訳名", "")
    if company:
        out["company"] = MetaValue(company, f"{where} 【会社名】")
    if filed := find_dates(fields.get("提出日", "")):
        out["date"] = MetaValue(filed[0].isoformat(), f"{where} 【提出日】")
    label = next((k for k in fields if k.endswith("会計期間")), "") if form != "有価証券報告書" else ""
    label = label or "事業年度"
    span = find_dates(fields.get(label, ""))
    if span:
        end = span[-1]
        quarter = _QUARTER_JA.search(fields.get(label, ""))
        q = int(quarter.group(1)) if quarter else None
        half = 1 if form == "半期報告書" else None
        # A quarter or half is labelled by the fiscal year it belongs to, which ends later.
        year_end = quarter_year_end(end, q) if q else add_months(end, 6) if half else end
        year = fiscal_year_label(year_end)[0]
        src = f"{where} 【{label}】"
        out["period_end"] = MetaValue(end.isoformat(), src)
        out["period"] = MetaValue(period_label(year, q, half), src)
        out["fiscal_year"] = MetaValue(str(year), src)
        out["fiscal_period"] = MetaValue(f"Q{q}" if q else "H1" if half else "FY", src)
    aliases = tuple(dict.fromkeys(a for a in (company, _without_legal_form(company), english) if a))
    if english:
        out["english_name"] = MetaValue(english, f"{where} 【英訳名】")
    if aliases:
        out["aliases"] = MetaValue(aliases, where)
    return out


def _tanshin(head: str, m: re.Match[str]) -> dict[str, MetaValue]:
    where = "title of the 決算短信"
    year, month = int(m.group("y")), int(m.group("m"))
    q = int(unicodedata.normalize("NFKC", m.group("q"))) if m.group("q") else None
    half = 1 if m.group("h") else None
    label = period_label(fiscal_year_label(_month_end(year, month))[0], q, half)
    out: dict[str, MetaValue] = {
        "form": MetaValue("決算短信", where), "doc_type": MetaValue("earnings", where),
        "period": MetaValue(label, where), "fiscal_year": MetaValue(label[:4], where),
        "fiscal_period": MetaValue(f"Q{q}" if q else "H1" if half else "FY", where),
    }
    if name := re.search(r"上場会社名\s*[:：]?\s*(\S+)", head):
        company = name.group(1)
        out["company"] = MetaValue(company, "決算短信 上場会社名")
        out["aliases"] = MetaValue(tuple(dict.fromkeys((company, _without_legal_form(company)))), "決算短信 上場会社名")
    if code := re.search(r"コード\s*番号\s*[:：]?\s*([0-9A-Z]{4})(?![0-9A-Z])", head):
        out["tickers"] = MetaValue((code.group(1),), "決算短信 コード番号")
    if dates := find_dates(head[:m.end() + 300]):
        out["date"] = MetaValue(dates[0].isoformat(), where)
    return out


def _without_legal_form(name: str) -> str:
    """トヨタ自動車株式会社 -> トヨタ自動車: questions name the company without its legal form."""
    return _LEGAL_FORM.sub("", name)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
