"""``docker-compose.yml`` is valid for Compose's own loader (the pinned release, built
from source by ``cdc stack resolve --all``): services, images and variables as Compose reads
them, with no container engine needed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from cdc_stack import StackSettings, compose

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_yml_passes_compose_config() -> None:
    binary = compose.ensure(StackSettings().cache_dir)
    done = subprocess.run([str(binary), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_config_lists_the_pipeline_services() -> None:
    binary = compose.ensure(StackSettings().cache_dir)
    done = subprocess.run([str(binary), "-f", str(ROOT / "docker-compose.yml"), "config",
                           "--services"], capture_output=True, text=True, check=True, cwd=ROOT)
    services = set(done.stdout.split())
    assert {"source-db", "kafka", "registry", "connect", "jobmanager", "taskmanager",
            "flink-job", "sink", "warehouse"} <= services, services
