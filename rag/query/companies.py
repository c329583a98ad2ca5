"""Which companies a text names: the curated list, aliases from indexed metadata, tickers, Japanese names, typos.

Pure functions of the text (and of an alias table built from indexed metadata); the only I/O is reading
rag/data/companies.json once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise

from rapidfuzz.distance import Levenshtein

from rag.query.matching import JA_SEPARATORS, WORD_END, WORD_START, Span, fold_ja, overlaps, read_data
from rag.query.vocabulary import stopwords_en
from rag.text.lang import JA_CHARS
from rag.text.normalize import normalize, squash

_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30fa\u30fc][\u30a1-\u30fa\u30fc・･]*")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[&'.\-][A-Za-z0-9]+)*")
_LEGAL_SUFFIXES = frozenset("inc incorporated corp corporation company co plc ltd limited llc the".split())
_CONNECTORS = frozenset({"and", "the", "&"})
_NOT_A_QUANTITY = (
    r"(?!\s*(?:tonnes|tons|shares|units|users|barrels|people|customers|subscribers|members|employees|square|sq|"
    r"ounces|oz|pounds|lbs|gallons|miles|km|hours|btc|bitcoin|mw|gw|doses|vehicles|homes|accounts|downloads|"
    r"visits|orders|dollars|usd|euros|in\s+(?:revenue|sales|cash)|of\s+(?:revenue|sales|cash|debt))\b)"
)

# Where the company part of a file stem ends: a period, a form type, "EARNINGS".
_PREFIX_END = re.compile(r"(?:(?:19|20)\d{2}(?:Q[1-4]|H[12])?|10-?K|10-?Q|8-?K|EARNINGS|annualreport)\b.*",
                         re.IGNORECASE)

Token = tuple[str, int, int]


@dataclass
class CompanyAliases:
    """One company of the curated list."""

    key: str
    name: str = ""
    tickers: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    case_sensitive: list[str] = field(default_factory=list)
    ja: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def load_companies() -> tuple[CompanyAliases, ...]:
    """The curated company list (rag/data/companies.json)."""
    data = read_data("companies.json")
    return tuple(CompanyAliases(**{k: v for k, v in c.items() if not k.startswith("_")}) for c in data["companies"])


@lru_cache(maxsize=1)
def _ambiguous_tickers() -> frozenset[str]:
    return frozenset(read_data("companies.json").get("ambiguous_tickers", []))


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


class _Found:
    """The company hits found so far in one text, and the character spans they claim."""

    def __init__(self) -> None:
        self.hits: list[tuple[float, int, str]] = []
        self.taken: list[Span] = []

    def free(self, span: Span) -> bool:
        return not overlaps(span, self.taken)

    def add(self, score: float, span: Span, key: str) -> None:
        self.hits.append((score, span[0], key))
        self.taken.append(span)

    def ranked(self) -> list[str]:
        """Keys, exact matches (names, tickers) before fuzzy ones; within a tier, by position."""
        best: dict[str, tuple[int, int]] = {}
        for score, pos, key in self.hits:
            rank = (0 if score >= 0.9 else 1, pos)
            if key not in best or rank < best[key]:
                best[key] = rank
        return sorted(best, key=lambda k: best[k])


def _japanese_pattern(folded: str) -> re.Pattern[str]:
    """A Japanese alias, separators optional, not inside a longer katakana or ASCII word."""
    sep = "[" + re.escape(JA_SEPARATORS) + "]?"
    pat = sep.join(re.escape(c) for c in folded)
    kata_edges = bool(_KATAKANA.match(folded[0])), bool(_KATAKANA.match(folded[-1]))
    ascii_edges = folded[0].isascii() and folded[0].isalnum(), folded[-1].isascii() and folded[-1].isalnum()
    left = r"(?<![\u30a1-\u30fa\u30fc])" if kata_edges[0] else (WORD_START if ascii_edges[0] else "")
    right = r"(?![\u30a1-\u30fa\u30fc])" if kata_edges[1] else (WORD_END if ascii_edges[1] else "")
    return re.compile(left + pat + right, re.IGNORECASE)


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
            self._add_names(e)
            for alias in e.case_sensitive:
                pat = r"(?<![A-Za-z0-9$.,])" + re.escape(normalize(alias)) + r"(?![A-Za-z0-9])"
                if alias[:1].isdigit():
                    pat += _NOT_A_QUANTITY  # "3M tonnes" is three million tonnes
                self.case_sensitive.append((re.compile(pat), e.key))
            for t in e.tickers:
                self.tickers.append((re.compile(r"(?<![A-Za-z0-9&.])(\$)?" + re.escape(t) + r"(?![A-Za-z0-9&])"),
                                     e.key, t in ambiguous or len(t) <= 2))
            for alias in e.ja:
                folded = fold_ja(alias)
                if not folded:
                    continue
                self.japanese.append((_japanese_pattern(folded), e.key))
                if len(folded) >= 4 and all(_KATAKANA.match(c) for c in folded):
                    self.fuzzy_ja.setdefault(folded, set()).add(e.key)
        self.japanese.sort(key=lambda x: -len(x[0].pattern))
        # Every start of a squashed name: a token window whose first word starts none of them names nothing.
        self.starts = {k[:j] for k in self.squashed for j in range(1, len(k) + 1)}
        # The fuzzy names by first letter (a fuzzy match keeps the first letter), in their original order.
        self.fuzzy_by_first: dict[str, list[str]] = {}
        for name in self.fuzzy:
            self.fuzzy_by_first.setdefault(name[0], []).append(name)

    def _add_names(self, e: CompanyAliases) -> None:
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

    def find(self, text: str) -> tuple[list[str], list[Span]]:
        """Company keys found in text (best first) and the character spans they cover."""
        found = _Found()
        for rx, key in [*self.japanese, *self.case_sensitive]:
            for m in rx.finditer(text):
                if found.free(m.span()):
                    found.add(1.0, m.span(), key)
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        i = 0
        while i < len(tokens):
            i += self._name_at(text, tokens, i, found) or 1
        self._tickers(text, found)
        self._fuzzy_en(text, tokens, found)
        self._fuzzy_ja(text, found)
        return found.ranked(), found.taken

    def _name_at(self, text: str, tokens: list[Token], i: int, found: _Found) -> int:
        """The length of the longest token window at i that names a company (added to found), or 0."""
        first = tokens[i][0].lower()
        if squash(first) and squash(first) not in self.starts and not (
                first.endswith("'s") and squash(first[:-2]) in self.starts):
            return 0
        for n in range(min(5, len(tokens) - i), 0, -1):
            window = tokens[i : i + n]
            span = (window[0][1], window[-1][2])
            if not found.free(span) or not _contiguous(text, window):
                continue
            words = [w.lower() for w, _, _ in window]
            if words[0] in _CONNECTORS or words[-1] in _CONNECTORS:
                continue
            if n == 1 and text[max(span[0] - 1, 0) : span[0]] == "$":
                continue
            keys = next((k for form in _window_forms(words) if (k := self.squashed.get(form))), None)
            if keys and (n > 1 or len(squash(words[0])) >= 2):
                for key in sorted(keys):
                    found.add(0.95, span, key)
                return n
        return 0

    def _tickers(self, text: str, found: _Found) -> None:
        letters = [c for c in text if c.isascii() and c.isalpha()]
        shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) > 0.6 * len(letters)
        for rx, key, ambiguous in self.tickers:
            for m in rx.finditer(text):
                if not found.free(m.span()):
                    continue
                context = bool(m.group(1)) or _ticker_context(text, m.start(), m.end())
                if (ambiguous or shouting) and not context:
                    continue
                found.add(0.9, m.span(), key)

    def _fuzzy_en(self, text: str, tokens: list[Token], found: _Found) -> None:
        if not self.fuzzy:
            return
        lows = [w.lower() for w, _, _ in tokens]
        stops = stopwords_en()
        # A window holding an ordinary word (not a connector) is never a name: skip those before anything else.
        plain = [w in stops and w not in _CONNECTORS for w in lows]
        for i in range(len(tokens)):
            for n in (3, 2, 1):
                window = tokens[i : i + n]
                if len(window) < n or any(plain[i : i + n]) or not _contiguous(text, window):
                    continue
                span = (window[0][1], window[-1][2])
                sq = _fuzzy_candidate([w for w, _, _ in window], first=i == 0) if found.free(span) else ""
                if not sq:
                    continue
                limit = 1 if len(sq) <= 8 else 2 if len(sq) <= 14 else 3
                match = _closest(sq, self.fuzzy_by_first.get(sq[0], []), limit)
                if match and len(self.fuzzy[match]) == 1:
                    found.add(0.8, span, next(iter(self.fuzzy[match])))
                    break

    def _fuzzy_ja(self, text: str, found: _Found) -> None:
        if not self.fuzzy_ja:
            return
        choices = list(self.fuzzy_ja)
        for m in _KATAKANA_RUN.finditer(text):
            if not found.free(m.span()):
                continue
            folded = fold_ja(m.group(0))
            if len(folded) < 4:
                continue
            match = _closest(folded, choices, 1 if len(folded) <= 7 else 2)
            if match and len(self.fuzzy_ja[match]) == 1:
                found.add(0.8, m.span(), next(iter(self.fuzzy_ja[match])))


def _fuzzy_candidate(words: list[str], first: bool) -> str:
    """The squashed form of a token window worth a fuzzy match ("" when it looks like ordinary words)."""
    lows = [w.lower() for w in words]
    if lows[0] in _CONNECTORS or lows[-1] in _CONNECTORS:
        return ""
    if any(w in stopwords_en() for w in lows if w not in _CONNECTORS):
        return ""
    sq = squash("".join(w for w in words if w.lower() not in _CONNECTORS))
    if len(sq) < 6 or sq.isdigit():
        return ""
    capital = any(w[0].isupper() for w in words)
    if not (capital and (not first or len(sq) >= 8)) and len(sq) < 10:
        return ""
    return sq


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


def _contiguous(text: str, window: Sequence[Token]) -> bool:
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
    entries = {c.key: replace(c, tickers=list(c.tickers), aliases=list(c.aliases),
                              case_sensitive=list(c.case_sensitive), ja=list(c.ja))
               for c in load_companies()}
    for key, aliases in known:
        entry = entries.setdefault(key, CompanyAliases(key, key))
        for alias in aliases:
            if JA_CHARS.search(alias):
                entry.ja.append(alias)
            elif squash(alias) and squash(alias) not in {squash(a) for a in entry.case_sensitive}:
                entry.aliases.append(alias)
    return _CompanyMatcher(list(entries.values()), _ambiguous_tickers())


Matcher = Callable[[str], tuple[list[str], list[Span]]]


def company_matcher(known_companies: Mapping[str, Sequence[str]] | None = None) -> Matcher:
    """The company finder for an alias table (see build_alias_table): text -> (keys best first, spans)."""
    if not known_companies:
        return _curated_matcher().find
    frozen = tuple(sorted((k, tuple(sorted(set(v)))) for k, v in known_companies.items()))
    return _merged_matcher(frozen).find


def find_companies(text: str, known_companies: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Canonical company keys named in text, best first; empty when nothing is a confident match."""
    return company_matcher(known_companies)(normalize(text))[0]


