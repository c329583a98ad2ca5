"""Query analysis: which company, period, document type and section a question is about.

Pure functions of the question (and of an alias table built from indexed metadata); the
only I/O is reading the curated tables in rag/data once. Works on English and Japanese
questions: Japanese company names, periods (2019年度, 2023年第2四半期) and financial terms
(売上高, 設備投資 ...) are recognised, and the keyword side gets English expansions so that a
Japanese question can match an English filing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise

from rapidfuzz.distance import Levenshtein

from rag.text.normalize import normalize, squash
from rag.text.lang import QUESTION_SHARE, detect_lang
from rag.ingestion.sections import INTENTS

DOC_TYPES = ("10k", "10q", "8k", "earnings", "news", "note")

_B0 = r"(?<![A-Za-z0-9])"  # ASCII word boundaries: \b treats kana and kanji as word characters
_B1 = r"(?![A-Za-z0-9])"
_JA_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30fa\u30fc][\u30a1-\u30fa\u30fc・･]*")
_JA_SEPARATORS = "・･ 　=＝"
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[&'.\-][A-Za-z0-9]+)*")
_KEYWORD_EN = re.compile(r"\$?\d[\d,]*(?:\.\d+)?%?|[A-Za-z][A-Za-z0-9]*(?:[&'\-./][A-Za-z0-9]+)*")
_KEYWORD_JA = re.compile(r"[\u3400-\u9fff々〆ヵヶ\u30a1-\u30fa\u30fc]{2,}")
_LEGAL_SUFFIXES = frozenset(["inc", "incorporated", "corp", "corporation", "company", "co", "plc", "ltd", "limited", "llc", "the"])
_CONNECTORS = frozenset({"and", "the", "&"})
_NOT_A_QUANTITY = (
    r"(?!\s*(?:tonnes|tons|shares|units|users|barrels|people|customers|subscribers|members|employees|square|sq|"
    r"ounces|oz|pounds|lbs|gallons|miles|km|hours|btc|bitcoin|mw|gw|doses|vehicles|homes|accounts|downloads|"
    r"visits|orders|dollars|usd|euros|in\s+(?:revenue|sales|cash)|of\s+(?:revenue|sales|cash|debt))\b)"
)


@dataclass
class QueryAnalysis:
    """What a question asks about, as retrieval needs it."""

    text: str
    lang: str = "en"
    companies: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    latest: bool = False
    doc_types: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    expansions: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)


@dataclass
class CompanyAliases:
    """One company of the curated list."""

    key: str
    name: str = ""
    tickers: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    case_sensitive: list[str] = field(default_factory=list)
    ja: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Data files


def _read_json(name: str) -> dict:
    return json.loads(resources.files("rag").joinpath("data", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_companies() -> tuple[CompanyAliases, ...]:
    """The curated company list (rag/data/companies.json)."""
    data = _read_json("companies.json")
    return tuple(CompanyAliases(**{k: v for k, v in c.items() if not k.startswith("_")}) for c in data["companies"])


@lru_cache(maxsize=1)
def _ambiguous_tickers() -> frozenset[str]:
    return frozenset(_read_json("companies.json").get("ambiguous_tickers", []))


@lru_cache(maxsize=1)
def _synonyms() -> dict:
    return _read_json("synonyms.json")


# ---------------------------------------------------------------------------------------
# Normalisation helpers


def _squash_ja(text: str) -> str:
    return "".join(ch for ch in normalize(text).lower() if ch not in _JA_SEPARATORS)


def _en_norm(text: str) -> str:
    """Lower case, hyphens and slashes as spaces, apostrophes dropped; same length as the input."""
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        if low in "-–—/":
            low = " "
        elif low == "'":
            low = "\x00"
        out.append(low)
    return "".join(out)


def _phrase_pattern(term: str) -> str:
    """Regex for a normalised English term, tolerant of apostrophes, plurals and spacing."""
    words = _en_norm(term).replace("\x00", "").split()
    if len(words) > 1 and words[-1].endswith("s") and not words[-1].endswith("ss") and len(words[-1]) > 3:
        words[-1] = words[-1][:-1]  # "fixed assets" also matches "fixed asset"
    body = r"[\s\x00]+".join("\x00?".join(re.escape(c) for c in w) for w in words)
    return _B0 + body + r"(?:s|es)?" + _B1


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _overlaps(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in spans)


# ---------------------------------------------------------------------------------------
# Companies


def _alias_variants(alias: str) -> set[str]:
    """Squashed forms of an alias: as written, and without connectors or legal suffixes."""
    tokens = [t.lower() for t in _TOKEN.findall(normalize(alias))]
    out = {squash("".join(tokens))}
    core = [t for t in tokens if t not in _CONNECTORS]
    out.add(squash("".join(core)))
    while len(core) > 1 and core[-1] in _LEGAL_SUFFIXES:
        core = core[:-1]
        out.add(squash("".join(core)))
    return {v for v in out if v}


class _CompanyMatcher:
    """Finds companies in a question: exact names, squashed spellings, tickers, Japanese names, fuzzy."""

    def __init__(self, entries: Sequence[CompanyAliases], ambiguous: frozenset[str]):
        self.squashed: dict[str, set[str]] = {}
        self.case_sensitive: list[tuple[re.Pattern[str], str]] = []
        self.tickers: list[tuple[re.Pattern[str], str, bool]] = []
        self.japanese: list[tuple[re.Pattern[str], str]] = []
        self.fuzzy: dict[str, set[str]] = {}
        self.fuzzy_ja: dict[str, set[str]] = {}
        for e in entries:
            protected = {squash(a) for a in e.case_sensitive}
            for alias in e.aliases:
                full = squash(alias)
                for v in _alias_variants(alias):
                    # A stripped variant must not turn a name into a common word ("Block Inc" -> "block").
                    if v != full and (len(v) < 5 or v in protected):
                        continue
                    self.squashed.setdefault(v, set()).add(e.key)
                    if len(v) >= 6:
                        self.fuzzy.setdefault(v, set()).add(e.key)
            for alias in e.case_sensitive:
                pat = r"(?<![A-Za-z0-9$.,])" + re.escape(normalize(alias)) + r"(?![A-Za-z0-9])"
                if alias[:1].isdigit():
                    pat += _NOT_A_QUANTITY  # "3M tonnes" is three million tonnes
                self.case_sensitive.append((re.compile(pat), e.key))
            for t in e.tickers:
                self.tickers.append((re.compile(r"(?<![A-Za-z0-9&.])(\$)?" + re.escape(t) + r"(?![A-Za-z0-9&])"),
                                     e.key, t in ambiguous or len(t) <= 2))
            for alias in e.ja:
                sq = _squash_ja(alias)
                if not sq:
                    continue
                sep = "[" + re.escape(_JA_SEPARATORS) + "]?"
                pat = sep.join(re.escape(c) for c in sq)
                kata_edges = bool(_KATAKANA.match(sq[0])), bool(_KATAKANA.match(sq[-1]))
                ascii_edges = sq[0].isascii() and sq[0].isalnum(), sq[-1].isascii() and sq[-1].isalnum()
                left = r"(?<![\u30a1-\u30fa\u30fc])" if kata_edges[0] else (_B0 if ascii_edges[0] else "")
                right = r"(?![\u30a1-\u30fa\u30fc])" if kata_edges[1] else (_B1 if ascii_edges[1] else "")
                self.japanese.append((re.compile(left + pat + right, re.IGNORECASE), e.key))
                if len(sq) >= 4 and all(_KATAKANA.match(c) for c in sq):
                    self.fuzzy_ja.setdefault(sq, set()).add(e.key)
        self.japanese.sort(key=lambda x: -len(x[0].pattern))

    def find(self, text: str) -> tuple[list[str], list[tuple[int, int]]]:
        """Company keys found in text (best first) and the character spans they cover."""
        hits: list[tuple[float, int, str, tuple[int, int]]] = []
        taken: list[tuple[int, int]] = []

        def add(score: float, span: tuple[int, int], key: str) -> None:
            hits.append((score, span[0], key, span))
            taken.append(span)

        letters = [c for c in text if c.isascii() and c.isalpha()]
        shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.6 * len(letters)

        for rx, key in self.japanese:
            for m in rx.finditer(text):
                if not _overlaps(m.span(), taken):
                    add(1.0, m.span(), key)
        for rx, key in self.case_sensitive:
            for m in rx.finditer(text):
                if not _overlaps(m.span(), taken):
                    add(1.0, m.span(), key)

        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        i = 0
        while i < len(tokens):
            matched = False
            for n in range(min(5, len(tokens) - i), 0, -1):
                window = tokens[i : i + n]
                span = (window[0][1], window[-1][2])
                if _overlaps(span, taken) or not _contiguous(text, window):
                    continue
                words = [w.lower() for w, _, _ in window]
                if words[0] in _CONNECTORS or words[-1] in _CONNECTORS:
                    continue
                if n == 1 and text[max(span[0] - 1, 0) : span[0]] == "$":
                    continue
                keys = None
                for form in _window_forms(words):
                    keys = self.squashed.get(form)
                    if keys:
                        break
                if keys and (n > 1 or len(squash(words[0])) >= 2):
                    for key in sorted(keys):
                        add(0.95, span, key)
                    i += n
                    matched = True
                    break
            if not matched:
                i += 1

        for rx, key, ambiguous in self.tickers:
            for m in rx.finditer(text):
                if _overlaps(m.span(), taken):
                    continue
                dollar = bool(m.group(1))
                context = dollar or _ticker_context(text, m.start(), m.end())
                if (ambiguous or shouting) and not context:
                    continue
                add(0.9, m.span(), key)

        self._fuzzy_en(text, tokens, taken, add)
        self._fuzzy_ja(text, taken, add)

        # Exact matches (names, tickers) rank before fuzzy ones; within a tier, by position.
        best: dict[str, tuple[int, int]] = {}
        for score, pos, key, _ in hits:
            rank = (0 if score >= 0.9 else 1, pos)
            if key not in best or rank < best[key]:
                best[key] = rank
        return sorted(best, key=lambda k: best[k]), taken

    def _fuzzy_en(self, text: str, tokens, taken, add) -> None:
        if not self.fuzzy:
            return
        choices = list(self.fuzzy)
        for i in range(len(tokens)):
            for n in (3, 2, 1):
                window = tokens[i : i + n]
                if len(window) < n or not _contiguous(text, window):
                    continue
                span = (window[0][1], window[-1][2])
                if _overlaps(span, taken):
                    continue
                words = [w for w, _, _ in window]
                if words[0].lower() in _CONNECTORS or words[-1].lower() in _CONNECTORS:
                    continue
                if any(w.lower() in _stopwords_en() for w in words if w.lower() not in _CONNECTORS):
                    continue
                sq = squash("".join(w for w in words if w.lower() not in _CONNECTORS))
                if len(sq) < 6 or sq.isdigit():
                    continue
                capital = any(w[0].isupper() for w in words)
                if not (capital and (i > 0 or len(sq) >= 8)) and len(sq) < 10:
                    continue
                limit = 1 if len(sq) <= 8 else 2 if len(sq) <= 14 else 3
                found = _closest(sq, choices, limit)
                if found:
                    keys = self.fuzzy[found]
                    if len(keys) == 1:
                        add(0.8, span, next(iter(keys)))
                        break

    def _fuzzy_ja(self, text: str, taken, add) -> None:
        if not self.fuzzy_ja:
            return
        choices = list(self.fuzzy_ja)
        for m in _KATAKANA_RUN.finditer(text):
            if _overlaps(m.span(), taken):
                continue
            sq = _squash_ja(m.group(0))
            if len(sq) < 4:
                continue
            found = _closest(sq, choices, 1 if len(sq) <= 7 else 2)
            if found and len(self.fuzzy_ja[found]) == 1:
                add(0.8, m.span(), next(iter(self.fuzzy_ja[found])))


def _closest(sq: str, choices: list[str], limit: int) -> str | None:
    """The single choice within `limit` edits of sq (same first letter), or None if none or a tie."""
    best: list[tuple[int, str]] = []
    for c in choices:
        if c[0] != sq[0] or abs(len(c) - len(sq)) > limit:
            continue
        d = Levenshtein.distance(sq, c, score_cutoff=limit)
        if d <= limit:
            best.append((d, c))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[1][0] == best[0][0]:
        return None
    return best[0][1]


def _window_forms(words: list[str]) -> list[str]:
    """Squashed spellings of a token window: as written, without connectors, without a final "'s"."""
    core = [w for w in words if w not in _CONNECTORS]
    forms = [squash("".join(words)), squash("".join(core))]
    if core and core[-1].endswith("'s"):
        forms.append(squash("".join(core[:-1]) + core[-1][:-2]))
    return forms


def _contiguous(text: str, window) -> bool:
    """Tokens separated only by spaces or '&' (not by sentence punctuation)."""
    for (_, _, end), (_, start, _) in pairwise(window):
        gap = text[end:start]
        if gap.strip(" &+-_") or len(gap) > 3:
            return False
    return True


def _ticker_context(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 16) : start].lower()
    after = text[end : end + 3]
    return (before.rstrip().endswith(("(", "nyse:", "nasdaq:", "ticker", "symbol", "nyse", "nasdaq"))
            or after.startswith(("'s", ")")))


@lru_cache(maxsize=1)
def _curated_matcher() -> _CompanyMatcher:
    return _CompanyMatcher(load_companies(), _ambiguous_tickers())


@lru_cache(maxsize=32)
def _merged_matcher(known: tuple[tuple[str, tuple[str, ...]], ...]) -> _CompanyMatcher:
    entries = {c.key: CompanyAliases(c.key, c.name, list(c.tickers), list(c.aliases), list(c.case_sensitive), list(c.ja))
               for c in load_companies()}
    for key, aliases in known:
        entry = entries.setdefault(key, CompanyAliases(key, key))
        for alias in aliases:
            if _JA_CHAR.search(alias):
                entry.ja.append(alias)
            elif squash(alias) and squash(alias) not in {squash(a) for a in entry.case_sensitive}:
                entry.aliases.append(alias)
    return _CompanyMatcher(list(entries.values()), _ambiguous_tickers())


def find_companies(text: str, known_companies: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Canonical company keys named in text, best first; empty when nothing is a confident match."""
    return _matcher(known_companies).find(normalize(text))[0]


