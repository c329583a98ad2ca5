"""What kind of answer a question wants: reasons, risks, a figure, names, a comparison, a use of money.

Each kind the question asks for is an aspect a quote can cover; an extra quote is kept only when it covers an
aspect the quotes before it left open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answers.kinds import asked_kinds, figure_kinds
from rag.answers.measures import ITEM_WORDS
from rag.figures.labels import RULES
from rag.query.vocabulary import read_terms
from rag.text.months import MONTHS, MONTHS_LOWER


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_MONTHS = "(?:" + "|".join(MONTHS) + ")"

# (cue, what in the question asks for it, what in a sentence answers it)
_CUES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("why", _rx(r"\bwhy\b|\breasons?\b|\bwhat for\b|\bmotive|なぜ|理由|どうして|何のため|狙い|目的"),
     _rx(r"\bbecause\b|\bdue to\b|\bin order to\b|\bso that\b|\bto (?:fund|pay|finance|limit|cover|avoid|reduce|study|assess|evaluate|explore)\b|"
         r"\b(?:mainly|chiefly|largely|mostly|partly|primarily) (?:to|for|because)\b|"
         r"\bgives? (?:\w+ ){0,3}(?:control|access|the right|the option|room)\b|\b(?:allows?|lets|enables?) (?:it|them|the)\b|"
         r"\bdriven by\b|\breasons?\b|[,:;]\s*so\s+(?:the|it|they|its|their|that)\b|\bpaying for\b(?!\s+(?:it|them|this|that|the \w+)\s+(?:by|with|through)\b)|\b(?:to )?emphasi[sz](?:e|ing)\b|\baim|\bway to\b|\bmatched\b|"
         r"\bintention\b|\bintend(?:s|ed)? to\b|\bpurpose\b|\bgoal\b|\bso as to\b|\bwith a view to\b|"
         r"\bas (?:they|it|we|he|she|the (?:company|firm|group)|miners|companies)\s+(?:\w+\s+)?(?:fund|need|pay|financ|"
         r"seek|tr[yi]|fac|spend|build|want|expect|lack)\w*|\bsince (?:they|it)\b|\bas a result of\b|\bthanks to\b|"
         r"ため|理由|狙い|目的|よって|により|ので|から(?:だ|です)|足がかり")),
    ("use", _rx(r"\b(?:do|did|does|done)\s+with\s+(?:the\s+)?(?:money|cash|proceeds|funds)|\buse[sd]? of (?:the )?"
                r"(?:money|cash|proceeds|funds)|\bspen[dt]\b|\bwhere (?:the|did) (?:money|cash)|\bfund(?:ed|ing)? (?:it|the)\b|"
                r"資金を何に|何に使|使途|使い道|充て|どう使"),
     _rx(r"\bproceeds (?:went|were used|will|to)\b|\bcapital expenditure|\bcapex\b|\bpay(?:ing|s)? for\b|\bpaid for\b|\bto fund\b|\bfunded\b|"
         r"\bspen[dt]\b|\bused (?:to|for)\b|\bintended uses?\b|\bmatched\b|\bbuild[- ]?outs?\b|\bspringboard\b|"
         r"\bwhere the money\b|充て|資金|設備投資|使途|足がかり|賄")),
    # "How is Riot paying for …", "How was the purchase funded?": the means, not the thing paid for.
    ("means", _rx(r"\bhow\s+(?:is|are|was|were|did|does|do|will|has|have|can|could)\b[^?]{0,60}?\b(?:pay(?:ing)?|paid|"
                  r"fund(?:ing|ed)?|financ(?:e|ing|ed)|afford)\b|財源|資金源|どう(?:やって)?賄"),
     _rx(r"\b(?:paid|pays?|paying) for\b[^.;]{0,40}?\b(?:with|by|through|from)\b|\bfund(?:ed|ing|s)?\b[^.;]{0,40}?\b(?:by|with|through|from)\b|"
         r"\bfinanc(?:ed|ing|es)\b[^.;]{0,40}?\b(?:by|with|through|from)\b|\bby (?:selling|issuing|borrowing|raising)\b|"
         r"\ba mix of\b|\bproceeds of\b|\bat-the-market\b|\bconvertible notes\b|\bborrow\w*|賄|財源|資金源|売却して|調達し")),
    # "Which figure is reliable?", "Should a reader rely on …?", "Why treat it with caution?": how far a figure or
    # claim can be trusted, which a sentence on its source or its checking answers.
    ("reliable", _rx(r"\breliab|\brely\b|\btrust|\baccura|\bcredib|\bcaution|\bverif|\bwrong\b|\berror|"
                     r"\b(?:is|are|was|were)\b[^?]*\b(?:right|correct)\s*\?|"
                     r"信頼|正確|誤り|信用|慎重"),
     _rx(r"\bunverified\b|\bnot (?:been )?(?:verified|confirmed)\b|\bweak sources?\b|\bAI-generated\b|\baggregator|"
         r"\b(?:most |very )?likely (?:an? )?(?:error|mistake|wrong)|\berror\b|\bmistaken?\b|\broundings?\b|"
         r"\bshould not be (?:quoted|relied|trusted)|\bwith caution\b|\bconfirmed by\b|\ball (?:give|report|show)\b|"
         r"\breliab|\bsecondary (?:sources?|websites?)|未確認|誤り|信頼性|裏付け")),
    # "What condition is the contract subject to?", "What does the deal depend on?"
    ("condition", _rx(r"\bconditions?\b|\bsubject to\b|\bdepends?\b|\bcontingent\b|\bprovisos?\b|条件|前提"),
     _rx(r"\bdepends? on\b|\bdependent on\b|\bsubject to\b|\bconditional\b|\bcontingent\b|\bprovided that\b|"
         r"\bon condition\b|\bunless\b|\bmilestones?\b|条件|前提")),
    ("risk", _rx(r"\brisks?\b|\bdanger|\bthreat|\bwhat could go wrong|\bexposure\b|\bconcern|リスク|懸念|危険|不安"),
     _rx(r"\brisks?\b|\bidle\b|\bcould\b|\bmay\b|\bmight\b|\bdepend|\buncertain|\bexposed\b|\bdilut|"
         r"\bwithout (?:a |an |any )?(?:\w+ )?(?:tenants?|leases?|contracts?)\b|リスク|可能性|恐れ|遊休|懸念")),
    ("who", _rx(r"\bwho\b|\bwhom\b|\bwhich (?:companies|firms|miners|tenants|customers|peers|other)\b|\bwith whom\b|"
                r"誰|どの企業|どの会社|どこと|相手"),
     # a name is capitalised: (?-i:…) keeps the case the pattern's IGNORECASE would drop
     _rx(r"\b(?:with|to|by|from)\s+(?-i:[A-Z][\w&.-]+)|(?-i:(?!MONTH\b)[A-Z][a-z]+ (?!MONTH\b)[A-Z][a-z]+)|"
         r"と(?:の)?[^。]{0,20}契約|社".replace("MONTH", _MONTHS))),
    ("compare", _rx(r"\bcompare|\bcompared?\b|\bversus\b|\bvs\.?\b|\bthan\b|\bdiffer|比べ|比較|違い|上回|下回"),
     _rx(r"\bthan\b|\bcompared\b|\bversus\b|\bagainst\b|\bup \d|\bdown \d|\bfrom\b.*\bto\b|比べ|比較|上回|下回|増|減")),
)


# "When did …", "Before X, when had …", 「いつ」: asks for a time. A subordinate "when" ("left unused when Riot
# terminated …") does not.
_WHEN_ASKS = _rx(r"^\W*when\b|(?:,|\band|\bor)\s+when\b|\bwhen\s+(?:did|was|were|had|has|is|will|does|do|are)\b|"
                 r"\bwhat (?:date|year|month|time)\b|いつ|何月|何日|何年|時期")
_MONTH_NAMES = MONTHS_LOWER
# A date or period a sentence states: "16 January 2026", "January 2024", "2024", 「2026年1月」.
_DATE = re.compile(r"\b(?P<m>" + "|".join(_MONTH_NAMES) + r")(?:\s+\d{1,2})?,?\s+(?P<y>(?:19|20)\d\d)\b|"
                   r"(?P<jy>(?:19|20)\d\d)\s*年\s*(?:(?P<jm>1[0-2]|[1-9])\s*月)?|\b(?P<year>(?:19|20)\d\d)\b",
                   re.IGNORECASE)


def dates_in(text: str) -> frozenset[str]:
    """The dates a text states, as 'YYYY' or 'YYYY-MM' ("January 2024" -> '2024-01', 「2026年1月」 -> '2026-01')."""
    out = set()
    for m in _DATE.finditer(text):
        if m["m"]:
            out.add(f"{m['y']}-{_MONTH_NAMES.index(m['m'].lower()) + 1:02d}")
        elif m["jy"]:
            out.add(f"{m['jy']}-{int(m['jm']):02d}" if m["jm"] else m["jy"])
        else:
            out.add(m["year"])
    return frozenset(out)


# Measures the figure-labelling rules do not label, named in questions about companies: a sentence that does not
# name the measure does not state it ("What dividend did Riot pay?" is not answered by Riot's revenue).
_MEASURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("compensation", _rx(r"\bcompensation\b|\bsalar(?:y|ies)\b|\bpay package|報酬|給与")),
    ("dividend", _rx(r"\bdividends?\b|配当")),
    ("interest rate", _rx(r"\binterest(?: rate)?\b|\bcoupon\b|\bSOFR\b|金利|利率|利息")),
    ("employees", _rx(r"\bemployees?\b|\bheadcount\b|\bworkforce\b|従業員|社員数")),
    ("hashrate", _rx(r"\bhash ?rate\b|\b[EP]H/s\b|\bexahash|ハッシュレート")),
    ("construction cost", _rx(r"\b(?:construction|build(?:ing|-out)?) costs?\b|\bcost to build\b|建設費|建設コスト")),
    ("electricity used", _rx(r"\bMWh\b|\belectricity (?:use|usage|consum)|電力(?:消費|使用)量")),
)

# Statement line items the figure rules do not label either ("What was Nike's operating income?" is not answered by
# its revenue): the facts catalogue's wording, English and Japanese.
_STATEMENT_ITEMS = ("operating_income", "cost_of_revenue", "sga", "rnd", "eps_diluted", "total_assets",
                    "current_assets", "current_liabilities", "total_liabilities", "shareholders_equity", "inventory",
                    "accounts_receivable", "accounts_payable", "depreciation_amortization", "pretax_income", "ppe_net")
_MEASURES += tuple((key.replace("_", " "), re.compile(f"(?<!net )(?:{en})|{ja}", re.IGNORECASE))
                   for key, en, ja in ITEM_WORDS if key in _STATEMENT_ITEMS)


# A question asks "how many did it mine / produce / hold"; the figure rules know the statement's form ("mined").
_PAST = {"mine": "mined", "produce": "produced", "hold": "held", "earn": "earned"}
_BASE_VERB = re.compile(r"\b(" + "|".join(_PAST) + r")\b", re.IGNORECASE)
# Parts of a question joined: "revenue and net loss", 「規模、期間」, 「ライオットとAMD」.
_MANY_PARTS = re.compile(r"\b(?:and|or|versus|vs)\b|[,、と＆&や]|及び|および", re.IGNORECASE)


# The focus of a Japanese question: the noun before は + a question word (「…の売上高はいくらか」) is the measure
# asked for; the other nouns (「2025年12月の売却後の…」) set the scene.
_JA_FOCUS = re.compile(r"([^\s、。はがをにでの「」()()]{2,})は(?:いくら|何|どれ|どの|どう)")


# A Japanese measure word followed by one of these names another measure: 「採掘コスト」 is a cost, not production.
_MODIFIES = re.compile(r"\s*(?:コスト|費用|原価|単価|効率|能力)")


# A focus that only says "the amount" (「売却の金額は」) leaves the measure to the words before it.
_GENERIC_FOCUS = re.compile(r"(?:総|合計|累計)?(?:金額|額|数|量|規模|価値|値|価格|比率|割合)")


def _only_modifying(words: re.Pattern[str], question: str) -> bool:
    found = list(words.finditer(question))
    return bool(found) and all(_MODIFIES.match(question, m.end()) for m in found)


def _named_metrics(text: str) -> dict[str, re.Pattern[str]]:
    text = _BASE_VERB.sub(lambda m: f"{m.group(1)} {_PAST[m.group(1).lower()]}", text)
    return {r.key: r.words for r in RULES if r.words is not None and r.words.search(text)}


def asked_metrics(question: str) -> dict[str, re.Pattern[str]]:
    """The metrics a question names (glossary key -> the words that state it), by the figure-labelling rules.

    A Japanese question's focus noun (see _JA_FOCUS), when it names a metric, is the one asked for; when it names
    a kind of figure but no metric, nothing else the question names is. A measure word that only qualifies
    another (「採掘コスト」) names nothing asked.
    """
    focus = [m.group(1) for m in _JA_FOCUS.finditer(question)]
    if focus and (named := _unqualified_metrics(" ".join(focus))):
        return named
    if focus and asked_kinds(" ".join(focus)) and not all(_GENERIC_FOCUS.fullmatch(f) for f in focus):
        return {}  # 「契約の解消で計上した損失はいくらか」 asks the loss, a measure no rule labels, not the contract
    return _unqualified_metrics(question)


def _unqualified_metrics(text: str) -> dict[str, re.Pattern[str]]:
    return {key: words for key, words in _named_metrics(text).items() if not _only_modifying(words, text)}


def focus_words(question: str) -> re.Pattern[str] | None:
    """The English words for a Japanese question's focus noun (「…で計上した損失はいくらか」: loss, losses …), by
    its head: the shortest ending of the noun the vocabulary knows. None when there is none."""
    for focus in (m.group(1) for m in _JA_FOCUS.finditer(question)):
        for i in range(len(focus) - 2, -1, -1):
            english = read_terms(focus[i:], "ja").expansions
            if english:
                return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in english) + r")\b", re.IGNORECASE)
    return None


def single_part(question: str) -> bool:
    """Whether a question asks one thing (no "and", no list): then each measure it names is the one asked for."""
    return not _MANY_PARTS.search(question)


# Where a question asking several things divides: "How large was it, and what did it replace?", 「価格と、…量は?」,
# 「…拡張でき、…始まったか」, 「交換比率と1株あたりの価値」 (と between two nouns, not とのor と比べ).
_PART_BREAK = re.compile(r",\s*(?:and|or|but|plus)\s+|;\s*|\s+and\s+(?=(?:how|what|when|where|who|whom|why|"
                         r"which|at what|for what|in what|with whom)\b)|及び|および|"
                         r"(?<=[0-9A-Za-z\u4e00-\u9fff\u30a1-\u30fa\u30fc])と(?:、|(?=[0-9\u4e00-\u9fff\u30a1-\u30fa])(?!比))|、",
                         re.IGNORECASE)


# A Japanese clause before 、 asks something only with a question word or a listing form (…し、 …でき、 …は、);
# otherwise it sets the scene (記事によると、 2025年12月時点で、) and belongs to the part after it.
_JA_ASKS = re.compile(r"何|いくら|どう|どこ|いつ|なぜ|誰|どれ|どの|どちら|(?:し|でき|は|か)$")


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things, each of which needs an answer ([] for one part)."""
    parts: list[str] = []
    carry = ""
    pos = 0
    for m in [*_PART_BREAK.finditer(question), None]:
        piece = carry + question[pos: m.start() if m else len(question)].strip(" ,、?？")
        carry = ""
        if m is not None:
            pos = m.end()
            if m.group() == "、" and not _JA_ASKS.search(piece):
                carry = piece + "、"
                continue
        parts.append(piece)
    parts = [p for p in parts if len(p) >= 4]
    return parts if len(parts) > 1 else []


