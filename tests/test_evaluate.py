"""Answer metrics and the regression floors on hand-made cases (pure), the judge with a fake model, and the
own question set checked against the corpus it is about."""

from __future__ import annotations

import json

import pytest

from rag.answers.answer import Answer
from rag.config import get_settings
from rag.errors import ConfigError
from rag.evaluation.evaluate import (
    EvalReport,
    _summarise,
    answered_right,
    check_floors,
    citation_precision,
    figure_in,
    figure_match,
    flatten,
    get_judge,
    gold_citation_precision,
    gold_figures,
    judge_answer,
    unsupported_rate,
)
from rag.evaluation.metrics import (
    answer_in_japanese,
    contains_evidence,
    default_key_terms,
    evidence_metrics,
    figure_stated,
    key_terms_score,
    majority,
)
from rag.evaluation.sets import EvalItem, QuestionSetError, load_questions
from rag.figures.parse import parse_figures
from rag.schema import Citation
from tests.conftest import CORPUS, REPO
from tests.fakes import FakeChat


def _item(answer="$161.6 million", numbers=(161.6,), kind="numeric"):
    return EvalItem("q", "How much?", answer, "en", kind, list(numbers), [("riot", 0)] if numbers else [])


def _answer(text="Riot raised $161.6 million [1].", supported=(), unsupported=(), cited=(1,)):
    return Answer("q", text, True, "extractive", [Citation(n, "riot", 0, f"c{n}", "") for n in cited],
                  {"supported": list(supported), "unsupported": list(unsupported)}, {}, None, 0.9, "en")


@pytest.mark.parametrize(
    "gold, text, expected",
    [
        ((161.6,), "Riot raised $161.6 million [1].", 1.0),
        ((161.6,), "Riot raised $161,600,000.", 1.0),  # unit scaling
        ((161.6,), "ライオットは1億6,160万ドルを調達した。", 1.0),  # Japanese figures
        ((161.6,), "Riot raised $160 million.", 0.0),  # off by more than rounding
        ((161.6, 1818), "It sold 1,818 BTC.", 0.0),  # every gold figure must appear
        ((161.6, 1818), "It sold 1,818 BTC for $161.6 million.", 1.0),
        ((18.0,), "Margins were 18％.", 1.0),
    ],
)
def test_figure_match(gold, text, expected):
    assert figure_match(_item(numbers=gold), text) == expected


def test_figure_match_without_gold_figures_is_not_counted():
    assert figure_match(_item(answer="They pivoted to AI data centres.", numbers=()), "anything") is None
    assert gold_figures(_item(answer="$1577.00", numbers=())) == [1577.0]  # FinanceBench-style gold answer
    assert figure_in(1577.0, [1_577_000_000.0]) and not figure_in(1577.0, [1677.0])


def test_citation_precision_and_unsupported_rate():
    sup = [{"raw": "$161.6 million", "matched": {"n": 1}}]
    a = _answer(supported=sup, unsupported=[{"raw": "$9 billion", "matched": None}], cited=(1, 2))
    assert citation_precision(a) == 0.5  # passage 2 holds no stated figure
    assert unsupported_rate(a) == (1, 2)
    assert citation_precision(_answer(cited=(1,))) is None  # no figures stated: not counted


def _row(refused, answerable, fm=None, cp=None):
    return {"retrieval": None, "figure_match": fm, "citation_precision": cp, "figures_unsupported": 0,
            "figures_total": 0, "latency_ms": 10.0, "refused": refused, "refusal_correct": refused != answerable}


def test_refusal_accuracy_counts_both_directions():
    m = _summarise([_row(True, False), _row(False, True, 1.0), _row(True, True, 0.0), _row(False, False)])
    assert m["answers"]["refusal_accuracy"] == 0.5 and m["answers"]["refusal_rate"] == 0.5
    assert m["answers"]["figure_match"] == 0.5


def test_floors_and_flatten():
    metrics = {"n": 3, "retrieval": {"page_hit@5": 0.8, "mrr@10": None}, "answers": {"figure_match": 0.5},
               "by_lang": {"en": {"retrieval": {"page_hit@5": 0.1}}}}
    assert flatten(metrics)["retrieval.page_hit@5"] == 0.8
    assert check_floors(metrics, {"page_hit@5": 0.7, "figure_match": 0.5}) == []
    fails = check_floors(metrics, {"page_hit@5": 0.9, "mrr@10": 0.1, "nonsense": 1})
    assert "retrieval.page_hit@5 = 0.8 is below the floor 0.9" in fails
    assert any("mrr@10 = None" in f for f in fails) and any("unknown metric 'nonsense'" in f for f in fails)
    assert EvalReport(metrics, [{"id": "q"}]).to_dict()["questions"] == [{"id": "q"}]


