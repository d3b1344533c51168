"""The job on a Flink session cluster, driven through ``cdc job submit`` as a user would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cdc_core.errors import StackError
from cdc_demo.children import CDC


def submit(cluster_url: str, config: Path, log: Path, from_savepoint: str | None = None
           ) -> str:
    """``cdc job submit`` of ``config``; the job id it printed (its output goes to ``log``)."""
    argv = [*CDC, "job", "submit", "--config", str(config), "--cluster", cluster_url]
    argv += ["--from-savepoint", from_savepoint] if from_savepoint else []
    done = subprocess.run(argv, capture_output=True, text=True, check=False,
                          env={**os.environ, "CDC_LOG_FORMAT": "text"})
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(done.stdout + done.stderr)
    lines = done.stdout.split()
    if done.returncode != 0 or not lines:
        raise StackError(f"cdc job submit exited {done.returncode}: "
                        f"{(done.stdout + done.stderr).strip()[-500:]}")
    return lines[-1]
