"""Figure-checker benchmark: how well rag.figures.verify flags unsupported figures in a hand-labelled set.

    python -m evals.bench_figures [--data evals/figures_labelled.jsonl] [--out evals/reports]

Each line of the data file holds one sentence, the figure it mentions, one passage, and a label
("supported" or "unsupported"). The positive class is "unsupported": precision is the share of
flagged figures that really are unsupported, recall the share of unsupported figures flagged.
A mention the parser does not find counts as not flagged. Writes figures.json and figures.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rag.figures.verify import check_figures

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "figures_labelled.jsonl"
LABELS = ("supported", "unsupported")


def load_items(path: str | Path) -> list[dict[str, Any]]:
    """Read and check the labelled file; raises ValueError naming the bad line."""
    items = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        missing = [k for k in ("id", "lang", "text", "figure", "passage", "label") if k not in item]
        if missing:
            raise ValueError(f"{path}: line {no}: missing {', '.join(missing)}")
        if item["label"] not in LABELS:
            raise ValueError(f"{path}: line {no}: label must be 'supported' or 'unsupported'")
        if item["figure"] not in item["text"]:
            raise ValueError(f"{path}: line {no}: figure {item['figure']!r} does not occur in text")
        items.append(item)
    return items


def predict(item: dict[str, Any]) -> dict[str, Any]:
    """Run the checker on one item: is the labelled mention flagged as unsupported?"""
    text, mention = item["text"], item["figure"]
    start = text.index(mention)
    end = start + len(mention)
    report = check_figures(text, [item["passage"]])
    found = [(f, False) for f in report.unsupported] + [(f, True) for f in report.supported]
    hits = [(f, ok) for f, ok in found if f.start < end and start < f.end]
    if not hits:
        return {"parsed": False, "flagged": False, "raw": None}
    fig, ok = hits[0]
    return {"parsed": True, "flagged": not ok, "raw": fig.raw}


def _metrics(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    tp = sum(r["gold_unsupported"] and r["flagged"] for r in rows)
    fp = sum(not r["gold_unsupported"] and r["flagged"] for r in rows)
    fn = sum(r["gold_unsupported"] and not r["flagged"] for r in rows)
    tn = sum(not r["gold_unsupported"] and not r["flagged"] for r in rows)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    return {"n": len(rows), "unsupported": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": _r(precision), "recall": _r(recall), "f1": _r(f1),
            "accuracy": _r((tp + tn) / len(rows)) if rows else None,
            "parse_misses": sum(not r["parsed"] for r in rows)}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def run(path: str | Path = DEFAULT_DATA) -> dict[str, Any]:
    """Precision, recall, F1 and accuracy of flagging unsupported figures, overall and by language.

    Returns a dict with "overall", "by_lang", "by_case" metrics, "errors" (the items the checker
    got wrong) and "seconds".
    """
    items = load_items(path)
    t0 = time.perf_counter()
    rows = []
    for item in items:
        pred = predict(item)
        rows.append({"id": item["id"], "lang": item["lang"], "case": item.get("case", ""), "figure": item["figure"],
                     "label": item["label"], "gold_unsupported": item["label"] == "unsupported", **pred})
    seconds = time.perf_counter() - t0
    langs = sorted({r["lang"] for r in rows})
    cases = sorted({r["case"] for r in rows})
    try:
        shown = Path(path).resolve().relative_to(HERE.parent).as_posix()
    except ValueError:
        shown = str(path)
    return {
        "data": shown,
        "overall": _metrics(rows),
        "by_lang": {lang: _metrics(r for r in rows if r["lang"] == lang) for lang in langs},
        "by_case": {case: _metrics(r for r in rows if r["case"] == case) for case in cases},
        "errors": [r for r in rows if r["flagged"] != r["gold_unsupported"]],
        "seconds": round(seconds, 3),
    }


def render_markdown(result: dict[str, Any]) -> str:
    def fmt(x: Any) -> str:
        return "–" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))

    lines = ["# Figure checker: flagging unsupported figures", "",
             (f"Data: `{Path(result['data']).name}`. Positive class: unsupported. "
              f"{result['overall']['n']} labelled mentions checked in {result['seconds']} s."), "",
             "| set | n | unsupported | precision | recall | F1 | accuracy | parse misses |",
             "|---|---|---|---|---|---|---|---|"]
    for name, m in [("all", result["overall"]), *result["by_lang"].items()]:
        lines.append(f"| {name} | {m['n']} | {m['unsupported']} | {fmt(m['precision'])} | {fmt(m['recall'])} | "
                     f"{fmt(m['f1'])} | {fmt(m['accuracy'])} | {m['parse_misses']} |")
    lines += ["", "## By case", "", "| case | n | unsupported | judged correctly | accuracy |", "|---|---|---|---|---|"]
    for case, m in result["by_case"].items():
        right = m["tp"] + m["tn"]
        lines.append(f"| {case or '(none)'} | {m['n']} | {m['unsupported']} | {right} | {fmt(m['accuracy'])} |")
    lines += ["", "## Errors", ""]
    if not result["errors"]:
        lines.append("None.")
    for e in result["errors"]:
        kind = "missed (unsupported, not flagged)" if e["gold_unsupported"] else "false alarm (supported, flagged)"
        lines.append(f"- `{e['id']}` ({e['case']}): {e['figure']} — {kind}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m evals.bench_figures", description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="labelled JSONL file")
    ap.add_argument("--out", default=str(HERE / "reports"), help="folder for figures.json and figures.md")
    args = ap.parse_args(argv)
    result = run(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "figures.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    markdown = render_markdown(result)
    (out / "figures.md").write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
