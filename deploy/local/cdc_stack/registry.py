"""Apicurio Registry 3.x with its Confluent-compatible API at /apis/ccompat/v7.

Ids are content ids (legacy id mode off), the same ids the Apicurio Kafka Connect converter
writes into Confluent framing, and a global BACKWARD compatibility rule makes registration
refuse incompatible schemas, as a Confluent registry does by default.
"""

from __future__ import annotations

from pathlib import Path

from cdc_stack import resolve
from cdc_stack.processes import ProcessRecord, spawn
from cdc_stack.security import Material

CCOMPAT_PATH = "/apis/ccompat/v7"
# The Kafka Connect converter (Apicurio 2.6) speaks the v2 API, which 3.x still serves.
V2_PATH = "/apis/registry/v2"


def start(java: str, cache: Path, run_dir: Path, *, port: int, management_port: int,
          jvm_opts: list[str], secured: Material | None = None) -> ProcessRecord:
    """Launch the registry (in-memory storage) bound to 127.0.0.1; ``secured``: HTTPS only
    on ``port``, with the stack's server certificate."""
    work = run_dir / "registry"
    work.mkdir(parents=True, exist_ok=True)
    argv = [
        java, *jvm_opts, *(_https(port, secured) if secured else []),
        "-Dquarkus.http.host=127.0.0.1", f"-Dquarkus.http.port={port}",
        "-Dquarkus.management.host=127.0.0.1", f"-Dquarkus.management.port={management_port}",
        "-Dapicurio.ccompat.legacy-id-mode.enabled=false",
        "-Dapicurio.ccompat.use-canonical-hash=true",
        "-Dapicurio.rules.global.compatibility=BACKWARD",
        f"-Djava.io.tmpdir={work}",
        "-jar", str(resolve.path_of(cache, "registry") / "quarkus-run.jar"),
    ]
    return spawn("registry", argv, run_dir / "logs" / "registry.log", cwd=work)


def _https(port: int, found: Material) -> list[str]:
    """Quarkus's TLS settings: the https port is ``port``, plain HTTP is refused.

    Credentials are not set: Apicurio 3 authenticates through an OIDC server only (its
    basic-auth option exchanges client credentials at one), and its distribution carries
    no embedded-users realm; the clients' basic-auth settings are honoured all the same.
    """
    return [f"-Dquarkus.http.ssl-port={port}", "-Dquarkus.http.insecure-requests=disabled",
            f"-Dquarkus.http.ssl.certificate.files={found.server_cert}",
            f"-Dquarkus.http.ssl.certificate.key-files={found.server_key}"]
