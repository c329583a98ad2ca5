"""Retrieval and answer metrics: pure functions of retrieved pages and gold evidence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Page = tuple[str, int]


def _is_hit(got: Page, gold: Iterable[tuple[str, int | None]]) -> bool:
    return any(got[0] == d and (p is None or got[1] == p) for d, p in gold)


def first_hit_rank(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]]) -> int | None:
    """1-based rank of the first retrieved page that is a gold evidence page, or None."""
    for rank, got in enumerate(retrieved, start=1):
        if _is_hit(got, gold):
            return rank
    return None


def page_hit(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]], k: int) -> float:
    """1.0 when one of the top-k retrieved chunks is on a gold page (a gold with page None matches the doc)."""
    rank = first_hit_rank(retrieved[:k], gold)
    return 1.0 if rank is not None else 0.0


def doc_hit(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]], k: int) -> float:
    docs = {d for d, _ in gold}
    return 1.0 if any(d in docs for d, _ in retrieved[:k]) else 0.0


def reciprocal_rank(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]], k: int) -> float:
    rank = first_hit_rank(retrieved[:k], gold)
    return 1.0 / rank if rank else 0.0


def retrieval_metrics(retrieved: Sequence[Page], gold: Sequence[tuple[str, int | None]]) -> dict[str, float]:
    """The standard retrieval metrics for one question."""
    return {
        "page_hit@1": page_hit(retrieved, gold, 1),
        "page_hit@5": page_hit(retrieved, gold, 5),
        "page_hit@10": page_hit(retrieved, gold, 10),
        "doc_hit@5": doc_hit(retrieved, gold, 5),
        "mrr@10": reciprocal_rank(retrieved, gold, 10),
    }


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float | None]:
    """Average each metric over rows (rows may lack a metric: it is averaged over those that have it)."""
    keys = sorted({k for r in rows for k in r})
    out: dict[str, float | None] = {}
    for key in keys:
        vals = [r[key] for r in rows if key in r and r[key] is not None]
        out[key] = round(sum(vals) / len(vals), 4) if vals else None
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
