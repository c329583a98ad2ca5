"""What each filing section looks like: its labels, its titles and headings, its table rows, its prose cues.

The vocabulary that `page_sections` reads pages with, and the tests of one line against it.
Matching is done on "squashed" lines (lower case, letters and digits only), which also
absorbs the spaces PDF extraction puts inside words ("Busines s.", "Propertie s.").
"""

from __future__ import annotations

import re

from rag.text.normalize import squash

# The shared vocabulary of section / question intents (query.py imports it).
INTENTS: tuple[str, ...] = (
    "income_statement",
    "balance_sheet",
    "cash_flow",
    "equity_statement",
    "comprehensive_income",
    "segments",
    "revenue",
    "risk_factors",
    "mdna",
    "liquidity",
    "repurchases",
    "dividends",
    "employees",
    "debt",
    "guidance",
    "accounting_policies",
    "tax",
    "legal",
    "business",
    "properties",
    "market_risk",
    "eps",
    "goodwill",
    "leases",
    "pension",
    "stock_comp",
    "acquisitions",
    "non_gaap",
    "auditor",
    "controls",
    "governance",
)

STATEMENTS = ("income_statement", "balance_sheet", "cash_flow", "equity_statement", "comprehensive_income")

# Sections that run over many pages after their heading (10-K items and their equivalents).
CARRIED = ("business", "risk_factors", "mdna", "market_risk")

# Sections a financial statement (or the auditor's report, controls, governance) brings to an end.
ENDS_CARRY = frozenset(STATEMENTS) | {"auditor", "controls", "governance"}

_CONS = r"(?:condensed)?(?:consolidated|combined)?(?:condensed)?(?:interim)?"
_OF = r"statements?of(?:consolidated|combined)?"
# Optional lead-in before a title: "3M Company and Subsidiaries", "Item 8.", "Note 12", "PART II".
_LEAD = (
    r"^(?:[a-z0-9]{1,40}?(?:inc|incorporated|company|companies|corporation|corp|subsidiaries|plc|ltd|llc|co|group))?"
    r"(?:part[iv]{1,4})?(?:item\d{1,2}[a-d]?)?(?:note)?(?:\d{1,2}[a-z]?)?"
)

# Statement titles: search allowed anywhere after the lead-in, strongest evidence.
_STATEMENT_TITLES = {
    "income_statement": (
        _CONS + _OF + r"(?:operations|income|earnings|netincome|netearnings|incomeloss|lossincome|netincomeloss"
        r"|netloss|profitorloss|profitandloss)(?!tax)"
        r"|" + _CONS + r"(?:income|earnings)statements?"
    ),
    "balance_sheet": _CONS + r"(?:balancesheets?|" + _OF + r"(?:financialposition|financialcondition|condition))",
    "cash_flow": _CONS + r"(?:" + _OF + r"cashflows?|cashflows?statements?)",
    "equity_statement": (
        _CONS + _OF + r"(?:changesin)?(?:total)?(?:stockholders?|shareholders?|shareowners?|members)?s?(?:equity|deficit)"
        r"|" + _CONS + r"(?:stockholders|shareholders|shareowners)equitystatements?"
    ),
    "comprehensive_income": (
        _CONS + _OF + r"comprehensive(?:income|loss|earnings)|" + _CONS + r"comprehensive(?:income|earnings)statements?"
    ),
}

