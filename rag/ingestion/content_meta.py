"""Company, period and document type read from a document's own text, whatever its file is called.

Readers, tried in order, each recording where every value came from:
  inline XBRL dei: tags (rag.ingestion.xbrl) — when the raw HTML is given;
  a Japanese cover (rag.ingestion.cover_ja) — 有価証券報告書, 四半期報告書, 決算短信;
  an SEC cover page (rag.ingestion.sec_cover) — 10-K, 10-Q, 8-K, 20-F, S-1 ...;
  an earnings release — headline ("PepsiCo Reports First-Quarter 2023 Results") and dateline
  ("PURCHASE, N.Y. - April 25, 2023 - PepsiCo, Inc. (NASDAQ: PEP) today reported ...");
  anything else (news, notes, glossy annual reports) — title, date, publisher and the companies
  the text is about.
merge_metadata (rag.ingestion.meta_value) puts what the user wrote first, then XBRL, then
this, then the file name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rag.ingestion.cover_ja import read_ja_cover
from rag.ingestion.fiscal import (
    QUARTER_WORDS,
    find_dates,
    fiscal_year_label,
    period_label,
)
from rag.ingestion.meta_value import (
    MetaValue,
    merge_metadata,
    plain_values,
    value_sources,
)
from rag.ingestion.sec_cover import read_sec_cover, squash_ws
from rag.ingestion.xbrl import read_xbrl_metadata
from rag.query.companies import find_companies, load_companies

__all__ = ["MetaValue", "merge_metadata", "plain_values", "value_sources", "read_content_metadata",
           "read_text_metadata", "read_xbrl_metadata", "companies_by_prominence"]

_BOILERPLATE = re.compile(r"^(?:for\s+immediate\s+release|exhibit\s+99(?:\.\d+)?|page\s+\d+(?:\s+of\s+\d+)?|"
                          r"(?:news|press|earnings)\s+release|media\s+(?:contact|relations).*|investor\s+"
                          r"(?:contact|relations).*|contacts?:?.*|\d+|news)$", re.IGNORECASE)
_VERB = r"(?:reports|announces|posts|delivers|releases|reported|announced)"
_HEADLINE = re.compile(r"^(?P<who>[A-Z0-9][\w&.,'’ -]{1,70}?)\s+(?i:" + _VERB + r")\s+(?P<what>.{0,160}?"
                       r"(?i:results|earnings))")
_LISTING = re.compile(r"\((?P<ex>NYSE(?:\s+American)?|NASDAQ|Nasdaq|ASX|TSX|LSE|TSE)\s*:\s*(?P<ticker>[A-Z][A-Z.]{0,5})"
                      r"[^)]{0,40}\)")
_RESULTS_SAID = re.compile(r"\b(?:today\s+)?(?:announced|reported)\s+(?P<what>[^.]{0,200}?results[^.]{0,160})",
                           re.IGNORECASE)
_NAME_WORD = re.compile(r"^(?:[A-Z0-9][\w&.'’,-]*|&|and|of|the|de|du|la)$")
_Y = r"((?:19|20)\d\d)"
_QW = r"(first|second|third|fourth|1st|2nd|3rd|4th)"
_RELEASE_PERIODS = [  # (kind, pattern): quarter patterns give (quarter word, year); fiscal gives (year)
    ("q", re.compile(_QW + r"[\s-]+quarter(?:\s+(?:and|&)\s+(?:full|fiscal)[\s-]+year)?(?:\s+of)?\s+"
                     r"(?:fiscal\s+(?:year\s+)?|FY\s*)?" + _Y + r"(?!\d)", re.IGNORECASE)),
    ("yq", re.compile(r"(?<!\d)" + _Y + r"\s+" + _QW + r"[\s-]+quarter", re.IGNORECASE)),
    ("Q", re.compile(r"(?<![A-Za-z])Q([1-4])\s*(?:FY\s*)?'?" + _Y + r"(?!\d)")),
    ("fy", re.compile(r"(?:fiscal|full[\s-]+year)\s+(?:year\s+)?" + _Y + r"\s+(?:financial\s+)?(?:results|earnings)",
                      re.IGNORECASE)),
]
_ANNUAL_REPORT = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*(?:Annual|Integrated)\s+Report(?!\s+on\s+Form)|"
                            r"(?:Annual|Integrated)\s+Report\s+((?:19|20)\d\d)(?!\d)|"
                            r"(?:統合報告書|アニュアルレポート)\s*((?:19|20)\d\d)", re.IGNORECASE)
_PUBLISHER = re.compile(r"\((Reuters|Bloomberg|AP|AFP|Dow Jones|Kyodo|Nikkei)\)|^(?:source|publisher)\s*:\s*(.+)$|"
                        r"(?:PR\s?Newswire|BUSINESS\s+WIRE|GLOBE\s+NEWSWIRE|ACCESSWIRE)", re.IGNORECASE | re.MULTILINE)


def read_content_metadata(pages: Sequence[str], html: str | None = None,
                          known_companies: Mapping[str, Sequence[str]] | None = None) -> dict[str, MetaValue]:
    """Metadata read from the document itself: XBRL tags first (HTML only), then its text.

    Args:
        pages: the text of each page, in order (the first few are enough).
        html: the raw HTML of an .htm/.html file, for its inline XBRL tags.
        known_companies: the alias table (company key -> names) for news and notes.

    Returns:
        Field -> MetaValue(value, source). Fields: company, doc_type, form, period ('2019',
        '2023Q2'), fiscal_year, fiscal_period ('FY', 'Q2'), period_end, date, tickers,
        aliases (names and tickers the document gives itself), former_name, companies
        (keys of the companies it is about), title, publisher.

    Example:
        >>> meta = read_content_metadata(["FORM 10-K ... NIKE, Inc. (Exact name of registrant ..."])  # doctest: +SKIP
        >>> meta["company"].value, meta["company"].source
        ('NIKE, Inc.', 'cover page p.1')
    """
    xbrl = read_xbrl_metadata(html) if html else {}
    return merge_metadata(xbrl=xbrl, content=read_text_metadata(pages, known_companies))


def read_text_metadata(pages: Sequence[str], known_companies: Mapping[str, Sequence[str]] | None = None
                       ) -> dict[str, MetaValue]:
    """Metadata from the text alone: a Japanese or SEC cover, an earnings release, or an article."""
    pages = [p for p in pages if p is not None]
    if not any(p.strip() for p in pages):
        return {}
    for reader in (read_ja_cover, read_sec_cover, read_release):
        if meta := reader(pages):
            return _with_companies(meta, known_companies)
    return read_article(pages, known_companies)


def _with_companies(meta: dict[str, MetaValue], known: Mapping[str, Sequence[str]] | None) -> dict[str, MetaValue]:
    if "company" in meta and "companies" not in meta:
        keys = find_companies(meta["company"].text(), known)
        if keys:
            meta["companies"] = MetaValue(tuple(keys[:1]), meta["company"].source)
    return meta


def read_release(pages: Sequence[str]) -> dict[str, MetaValue]:
    """Company, period, date and ticker of an earnings release; {} when the first page is not one."""
    first = pages[0] if pages else ""
    lines = [ln.strip() for ln in first.split("\n")[:25] if ln.strip()]
    body = [ln for ln in lines if not _BOILERPLATE.match(ln) and not _only_date(ln)]
    flat = squash_ws(first[:4000])
    headline = _HEADLINE.match(" ".join(body[:3]))
    listing = _LISTING.search(flat)
    said = _RESULTS_SAID.search(flat[listing.end():listing.end() + 400]) if listing else None
    if not headline and not said:
        return {}
    out: dict[str, MetaValue] = {"doc_type": MetaValue("earnings", "headline" if headline else "dateline")}
    out.update(_release_company(flat, headline, listing))
    candidates = [(headline.group("what") if headline else "", "headline p.1"),
                  (said.group("what") if said else "", "dateline p.1"), (flat[:2500], "p.1")]
    for text, where in candidates:
        if text and (period := release_period(text)):
            out["period"] = MetaValue(period, where)
            out["fiscal_year"] = MetaValue(period[:4], where)
            out["fiscal_period"] = MetaValue(period[4:] or "FY", where)
            break
    if dates := find_dates(flat[:1500]):
        out["date"] = MetaValue(dates[0].isoformat(), "dateline p.1")
    if headline:
        out["title"] = MetaValue(squash_ws(headline.group()), "headline p.1")
    return out


def _release_company(flat: str, headline: re.Match[str] | None, listing: re.Match[str] | None
                     ) -> dict[str, MetaValue]:
    """The issuer of a release: the name before its '(NYSE: X)' listing, else the headline's subject."""
    out: dict[str, MetaValue] = {}
    name = _name_before(flat[:listing.start()]) if listing else ""
    if listing:
        ticker = listing.group("ticker")
        out["tickers"] = MetaValue((ticker,), "dateline p.1")
        out["aliases"] = MetaValue(tuple(dict.fromkeys(a for a in (name, ticker) if a)), "dateline p.1")
        if name:
            out["company"] = MetaValue(name, f"dateline p.1 ({listing.group('ex')}: {ticker})")
    if "company" not in out and headline:
        out["company"] = MetaValue(headline.group("who").strip(" ,"), "headline p.1")
    return out


