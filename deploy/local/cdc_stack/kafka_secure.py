"""Kafka's secured listener: SASL_SSL with SCRAM-SHA-512, ACLs by ``StandardAuthorizer``.

Clients and the brokers among themselves speak SASL_SSL (the brokers as ``admin``); the
controller listener stays PLAINTEXT on loopback, and its principal (``ANONYMOUS``) is a
super user because only the nodes' own controller traffic reaches it. Every other user may
do only what its ACLs allow (security.py lists them; ``acl_bindings`` builds them).
"""

from __future__ import annotations

from confluent_kafka.admin._acl import AclBinding, AclOperation, AclPermissionType
from confluent_kafka.admin._resource import ResourcePatternType, ResourceType

from cdc_stack.security import MECHANISM, Material, jaas

_LISTENER_KEYS = ("listeners=", "advertised.listeners=", "listener.security.protocol.map=",
                  "inter.broker.listener.name=")


def secure_properties(plain: str, port: int, controller_port: int, found: Material) -> str:
    """``plain`` (kafka.server_properties) with its client listener made SASL_SSL."""
    kept = [line for line in plain.splitlines() if not line.startswith(_LISTENER_KEYS)]
    return "\n".join([*kept, *_secured_lines(port, controller_port, found), ""])


def _secured_lines(port: int, controller_port: int, found: Material) -> list[str]:
    admin = jaas("admin", found.password("admin"))
    return [
        f"listeners=SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=SASL_SSL://127.0.0.1:{port}",
        "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=SASL_SSL",
        f"sasl.enabled.mechanisms={MECHANISM}",
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        f"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={admin}",
        "ssl.keystore.type=PKCS12", f"ssl.keystore.location={found.keystore}",
        f"ssl.keystore.password={found.store_password}",
        f"ssl.key.password={found.store_password}",
        "ssl.truststore.type=PEM", f"ssl.truststore.location={found.ca}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users=User:admin;User:ANONYMOUS",
        "allow.everyone.if.no.acl.found=false",
    ]


def scram_format_args(found: Material) -> list[str]:
    """``kafka-storage format`` arguments creating every user's SCRAM credential."""
    from cdc_stack.security import KAFKA_USERS

    args: list[str] = []
    for user in KAFKA_USERS:
        args += ["--add-scram", f"{MECHANISM}=[name={user},password={found.password(user)}]"]
    return args


_R = ResourceType
_O = AclOperation
# user -> (resource type, name prefix, operations); see security.py's table.
GRANTS: dict[str, list[tuple[ResourceType, str, tuple[AclOperation, ...]]]] = {
    "connect": [(_R.TOPIC, "shop_", (_O.ALL,)), (_R.TOPIC, "cdc-connect-", (_O.ALL,)),
                (_R.GROUP, "cdc-connect-", (_O.ALL,))],
    "job": [(_R.TOPIC, "shop_", (_O.READ, _O.DESCRIBE)),
            (_R.TOPIC, "processed_", (_O.ALL,)), (_R.TOPIC, "cdc_", (_O.ALL,)),
            (_R.TOPIC, "cdc.dlq", (_O.ALL,)), (_R.GROUP, "cdc-job", (_O.ALL,)),
            (_R.TRANSACTIONAL_ID, "cdc-job", (_O.ALL,))],
    "sink": [(_R.TOPIC, "processed_", (_O.READ, _O.DESCRIBE)),
             (_R.TOPIC, "cdc_", (_O.WRITE, _O.DESCRIBE, _O.CREATE)),
             (_R.TOPIC, "cdc.dlq", (_O.WRITE, _O.DESCRIBE, _O.CREATE)),
             (_R.GROUP, "cdc-sink", (_O.ALL,))],
    "exporter": [(_R.TOPIC, "", (_O.DESCRIBE,)), (_R.GROUP, "", (_O.DESCRIBE,))],
}


def acl_bindings() -> list[AclBinding]:
    """Allow rules for every component user; an empty prefix means every resource."""
    found: list[AclBinding] = []
    for user, grants in GRANTS.items():
        for resource, prefix, operations in grants:
            pattern = ResourcePatternType.PREFIXED if prefix else ResourcePatternType.LITERAL
            for operation in operations:
                found.append(AclBinding(resource, prefix or "*", pattern, f"User:{user}", "*",
                                        operation, AclPermissionType.ALLOW))
    return found


def ready(bootstrap: str, brokers: int, found: Material) -> bool:
    """Every node answers the admin over SASL_SSL, and the component ACLs are in place
    (creating an existing binding again is a no-op)."""
    from confluent_kafka.admin import AdminClient

    from cdc_stack import readiness
    from cdc_stack.security import librdkafka_config

    conf = librdkafka_config(found, "admin")
    if not readiness.kafka(bootstrap, brokers, conf):
        return False
    admin = AdminClient({**conf, "bootstrap.servers": bootstrap, "log_level": 0})
    try:
        for future in admin.create_acls(acl_bindings(), request_timeout=5).values():
            future.result()
    except Exception:  # not ready yet (or ACLs refused): the caller polls again
        return False
    return True
