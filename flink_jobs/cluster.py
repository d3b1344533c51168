"""The processor on a Flink session cluster: submit with ``flink run -py``, status, stop.

Submission goes through Flink's own client (``bin/flink run`` of the PyFlink
distribution), the path the Kubernetes operator's ``PythonDriver`` takes; status and
stop-with-savepoint are calls to the JobManager's REST API. The JARs shipped with the job
are ``processor.runtime_options(config).jars``, the list the embedded run puts on
``pipeline.jars``, so both runs carry the same code. The job's settings are the same
configuration file (``flink_jobs/config.py``) in both.

    ClusterUnavailable (UnavailableError)   the REST API did not answer
    ClusterRefused (PipelineError)          it answered no: submission, savepoint, no such job
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cdc_core.errors import PipelineError, UnavailableError

PROCESSOR = Path(__file__).resolve().parent / "processor.py"
_SUBMITTED = re.compile(r"JobID ([0-9a-f]{32})")
TERMINAL = frozenset({"FINISHED", "CANCELED", "FAILED"})


class ClusterUnavailable(UnavailableError):
    """The cluster's REST API did not answer."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"Flink cluster at {url} did not answer: {detail}")
        self.url, self.detail = url, detail


class ClusterRefused(PipelineError):
    """The cluster answered, and the answer was no."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: {detail}")
        self.what, self.detail = what, detail


@dataclass(frozen=True)
class JobSummary:
    """One job as the cluster's overview lists it."""

    job_id: str
    name: str
    state: str


def flink_command() -> Path:
    """``bin/flink`` of the Flink distribution inside the installed ``pyflink`` package."""
    import pyflink

    return Path(pyflink.__file__).resolve().parent / "bin" / "flink"


def submit_argv(cluster_url: str, config_file: Path, jars: Sequence[Path], *,
                from_savepoint: str | None = None, python: str = sys.executable,
                pyfs: Path | None = None) -> list[str]:
    """``flink run`` detached: the processor script, its JARs, the interpreter, the config."""
    address = urlsplit(cluster_url).netloc
    argv = [str(flink_command()), "run", "--detached", "-m", address,
            "-py", str(PROCESSOR), "-pyexec", python, "-pyclientexec", python]
    if jars:
        argv += ["-Dpipeline.jars=" + ";".join(p.resolve().as_uri() for p in jars)]
    if pyfs is not None:
        argv += ["-pyfs", str(pyfs)]
    if from_savepoint:
        argv += ["--fromSavepoint", from_savepoint]
    return [*argv, "--config", str(config_file)]


def submitted_job_id(output: str) -> str:
    """The job id ``flink run --detached`` printed; a refusal with its output otherwise."""
    match = _SUBMITTED.search(output)
    if match is None:
        tail = " | ".join(output.strip().splitlines()[-8:])
        raise ClusterRefused("flink run", f"no job id in its output: {tail}")
    return match.group(1)


class Cluster:
    """The JobManager's REST API."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = httpx.request(method, self.url + path, json=body, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise ClusterUnavailable(self.url, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise ClusterRefused(f"{method} {path}",
                                 f"HTTP {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def jobs(self) -> list[JobSummary]:
        """Every job the cluster knows, newest first."""
        jobs = self._call("GET", "/jobs/overview")["jobs"]
        jobs.sort(key=lambda j: -int(j.get("start-time", 0)))
        return [JobSummary(j["jid"], j["name"], j["state"]) for j in jobs]

    def vertices(self, job_id: str) -> list[str]:
        """The ids of the job's vertices (operator chains)."""
        return [str(v["id"]) for v in self._call("GET", f"/jobs/{job_id}")["vertices"]]

    def state(self, job_id: str) -> str:
        return str(self._call("GET", f"/jobs/{job_id}")["state"])

    def latest_checkpoint(self, job_id: str) -> str | None:
        """Where the job's newest completed checkpoint is, if it has one."""
        latest = self._call("GET", f"/jobs/{job_id}/checkpoints").get("latest") or {}
        completed = latest.get("completed") or {}
        path = completed.get("external_path")
        return str(path) if path else None

    def running_job(self, name: str | None = None) -> JobSummary:
        """The one running job (named ``name``, if given); a refusal if not exactly one."""
        running = [j for j in self.jobs() if j.state == "RUNNING"
                   and (name is None or j.name == name)]
        if len(running) != 1:
            found = ", ".join(f"{j.job_id} ({j.name})" for j in running) or "none"
            raise ClusterRefused("choose a job", f"{len(running)} running jobs match "
                                 f"({found}); name one with --job")
        return running[0]

    def cancel(self, job_id: str) -> None:
        """Cancel the job (no savepoint); a job already ended is left as it is."""
        if self.state(job_id) not in TERMINAL:
            self._call("PATCH", f"/jobs/{job_id}?mode=cancel")

    def stop_with_savepoint(self, job_id: str, target_dir: str, timeout_s: float = 300.0
                            ) -> str:
        """Stop the job with a savepoint into ``target_dir``; the savepoint's path."""
        trigger = self._call("POST", f"/jobs/{job_id}/stop",
                             {"targetDirectory": target_dir, "drain": False})["request-id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            result = self._call("GET", f"/jobs/{job_id}/savepoints/{trigger}")
            if result["status"]["id"] == "COMPLETED":
                return _savepoint_location(job_id, result.get("operation") or {})
            time.sleep(0.5)
        raise ClusterRefused(f"savepoint of {job_id}", f"not complete after {timeout_s:.0f}s")


def _savepoint_location(job_id: str, operation: dict[str, Any]) -> str:
    if "location" in operation:
        return str(operation["location"])
    cause = operation.get("failure-cause", {}).get("stacktrace", "unknown cause")
    raise ClusterRefused(f"savepoint of {job_id}", cause.splitlines()[0])
