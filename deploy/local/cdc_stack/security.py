"""The secured local stack's material: a CA, one server certificate, one user per component.

``cdc stack up --secure`` generates, in ``<run dir>/secrets`` (files readable by the owner
only): ``ca.crt`` (the CA every client trusts), ``server.crt``/``server.key`` (for
127.0.0.1 and localhost, served by Kafka, PostgreSQL and the registry), ``server.p12`` (the
same pair as Kafka's keystore), ``truststore.p12`` (the CA for JVM clients that take no PEM:
the registry converter of Kafka Connect), and per user ``<user>.password`` plus, for the
PostgreSQL users, ``pg-<user>.pgpass`` (libpq's ``passfile``), so that no DSN or endpoint
the stack prints or records holds a secret.

Kafka users (SCRAM-SHA-512) and what their ACLs let them touch (prefixed resource names; the
demo and the tests name their topics and groups after these prefixes):

=========  ============================================================================
admin      super user: the brokers among themselves, topic set-up, tests
connect    topics ``shop_`` (Debezium's output) and ``cdc-connect-`` (its internal ones),
           groups ``cdc-connect-``
job        reads ``shop_``; writes ``processed_``, ``cdc_`` and ``cdc.dlq``; groups
           ``cdc-job``; transactional ids ``cdc-job``
sink       reads ``processed_``; writes ``cdc_`` and ``cdc.dlq`` (dead letters); groups
           ``cdc-sink``
exporter   describes every topic and group (lag), reads nothing
=========  ============================================================================

PostgreSQL users (scram-sha-256 over TLS only): ``cdc`` (the superuser), ``sink`` (may
create schemas), ``debezium`` (replication).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from cdc_stack.errors import ServiceStartError

KAFKA_USERS = ("admin", "connect", "job", "sink", "exporter")
POSTGRES_USERS = ("cdc", "sink", "debezium")
MECHANISM = "SCRAM-SHA-512"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
SECRETS_DIR = "secrets"
_VALIDITY = datetime.timedelta(days=30)


@dataclass(frozen=True)
class Material:
    """Where the generated files are; passwords are read from them when needed."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def keystore(self) -> Path:
        return self.directory / "server.p12"

    @property
    def truststore(self) -> Path:
        return self.directory / "truststore.p12"

    def password_file(self, user: str, system: str = "kafka") -> Path:
        return self.directory / f"{system}-{user}.password"

    def password(self, user: str, system: str = "kafka") -> str:
        return self.password_file(user, system).read_text().strip()

    def pgpass(self, user: str) -> Path:
        return self.directory / f"pg-{user}.pgpass"

    @property
    def store_password(self) -> str:
        """The password of the server's PKCS#12 keystore (a local file, like the store)."""
        return self.password("keystore", "tls")

    @property
    def truststore_password(self) -> str:
        """The truststore's: it guards only the public CA certificate, so it is no secret
        (it may appear on a command line)."""
        return self.password("truststore", "tls")


def material(run_dir: Path) -> Material:
    return Material(run_dir / SECRETS_DIR)


def generate(run_dir: Path) -> Material:
    """The local stack's material, in ``<run_dir>/secrets``."""
    return generate_into(material(run_dir).directory)


def generate_into(directory: Path, hosts: tuple[str, ...] = ()) -> Material:
    """Create the CA, the server certificate (for 127.0.0.1, localhost and ``hosts``), the
    stores and every user's password in ``directory``."""
    found = Material(directory)
    found.directory.mkdir(parents=True, exist_ok=True)
    found.directory.chmod(0o700)
    for user in KAFKA_USERS:
        _write_private(found.password_file(user), secrets.token_hex(16))
    for user in POSTGRES_USERS:
        password = secrets.token_hex(16)
        _write_private(found.password_file(user, "postgres"), password)
        _write_private(found.pgpass(user), f"*:*:*:{user}:{password}")
    for store in ("keystore", "truststore"):
        _write_private(found.password_file(store, "tls"), secrets.token_hex(16))
    ca_key, ca_cert = _ca()
    key, cert = _server(ca_key, ca_cert, hosts)
    _write_certs(found, ca_cert, key, cert)
    _truststore(found)
    return found


