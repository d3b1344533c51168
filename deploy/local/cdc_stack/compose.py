"""Docker Compose's own loader, built from source, to check ``docker-compose.yml`` here.

No container engine runs on the development machines, but Compose's ``config`` command
needs none: it loads, interpolates and validates the file against the Compose spec. The
binary is built once from the Go module proxy into the cache (``cdc stack resolve --all``,
so ``make deps``). ``go install …@version`` refuses this module (its go.mod has exclude
directives), hence a throwaway module that requires it and builds its command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cdc_stack.errors import ResolveError

MODULE = "github.com/docker/compose/v5"
# The Compose release whose loader checks the file (a Go module version, not a Maven one).
DOCKER_COMPOSE = "v5.6.0"


def binary_path(cache: Path) -> Path:
    """Where the built ``docker-compose`` of the pinned version lives in the cache."""
    return cache / "compose" / DOCKER_COMPOSE / "docker-compose"


def go_env(cache: Path) -> dict[str, str]:
    """Go's module and build caches inside the project's cache, not the user's home."""
    return {**os.environ, "GOMODCACHE": str(cache / "go" / "mod"),
            "GOCACHE": str(cache / "go" / "build"), "GOFLAGS": "-mod=mod"}


def build_steps(output: Path) -> list[list[str]]:
    """The go commands, run in an empty directory, that leave the binary at ``output``."""
    return [["go", "mod", "init", "cdc-compose-build"],
            ["go", "get", f"{MODULE}/cmd@{DOCKER_COMPOSE}"],
            ["go", "build", "-o", str(output), f"{MODULE}/cmd"]]


def ensure(cache: Path) -> Path:
    """The built binary, building it first if the cache has none."""
    binary = binary_path(cache)
    if binary.is_file():
        return binary
    if shutil.which("go") is None:
        raise ResolveError("docker compose", "Go is not on PATH (https://go.dev/dl)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(".partial")
    with tempfile.TemporaryDirectory(prefix="cdc-compose-") as work:
        for step in build_steps(partial):
            done = subprocess.run(step, cwd=work, env=go_env(cache), capture_output=True,
                                  text=True, check=False)
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
                raise ResolveError("docker compose", f"{' '.join(step[:2])} failed\n{tail}")
    partial.replace(binary)  # a half-built binary is never taken for a built one
    return binary
