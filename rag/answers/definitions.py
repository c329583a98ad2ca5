"""A measure defined in the question wins over the catalogue's: "ROA is defined as: FY2022 net income / (average
total assets between FY2021 and FY2022)", 「正味運転資本は流動資産合計から流動負債合計を引いたものと定義する」.

The definition is read as arithmetic over line items: + − × ÷, parentheses, constants ("365 *"), "average X"
(the mean of two year-end balances) and "change in X" (this year less last). A definition that names no line item
or leaves words between operands it cannot place ("DIO + DSO − DPO") is not read: the catalogue's measure answers.
Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rag.answers.measures import ITEM_WORDS, Input, Measure, find_measure, item_measure, role_key

Values = Mapping[str, float]
Formula = Callable[[Values], float]

_EN_CLAUSE = re.compile(r"\bdefined\s+as\b:?|\bdefine\s+[^.?:]{1,60}?\s+as\b:?", re.IGNORECASE)
_EN_END = re.compile(r"\.(?:\s|$)|\?|;|$")
_JA_QUOTED = re.compile(r"「([^」]{3,200})」\s*(?:と|で)定義")
_JA_PLAIN = re.compile(r"(?:は|を)([^。「」]{3,200}?)(?:と|で)定義")
# Skipped: the years a definition is stated for ("FY2019", "between FY2018 and FY2019", 「2016年度と2017年度の」).
_YEARS = re.compile(r"(?:between\s+)?(?:FY|fiscal\s+(?:year\s+)?)?'?(?:19|20)\d\d\s*(?:and|to|-|–)\s*"
                    r"(?:FY|fiscal\s+(?:year\s+)?)?'?(?:19|20)\d\d|(?:FY|fiscal\s+(?:year\s+)?)?'?(?:19|20)\d\d\b|"
                    r"(?:19|20)\d\d年度?(?:末)?(?:(?:と|から)(?:19|20)\d\d年度?(?:末)?)?(?:にかけて)?の?", re.IGNORECASE)
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("(", re.compile(r"[(（]")), (")", re.compile(r"[)）]")),
    ("/", re.compile(r"/|÷|divided\s+by\b", re.IGNORECASE)),
    ("*", re.compile(r"\*|×|multiplied\s+by\b|times\b", re.IGNORECASE)),
    ("+", re.compile(r"\+|＋|plus\b", re.IGNORECASE)),
    ("-", re.compile(r"-(?![A-Za-z])|−|–|minus\b|less\b|から", re.IGNORECASE)),
    ("avg", re.compile(r"average(?:\s+of)?\b|mean\b|平均", re.IGNORECASE)),
    ("delta", re.compile(r"(?:the\s+)?change\s+in\b|増減|変化", re.IGNORECASE)),
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FILLER = re.compile(r"[A-Za-z'’&]+|[^\sA-Za-z\d()（）/÷*×+＋\-−–]", re.IGNORECASE)
_ALSO = {"shareholders_equity": ("shareholders_equity", "total_equity")}  # filings that print only total equity
_MAX_FILLER = 6  # more runs of unplaced words than this and the clause is prose, not a formula


@dataclass
class _Tok:
    kind: str  # item, num, or an operator / parenthesis / avg / delta
    text: str = ""
    average: bool = False
    delta: bool = False


def definition_clause(text: str) -> tuple[int, str] | None:
    """Where the question's first definition starts and its clause, or None."""
    m = _EN_CLAUSE.search(text)
    if m:
        end = _EN_END.search(text, m.end())
        return m.start(), text[m.end(): end.start() if end else len(text)].strip()
    for rx in (_JA_QUOTED, _JA_PLAIN):
        if found := rx.search(text):
            return found.start(), found.group(1)
    return None


def _item_at(text: str, pos: int) -> tuple[str, int] | None:
    for item, en, ja in ITEM_WORDS:
        for rx, flags in ((en, re.IGNORECASE), (ja, 0)):
            if (m := re.compile(rx, flags).match(text, pos)) and m.end() > pos:
                return item, m.end()
    return None