def test_judge_scores_with_the_model_and_tolerates_bad_replies():
    chat = FakeChat([{"score": 2, "reason": "same figure"}, {"score": 1}, None, {"score": 7}])
    assert judge_answer(chat, "How much?", "$161.6 million", "$161.6 million [1]") == 1.0
    assert judge_answer(chat, "How much?", "$161.6 million", "about $160 million") == 0.5
    assert judge_answer(chat, "How much?", "x", "y") is None  # malformed reply
    assert judge_answer(chat, "How much?", "x", "y") is None  # out-of-range grade
    assert "<gold>$161.6 million</gold>" in chat.calls[0][1][1]["content"]


def test_the_judge_is_its_own_setting(settings):
    # (That a named judge grades on the chat model's server: test_cli.py, through a scripted server.)
    assert get_judge(settings) is None  # default: no judge, no judge score
    with_server = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1", "llm_model": "answerer"})
    assert get_judge(with_server) is None  # a chat model alone does not grade its own answers
    with pytest.raises(ConfigError, match="SHIFTBRIEF_JUDGE_MODEL is set but no model server is"):
        get_judge(settings.model_copy(update={"judge_model": "grader"}))


def test_judge_model_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHIFTBRIEF_JUDGE_MODEL", "grader")
    assert get_settings().judge_model == "grader"


# ---------------------------------------------------------------- metrics that can't flatter

SALE = "In December 2025 Riot Platforms sold 1,818 BTC for $161.6 million, an average of roughly $88,870."
NOV = "November had been a much smaller month: Riot sold 383 BTC for about $37 million."


def _gold(numbers=(1818, 161.6), doc="riot_sales", page=0, evidence=(), key_terms=(), answer="1,818 BTC, $161.6M"):
    return EvalItem("g", "How much bitcoin did Riot sell in December 2025?", answer, "en",
                    "numeric" if numbers else "narrative", list(numbers), [(doc, page)], evidence=list(evidence),
                    key_terms=[list(t) for t in key_terms])


def _cited(text, passages, answerable=True, lang="en"):
    """An answer citing passages given as (doc_name, page, text), numbered from 1."""
    cites = [Citation(n, d, p, f"{d}-p{p}-{n}", t) for n, (d, p, t) in enumerate(passages, start=1)]
    return Answer("q", text, answerable, "extractive", cites, {}, {}, None, 0.9, lang)


def test_answered_right_needs_the_gold_figures_from_a_gold_passage():
    item = _gold()
    right = _cited(f'According to the documents:\n"{SALE}" [1]', [("riot_sales", 0, SALE)])
    assert answered_right(item, right) == (True, "")
    # the same figures quoted from a passage that is not the gold evidence: not counted
    sibling = _cited(f'"{SALE}" [1]\n"{NOV}" [2]', [("other_doc", 0, SALE), ("riot_sales", 0, NOV)])
    ok, why = answered_right(item, sibling)
    assert ok is False and "1818" in why and "161.6" in why
    # ... unless that passage holds the item's evidence sentence
    with_evidence = _gold(evidence=["sold 1,818 BTC for $161.6 million"])
    assert answered_right(with_evidence, sibling) == (True, "")
    assert answered_right(item, _cited(f'"{NOV}" [1]', [("other_doc", 0, NOV)])) == (False, "cites no gold evidence")
    one_figure = _cited('"Riot sold 1,818 BTC." [1]', [("riot_sales", 0, SALE)])
    assert answered_right(item, one_figure)[0] is False  # every gold figure, not some


def test_answered_right_is_scale_aware_and_language_blind_for_figures():
    ja = _cited("ライオットは2025年12月に1,818BTCを1億6,160万ドルで売却した [1]。", [("riot_sales", 0, SALE)],
                lang="ja")
    assert answered_right(_gold(), ja) == (True, "")
    full = _cited("Riot sold 1,818 BTC for $161,600,000 [1].", [("riot_sales", 0, SALE)])
    assert answered_right(_gold(), full) == (True, "")