def doc_name_prefix(doc_name: str) -> str:
    """The company part of a file stem: 'JOHNSON_JOHNSON_2022Q4_EARNINGS' -> 'JOHNSON_JOHNSON'."""
    parts = re.split(r"[_\s]+", doc_name.strip())
    out: list[str] = []
    for p in parts:
        if _PREFIX_END.fullmatch(p):
            break
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9&.\-]*|\d[A-Za-z]+", p):
            break  # ids and hashes ("000_0132e4f6...") are not company names
        out.append(p)
    return "_".join(out)


def _curated_key(candidate: str) -> str:
    """The one curated key a company name or file prefix resolves to, or ""."""
    matcher = _curated_matcher()
    keys = matcher.find(normalize(candidate))[0]
    if len(keys) == 1:
        return keys[0]
    sq = squash(candidate)
    keys = list(matcher.squashed.get(sq, ()))
    if not keys and len(sq) >= 6:
        close = _closest(sq, list(matcher.fuzzy), 2)
        keys = sorted(matcher.fuzzy.get(close, ())) if close else []
    return keys[0] if len(keys) == 1 else ""


def company_key(metadata: Mapping[str, object]) -> str:
    """Canonical company key of one document, from its company and doc_name metadata.

    Resolves to a curated key when the company or the file-name prefix names a known
    company ("Johnson & Johnson", "JOHNSON_JOHNSON", "Pfizer"); otherwise the upper-cased
    squashed company name or file-name prefix; "" when there is neither.
    """
    company = str(metadata.get("company") or "").strip()
    prefix = doc_name_prefix(str(metadata.get("doc_name") or ""))
    if prefix.upper() in {c.key for c in load_companies()}:
        return prefix.upper()
    for candidate in (company, prefix.replace("_", " ")):
        key = _curated_key(candidate) if candidate else ""
        if key:
            return key
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
