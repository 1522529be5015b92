"""The benchmark table: one row per figure, printed when the run ends."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure, with the baseline it is compared to."""

    figure: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: reported, no target


ROWS: list[Row] = []


def record(row: Row) -> None:
    """Add a row to the table printed at the end of the run."""
    ROWS.append(row)


def percentile(samples: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of the samples (fraction 0-1)."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[index]


def median(samples: list[float]) -> float:
    """Return the median of the samples."""
    return statistics.median(samples)


def ms(seconds: float) -> str:
    """Format seconds as milliseconds."""
    return f"{seconds * 1000:.2f} ms"


def table() -> str:
    """Return the rows as a Markdown table."""
    lines = [
        "| Figure | Bandwidth Voice | Baseline | Ratio | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        met = {True: "yes", False: "**no**", None: "-"}[row.met]
        lines.append(
            f"| {row.figure} | {row.ours} | {row.baseline} | {row.ratio} "
            f"| {row.target} | {met} |"
        )
    return "\n".join(lines)