def _matcher(known_companies: Mapping[str, Sequence[str]] | None) -> _CompanyMatcher:
    if not known_companies:
        return _curated_matcher()
    frozen = tuple(sorted((k, tuple(sorted(set(v)))) for k, v in known_companies.items()))
    return _merged_matcher(frozen)


def doc_name_prefix(doc_name: str) -> str:
    """The company part of a file stem: 'JOHNSON_JOHNSON_2022Q4_EARNINGS' -> 'JOHNSON_JOHNSON'."""
    parts = re.split(r"[_\s]+", doc_name.strip())
    out: list[str] = []
    for p in parts:
        if re.fullmatch(r"(?:(?:19|20)\d{2}(?:Q[1-4]|H[12])?|10-?K|10-?Q|8-?K|EARNINGS|annualreport)\b.*", p, flags=re.IGNORECASE):
            break
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9&.\-]*|\d[A-Za-z]+", p):
            break  # ids and hashes ("000_0132e4f6...") are not company names
        out.append(p)
    return "_".join(out)


def company_key(metadata: Mapping[str, object]) -> str:
    """Canonical company key of one document, from its company and doc_name metadata.

    Resolves to a curated key when the company or the file-name prefix names a known
    company ("Johnson & Johnson", "JOHNSON_JOHNSON", "Pfizer"); otherwise the upper-cased
    squashed company name or file-name prefix; "" when there is neither.
    """
    company = str(metadata.get("company") or "").strip()
    prefix = doc_name_prefix(str(metadata.get("doc_name") or ""))
    curated = {c.key for c in load_companies()}
    if prefix.upper() in curated:
        return prefix.upper()
    for candidate in (company, prefix.replace("_", " ")):
        if not candidate:
            continue
        keys = _curated_matcher().find(normalize(candidate))[0]
        if len(keys) == 1:
            return keys[0]
        sq = squash(candidate)
        keys = list(_curated_matcher().squashed.get(sq, ()))
        if not keys and len(sq) >= 6:
            close = _closest(sq, list(_curated_matcher().fuzzy), 2)
            keys = sorted(_curated_matcher().fuzzy.get(close, ())) if close else []
        if len(keys) == 1:
            return keys[0]
    if company:
        core = min(_alias_variants(company), key=len, default="")
        if prefix and squash(prefix) in (core, squash(company)):
            return prefix.upper()
        return (core or squash(company)).upper()
    return prefix.upper()


