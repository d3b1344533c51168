"""The session cluster's configuration and start arguments (no JVM started)."""

from __future__ import annotations

from pathlib import Path

import yaml

from cdc_cli.main import build_parser
from cdc_stack import flink, kafka
from cdc_stack.cli import up_settings

JM = flink.JobManagerPorts(rest=8081, rpc=6123, blob=6124, metrics=9249)


def test_cluster_config_binds_loopback_on_the_given_ports(tmp_path: Path) -> None:
    conf = flink.cluster_config(JM, tmp_path, slots=2)
    for key in ("jobmanager.rpc.address", "jobmanager.bind-host", "rest.address",
                "rest.bind-address", "taskmanager.host", "taskmanager.bind-host"):
        assert conf[key] == "127.0.0.1", key
    assert (conf["rest.port"], conf["jobmanager.rpc.port"], conf["blob.server.port"],
            conf["metrics.reporter.prom.port"]) == ("8081", "6123", "6124", "9249")
    assert conf["taskmanager.numberOfTaskSlots"] == "2"
    assert conf["taskmanager.load-balance.mode"] == "SLOTS"


def test_cluster_config_keeps_state_in_its_directory_and_restarts_jobs(tmp_path: Path) -> None:
    conf = flink.cluster_config(JM, tmp_path, slots=1)
    assert conf["execution.checkpointing.dir"] == (tmp_path / "checkpoints").as_uri()
    assert conf["execution.checkpointing.savepoint-dir"] == (tmp_path / "savepoints").as_uri()
    assert conf["restart-strategy.type"] == "fixed-delay"
    assert conf["metrics.reporter.prom.factory.class"] == flink.PROMETHEUS_FACTORY


def test_taskmanagers_differ_in_ports_and_resource_id() -> None:
    one = flink.taskmanager_properties(1, flink.TaskManagerPorts(7001, 7002, 7003))
    two = flink.taskmanager_properties(2, flink.TaskManagerPorts(7101, 7102, 7103))
    assert one["taskmanager.resource-id"] == flink.taskmanager_name(1) != (
        two["taskmanager.resource-id"])
    assert flink.dynamic_args(one)[:2] == ["-D", "taskmanager.resource-id=flink-taskmanager-1"]
    assert "taskmanager.rpc.port=7101" in flink.dynamic_args(two)


def test_write_conf_is_yaml_flink_reads_with_log_settings(tmp_path: Path) -> None:
    conf_dir = flink.write_conf(tmp_path, {"rest.port": "8081"})
    assert yaml.safe_load((conf_dir / "config.yaml").read_text()) == {"rest.port": "8081"}
    assert (conf_dir / "log4j-console.properties").is_file()
    assert (tmp_path / "checkpoints").is_dir()


def test_script_env_points_the_scripts_at_the_run_directory(tmp_path: Path) -> None:
    env = flink.script_env(tmp_path / "flink", "/usr/lib/jvm/x/bin/java")
    assert env["FLINK_CONF_DIR"] == str(tmp_path / "flink" / "conf")
    assert env["FLINK_LOG_DIR"] == str(tmp_path / "logs")
    assert env["PYTHONPATH"].split(":")[0] == str(flink.PROJECT_ROOT)


def test_up_flags_add_the_cluster_to_the_services() -> None:
    args = build_parser().parse_args(["stack", "up", "--flink-cluster", "--taskmanagers", "3",
                                      "--slots", "2"])
    settings = up_settings(args)
    assert "flink" in settings.services and "connect" not in settings.services
    assert (settings.flink_taskmanagers, settings.flink_slots) == (3, 2)
    assert settings.kafka_brokers == 1


def test_three_kafka_nodes_form_one_quorum_with_three_copies_and_two_in_sync(
        tmp_path: Path) -> None:
    nodes = [kafka.Node(i, 9000 + i, 9100 + i) for i in (1, 2, 3)]
    props = dict(line.split("=", 1) for line in kafka.server_properties(
        9002, 9102, tmp_path, node_id=2, quorum=kafka.voters(nodes), replicas=3).splitlines()
        if line)
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == (
        "1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103")
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor"):
        assert props[key] == "3", key
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert [kafka.process_name(n.node_id) for n in nodes] == ["kafka", "kafka-2", "kafka-3"]


def test_one_kafka_node_keeps_single_copies(tmp_path: Path) -> None:
    props = kafka.server_properties(9092, 9093, tmp_path)
    assert "min.insync.replicas=1" in props and "default.replication.factor=1" in props
