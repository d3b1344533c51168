"""The demo report with a failed connector task: not converged, and says why."""

from __future__ import annotations

from cdc_demo.compare import TableResult
from cdc_demo.report import RunFigures, render
from cdc_demo.verify import VerifyReport

FIGURES = RunFigures(changes=10, load_seconds=1.0, latencies_s=(0.1,), max_lag_s=0.0,
                     duplicates_dropped=0, dlq_records=0, through_flink=False)


def _table() -> TableResult:
    return TableResult("orders", source_rows=3, warehouse_live=3, warehouse_deleted=0,
                       mismatch_count=0)


def test_equal_tables_behind_a_failed_task_do_not_count_as_converged() -> None:
    failure = "connector shop (RUNNING): task 0 FAILED: DateTimeParseException"
    report = VerifyReport((_table(),), pipeline_failure=failure)
    assert not report.converged and report.mismatches == 0
    text = render(report, FIGURES)
    assert f"PIPELINE FAILURE: {failure}" in text
    assert '"converged": false' in text and '"pipeline_failure": "connector shop' in text


def test_without_a_failure_equal_tables_converge() -> None:
    report = VerifyReport((_table(),))
    assert report.converged and "PIPELINE FAILURE" not in render(report, FIGURES)