def build_alias_table(doc_metadatas: Iterable[Mapping[str, object]]) -> dict[str, list[str]]:
    """Map company key -> alias strings, from the indexed documents' company, doc_name and aliases fields.

    Pass the result to analyze_query as known_companies; keys agree with company_key().
    """
    table: dict[str, set[str]] = {}
    for meta in doc_metadatas:
        key = company_key(meta)
        if not key:
            continue
        aliases = table.setdefault(key, set())
        company = str(meta.get("company") or "").strip()
        prefix = doc_name_prefix(str(meta.get("doc_name") or ""))
        for alias in (company, prefix, prefix.replace("_", " "), *content_aliases(meta)):
            if alias and len(squash(alias)) >= 2:
                aliases.add(alias)
    return {k: sorted(v) for k, v in sorted(table.items())}


def content_aliases(meta: Mapping[str, object]) -> list[str]:
    """The names and tickers a single-company document gives itself (its 'aliases' metadata, '; '-separated).

    Tickers join only when they can't be a word: two letters or fewer, or an ambiguous ticker
    ('ALL', 'ON'), would route every question that uses the word.
    """
    if "," in str(meta.get("company_key") or ""):
        return []  # a document about several companies: whose alias would it be?
    found = [a.strip() for a in str(meta.get("aliases") or "").split(";")]
    return [a for a in found if a and not (a.isupper() and a.isalpha() and (len(a) <= 2 or a in _ambiguous_tickers()))]


