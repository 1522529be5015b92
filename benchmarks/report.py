"""The benchmark table: one row per figure, printed when the run ends."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Rounds:
    """How much each benchmark measures."""

    create_call: int  # calls placed by the action, and as many bare POSTs
    webhook_rounds: int  # alternating rounds of each side's callbacks
    webhook_total: int  # callbacks per round and side
    # Whether a p99 ratio is held to its target: from the few samples of the
    # quick pass, one pause of the loop on either side decides it.
    check_p99: bool


FULL = Rounds(create_call=600, webhook_rounds=4, webhook_total=500, check_p99=True)
QUICK = Rounds(create_call=300, webhook_rounds=4, webhook_total=200, check_p99=False)


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


def missed(rows: list[Row]) -> list[str]:
    """Return a line for each row whose target was missed."""
    return [
        f"{row.figure}: {row.ours} vs {row.baseline} is {row.ratio}, "
        f"target {row.target}"
        for row in rows
        if row.met is False
    ]


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
