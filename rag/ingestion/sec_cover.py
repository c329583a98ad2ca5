"""Metadata from the cover page of an SEC filing (10-K, 10-Q, 8-K, 20-F, S-1 ...), as extracted text.

The cover is a form, so its fields sit at fixed labels: the registrant's name just above
"(Exact name of registrant as specified in its charter)", the form after "FORM", the period
after "For the fiscal year ended" / "For the quarterly period ended", an 8-K's date after
"Date of Report", and the trading symbols in the table of securities registered under
Section 12(b). PDF text comes in every layout (one word a line, two columns interleaved,
small capitals split into "R ESORTS"), so the patterns work on whitespace-squashed text.
"""

from __future__ import annotations

import re
from datetime import date

from rag.ingestion.fiscal import (
    DATE_EN,
    QUARTER_WORDS,
    fiscal_mentions,
    fiscal_year_label,
    parse_date,
    period_label,
    quarter_ending,
    quarter_year_end,
)
from rag.ingestion.meta_value import MetaValue

COVER_PAGES = 12  # a glossy annual report wrapped around the 10-K pushes its cover back
_SEC = re.compile(r"SECURITIES\s+AND\s+EXCHANGE\s+COMMISSION[\s,]+washington", re.IGNORECASE)
_FORM = re.compile(r"(?<![A-Za-z])FORM\s+(10-K405|10-KT|10-K|10-QT|10-Q|8-K|20-F|40-F|6-K|11-K|S-1|S-3|S-4|F-1|"
                   r"DEF\s*14A)(\s*/\s*A)?(?![A-Za-z0-9])", re.IGNORECASE)
_FORM_BY_TITLE = (("10-K", r"ANNUAL\s+REPORT\s+PURSUANT\s+TO\s+SECTION"),
                  ("10-Q", r"QUARTERLY\s+REPORT\s+PURSUANT\s+TO\s+SECTION"),
                  ("8-K", r"CURRENT\s+REPORT\s+PURSUANT\s+TO\s+SECTION"))
DOC_TYPE_OF_FORM = {"10-K405": "10k", "10-KT": "10k", "10-K": "10k", "10-QT": "10q", "10-Q": "10q", "8-K": "8k"}
_EXACT_NAME = re.compile(r"\(?\s*exact\s+name\s+of\s+(?:the\s+)?registrant", re.IGNORECASE)
_NOT_NAME = re.compile(r"commission|file\s+n|number|report|pursuant|transition|period|ended|washington|"
                       r"(?<![A-Za-z])form\s|[():;]|\d{3}|date\s+of|^or$|^\W*$", re.IGNORECASE)
_FILE_NO = re.compile(r"commission\s+file\s+(?:number|no\.?)\s*:?\s*[0-9][0-9-]+\.?\s*$", re.IGNORECASE)
_SUBSIDIARIES = re.compile(r"^((?:THE\s+)?[A-Z0-9][A-Z0-9&.,' -]{1,80}?),?\s+AND\s+(?:ITS\s+)?SUBSIDIARIES\b")
_DEFINED_AS = re.compile(r"[\"“]([A-Z][\w&.,' -]{1,80}?),?[\"”]\s*,?\s*[\"“](?:the\s+)?(?:Company|Registrant)",
                         re.IGNORECASE)
_EXCHANGE = re.compile(r"\s(?:The\s+)?(?:New\s+York\s+Stock\s+Exchange|NYSE|Nasdaq|NASDAQ|Chicago\s+Stock|Cboe)")
_TICKER = re.compile(r"([A-Z]{1,5}(?:\.[A-Z])?)$")
_SHARE_CLASS = re.compile(r"common|ordinary|class\s+[ab]\b|shares", re.IGNORECASE)
_QUARTER_NAMED = re.compile(r"(?<![A-Za-z])(first|second|third|1st|2nd|3rd)\s+(?:fiscal\s+)?quarter\s+(?:of\s+)?"
                            r"(?:fiscal\s+(?:year\s+)?|FY\s*)((?:19|20)\d\d)(?!\d)", re.IGNORECASE)