# ---------------------------------------------------------------------------------------
# Periods, latest, document types

_Y4 = r"(?:19[5-9]\d|20[0-9]\d)"
_YY = r"(?:" + _Y4 + r"|'?\d{2})"
_FISCAL = r"(?:fiscal\s+(?:year\s+)?|FY\s*'?|F\.Y\.\s*)"
_QWORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
           "final": 4, "last": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_QW = r"(?P<qw>first|second|third|fourth|1st|2nd|3rd|4th|final|last)"
_HALVES = {"上半期": 1, "上期": 1, "下半期": 2, "下期": 2, "first": 1, "second": 2}

# (kind, pattern) in priority order; an earlier match claims its characters.
_PERIOD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p, re.IGNORECASE)) for k, p in [
    ("range", r"(?:between|from)\s+" + _FISCAL + r"?(?P<a>" + _Y4 + r")\s+(?:and|to|through|thru|until|-)\s+"
              + _FISCAL + r"?(?P<b>" + _Y4 + r"|'?\d{2})" + _B1),
    ("range", r"(?P<a>" + _Y4 + r")\s*年?度?\s*(?:から|～|〜|~)\s*(?P<b>" + _Y4 + r")\s*年\s*度?"),
    ("range", _B0 + _FISCAL + r"?(?P<a>" + _Y4 + r")\s*[-–—~〜～]\s*" + _FISCAL + r"?(?P<b>" + _Y4 + r"|\d{2})" + _B1),
    ("quarter", r"(?P<y>" + _Y4 + r")\s*年\s*度?\s*(?:の)?\s*第\s*(?P<q>[1-4一二三四])\s*四半期"),
    ("quarter", r"第\s*(?P<q>[1-4一二三四])\s*四半期\s*[（(]?\s*(?P<y>" + _Y4 + r")\s*年?\s*度?"),
    ("quarter", r"(?P<y>" + _Y4 + r")\s*年\s*度?\s*(?:の)?\s*Q(?P<q>[1-4])" + _B1),
    ("half", r"(?P<y>" + _Y4 + r")\s*年\s*度?\s*(?:の)?\s*(?P<h>上半期|上期|下半期|下期)"),
    ("quarter", _B0 + r"Q(?P<q>[1-4])\s*(?:of\s+)?" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("quarter", _B0 + r"(?P<y>" + _Y4 + r")\s*[-/]?\s*Q(?P<q>[1-4])" + _B1),
    ("quarter", _B0 + r"(?P<q>[1-4])Q\s*" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("quarter", _B0 + _QW + r"\s+(?:fiscal\s+)?quarter\s+(?:of\s+|in\s+|for\s+)?(?:the\s+)?(?:fiscal\s+year\s+|"
                + _FISCAL + r")?(?P<y>" + _YY + r")" + _B1),
    ("quarter", _B0 + _FISCAL + r"?(?P<y>" + _Y4 + r")\s+" + _QW + r"[\s-]+quarter"),
    ("half", _B0 + r"(?P<h>H[12]|[12]H)\s*" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("half", _B0 + r"(?P<hw>first|second)\s+half\s+(?:of\s+)?(?:the\s+)?" + _FISCAL + r"?(?P<y>" + _YY + r")" + _B1),
    ("era", r"(?P<era>令和|平成)\s*(?P<n>元|\d{1,2})\s*年\s*度?"),
    ("year", _B0 + r"(?:fiscal\s+year|fiscal|financial\s+year|FY|F\.Y\.)\s*'?(?P<y>" + _Y4 + r"|\d{2})" + _B1),
    ("year", r"(?P<y>" + _Y4 + r")\s*年\s*(?:度|\d{1,2}\s*月\s*期)?"),
    ("year", r"(?<![\d$.,])(?P<y>" + _Y4 + r")(?![\d%]|[.,]\d|\s*(?:%|percent))"),
]]

_LATEST = re.compile(
    r"most\s+recent(?:ly)?|latest|newest|last\s+reported|(?:last|past|current|most\s+recent)\s+(?:fiscal\s+)?"
    r"(?:year|quarter)|year\s+to\s+date|最新|直近|最近|足元|今期",
    re.IGNORECASE,
)

_DOC_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(k, re.compile(p, re.IGNORECASE)) for k, p in [
    ("10k", r"(?<![A-Za-z0-9$])(?:form\s+)?10\s?-?\s?K(?:405|/A)?" + _B1),
    ("10k", r"annual\s+(?:report|filing)s?|年次報告書?|有価証券報告書|アニュアル・?レポート|年報"),
    ("10q", r"(?<![A-Za-z0-9$])(?:form\s+)?10\s?-?\s?Q(?:/A)?" + _B1),
    ("10q", r"quarterly\s+(?:report|filing)s?|四半期報告書"),
    ("8k", r"(?<![A-Za-z0-9$])(?:form\s+)?8\s?-?\s?K(?:/A)?" + _B1),
    ("8k", r"current\s+report|press\s+release|臨時報告書|プレスリリース"),
    ("earnings", (r"earnings\s+(?:release|call|report|announcement|presentation|press\s+release|transcript|"
                  r"slides?|deck)s?|conference\s+call|決算発表|決算説明会?|決算短信|決算資料|決算報告")),
    ("news", _B0 + r"(?:news|articles?|press\s+coverage|media\s+reports?)" + _B1 + r"|ニュース|記事|報道"),
    ("note", _B0 + r"(?:research\s+note|analyst\s+note|briefing\s+note|memo|fact\s+sheet)s?" + _B1
             + r"|メモ|ファクトシート"),
]]


def _year(text: str) -> str:
    text = text.lstrip("'")
    if len(text) == 2:
        n = int(text)
        return str(2000 + n if n < 70 else 1900 + n)
    return text


def find_periods(text: str) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """Normalised periods ('2019', '2023Q2', '2023H1'), the years involved, and the spans used."""
    text = normalize(text)
    found: list[tuple[int, str, list[str]]] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PERIOD_PATTERNS:
        for m in rx.finditer(text):
            if _overlaps(m.span(), taken):
                continue
            g = m.groupdict()
            if kind == "range":
                a, b = int(_year(g["a"])), _year(g["b"])
                b = int(str(a)[:2] + b) if len(b) == 2 else int(b)
                if not 0 < b - a <= 10:
                    continue
                periods = [str(y) for y in range(a, b + 1)]
                years = periods
            elif kind == "quarter":
                q = g["q"] if g.get("q") else None
                q = _QWORDS.get(q, q) if q else _QWORDS[g["qw"].lower()]
                y = _year(g["y"])
                periods, years = [f"{y}Q{q}"], [y]
            elif kind == "half":
                h = g.get("h")
                if h in _HALVES:
                    half = _HALVES[h]
                elif h:
                    half = int(h[1]) if h[0] in "Hh" else int(h[0])
                else:
                    half = _HALVES[g["hw"].lower()]
                y = _year(g["y"])
                periods, years = [f"{y}H{half}"], [y]
            elif kind == "era":
                n = 1 if g["n"] == "元" else int(g["n"])
                y = str((2018 if g["era"] == "令和" else 1988) + n)
                periods, years = [y], [y]
            else:
                y = _year(g["y"])
                periods, years = [y], [y]
            taken.append(m.span())
            found.append((m.start(), periods, years))
    found.sort(key=lambda f: f[0])
    periods = list(dict.fromkeys(p for _, ps, _ in found for p in ps))
    years = list(dict.fromkeys(y for _, _, ys in found for y in ys))
    return periods, years, taken


def find_doc_types(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Document types a question names ('10k', '10q', '8k', 'earnings', 'news', 'note')."""
    text = normalize(text)
    hits: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    # Longer phrases first so "earnings press release" is an earnings release, not an 8-K.
    for kind, rx in sorted(_DOC_TYPE_PATTERNS, key=lambda kr: kr[0] != "earnings"):
        for m in rx.finditer(text):
            if _overlaps(m.span(), spans):
                continue
            hits.append((m.start(), kind))
            spans.append(m.span())
    hits.sort()
    return list(dict.fromkeys(k for _, k in hits)), spans


# ---------------------------------------------------------------------------------------
# Financial vocabulary: synonyms and section intents


class _Vocabulary:
    """Compiled triggers of synonyms.json: English (longest first) and Japanese (substring)."""

    def __init__(self, data: dict):
        self.groups = {g["id"]: g for g in data["groups"]}
        en: dict[str, set[str]] = {}
        cs: dict[str, set[str]] = {}
        ja: dict[str, set[str]] = {}
        for gid, g in self.groups.items():
            for term in g.get("en", []) + g.get("en_trigger", []):
                # Short all-capital abbreviations (AR, AP, AI, MW) are ordinary words in lower case.
                target = cs if len(term) <= 2 and term.isupper() else en
                target.setdefault(term, set()).add(gid)
            for term in g.get("ja", []):
                ja.setdefault(term, set()).add(gid)
        for intent, cues in data["intent_cues"].items():
            if intent not in INTENTS:
                raise ValueError(f"synonyms.json names unknown intent {intent!r}; add it to rag.ingestion.sections.INTENTS")
            for term in cues.get("en", []):
                (cs if len(term) <= 2 and term.isupper() else en).setdefault(term, set()).add("intent:" + intent)
            for term in cues.get("ja", []):
                ja.setdefault(term, set()).add("intent:" + intent)
        for g in self.groups.values():
            unknown = set(g.get("intents", [])) - set(INTENTS)
            if unknown:
                raise ValueError(f"synonyms.json group {g['id']!r} names unknown intents {sorted(unknown)}")
        self.en_terms = en
        # One alternation, longest term first; the number of the group that matched names the term.
        self.en_ordered = sorted(en, key=lambda t: -len(t))
        self.en_rx = re.compile("|".join(f"({_phrase_pattern(t)})" for t in self.en_ordered))
        self.cs_rx = [(re.compile(_B0 + re.escape(t) + _B1), t, gids) for t, gids in cs.items()]
        self.ja_terms = sorted(((_squash_ja(t), t, gids) for t, gids in ja.items()), key=lambda x: -len(x[0]))
        self.stop_en = frozenset(data.get("stopwords_en", []))
        self.stop_ja = frozenset(data.get("stopwords_ja", []))

    def match_en(self, text: str) -> list[tuple[int, int, str, set[str]]]:
        """(start, end, term, group ids) for English terms in text, longest match first."""
        norm = _en_norm(text)
        out = []
        for m in self.en_rx.finditer(norm):
            term = self.en_ordered[m.lastindex - 1]
            out.append((m.start(), m.end(), term, self.en_terms[term]))
        for rx, term, gids in self.cs_rx:
            for m in rx.finditer(text):
                if not _overlaps(m.span(), [(a, b) for a, b, _, _ in out]):
                    out.append((m.start(), m.end(), term, gids))
        return sorted(out)

    def match_ja(self, text: str, lang: str) -> list[tuple[int, str, set[str]]]:
        """(position, term, group ids) for Japanese terms, longest first, without overlaps."""
        sq = _squash_ja(text)
        used = [False] * len(sq)
        out = []
        for key, term, gids in self.ja_terms:
            if key.isascii() and lang != "ja":
                continue
            start = sq.find(key)
            while start >= 0:
                end = start + len(key)
                ascii_ok = not key.isascii() or (
                    (start == 0 or not sq[start - 1].isascii() or not sq[start - 1].isalnum())
                    and (end == len(sq) or not sq[end].isascii() or not sq[end].isalnum()))
                if ascii_ok and not any(used[start:end]):
                    for i in range(start, end):
                        used[i] = True
                    out.append((start, term, gids))
                start = sq.find(key, end)
        return sorted(out, key=lambda x: x[0])


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    return _Vocabulary(_synonyms())


def _stopwords_en() -> frozenset[str]:
    return _vocabulary().stop_en


# ---------------------------------------------------------------------------------------
# The analysis


def analyze_query(question: str, known_companies: Mapping[str, Sequence[str]] | None = None) -> QueryAnalysis:
    """Analyse a question (English or Japanese) for retrieval routing and keyword search.

    Args:
        question: the user's question.
        known_companies: company key -> aliases of the indexed documents (see
            build_alias_table); merged with the curated list in rag/data/companies.json.

    Returns:
        A QueryAnalysis. Fields that cannot be read confidently stay empty, so callers can
        fall back to an unfiltered search.

    Example:
        >>> a = analyze_query("What was 3M's capex in FY2018?")
        >>> a.companies, a.periods, "cash_flow" in a.intents
        (['3M'], ['2018'], True)
    """
    text = normalize(question or "")
    lang = detect_lang(text, QUESTION_SHARE)
    companies, company_spans = _matcher(known_companies).find(text)
    periods, years, period_spans = find_periods(text)
    doc_types, doc_spans = find_doc_types(text)
    latest_spans = [m.span() for m in _LATEST.finditer(text) if not _overlaps(m.span(), period_spans)]

    masked = _mask(text, company_spans + period_spans + doc_spans + latest_spans)
    vocab = _vocabulary()
    en_hits = vocab.match_en(masked)
    ja_hits = vocab.match_ja(masked, lang)

    intents: list[str] = []
    groups: list[str] = []
    phrases: list[str] = []
    for hit in sorted([(a, t, g) for a, _, t, g in en_hits] + [(p, t, g) for p, t, g in ja_hits], key=lambda h: h[0]):
        _, term, gids = hit
        for gid in sorted(gids):
            if gid.startswith("intent:"):
                intents.append(gid[7:])
            else:
                groups.append(gid)
                intents.extend(vocab.groups[gid].get("intents", []))
        if term.isascii() and " " in term.strip():
            phrases.append(term.lower() if not term.isupper() else term)
    intents = list(dict.fromkeys(intents))
    groups = list(dict.fromkeys(groups))

    present = {_en_norm(t).replace("\x00", "") for _, _, t, _ in en_hits}
    expansions: list[str] = []
    for gid in groups:
        g = vocab.groups[gid]
        for term in g.get("en", []) + g.get("en_expand", []):
            if _en_norm(term).replace("\x00", "") not in present:
                expansions.append(term)
    expansions = list(dict.fromkeys(expansions))

    return QueryAnalysis(
        text=question,
        lang=lang,
        companies=companies,
        periods=periods,
        latest=bool(latest_spans),
        doc_types=doc_types,
        intents=intents,
        keywords=_keywords(masked, ja_hits, vocab),
        expansions=expansions,
        years=years,
        phrases=list(dict.fromkeys(phrases)),
    )


def _keywords(masked: str, ja_hits, vocab: _Vocabulary) -> list[str]:
    """Content words of the question, minus stop words and the company/period/type words."""
    out: list[str] = []
    for m in _KEYWORD_EN.finditer(masked):
        word = m.group(0)
        if word.lower().endswith("'s"):
            word = word[:-2]
        word = word.rstrip(".")
        low = word.lower()
        if not word or low in vocab.stop_en or (len(word) == 1 and not word.isdigit()):
            continue
        out.append(word if word.isupper() and len(word) > 1 else low)
    for _, term, _ in ja_hits:
        if not term.isascii():
            out.append(term)
    for m in _KEYWORD_JA.finditer(masked):
        word = m.group(0)
        if word not in vocab.stop_ja and not any(word in t for t in out if not t.isascii()):
            out.append(word)
    return list(dict.fromkeys(out))


def keyword_terms(analysis: QueryAnalysis) -> list[str]:
    """Deduplicated English terms and phrases for the keyword index: question words plus expansions."""
    terms = list(analysis.phrases)
    inside = {w for p in terms for w in re.findall(r"[a-z0-9&]+", p.lower())}
    for word in analysis.keywords:
        if word.isascii() and word.lower() not in inside:
            terms.append(word)
    terms.extend(analysis.expansions)
    seen: set[str] = set()
    out = []
    for t in terms:
        key = _en_norm(t).replace("\x00", "").strip()
        if key and key not in seen:
            seen.add(key)
            out.append(t)
    return out


def expand_query(analysis: QueryAnalysis) -> str:
    """An English keyword string for BM25: the question's English content words plus expansions."""
    return " ".join(keyword_terms(analysis))


def fts5_query(analysis: QueryAnalysis, max_terms: int = 40) -> str:
    """A safe SQLite FTS5 MATCH expression: the keyword terms as quoted phrases joined by OR.

    Quoting makes FTS5 tokenise each term as it tokenised the documents, so '1,818' and
    'property, plant and equipment' match as phrases. Returns "" when there is nothing to search.
    """
    terms = keyword_terms(analysis)[:max_terms]
    quoted = []
    for t in terms:
        t = t.replace('"', " ").strip()
        if re.search(r"[A-Za-z0-9\u3040-\u9fff]", t):
            quoted.append(f'"{t}"')
    return " OR ".join(quoted)
