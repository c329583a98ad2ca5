"""Figure questions answered from facts, end to end: ingest a filing, ask in English and Japanese through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.answers.answer import answer_question

STATEMENTS = Path(__file__).parent / "data" / "numbers_acme.txt"


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHIFTBRIEF_LLM": "extractive"}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, timeout=600,
                          env=env)


@pytest.fixture
def filing(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ACME_2023_10K.txt").write_text(STATEMENTS.read_text())
    return folder


def test_cli_answers_a_figure_in_english_and_japanese(filing):
    assert cli("ingest", str(filing)).returncode == 0
    en = json.loads(cli("ask", "What was ACME's capital expenditure in FY2023 (in USD millions)?", "--json").stdout)
    assert en["answer"].startswith("ACME's capital expenditure in FY2023 was **$310 million**")
    calc = en["calculation"]
    assert calc["result"] == 310e6 and calc["inputs"][0]["label"] == "Purchases of property, plant and equipment"
    assert calc["inputs"][0]["citation"] in [c["n"] for c in en["citations"]]
    ja = json.loads(cli("ask", "ACMEの2023年度の流動比率は？小数点以下2桁で答えよ。", "--json").stdout)
    assert "**1.60**" in ja["answer"] and ja["answer"].endswith("。") and ja["lang"] == "ja"
    assert ja["calculation"]["measure"] == "current_ratio"
    assert {i["line_item"] for i in ja["calculation"]["inputs"]} == {"current_assets", "current_liabilities"}


def test_computed_measures_and_missing_inputs(filing, stores):
    from rag.ingestion.pipeline import ingest

    ingest([filing], stores)
    a = answer_question("What is ACME's FY2023 operating margin? Round to one decimal place.", stores)
    assert "**20.0%**" in a.answer and a.calculation["formula"] == "operating income / revenue"
    a = answer_question("What was ACME's revenue growth year over year in FY2023?", stores)
    assert "**2.2%**" in a.answer  # 5,020 / 4,911 - 1
    a = answer_question("What is ACME's FY2023 inventory turnover? It is defined as COGS / average inventory.", stores)
    assert a.calculation and "**3.86**" in a.answer  # 3,010 / ((800 + 760) / 2)
    # FY2022's average inventory needs the end of FY2021, which the filing does not print: no guessed number.
    a = answer_question("What is ACME's FY2022 inventory turnover ratio?", stores)
    assert not a.calculation and "**" not in a.answer


def test_a_definition_in_the_question_wins(filing, stores):
    from rag.ingestion.pipeline import ingest

    ingest([filing], stores)
    default = answer_question("What is ACME's FY2023 fixed asset turnover? Round to two decimal places.", stores)
    assert "**4.37**" in default.answer  # 5,020 / ((1,200 + 1,100) / 2)
    defined = answer_question("What is ACME's FY2023 fixed asset turnover? Fixed asset turnover is defined as: FY2023 "
                              "revenue / total assets. Round to two decimal places.", stores)
    assert "**1.00**" in defined.answer  # 5,020 / 5,000
    assert {i["line_item"] for i in defined.calculation["inputs"]} == {"revenue", "total_assets"}
    ja = answer_question("ACMEの2023年度の運転資本は？運転資本は流動資産合計から流動負債合計を引いたものと定義する。"
                         "百万米ドル単位で答えよ。", stores)
    assert ja.calculation["result"] == pytest.approx(750e6) and ja.answer.endswith("。")  # 2,000 − 1,250


def test_the_model_gets_the_calculation_as_a_cited_passage(filing, stores):
    from rag.ingestion.pipeline import ingest
    from tests.fakes import FakeChat

    ingest([filing], stores)
    question = "What is ACME's FY2023 fixed asset turnover? Round to two decimal places."
    chat = FakeChat([{"answer": "ACME's fixed asset turnover in FY2023 was 4.37 [1-12].", "citations": [],
                      "answerable": True},
                     {"answer": "ACME's fixed asset turnover in FY2023 was 4.52 [1-12].", "citations": [],
                      "answerable": True}])
    a = answer_question(question, stores, chat=chat)
    prompt = chat.calls[0][1][-1]["content"]
    assert "Calculation from statement figures" in prompt and "4.37" in prompt
    calc = next(p for p in a.passages if p["chunk_id"].startswith("calculation:"))
    assert a.calculation["measure"] == "fixed_asset_turnover" and calc["n"] == len(a.passages)
    checked = {f["raw"]: f for f in a.figures["supported"]}
    assert checked["4.37"]["computed"] and not a.figures["unsupported"]
    invented = answer_question(question, stores, chat=chat)
    assert [f["raw"] for f in invented.figures["unsupported"]] == ["4.52"] and invented.warnings


def test_the_answer_names_the_company_as_its_filing_does(filing, stores):
    from rag.ingestion.pipeline import ingest

    (filing / "ACME_2023_10K.txt.meta.json").write_text(json.dumps({"company": "Acme Inc."}))
    ingest([filing], stores)
    a = answer_question("What was ACME's capital expenditure in FY2023 (in USD millions)?", stores)
    assert a.answer.startswith("Acme Inc.'s capital expenditure in FY2023 was **$310 million**"), a.answer


@pytest.mark.slow
def test_a_quarter_is_read_from_the_10q(stores, tmp_path):
    """A real 10-Q: the quarter's own column and the balance at its end, in English and Japanese."""
    from rag.ingestion.pipeline import ingest
    from tests.conftest import FINANCEBENCH

    pdf = FINANCEBENCH / "pdfs" / "BESTBUY_2024Q2_10Q.pdf"
    if not pdf.is_file():
        pytest.skip(f"FinanceBench is not at {FINANCEBENCH}")
    ingest([pdf], stores)
    a = answer_question("What was Best Buy's revenue in Q2 FY2024 (in USD millions)?", stores)
    assert "in Q2 FY2024 was **$9,583 million**" in a.answer and a.calculation["quarter"] == 2
    assert a.calculation["inputs"][0]["period"] == "Q2 2024"
    ja = answer_question("ベストバイの2024年度第2四半期の売上高は？", stores)
    assert "2024年度第2四半期" in ja.answer and ja.calculation["result"] == pytest.approx(9583e6)
    first_half = answer_question("What was Best Buy's revenue in FY2024 (in USD millions)?", stores)
    assert not first_half.calculation  # a year is not computed from a quarter's column