# "the size and commission of the new ATM", "operating and financing cash flows": two things asked, each of which
# needs its own quote.
_CONJOINED = re.compile(r"\b([a-z][a-z-]{3,})\s+and\s+([a-z][a-z-]{3,})\b")


def conjoined_words(question: str) -> list[str]:
    """The words a question joins with "and" (both content words of the question, see `words`), in order."""
    return [w for m in _CONJOINED.finditer(question.lower()) for w in m.groups()]


def asked_measures(question: str) -> dict[str, re.Pattern[str]]:
    """The measures a question names that no figure rule labels (dividends, pay, interest rates, head count,
    hashrate …), name -> the words that state it."""
    return {name: words for name, words in _MEASURES if words.search(question)}


# "What are the main terms of the lease?", "What were the headline figures …": a question asking for the items of
# a list, which a section of a note under that heading gives one per line.
_LISTING = re.compile(r"^\W*what\s+(?:are|were)\s+(?:the\s+)?(?:(?:main|key|principal|basic|headline|chief|most "
                      r"important)\s+)?([a-z]+s)\s+(?:of|for|in|on)\b", re.IGNORECASE)


def listed_items(question: str) -> str:
    """The plural noun a question asks the items of ("What are the main terms of …": terms; "" for none)."""
    m = _LISTING.search(question)
    return m.group(1).lower() if m else ""