@pytest.mark.parametrize(
    "gold, text, expected",
    [
        (161.6, "$161.6 million", True), (161.6, "$161,600,000", True), (161.6, "1億6,160万ドル", True),
        (161.6, "$162 million", True),  # the answer's own rounding
        (161.6, "$160 million", False), (161.6, "$0.2 billion", False),  # rounding capped at 1% of the gold
        (198.6, "$199.6 million", False),  # a neighbouring figure, inside the old 0.6% tolerance
        (600.53, "more than $600 million", False), (600.53, "6億53万ドル", True),
        (1.7, "1.7 GW", True), (12.7, "約1,270万株", True), (0.1235, "0.1235", True), (20.4, "$20.40", True),
    ],
)
def test_figure_stated_is_scale_aware_within_rounding(gold, text, expected):
    assert figure_stated(gold, parse_figures(text)[0]) is expected


def test_refusals_and_unanswerable_items():
    refused = Answer("q", "The documents don't say.", False, "extractive", [], {}, {}, None, 0.1, "en")
    assert answered_right(_gold(), refused) == (False, "refused")
    model_refusal = _cited("The documents do not say how much [1].", [("riot_sales", 0, SALE)])
    assert answered_right(_gold(), model_refusal) == (False, "refused")
    unanswerable = EvalItem("u", "What did the CEO earn?", "NOT_IN_CORPUS", "en", "unanswerable")
    assert answered_right(unanswerable, refused) == (None, "")


def test_narrative_items_need_a_majority_of_key_terms_in_either_language():
    item = _gold(numbers=(), key_terms=[["AMD", "エーエムディー"], ["Rockdale", "ロックデール"], ["lease", "リース"]],
                 answer="With AMD, at Rockdale.")
    passage = [("riot_sales", 0, "Riot signed a lease with AMD at Rockdale.")]
    assert answered_right(item, _cited("Riot leased space to AMD [1].", passage)) == (True, "")  # 2 of 3
    assert answered_right(item, _cited("ロックデールでAMDとリース契約 [1]", passage)) == (True, "")
    assert answered_right(item, _cited("Riot signed with AMD [1].", passage)) == (False, "key terms 1/3")
    assert key_terms_score([["AMD"]], "amdx and Ａ Ｍ Ｄ") == (0, 1)  # a short term must be a whole word
    hut = _gold(numbers=(), key_terms=[["Fluidstack"], ["Anthropic"]], answer="Hut 8 leases River Bend to Fluidstack.")
    passage = [("riot_sales", 0, "Hut 8 signed a lease with Fluidstack for Anthropic.")]
    assert answered_right(hut, _cited("Fluidstack, for Anthropic [1].", passage)) == (True, "")  # no "8" needed
    assert majority(2, 3) and majority(2, 2) and not majority(1, 2) and not majority(2, 4)


def test_default_key_terms_come_from_the_gold_answer():
    terms = default_key_terms("On 16 January 2026, with AMD, at Rockdale (not Corsicana).")
    assert ["AMD"] in terms and ["Rockdale"] in terms and not any(t[0].isdigit() for alts in terms for t in alts)
    terms = default_key_terms("Without tenant contracts, newly built data centres could become idle assets.")
    assert key_terms_score(terms, "data centres without tenant contracts may become idle")[0] >= 3
    assert default_key_terms("設備稼働率のリスク。テナント契約がない場合") [:2] == [["設備稼働率"], ["リスク"]]
    item = _gold(numbers=(), answer="The lease is with AMD at Rockdale, starting January 2026.")
    passage = [("riot_sales", 0, "")]
    assert answered_right(item, _cited("No figures here [1].", passage))[1].startswith("key terms 0/")


def test_gold_citation_precision_counts_gold_pages_and_evidence_text():
    item = _gold(doc="10k", page=4, evidence=["sold 1,818 BTC"])
    a = _cited("x [1] y [2] z [3]", [("10k", 4, "p4"), ("10k", 5, "p5"), ("news", 0, "It sold 1,818\nBTC.")])
    assert gold_citation_precision(item, a) == pytest.approx(2 / 3)  # page 5 of a paginated doc is not gold
    assert gold_citation_precision(item, _cited("no citations", [])) is None
    assert citation_precision(_answer(supported=[{"matched": {"n": 1}}], cited=(1,))) == 1.0  # the old one: circular


