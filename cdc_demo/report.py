"""The demo's convergence report, as text: pure formatting of figures measured elsewhere."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from cdc_demo.measure import percentile
from cdc_demo.verify import VerifyReport


@dataclass(frozen=True)
class RunFigures:
    """Everything the report shows besides the per-table comparison."""

    changes: int
    load_seconds: float
    latencies_s: tuple[float, ...]
    max_lag_s: float
    duplicates_dropped: int
    dlq_records: int
    through_flink: bool
    recoveries: tuple[tuple[str, float], ...] = ()  # (fault, seconds) of --faults


def summary(report: VerifyReport, figures: RunFigures) -> dict[str, Any]:
    """The report's figures as one JSON-ready dict (also printed as the last line)."""
    lat = figures.latencies_s
    return {
        "converged": report.converged, "mismatches": report.mismatches,
        "pipeline_failure": report.pipeline_failure,
        "changes": figures.changes,
        "changes_per_s": round(figures.changes / figures.load_seconds, 1)
        if figures.load_seconds else 0.0,
        "latency_p50_s": _round(percentile(lat, 50)), "latency_p99_s": _round(percentile(lat, 99)),
        "max_consumer_lag_s": round(figures.max_lag_s, 2),
        "duplicates_dropped": figures.duplicates_dropped, "dlq_records": figures.dlq_records,
        "path": "debezium>flink>sink" if figures.through_flink else "debezium>sink",
        **({"recoveries_s": dict(figures.recoveries)} if figures.recoveries else {}),
    }


def render(report: VerifyReport, figures: RunFigures) -> str:
    """Per-table counts and mismatches, then the pipeline figures, then a JSON line."""
    head = f"{'table':<12} {'source':>8} {'live':>8} {'deleted':>8} {'mismatches':>10}"
    lines = [head, "-" * len(head)]
    for t in report.tables:
        lines.append(f"{t.table:<12} {t.source_rows:>8} {t.warehouse_live:>8} "
                     f"{t.warehouse_deleted:>8} {t.mismatch_count:>10}")
        lines += [f"    {m}" for m in t.mismatches]
    if report.pipeline_failure is not None:
        lines += ["", f"PIPELINE FAILURE: {report.pipeline_failure}"]
    figures_dict = summary(report, figures)
    lines += ["", *(f"{k:<20} {v}" for k, v in figures_dict.items()), "",
              json.dumps(figures_dict)]
    return "\n".join(lines)


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)