# "Which miners' contracts does Google backstop?", "Which companies …": the answer names every one that fits.
_WHICH_MANY = re.compile(r"\bwhich\s+(?:other\s+)?(?:companies|firms|miners|peers|groups|operators|tenants|"
                         r"customers|businesses)\b", re.IGNORECASE)


def asks_which_many(question: str) -> str:
    """The plural noun of a question asking which companies fit a description ("Which miners …": miners; "")."""
    m = _WHICH_MANY.search(question)
    return m.group(0).split()[-1].lower() if m else ""


@dataclass(frozen=True)
class Wants:
    """The aspects of an answer a question asks for: cues ('why', 'use', 'risk', 'who', 'compare',
    'when') and figure kinds ('currency', 'percent', 'count'); the dates the question gives."""

    cues: frozenset[str]
    kinds: frozenset[str]
    dates: frozenset[str] = frozenset()

    def aspects(self, text: str) -> set[str]:
        """The aspects a sentence covers. A "when" question is answered by a date the question does not already
        give ("Before its April 2025 sale, when …" is not answered by April 2025)."""
        found = {cue for cue, _, answers in _CUES if cue in self.cues and answers.search(text)}
        if "when" in self.cues and dates_in(text) - self.dates:
            found.add("when")
        return found | {f"kind:{k}" for k in self.kinds & figure_kinds(text)}

    @property
    def all(self) -> set[str]:
        return set(self.cues) | {f"kind:{k}" for k in self.kinds}


def question_wants(question: str) -> Wants:
    """The cues and figure kinds a question asks for, and the dates it gives."""
    cues = {cue for cue, asks, _ in _CUES if asks.search(question)} | ({"when"} if _WHEN_ASKS.search(question) else set())
    return Wants(frozenset(cues), frozenset(asked_kinds(question)), dates_in(question))