def test_evidence_hit_finds_the_sentence_in_a_chunk_not_just_the_document():
    chunks = ["# Terms\n- Capacity: 25 MW", "Riot bought the 200 acres\nunder the Rockdale site for $96.0 million.",
              "x"]
    m = evidence_metrics(chunks, ["Riot bought the 200 acres under the Rockdale site for $96.0 million."])
    assert m == {"evidence_hit@1": 0.0, "evidence_hit@5": 1.0, "evidence_hit@10": 1.0}
    assert evidence_metrics(chunks[:1], ["200 acres"])["evidence_hit@10"] == 0.0
    assert contains_evidence("同社は1,818BTCを売却し、", ["1,818BTCを売却"]) and not contains_evidence("abc", [""])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ライオットは2025年12月に1,818 BTCを1億6,160万ドルで売却した [1]。", True),
        ("資料には記載がありません。", True),  # the Japanese refusal
        ('資料によると:\n"Riot sold 1,818 BTC for $161.6 million." [1]', False),  # English quotes under a JA lead-in
        ("資料によると:\n「同社は2025年12月に1,818BTCを1億6,160万ドルで売却した」 [1]", True),  # a Japanese quote
        ("ライオットはAMDと契約した。「Riot signed a 25 MW lease with AMD at Rockdale for 10 years.」 [1]", True),
        ("Riot sold 1,818 BTC (ライオット).", False),
        ("The documents don't say.", False),
    ],
)
def test_answer_in_japanese(text, expected):
    assert answer_in_japanese(text) is expected


def _new_row(answerable, refused, right=None, lang="en", ja=None, gcp=None):
    return {"retrieval": None, "figure_match": None, "citation_precision": None, "figures_unsupported": 0,
            "figures_total": 0, "latency_ms": 5.0, "answerable": answerable, "refused": refused,
            "refusal_correct": refused != answerable, "answered_right": right, "lang": lang, "ja_in_ja": ja,
            "gold_citation_precision": gcp}


def test_refusal_rates_are_separate_for_answerable_and_unanswerable_items():
    rows = [_new_row(False, True), _new_row(False, True), _new_row(False, False),
            _new_row(True, False, True, "ja", True, 1.0), _new_row(True, False, False, "ja", False, 0.5),
            _new_row(True, True, False), _new_row(True, False, True, gcp=0.0)]
    a = _summarise(rows)["answers"]
    assert a["answered_right"] == 0.5  # 2 of 4 answerable
    assert a["unanswerable_refused"] == pytest.approx(2 / 3, abs=1e-4) and a["wrong_refusal_rate"] == 0.25
    assert a["ja_in_ja"] == 0.5 and a["gold_citation_precision"] == 0.5
    assert a["n_answerable"] == 4 and a["n_unanswerable"] == 3


def test_floors_on_the_new_metrics_by_language_and_ceilings():
    metrics = {"n": 4, "answers": {"answered_right": 0.82, "wrong_refusal_rate": 0.2},
               "by_lang": {"ja": {"answers": {"answered_right": 0.5}}}}
    assert check_floors(metrics, {"answered_right": 0.8}) == []
    assert check_floors(metrics, {"by_lang.ja.answered_right": 0.8}) == [
        "by_lang.ja.answers.answered_right = 0.5 is below the floor 0.8"]
    assert check_floors(metrics, {}, {"wrong_refusal_rate": 0.1}) == [
        "answers.wrong_refusal_rate = 0.2 is above the ceiling 0.1"]
    assert "unknown metric 'by_lang.fr.answered_right'" in check_floors(metrics, {"by_lang.fr.answered_right": 1})[0]


# ---------------------------------------------------------------- the question set: schema and data


