"""The secured stack's generated material and broker settings, without starting engines."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509

from cdc_stack import kafka, kafka_secure, postgres, security


def test_generated_material_chains_to_the_ca_and_keeps_secrets_private(tmp_path: Path) -> None:
    found = security.generate(tmp_path)
    context = ssl.create_default_context(cafile=str(found.ca))
    context.load_cert_chain(str(found.server_cert), str(found.server_key))
    cert = x509.load_pem_x509_certificates(found.server_cert.read_bytes())[0]
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    for path in found.directory.iterdir():
        if path.name not in ("ca.crt", "server.crt"):
            assert path.stat().st_mode & 0o077 == 0, path
    passwords = {found.password(u) for u in security.KAFKA_USERS}
    assert len(passwords) == len(security.KAFKA_USERS)


def test_secured_broker_listens_sasl_ssl_with_the_standard_authorizer(tmp_path: Path) -> None:
    found = security.generate(tmp_path)
    plain = kafka.server_properties(9092, 9093, tmp_path / "data")
    text = kafka_secure.secure_properties(plain, 9092, 9093, found)
    assert "listeners=SASL_SSL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093" in text
    assert "PLAINTEXT://127.0.0.1:9092" not in text
    assert "StandardAuthorizer" in text
    assert text.count("listeners=") == 2  # listeners and advertised.listeners, once each


def test_every_component_user_has_acls_and_none_is_a_wildcard_writer() -> None:
    bindings = kafka_secure.acl_bindings()
    principals = {b.principal for b in bindings}
    assert principals == {f"User:{u}" for u in kafka_secure.GRANTS}
    exporter = [b for b in bindings if b.principal == "User:exporter"]
    assert {b.operation.name for b in exporter} == {"DESCRIBE"}


def test_secured_dsn_holds_no_password(tmp_path: Path) -> None:
    found = security.generate(tmp_path)
    dsn = postgres.dsn(5432, secured=found)
    assert "sslmode=verify-full" in dsn and f"passfile={found.pgpass('cdc')}" in dsn
    assert found.password("cdc", "postgres") not in dsn
