"""What changed, as dated events: a sale, a financing, a lease signed, a programme ended, a site repurposed.

An event is a clause with an event verb and its object ("sold … BTC", "terminated … agreement"), a date (day,
month or quarter, from the sentence or the sentence before it in the same passage), and the briefed company as
its subject. Events from several documents that share kind, month and main figure are one event with several
sources; the list is ordered in time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.briefing.gather import Sentence
from rag.figures.labels import is_claim, is_rate, label_figures
from rag.figures.parse import CURRENCIES, parse_figures
from rag.query.companies import find_companies
from rag.text.lang import KANA_KANJI


@dataclass(frozen=True)
class Kind:
    """An event kind: the verbs that state it and the words its object must contain (English and Japanese)."""

    key: str
    verbs: re.Pattern[str]
    objects: re.Pattern[str]
    verbs_ja: re.Pattern[str]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Order is priority: a clause is the first kind whose verb and object it has.
KINDS: tuple[Kind, ...] = (
    Kind("sale", _rx(r"\b(?:sold|resumed selling)\b"), _rx(r"\bBTC\b|\bbitcoins?\b|\bcoins\b"), _rx(r"売却")),
    # A filing's events: a business sold, debt repaid, a restructuring, a product launched, a new chief executive.
    Kind("divestiture", _rx(r"\b(?:sold|divested|completed the (?:sale|divestiture|spin-?off)|spun off|exited)\b"),
         _rx(r"\bbusiness(?:es)?\b|subsidiar|\bunit\b|division|\boperations\b|\bstake\b|interest in|\bbrand"),
         _rx(r"(?:事業|子会社|株式).{0,10}(?:売却|譲渡)")),
    Kind("repayment", _rx(r"\b(?:repaid|redeemed|retired|paid down|extinguished)\b"),
         _rx(r"\bnotes\b|\bdebt\b|\bbonds?\b|\bloans?\b|borrowings|debentures"), _rx(r"返済|償還")),
    Kind("restructuring", _rx(r"\b(?:announced|initiated|approved|began|commenced|recorded|implemented|undertook)\b"),
         _rx(r"restructuring|reorgani[sz]ation|workforce reduction|layoffs"), _rx(r"リストラ|事業再編|構造改革")),
    Kind("launch", _rx(r"\b(?:launched|introduced|unveiled)\b"),
         _rx(r"\bprogra(?:m|mme)\b|\bproducts?\b|aircraft|platform|\bmodel\b|\bservice\b|\bbrand\b"),
         _rx(r"発売|投入|立ち上げ")),
    Kind("leadership", _rx(r"\b(?:appointed|elected|succeeded)\b"),
         _rx(r"chief executive|\bCEO\b|\bpresident\b|chief financial|\bCFO\b|chair(?:man)? of the board"),
         _rx(r"就任|任命")),
    Kind("programme_open", _rx(r"\b(?:signed|opened|entered into|launched|established)\b"),
         _rx(r"at-the-market|\bATM\b|sales agreement|equity (?:programme|program|facility)"),
         _rx(r"(?:ATM|プログラム).{0,20}(?:開設|開始|締結)")),
    Kind("programme_end", _rx(r"\b(?:terminated|ended|ending|cancell?ed|wound up)\b"),
         _rx(r"programme|program|agreement|\bATM\b|contracts?|facility|takeover|merger"),
         _rx(r"終了|打ち切|解除")),
    Kind("lease", _rx(r"\b(?:signed|announced|agreed|inked|entered into|won)\b"),
         _rx(r"\blease\b|colocation|hosting (?:contract|deal|agreement)|cloud contract|tenant"),
         _rx(r"(?:リース|契約).{0,30}(?:締結|結ん|発表)")),
    Kind("financing", _rx(r"\b(?:priced|closed|raised|issued|took|drew|completed)\b"),
         _rx(r"\bnotes\b|convertibles?|\boffering\b|\bloan\b|\bfacility\b|financing|credit line|\bbonds\b|"
             r"senior (?:unsecured )?debt"),
         _rx(r"資金調達|転換社債|借入|融資")),
    Kind("acquisition", _rx(r"\b(?:bought|acquired|purchased|agreed to (?:buy|acquire|pay))\b"),
         _rx(r"\bland\b|acres|\bsite\b|assets|stake|facility|data cent|capacity|\bMW\b|company|business|"
             r"outstanding shares|\bInc\b|\bCorp(?:oration)?\b|\bLLC\b|\bplc\b"),
         _rx(r"取得|購入|買収")),
    Kind("halt", _rx(r"\b(?:stopped|halted|paused|suspended|wound down|cancell?ed|abandoned)\b"),
         _rx(r"mining|build-?out|expansion|plan|production|operations|construction"), _rx(r"中止|停止|凍結")),
    Kind("construction", _rx(r"\b(?:began|started|begun|broke ground|commenced)\b"),
         _rx(r"construction|core-and-shell|buildings?|\bwork\b|ground|data cent"), _rx(r"着工|建設を開始")),
    Kind("charge", _rx(r"\b(?:recorded|booked|recogni[sz]ed|took|increased(?= (?:the |our |its )?(?:estimated )?"
                      r"(?:reach-forward )?(?:loss|charge|reserve)))\b"),
         _rx(r"impairment|\bloss\b|charge|write-?down"), _rx(r"減損|損失.{0,6}計上")),
    Kind("reporting_change", _rx(r"\b(?:switched|moved|changed|shifted)\b"),
         _rx(r"monthly|quarterly|reporting|segments?"), _rx(r"報告.{0,10}(?:移行|変更)")),
    Kind("vote", _rx(r"\b(?:rejected|voted)\b"), _rx(r"takeover|merger|deal|acquisition|offer|\bit\b"),
         _rx(r"否決|承認")),
)
_VERBS_ANY = _rx("|".join(k.verbs.pattern for k in KINDS))
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH = r"(?P<month>" + "|".join(_MONTHS) + r")"
_DATES = (
    _rx(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r"(?:\s+(?P<year>(?:19|20)\d{2}))?\b"),
    _rx(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>(?:19|20)\d{2})\b"),
    _rx(r"\b" + _MONTH + r"(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d{2}))?\b"),
    _rx(r"\b(?P<q>first|second|third|fourth)[- ]quarter(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d{2}))?\b"),
    re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*日)?"),
    re.compile(r"(?P<year>(?:19|20)\d{2})\s*年\s*(?:の)?\s*第\s*(?P<q>[1-4一二三四])\s*四半期"),
)
# Figures that describe the company's state, not the event: "against 463 BTC mined that month".
_NOT_EVENT_METRICS = {"bitcoin_mined", "bitcoin_holdings", "revenue", "net_income", "net_loss", "cash", "liquidity"}
# The terms of an event often follow it ("Capacity: 25 MW … Contract revenue: about $311.0 million").
RELATED = {"lease": {"contract_revenue", "critical_it_load", "power_capacity"}, "programme_end": {"atm_offering"},
           "financing": {"convertible_notes", "credit_facility", "total_debt"}}
_SCALED = _rx(r"million|billion|trillion|万|億")
_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "一": 1, "二": 2, "三": 3, "四": 4}
# A date that is not when the event happened: background ("it had signed in August 2024"), a deadline
# ("due in the first quarter of 2027"), a comparison ("since January 2024", "from the 516 BTC mined in …").
_NOT_WHEN = _rx(r"(?:\bhad (?:been )?\w+(?: \w+)?|\bsince|\bdue(?: for \w+)?|\buntil|\bthrough|\bby the end of|"
                r"\bexpect\w*(?: \w+)?|\bmined|\bcompar\w+ with|\bfrom|\bthan|\bbefore|\bafter|\blast|\bnext|"
                r"\bcompletion)\s+(?:in\s+|on\s+)?(?:the\s+)?(?:end of\s+)?$")
_NOT_WHEN_JA = re.compile(r"^\s*(?:に|まで)?\s*(?:完成|完了|予定|満期|以来|まで|比)")
_SAME_DAY = _rx(r"\b(?:the same day|that day|on the same day|同日)\b|同日")
# Not a thing that happened: negated, hypothetical, planned or somebody else's claim.
_NOT_DONE = _rx(r"\b(?:not|no|never|without|if|would|could|might|may|plans? to|expects? to|will|whether|"
                r"described|such)\b")
_NOT_DONE_TERMS = _rx(r"\b(?:plans?|would|will)\b")
_NOT_DONE_JA = re.compile(r"なかった|ていない|ない場合|予定|見込み|かねない|可能性|計画")
_OTHER_SUBJECT = _rx(r"^(?:some|several|one|other|an?|the)\s+(?:coverage|outlets?|reports?|websites?|media|"
                     r"analysts?|news|articles?|crypto)\b")


@dataclass
class Event:
    """One thing that changed the company's business: when, what kind, the figures, the sentences that say it."""

    date: str  # "2025-12-30", "2025-12" or "2025Q3"
    kind: str
    company: str
    figures: list[dict[str, Any]]  # {value, unit, metric}
    sentence: str  # the English sentence shown, trimmed to the event's clause when long
    clause: str  # the clause with the verb and object: what the Japanese rendering reads
    sources: list[Sentence] = field(default_factory=list)
    sentence_ja: str = ""  # a Japanese source sentence stating the same event, when the corpus has one
    others: int = 0  # other events stated in the shown sentence: fewer is a cleaner quote

    @property
    def month(self) -> str:
        return self.date[:7]