def test_optional_fields_load_and_bad_ones_name_the_field(tmp_path):
    base = {"id": "a", "lang": "en", "question": "And what about AMD?", "answer": "A lease.", "kind": "narrative",
            "doc_name": "riot", "page": 0}
    full = {**base, "evidence": "Riot signed a lease.", "key_terms": ["lease", ["AMD", "エーエムディー"]],
            "history": [{"role": "user", "content": "What did Riot sign?"}], "company": "Riot Platforms"}
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(base) + "\n" + json.dumps({**full, "id": "b"}) + "\n", encoding="utf-8")
    plain, item = load_questions(path)
    assert plain.evidence == [] and plain.key_terms == [] and plain.history == [] and plain.company is None
    assert item.evidence == ["Riot signed a lease."] and item.key_terms == [["lease"], ["AMD", "エーエムディー"]]
    assert item.history == [{"role": "user", "content": "What did Riot sign?"}] and item.company == "Riot Platforms"
    for field, value, message in (("key_terms", [[]], "key_terms"), ("key_terms", "lease", "key_terms"),
                                  ("history", [{"role": "bot", "content": "x"}], "history"),
                                  ("evidence", [3], "evidence")):
        path.write_text(json.dumps({**base, field: value}) + "\n", encoding="utf-8")
        with pytest.raises(QuestionSetError, match=f"line 1: field '{message}'"):
            load_questions(path)


def test_own_set_evidence_is_copied_from_the_corpus_and_the_set_is_balanced():
    items = load_questions(REPO / "evals" / "questions.jsonl")
    docs = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.iterdir() if p.suffix in (".md", ".txt")}
    for item in items:
        for sentence in item.evidence:
            assert any(contains_evidence(text, [sentence]) for text in docs.values()), (item.id, sentence)
        if item.answerable:
            assert item.evidence and item.gold_docs <= set(docs), item.id
            assert item.numbers or item.key_terms, f"{item.id}: a narrative item needs its key terms"
    unanswerable = [i for i in items if not i.answerable]
    follow_ups = [i for i in items if i.history]
    assert len(items) >= 141 and len(unanswerable) >= 21 and len(follow_ups) >= 6
    assert {i.lang for i in unanswerable} == {"en", "ja"} and {i.lang for i in follow_ups} == {"en", "ja"}


def test_japanese_content_needs_the_answers_figures_or_key_terms_in_japanese():
    from rag.evaluation.metrics import answer_in_japanese, japanese_content

    q = "ライオットは2025年12月にビットコインを何BTC売却したか?"
    note = "ライオットについて、英語の資料に該当する記載があります(原文は下記) [1]。"
    lead = "ライオットの2025年12月のビットコイン売却は1,818 BTC、手取金は1億6,160万ドルです [1]。"
    assert answer_in_japanese(note)  # the old column counted the note
    assert not japanese_content(note, q, [1818], [])
    assert japanese_content(lead, q, [161.6], [])
    english = '資料によると:\n"Riot sold 1,818 BTC." [1]'
    assert not japanese_content(english, q, [1818], [])  # the figure sits in an English quote only
    terms = [["Rockdale", "ロックデール"], ["ライオット"]]
    assert japanese_content("ライオットについて、原文はAMD、リース、Rockdaleに触れています [1]。", q, [], terms)
    assert not japanese_content("ライオットについて、原文は契約に触れています [1]。", q, [], terms)  # echo only


def test_calibration_bins_ece_and_brier():
    from rag.evaluation.metrics import calibration

    # Always 0.9 confident, right half the time: ECE 0.4, the high confidence can't flatter.
    flat = calibration([(0.9, True), (0.9, False)] * 5)
    assert flat["n"] == 10 and flat["ece"] == 0.4 and flat["brier"] == 0.41
    # Confidence that tracks being right: low where wrong, high where right.
    tracked = calibration([(0.1, False), (0.2, False), (1.0, True), (0.96, True)])
    assert tracked["ece"] < 0.1 and tracked["brier"] < 0.05
    top = tracked["bins"][-1]
    assert (top["lo"], top["hi"], top["n"], top["right"]) == (0.95, 1.0, 2, 1.0)  # 1.0 falls in the closed last bin
    assert calibration([])["ece"] is None


def test_summary_calibrates_answers_and_refusals():
    def row(refused, answerable, right, confidence):
        return {**_row(refused, answerable), "answerable": answerable, "answered_right": right,
                "confidence": confidence}

    rows = [row(False, True, True, 0.9), row(False, True, False, 0.9),  # answers: one right
            row(True, False, None, 0.8),  # a refusal of an unanswerable item is right
            row(False, False, None, 0.7)]  # answering an unanswerable item is wrong
    cal = _summarise(rows)["calibration"]
    assert cal["all"]["n"] == 4 and cal["answers"]["n"] == 3
    assert [b["right"] for b in cal["answers"]["bins"] if b["n"]] == [0.0, 0.5]