def _tokens(clause: str) -> list[_Tok] | None:
    """The clause as formula tokens; None when it reads as prose."""
    out: list[_Tok] = []
    pending = {"average": False, "delta": False}
    pos, filler, in_filler = 0, 0, False
    while pos < len(clause):
        if clause[pos].isspace():
            pos += 1
            continue
        if m := _YEARS.match(clause, pos):
            pos, in_filler = m.end(), False
            continue
        if found := _item_at(clause, pos):
            out.append(_Tok("item", found[0], **pending))
            pending = {"average": False, "delta": False}
            pos, in_filler = found[1], False
            continue
        kind, m = next(((k, m) for k, rx in _TOKENS if (m := rx.match(clause, pos))), ("", None))
        if m is not None:
            pos, in_filler = m.end(), False
            if kind in ("avg", "delta"):
                flag = "average" if kind == "avg" else "delta"
                if out and out[-1].kind == "item" and not out[-1].average and not out[-1].delta:
                    setattr(out[-1], flag, True)  # postfix, as Japanese puts it: 「総資産の平均」
                else:
                    pending[flag] = True
                continue
            out.append(_Tok(kind))
            continue
        if m := _NUMBER.match(clause, pos):
            out.append(_Tok("num", m.group(0)))
            pos, in_filler = m.end(), False
            continue
        # One word, or one Japanese character (a word run would swallow the item after it: 「期末総資産」).
        m = _FILLER.match(clause, pos)
        pos = m.end() if m else pos + 1
        filler += not in_filler
        in_filler = True
        if filler > _MAX_FILLER:
            return None
    return out


class _Parser:
    """Recursive descent over the tokens: expr := term (+|- term)*; term := factor (*|/ factor)*."""

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens, self.i = tokens, 0
        self.inputs: dict[str, Input] = {}

    def _peek(self) -> str:
        return self.tokens[self.i].kind if self.i < len(self.tokens) else ""

    def _chain(self, ops: tuple[str, str], operand: Callable[[], Formula]) -> Formula:
        """operand (op operand)*, left-associative: one precedence level of the grammar."""
        left = operand()
        while self._peek() in ops:
            op = self.tokens[self.i].kind
            self.i += 1
            left = _binary(op, left, operand())
        return left

    def expr(self) -> Formula:
        return self._chain(("+", "-"), self.term)

    def term(self) -> Formula:
        return self._chain(("*", "/"), self.factor)

    def factor(self) -> Formula:
        kind = self._peek()
        if kind == "(":
            self.i += 1
            inner = self.expr()
            if self._peek() != ")":
                raise ValueError("unbalanced parenthesis")
            self.i += 1
            return inner
        if kind not in ("item", "num"):
            raise ValueError(f"an operand was expected, not {kind or 'the end'}")
        tok = self.tokens[self.i]
        self.i += 1
        return _constant(float(tok.text)) if kind == "num" else self._operand(tok)

    def _operand(self, tok: _Tok) -> Formula:
        item = tok.text
        if tok.delta:
            items = _ALSO.get(item, (item,))
            now, prior = Input(item, items), Input(f"{item}_prior", items, at=-1)
            self.inputs.update({role_key(now): now, role_key(prior): prior})
            return lambda v: v[item] - v[f"{item}_prior"]
        inp = Input(item, _ALSO.get(item, (item,)), average=tok.average)
        key = role_key(inp)
        self.inputs[key] = inp
        return lambda v: v[key]


def _constant(c: float) -> Formula:
    return lambda v: c


def _binary(op: str, a: Formula, b: Formula) -> Formula:
    if op == "+":
        return lambda v: a(v) + b(v)
    if op == "-":
        return lambda v: a(v) - b(v)
    if op == "*":
        return lambda v: a(v) * b(v)

    def divide(v: Values) -> float:
        d = b(v)
        if d == 0:
            raise ZeroDivisionError("the denominator is zero")
        return a(v) / d
    return divide


def defined_measure(text: str) -> Measure | None:
    """The measure as the question defines it, named as the question names it; None when it defines none."""
    found = definition_clause(text)
    if found is None:
        return None
    start, clause = found
    tokens = _tokens(clause)
    if not tokens or sum(t.kind == "item" for t in tokens) < 2 and not any(t.delta or t.average for t in tokens):
        return None
    parser = _Parser(tokens)
    try:
        formula = parser.expr()
    except ValueError:
        return None
    if parser.i != len(tokens):
        return None
    base = find_measure(text[:start])
    if base is None and (first := next((t.text for t in tokens if t.kind == "item"), None)):
        base = item_measure(first)
    assert base is not None
    unit = base.unit if base.unit in ("ratio", "percent", "days") else _unit_of(tokens)
    if unit == "percent" and "100" not in {t.text for t in tokens if t.kind == "num"}:
        formula = _times_100(formula)
    shown = " ".join(clause.split())
    return Measure(base.key, base.en, base.ja, "", "", tuple(parser.inputs.values()), formula, shown, unit)


def _times_100(formula: Formula) -> Formula:
    return lambda v: 100 * formula(v)


def _unit_of(tokens: list[_Tok]) -> str:
    """A definition of a named-only figure: a quotient is a ratio, a sum or difference of items is money."""
    return "ratio" if any(t.kind == "/" for t in tokens) else "money"
