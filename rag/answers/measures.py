"""The catalogue of figures a question can ask for: line items read straight off a statement, and standard measures
computed from them (margins, ratios, turnovers, days, free cash flow ...), each with its English and Japanese
names, the wording questions use for it, its inputs and its formula.

An input is a line item at a year: `at=0` the year asked about, `at=-1` the year before; `average` takes the mean
of the year-end balances of the two. Pure data and pure functions; rag.answers.numeric looks the inputs up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# How questions name a line item (English, Japanese); the first match in this order wins, so the longer names
# ("total current assets") come before the shorter ones ("total assets").
ITEM_WORDS: tuple[tuple[str, str, str], ...] = (
    ("capex", r"capital\s+expenditures?|\bcapex\b|purchases?\s+of\s+property|capital\s+spending",
     r"設備投資|資本的支出"),
    ("current_assets", r"(?:total\s+)?current\s+assets", r"流動資産"),
    ("current_liabilities", r"(?:total\s+)?current\s+liabilities", r"流動負債"),
    ("ppe_net", r"\bPP&?E\b|\bPPNE\b|property,?\s+plant,?\s+(?:and|&)\s+equipment|fixed\s+assets",
     r"有形固定資産"),
    ("accounts_receivable", r"accounts\s+receivables?|(?-i:\bAR\b)|trade\s+receivables?|receivables", r"売掛金|売上債権"),
    ("accounts_payable", r"accounts\s+payables?|(?-i:\bAP\b)|trade\s+payables?", r"買掛金|仕入債務"),
    ("inventory", r"inventor(?:y|ies)", r"棚卸資産|在庫"),
    ("total_assets", r"total\s+assets", r"総資産|資産合計"),
    ("total_liabilities", r"total\s+liabilities", r"負債合計"),
    ("shareholders_equity", r"(?:share|stock)holders['’]?\s+equity|total\s+equity", r"株主資本|自己資本|純資産"),
    ("cash", r"cash\s+and\s+(?:cash\s+)?equivalents|\bcash\s+balance", r"現金及び現金同等物|現預金"),
    ("operating_cash_flow", r"cash\s+(?:flows?\s+)?(?:from|provided\s+by|generated\s+(?:by|from))\s+operati\w+|"
                            r"operating\s+cash\s+flows?|cash\s+from\s+operations",
     r"営業活動(?:による|から|で).{0,8}(?:キャッシュ|現金|資金)|営業活動から生み出|営業キャッシュ・?フロー|営業CF"),
    ("dividends_paid", r"dividends?(?:\s+paid)?|cash\s+dividends", r"配当金?(?:の支払額|支払)?"),
    ("share_repurchases", r"(?:share|stock)\s+(?:repurchases?|buybacks?)|repurchases?\s+of\s+(?:common\s+)?stock",
     r"自社株買い|自己株式の取得"),
    ("depreciation_amortization", r"depreciation\s+and\s+amortization|\bD&A\b", r"減価償却費"),
    ("cost_of_revenue", r"\bCOGS\b|cost\s+of\s+(?:goods\s+sold|sales|revenues?|products\s+sold)", r"売上原価"),
    ("gross_profit", r"gross\s+(?:profit|income)", r"売上総利益|粗利"),
    ("operating_income", r"operating\s+(?:income|profit)|income\s+from\s+operations|\bEBIT\b", r"営業利益"),
    ("pretax_income", r"(?:income|earnings)\s+before\s+(?:income\s+)?tax(?:es)?|pre-?tax\s+income", r"税引前"),
    ("income_tax", r"income\s+tax(?:es)?(?:\s+expense)?|tax\s+expense", r"法人税"),
    ("net_income", r"net\s+(?:income|earnings|profit|loss)", r"当期純利益|純利益|純損益"),
    ("eps_diluted", r"diluted\s+(?:EPS|earnings\s+per\s+share)|\bEPS\b|earnings\s+per\s+share",
     r"1株当たり(?:当期)?純利益|EPS"),
    ("rnd", r"research\s+and\s+development|R&D", r"研究開発費"),
    ("sga", r"selling,?\s+general\s+and\s+administrative|SG&A", r"販売費及び一般管理費|販管費"),
    ("revenue", r"revenues?|net\s+sales|\bsales\b|top\s+line", r"売上高|売上収益|営業収益|売上"),
    ("long_term_debt", r"long[-\s]term\s+debt", r"長期借入金|長期債務"),
)

# Items a statement prints as outflows "(1,577)": their size is the figure asked for.
OUTFLOWS = frozenset({"capex", "dividends_paid", "share_repurchases", "acquisitions"})
@dataclass(frozen=True)
class Input:
    """One input of a measure: a line item (first found of `items`), at a year offset, or averaged over two ends."""

    role: str
    items: tuple[str, ...]
    at: int = 0
    average: bool = False


@dataclass(frozen=True)
class Measure:
    """A figure a question can ask for: names, the wording that asks for it, inputs, formula, kind of result."""

    key: str
    en: str
    ja: str
    en_words: str
    ja_words: str
    inputs: tuple[Input, ...]
    formula: Callable[[Mapping[str, float]], float]
    formula_text: str  # the formula in input roles, as the answer shows it
    unit: str  # "money", "ratio" (a plain number), "percent", "days"


def _i(role: str, *items: str, at: int = 0, average: bool = False) -> Input:
    return Input(role, items or (role,), at, average)


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError("the denominator is zero")
    return a / b


_AVG_PPE, _AVG_ASSETS = _i("ppe_net", average=True), _i("total_assets", average=True)
_AVG_INV, _AVG_AR, _AVG_AP = (_i("inventory", average=True), _i("accounts_receivable", average=True),
                              _i("accounts_payable", average=True))
_INV_PRIOR = _i("inventory_prior", "inventory", at=-1)
_DEBT = (_i("long_term_debt"), _i("short_term_debt"))
_CL = _i("current_liabilities")

MEASURES: tuple[Measure, ...] = (
    Measure("cash_conversion_cycle", "cash conversion cycle", "キャッシュ・コンバージョン・サイクル",
            r"cash\s+conversion\s+cycle|\bCCC\b", r"キャッシュ・?コンバージョン・?サイクル|CCC",
            (_AVG_INV, _AVG_AR, _AVG_AP, _i("revenue"), _i("cost_of_revenue"), _i("inventory"), _INV_PRIOR),
            lambda v: 365 * _div(v["inventory_avg"], v["cost_of_revenue"]) + 365 * _div(v["accounts_receivable_avg"], v["revenue"])
            - 365 * _div(v["accounts_payable_avg"], v["cost_of_revenue"] + v["inventory"] - v["inventory_prior"]),
            "DIO + DSO − DPO", "days"),
    Measure("dpo", "days payable outstanding", "買掛金回転日数", r"days\s+payables?\s+outstanding|\bDPO\b",
            r"買掛金回転日数|仕入債務回転日数|DPO",
            (_AVG_AP, _i("cost_of_revenue"), _i("inventory"), _INV_PRIOR),
            lambda v: 365 * _div(v["accounts_payable_avg"], v["cost_of_revenue"] + v["inventory"] - v["inventory_prior"]),
            "365 × average accounts payable / (cost of revenue + change in inventory)", "days"),
    Measure("dso", "days sales outstanding", "売掛金回転日数", r"days\s+sales\s+outstanding|days\s+receivables?|\bDSO\b",
            r"売掛金回転日数|売上債権回転日数|DSO", (_AVG_AR, _i("revenue")),
            lambda v: 365 * _div(v["accounts_receivable_avg"], v["revenue"]),
            "365 × average accounts receivable / revenue", "days"),
    Measure("dio", "days inventory outstanding", "棚卸資産回転日数", r"days\s+(?:in\s+)?inventory(?:\s+outstanding)?|\bDIO\b",
            r"棚卸資産回転日数|在庫回転日数|DIO", (_AVG_INV, _i("cost_of_revenue")),
            lambda v: 365 * _div(v["inventory_avg"], v["cost_of_revenue"]),
            "365 × average inventory / cost of revenue", "days"),
    Measure("inventory_turnover", "inventory turnover", "棚卸資産回転率", r"inventory\s+turnover",
            r"棚卸資産回転率|在庫回転率", (_i("cost_of_revenue"), _AVG_INV),
            lambda v: _div(v["cost_of_revenue"], v["inventory_avg"]), "cost of revenue / average inventory", "ratio"),
    Measure("fixed_asset_turnover", "fixed asset turnover", "固定資産回転率", r"fixed\s+asset\s+turnover",
            r"固定資産回転率", (_i("revenue"), _AVG_PPE), lambda v: _div(v["revenue"], v["ppe_net_avg"]),
            "revenue / average PP&E", "ratio"),
    Measure("asset_turnover", "total asset turnover", "総資産回転率", r"(?:total\s+)?asset\s+turnover",
            r"総資産回転率", (_i("revenue"), _AVG_ASSETS), lambda v: _div(v["revenue"], v["total_assets_avg"]),
            "revenue / average total assets", "ratio"),
    Measure("roa", "return on assets", "総資産利益率", r"return\s+on\s+(?:total\s+)?assets|\bROA\b",
            r"総資産利益率|ROA", (_i("net_income"), _AVG_ASSETS),
            lambda v: _div(v["net_income"], v["total_assets_avg"]), "net income / average total assets", "ratio"),
    Measure("roe", "return on equity", "自己資本利益率", r"return\s+on\s+(?:shareholders['’]?\s+)?equity|\bROE\b",
            r"自己資本利益率|ROE", (_i("net_income"), _i("shareholders_equity", "total_equity", average=True)),
            lambda v: _div(v["net_income"], v["shareholders_equity_avg"]), "net income / average equity", "ratio"),
    Measure("quick_ratio", "quick ratio", "当座比率", r"quick\s+ratio|acid[-\s]test", r"当座比率",
            (_i("cash"), _i("short_term_investments"), _i("accounts_receivable"), _CL),
            lambda v: _div(v["cash"] + v.get("short_term_investments", 0.0) + v["accounts_receivable"],
                           v["current_liabilities"]),
            "(cash + short-term investments + accounts receivable) / current liabilities", "ratio"),
    Measure("operating_cash_flow_ratio", "operating cash flow ratio", "営業キャッシュ・フロー比率",
            r"operating\s+cash\s+flow\s+ratio", r"営業キャッシュ・?フロー比率", (_i("operating_cash_flow"), _CL),
            lambda v: _div(v["operating_cash_flow"], v["current_liabilities"]),
            "cash from operations / current liabilities", "ratio"),
    Measure("current_ratio", "current ratio", "流動比率", r"current\s+ratio|working\s+capital\s+ratio|liquidity\s+ratio",
            r"流動比率", (_i("current_assets"), _CL), lambda v: _div(v["current_assets"], v["current_liabilities"]),
            "current assets / current liabilities", "ratio"),
    Measure("working_capital", "working capital", "運転資本", r"(?:net\s+)?working\s+capital", r"運転資本",
            (_i("current_assets"), _CL), lambda v: v["current_assets"] - v["current_liabilities"],
            "current assets − current liabilities", "money"),
    Measure("debt_to_equity", "debt-to-equity ratio", "負債資本倍率",
            r"debt[-\s]to[-\s]equity|\bD/E\b|debt\s+to\s+equity", r"負債資本倍率|D/Eレシオ|デット・?エクイティ",
            (*_DEBT, _i("shareholders_equity", "total_equity")),
            lambda v: _div(v["long_term_debt"] + v.get("short_term_debt", 0.0), v["shareholders_equity"]),
            "(long-term debt + short-term debt) / equity", "ratio"),
    Measure("total_debt", "total debt", "有利子負債", r"total\s+debt", r"有利子負債", _DEBT,
            lambda v: v["long_term_debt"] + v.get("short_term_debt", 0.0), "long-term debt + short-term debt", "money"),
    Measure("effective_tax_rate", "effective tax rate", "実効税率", r"effective\s+tax\s+rate", r"実効税率",
            (_i("income_tax"), _i("pretax_income")), lambda v: 100 * _div(v["income_tax"], v["pretax_income"]),
            "income tax / income before taxes", "percent"),
    Measure("retention_ratio", "retention ratio", "内部留保率", r"retention\s+ratio|plowback", r"内部留保率",
            (_i("dividends_paid"), _i("net_income")), lambda v: 1 - _div(v["dividends_paid"], v["net_income"]),
            "1 − dividends paid / net income", "ratio"),
    Measure("payout_ratio", "dividend payout ratio", "配当性向", r"(?:dividend\s+)?payout\s+ratio", r"配当性向",
            (_i("dividends_paid"), _i("net_income")), lambda v: _div(v["dividends_paid"], v["net_income"]),
            "dividends paid / net income", "ratio"),
    Measure("capex_pct_revenue", "capital expenditure as % of revenue", "売上高設備投資比率",
            r"(?:capex|capital\s+expenditures?)\s+as\s+(?:a\s+)?(?:%|percent(?:age)?)\s+of\s+(?:total\s+)?revenues?",
            r"設備投資.{0,6}売上高(?:比|に対する)|売上高設備投資比率", (_i("capex"), _i("revenue")),
            lambda v: 100 * _div(v["capex"], v["revenue"]), "capital expenditure / revenue", "percent"),
    Measure("ebitda_less_capex", "EBITDA less capex", "EBITDA－設備投資", r"EBITDA\s+(?:less|minus)\s+(?:capex|capital)",
            r"EBITDA.{0,4}(?:から|－|-).{0,4}設備投資",
            (_i("operating_income"), _i("depreciation_amortization"), _i("capex")),
            lambda v: v["operating_income"] + v["depreciation_amortization"] - v["capex"],
            "operating income + D&A − capital expenditure", "money"),
    Measure("ebitda_margin", "EBITDA margin", "EBITDAマージン", r"EBITDA\s+(?:%\s+)?margin", r"EBITDA(?:マージン|率)",
            (_i("operating_income"), _i("depreciation_amortization"), _i("revenue")),
            lambda v: 100 * _div(v["operating_income"] + v["depreciation_amortization"], v["revenue"]),
            "(operating income + D&A) / revenue", "percent"),
    Measure("ebitda", "EBITDA", "EBITDA", r"\bEBITDA\b", r"EBITDA", (_i("operating_income"), _i("depreciation_amortization")),
            lambda v: v["operating_income"] + v["depreciation_amortization"], "operating income + D&A", "money"),
    Measure("free_cash_flow", "free cash flow", "フリー・キャッシュ・フロー", r"free\s+cash\s+flows?|\bFCF\b",
            r"フリー・?キャッシュ・?フロー|FCF", (_i("operating_cash_flow"), _i("capex")),
            lambda v: v["operating_cash_flow"] - v["capex"], "cash from operations − capital expenditure", "money"),
    Measure("cogs_margin", "cost of revenue as % of revenue", "売上原価率",
            r"(?:COGS|cost\s+of\s+(?:goods\s+sold|sales|revenues?))\s+(?:%\s+)?(?:margin|as\s+(?:a\s+)?%\s+of)",
            r"売上原価率", (_i("cost_of_revenue"), _i("revenue")),
            lambda v: 100 * _div(v["cost_of_revenue"], v["revenue"]), "cost of revenue / revenue", "percent"),
    Measure("gross_margin", "gross margin", "売上総利益率", r"gross\s+(?:profit\s+)?(?:%\s+)?margin", r"売上総利益率|粗利率",
            (_i("revenue"), _i("cost_of_revenue")),
            lambda v: 100 * _div(v["revenue"] - v["cost_of_revenue"], v["revenue"]),
            "(revenue − cost of revenue) / revenue", "percent"),
    Measure("operating_margin", "operating margin", "営業利益率",
            r"operating\s+(?:income\s+|profit\s+)?(?:%\s+)?margin", r"営業利益率",
            (_i("operating_income"), _i("revenue")), lambda v: 100 * _div(v["operating_income"], v["revenue"]),
            "operating income / revenue", "percent"),
    Measure("net_margin", "net profit margin", "売上高純利益率",
            r"net\s+(?:profit\s+|income\s+)?(?:%\s+)?margin|profit\s+margin", r"純利益率|売上高純利益率",
            (_i("net_income"), _i("revenue")), lambda v: 100 * _div(v["net_income"], v["revenue"]),
            "net income / revenue", "percent"),
)
BY_KEY = {m.key: m for m in MEASURES}


def item_measure(item: str) -> Measure:
    """A line item read as it is: a measure with one input."""
    from rag.figures.line_items import item_name

    unit = "per_share" if item.startswith("eps") else "money"
    return Measure(item, item_name(item, "en"), item_name(item, "ja"), "", "", (_i(item),),
                   lambda v: v[item], item_name(item, "en"), unit)


def role_key(inp: Input) -> str:
    """The name an input's value goes by in a formula: 'revenue', 'ppe_net_avg', 'inventory_prior'."""
    return f"{inp.role}_avg" if inp.average else inp.role


