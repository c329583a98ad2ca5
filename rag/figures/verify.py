"""Check every figure of an answer or briefing against the passages it cites, and the citations themselves.

Pure functions of the text and the passages. A figure is supported when some passage holds a
figure of a compatible unit with the same value, allowing the rounding the answer applied
("$1.6 billion" for "$1,618 million", 「16億ドル」 for "$1.6 billion") and the scale a table
declares ("(in millions)", 「単位:百万円」). The passages cited in the figure's own sentence
are tried first; a match elsewhere still counts as support, with `cited_ok` False.

A figure no passage prints is still supported, as `computed`, when it is a ratio, difference, sum or growth of two
other figures of the same text that passages do support (an answer that shows its working: "5,020 / 1,150 = 4.37"),
or when it comes from a calculation passage (chunk id "calculation:…", figures computed from statement facts).
Only the text's own supported figures are combined, never every figure of the passages: pairs of a whole table's
figures would "derive" almost any invented ratio.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rag.figures.labels import RULES, label_figures
from rag.figures.parse import (
    CITATION_RE,
    CURRENCIES,
    PERCENT_UNITS,
    Figure,
    parse_figures,
)

_SNIPPET = 80
_DECLARED_EN = re.compile(
    r"(?:\bin\s+|\(\s*(?:[$€£¥]\s*|(?:U\.S\.\s+)?dollars\s+|amounts\s+)?)(thousands|millions|billions)\b"
    r"(?!\s+of\s+(?!dollars|yen|euros|U\.S\.))",
    re.IGNORECASE,
)
_DECLARED_JA = re.compile(r"(?<![\d,.０-９])(百万|千|億)(?=円|ドル|米ドル|ユーロ)")
_DECLARED_VALUE = {"thousands": 1e3, "millions": 1e6, "billions": 1e9, "千": 1e3, "百万": 1e6, "億": 1e8}
_IMPLIED_SCALES = (1e3, 1e6, 1e9)  # filings' tables are in thousands, millions or (rarely) billions
# Not rag.text.sentences.split_sentences: a figure is placed by its offset, so the spans must tile the text, and
# an answer's sentence ends at any full stop ("… 2025. [1] revenue …", "Inc. sold") with the markers after the
# stop belonging to it, where the quoting splitter wants a capital next and joins abbreviations.
_SENTENCE_END = re.compile(r"[。！？]|[.!?](?=\s|$|[\[［])|\n")
_MARKERS_AFTER = re.compile(r"(?:\s*" + CITATION_RE.pattern + ")+")
_SCALABLE = ("", "shares") + CURRENCIES


@dataclass(frozen=True)
class PassageMatch:
    """The passage figure that supports a checked figure, with the text around it."""

    n: int
    doc_name: str | None
    page: int | None
    chunk_id: str | None
    raw: str
    text: str


@dataclass
class FigureCheck:
    """One figure of a checked text: as written, in base units, the passages its sentence cites, what supports it."""

    raw: str
    value: float
    unit: str
    start: int
    end: int
    cited: list[int]
    matched: PassageMatch | None = None
    cited_ok: bool = False  # the support is one of the passages its own sentence cites
    computed: bool = False  # derived from supported figures, or read off a calculation passage
    derivation: str = ""  # how, when derived from the text's own figures: "5,020 / 1,150"


@dataclass
class FigureReport:
    """The figures of a text, split into supported and unsupported, and the citations that point nowhere."""

    supported: list[FigureCheck] = field(default_factory=list)
    unsupported: list[FigureCheck] = field(default_factory=list)
    bad_citations: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unsupported and not self.bad_citations

    def to_dict(self) -> dict[str, Any]:
        return {"supported": [asdict(f) for f in self.supported], "unsupported": [asdict(f) for f in self.unsupported],
                "bad_citations": list(self.bad_citations), "ok": self.ok}


@dataclass
class _Passage:
    n: int
    text: str
    doc_name: str | None
    page: int | None
    chunk_id: str | None
    figures: list[Figure]
    scales: tuple[float, ...]


# --- citations --------------------------------------------------------------------------------

def _marker_numbers(marker: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,，、;]\s*", marker.strip("[]［］ \t")):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            lo, hi = int(bounds[0]), int(bounds[1])
            out.extend(range(lo, hi + 1) if 0 <= hi - lo <= 50 else (lo, hi))
        elif part.isdigit():
            out.append(int(part))
    return out


def parse_citations(text: str) -> list[int]:
    """Passage numbers cited inline, in order: "[1][3]", "[1, 3]" and "[2-4]" all count."""
    return [n for m in CITATION_RE.finditer(text or "") for n in _marker_numbers(m.group(0))]


def strip_unknown_citations(text: str, valid: set[int]) -> tuple[str, list[int]]:
    """Remove citation numbers outside `valid`; returns the new text and the numbers removed."""
    removed: list[int] = []

    def fix(m: re.Match[str]) -> str:
        nums = _marker_numbers(m.group(0))
        keep = [n for n in nums if n in valid]
        removed.extend(n for n in nums if n not in valid)
        if keep == nums:
            return m.group(0)
        return "[" + ", ".join(str(n) for n in dict.fromkeys(keep)) + "]" if keep else "\0"

    out = CITATION_RE.sub(fix, text or "")
    out = re.sub(r"[ \t]*\0", "", out)  # a marker that lost every number goes, with the space before it
    return out, list(dict.fromkeys(removed))


# --- passages ---------------------------------------------------------------------------------

def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        if name in item:
            return item[name]
        meta = item.get("metadata")
        return meta.get(name) if isinstance(meta, Mapping) else None
    return getattr(item, name, None)


def _declared_scales(text: str) -> tuple[float, ...]:
    found = {_DECLARED_VALUE[m.group(1).lower()] for m in _DECLARED_EN.finditer(text)}
    found |= {_DECLARED_VALUE[m.group(1)] for m in _DECLARED_JA.finditer(text)}
    return tuple(sorted(found))


def _passage(n: int, item: Any, keyed: bool = False) -> _Passage:
    """One passage; its own "n" numbers it unless it came keyed by number."""
    if isinstance(item, str):
        text, doc_name, page, chunk_id = item, None, None, None
    else:
        text = _field(item, "text") or _field(item, "page_content") or ""
        doc_name, page, chunk_id = _field(item, "doc_name"), _field(item, "page"), _field(item, "chunk_id")
        given = _field(item, "n")
        if not keyed and (isinstance(given, int) or (isinstance(given, str) and given.isdigit())):
            n = int(given)
    return _Passage(n, str(text), doc_name, page, chunk_id, parse_figures(str(text)), _declared_scales(str(text)))


def _passages(passages: Any) -> list[_Passage]:
    if passages is None:
        return []
    if isinstance(passages, str):
        return [_passage(1, passages)]
    if isinstance(passages, Mapping):
        return [_passage(int(n), item, keyed=True) for n, item in passages.items()]
    return [_passage(i, item) for i, item in enumerate(passages, 1)]


# --- matching ---------------------------------------------------------------------------------

def tolerance(fig: Figure) -> float:
    """How far a source value may be from `fig` and still round to it, in base units.

    Half of the last written digit; trailing zeros of a whole number of three or more digits
    count as rounding ("$160 million" covers 155–165 million), keeping two significant digits.
    A single significant digit of an amount ("$2 billion") covers at most 10% either way.
    """
    a, ulp = abs(fig.value), fig.ulp
    if ulp <= 0 or a == 0:
        return 0.0
    n = round(a / ulp)
    while n >= 100 and n % 10 == 0:
        n //= 10
        ulp *= 10
    tol = ulp / 2
    if n < 10 and fig.unit not in ("%", "bps", "x"):
        tol = min(tol, 0.1 * a)
    return tol


def _compatible(a: str, b: str) -> bool:
    if a == b or (a in PERCENT_UNITS and b in PERCENT_UNITS):
        return True
    return (a == "" and b not in PERCENT_UNITS) or (b == "" and a not in PERCENT_UNITS)


def _as_percent(value: float, unit: str) -> float:
    return value / 100 if unit == "bps" else value


def _table_like(f: Figure) -> bool:
    """A number that may be a table entry in thousands or millions: "32,765", "18,992.8"; not "18 months" or cents."""
    return (abs(f.value) >= 100 or f.ulp < 1) and abs(f.value) < 1e6 and f.ulp >= 0.1


def _candidates(fig: Figure, p: Figure, declared: tuple[float, ...]) -> Iterable[float]:
    """Values the passage figure `p` may stand for when checking `fig`."""
    scalable = p.unit in _SCALABLE and fig.unit in _SCALABLE
    if not (scalable and p.scale == 1 and declared and fig.scale != 1):
        yield p.value  # as written; in a table with a declared scale only a bare answer may copy it
    if not scalable:
        return
    if p.scale == 1:
        yield from (p.value * s for s in declared)
        if fig.scale != 1 and not declared and _table_like(p):
            yield from (p.value * s for s in _IMPLIED_SCALES)
    elif fig.scale == 1 and p.scale in _IMPLIED_SCALES and (abs(fig.value) >= 100 or fig.ulp < 1):
        yield p.value / p.scale  # "32,765" in the answer, "$32,765 million" in the passage


def _match(fig: Figure, passage: _Passage) -> Figure | None:
    tol = tolerance(fig)
    want = abs(_as_percent(fig.value, fig.unit))
    if fig.unit == "bps":
        tol /= 100
    for p in passage.figures:
        if not _compatible(fig.unit, p.unit):
            continue
        for value in _candidates(fig, p, passage.scales):
            got = abs(_as_percent(value, p.unit))
            if abs(got - want) <= tol + 1e-6 * max(got, want, 1e-9):
                return p
    return None


def _checkable(fig: Figure) -> bool:
    # A bare single digit is a list number, a count written as a digit or a footnote, rarely a claim.
    return not (fig.unit == "" and fig.scale == 1 and abs(fig.value) < 10 and fig.value == int(fig.value))


# --- sentences --------------------------------------------------------------------------------

def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; citation markers right after its full stop belong to it."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() < start:
            continue
        end = m.end()
        after = _MARKERS_AFTER.match(text, end)
        if after and m.group(0) != "\n":
            end = after.end()
        spans.append((start, end))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _block(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _cited_for(text: str, fig: Figure, spans: list[tuple[int, int]], fallback: list[int]) -> list[int]:
    for s, e in spans:
        if s <= fig.start < e:
            found = parse_citations(text[s:e])
            if found:
                return list(dict.fromkeys(found))
            break
    s, e = _block(text, fig.start)
    found = parse_citations(text[s:e])
    return list(dict.fromkeys(found)) if found else list(fallback)


def _matched(passage: _Passage, p: Figure) -> PassageMatch:
    s, e = max(0, p.start - _SNIPPET), min(len(passage.text), p.end + _SNIPPET)
    snippet = ("…" if s else "") + " ".join(passage.text[s:e].split()) + ("…" if e < len(passage.text) else "")
    return PassageMatch(passage.n, passage.doc_name, passage.page, passage.chunk_id, p.raw, snippet)


def check_figures(text: str, passages: Sequence[Mapping[str, Any]] | Sequence[str] | Mapping[int, Any],
                  cited: Mapping[int, Any] | Iterable[int] | None = None) -> FigureReport:
    """Check every figure of `text` against the passages, preferring those cited in its sentence.

    Args:
        text: an answer or briefing with inline citation markers "[n]".
        passages: dicts with "text" (and "n", "doc_name", "page", "chunk_id" when known), plain
            strings (numbered from 1), or a mapping of citation number to either.
        cited: passage numbers the whole text cites (e.g. the model's citation list); used for
            figures whose sentence and line carry no marker.

    Returns:
        A FigureReport; `ok` is True when every figure is supported and every marker is known.

    Example:
        >>> check_figures("Riot sold 1,818 BTC for $161.6 million [1].",
        ...               ["Riot sold 1,818 BTC in December for $161,600,000."]).ok
        True
    """
    text = text or ""
    pool = _passages(passages)
    by_n = {p.n: p for p in pool}
    report = FigureReport()
    report.bad_citations = [n for n in dict.fromkeys(parse_citations(text)) if n not in by_n]
    fallback = [int(n) for n in (cited.keys() if isinstance(cited, Mapping) else cited or [])]
    spans = _sentences(text)
    written: dict[int, Figure] = {}
    for fig in parse_figures(text):
        if not _checkable(fig):
            continue
        citing = _cited_for(text, fig, spans, fallback)
        first = [by_n[n] for n in citing if n in by_n]
        rest = [p for p in pool if p.n not in set(citing)]
        entry = FigureCheck(fig.raw, fig.value, fig.unit, fig.start, fig.end, citing)
        written[id(entry)] = fig
        for group, is_cited in ((first, True), (rest, False)):
            hit = next(((p, m) for p in group if (m := _match(fig, p)) is not None), None)
            if hit:
                entry.matched, entry.cited_ok = _matched(*hit), is_cited
                break
        if entry.matched:
            entry.computed = bool(entry.matched.chunk_id and str(entry.matched.chunk_id).startswith(CALCULATION))
        (report.supported if entry.matched else report.unsupported).append(entry)
    _derive(report, written)
    return report


CALCULATION = "calculation:"  # the chunk-id prefix of a passage of figures computed from statement facts
_MAX_OPERANDS = 12  # a text's supported figures combined pairwise: at most 132 ordered pairs


def _derivations(a: FigureCheck, b: FigureCheck) -> Iterable[tuple[float, str, bool]]:
    """(value, how, is a percentage) of the figures two supported figures give: ratio, difference, sum, growth."""
    pa, pb = a.unit in PERCENT_UNITS, b.unit in PERCENT_UNITS
    if pa == pb and b.value:
        yield a.value / b.value, f"{a.raw} / {b.raw}", False
        yield 100 * a.value / b.value, f"{a.raw} / {b.raw}", True
        yield 100 * (a.value - b.value) / abs(b.value), f"({a.raw} − {b.raw}) / {b.raw}", True
    if pa == pb:
        yield a.value - b.value, f"{a.raw} − {b.raw}", pa
        yield a.value + b.value, f"{a.raw} + {b.raw}", pa


def _derive(report: FigureReport, written: Mapping[int, Figure]) -> None:
    """Move to `supported` (as computed) the unsupported figures that two supported figures of the text give;
    `written` holds each check's figure as parsed (its rounding). Sizes are compared: outflows print negative."""
    operands = [f for f in report.supported if not f.computed][:_MAX_OPERANDS]
    still: list[FigureCheck] = []
    for fig in report.unsupported:
        tol = tolerance(written[id(fig)])
        is_pct = fig.unit in PERCENT_UNITS
        found = [(abs(v - fig.value), abs(abs(v) - abs(fig.value)), h) for a in operands for b in operands
                 if a is not b for v, h, pct in _derivations(a, b) if pct == is_pct]
        # The signed value first ("grew 2.2%"), then the size ("fell 2.2%", an outflow printed "(310)").
        how = next((h for signed, _, h in found if signed <= tol + 1e-9 * abs(fig.value)), "") or next(
            (h for _, size, h in found if size <= tol + 1e-9 * abs(fig.value)), "")
        if how:
            fig.computed, fig.derivation = True, how
            report.supported.append(fig)
        else:
            still.append(fig)
    report.unsupported = still


# --- labels and periods -----------------------------------------------------------------------

@dataclass(frozen=True)
class LabelProblem:
    """A figure that restates a known figure's value under another metric or another period."""

    raw: str
    problem: str  # "label" or "period"
    stated: str  # the metric or period the text gives it
    known: str  # what the known figures of that value say, e.g. "proceeds" or "2025-12"


def _period_agrees(a: str, b: str) -> bool:
    """'2025' agrees with '2025Q4' and '2025-12'; '2025Q4' with '2025-10' to '2025-12'; an empty period with any."""
    def within(outer: str, inner: str) -> bool:
        q, m = re.fullmatch(r"(\d{4})Q([1-4])", outer), re.fullmatch(r"(\d{4})-(\d{2})", inner[:7])
        return inner.startswith(outer) or bool(q and m and q.group(1) == m.group(1)
                                               and (int(m.group(2)) - 1) // 3 + 1 == int(q.group(2)))
    return not a or not b or within(a, b) or within(b, a)


def _metric_agrees(stated: str | None, known: str | None) -> bool:
    # A generic metric ("revenue", "debt") agrees with every metric of its family, as the key-figures table has it.
    rules = {r.key: r for r in RULES}
    a, b = rules.get(stated or ""), rules.get(known or "")
    return a is None or b is None or a.key == b.key or bool(a.family and a.family == b.family
                                                            and (a.generic or b.generic))


def check_labels(text: str, known: Sequence[Mapping[str, Any]]) -> list[LabelProblem]:
    """Figures of `text` that restate a known figure (same value within rounding, compatible unit) but give it
    another metric or period than every known figure of that value does.

    `known` holds {"metric_key", "value", "unit", "period"} dicts, e.g. a briefing's structured facts. A figure
    with no known twin is left to check_figures; one the text names no metric or period for agrees.
    """
    problems = []
    for fig, metric, period, _claim, distance in label_figures(text):
        twins = [k for k in known if _compatible(fig.unit, str(k.get("unit", "")))
                 and abs(abs(float(k["value"])) - abs(fig.value)) <= tolerance(fig) + 1e-6 * abs(fig.value)]
        if not twins:
            continue
        stated = metric if distance < 50 else None  # 50: inherited from the figure before, 99: no words at all
        if not any(_metric_agrees(stated, k.get("metric_key")) for k in twins):
            problems.append(LabelProblem(fig.raw, "label", str(stated), str(twins[0].get("metric_key"))))
        elif not any(_period_agrees(period, str(k.get("period") or "")) for k in twins):
            problems.append(LabelProblem(fig.raw, "period", period, str(twins[0].get("period"))))
    return problems
