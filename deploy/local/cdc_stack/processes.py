"""Start and stop service processes, each in its own session, logging to a file.

A process is identified by (pid, start time from /proc) so that ``stop`` never signals a
stranger that reused the pid after our process died. Each service leads its own process
group; stopping signals the whole group, so children (PostgreSQL's backends, a JVM's
helpers) go with it and nothing is orphaned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessRecord:
    """What is needed to find a started process again, even from another CLI call."""

    name: str
    pid: int
    start_ticks: int
    log_file: str


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) counted after the parenthesised command name.
    return int(stat.rsplit(")", 1)[1].split()[19])


def spawn(name: str, argv: list[str], log_file: Path, *, env: dict[str, str] | None = None,
          cwd: Path | None = None, user: str | None = None) -> ProcessRecord:
    """Start ``argv`` detached in its own session with stdout+stderr appended to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=cwd, start_new_session=True, user=user,
        )
    ticks = _start_ticks(proc.pid)
    return ProcessRecord(name, proc.pid, ticks if ticks is not None else -1, str(log_file))


def is_running(rec: ProcessRecord) -> bool:
    """True while the recorded process (not a pid reuser) is alive and not a zombie."""
    ticks = _start_ticks(rec.pid)
    if ticks is None or ticks != rec.start_ticks:
        return False
    state = Path(f"/proc/{rec.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(rec: ProcessRecord, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> None:
    """Signal the process group, wait, then SIGKILL it if it has not exited."""
    if not is_running(rec):
        if _start_ticks(rec.pid) is None:
            # The leader is gone and its pid is free, so a group with that id can only be
            # our leftover children (a pgid is not reused while its group exists).
            _kill_group(rec.pid, signal.SIGKILL)
        return
    _kill_group(rec.pid, sig)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _reap(rec.pid)
        if not is_running(rec):
            break
        time.sleep(0.1)
    _kill_group(rec.pid, signal.SIGKILL)
    _reap(rec.pid)


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_members(pgid: int) -> list[int]:
    """Pids still alive in process group ``pgid`` (used to prove nothing is orphaned)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def log_tail(path: Path | str, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, or a note that it is empty."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(no log file)"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"