def find_measure(text: str) -> Measure | None:
    """The measure or line item a question asks for (English or Japanese), or None."""
    for m in MEASURES:
        if re.search(m.en_words, text, re.IGNORECASE) or re.search(m.ja_words, text):
            return m
    hits = []
    for item, en, ja in ITEM_WORDS:
        for rx, flags in ((en, re.IGNORECASE), (ja, 0)):
            if found := re.search(rx, text, flags):
                hits.append((found.start(), item))
    if not hits:
        return None
    # The item named first is the one asked for ("capex ... from the cash flow statement").
    item = min(hits)[1]
    if item != "revenue" and (re.search(_SHARE_OF_REVENUE, text, re.IGNORECASE) or re.search(_JA_SHARE, text)):
        return share_of_revenue(item)
    return item_measure(item)


_SHARE_OF_REVENUE = r"%\s*margin|\bmargin\b|as\s+(?:a\s+)?(?:%|percent(?:age)?)\s+of\s+(?:total\s+|net\s+)?(?:revenues?|sales)"
_JA_SHARE = r"売上高(?:比|に対する|に占める)|対売上高"


def share_of_revenue(item: str) -> Measure:
    """Any line item as a percentage of revenue ("D&A % margin", "R&D as a % of sales")."""
    from rag.figures.line_items import item_name

    en, ja = item_name(item, "en"), item_name(item, "ja")
    return Measure(f"{item}_pct_revenue", f"{en} as % of revenue", f"売上高{ja}比率", "", "",
                   (_i(item), _i("revenue")), lambda v: 100 * _div(abs(v[item]), v["revenue"]),
                   f"{en} / revenue", "percent")