# Distinctive section headings: may sit anywhere in a short heading line.
_SECTION_SEARCH = {
    "risk_factors": r"riskfactors|risksrelatedto|risksrelating|risksassociatedwith",
    "mdna": r"managementsdiscussionandanalysis|managementdiscussionandanalysis|discussionandanalysisoffinancial",
    "liquidity": (
        r"liquidityandcapitalresources|liquidityandfinancialcondition|financialconditionandliquidity"
        r"|sourcesandusesofcash|liquidityandcashflows?|capitalresourcesandliquidity|liquidityriskmanagement"
    ),
    "repurchases": (
        r"issuerpurchasesofequitysecurities|purchasesofequitysecuritiesby|(?:share|stock)repurchaseprogram"
        r"|(?:share|stock)buybackprogram|repurchasesofequitysecurities"
    ),
    "segments": (
        r"segmentinformation|reportablesegments?|segmentreporting|segmentresults|businesssegments?"
        r"|operatingsegments?|segmentdata|geographicinformation|informationbysegment|resultsbysegment"
        r"|performancebybusinesssegment|segmentperformance|bysegment$"
    ),
    "employees": r"humancapital",
    "accounting_policies": (
        r"significantaccountingpolicies|criticalaccounting(?:policies|estimates)|basisofpresentation"
        r"|accountingpronouncements|accountingstandards|useofestimates|principlesofconsolidation"
        r"|revenuerecognition|accountingpolicies"
    ),
    "legal": r"legalproceedings|commitmentsandcontingencies|legalmatters|litigation(?!reform)",
    "market_risk": r"quantitativeandqualitativedisclosures?aboutmarketrisk|disclosuresaboutmarketrisk",
    "revenue": r"disaggregationofrevenues?|revenuefromcontractswithcustomers|revenuesfromcontractswithcustomers",
    "guidance": r"^(?:fullyear|fiscal|year|fy|\d{4}|financial|business|annual|updated|company|quarterly|our)*(?:outlook|guidance)",
    "pension": r"pension|postretirement|retirementplans|retirementbenefits|employeebenefitplans",
    "stock_comp": r"stockbasedcompensation|sharebasedcompensation|equitycompensation|stockcompensation|stockincentive",
    "non_gaap": r"nongaap|reconciliationofgaap",
    "auditor": r"reportofindependentregisteredpublicaccountingfirm|independentauditorsreport|reportofindependentauditors",
    "controls": r"controlsandprocedures|internalcontroloverfinancialreporting",
    "governance": (
        r"executivecompensation|directorsexecutiveofficers|corporategovernance|securityownershipofcertain"
        r"|principalaccount\w*feesandservices|certainrelationshipsandrelatedtransactions"
    ),
}

# Generic headings: the whole line must be the heading (after the lead-in), e.g. "Note 9. Debt".
_SECTION_EXACT = {
    "mdna": r"mda|resultsofoperations|consolidatedresultsofoperations",
    "liquidity": r"liquidity|capitalresources|cashflows?|liquidityandcapital",
    "segments": r"segments?|segmentsummary",
    "dividends": r"dividends?|dividendpolicy|cashdividends|dividendsdeclared|dividendsandsharerepurchases",
    "repurchases": r"(?:share|stock)repurchases?|repurchasesof(?:common)?(?:stock|shares)|sharebuybacks?|treasurystock",
    "employees": r"(?:our)?employees|ourpeople|workforce|peopleandculture|employeesandhumancapital",
    "debt": (
        r"(?:longterm|shortterm|total)?(?:debt|borrowings|indebtedness)"
        r"(?:and(?:other)?(?:financing|credit|borrowing|lease|capital|commercialpaper)\w*)?"
        r"|creditfacilit(?:y|ies)|creditagreements?|notespayable|financingarrangements|commercialpaper"
        r"|(?:convertible)?seniornotes|convertiblenotes"
    ),
    "revenue": r"revenues?|netsales|netrevenues?|revenuesbygeography|salesbyproduct",
    "tax": r"(?:provisionfor)?(?:income)?tax(?:es)?|incometaxexpense|incometaxprovision|effectivetaxrate|taxmatters",
    "legal": r"contingencies|legalandregulatory\w*",
    "business": r"item1business|business",
    "properties": r"(?:item2)?properties",
    "market_risk": r"marketrisk|interestraterisk|foreigncurrency(?:exchange)?(?:rate)?risk|commoditypricerisk",
    "eps": r"(?:net)?(?:income|earnings|loss)(?:loss)?per(?:common)?share|earningspershare|netincomepershare",
    "goodwill": r"goodwill|goodwilland(?:other)?intangible(?:asset)?s(?:net)?|(?:other)?intangibleassets",
    "leases": r"leases|leasecommitments|operatingleases|leasing|leaseobligations",
    "acquisitions": r"acquisitions?|acquisitionsanddivestitures|businesscombinations?|divestitures|mergersandacquisitions",
}

