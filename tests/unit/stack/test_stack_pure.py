"""Unit tests of the local stack's pure parts: configs, ids, versions, JDK detection."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from cdc_stack import ResolveError, jdk, kafka, resolve, versions
from cdc_stack.stack import StackSettings

MAVEN = Path(resolve.MAVEN_DIR)


def test_server_properties_bind_loopback_and_allow_flink_transactions(tmp_path: Path) -> None:
    props = dict(line.split("=", 1) for line in
                 kafka.server_properties(9092, 9093, tmp_path).splitlines() if line)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert int(props["transaction.max.timeout.ms"]) >= 3_600_000
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_cluster_id_is_kafka_uuid_text() -> None:
    ids = {kafka.cluster_id() for _ in range(50)}
    assert len(ids) == 50
    for cid in ids:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cid)
        assert len(base64.urlsafe_b64decode(cid + "==")) == 16


def test_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leading '-' made ``kafka-storage format -t <id>`` fail ("expected one argument")."""
    draws = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x00" * 16)])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(draws))
    assert base64.urlsafe_b64encode(b"\xf8").startswith(b"-")  # the first draw would
    assert kafka.cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"


@pytest.mark.parametrize(("pom", "prop", "value"), [
    ("../../../flink_jobs/jvm/pom.xml", "flink.version", versions.PYFLINK),
    ("../../../flink_jobs/jvm/pom.xml", "flink.kafka.connector.version",
     versions.FLINK_KAFKA_CONNECTOR),
    ("kafka.pom.xml", "kafka.version", versions.KAFKA),
    ("connect.pom.xml", "kafka.version", versions.KAFKA),
    ("archives.pom.xml", "apicurio.version", versions.APICURIO_REGISTRY),
    ("archives.pom.xml", "flink.kafka.connector.version", versions.FLINK_KAFKA_CONNECTOR),
    ("archives.pom.xml", "debezium.version", versions.DEBEZIUM),
    ("jdbc-sink.pom.xml", "debezium.jdbc.version", versions.DEBEZIUM_JDBC),
    ("flink-formats.pom.xml", "flink.avro.confluent.version",
     versions.FLINK_AVRO_CONFLUENT_REGISTRY),
])
def test_poms_pin_the_recorded_versions(pom: str, prop: str, value: str) -> None:
    assert f"<{prop}>{value}</{prop}>" in (MAVEN / pom).read_text()


def test_jvm_module_version_is_the_recorded_one() -> None:
    pom = (MAVEN.parents[2] / "flink_jobs" / "jvm" / "pom.xml").read_text()
    project = pom.split("<properties>", 1)[0]  # the project's own coordinates come first
    coordinates = f"<artifactId>cdc-flink-jvm</artifactId>\n  <version>{versions.CDC_FLINK_JVM}<"
    assert coordinates in project
    assert versions.CDC_FLINK_JVM_JAR.removesuffix(".jar").endswith(versions.CDC_FLINK_JVM)


def test_pyflink_pin_matches_connector_suffix() -> None:
    pyproject = (MAVEN.parents[2] / "pyproject.toml").read_text()
    assert f'"apache-flink=={versions.PYFLINK}"' in pyproject
    flink_minor = ".".join(versions.PYFLINK.split(".")[:2])
    assert versions.FLINK_KAFKA_CONNECTOR.endswith(f"-{flink_minor}")
    assert versions.FLINK_AVRO_CONFLUENT_REGISTRY.startswith(f"{flink_minor}.")
    assert versions.FLINK_AVRO_CONFLUENT_REGISTRY_JAR.endswith(
        f"-{versions.FLINK_AVRO_CONFLUENT_REGISTRY}.jar")


def test_resolve_marker_tracks_pom_content(tmp_path: Path) -> None:
    assert not resolve.is_resolved(tmp_path, "kafka")
    marker = tmp_path / ".resolved" / "kafka"
    marker.parent.mkdir()
    marker.write_text("stale-hash")
    assert not resolve.is_resolved(tmp_path, "kafka")


def test_jdk_major_version_read_from_release_file(tmp_path: Path) -> None:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("")
    (home / "release").write_text('IMPLEMENTOR="x"\nJAVA_VERSION="21.0.4"\n')
    assert jdk.major_version(home / "bin" / "java") == 21
    java = home / "bin" / "java"
    java.chmod(0o755)
    assert jdk.find_java(99, preferred=str(java)) == str(java)  # an explicit choice wins
    with pytest.raises(ResolveError, match="not an executable"):
        jdk.find_java(17, preferred=str(tmp_path / "missing" / "java"))


def test_settings_reject_unknown_keys_naming_them() -> None:
    with pytest.raises(ValidationError, match="no_such_key"):
        StackSettings(no_such_key=1)  # type: ignore[call-arg]
