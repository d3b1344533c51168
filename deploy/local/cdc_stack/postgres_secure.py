"""PostgreSQL secured: TLS on, TCP clients only over TLS with scram-sha-256.

The Unix socket (in the cluster's private folder) keeps trust for the stack's own set-up;
every TCP connection must be ``hostssl`` and prove its password by SCRAM. ``create_roles``
gives each component its user (security.py lists them).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import sql

from cdc_stack.security import POSTGRES_USERS, Material, owned_copy

HBA = """# written by cdc stack up --secure: TLS and SCRAM for every TCP client
local   all          all                    trust
hostssl all          all   127.0.0.1/32     scram-sha-256
hostssl replication  all   127.0.0.1/32     scram-sha-256
"""


def server_args(work: Path, data: Path, found: Material, user: str | None) -> list[str]:
    """``postgres`` options: the server's key and certificate, the hba file above."""
    cert = owned_copy(found.server_cert, work / "server.crt", user)
    key = owned_copy(found.server_key, work / "server.key", user)
    hba = work / "pg_hba.conf"
    hba.write_text(HBA)
    return ["-c", "ssl=on", "-c", f"ssl_cert_file={cert}", "-c", f"ssl_key_file={key}",
            "-c", "password_encryption=scram-sha-256", "-c", f"hba_file={hba}",
            "-c", "ssl_min_protocol_version=TLSv1.2"]


def create_roles(sockets: Path, port: int, found: Material) -> None:
    """Every component's login role with its password (over the trusted socket)."""
    grants = {"cdc": sql.SQL(""), "sink": sql.SQL(" CREATEDB"),
              "debezium": sql.SQL(" REPLICATION")}
    with psycopg.connect(host=str(sockets), port=port, user="cdc", dbname="postgres",
                         autocommit=True) as conn:
        for user in POSTGRES_USERS:
            password = found.password(user, "postgres")
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (user,))
            verb = sql.SQL("ALTER") if exists.fetchone() else sql.SQL("CREATE")
            conn.execute(sql.SQL("{} ROLE {} LOGIN{} PASSWORD {}").format(
                verb, sql.Identifier(user), grants[user], sql.Literal(password)))
            if user != "cdc":
                conn.execute(sql.SQL("GRANT CREATE ON DATABASE postgres TO {}").format(
                    sql.Identifier(user)))


def ready(sockets: Path, port: int, found: Material, dsn: str) -> bool:
    """The roles exist (created once the socket answers) and ``dsn`` answers over TLS."""
    from cdc_stack import readiness

    try:
        create_roles(sockets, port, found)
    except psycopg.Error:
        return False
    return readiness.postgres(dsn)
