"""The steps every fault test takes: a seeded workload, a snapshot through the pipeline,
and the check that the warehouse equals the source once the workload has quiesced."""

from __future__ import annotations

import random

from cdc_demo.load import Loader
from cdc_demo.pipeline import Pipeline
from cdc_demo.verify import VerifyReport
from cdc_demo.workload import Workload


def seeded() -> Workload:
    """A workload of a random seed, printed so that a failure replays exactly."""
    seed = random.randrange(10**9)
    print(f"workload seed {seed}")
    return Workload(seed, customers=100, products=30)


def begin(pipe: Pipeline, workload: Workload, rate: float = 400,
          timeout_s: float = 300) -> Loader:
    """Initial rows through Debezium's snapshot, then the job (when in the path) and the
    sink; returns once the snapshot has converged. Faults go into the streaming phase:
    Connect killed during the initial snapshot makes Debezium snapshot again, and rows
    inserted and deleted before that never reach Kafka."""
    pipe.prepare_source()
    loader = Loader(pipe.source_dsn, workload, rate=rate)
    loader.setup()
    pipe.start_connector()
    if pipe.through_flink:
        pipe.start_job()
    pipe.start_sink()
    snapshot = pipe.wait_converged(timeout_s=timeout_s)
    assert snapshot.converged, describe(snapshot)
    return loader


def describe(report: VerifyReport) -> str:
    return "\n".join(f"{t.table}: {t.mismatch_count} mismatches {t.mismatches}"
                     for t in report.tables)


def assert_converged(pipe: Pipeline, workload: Workload,
                     timeout_s: float = 300) -> VerifyReport:
    """Warehouse == source (deletes marked deleted), with the services' logs if not."""
    report = pipe.wait_converged(workload.deleted, timeout_s=timeout_s)
    logs = "\n".join(c.tail() for c in (pipe.job, pipe.sink) if c is not None)
    assert report.converged, f"{describe(report)}\n{logs}"
    return report
