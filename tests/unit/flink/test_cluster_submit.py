"""``cdc job submit``'s ``flink run`` arguments and output parsing (no cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cdc_core.errors import ConfigError
from flink_jobs import cluster, cluster_cli
from flink_jobs.config import load

ROOT = Path(__file__).resolve().parents[3]


def test_submit_argv_runs_the_processor_detached_with_its_jars(tmp_path: Path) -> None:
    jars = [tmp_path / "connector.jar", tmp_path / "jvm.jar"]
    argv = cluster.submit_argv("http://127.0.0.1:8081", tmp_path / "job.yaml", jars,
                               python="/venv/bin/python")
    assert argv[0].endswith("/pyflink/bin/flink") and argv[1:3] == ["run", "--detached"]
    assert argv[argv.index("-m") + 1] == "127.0.0.1:8081"
    assert argv[argv.index("-py") + 1] == str(cluster.PROCESSOR)
    assert argv[argv.index("-pyexec") + 1] == "/venv/bin/python"
    assert f"-Dpipeline.jars={jars[0].as_uri()};{jars[1].as_uri()}" in argv
    assert argv[-2:] == ["--config", str(tmp_path / "job.yaml")]
    assert "--fromSavepoint" not in argv


def test_submit_argv_restores_from_a_savepoint_before_the_program_arguments() -> None:
    argv = cluster.submit_argv("http://h:1", Path("job.yaml"), [], from_savepoint="file:/sp/1")
    at = argv.index("--fromSavepoint")
    assert argv[at + 1] == "file:/sp/1" and at < argv.index("--config")
    assert not any(a.startswith("-Dpipeline.jars") for a in argv)


def test_submitted_job_id_is_read_from_flink_run_output() -> None:
    out = "Job has been submitted with JobID ccef114071d5f6af0a3d978fe1f12553\n"
    assert cluster.submitted_job_id(out) == "ccef114071d5f6af0a3d978fe1f12553"
    with pytest.raises(cluster.ClusterRefused, match="no job id"):
        cluster.submitted_job_id("Exception in thread main\n")


def test_cluster_url_comes_from_the_flag_the_environment_or_the_local_stack(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDC_FLINK_CLUSTER", raising=False)
    monkeypatch.setenv("CDC_STACK_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="no Flink cluster"):
        cluster_cli.cluster_url(None)
    (tmp_path / "stack.json").write_text('{"endpoints": {"flink_rest_url": "http://s:1"}}')
    assert cluster_cli.cluster_url(None) == "http://s:1"
    monkeypatch.setenv("CDC_FLINK_CLUSTER", "http://e:2")
    assert cluster_cli.cluster_url(None) == "http://e:2"
    assert cluster_cli.cluster_url("http://f:3") == "http://f:3"


def test_a_savepoint_failure_is_a_refusal_with_its_first_line() -> None:
    with pytest.raises(cluster.ClusterRefused, match="savepoint of j1: boom"):
        cluster._savepoint_location("j1", {"failure-cause": {"stacktrace": "boom\n at x"}})
    assert cluster._savepoint_location("j1", {"location": "file:/sp"}) == "file:/sp"


def test_the_operator_manifest_runs_what_submit_runs_with_the_same_config_keys(
        tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all((ROOT / "deploy/k8s/flinkdeployment.yaml").read_text()))
    deployment = next(d for d in docs if d["kind"] == "FlinkDeployment")
    args = deployment["spec"]["job"]["args"]
    assert Path(args[args.index("-py") + 1]).name == cluster.PROCESSOR.name
    assert args[-2] == "--config"
    job_yaml = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["job.yaml"]
    (tmp_path / "job.yaml").write_text(job_yaml)
    config = load(tmp_path / "job.yaml")  # refuses any key the embedded run does not know
    assert config.job.parallelism == deployment["spec"]["job"]["parallelism"]
    submitted = cluster.submit_argv("http://h:1", tmp_path / "job.yaml", [])
    assert submitted[submitted.index("-py") + 1] == str(cluster.PROCESSOR)