_YEAR_TO_DATE = re.compile(r"(?<![A-Za-z])(three|six|nine|thirteen|twenty-six|thirty-nine|13|26|39)"
                           r"(?:\s+and\s+(six|nine|twenty-six|thirty-nine|26|39))?[\s-]+(?:months|weeks)\s+ended",
                           re.IGNORECASE)
_YEAR_ENDED = re.compile(r"fiscal\s+year\s+end(?:ed|ing|s)?\s+(?:on\s+)?(" + DATE_EN + ")", re.IGNORECASE)
_SPLIT_CAPS = re.compile(r"(?<![\w&.'-])([A-Z]) (?=[A-Z]{2,})")  # 'R ESORTS', not '3M COMPANY' or 'J. M SMUCKER'
_SPAN_QUARTERS = {"three": 1, "thirteen": 1, "13": 1, "six": 2, "twenty-six": 2, "26": 2,
                  "nine": 3, "thirty-nine": 3, "39": 3}


def squash_ws(text: str) -> str:
    """Text with every run of whitespace (newlines too) as one space."""
    return " ".join(text.split())


def find_cover(pages: list[str]) -> tuple[int, str] | None:
    """The index of the SEC cover page among the first pages and its form ('10-K', '8-K/A'), or None."""
    for i, page in enumerate(pages[:COVER_PAGES]):
        flat = squash_ws(page)
        sec = _SEC.search(flat[:800])  # the cover's heading, not a mention in a press release's small print
        if not sec:
            continue
        head = flat[sec.end():sec.end() + 1500]
        if m := _FORM.search(head):
            return i, m.group(1).upper().replace(" ", "") + ("/A" if m.group(2) else "")
        for form, title in _FORM_BY_TITLE:
            if re.search(title, head, re.IGNORECASE):
                return i, form
    return None


def doc_type_of_form(form: str) -> str:
    """'10-K/A' -> '10k', '20-F' -> '20f', 'DEF14A' -> 'def14a' (the file-name convention's types)."""
    base = form.split("/")[0]
    return DOC_TYPE_OF_FORM.get(base, base.replace("-", "").lower())


def read_sec_cover(pages: list[str]) -> dict[str, MetaValue]:
    """Company, form, doc type, fiscal period, dates, tickers and aliases from an SEC cover; {} when there is none."""
    found = find_cover(pages)
    if found is None:
        return {}
    i, form = found
    where = f"cover page p.{i + 1}"
    cover, flat = pages[i], squash_ws(pages[i])
    out: dict[str, MetaValue] = {"form": MetaValue(form, where), "doc_type": MetaValue(doc_type_of_form(form), where)}
    later = pages[i + 1:i + 12]
    company = registrant_name(cover, later)
    if company:
        out["company"] = MetaValue(company[0], company[1] if company[1] != "cover" else where)
    out.update(_cover_period(form, flat, pages[i:i + 12], where))
    tickers = trading_symbols(cover + "\n" + _until_items(pages[i + 1]) if len(pages) > i + 1 else cover)
    if tickers:
        out["tickers"] = MetaValue(tuple(tickers), where)
    former = _former_name(flat)
    aliases = tuple(dict.fromkeys(a for a in (company[0] if company else "", former, *tickers) if a))
    if aliases:
        out["aliases"] = MetaValue(aliases, where)
    if former:
        out["former_name"] = MetaValue(former, where)
    if form.startswith("8-K"):
        items = re.findall(r"(?<![A-Za-z])Item\s+(\d\.\d\d)", squash_ws(" ".join(pages[i:i + 4])))
        if items:
            out["sec_items"] = MetaValue(tuple(dict.fromkeys(items)), f"pages {i + 1}-{i + 4}")
    return out


