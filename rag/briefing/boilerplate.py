"""What a filing says of every company: the risk-factor preamble, safe-harbour language, accounting-policy and
auditor wording. None of it is a driver, a risk or a thing to watch; a sentence naming a programme, a product, a
market, a figure or a date is. Also: the headings a PDF's text glues onto the sentence after them.
"""

from __future__ import annotations

import re

# Generic language of filings, by family. Each pattern says what the sentence is, never which company wrote it.
_GENERIC = re.compile("|".join((
    # the risk-factor preamble and safe harbour
    r"\ban investment in our\b", r"\b(?:actual )?results (?:and [\w ]{0,30})?(?:could|may|might) differ materially\b",
    r"\bforward-looking statements?\b", r"\bsafe harbou?r\b", r"\bPrivate Securities Litigation Reform Act\b",
    r"\bundue reliance\b", r"\bstatements are not guarantees\b", r"\bsubject to (?:a number of |various |known "
    r"and unknown )?risks,? (?:and )?uncertainties\b", r"\bundertakes? no (?:obligation|duty)\b", r"\bthe (?:following )?risk factors? "
    r"(?:described|discussed|set forth|below)\b", r"\bnot the only risks\b",
    # accounting-policy descriptions
    r"\brequires? (?:us |management |the company )?(?:to make |making )?(?:significant )?(?:estimat\w+|judgm?ents?|"
    r"assumptions)\b", r"\b(?:use|application) of [\w ]{0,30}accounting\b", r"\bestimates and assumptions\b",
    r"\bgenerally accepted accounting principles\b", r"\bin accordance with (?:U\.S\. )?GAAP\b",
    r"\b(?:is|are) (?:recogni[sz]ed|recorded|measured|amortized|depreciated|capitali[sz]ed|accounted for) "
    r"(?:when|as|at|over|using|on|based|in accordance)\b",
    r"\bwe (?:have )?(?:recogni[sz]e[sd]?|record(?:ed)?|classif(?:y|ied)) the aggregate\b",
    r"\b(?:over|under)funded plans\b", r"\bwe (?:determine|estimate|calculate|compute|measure) (?:the )?[\w’' -]{0,60}"
    r"\b(?:by|using|based on)\b", r"\bwe (?:recogni[sz]e|account for|measure|classify|capitali[sz]e) \w+",
    # the auditor's report and internal control
    r"\bin our opinion\b", r"\bpresent(?:s|ed)? fairly, in all material respects\b", r"\bPCAOB\b",
    r"\bPublic Company Accounting Oversight Board\b", r"\breasonable assurance\b", r"\bcritical audit matters?\b",
    r"\bour audits?\b", r"\binternal control over financial reporting\b",
    # pointers to other parts of the report, and risks no one can name
    r"\brisk factors\b", r"\bnot currently aware of\b", r"\badditional factors\b",
)), re.IGNORECASE)
# The defined terms of an exhibit's legal text (a stock plan, an assignment), which keep their capitals.
_LEGAL = re.compile(r"\b(?:hereby|Participant|Administrator|Assignor|Assignee|Grantee|Optionee)\b|\bthe Plan\b")

# Sections of a filing that describe how it counts, not what happened: sentences there are not drivers or risks.
NOTE_SECTIONS = frozenset({"accounting_policies", "auditor", "controls", "pension", "stock_comp", "tax",
                           "governance", "eps", "equity_statement", "comprehensive_income", "income_statement",
                           "balance_sheet", "cash_flow"})

_OPENERS = ("A", "An", "The", "We", "Our", "In", "As", "During", "On", "For", "This", "These", "Certain", "Although",
            "If", "Since", "When", "While", "Under", "Because", "Following", "Beginning", "At", "Each", "Its", "It")
_TITLE_WORD = r"(?:[A-Z][\w&'’.-]*,?|and|of|&|for|to|the|\d+[A-Z]?\.?|—)"
_GLUED = re.compile(r"^(?:Item\s+\d+[A-Z]?\.?\s+)?(?!(?:" + "|".join(_OPENERS) + r")\b)((?:" + _TITLE_WORD +
                    r"\s+){0,7}[A-Z][\w&'’-]*)\s+(?=(?:" + "|".join(_OPENERS) + r")\s+[a-z0-9$])")
# Words capitalised for grammar or house style, not because they name something particular.
_COMMON_CAPS = frozenset({"We", "Our", "The", "A", "An", "In", "As", "It", "Its", "This", "These", "Company",
                          "Board", "Directors", "Note", "Notes", "Item", "Part", "Form", "Annual", "Report", "See",
                          "Table", "Contents", "Other", "Total", "Accrued", "December", "January", "February",
                          "March", "April", "May", "June", "July", "August", "September", "October", "November"})


def strip_heading(text: str) -> str:
    """A sentence without the heading glued before it: 'Risk Factors An investment in …' -> 'An investment in …'."""
    text = re.sub(r"^Table of Contents\s+", "", text)  # a PDF page's running header
    m = _GLUED.match(text)
    if not m or len(text) - m.end() < 25:
        return text
    return text[m.end():]


def is_boilerplate(text: str, sections: str = "") -> bool:
    """Generic filing language, or a sentence from a note on how the filing counts (`sections`: the passage's
    comma-separated section labels)."""
    labels = {x for x in sections.split(",") if x}
    return bool(_GENERIC.search(text) or _LEGAL.search(text)) or bool(labels) and labels <= NOTE_SECTIONS


def specificity(text: str) -> int:
    """How many particular things a sentence names: proper names past its first word, figures, dates."""
    words = re.findall(r"[A-Za-z][\w&'’-]*", text)
    names = {w for w in words[1:] if w[0].isupper() and w not in _COMMON_CAPS}
    figures = re.findall(r"\d[\d,.]*", text)
    return len(names) + len(figures)