# Characteristic table row labels, matched at the start of a row (a line ending in a figure).
_ROWS = {
    "income_statement": (
        r"totalrevenues?|totalnetsales|netsales|netrevenues?|totalnetrevenues?|costof(?:sales|revenues?|goodssold|productssold)"
        r"|grossprofit|grossmargin|operatingincome|incomefromoperations|operating(?:loss|profit)"
        r"|(?:income|earnings|loss)(?:loss)?beforeincometaxes|(?:provisionfor|benefitfrom)incometaxes"
        r"|netincome|netearnings|netloss|(?:basic|diluted)(?:netincome|netearnings|earnings|net)?(?:loss)?per"
        r"|(?:basic|diluted)$|weightedaverage(?:common)?shares|researchanddevelopment|sellinggeneralandadministrative"
        r"|totaloperatingexpenses|totalcostsandexpenses|interestexpense"
    ),
    "balance_sheet": (
        r"totalcurrentassets|totalassets|totalcurrentliabilities|totalliabilities|total(?:stockholders|shareholders"
        r"|shareowners)s?equity|totalequity|retainedearnings|additionalpaidincapital|currentportionoflongtermdebt"
        r"|property(?:plant)?andequipmentnet"
    ),
    # Working-capital captions: also the "changes in" lines of a cash flow statement.
    "balance_sheet_captions": (
        r"accountsreceivable|inventor(?:y|ies)|merchandiseinventories|accountspayable"
        r"|accrued(?:liabilities|expenses|compensation)|othercurrentassets|othercurrentliabilities|treasurystock"
        r"|longtermdebt|goodwill"
    ),
    "cash_flow": (
        r"(?:net|total)?cash(?:provided|used|generated)?(?:by|in|from|for)?(?:used(?:in|for)|providedby)?operatingactivities"
        r"|(?:net|total)?cash(?:provided|used)?(?:by|in|from|for)?(?:used(?:in|for)|providedby)?(?:investing|financing)activities"
        r"|cashflowsfrom(?:operating|investing|financing)|depreciationandamortization|changesinoperatingassets"
        r"|(?:purchases|additions|payments)(?:of|to|for)property|capitalexpenditures|dividendspaid"
        r"|(?:purchases|repurchases?)of(?:common|treasury)stock|net(?:increase|decrease)(?:decrease|increase)?incash"
        r"|cash(?:andcashequivalents)?(?:andrestrictedcash)?(?:at)?(?:beginning|end)of"
        r"|deferredincometaxes|stockbasedcompensation|sharebasedcompensation"
    ),
    "repurchases": (
        r"totalnumberofshares(?:purchased|repurchased)|averagepricepaidpershare|maximum(?:number|dollarvalue|approximate)"
        r"|approximatedollarvalueofshares"
    ),
    "dividends": r"(?:cash)?dividendsdeclared|dividendspershare|dividendspaid|cashdividends",
    "segments": r"totalsegment|segment(?:operating)?(?:income|profit|ebit)|intersegment|corporateandother|unallocated",
    "debt": (
        r"totallongtermdebt|totaldebt|lesscurrentportion|lesscurrentmaturities|commercialpaper"
        r"|\d*(?:fixedrate|floatingrate|senior|unsecured|convertible)*notesdue|termloan|revolvingcreditfacility"
    ),
    "tax": (
        r"effectivetaxrate|deferredtaxassets|deferredtaxliabilities|valuationallowance|unrecognizedtaxbenefits"
        r"|(?:us)?(?:federal)?statutory(?:federal)?(?:income)?tax|statetaxes|foreigntaxratedifferential"
    ),
    "eps": r"(?:basic|diluted)(?:netincome|netearnings|earnings|net)?(?:loss)?pershare|weightedaverage(?:common)?shares",
}