def _cover_period(form: str, flat: str, pages: list[str], where: str) -> dict[str, MetaValue]:
    """period, fiscal_year, fiscal_period, period_end and date, by form."""
    out: dict[str, MetaValue] = {}
    if form.startswith(("8-K", "6-K")):
        m = re.search(r"Date\s+of\s+(?:Report|report)", flat, re.IGNORECASE)
        d = parse_date(flat[m.end():m.end() + 120]) if m else None
        if d:
            out["date"] = MetaValue(d.isoformat(), where + " (date of report)")
            out["period"] = MetaValue(str(d.year), where + " (year of the report)")
            out["fiscal_year"] = MetaValue(str(d.year), where + " (year of the report)")
        return out
    quarterly = form.startswith("10-Q")
    label = r"quarterly\s+period\s+ended" if quarterly else r"(?:fiscal\s+)?year\s+ended"
    m = re.search(label, flat, re.IGNORECASE)
    end = parse_date(flat[m.end():m.end() + 90]) if m else None
    if end is None:
        return out
    out["period_end"] = MetaValue(end.isoformat(), where)
    mentions = fiscal_mentions(pages)
    if quarterly:
        year, quarter, how = quarter_of(end, pages, mentions)
        out["fiscal_period"] = MetaValue(f"Q{quarter}", f"{where}; {how}")
        out["period"] = MetaValue(period_label(year, quarter), f"{where}; {how}")
    else:
        year, why = fiscal_year_label(end, mentions)
        src = f"{where}; {why}" if why else where
        out["fiscal_period"] = MetaValue("FY", where)
        out["period"] = MetaValue(period_label(year), src)
    out["fiscal_year"] = MetaValue(str(year), out["period"].source)
    return out


def quarter_of(end: date, pages: list[str], mentions: dict[int, int]) -> tuple[int, int, str]:
    """(fiscal year, quarter, how it was found) of a quarter ending on end.

    In order: 'second quarter of fiscal 2024' where it agrees with the date; the fiscal year
    end the text mentions ('our Form 10-K for the fiscal year ended June 30, 2022'); the
    longest year-to-date column ('six months ended' means a second quarter); else a calendar year.
    """
    named: dict[tuple[int, int], int] = {}
    for text in pages:
        for m in _QUARTER_NAMED.finditer(text):
            q, y = QUARTER_WORDS[m.group(1).lower()], int(m.group(2))
            if fiscal_year_label(quarter_year_end(end, q), mentions)[0] == y:
                named[(y, q)] = named.get((y, q), 0) + 1
    if named:
        (y, q), _ = max(named.items(), key=lambda kv: kv[1])
        return y, q, f"'{_ordinal(q)} quarter of fiscal {y}' in the text"
    for text in pages:
        for m in _YEAR_ENDED.finditer(squash_ws(text)):
            year_end = parse_date(m.group(1))
            q_found = quarter_ending(end, year_end.month, year_end.day) if year_end else None
            if q_found:
                y, why = fiscal_year_label(quarter_year_end(end, q_found), mentions)
                return y, q_found, "the fiscal year end the text gives" + (f"; {why}" if why else "")
    spans = [_SPAN_QUARTERS[w.lower()] for text in pages for m in _YEAR_TO_DATE.finditer(text)
             for w in m.groups() if w]
    if spans:
        q = max(spans)
        y, why = fiscal_year_label(quarter_year_end(end, q), mentions)
        return y, q, "year-to-date columns of the statements" + (f"; {why}" if why else "")
    q = quarter_ending(end, 12, 31) or (end.month - 1) // 3 + 1
    return end.year, q, "assumed calendar fiscal year"


