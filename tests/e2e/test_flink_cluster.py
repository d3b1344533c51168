"""The job on a Flink session cluster (JobManager + two TaskManagers, PyFlink's own
distribution), submitted with ``cdc job submit``: a TaskManager killed mid-workload, and a
stop with savepoint resubmitted at another parallelism. After the seeded workload quiesces
the warehouse equals the source (every change applied once, deletes marked)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cdc_demo.pipeline import Pipeline
from cdc_stack import LocalStack, StackSettings
from flink_jobs.cluster import Cluster
from tests.e2e.conftest import running
from tests.e2e.convergence import assert_converged, begin, seeded
from tests.e2e.faults import Background
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def flink_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A session cluster of its own: two TaskManagers of two slots each."""
    settings = StackSettings(services=("flink",), flink_taskmanagers=2, flink_slots=2)
    with running(LocalStack(settings, tmp_path_factory.mktemp("flink-cluster"))) as stack:
        yield stack


def _on_cluster(make_pipeline: Callable[..., Pipeline], stack: LocalStack) -> Pipeline:
    """A pipeline whose job runs on the cluster, every TaskManager up (an earlier test may
    have left one killed)."""
    for name, alive in stack.status().items():
        if name.startswith("flink-taskmanager-") and not alive:
            stack.start_taskmanager(int(name.rsplit("-", 1)[1]))
    pipe = make_pipeline(through_flink=True)
    pipe.cluster_url = stack.state.endpoints.flink_rest_url
    pipe.job_parallelism, pipe.partitions = 2, 3  # at 3 after the rescale, none idle
    return pipe


def _job(stack: LocalStack, job_id: str) -> dict[str, Any]:
    url = f"{stack.state.endpoints.flink_rest_url}/jobs/{job_id}"
    return dict(httpx.get(url, timeout=10).json())


def _checkpointed(cluster: Cluster, job_id: str | None) -> bool:
    return job_id is not None and cluster.latest_checkpoint(job_id) is not None


def test_a_killed_taskmanager_restarts_the_job_from_its_checkpoint_and_it_converges(
        flink_cluster: LocalStack, make_pipeline: Callable[..., Pipeline]) -> None:
    pipe, workload = _on_cluster(make_pipeline, flink_cluster), seeded()
    cluster = Cluster(flink_cluster.state.endpoints.flink_rest_url)
    loader = begin(pipe, workload)
    job_id = pipe.cluster_job_id
    assert job_id is not None and cluster.state(job_id) == "RUNNING"
    load = Background(lambda: loader.run(changes=4000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1200 and _checkpointed(cluster, job_id), 180,
               "workload progress and a completed checkpoint")
    victim = _taskmanagers_running(cluster, job_id)[0]
    flink_cluster.kill_taskmanager(victim)
    wait_until(lambda: _restored_from_checkpoint(flink_cluster, job_id), 180,
               "the job restored from a checkpoint on the remaining TaskManager")
    flink_cluster.start_taskmanager(victim)  # the next test has both again
    load.result()
    assert_converged(pipe, workload)
    assert cluster.state(job_id) == "RUNNING"


def _taskmanagers_running(cluster: Cluster, job_id: str) -> list[int]:
    """Indexes of the TaskManagers running a subtask of the job."""
    found = set()
    for vertex in cluster.vertices(job_id):
        hosts = httpx.get(f"{cluster.url}/jobs/{job_id}/vertices/{vertex}/taskmanagers",
                          timeout=10).json()["taskmanagers"]
        found |= {int(tm["taskmanager-id"].rsplit("-", 1)[1]) for tm in hosts}
    return sorted(found)


def _restored_from_checkpoint(stack: LocalStack, job_id: str) -> bool:
    """The job runs again, and its state came from a checkpoint after a failure."""
    url = f"{stack.state.endpoints.flink_rest_url}/jobs/{job_id}"
    checkpoints = httpx.get(f"{url}/checkpoints", timeout=10).json()
    restored = (checkpoints.get("latest") or {}).get("restored") or {}
    return _job(stack, job_id)["state"] == "RUNNING" and bool(restored.get("external_path"))


def test_stopped_with_a_savepoint_and_resubmitted_at_another_parallelism_it_converges(
        flink_cluster: LocalStack, make_pipeline: Callable[..., Pipeline]) -> None:
    pipe, workload = _on_cluster(make_pipeline, flink_cluster), seeded()
    cluster = Cluster(flink_cluster.state.endpoints.flink_rest_url)
    loader = begin(pipe, workload)
    load = Background(lambda: loader.run(changes=4000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1200, 120, "workload progress")
    savepoint = pipe.stop_job_with_savepoint()
    pipe.job_parallelism = 3
    pipe.start_job(restore_from=savepoint)
    job_id = pipe.cluster_job_id
    assert job_id is not None
    load.result()
    assert_converged(pipe, workload)
    vertices = _job(flink_cluster, job_id)["vertices"]
    assert max(v["parallelism"] for v in vertices) == 3
    restored = httpx.get(f"{cluster.url}/jobs/{job_id}/checkpoints", timeout=10).json()
    assert restored["latest"]["restored"]["external_path"] == savepoint