def _date(m: re.Match[str], year: str) -> str:
    g = m.groupdict()
    y = g.get("year") or year
    if not y:
        return ""
    if set(g) == {"year"}:  # "During 2020, …" in a filing
        return y
    if g.get("q"):
        return f"{y}Q{_QUARTERS[g['q'].lower()] if g['q'].lower() in _QUARTERS else int(g['q'])}"
    month = g["month"]
    mo = int(month) if month.isdigit() else _MONTHS.index(month.lower()) + 1
    day = f"-{int(g['day']):02d}" if g.get("day") else ""
    return f"{y}-{mo:02d}{day}"


_YEAR_ONLY = _rx(r"\b(?:in|during)\s+(?:fiscal\s+(?:year\s+)?)?(?P<year>(?:19|20)\d{2})\b(?!\s*(?:and|,|-|–)\s*(?:19|20)\d{2})")


def find_date(text: str, year: str = "", years: bool = False) -> tuple[str, int]:
    """When a sentence says its event happened ("2025-12-30", "2025-12", "2025Q3", or ""), and where it says so.

    A month without a year takes `year` (the document's); background, deadline and comparison dates are skipped.
    With `years` (a filing, which dates its notes "During 2020, …"), a year alone is a date too.
    """
    found: list[tuple[int, int, str]] = []
    for rx in (*_DATES, _YEAR_ONLY) if years else _DATES:
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e, _ in found) or m.groupdict().get("month") == "may":
                continue  # "30 December 2025" already read; not "December 2025" again; "may" is a verb
            if _NOT_WHEN.search(text[: m.start()]) or _NOT_WHEN_JA.match(text[m.end():]):
                continue
            date = _date(m, year)
            if date:
                found.append((m.start(), m.end(), date))
    if not found:
        return "", -1
    start, _, date = min(found)
    return date, start