def _ordinal(q: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth"}[q]


def registrant_name(cover: str, later: list[str]) -> tuple[str, str] | None:
    """The registrant's name and its source ('cover', or the page it was read from), or None."""
    m = _EXACT_NAME.search(cover)
    name = _name_above([line.strip() for line in cover[:m.start()].split("\n")]) if m else ""
    if not name:
        name = _name_below_file_number([line.strip() for line in cover.split("\n")])
    if name:
        return _respace(name, later), "cover"
    for n, page in enumerate(later[:8]):
        for line in page.split("\n")[:60]:
            if sm := _SUBSIDIARIES.match(line.strip()):
                return _tidy(sm.group(1)), f"page heading '{line.strip()[:60]}'"
        if dm := _DEFINED_AS.search(squash_ws(page)):
            return _tidy(dm.group(1)), "the text's definition of 'the Company'"
    return None


def _name_above(lines: list[str]) -> str:
    """Name lines just above the '(Exact name' label, read upwards until a line that is not a name."""
    parts: list[str] = []
    for line in reversed(lines):
        segments = [s.strip() for s in re.split(r"_{3,}|-{4,}", line)]
        last = next((s for s in reversed(segments) if s), "")
        if not last:
            if parts:
                break
            continue
        if _NOT_NAME.search(last) or len(parts) >= 8:
            break
        parts.append(last)
        if len([s for s in segments if s]) > 1:  # a rule separated it from what came before
            break
    return _tidy(" ".join(reversed(parts)))


def _name_below_file_number(lines: list[str]) -> str:
    for a, b in zip(lines, lines[1:]):
        if _FILE_NO.search(a) and b and not _NOT_NAME.search(b) and len(b) <= 80:
            return _tidy(b)
    return ""


def _tidy(name: str) -> str:
    name = squash_ws(name.strip(" ,;:_-•☐☒þ¨ýo"))
    return re.sub(r"\s+([.,])", r"\1", name)


def _respace(name: str, later: list[str]) -> str:
    """Undo small capitals split by the PDF ('MGM R ESORTS I NTERNATIONAL') using how the body writes the name."""
    if not _SPLIT_CAPS.search(name):
        return name
    chars = re.sub(r"[^A-Za-z0-9&]", "", name)
    rx = re.compile(r"(?<![A-Za-z0-9])" + r"[\s,.]*".join(map(re.escape, chars)) + r"(?![A-Za-z0-9])", re.IGNORECASE)
    words = len(name.split())
    for page in later:
        for m in rx.finditer(page):
            found = _tidy(m.group())
            if len(found.split()) < words:
                return found
    return _SPLIT_CAPS.sub(r"\1", name)


def trading_symbols(cover: str) -> list[str]:
    """Ticker symbols of the share classes in the Section 12(b) table (notes and preferred series left out)."""
    tickers: list[str] = []
    for line in cover.split("\n"):
        if not _SHARE_CLASS.search(line) or re.search(r"notes|debentures|preferred|depositary|warrant", line, re.I):
            continue
        if m := _EXCHANGE.search(line):
            if t := _TICKER.search(line[:m.start()].rstrip(" |")):  # HTML table rows come as 'a | b | c'
                tickers.append(t.group(1))
    return list(dict.fromkeys(tickers))


def _until_items(page: str) -> str:
    """The start of the page after the cover, up to its first 'Item' (where the cover's tables may run on)."""
    m = re.search(r"^\s*(?:Item|ITEM)\s+\d", page, re.MULTILINE)
    return page[:m.start()] if m else page[:3000]


def _former_name(flat: str) -> str:
    """The former name an 8-K or 10-Q cover gives, when it gives one (not 'N/A' or an address)."""
    m = re.search(r"([^()]{2,120})\(\s*Former\s+name", flat, re.IGNORECASE)
    if not m:
        return ""
    text = _tidy(m.group(1).split(")")[-1])
    if not text or re.search(r"\d|^n\.?/?a\.?$|not\s+applicable|none", text, re.IGNORECASE) or len(text) > 80:
        return ""
    return text
