"""Briefing benchmark: an analyst's checklist per company, scored in each language of the briefing.

    python -m evals.bench_briefing [--checklist evals/briefing_checklist.jsonl] [--out evals/reports]
        [--corpus-data DIR] [--tenk-data DIR]

Each checklist line names a company, where its documents are ("corpus": corpus/ ingested into --corpus-data;
"10k": the listed FinanceBench PDFs, ingested into --tenk-data, which must already hold them), and the must-haves:
dated events (kind, date, figures), key figures (metric, period, value) and the values two sources disagree on.
Scores per language:
- coverage: share of must-haves the half states (an event: a What-changed bullet of that month stating its
  figures; a figure: a key-figures row or bullet with its value; a disagreement: a Where-sources-disagree bullet
  with its value);
- figure precision: of the key-figures values (a row's, and its prior period's) the checklist knows, the share
  with the right label and period (rows the checklist lists as wrong count as wrong);
- ja_in_ja: share of Japanese-half bullets that are Japanese sentences (Japanese words and grammar once citations,
  quotes and Latin-script names are set aside; not a pointer to an English original);
- left_out: quotes the Japanese half gives no Japanese sentence (no line, or only a pointer to the 原文 under their
  source); counted apart from ja_in_ja.
Writes briefing.json and briefing.md.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from rag.briefing.briefing import Briefing, write_briefing
from rag.config import get_settings
from rag.figures.parse import parse_figures
from rag.store.stores import open_stores

HERE = Path(__file__).resolve().parent
_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def _states(text: str, value: float, unit: str) -> bool:
    unit = "USD" if unit == "USD" else unit
    return any(f.unit == unit and abs(f.value - value) <= max(0.006 * abs(value), f.ulp) for f in parse_figures(text))


def _month(date: str) -> str:
    if m := re.fullmatch(r"(\d{4})Q([1-4])", date):
        return f"{m.group(1)}Q{m.group(2)}"
    return date[:7]


def _event_found(b: Briefing, ev: dict[str, Any], lang: str) -> bool:
    for f in b.section("changed"):
        dates = {_month(str(x.get("period", ""))) for x in f.figures} or set()
        text = f.text(lang)
        dated = _month(ev["date"]) in dates or _month(ev["date"]) in {_month(_date_of(f.text_en))}
        if dated and all(_states(text, v, u) for v, u in ev["values"]):
            return True
    return False


_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_of(text_en: str) -> str:
    """The date a What-changed bullet leads with, as rag.briefing.japanese.format_date writes it ("30 Oct 2025",
    "Oct 2025", "Q3 2025"): an event without figures is dated only there."""
    from rag.briefing.events import find_date

    head = text_en.split(":", 1)[0].strip()
    if (m := re.fullmatch(r"(?:\d{1,2} )?([A-Z][a-z]{2}) (\d{4})", head)) and m.group(1) in _ABBR:
        return f"{m.group(2)}-{_ABBR.index(m.group(1)) + 1:02d}"
    if m := re.fullmatch(r"Q([1-4]) (\d{4})", head):
        return f"{m.group(2)}Q{m.group(1)}"
    return find_date(head)[0]


def _cells(b: Briefing) -> list[tuple[str, float, str, str]]:
    """(metric, value, unit, period) of every value the key-figures table shows: each row's, and its prior period's."""
    out = []
    for r in b.key_figures:
        out.append((r.metric_key, r.value, r.unit, r.period))
        if r.prior is not None:
            out.append((r.metric_key, r.prior, r.unit, r.prior_period))
    return out


def _close(a: float, b: float) -> bool:
    # Tables write four significant digits; a looser match would take $460 million of buybacks for $458 million cash.
    return abs(a - b) <= 0.002 * abs(b)


def _figure_found(b: Briefing, fig: dict[str, Any], lang: str) -> bool:
    if any(unit == fig["unit"] and _close(value, fig["value"]) for _, value, unit, _ in _cells(b)):
        return True
    return any(_states(f.text(lang), fig["value"], fig["unit"]) for f in b.facts if f.section != "disagree")


def _precision(b: Briefing, item: dict[str, Any]) -> tuple[int, int]:
    """(right, judged) over key-figures rows whose value the checklist knows."""
    right = judged = 0
    for metric, value, unit, period in _cells(b):
        known = [f for f in item["figures"] if f["unit"] == unit and _close(value, f["value"])]
        wrong = [w for w in item.get("wrong", []) if w["metric"] == metric and _close(value, w["value"])]
        if wrong:
            judged += 1
        elif known:
            judged += 1
            right += any(f["metric"] == metric and f["period"] == period for f in known)
    return right, judged


# A line that only sends the reader to the English original ("see the original under [1]") says nothing in Japanese.
_POINTER = re.compile(r"原文を参照|原文は下記|英語の資料のみ|英語の資料に該当する記載|see the original")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9&'’.-]*(?:[ ]+[A-Za-z0-9][A-Za-z0-9&'’.-]*)*")


def is_japanese_sentence(text: str) -> bool:
    """Whether a Japanese-half line is a Japanese sentence: Japanese words with Japanese grammar (kana) once the
    citations, quoted text and Latin-script names are set aside, more Japanese than Latin, and not a pointer."""
    text = re.sub(r"\[\d+\]|「[^」]*」|“[^”]*”", "", text)
    if _POINTER.search(text):
        return False
    ja, latin = len(_JA.findall(text)), len(_LATIN.findall(text))
    # Names ("Commercial Airplanes", "787プログラム") stay in Latin script; what is left must be Japanese.
    rest = _LATIN_RUN.sub("", text)
    return ja >= 8 and bool(re.search(r"[\u3040-\u309f]", rest)) and 2 * ja >= latin


def _ja_bullets(b: Briefing) -> tuple[int, int, int]:
    """(Japanese sentences, bullets of the Japanese half, quotes it leaves out: with no Japanese line or only a
    pointer to the English original)."""
    ok = total = left_out = 0
    for f in b.facts:
        if f.section == "figures" and f.origin != "model":
            continue  # the table, not bullets
        if not f.text_ja:
            left_out += 1  # not a bullet of the Japanese half: its English sentence is shown as 原文 under the source
            continue
        total += 1
        japanese = f.origin != "pointer" and is_japanese_sentence(f.text_ja)
        ok += japanese
        left_out += not japanese and bool(_POINTER.search(f.text_ja))
    return ok, total, left_out


def score(b: Briefing, item: dict[str, Any]) -> dict[str, Any]:
    """The checklist scores of one briefing, per language."""
    out: dict[str, Any] = {"id": item["id"], "company": b.company, "docs": len(b.docs)}
    musts = len(item["events"]) + len(item["figures"]) + len(item["disagreements"])
    for lang in ("en", "ja"):
        found = [e["date"] + " " + e["kind"] for e in item["events"] if _event_found(b, e, lang)]
        figs = [f"{f['metric']} {f['period']}" for f in item["figures"] if _figure_found(b, f, lang)]
        dis = [str(d["value"]) for d in item["disagreements"]
               if any(_states(f.text(lang), d["value"], d["unit"]) for f in b.section("disagree"))]
        out[lang] = {"coverage": (len(found) + len(figs) + len(dis)) / musts if musts else 1.0,
                     "events": f"{len(found)}/{len(item['events'])}", "figures": f"{len(figs)}/{len(item['figures'])}",
                     "disagreements": f"{len(dis)}/{len(item['disagreements'])}",
                     "missing": [e["date"] + " " + e["kind"] for e in item["events"] if not _event_found(b, e, lang)]
                     + [f"{f['metric']} {f['period']}" for f in item["figures"] if not _figure_found(b, f, lang)]}
    right, judged = _precision(b, item)
    out["figure_precision"] = {"right": right, "judged": judged, "rows": len(b.key_figures)}
    ok, total, left_out = _ja_bullets(b)
    out["ja_in_ja"] = {"ok": ok, "total": total, "left_out": left_out}
    out["disagree_bullets"] = len(b.section("disagree"))
    return out


def run(checklist: Path, corpus_data: Path, tenk_data: Path | None) -> dict[str, Any]:
    items = [json.loads(x) for x in checklist.read_text(encoding="utf-8").splitlines() if x.strip()]
    results = []
    for data, path in (("corpus", corpus_data), ("10k", tenk_data)):
        chosen = [i for i in items if i["data"] == data]
        if not chosen or path is None:
            continue
        stores = open_stores(get_settings(_env_file=None, data_dir=path))
        try:
            for item in chosen:
                t0 = time.perf_counter()
                b = write_briefing(stores, item["company"])
                r = score(b, item)
                r["seconds"] = round(time.perf_counter() - t0, 2)
                results.append(r)
        finally:
            stores.close()
    total = {lang: round(sum(r[lang]["coverage"] for r in results) / max(1, len(results)), 3) for lang in ("en", "ja")}
    right = sum(r["figure_precision"]["right"] for r in results)
    judged = sum(r["figure_precision"]["judged"] for r in results)
    ok = sum(r["ja_in_ja"]["ok"] for r in results)
    bullets = sum(r["ja_in_ja"]["total"] for r in results)
    # Table rows are the same facts in both languages, so precision is the same per language.
    return {"coverage": total, "figure_precision": {"en": round(right / max(1, judged), 3),
                                                    "ja": round(right / max(1, judged), 3), "judged": judged},
            "ja_in_ja": round(ok / max(1, bullets), 3),
            "ja_left_out": sum(r["ja_in_ja"]["left_out"] for r in results), "briefings": results}


def write_report(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "briefing.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summary = (f"coverage EN {report['coverage']['en']} · JA {report['coverage']['ja']} (target ≥ 0.85); figure "
               f"precision {report['figure_precision']['en']} over {report['figure_precision']['judged']} judged rows "
               f"(target ≥ 0.95); Japanese bullets in Japanese {report['ja_in_ja']} (target ≥ 0.90); "
               f"{report['ja_left_out']} English-only quotes left out of the Japanese half (shown there as 原文)")
    head = ("| briefing | docs | seconds | EN events | EN figures | EN disagree | JA events | JA figures | JA disagree "
            "| precision | JA in JA | JA left out |")
    lines = ["# Briefing checklist", "", summary, "", head, "|" + "---|" * 12]
    for r in report["briefings"]:
        p, j = r["figure_precision"], r["ja_in_ja"]
        lines.append(f"| {r['id']} | {r['docs']} | {r['seconds']} | {r['en']['events']} | {r['en']['figures']} | "
                     f"{r['en']['disagreements']} | {r['ja']['events']} | {r['ja']['figures']} | "
                     f"{r['ja']['disagreements']} | {p['right']}/{p['judged']} | {j['ok']}/{j['total']} | {j['left_out']} |")
    lines += ["", "Missing (EN):", ""] + [f"- {r['id']}: {', '.join(r['en']['missing']) or '—'}"
                                          for r in report["briefings"]]
    (out / "briefing.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checklist", type=Path, default=HERE / "briefing_checklist.jsonl")
    ap.add_argument("--out", type=Path, default=HERE / "reports")
    ap.add_argument("--corpus-data", type=Path, required=True, help="a data dir with corpus/ ingested")
    ap.add_argument("--tenk-data", type=Path, default=None, help="a data dir with the checklist's 10-K PDFs ingested")
    args = ap.parse_args()
    report = run(args.checklist, args.corpus_data, args.tenk_data)
    write_report(report, args.out)
    print((args.out / "briefing.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