def _clauses(text: str) -> list[tuple[Kind, int, int]]:
    """(kind, start, end) of each event clause: from a verb to the next event verb or the sentence's end."""
    verbs = [m for m in _VERBS_ANY.finditer(text)]
    out = []
    for i, m in enumerate(verbs):
        end = verbs[i + 1].start() if i + 1 < len(verbs) else len(text)
        before = text[max(0, m.start() - 20): m.start()]  # "1,818 BTC sold for …"
        if _PARTICIPLE_BEFORE.search(before) and _PARTICIPLE_AFTER.match(text, m.end()) or _DETERMINER.search(before):
            continue  # "trade names acquired in business combinations" describes a noun; nothing happened
        for kind in KINDS:
            # Each kind's own verb at this place: "agreed" (a lease's) may begin "agreed to buy" (an acquisition's).
            verb = kind.verbs.match(text, m.start())
            if verb and (kind.objects.search(text[m.start(): min(end, verb.end() + 90)]) or (
                    kind.key == "sale" and kind.objects.search(before))):
                out.append((kind, m.start(), end))
                break
    return out


_PARTICIPLE_BEFORE = re.compile(r"\b[a-z]{3,}s\s+$")
# "those divested businesses", "of acquired intangibles", "the bonds to be redeemed": an adjective or an infinitive
_DETERMINER = _rx(r"\b(?:the|those|these|its|our|their|any|such|previously|recently|from|of|with|for|on|to|be|"
                  r"being)\s+$")  # "those divested businesses"
