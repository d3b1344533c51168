"""How Compose's loader is built (the commands, not the build)."""

from __future__ import annotations

from pathlib import Path

from cdc_stack import compose


def test_the_build_is_a_throwaway_module_requiring_the_pinned_release(tmp_path: Path) -> None:
    steps = compose.build_steps(tmp_path / "out")
    assert steps[0][:3] == ["go", "mod", "init"]
    assert steps[1] == ["go", "get", f"github.com/docker/compose/v5/cmd@{compose.DOCKER_COMPOSE}"]
    assert steps[2] == ["go", "build", "-o", str(tmp_path / "out"),
                        "github.com/docker/compose/v5/cmd"]


def test_binary_and_go_caches_live_in_the_project_cache(tmp_path: Path) -> None:
    assert compose.binary_path(tmp_path).is_relative_to(tmp_path / "compose")
    env = compose.go_env(tmp_path)
    assert env["GOMODCACHE"].startswith(str(tmp_path))
    assert env["GOCACHE"].startswith(str(tmp_path))
