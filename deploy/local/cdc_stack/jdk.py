"""Find a Java runtime new enough for each engine.

Kafka 4.x and Flink 2.2 run on Java 17; Apicurio Registry 3.3 is compiled for Java 21.
A JDK's major version is read from its ``release`` file, which costs no JVM start.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from cdc_stack.errors import ResolveError


def major_version(java: Path) -> int | None:
    """Major version of the JDK/JRE owning the ``java`` binary, or None when unknown."""
    release = java.resolve().parent.parent / "release"
    try:
        text = release.read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', text, re.MULTILINE)
    return int(match.group(1)) if match else None


def _candidates() -> list[Path]:
    found = []
    if "JAVA_HOME" in os.environ:
        found.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    found.extend(sorted(Path("/usr/lib/jvm").glob("*/bin/java")))
    return [p for p in found if p.exists()]


def find_java(minimum: int, preferred: str | None = None) -> str:
    """``preferred`` if given, else the first java of at least ``minimum`` (PATH first)."""
    if preferred:
        if shutil.which(preferred) is None:
            raise ResolveError(f"java >= {minimum}", f"{preferred} is not an executable")
        return preferred
    for java in _candidates():
        version = major_version(java)
        if version is not None and version >= minimum:
            return str(java)
    raise ResolveError(f"java >= {minimum}",
                       "no such JDK found in JAVA_HOME, PATH or /usr/lib/jvm; install one or set "
                       "CDC_STACK_JAVA / CDC_STACK_REGISTRY_JAVA")