_PARTICIPLE_AFTER = _rx(r"\s+(?:in|by|through|under|from|as|during|at)\b")


def _table_row(text: str) -> bool:
    """A statement's rows read as a sentence ("2015 2014 2013 (In millions) Cost of sales $ 2,911 …")."""
    numbers, words = len(re.findall(r"\d[\d,.]*", text)), len(re.findall(r"[A-Za-z]{2,}", text))
    return numbers >= 6 and words < 1.5 * numbers  # prose has words between its figures


def _about_company(text: str, at: int, keys: Sequence[str]) -> bool:
    """The clause's subject is the company: no other company is named before the verb unless it is too."""
    named = set(find_companies(text[:at]))
    return not named or bool(named & set(keys))


_POSSESSIVE = re.compile(r"['’]s\s+(?:\w+\s+)?$")


def _figures(sentence: str, start: int, end: int, keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    figs = []
    for fig, metric, *_ in label_figures(sentence, keep_all=True):
        before = sentence[max(start, fig.start - 30): fig.start]  # "than Riot's 1,818 BTC": another company's figure
        theirs = bool(_POSSESSIVE.search(before)) and bool(set(find_companies(before)) - set(keys))
        if start <= fig.start < end and metric not in _NOT_EVENT_METRICS and not is_rate(sentence, fig) and (
                metric or fig.unit in (*CURRENCIES, "BTC", "MW")) and not theirs:
            # An event's amount is a size: "($1,320 million)" in prose is an aside, not a negative.
            value = abs(fig.value) if fig.raw.startswith("(") else fig.value
            figs.append({"value": value, "unit": fig.unit, "metric": metric or "", "raw": fig.raw})
    return figs


def _trim(sentence: str, start: int) -> str:
    """A long sentence cut to the part holding the event: the clause of the verb between semicolons."""
    if len(sentence) <= 260:
        return sentence
    parts = [(m.start(), m.end()) for m in re.finditer(r"[^;]+;?", sentence)]
    part = next((sentence[s:e] for s, e in parts if s <= start < e), sentence)
    return part.strip().rstrip(";") + ("" if part.rstrip().endswith((".", "!", "?")) else ".")


def _ja_events(s: Sentence, year: str) -> list[tuple[str, str]]:
    """(kind, date) of the events a Japanese sentence states."""
    if _NOT_DONE_JA.search(s.text) or is_claim(s.text):
        return []
    date, _ = find_date(s.text, year)
    return [(k.key, date) for k in KINDS if k.verbs_ja.search(s.text)] if date else []


def extract_events(sentences: Sequence[Sentence], docs: dict[str, dict[str, Any]], company: str,
                   keys: Sequence[str]) -> list[Event]:
    """Every event the sentences state about the company, one per clause, before merging."""
    out: list[Event] = []
    previous: tuple[str, str, int] = ("", "", 0)  # (chunk id, date, index) of the last dated sentence
    for i, s in enumerate(sentences):
        doc = docs.get(s.hit.doc_name, {})
        year, filing = str(doc.get("period", ""))[:4], doc_rank(doc) == 0
        date, _ = find_date(s.text, year, years=filing)
        # An undated sentence right after a dated one in the same passage ("The same day Riot signed …") is dated.
        near = previous[0] == s.hit.chunk_id and (i - previous[2] <= 2 or _SAME_DAY.search(s.text))
        if date:
            previous = (s.hit.chunk_id, date, i)
        date = date or (previous[1] if near else "")
        if s.lang == "ja" or _OTHER_SUBJECT.match(s.text) or not date or _table_row(s.text):
            continue
        clauses = _clauses(s.text)
        for kind, start, end in clauses:
            lead = s.text[max(0, start - 60): start]
            if _NOT_DONE.search(lead.split(",")[-1]) or not _about_company(s.text, start, keys) or \
                    is_claim(s.text[: _clause_end(s.text, start)]):
                continue
            for when, a, b in _dated_parts(s.text, start, end, date, year):
                scaled = _in_scale(_figures(s.text, a, b, keys), s.hit.text, filing)
                if scaled is None:
                    continue  # "$203" in a filing's note is $203 million: unscaled it would read as $203
                event = Event(when, kind.key, company, _distinct(scaled), _trim(s.text, start),
                              s.text[start:end].strip(" ,;."), [s], others=len(clauses) - 1)
                _add_terms(event, sentences[i + 1: i + 6], kind.key)
                out.append(event)
    return out


_PASSAGE_SCALE = _rx(r"\bin (thousands|millions|billions)\b")
_SCALE_OF = {"thousands": 1e3, "millions": 1e6, "billions": 1e9}


def _in_scale(figures: list[dict[str, Any]], passage: str, filing: bool) -> list[dict[str, Any]] | None:
    """A filing's amounts in dollars: one written without a scale word ("$203" in a note of a filing in millions)
    takes the scale its passage declares; None when it declares none or several — a wrong figure is worse than
    none, so the event is left out."""
    bare = [f for f in figures if filing and f["unit"] in CURRENCIES and not _SCALED.search(f.get("raw", ""))
            and abs(f["value"]) >= 1 and not re.search(r"\.\d\d$", f.get("raw", ""))]
    if not bare:
        return figures
    declared = {_SCALE_OF[m.group(1).lower()] for m in _PASSAGE_SCALE.finditer(passage)}
    if len(declared) != 1:
        return None
    scale = declared.pop()
    return [{**f, "value": f["value"] * scale} if any(f is b for b in bare) else f for f in figures]


_COORDINATED = _rx(r",?\s+and\s+(?=(?:about\s+|roughly\s+|some\s+)?[$€£¥]?\d)")  # "… in September and 577 BTC …"
_NEXT_CLAUSE = _rx(r";|,\s+(?:and|but|while|whereas)\s+|\s+but\s+")


def _clause_end(text: str, start: int) -> int:
    """Where the coordinated clause holding `start` ends: a claim marker after it ("…, and planned to sell the rest
    (weak source)") is about the next clause, one before it ("Some outlets reported that …") about this one too."""
    m = _NEXT_CLAUSE.search(text, start)
    return m.start() if m else len(text)


def _dated_parts(text: str, start: int, end: int, date: str, year: str) -> list[tuple[str, int, int]]:
    """(date, start, end) of each event a clause states: one verb with coordinated objects each dated on its own
    ("sold 445 BTC … in September 2025 and 577 BTC … in December 2025") is one event per object."""
    cuts = [start, *(m.start() for m in _COORDINATED.finditer(text, start, end)), end]
    parts = list(zip(cuts, cuts[1:]))
    dates = [find_date(text[a:b], year)[0] for a, b in parts]
    if len(parts) < 2 or sum(bool(d) for d in dates) < 2:
        return [(date, start, end)]
    return [(d or date, a, b) for d, (a, b) in zip(dates, parts)]


def _add_terms(event: Event, following: Sequence[Sentence], kind: str) -> None:
    """Figures of the event's terms from the sentences after it in the same passage, and those sentences."""
    wanted = RELATED.get(kind, set())
    added = []
    for s in following:
        if s.hit.chunk_id != event.sources[0].hit.chunk_id or s.lang == "ja" or _clauses(s.text):
            break  # another event, or another passage
        if _NOT_DONE_TERMS.search(s.text):
            continue
        figs = [{"value": f.value, "unit": f.unit, "metric": m, "raw": f.raw}
                for f, m, *_ in label_figures(s.text) if m in wanted and m not in {x["metric"] for x in event.figures}]
        figs = [f for f in figs if not any(_same_value(f, g) for g in event.figures)]
        if figs and not is_claim(s.text):
            event.figures += _distinct(figs)
            added.append(s.text)
    if added:
        event.sentence = " ".join([event.sentence, *added])
        event.clause = " ".join([event.clause, *added])


def _distinct(figs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One of each value: "$600,533,914.83, or about $600.53 million" is one figure."""
    out: list[dict[str, Any]] = []
    for f in sorted(figs, key=lambda f: not _SCALED.search(f.get("raw", ""))):  # "$600.53 million" over its digits
        if not any(_same_value(f, g) for g in out):
            out.append(f)
    return sorted(out, key=figs.index)


def _main(e: Event) -> dict[str, Any] | None:
    order = [f for f in e.figures if f["unit"] in CURRENCIES] + [f for f in e.figures if f["unit"] not in CURRENCIES]
    return order[0] if order else None


def _same_value(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["unit"] == b["unit"] and abs(a["value"] - b["value"]) <= 0.006 * max(abs(a["value"]), abs(b["value"]))


def _same_time(a: str, b: str) -> bool:
    """Dates that can be the same event: the same month, or a month inside a quarter."""
    if a[:7] == b[:7]:
        return True
    qa, qb = re.fullmatch(r"(\d{4})Q([1-4])", a), re.fullmatch(r"(\d{4})Q([1-4])", b)
    if qa and qb:
        return False
    q, m = (qa, b) if qa else (qb, a) if qb else (None, "")
    mm = re.match(r"(\d{4})-(\d{2})", m)
    return bool(q and mm and q.group(1) == mm.group(1) and (int(mm.group(2)) - 1) // 3 + 1 == int(q.group(2)))


def _same_event(a: Event, b: Event) -> bool:
    if a.kind != b.kind or not _same_time(a.date, b.date):
        return False
    ma, mb = _main(a), _main(b)
    if ma and mb:
        return any(_same_value(x, y) for x in a.figures for y in b.figures)
    return True


_RANK = {"10k": 0, "10q": 0, "8k": 0, "filing": 0, "filing-summary": 0, "annual-report": 0, "earnings": 1,
         "press": 1, "press-summary": 1, "note": 2, "news": 3}


def doc_rank(doc: dict[str, Any]) -> int:
    """0 for a filing, 1 for a company release, 2 for a note, 3 for news: lower is closer to the source."""
    return _RANK.get(str(doc.get("doc_type", "")).lower(), 2)


def _date_key(date: str) -> tuple[int, int, int]:
    y = int(date[:4])
    if q := re.fullmatch(r"\d{4}Q([1-4])", date):
        return y, 3 * int(q.group(1)), 99
    return y, int(date[5:7] or 0), int(date[8:10] or 0)


def merge_events(events: list[Event], docs: dict[str, dict[str, Any]]) -> list[Event]:
    """One event per (kind, month, main figure), its sources pooled and its best sentence shown; oldest first."""
    merged: list[Event] = []
    for e in events:
        twin = next((m for m in merged if _same_event(m, e)), None)
        if twin is None:
            merged.append(e)
            continue
        if all(s.hit.doc_name != e.sources[0].hit.doc_name for s in twin.sources):
            twin.sources.extend(e.sources)
        if len(e.date) > len(twin.date) and e.date.startswith(twin.date[:7]):
            twin.date = e.date  # the day, when one source gives it
        better = (e.others, not e.figures, doc_rank(docs.get(e.sources[0].hit.doc_name, {})), len(e.sentence))
        shown = next(s for s in twin.sources if s.text.startswith(twin.sentence[:20]) or twin.sentence in s.text)
        current = (twin.others, not twin.figures, doc_rank(docs.get(shown.hit.doc_name, {})), len(twin.sentence))
        if better < current:
            twin.sentence, twin.clause, twin.others = e.sentence, e.clause, e.others
            twin.figures = e.figures + [f for f in twin.figures if not any(_same_value(f, g) for g in e.figures)]
        else:
            twin.figures += [f for f in e.figures if not any(_same_value(f, g) for g in twin.figures)]
    return sorted(merged, key=lambda e: _date_key(e.date))


def attach_japanese(events: list[Event], sentences: Sequence[Sentence], docs: dict[str, dict[str, Any]]) -> None:
    """Give each event the Japanese source sentence that states it (same kind and month, its main figure)."""
    for s in sentences:
        if s.lang != "ja" or not KANA_KANJI.search(s.text):
            continue
        year = str(docs.get(s.hit.doc_name, {}).get("period", ""))[:4]
        figs = [{"value": f.value, "unit": f.unit} for f in parse_figures(s.text) if f.unit]
        for kind, date in _ja_events(s, year):
            for e in events:
                main = _main(e)
                if e.kind == kind and _same_time(e.date, date) and not e.sentence_ja and (
                        main is None or any(_same_value(main, f) for f in figs)):
                    e.sentence_ja = s.text
                    if all(x.hit.doc_name != s.hit.doc_name for x in e.sources):
                        e.sources.append(s)


def find_events(sentences: Sequence[Sentence], docs: dict[str, dict[str, Any]], company: str,
                keys: Sequence[str]) -> list[Event]:
    """The company's dated events from its documents' sentences, merged across documents and ordered in time."""
    events = merge_events(extract_events(sentences, docs, company, keys), docs)
    attach_japanese(events, sentences, docs)
    return events