def release_period(text: str) -> str:
    """The fiscal period a release reports on: 'Fourth Quarter Fiscal 2022' -> '2022Q4', 'fiscal 2023 results' -> '2023'."""
    found: list[tuple[int, str]] = []
    for kind, rx in _RELEASE_PERIODS:
        for m in rx.finditer(text):
            if kind == "q":
                found.append((m.start(), period_label(int(m.group(2)), QUARTER_WORDS[m.group(1).lower()])))
            elif kind == "yq":
                found.append((m.start(), period_label(int(m.group(1)), QUARTER_WORDS[m.group(2).lower()])))
            elif kind == "Q":
                found.append((m.start(), period_label(int(m.group(2)), int(m.group(1)))))
            else:
                found.append((m.start(), period_label(int(m.group(1)))))
    if found:
        return min(found)[1]
    # "results for the quarter and year ended December 31, 2022": a fourth quarter.
    ended = re.search(r"quarter\s+and\s+(?:full\s+|fiscal\s+)?year\s+ended\s+(.{0,40})", text, re.IGNORECASE)
    if ended and (dates := find_dates(ended.group(1))):
        return period_label(fiscal_year_label(dates[0])[0], 4)
    return ""


def _only_date(line: str) -> bool:
    dates = find_dates(line)
    return bool(dates) and len(line) <= 40


