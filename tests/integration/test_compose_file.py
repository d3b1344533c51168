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


def test_the_secured_override_passes_compose_config(tmp_path: Path) -> None:
    from cdc_stack import security

    binary = compose.ensure(StackSettings().cache_dir)
    found = security.generate_into(tmp_path / "secrets", ("kafka", "registry"))
    env = tmp_path / "compose.env"
    env.write_text(security.compose_env(found))
    done = subprocess.run([str(binary), "-f", str(ROOT / "docker-compose.yml"), "-f",
                           str(ROOT / "docker-compose.secure.yml"), "--env-file", str(env),
                           "config", "--services"], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kafka-setup" in done.stdout.split()
    assert "level=warning" not in done.stderr, done.stderr  # every variable is set
