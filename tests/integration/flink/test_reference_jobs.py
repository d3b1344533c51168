"""The benchmark's reference jobs (benchmarks/flink_references.py) run and write what they must.

A few hundred raw Debezium changes with copies, through the benchmark's own harness
(benchmarks/flink_throughput.py: input, job config, commit watch, read_committed count):
the JVM pass-through copies every record exactly once, and the Flink SQL pipeline
(debezium-avro-confluent in, upsert-kafka with avro-confluent out, exactly once) writes one
record per effective change, so neither rots between benchmark runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks.flink_throughput import count_problem, make_input, run_job
from tests.stackfixtures import Services, unique


@pytest.mark.parametrize("job", ["passthrough", "flinksql"])
def test_reference_job_writes_what_it_must(services: Services, tmp_path: Path,
                                           job: str) -> None:
    args = argparse.Namespace(bootstrap=services.kafka_bootstrap,
                              registry=services.registry_url, job_timeout_s=300)
    data = make_input(args.bootstrap, args.registry, unique("refs"), 300, seed=11)
    assert data.distinct < data.events  # copies are in the input

    outcome = run_job(args, job, data, 1, tmp_path)

    assert count_problem(job, outcome.written, data) is None, outcome
