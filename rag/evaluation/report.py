"""Write an evaluation report as JSON, Markdown and PNG charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.evaluation.evaluate import EvalReport

# Metrics that can't flatter: graded against the gold evidence (see evals/README.md, "Metrics").
NEW = (("answers", "answered_right"), ("answers", "unanswerable_refused"), ("answers", "wrong_refusal_rate"),
       ("answers", "gold_citation_precision"), ("answers", "ja_in_ja"), ("retrieval", "evidence_hit@5"),
       ("calibration", "ece"))
# The old columns, kept beside the new ones for one report: page hit on text files is only document hit,
# and citation precision counts a quote as supporting its own figures.
OLD = (("retrieval", "page_hit@1"), ("retrieval", "page_hit@5"), ("retrieval", "page_hit@10"),
       ("retrieval", "doc_hit@5"), ("retrieval", "mrr@10"), ("answers", "figure_match"),
       ("answers", "refusal_accuracy"), ("answers", "citation_precision"), ("answers", "unsupported_figure_rate"),
       ("answers", "ja_in_ja_old"))
LABELS = {"answered_right": "answered right", "unanswerable_refused": "unanswerable refused",
          "wrong_refusal_rate": "wrong refusals", "gold_citation_precision": "gold citation prec.",
          "ja_in_ja": "JA content in JA", "ja_in_ja_old": "old: JA script only", "evidence_hit@5": "evidence hit@5", "ece": "confidence ECE", "page_hit@1": "page hit@1",
          "page_hit@5": "page hit@5", "page_hit@10": "page hit@10", "doc_hit@5": "doc hit@5", "mrr@10": "MRR@10",
          "figure_match": "old: figure match", "refusal_accuracy": "old: refusal acc.",
          "citation_precision": "old: citation prec.", "unsupported_figure_rate": "old: unsupported fig."}


def _fmt(v: Any) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def value(m: dict[str, Any], section: str, key: str) -> Any:
    """A metric of a summary; calibration is read for everything said (answers and refusals)."""
    part = m.get(section) or {}
    return (part.get("all") or {}).get(key) if section == "calibration" else part.get(key)


def headline(m: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) of the new metrics then the old ones, for the CLI table and the Evaluate page."""
    return [(LABELS[k], value(m, section, k)) for section, k in NEW + OLD]


def calibration_lines(m: dict[str, Any]) -> list[str]:
    """The reliability table: per confidence bin, how often what was said was right."""
    cal = m.get("calibration") or {}
    lines = []
    for name, label in (("all", "answers and refusals"), ("answers", "answers alone")):
        c = cal.get(name)
        if not c or not c["n"]:
            continue
        lines += [f"{label.capitalize()} (n={c['n']}): ECE {_fmt(c['ece'])}, Brier {_fmt(c['brier'])}.", "",
                  "| confidence | n | mean confidence | share right |", "|---|---|---|---|"]
        lines += [f"| {b['lo']:.2f}–{b['hi']:.2f} | {b['n']} | {_fmt(b['confidence'])} | {_fmt(b['right'])} |"
                  for b in c["bins"]]
        lines.append("")
    return lines


def _table(groups: dict[str, dict[str, Any]], columns: tuple[tuple[str, str], ...], latency: bool) -> list[str]:
    head = ["group", "n", *(LABELS[k] for _, k in columns)] + (["p50 ms"] if latency else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in groups.items():
        cells = [name, str(m["n"]), *(_fmt(value(m, section, k)) for section, k in columns)]
        lines.append("| " + " | ".join(cells + ([_fmt(m["latency"]["p50_ms"])] if latency else [])) + " |")
    return lines


def failed(r: dict[str, Any]) -> bool:
    """A question worth reading: answered wrong, an unanswerable one answered, or its evidence not retrieved."""
    ret = r.get("retrieval") or {}
    return (r.get("answered_right") is False or not r["refusal_correct"]
            or ret.get("evidence_hit@5", ret.get("page_hit@5")) == 0)


def render_markdown(report: EvalReport, title: str, worst: int = 10) -> str:
    m = report.metrics
    judged = f" Judge score (model-judged by {m['judge']}): {_fmt(m['answers'].get('judge_score'))}." if m.get(
        "judge") else ""
    a = m["answers"]
    lines = [f"# {title}", "", f"{m['n']} questions ({a.get('n_answerable')} answerable, {a.get('n_unanswerable')} "
             f"unanswerable), answers in {m['mode']} mode.{judged}", "",
             "New metrics are graded against the gold evidence; the old ones (page hit on text files, figure "
             "match, citation precision against the answer's own quotes) are kept below for one report.", ""]
    groups = {"all": m}
    for section in ("by_lang", "by_kind", "by_type"):
        if len(m.get(section, {})) > 1:
            groups.update({f"{section[3:]}: {g}": v for g, v in m[section].items()})
    lines += ["## New metrics", ""] + _table(groups, NEW, latency=True)
    cal = calibration_lines(m)
    if cal:
        lines += ["", "## Confidence calibration", "",
                  "Right means: an answer answered right, or a refusal of an unanswerable question; an answer's "
                  "confidence is that it answers, a refusal's that nothing retrieved does. ECE: the count-weighted "
                  "gap between mean confidence and share right over the bins.", ""] + cal[:-1]
    lines += ["", "## Old metrics (kept for one report)", ""] + _table(groups, OLD, latency=False)
    failures = [r for r in report.rows if failed(r)]
    if failures:
        lines += ["", f"## Worst failures ({min(worst, len(failures))} of {len(failures)})", ""]
        for r in failures[:worst]:
            answer = " ".join(r["answer"].split())[:300]
            why = f" — {r['why_wrong']}" if r.get("why_wrong") else ""
            lines += [f"- **{r['id']}** ({r['lang']}, {r['kind']}): {r['question']}{why}",
                      f"  - gold: {' '.join(str(r['gold']).split())[:200]} — pages {r['gold_pages']}",
                      f"  - answer: {answer}", f"  - cited: {r.get('cited', [])} · retrieved: {r['retrieved'][:5]}"]
    return "\n".join(lines) + "\n"


def write_charts(report: EvalReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = report.metrics
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    groups = {"all": m, **m.get("by_lang", {})}
    width = 0.8 / len(groups)
    for i, (name, g) in enumerate(groups.items()):
        for ax, columns in zip(axes, (NEW, OLD)):
            vals = [value(g, section, k) or 0 for section, k in columns]
            ax.bar([x + i * width for x in range(len(columns))], vals, width, label=name)
    for ax, columns in zip(axes, (NEW, OLD)):
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(columns))], [LABELS[k] for _, k in columns],
                      rotation=30, ha="right", fontsize=8)
    axes[0].set_title("New: graded against the gold evidence")
    axes[1].set_title("Old (kept for one report)")
    for ax in axes:
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(report: EvalReport, out: Path, name: str = "eval", title: str = "Evaluation") -> dict[str, Path]:
    """Write NAME.json, NAME.md and NAME.png under out; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{name}.json", "md": out / f"{name}.md", "png": out / f"{name}.png"}
    paths["json"].write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report, title), encoding="utf-8")
    write_charts(report, paths["png"])
    return paths
