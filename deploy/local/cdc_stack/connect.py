"""A Kafka Connect worker (distributed mode, one node) with the Debezium PostgreSQL plugin.

The Avro converter is Apicurio's 2.6 converter (the newest one Maven Central holds whole), which
talks to the registry's v2 API and writes Confluent framing when told to; see
deploy/local/maven/converter.pom.xml. Plugins are found by ServiceLoader manifests
(``plugin.discovery=service_load``), which starts the worker much faster than a reflective
scan of every plugin JAR.
"""

from __future__ import annotations

from pathlib import Path

from cdc_stack import resolve
from cdc_stack.processes import ProcessRecord, spawn

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def start(java: str, cache: Path, run_dir: Path, *, port: int, bootstrap: str,
          jvm_opts: list[str], replicas: int = 1,
          extra_plugins: tuple[str, ...] = ()) -> ProcessRecord:
    """Render the worker config (internal topics with ``replicas`` copies) and launch
    ``ConnectDistributed``; ``extra_plugins`` names resolved components kept outside the
    plugins every worker loads (``jdbc-sink``)."""
    work = run_dir / "connect"
    work.mkdir(parents=True, exist_ok=True)
    props = work / "worker.properties"
    template = (TEMPLATES / "connect-worker.properties").read_text()
    props.write_text(template.format(
        bootstrap=bootstrap, rest_port=port, group_id=f"cdc-connect-{port}", replicas=replicas,
        plugin_path=",".join(str(resolve.path_of(cache, name).parent)
                             for name in ("connect-plugins", *extra_plugins))))
    argv = [java, *jvm_opts, f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
            "-cp", resolve.classpath(cache, "connect"),
            "org.apache.kafka.connect.cli.ConnectDistributed", str(props)]
    return spawn("connect", argv, run_dir / "logs" / "connect.log", cwd=work)


def converter_config(registry_v2_url: str, prefix: str) -> dict[str, str]:
    """Connector settings for Avro keys or values (``prefix``: key/value) in Confluent framing."""
    base = f"{prefix}.converter"
    return {
        base: "io.apicurio.registry.utils.converter.AvroConverter",
        f"{base}.apicurio.registry.url": registry_v2_url,
        f"{base}.apicurio.registry.auto-register": "true",
        f"{base}.apicurio.registry.find-latest": "true",
        f"{base}.apicurio.registry.id-handler": "io.apicurio.registry.serde.Legacy4ByteIdHandler",
        f"{base}.apicurio.registry.use-id": "contentId",
        f"{base}.apicurio.registry.headers.enabled": "false",
    }
