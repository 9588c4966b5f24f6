"""One row of the results, the table printed to the terminal, and the JSON of issue 5."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]


@dataclass
class Result:
    """A benchmark (or a baseline, with baseline, ratio and target None).

    ``ratio`` is value / baseline when a baseline applies. ``target`` is a bound on the ratio,
    or on the value itself when there is no baseline (gui_stall_ms, window_rss_mb).
    ``meets`` is None when nothing was measured, and ``note`` then says why.
    """

    name: str
    value: float | None
    unit: str
    better: Better
    baseline: float | None = None
    ratio: float | None = None
    target: float | None = None
    meets: bool | None = None
    note: str = ""

    @classmethod
    def against(
        cls,
        name: str,
        value: float,
        unit: str,
        better: Better,
        baseline: float,
        target: float,
        note: str = "",
    ) -> Result:
        ratio = value / baseline if baseline else math.inf
        meets = ratio >= target if better == "higher" else ratio <= target
        return cls(name, value, unit, better, baseline, ratio, target, meets, note)

    @classmethod
    def absolute(
        cls, name: str, value: float, unit: str, better: Better, target: float, note: str = ""
    ) -> Result:
        meets = value >= target if better == "higher" else value <= target
        return cls(name, value, unit, better, None, None, target, meets, note)

    @classmethod
    def plain(cls, name: str, value: float, unit: str, better: Better, note: str = "") -> Result:
        """A baseline or a supporting figure: no target of its own."""
        return cls(name, value, unit, better, note=note)

    @classmethod
    def not_measured(
        cls, name: str, unit: str, better: Better, target: float | None, why: str
    ) -> Result:
        return cls(name, None, unit, better, None, None, target, None, f"not measured: {why}")

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        order = ["name", "value", "unit", "baseline", "ratio", "better", "target", "meets"]
        shaped = {k: _clean(out[k]) for k in order}
        shaped["note"] = self.note  # beyond the keys: why a row was not measured
        return shaped


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with ``pct`` % at or below it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(samples: list[float]) -> dict[str, float]:
    """Median and the relative spread of repeats: how noisy the machine was."""
    med = statistics.median(samples)
    return {
        "median": med,
        "min": min(samples),
        "max": max(samples),
        "spread_pct": 100 * (max(samples) - min(samples)) / med if med else 0.0,
        "repeats": len(samples),
    }


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = (math.nan, math.nan, math.nan)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_at_start": [round(x, 2) for x in load],
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(results: list[Result]) -> str:
    head = ("name", "value", "unit", "baseline", "ratio", "target", "meets")
    rows = []
    for r in results:
        if r.target is None:
            target = "-"
        else:
            op = ">=" if r.better == "higher" else "<="
            target = f"{op} {_fmt(r.target)}"
        meets = {True: "yes", False: "NO", None: "-"}[r.meets]
        rows.append((r.name, _fmt(r.value), r.unit, _fmt(r.baseline), _fmt(r.ratio), target, meets))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r, row in zip(results, rows, strict=True):
        line = "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        if r.note:
            line += f"  ({r.note})"
        lines.append(line.rstrip())
    return "\n".join(lines)


def write_json(path: Path, machine: dict[str, Any], results: list[Result]) -> None:
    doc = {"machine": machine, "results": [r.to_json() for r in results]}
    path.write_text(json.dumps(doc, indent=2) + "\n")