def test_no_figure_leads_where_the_facts_do_not_settle_one(filing, stores):
    from rag.ingestion.pipeline import ingest

    ingest([filing], stores)
    a = answer_question("Did ACME grow its revenue between FY2022 and FY2023?", stores)
    assert a.answer.startswith("Yes. ") and "**2.2%**" in a.answer  # the verdict, then the figure settling it
    a = answer_question("ACMEの売上高は2022年度から2023年度にかけて減少したか。", stores)
    assert a.answer.startswith("いいえ。") and a.calculation
    for question in ("Which of ACME's segments had the highest revenue in FY2023?",
                     "What was ACME's adjusted operating income in FY2023?",
                     "What drove ACME's operating margin change in FY2023?",
                     "Does ACME have a healthy liquidity profile based on its current ratio for FY2023?"):
        a = answer_question(question, stores)
        assert not a.calculation, question


def test_a_figure_answer_cites_its_passages_from_1_in_the_order_it_cites_them():
    from rag.answers.answer import _cited_first
    from rag.answers.numeric import NumericResult
    from rag.schema import Hit

    hits = [Hit(f"c{i}", "DOC", i, f"text {i}", 0.0, {}) for i in (1, 2, 3)]
    calc = {"inputs": [{"label": "Revenue", "citation": 3}, {"label": "Cost of sales", "citation": 2}]}
    out = _cited_first(NumericResult(text="Margin 43.5% (Revenue 51,217 [3]; Cost 28,925 [2]) [3].", hits=hits,
                                     cited=[3, 2], calculation=calc))
    assert out.text == "Margin 43.5% (Revenue 51,217 [1]; Cost 28,925 [2]) [1]."
    assert [h.chunk_id for h in out.hits] == ["c3", "c2", "c1"] and out.cited == [1, 2]
    assert [i["citation"] for i in out.calculation["inputs"]] == [1, 2]
