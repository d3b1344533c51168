"""PostgreSQL from Debian's binaries: a throwaway cluster with logical replication.

PostgreSQL refuses to run as root, so when we are root the cluster is created and run as
the ``postgres`` system user (the Debian package creates it), with its data in our run dir.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from cdc_stack import postgres_secure
from cdc_stack.errors import ResolveError, ServiceStartError
from cdc_stack.processes import ProcessRecord, spawn
from cdc_stack.security import Material

SUPERUSER = "cdc"


def bin_dir() -> Path:
    """The newest installed PostgreSQL server bin directory."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                        else 0)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("postgres")
    if found:
        return Path(found).resolve().parent
    raise ResolveError("postgresql", "no server binaries (Debian: apt-get install postgresql)")


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ResolveError("postgresql", "running as root needs a 'postgres' user") from exc
    return "postgres"


def _own(path: Path, user: str | None) -> None:
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def data_home(run_dir: Path, name: str = "postgres") -> Path:
    """Where the cluster lives: in the run dir, or, when run as the postgres user, in a
    private folder under the temp dir (the run dir's parents may not let that user in)."""
    if _run_as() is None:
        return run_dir / name
    return Path(tempfile.mkdtemp(prefix=f"cdc-{name}-"))


def start(run_dir: Path, work: Path, port: int, name: str = "postgres",
          secured: Material | None = None) -> ProcessRecord:
    """initdb (first start only) and launch ``postgres`` on 127.0.0.1:``port``;
    ``secured``: TCP clients only over TLS with scram-sha-256 (postgres_secure.py)."""
    user = _run_as()
    data, sockets = work / "data", work / "sockets"
    for path in (work, sockets):
        path.mkdir(parents=True, exist_ok=True)
        _own(path, user)
    bins = bin_dir()
    if not (data / "PG_VERSION").exists():
        init = subprocess.run(
            [str(bins / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            capture_output=True, text=True, check=False, user=user)
        if init.returncode != 0:
            raise ServiceStartError(name, "initdb failed", init.stdout + init.stderr)
    extra = [] if secured is None else postgres_secure.server_args(work, data, secured, user)
    argv = [str(bins / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
            "-c", "listen_addresses=127.0.0.1", "-c", "wal_level=logical",
            "-c", "max_wal_senders=10", "-c", "max_replication_slots=10",
            "-c", "max_connections=200", "-c", "shared_buffers=256MB", *extra]
    return spawn(name, argv, run_dir / "logs" / f"{name}.log", user=user)


def dsn(port: int, dbname: str = "postgres", secured: Material | None = None,
        user: str = SUPERUSER) -> str:
    """A libpq connection string for ``user`` (trust auth on loopback); secured: TLS with
    the server's name checked and the password from a ``passfile``, so it holds no secret."""
    plain = f"postgresql://{user}@127.0.0.1:{port}/{dbname}"
    if secured is None:
        return plain
    return (f"{plain}?sslmode=verify-full&sslrootcert={secured.ca}"
            f"&passfile={secured.pgpass(user)}")
