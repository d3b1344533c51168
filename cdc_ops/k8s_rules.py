"""deploy/k8s/prometheusrule.yaml from deploy/prometheus/alerts.yml: one tested source of rules.

``python -m cdc_ops.k8s_rules`` (``make k8s-rules``) rewrites the PrometheusRule; a unit test
fails when the two differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HEADER = ("# Generated from deploy/prometheus/alerts.yml by `make k8s-rules`; do not edit.\n"
          "# A unit test keeps spec.groups identical to the tested rules.\n")


def prometheus_rule(alerts: dict[str, Any]) -> dict[str, Any]:
    """The Prometheus Operator resource carrying the same rule groups."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "cdc-pipeline",
                         "labels": {"app.kubernetes.io/part-of": "cdc-pipeline"}},
            "spec": {"groups": alerts["groups"]}}


def main(root: Path = Path()) -> None:
    alerts = yaml.safe_load((root / "deploy/prometheus/alerts.yml").read_text())
    text = yaml.safe_dump(prometheus_rule(alerts), sort_keys=False, width=100)
    (root / "deploy/k8s/prometheusrule.yaml").write_text(HEADER + text)


if __name__ == "__main__":
    main()
