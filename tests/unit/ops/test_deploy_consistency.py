"""Compose, Kubernetes, Prometheus and Grafana files agree with the code (no Docker needed).

Every YAML/JSON file loads; ports, env names and metric names exist in the code; Dockerfile
sources, mounted files and commands exist; image versions match cdc_stack/versions.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from cdc_cli.main import build_parser
from cdc_ops.config import DEFAULT_PORT, ExporterConfig
from cdc_ops.config import load as load_exporter
from cdc_ops.connect_health import ConnectMetrics
from cdc_ops.freshness import FreshnessMetrics
from cdc_ops.k8s_rules import prometheus_rule
from cdc_ops.lag_exporter import LagMetrics
from cdc_sink.config import HttpConfig, SinkConfig
from cdc_sink.config import load as load_sink
from cdc_sink.metrics import SinkMetrics
from cdc_stack import versions

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
OWN = [DEPLOY / d for d in ("prometheus", "grafana", "k8s", "docker")]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
K8S = [d for p in sorted((DEPLOY / "k8s").glob("*.yaml"))
       for d in yaml.safe_load_all(p.read_text()) if d]
ALERTS = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
DASHBOARD = json.loads((DEPLOY / "grafana" / "dashboards" / "cdc-pipeline.json").read_text())
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",),
            "histogram": ("_bucket", "_sum", "_count", "_created")}


def _families() -> set[str]:
    """Every sample name the code can expose (sink, lag exporter, freshness, Connect)."""
    registries = [SinkMetrics().registry, CollectorRegistry(), CollectorRegistry(),
                  CollectorRegistry()]
    LagMetrics(registries[1])
    FreshnessMetrics(registries[2])
    ConnectMetrics(registries[3])
    return {m.name + s for r in registries for m in r.collect() for s in SUFFIXES[m.type]}


def _exprs() -> list[str]:
    rules = [r["expr"] for g in ALERTS["groups"] for r in g["rules"]]
    panels = [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]]
    return rules + panels


def test_every_yaml_and_json_file_loads() -> None:
    files = [p for d in OWN for p in d.rglob("*") if p.suffix in (".yml", ".yaml", ".json")]
    assert len(files) >= 10
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text())
        else:
            assert list(yaml.safe_load_all(path.read_text())), path


def test_every_cdc_metric_in_rules_and_dashboard_exists_in_the_code() -> None:
    known = _families()
    used = {m for e in _exprs() for m in re.findall(r"\bcdc_[a-z_]+", e)}
    assert used - known == set()
    assert {"cdc_consumer_lag_seconds", "cdc_table_staleness_seconds",
            "cdc_dlq_records_total", "cdc_end_to_end_latency_seconds_bucket"} <= used


def test_dashboard_covers_the_issue_panels_and_uses_the_provisioned_datasource() -> None:
    exprs = " ".join(_exprs()[len([r for g in ALERTS["groups"] for r in g["rules"]]):])
    for needed in ("cdc_sink_records_consumed_total", "cdc_consumer_lag_seconds",
                   "cdc_end_to_end_latency_seconds_bucket", "cdc_dlq_records_total",
                   "cdc_table_staleness_seconds", "cdc_schema_changes_total"):
        assert needed in exprs
    source = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yaml")
                            .read_text())["datasources"][0]
    uids = {t["datasource"]["uid"] for p in DASHBOARD["panels"] for t in p["targets"]}
    assert uids == {source["uid"]}
    assert source["url"] == "http://prometheus:9090" and "prometheus" in SERVICES


def test_prometheusrule_carries_exactly_the_tested_rules() -> None:
    rule = next(d for d in K8S if d["kind"] == "PrometheusRule")
    assert rule == prometheus_rule(ALERTS)


def test_ports_agree_between_code_compose_prometheus_and_kubernetes() -> None:
    sink_port, exporter_port = HttpConfig().port, DEFAULT_PORT
    assert (sink_port, exporter_port) == (9108, 9109)
    assert SERVICES["sink"]["ports"] == [f"{sink_port}:{sink_port}"]
    assert SERVICES["lag-exporter"]["ports"] == [f"{exporter_port}:{exporter_port}"]
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {j["job_name"]: j["static_configs"][0]["targets"] for j in scrape["scrape_configs"]}
    assert targets["cdc-sink"] == [f"sink:{sink_port}"]
    assert targets["cdc-lag-exporter"] == [f"lag-exporter:{exporter_port}"]
    assert all(t.split(":")[0] in SERVICES for t in targets["flink"])
    ports = {d["metadata"]["name"]: d["spec"]["ports"][0]["port"] for d in K8S
             if d["kind"] == "Service"}
    assert ports == {"cdc-sink": sink_port, "cdc-lag-exporter": exporter_port}


def test_rule_job_labels_match_the_scrape_jobs() -> None:
    jobs = set(re.findall(r'job="([^"]+)"', " ".join(_exprs())))
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert jobs <= {j["job_name"] for j in scrape["scrape_configs"]}
    services = {d["metadata"]["name"] for d in K8S if d["kind"] == "Service"}
    assert jobs <= services  # the ServiceMonitor's job label is the Service name


def _env_path_exists(model: type[BaseModel], parts: list[str]) -> bool:
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    if len(parts) == 1:
        return True
    kind = field.annotation
    return isinstance(kind, type) and issubclass(kind, BaseModel) and _env_path_exists(
        kind, parts[1:])


def _env_names() -> list[str]:
    compose = [k for s in SERVICES.values() for k in (s.get("environment") or {})]
    k8s = [e["name"] for d in K8S if d["kind"] == "Deployment"
           for c in d["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])]
    return compose + k8s


@pytest.mark.parametrize(("prefix", "model"), [("CDC_SINK__", SinkConfig),
                                               ("CDC_LAG_EXPORTER__", ExporterConfig)])
def test_env_names_are_real_configuration_keys(prefix: str, model: type[BaseModel]) -> None:
    names = [n for n in _env_names() if n.startswith(prefix)]
    assert names
    for name in names:
        assert _env_path_exists(model, name.removeprefix(prefix).lower().split("__")), name


def test_shipped_configurations_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    from flink_jobs.config import load as load_job

    for var in [k for k in os.environ if k.startswith("CDC_")]:
        monkeypatch.delenv(var)
    config = DEPLOY / "docker" / "config"
    assert load_sink(config / "sink.yaml").http.port == HttpConfig().port
    assert load_exporter(config / "lag-exporter.yaml").groups == ("cdc-processor", "cdc-sink")
    job = load_job(config / "job.yaml")
    assert job.kafka.group_id in load_exporter(config / "lag-exporter.yaml").groups
    assert job.job.name == "cdc-processor"  # the job_name of the flink_* rules
    assert Path(str(job.job.connector_jar)).name == versions.FLINK_KAFKA_CONNECTOR_JAR
    assert Path(str(job.job.jvm_jar)).name == versions.CDC_FLINK_JVM_JAR


def test_configmaps_hold_valid_configurations(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from flink_jobs.config import load as load_job

    for var in [k for k in os.environ if k.startswith("CDC_")]:
        monkeypatch.delenv(var)
    maps = {d["metadata"]["name"]: d["data"] for d in K8S if d["kind"] == "ConfigMap"}
    (tmp_path / "sink.yaml").write_text(maps["cdc-sink-config"]["sink.yaml"])
    (tmp_path / "job.yaml").write_text(maps["cdc-processor-config"]["job.yaml"])
    assert load_sink(tmp_path / "sink.yaml").kafka.group_id == "cdc-sink"
    k8s_job = load_job(tmp_path / "job.yaml").job
    assert Path(str(k8s_job.jvm_jar)).name == versions.CDC_FLINK_JVM_JAR
    assert load_job(tmp_path / "job.yaml").job.name == "cdc-processor"


def test_cdc_commands_in_compose_and_kubernetes_exist() -> None:
    parser = build_parser()
    commands = [s["command"] for s in SERVICES.values() if s.get("image", "").startswith(
        "cdc-pipeline/sink")]
    commands += [c["args"] for d in K8S if d["kind"] == "Deployment"
                 for c in d["spec"]["template"]["spec"]["containers"]]
    assert len(commands) == 4
    for argv in commands:
        args = parser.parse_args([a.replace("/etc/cdc/", "/x/") for a in argv])
        assert args.command in ("sink", "lag-exporter")


def test_mounted_files_build_files_and_copied_sources_exist() -> None:
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            host = volume.split(":")[0]
            assert not host.startswith("./") or (ROOT / host).exists(), host
        if "build" in service:
            assert (ROOT / service["build"]["dockerfile"]).is_file()
    for secret in COMPOSE["secrets"].values():
        assert (ROOT / secret["file"]).is_file()
    for dockerfile in (DEPLOY / "docker").glob("*.Dockerfile"):
        for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile.read_text(), flags=re.M):
            for source in line.split()[:-1]:
                assert (ROOT / source).exists(), f"{dockerfile.name}: {source}"


def test_job_entry_points_refer_to_real_files() -> None:
    job_cmd = SERVICES["flink-job"]["command"]
    script = job_cmd[job_cmd.index("--python") + 1]
    assert (ROOT / script.removeprefix("/opt/cdc/")).is_file()
    flink = next(d for d in K8S if d["kind"] == "FlinkDeployment")
    args = flink["spec"]["job"]["args"]
    assert (ROOT / args[args.index("-py") + 1].removeprefix("/opt/cdc/")).is_file()
    assert flink["spec"]["job"]["upgradeMode"] == "savepoint"
    assert "execution.checkpointing.interval" in flink["spec"]["flinkConfiguration"]


def test_images_match_the_recorded_engine_versions() -> None:
    image = {name: s.get("image", "") for name, s in SERVICES.items()}
    assert image["kafka"] == f"apache/kafka:{versions.KAFKA}"
    assert image["registry"] == f"apicurio/apicurio-registry:{versions.APICURIO_REGISTRY}"
    assert image["connect"].endswith(f"/debezium/connect:{versions.DEBEZIUM}")
    flink = (DEPLOY / "docker" / "flink.Dockerfile").read_text()
    assert f"ARG PYFLINK={versions.PYFLINK}" in flink
    assert f"ARG FLINK_KAFKA_CONNECTOR={versions.FLINK_KAFKA_CONNECTOR}" in flink
    assert f"ARG FLINK_IMAGE=flink:{versions.PYFLINK}-" in flink
    assert f"ARG CDC_FLINK_JVM={versions.CDC_FLINK_JVM}" in flink
    job = next(d for d in K8S if d["kind"] == "FlinkDeployment")["spec"]
    assert job["job"]["jarURI"].endswith(f"flink-python-{versions.PYFLINK}.jar")
    assert job["flinkVersion"] == "v" + "_".join(versions.PYFLINK.split(".")[:2])


def test_probes_and_healthchecks_use_the_sink_endpoints() -> None:
    health = (ROOT / "cdc_sink" / "health.py").read_text()
    sink = next(d for d in K8S if d["kind"] == "Deployment" and d["metadata"]["name"] ==
                "cdc-sink")["spec"]["template"]["spec"]["containers"][0]
    assert sink["livenessProbe"]["httpGet"]["path"] == "/healthz" and '"/healthz"' in health
    assert sink["readinessProbe"]["httpGet"]["path"] == "/readyz" and '"/readyz"' in health
    assert sink["ports"][0]["containerPort"] == HttpConfig().port
    assert any(d["kind"] == "PodDisruptionBudget" for d in K8S)
    dockerfile = (DEPLOY / "docker" / "sink.Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert re.search(r"^USER 10001$", dockerfile, flags=re.M)
    with_health = [n for n, s in SERVICES.items() if "healthcheck" in s]
    conditions = [c["condition"] for s in SERVICES.values()
                  for c in (s.get("depends_on") or {}).values()]
    assert {"kafka", "registry", "warehouse", "source-db", "prometheus"} <= set(with_health)
    assert "service_healthy" in conditions


def test_secured_configmaps_hold_valid_configurations_with_secrets_as_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flink_jobs.config import load as load_job

    for var in [k for k in os.environ if k.startswith("CDC_")]:
        monkeypatch.delenv(var)
    docs = [d for p in sorted((DEPLOY / "k8s" / "secure").glob("*.yaml"))
            for d in yaml.safe_load_all(p.read_text()) if d]
    maps = {d["metadata"]["name"]: d["data"] for d in docs if d.get("kind") == "ConfigMap"}
    secrets = {d["metadata"]["name"] for d in docs if d.get("kind") == "Secret"}
    assert {"cdc-tls", "cdc-kafka-sink", "cdc-kafka-job", "cdc-warehouse"} <= secrets
    for name, key, loader in (("cdc-sink-config-secure", "sink.yaml", load_sink),
                              ("cdc-lag-exporter-config-secure", "lag-exporter.yaml",
                               load_exporter),
                              ("cdc-processor-config-secure", "job.yaml", load_job)):
        (tmp_path / key).write_text(maps[name][key])
        kafka = loader(tmp_path / key).kafka
        assert kafka.properties["security.protocol"] == "SASL_SSL"
        assert kafka.sasl_password is None and kafka.sasl_password_file is not None
    for compose_file in ("sink.yaml", "job.yaml", "lag-exporter.yaml"):
        text = (DEPLOY / "docker" / "secure" / compose_file).read_text()
        assert "sasl_password_file" in text and "SASL_SSL" in text