def _write_private(path: Path, text: str) -> None:
    """``text`` alone, no newline: Kafka Connect's directory config provider hands a file's
    bytes over as they are (``${dir:<secrets>:postgres-debezium.password}``)."""
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("cdc-pipeline local CA"))
            .issuer_name(_name("cdc-pipeline local CA")).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _server(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
            hosts: tuple[str, ...]) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    dns: list[x509.GeneralName] = [x509.DNSName(h) for h in ("localhost", *hosts)]
    names = x509.SubjectAlternativeName(
        [*dns, x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(_name("localhost"))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + _VALIDITY).add_extension(names, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH,
                                                  x509.OID_CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _write_certs(found: Material, ca_cert: x509.Certificate, key: ec.EllipticCurvePrivateKey,
                 cert: x509.Certificate) -> None:
    pem = serialization.Encoding.PEM
    found.ca.write_bytes(ca_cert.public_bytes(pem))
    found.server_cert.write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    _write_private(found.server_key, key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
    password = found.store_password.encode()
    found.keystore.touch(mode=0o600, exist_ok=True)
    found.keystore.write_bytes(pkcs12.serialize_key_and_certificates(
        b"server", key, cert, [ca_cert], serialization.BestAvailableEncryption(password)))


def _truststore(found: Material) -> None:
    """A PKCS#12 truststore holding the CA, written by the JDK's keytool: Java trusts only
    entries carrying its own trusted-certificate attribute, which keytool sets."""
    keytool = _keytool()
    store_pass = found.password_file("truststore", "tls")
    done = subprocess.run([keytool, "-importcert", "-noprompt", "-alias", "cdc-ca", "-file",
                           str(found.ca), "-keystore", str(found.truststore), "-storetype",
                           "PKCS12", "-storepass:file", str(store_pass)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServiceStartError("secrets", "keytool -importcert failed", done.stdout + done.stderr)
    found.truststore.chmod(0o600)


def _keytool() -> str:
    from cdc_stack.jdk import find_java

    return str(Path(find_java(17, None)).parent / "keytool")


def compose_env(found: Material) -> str:
    """``--env-file`` lines for docker-compose.secure.yml: the passwords the brokers' and
    PostgreSQL's own settings take as values (clients read theirs from the files)."""
    lines = [f"CDC_KAFKA_{u.upper()}_PASSWORD={found.password(u)}" for u in KAFKA_USERS]
    lines += [f"CDC_PG_{u.upper()}_PASSWORD={found.password(u, 'postgres')}"
              for u in POSTGRES_USERS]
    lines.append(f"CDC_KEYSTORE_PASSWORD={found.store_password}")
    lines.append(f"CDC_TRUSTSTORE_PASSWORD={found.truststore_password}")
    return "\n".join([*lines, ""])


def jaas(user: str, password: str, module: str = SCRAM_MODULE) -> str:
    """A ``sasl.jaas.config`` value for a SCRAM user (Java clients and brokers)."""
    return f'{module} required username="{user}" password="{password}";'


def java_client_properties(found: Material, user: str) -> dict[str, str]:
    """Java Kafka client settings for ``user`` over SASL_SSL (Connect, brokers' clients)."""
    return {"security.protocol": "SASL_SSL", "sasl.mechanism": MECHANISM,
            "sasl.jaas.config": jaas(user, found.password(user)),
            "ssl.truststore.type": "PEM", "ssl.truststore.location": str(found.ca)}


def librdkafka_config(found: Material, user: str) -> dict[str, str]:
    """librdkafka settings for ``user`` (password included: for the stack's own probes)."""
    return {"security.protocol": "SASL_SSL", "sasl.mechanism": MECHANISM,
            "sasl.username": user, "sasl.password": found.password(user),
            "ssl.ca.location": str(found.ca)}


def owned_copy(source: Path, target: Path, user: str | None) -> Path:
    """``source`` copied to ``target`` with mode 0600, owned by ``user`` (PostgreSQL reads
    its key only when it owns it and nobody else can)."""
    target.touch(mode=0o600, exist_ok=True)
    target.write_bytes(source.read_bytes())
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(target, entry.pw_uid, entry.pw_gid)
    return target
