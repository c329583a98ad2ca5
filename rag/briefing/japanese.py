"""Japanese from structure: an event or a disagreement written in Japanese by rule, figures formatted for Japanese.

Templates are per event kind, never per company; proper nouns (places, counterparties) stay as the documents
spell them.
"""

from __future__ import annotations

import re
from typing import Any

from rag.briefing.events import Event
from rag.figures.format import format_figure, format_period
from rag.figures.glossary import term
from rag.query.companies import find_companies, load_companies

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PLACE = re.compile(r"\b(?:at|in|near|under)\s+(?:the\s+|its\s+|\w+'s\s+)?([A-Z][a-z]+(?:\s+(?:County|Lake|Creek|Bend))?)")
_WITH = re.compile(r"\bwith\s+([A-Z][\w&.-]+)")
_NOT_PLACE = {m for m in ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Texas", "The", "This", "Phase"]}
# Object words -> the Japanese noun of the event's object, first match wins.
_OBJECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "programme_end": ((r"at-the-market|\bATM\b", "ATM(市場価格での株式売出し)プログラム"), (r"hosting", "ホスティング契約"),
                      (r"lease", "リース契約"), (r"takeover|merger", "買収合意"), (r"facility", "融資枠"), (r"", "契約")),
    "financing": ((r"convertible", "転換社債"), (r"loan", "借入"), (r"facility|credit line", "融資枠"),
                  (r"offering", "証券の売出し"), (r"", "資金調達")),
    "acquisition": ((r"\bland\b|acres", "土地"), (r"\bsite\b", "用地"), (r"assets", "資産"), (r"stake", "株式"),
                    (r"", "資産")),
    "charge": ((r"impairment", "減損損失"), (r"", "損失")),
    "halt": ((r"mining", "マイニング拡張計画"), (r"", "計画")),
}
_PHRASES = {
    "programme_open": "新たなATM(市場価格での株式売出し)プログラムを開始した",
    "programme_end": "{obj}を終了した",
    "lease": "データセンターのリース契約を締結した",
    "financing": "{obj}による資金調達を実施した",
    "acquisition": "{obj}を取得した",
    "halt": "{obj}を中止した",
    "construction": "データセンター棟の建設を開始した",
    "charge": "{obj}を計上した",
    "reporting_change": "報告の方法を変更した",
    "vote": "株主総会で買収案が否決された",
}


def format_date(date: str, lang: str) -> str:
    """'2025-12-30' -> '30 Dec 2025' / '2025年12月30日'; months and quarters as format_period writes them."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date):
        y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
        return f"{y}年{mo}月{d}日" if lang == "ja" else f"{d} {_MONTHS[mo - 1]} {y}"
    return format_period(date, lang)


_SHARES_OF = re.compile(r"\b(?:shares|stake|interest) (?:of|in) ([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*){0,3})")


def _obj(kind: str, clause: str) -> str:
    if kind == "acquisition" and (m := _SHARES_OF.search(clause)):
        return f"{m.group(1)}の株式"  # "all the outstanding shares of KLX Inc." -> 「KLX Inc.の株式」
    for pattern, noun in _OBJECTS.get(kind, ()):
        if re.search(pattern, clause, re.IGNORECASE):
            return noun
    return ""


def _label(metric: str) -> str:
    try:
        return term(metric, "ja")
    except KeyError:
        return ""


def _party(event: Event, keys: set[str]) -> str:
    names = {c.key: c.name for c in load_companies()}
    others = [k for k in find_companies(event.clause) if k not in keys]
    if others:
        return names.get(others[0]) or others[0]
    m = _WITH.search(event.clause)
    return m.group(1) if m else ""


def _place(clause: str) -> str:
    return next((m.group(1) for m in _PLACE.finditer(clause) if m.group(1).split()[0] not in _NOT_PLACE), "")


def _sale(event: Event) -> str:
    btc = next((f for f in event.figures if f["unit"] == "BTC"), None)
    usd = next((f for f in event.figures if f["unit"] != "BTC" and f["unit"] != "MW"), None)
    what = format_figure(btc["value"], "BTC", "ja") if btc else "ビットコイン"
    return f"{what}を{format_figure(usd['value'], usd['unit'], 'ja')}で売却した" if usd else f"{what}を売却した"


def event_ja(event: Event, keys: set[str]) -> str:
    """The event as one Japanese sentence: 「2025年12月、1,818 BTCを1億6,160万ドルで売却した。」"""
    date = format_date(event.date, "ja")
    if event.kind == "sale":
        return f"{date}、{_sale(event)}。"
    party, place = _party(event, keys), _place(event.clause)
    head = "".join([f"{place}で" if place and event.kind != "acquisition" else f"{place}の" if place else "",
                    f"{party}{'との' if event.kind == 'programme_end' else 'と'}" if party else ""])
    body = _PHRASES.get(event.kind, "{obj}").format(obj=_obj(event.kind, event.clause))
    main = _amount(event)
    extra = [f for f in event.figures if f is not main]
    if main is not None and event.kind in ("acquisition",):
        body = body.replace("を取得", f"を{format_figure(main['value'], main['unit'], 'ja')}で取得")
    elif main is not None and event.kind in ("financing", "charge", "programme_open"):
        body = f"{format_figure(main['value'], main['unit'], 'ja')}の{body}" if event.kind != "programme_open" \
            else body.replace("新たな", f"最大{format_figure(main['value'], main['unit'], 'ja')}の新たな")
    else:
        extra = event.figures
    terms = "、".join(_term(f) for f in extra)
    return f"{date}、{head}{body}" + (f"({terms})" if terms else "") + "。"


def _amount(event: Event) -> dict[str, Any] | None:
    return next((f for f in event.figures if f["unit"] not in ("BTC", "MW")), None)


def _term(f: dict[str, Any]) -> str:
    label = _label(f["metric"]) if f.get("metric") else ""
    value = format_figure(f["value"], f["unit"], "ja")
    return f"{label}{value}" if label else value