def _name_before(text: str) -> str:
    """The company name just before a '(NYSE: X)' listing: capitalised words, '&', 'Inc.' and the like."""
    words: list[str] = []
    for word in reversed(text.split()[-10:]):
        if not _NAME_WORD.match(word) or word.endswith((")", "--", "–")):
            break
        words.append(word)
    while words and not words[-1][:1].isupper() and not words[-1][:1].isdigit():
        words.pop()  # a name starts with a capital, not with 'and' or 'the'
    return " ".join(reversed(words)).strip(" ,") if words else ""


def read_article(pages: Sequence[str], known_companies: Mapping[str, Sequence[str]] | None = None
                 ) -> dict[str, MetaValue]:
    """Title, date, publisher and the companies a news article or note is about."""
    text = "\n".join(pages[:3])
    out: dict[str, MetaValue] = {}
    lines = [ln.strip(" #*") for ln in text.split("\n") if ln.strip(" #*")]
    if lines and len(lines[0]) <= 200:
        out["title"] = MetaValue(lines[0], "first line")
    if dates := find_dates(text[:600]):
        out["date"] = MetaValue(dates[0].isoformat(), "first lines")
    if pub := _PUBLISHER.search(text[:3000]):
        out["publisher"] = MetaValue(squash_ws(pub.group(1) or pub.group(2) or pub.group()), "byline")
        out["doc_type"] = MetaValue("news", "byline")
    if report := _ANNUAL_REPORT.search(squash_ws(text[:800])):
        year = report.group(1) or report.group(2) or report.group(3)
        out["doc_type"] = MetaValue("annualreport", f"title '{report.group().strip()}'")
        out["period"] = MetaValue(year, f"title '{report.group().strip()}'")
        out["fiscal_year"] = MetaValue(year, out["period"].source)
    keys = companies_by_prominence(text, known_companies, title=out["title"].text() if "title" in out else "")
    if keys:
        out["companies"] = MetaValue(tuple(keys), "alias table, by prominence")
        # Every company the text is about, as the company field lists several: 'Riot Platforms, MARA Holdings'.
        names = ", ".join(dict.fromkeys(_display_name(k, known_companies) for k in keys))
        out["company"] = MetaValue(names, "alias table, by prominence")
    return out


def companies_by_prominence(text: str, known_companies: Mapping[str, Sequence[str]] | None = None,
                            title: str = "", limit: int = 5) -> list[str]:
    """Company keys a text is about, most prominent first.

    Each paragraph that names a company counts once, the first paragraph twice and the title
    three times; companies under a third of the leader's score are passing mentions.
    """
    scores: dict[str, float] = {}
    paragraphs = [p for p in re.split(r"\n\s*\n|\n(?=[A-Z\u3000-\u9fff])", text) if p.strip()]
    weighted = [(title, 3.0)] + [(p, 2.0 if i == 0 else 1.0) for i, p in enumerate(paragraphs[:200])]
    for order, (part, weight) in enumerate(weighted):
        for rank, key in enumerate(find_companies(part, known_companies) if part else []):
            # Earlier in the text and earlier in a paragraph break ties.
            scores[key] = scores.get(key, 0.0) + weight - 0.001 * rank - 1e-6 * order
    if not scores:
        return []
    top = max(scores.values())
    ranked = sorted(scores, key=lambda k: -scores[k])
    return [k for k in ranked if scores[k] >= top / 3][:limit]


def _display_name(key: str, known: Mapping[str, Sequence[str]] | None) -> str:
    curated = {c.key: c.name for c in load_companies()}
    if key in curated:
        return curated[key]
    names = sorted((known or {}).get(key, []), key=len, reverse=True)
    return names[0] if names else key