# Lead-in of a note heading on the original line: "Note 9. Debt", "NOTE 12 — INCOME TAXES", "3. Leases".
_NOTE_LEAD = re.compile(
    r"(?i)^\s*(?:part\s*[iv]{1,4}\W*)?(?:note\s*)?(?:\d{1,2}[A-Za-z]?[.:)]|\d{1,2}\s*[—–\-:]|\d{1,2}\s+(?=[A-Z]))?\W*"
)
_ITEM = re.compile(r"(?i)^\s*(?:part\s*[iv]{1,4}\W{0,3})?item\s*(\d{1,2})\s*([a-d](?![a-z]))?\W*")
# A bare "Item 1A" running header means the same thing in a 10-K and a 10-Q (Part II).
_BARE_ITEMS = {"1a": "risk_factors", "7": "mdna", "7a": "market_risk"}
_PAGE_NUMBER_END = re.compile(r"[A-Za-z].*[A-Za-z).]\s+\d{1,3}$")
_BARE_ITEM = re.compile(r"(?i)^\s*(?:part\s*[iv]{1,4}\W*)?item\s*\d{1,2}\s*[a-d]?\W*$")
_CROSS_REFERENCE = re.compile(r"(?i)^(?:refer|see|read|as (?:discussed|described|noted)|for (?:a |additional|further|more))\b")
_ROW_END = re.compile(r"(?:\d|\d\s*\)|—|–|-|%)\s*$")

# Phrases that crowd risk-factor prose, and results discussions (MD&A, earnings releases).
_RISK_CUES = (
    "could adversely", "could materially", "could negatively", "could harm", "could have a material",
    "adverse effect", "adversely affect", "adverse impact", "may not be able to", "no assurance",
    "could be harmed", "could suffer", "subject to risks",
)
_MDNA_CUES = (
    "primarily due to", "primarily driven by", "primarily as a result of", "compared to the prior",
    "compared with the prior", "compared to the same", "compared with the same", "partially offset by",
    "was offset by", "were offset by", "increase of $", "decrease of $", "increased $", "decreased $",
)
_EMPLOYEES_PROSE = re.compile(
    r"(?:employ(?:ed|s)?|had|have|approximately|about|over|nearly|roughly|more than) [\d,.]+ (?:thousand )?"
    r"(?:full[- ]time |part[- ]time |total )?(?:employees|associates|team members|people|workers|colleagues)"
)


# What may follow a statement title on its line: "(Unaudited)", "(In millions)", periods.
_TITLE_TAIL = (
    r"(?:continued|cont|unaudited|audited|andsubsidiaries|inmillions|inthousands|inbillions|dollarsin(?:millions|thousands)"
    r"|exceptpershare\w*|exceptshare\w*|\d{4}|forthe(?:fiscal)?(?:years?|three|six|nine|twelve|quarters?|periods?)\w*"
    r"|(?:fiscal)?years?ended\w*|(?:three|six|nine|twelve)monthsended\w*|asof\w*|and[a-z]{0,40})*$"
)
_FORMAL = re.compile(r"consolidated|combined|condensed|inc|company|corporation|subsidiaries")
_SMALL_WORDS = frozenset(["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"])


def _compile(patterns: dict[str, str], prefix: str, suffix: str) -> re.Pattern[str]:
    return re.compile("|".join(f"{prefix}(?P<{k}>{v}){suffix}" for k, v in patterns.items()))


def _compile_each(patterns: dict[str, str], prefix: str, suffix: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(k, re.compile(f"{prefix}(?:{v}){suffix}")) for k, v in patterns.items()]


_STATEMENT_RE = _compile_each(_STATEMENT_TITLES, _LEAD, _TITLE_TAIL)
_SEARCH_RE = _compile_each(_SECTION_SEARCH, "", "")
_EXACT_RE = _compile(_SECTION_EXACT, "", r"(?:continued|cont|unaudited|net)*$")
_ROW_RES = _compile_each(_ROWS, "^", "")
# Cheap pre-filters: most lines match nothing, so try one combined pattern first.
_ANY_ROW = re.compile("^(?:" + "|".join(_ROWS.values()) + ")")
_ANY_SEARCH = re.compile("|".join(_SECTION_SEARCH.values()))


