"""deploy/prometheus: promtool accepts the config and rules, and the rules' unit tests pass."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PROM = ROOT / "deploy" / "prometheus"
RUNBOOK = ROOT / "docs" / "runbook.md"


def _promtool(*args: str) -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool missing: run deploy/local/install-system-deps.sh (Debian prometheus)"
    done = subprocess.run([tool, *args], capture_output=True, text=True, cwd=PROM,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def _rules() -> list[dict[str, str]]:
    return list(yaml.safe_load((PROM / "alerts.yml").read_text())["groups"][0]["rules"])


def test_promtool_checks_rules() -> None:
    assert f"SUCCESS: {len(_rules())} rules found" in _promtool("check", "rules", "alerts.yml")


def test_promtool_rule_unit_tests_pass() -> None:
    assert "SUCCESS" in _promtool("test", "rules", "tests/alerts_test.yml")


def test_promtool_checks_the_compose_prometheus_config(tmp_path: Path) -> None:
    """The config names the rules by their in-container path; check it against the copy."""
    config = (PROM / "prometheus.yml").read_text()
    assert "/etc/prometheus/alerts.yml" in config
    shutil.copy(PROM / "alerts.yml", tmp_path / "alerts.yml")
    local = tmp_path / "prometheus.yml"
    local.write_text(config.replace("/etc/prometheus/alerts.yml", str(tmp_path / "alerts.yml")))
    assert "is valid prometheus config file" in _promtool("check", "config", str(local))


def test_every_alert_has_a_duration_severity_and_an_existing_runbook_section() -> None:
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), flags=re.M)}
    for rule in _rules():
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("page", "warning"), rule["alert"]
        url = rule["annotations"]["runbook_url"]
        assert url == f"docs/runbook.md#{rule['alert'].lower()}", url
        assert rule["alert"].lower() in anchors, f"runbook has no section {rule['alert']}"


def test_every_alert_is_exercised_by_the_promtool_tests() -> None:
    tested = (PROM / "tests" / "alerts_test.yml").read_text()
    untested = [r["alert"] for r in _rules() if f"alertname: {r['alert']}" not in tested]
    assert untested == []
