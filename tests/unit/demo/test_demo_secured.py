"""The demo's configurations on the secured stack: each component as its own user, every
secret named by a file, names under the prefixes the users' ACLs grant; plain otherwise."""

from __future__ import annotations

from pathlib import Path

from cdc_demo import secured
from cdc_demo.configs import Endpoints, Names, exporter_config, job_config, sink_config

DSN = ("postgresql://cdc@127.0.0.1:5433/postgres?sslmode=verify-full&sslrootcert=/s/ca.crt"
       "&passfile=/s/pg-cdc.pgpass")


def _ep(secrets_dir: str) -> Endpoints:
    return Endpoints("127.0.0.1:9093", "https://r/ccompat", "https://r/v2", "http://c", DSN,
                     secrets_dir)


def test_each_component_logs_in_as_its_own_user_with_secrets_by_file() -> None:
    names, ep = Names("r1"), _ep("/s")
    sink = sink_config(names, ep, through_flink=True, http_port=1)
    job = job_config(names, ep, checkpoint_dir=Path("/c"), checkpoint_interval_ms=1000,
                     prometheus_port=2)
    exporter = exporter_config(names, ep, through_flink=True, http_port=3)
    for config, user in ((sink, "sink"), (job, "job"), (exporter, "exporter")):
        kafka = config["kafka"]
        assert kafka["properties"]["sasl.username"] == user
        assert kafka["properties"]["ssl.ca.location"] == "/s/ca.crt"
        assert kafka["sasl_password_file"] == f"/s/kafka-{user}.password"
    assert sink["kafka"]["properties"]["session.timeout.ms"] == "10000"
    assert sink["registry"] == job["registry"] == {"url": "https://r/ccompat",
                                                   "ssl_ca_location": "/s/ca.crt"}
    assert sink["postgres"]["dsn"] == DSN.replace("cdc@", "sink@").replace("pg-cdc", "pg-sink")
    assert (sink["kafka"]["group_id"], job["kafka"]["group_id"]) == ("cdc-sink-r1", "cdc-job-r1")
    assert job["job"]["transactional_id_prefix"].startswith("cdc-job")


def test_debezium_reads_the_source_over_tls_with_its_password_by_file() -> None:
    found = secured.connector_settings("/s")
    assert found["database.user"] == "debezium"
    assert found["database.password"] == "${dir:/s:postgres-debezium.password}"
    assert (found["database.sslmode"], found["database.sslrootcert"]) == ("verify-full",
                                                                          "/s/ca.crt")


def test_without_secrets_everything_is_plain() -> None:
    ep = _ep("")
    sink = sink_config(Names("r1"), ep, through_flink=False, http_port=1)
    assert "sasl_password_file" not in sink["kafka"]
    assert sink["registry"] == {"url": "https://r/ccompat"}
    assert sink["postgres"]["dsn"] == DSN
    assert secured.connector_settings("") == {}
    assert secured.client("", "k:1") == {"bootstrap.servers": "k:1"}