def is_heading(line: str) -> bool:
    """A short line that starts like a title, is not a table row, and does not read as prose."""
    if not 2 <= len(line) <= 110 or line[-1] in ",;":
        return False
    first = line[0]
    if not (first.isupper() or first.isdigit()):
        return False
    if _CROSS_REFERENCE.match(line):
        return False
    if ("“" in line or "”" in line or '"' in line) and not (_ITEM.match(line) and ("(“" in line or '("' in line)):
        return False  # quoted titles are cross-references in prose; "(“MD&A”)" after an item is fine
    cells = line.split()
    if len(cells) > 14 and line.endswith("."):
        return False
    # A label followed by figures is a table row, not a heading (a lone page number is allowed).
    tail = cells[-1].strip("$()%,")
    return not (len(cells) >= 2 and tail[:1].isdigit() and ("," in cells[-1] or "." in tail or len(cells) >= 3
                                                          and cells[-2].strip("$()%,")[:1].isdigit()))


def _title_case(line: str) -> bool:
    """Upper case or Title Case (small words aside), as headings are set."""
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) >= 0.7 * len(letters):
        return True
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", line) if w.lower() not in _SMALL_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def heading_labels(line: str, sq: str) -> tuple[list[tuple[str, float, bool]], str | None]:
    """Labels a heading line shows as (label, weight, opens a running section), and its item number."""
    found: list[tuple[str, float, bool]] = []
    if ("statement" in sq or "balancesheet" in sq) and not line.endswith("."):
        for label, rx in _STATEMENT_RE:
            if rx.match(sq):
                found.append((label, 4.0, False))
    m = _ITEM.match(line)
    item = (m.group(1) + (m.group(2) or "")).lower() if m else None
    rest = squash(line[m.end():] if m else _NOTE_LEAD.sub("", line, count=1))
    if item and rest in ("", "continued") and item in _BARE_ITEMS:
        found.append((_BARE_ITEMS[item], 3.0, True))
    if len(sq) <= 90 and _ANY_SEARCH.search(rest):
        anywhere = _title_case(line)
        for label, rx in _SEARCH_RE:
            hit = rx.search(rest)
            if hit and (anywhere or hit.start() == 0):
                found.append((label, 3.0, label in CARRIED))
    if len(rest) <= 48:
        exact = _EXACT_RE.match(rest)
        if exact and exact.lastgroup:
            found.append((exact.lastgroup, 3.0, bool(item)))
    return found, item


def is_contents_line(line: str) -> bool:
    """A short titled line ending in a page number, as in a table of contents ("Risk Factors 12")."""
    return len(line) < 160 and bool(_PAGE_NUMBER_END.match(line)) and not _BARE_ITEM.match(line)


def is_formal_title(sq: str) -> bool:
    """A squashed title that names its statement formally ("consolidated ...", "... company")."""
    return bool(_FORMAL.search(sq))


def ends_in_figure(line: str) -> bool:
    """A line that starts with a letter and ends in a figure or a dash: a candidate table row."""
    return bool(_ROW_END.search(line)) and line[0].isalpha()


def row_labels(sq: str) -> list[tuple[str, str]]:
    """(label, matched row caption) for each characteristic table row label a squashed line starts with."""
    if not _ANY_ROW.match(sq):
        return []
    return [(label, m.group(0)[:24]) for label, rx in _ROW_RES if (m := rx.match(sq))]


def prose_scores(lower: str) -> dict[str, float]:
    """Scores that a page's lower-cased prose earns: risk language, results discussion, head counts."""
    scores: dict[str, float] = {}
    if sum(lower.count(cue) for cue in _RISK_CUES) >= 4:
        scores["risk_factors"] = 3.0
    if sum(lower.count(cue) for cue in _MDNA_CUES) >= 3:
        scores["mdna"] = 3.0
    if ("employ" in lower or "associates" in lower or "team members" in lower) and _EMPLOYEES_PROSE.search(lower):
        scores["employees"] = 3.0
    return scores
