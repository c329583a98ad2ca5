"""A quote's line in the other language, built by rule from what can be read off it with confidence.

A driver, risk or what-to-watch quote with no counterpart in the other language and no labelled figure still gets a
sentence there: the kind of statement, the company (its Japanese name from the company list), the measures and
terms it names (the query vocabulary through rag.answers.lead.gist_terms, then the topic words below), named
programmes and proper names as written, and the years or months it states —
「リスク:英語の原文はボーイングのCommercial Airplanes、Global Services、航空会社、需要について述べている。」
It says what the quote is about, never what it claims: a negation or a condition in the quote cannot be misread
into the line. The quote itself is shown as 原文 under its source.
"""

from __future__ import annotations

import re

from rag.answers.lead import company_label, gist_terms
from rag.query.companies import find_companies
from rag.query.vocabulary import _vocabulary

# The kind of statement each section quotes: (Japanese, English).
_KIND = {"drivers": "要因", "risks": "リスク", "watch": "今後の注目点"}

# Business words a driver or risk names that the query vocabulary (rag/data/synonyms.json, made for query
# expansion: a word added there changes retrieval) does not list: (English pattern, Japanese, English).
_TOPICS: tuple[tuple[str, str, str], ...] = (
    (r"demand", "需要", "demand"), (r"supply[- ]chains?", "サプライチェーン", "supply chain"),
    (r"suppl(?:y|iers?)", "供給", "supply"), (r"delays?|delayed", "遅延", "delays"),
    (r"deliver(?:y|ies)", "納入", "deliveries"), (r"airlines?", "航空会社", "airlines"),
    (r"aircraft|airplanes?", "航空機", "aircraft"), (r"competit(?:ion|ive|ors?)", "競争", "competition"),
    (r"regulat(?:ion|ions|ory)", "規制", "regulation"), (r"government", "政府", "government"),
    (r"appropriations", "歳出予算", "appropriations"), (r"inflation(?:ary)?", "インフレ", "inflation"),
    (r"interest rates?", "金利", "interest rates"), (r"(?:foreign )?(?:currency|exchange rates?)", "為替", "currency"),
    (r"contributions?", "拠出", "contributions"), (r"pandemic|COVID-19", "感染症の流行", "pandemic"),
    (r"cyber\w*", "サイバーセキュリティ", "cybersecurity"), (r"inventor(?:y|ies)", "在庫", "inventory"),
    (r"pricing|prices?", "価格", "prices"), (r"schedules?", "スケジュール", "schedule"),
    (r"certification", "認証", "certification"), (r"quality", "品質", "quality"),
    (r"engineering", "エンジニアリング", "engineering"), (r"workforce|labor|labour", "労働力", "labour"),
    (r"energy|electricity|power", "電力", "power"), (r"tenants?", "テナント", "tenants"),
    (r"depend\w*|reliance|rel(?:y|ies) on", "依存", "dependence"), (r"concentrat\w*", "集中", "concentration"),
    (r"consumers?", "消費者", "consumers"), (r"wholesale", "卸売", "wholesale"),
    (r"digital", "デジタル", "digital"), (r"growth|grow", "成長", "growth"),
    (r"declin\w*|decreas\w*", "減少", "decline"), (r"increas\w*", "増加", "increase"),
    (r"shutdown", "閉鎖", "shutdown"),
)
# Vocabulary groups whose first term misnames a topic: "increase" is no rate (増加率), "sell products" no disposal
# (売却; kept when the quote says "sold" or "sale of"), and risk or driver words restate the section.
_MISLEADING = ("growth", "risk", "drivers")
_SALE = re.compile(r"\b(?:sold|sale of|sales of)\b|売却", re.IGNORECASE)
# How a filing names itself or its officers: capitalised, yet no name to show.
_TITLES = frozenset({"company", "companies", "registrant", "president", "management", "board", "directors"})
_TOPIC_EN = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), ja) for p, ja, _en in _TOPICS]
# A named programme or model ("787 program", "the Starliner programme"): kept as written, in Latin script.
_PROGRAMME = re.compile(r"\b([A-Z0-9][\w-]*\d[\w-]*|[A-Z][\w-]+)\s+program(?:me)?s?\b")
_FILER = re.compile(r"\b(?:we|our|us|the company)\b", re.IGNORECASE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
# A year the quote states in words that make it a calendar or fiscal year; "FY19" (whose year is it?) is left out.
_WHEN_EN = re.compile(r"\b(?:(fiscal (?:year )?)|(?:in|during|for|by|of|through|since|until|before|after|"
                      r"from|beginning|end of)\s+(?:(" + "|".join(_MONTHS) + r")\s+(?:\d{1,2},\s+)?)?)"
                      r"((?:19|20)\d\d)\b(?!\d|[,.]\d)", re.IGNORECASE)


def _periods(text: str) -> list[str]:
    """The years and months an English quote states, in Japanese; quarters are left out (a fiscal quarter's
    months depend on the filer)."""
    out = []
    for m in _WHEN_EN.finditer(text):
        year, month = m.group(3), (_MONTHS.index(m.group(2).capitalize()) + 1) if m.group(2) else 0
        out.append(f"{year}年度" if m.group(1) else f"{year}年{month}月" if month else f"{year}年")
    return list(dict.fromkeys(out))


def _as_written(term: str, text: str) -> str:
    """A Latin name as the quote writes it ("Global Service" -> "Global Services"): the whole last word."""
    if not re.fullmatch(r"[\x20-\x7e]+", term):
        return term
    m = re.search(re.escape(term) + r"[\w'’-]*", text)
    return m.group() if m else term


def _topics(text: str, names: list[str]) -> list[tuple[int, str]]:
    """(position, Japanese term) of the topic words and named programmes an English quote names; a word inside a
    listed name ("Airplanes" of "Commercial Airplanes") or an earlier topic ("supply" of "supply chain") is not
    named again."""
    taken = [m.span() for n in names if (m := re.search(re.escape(n), text))]
    found = []
    for m in _PROGRAMME.finditer(text):
        if m.group(1).lower() not in ("the", "this", "our", "a", "each"):
            found.append((m.start(), f"{m.group(1)}プログラム"))
            taken.append(m.span())
    for rx, ja in _TOPIC_EN:
        m = rx.search(text)
        if m and not any(a < m.end() and m.start() < b for a, b in taken):
            found.append((m.start(), ja))
            taken.append(m.span())
    return found


def _listed(text: str) -> list[str]:
    """gist_terms of a quote, less the misleading vocabulary terms and the names that are titles or terms."""
    vocab = _vocabulary()
    drop = {t for g in (*_MISLEADING, *(() if _SALE.search(text) else ("sell",)))
            for t in (vocab.groups[g].get("ja") or [])[:1] if g in vocab.groups}
    out = []
    for t in gist_terms(text, "ja", limit=8):
        t = _as_written(t, text)
        single = re.fullmatch(r"[A-Za-z][\w-]*", t)
        if t in drop or single and (t.lower() in _TITLES or vocab.match_en(t)):
            continue  # "Inventories" is named as 棚卸資産 already
        out.append(t)
    return out


def quote_line(text: str, section: str, lang: str, source_lang: str, keys: tuple[str, ...] = ()) -> str:
    """A line in `lang` naming what a quote in `source_lang` is about; "" when nothing can be read off it.

    `keys` are the briefed company's keys: the company is named when the quote names it or speaks as the filer.
    """
    if section not in _KIND or lang != "ja" or source_lang != "en":
        return ""  # a Japanese quote's English line would rest on Japanese word matches not yet safe to name
    named = find_companies(text)
    about = next((k for k in keys if k in named), None) or (
        keys[0] if keys and _FILER.search(text) else None)
    who = company_label(about, "", lang) if about else ""
    kind = _KIND[section]
    skip = {who, kind, f"{kind}要因", "リスク要因", "risk factors"}
    listed = _listed(text)
    topics = [t for _, t in sorted(_topics(text, listed))]
    terms = [t for t in dict.fromkeys(listed + topics) if t and t not in skip][:6]
    if not terms:
        return ""
    when = _periods(text)[:2]
    subject = f"{who}の" if who else ""
    period = f"({'、'.join(when)})" if when else ""
    return f"{kind}:英語の原文は{subject}{'、'.join(terms)}について述べている{period}。"
