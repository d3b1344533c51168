"""The local stack as a unit: two stacks at once, and nothing left behind after ``down``."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cdc_stack import LocalStack, StackError, StackSettings, readiness
from cdc_stack.processes import group_members


def _alive_mentioning(text: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                out.append(int(entry.name))
    return out


def test_two_stacks_run_side_by_side_and_down_leaves_nothing(tmp_path: Path) -> None:
    stacks = [LocalStack(StackSettings(), tmp_path / f"s{i}") for i in range(2)]
    with ThreadPoolExecutor(2) as pool:
        states = list(pool.map(lambda s: s.up(), stacks))
    try:
        ends = [s.endpoints for s in states]
        assert ends[0].kafka_bootstrap != ends[1].kafka_bootstrap
        assert ends[0].postgres_dsn != ends[1].postgres_dsn
        for ep in ends:
            assert readiness.kafka(ep.kafka_bootstrap)
            assert readiness.http_ok(ep.registry_url + "/subjects")
            assert readiness.postgres(ep.postgres_dsn)
        for state in states:
            assert max(state.startup_s.values()) < 90, state.startup_s
    finally:
        pids = [(r.pid) for s in stacks for r in s.state.processes.values()]
        extra = [d for s in stacks for d in s.state.extra_dirs]
        for stack in stacks:
            stack.down()
    for pid in pids:
        assert group_members(pid) == []
    for marker in [str(tmp_path), *extra]:
        assert _alive_mentioning(marker) == []
    assert not any(Path(d).exists() for d in extra)


def test_cli_up_status_down(tmp_path: Path) -> None:
    run_dir = tmp_path / "cli-stack"
    cdc = [sys.executable, "-m", "cdc_cli.main", "stack"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cdc, *args, "--dir", str(run_dir)], capture_output=True,
                              text=True, timeout=180, check=False)

    up = run("up")
    assert up.returncode == 0, up.stderr
    assert "kafka bootstrap  127.0.0.1:" in up.stdout
    assert "stack ready in" in up.stdout
    state = json.loads((run_dir / "stack.json").read_text())
    try:
        status = run("status")
        assert status.returncode == 0
        assert status.stdout.count("running") == 3
        assert run("up").returncode == 1  # refuses a second stack in the same directory
    finally:
        down = run("down")
    assert down.returncode == 0, down.stderr
    for marker in [str(run_dir), *state["extra_dirs"]]:
        assert _alive_mentioning(marker) == []
    for rec in state["processes"].values():
        assert group_members(rec["pid"]) == []
    assert run("status").returncode == 3


def test_failed_start_stops_what_did_start(tmp_path: Path) -> None:
    settings = StackSettings(registry_java="/nonexistent/java")
    stack = LocalStack(settings, tmp_path / "failing")
    try:
        stack.up()
    except StackError as exc:  # the registry cannot start: no such java
        failure = exc
    else:
        raise AssertionError("up() should have failed")
    assert "/nonexistent/java is not an executable" in str(failure)
    assert _alive_mentioning(str(tmp_path / "failing")) == []
    for rec in stack.state.processes.values():
        assert group_members(rec.pid) == []
    stack.down()
