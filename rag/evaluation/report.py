"""Write an evaluation report as JSON, Markdown and PNG charts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.evaluation.evaluate import EvalReport

_RET = ("page_hit@1", "page_hit@5", "page_hit@10", "doc_hit@5", "mrr@10")
_ANS = ("figure_match", "refusal_accuracy", "citation_precision", "unsupported_figure_rate")


def _fmt(v: Any) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _table(groups: dict[str, dict[str, Any]]) -> list[str]:
    head = ["group", "n", *_RET, *_ANS, "p50 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, m in groups.items():
        cells = [name, str(m["n"]), *(_fmt(m["retrieval"].get(k)) for k in _RET),
                 *(_fmt(m["answers"].get(k)) for k in _ANS), _fmt(m["latency"]["p50_ms"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_markdown(report: EvalReport, title: str, worst: int = 10) -> str:
    m = report.metrics
    judged = f" Judge score (model-judged by {m['judge']}): {_fmt(m['answers'].get('judge_score'))}." if m.get(
        "judge") else ""
    lines = [f"# {title}", "", f"{m['n']} questions, answers in {m['mode']} mode.{judged}", "", "## Overall", ""]
    lines += _table({"all": m})
    for section, label in (("by_lang", "language"), ("by_kind", "kind"), ("by_type", "question type")):
        if len(m.get(section, {})) > 1:
            lines += ["", f"## By {label}", ""] + _table(m[section])
    failures = [r for r in report.rows if (r["retrieval"] and r["retrieval"]["page_hit@5"] == 0)
                or r["figure_match"] == 0 or not r["refusal_correct"]]
    if failures:
        lines += ["", f"## Worst failures ({min(worst, len(failures))} of {len(failures)})", ""]
        for r in failures[:worst]:
            answer = " ".join(r["answer"].split())[:300]
            lines += [f"- **{r['id']}** ({r['lang']}, {r['kind']}): {r['question']}",
                      f"  - gold: {' '.join(str(r['gold']).split())[:200]} — pages {r['gold_pages']}",
                      f"  - answer: {answer}", f"  - retrieved: {r['retrieved'][:5]}"]
    return "\n".join(lines) + "\n"


def write_charts(report: EvalReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = report.metrics
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    groups = {"all": m, **m.get("by_lang", {})}
    width = 0.8 / len(groups)
    for i, (name, g) in enumerate(groups.items()):
        vals = [g["retrieval"].get(k) or 0 for k in _RET]
        axes[0].bar([x + i * width for x in range(len(_RET))], vals, width, label=name)
        vals = [g["answers"].get(k) or 0 for k in _ANS]
        axes[1].bar([x + i * width for x in range(len(_ANS))], vals, width, label=name)
    axes[0].set_xticks([x + 0.4 - width / 2 for x in range(len(_RET))], _RET, rotation=20)
    axes[1].set_xticks([x + 0.4 - width / 2 for x in range(len(_ANS))], _ANS, rotation=20)
    axes[0].set_title("Retrieval")
    axes[1].set_title("Answers")
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
