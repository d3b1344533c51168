"""Apicurio Registry 3.x with its Confluent-compatible API at /apis/ccompat/v7.

Ids are content ids (legacy id mode off), the same ids the Apicurio Kafka Connect converter
writes into Confluent framing, and a global BACKWARD compatibility rule makes registration
refuse incompatible schemas, as a Confluent registry does by default.
"""

from __future__ import annotations

from pathlib import Path

from cdc_stack import resolve
from cdc_stack.processes import ProcessRecord, spawn

CCOMPAT_PATH = "/apis/ccompat/v7"
# The Kafka Connect converter (Apicurio 2.6) speaks the v2 API, which 3.x still serves.
V2_PATH = "/apis/registry/v2"


def start(java: str, cache: Path, run_dir: Path, *, port: int, management_port: int,
          jvm_opts: list[str]) -> ProcessRecord:
    """Launch the registry (in-memory storage) bound to 127.0.0.1."""
    work = run_dir / "registry"
    work.mkdir(parents=True, exist_ok=True)
    argv = [
        java, *jvm_opts,
        "-Dquarkus.http.host=127.0.0.1", f"-Dquarkus.http.port={port}",
        "-Dquarkus.management.host=127.0.0.1", f"-Dquarkus.management.port={management_port}",
        "-Dapicurio.ccompat.legacy-id-mode.enabled=false",
        "-Dapicurio.ccompat.use-canonical-hash=true",
        "-Dapicurio.rules.global.compatibility=BACKWARD",
        f"-Djava.io.tmpdir={work}",
        "-jar", str(resolve.path_of(cache, "registry") / "quarkus-run.jar"),
    ]
    return spawn("registry", argv, run_dir / "logs" / "registry.log", cwd=work)
