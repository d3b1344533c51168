"""Resolve the engines' JARs from Maven Central into a cache outside the work tree.

``mvn`` does the resolving, driven by the small poms in deploy/local/maven. Each component
lands in ``<cache>/<component>`` with a marker holding the hash of the pom that made it, so
a second run costs nothing and a version bump re-resolves into a fresh folder.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cdc_stack.errors import ResolveError

MAVEN_DIR = Path(__file__).resolve().parent.parent / "maven"


@dataclass(frozen=True)
class Component:
    """One cached folder and the mvn invocation that fills it."""

    name: str
    pom: str
    goals: tuple[str, ...]
    output_flag: str  # -D property naming the output folder


COMPONENTS: dict[str, Component] = {
    "kafka": Component("kafka", "kafka.pom.xml",
                       ("dependency:copy-dependencies", "-DincludeScope=runtime"),
                       "outputDirectory"),
    "connect": Component("connect", "connect.pom.xml",
                         ("dependency:copy-dependencies", "-DincludeScope=runtime"),
                         "outputDirectory"),
    "registry": Component("registry", "archives.pom.xml", ("dependency:unpack@registry",),
                          "cache.dir"),
    "flink": Component("flink", "archives.pom.xml", ("dependency:copy@flink",), "cache.dir"),
    "flink-formats": Component("flink-formats", "flink-formats.pom.xml",
                               ("dependency:copy@flink-formats",), "cache.dir"),
    "connect-plugins": Component("connect-plugins", "archives.pom.xml",
                                 ("dependency:unpack@connect-plugins",), "cache.dir"),
    "jdbc-sink": Component("jdbc-sink", "jdbc-sink.pom.xml", ("dependency:unpack@jdbc-sink",),
                           "cache.dir"),
    "converter": Component("converter", "converter.pom.xml",
                           ("dependency:copy-dependencies", "-DincludeScope=runtime"),
                           "outputDirectory"),
}

# Where each component's files end up below the cache root.
TARGETS = {
    "kafka": "kafka/libs",
    "connect": "connect/libs",
    "registry": "registry",
    "flink": "flink",
    "flink-formats": "flink-formats",
    "connect-plugins": "connect/plugins/debezium-connector-postgres",
    "converter": "connect/plugins/apicurio-converter",
    "jdbc-sink": "connect/sink-plugins/debezium-connector-jdbc",  # only for workers asking
}

CORE = ("kafka", "registry", "flink", "flink-formats")
MANIFEST_JAR = "zz-connect-plugin-manifest.jar"
ALL = tuple(COMPONENTS)


def _pom_hash(component: Component) -> str:
    return hashlib.sha256((MAVEN_DIR / component.pom).read_bytes()).hexdigest()[:16]


def _marker(cache: Path, name: str) -> Path:
    return cache / ".resolved" / name


def is_resolved(cache: Path, name: str) -> bool:
    """True when ``name`` was resolved from the current pom."""
    marker = _marker(cache, name)
    if name == "converter" and not (cache / TARGETS[name] / MANIFEST_JAR).exists():
        return False  # resolved by an older version that did not write the manifest
    return marker.exists() and marker.read_text().strip() == _pom_hash(COMPONENTS[name])


def _mvn_args(cache: Path, component: Component) -> list[str]:
    target = cache / TARGETS[component.name]
    out = cache if component.output_flag == "cache.dir" else target
    return ["mvn", "-B", "-q", "-f", str(MAVEN_DIR / component.pom), *component.goals,
            f"-D{component.output_flag}={out}"]


def resolve(cache: Path, names: Iterable[str] = CORE) -> None:
    """Make sure every named component is in ``cache``; run mvn for the missing ones."""
    if shutil.which("mvn") is None:
        raise ResolveError("mvn", "Maven is not on PATH (Debian: apt-get install maven)")
    for name in names:
        if is_resolved(cache, name):
            continue
        component = COMPONENTS[name]
        shutil.rmtree(cache / TARGETS[name], ignore_errors=True)  # no jars of an old version
        proc = subprocess.run(_mvn_args(cache, component), capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
            raise ResolveError(name, f"mvn exited {proc.returncode}\n{tail}")
        if name == "converter":
            _write_converter_manifest(cache / TARGETS[name])
        marker = _marker(cache, name)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(_pom_hash(component))


def _write_converter_manifest(folder: Path) -> None:
    """A manifest-only jar announcing the converters to Connect's ServiceLoader discovery.

    The Apicurio 2.6 converter jar carries no ServiceLoader manifest; without one, a worker
    with ``plugin.discovery=service_load`` cannot find ``AvroConverter``. Generated, not
    downloaded."""
    with zipfile.ZipFile(folder / MANIFEST_JAR, "w") as jar:
        jar.writestr("META-INF/services/org.apache.kafka.connect.storage.Converter",
                     "io.apicurio.registry.utils.converter.AvroConverter\n"
                     "io.apicurio.registry.utils.converter.ExtJsonConverter\n")


def classpath(cache: Path, name: str) -> str:
    """A java -cp value for a component made of plain jars."""
    return str(cache / TARGETS[name] / "*")


def path_of(cache: Path, name: str) -> Path:
    """The folder of a resolved component."""
    return cache / TARGETS[name]
