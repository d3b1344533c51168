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
from cdc_stack.security import Material, java_client_properties

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def start(java: str, cache: Path, run_dir: Path, *, port: int, bootstrap: str,
          jvm_opts: list[str], replicas: int = 1,
          extra_plugins: tuple[str, ...] = (),
          secured: Material | None = None) -> ProcessRecord:
    """Render the worker config (internal topics with ``replicas`` copies) and launch
    ``ConnectDistributed``; ``extra_plugins`` names resolved components kept outside the
    plugins every worker loads (``jdbc-sink``); ``secured``: the worker and its connectors'
    clients as user ``connect`` over SASL_SSL (``secure_worker_lines``)."""
    work = run_dir / "connect"
    work.mkdir(parents=True, exist_ok=True)
    props = work / "worker.properties"
    template = (TEMPLATES / "connect-worker.properties").read_text()
    props.write_text(template.format(
        bootstrap=bootstrap, rest_port=port, group_id=f"cdc-connect-{port}", replicas=replicas,
        plugin_path=",".join(str(resolve.path_of(cache, name).parent)
                             for name in ("connect-plugins", *extra_plugins)))
        + ("" if secured is None else "\n".join(secure_worker_lines(secured))))
    props.chmod(0o600)
    trust = [] if secured is None else [
        f"-Djavax.net.ssl.trustStore={secured.truststore}",
        "-Djavax.net.ssl.trustStoreType=PKCS12",
        f"-Djavax.net.ssl.trustStorePassword={secured.truststore_password}"]
    argv = [java, *jvm_opts, *trust,
            f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
            "-cp", resolve.classpath(cache, "connect"),
            "org.apache.kafka.connect.cli.ConnectDistributed", str(props)]
    return spawn("connect", argv, run_dir / "logs" / "connect.log", cwd=work)


def secure_worker_lines(found: Material) -> list[str]:
    """The worker's own clients and, by the same keys prefixed, its connectors' producers,
    consumers and admins; config providers so connector configs name secrets by file
    instead of holding them (``${dir:<folder>:<file>}``: the file's content, as Kubernetes
    mounts a Secret; ``${file:<properties>:<key>}``). The registry converter's
    HTTPS client trusts the CA through the JVM truststore (``-Djavax.net.ssl.trustStore``)."""
    client = java_client_properties(found, "connect")
    lines = ["", "# secured (cdc stack up --secure)",
             "config.providers=file,dir",
             "config.providers.file.class="
             "org.apache.kafka.common.config.provider.FileConfigProvider",
             "config.providers.dir.class="
             "org.apache.kafka.common.config.provider.DirectoryConfigProvider"]
    for prefix in ("", "producer.", "consumer.", "admin."):
        lines += [f"{prefix}{key}={value}" for key, value in client.items()]
    return [*lines, ""]


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
