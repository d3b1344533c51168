"""The demo on a session cluster (where the job runs, where its metrics are) and with faults."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cdc_demo.configs import Endpoints, Names, job_config
from cdc_demo.demo import on_cluster
from cdc_demo.faults import FaultRun
from cdc_demo.pipeline import Pipeline
from cdc_demo.report import RunFigures, summary
from cdc_demo.verify import VerifyReport
from cdc_stack import LocalStack, StackSettings

EP = Endpoints("k:1,k:2,k:3", "http://r/ccompat", "http://r/v2", "http://c", "postgresql://p")


def test_on_a_cluster_the_job_runs_one_subtask_per_taskmanager(tmp_path: Path) -> None:
    stack = LocalStack(StackSettings(), tmp_path)
    stack.state.endpoints.flink_rest_url = "http://127.0.0.1:8081"
    stack.state.flink_taskmanager_ports = {"1": [1, 2, 9251], "2": [4, 5, 9252]}
    pipe = Pipeline(Names("r1"), EP, tmp_path)
    on_cluster(pipe, stack)
    assert pipe.cluster_url == "http://127.0.0.1:8081"
    assert (pipe.job_parallelism, pipe.partitions) == (2, 2)
    assert pipe.job_metrics_urls() == ["http://127.0.0.1:9251/metrics",
                                       "http://127.0.0.1:9252/metrics"]
    assert pipe.scrape_targets()["flink"] == ["127.0.0.1:9251", "127.0.0.1:9252"]


def test_embedded_the_job_reports_on_its_own_port(tmp_path: Path) -> None:
    pipe = Pipeline(Names("r2"), EP, tmp_path)
    assert pipe.job_metrics_urls() == [f"http://127.0.0.1:{pipe.job_metrics_port}/metrics"]


def test_the_job_config_carries_the_parallelism_and_every_broker(tmp_path: Path) -> None:
    config = job_config(Names("r3"), EP, checkpoint_dir=tmp_path, checkpoint_interval_ms=500,
                        prometheus_port=1, parallelism=3)
    assert config["job"]["parallelism"] == 3
    assert config["kafka"]["bootstrap_servers"] == "k:1,k:2,k:3"


def test_the_report_lists_each_recovery_of_a_faulted_run() -> None:
    figures = RunFigures(changes=10, load_seconds=1.0, latencies_s=(0.1,), max_lag_s=0.0,
                         duplicates_dropped=3, dlq_records=1, through_flink=True,
                         recoveries=(("kafka connect", 12.5), ("sink", 4.0)))
    figures_dict = summary(VerifyReport(()), figures)
    assert figures_dict["recoveries_s"] == {"kafka connect": 12.5, "sink": 4.0}
    plain = replace(figures, recoveries=())
    assert "recoveries_s" not in summary(VerifyReport(()), plain)


def test_faults_are_spread_evenly_over_the_workload(tmp_path: Path) -> None:
    stack = LocalStack(StackSettings(), tmp_path)
    run = FaultRun(stack, Pipeline(Names("r4"), EP, tmp_path), duration_s=50)
    assert [name for name, _ in run.steps] == ["poison record", "kafka connect", "flink job",
                                              "sink"]
    assert run.interval_s == 10
