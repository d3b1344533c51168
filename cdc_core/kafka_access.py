"""A pre-flight check of what Kafka lets a client do, before a component starts clients that
would only retry a refusal quietly (the job's Java clients inside Flink).

``check`` logs in with the component's own settings, fetches metadata and asks the brokers
which operations the user is authorized for on the topics and groups it will use. A wrong
password, an untrusted certificate or a missing ACL raises ``KafkaRefused`` with one line
naming the brokers and the user (``cdc_core/kafka_problems.py`` words the first two the way
every component does):

    kafka 127.0.0.1:9093 (user job): authentication failed: SASL authentication error: ...
    kafka 127.0.0.1:9093 (user job): not authorized to read topic shop.public.x (missing ACL)

Brokers that do not answer at all are not a refusal: the check logs that it could not look
and returns, leaving the wait to the component's own retries. A topic that does not exist
yet is not checked (the user may describe it once it does); topics of a pattern are checked
among those the user can see (Kafka hides the others, so a pattern never names them).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicCollection
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._acl import AclOperation
from confluent_kafka.admin._metadata import ClusterMetadata

from cdc_core.errors import KafkaRefused
from cdc_core.kafka_problems import QUIET_LOG_LEVEL, endpoint, security_kind, text

log = logging.getLogger(__name__)

# One metadata request's wait: short, so that the errors met meanwhile are read soon.
_TRY_S = 2.0
_DENIED = (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED)


@dataclass(frozen=True)
class Access:
    """What a component will do: topics it reads (by name or pattern), writes, groups."""

    read: tuple[str, ...] = ()
    read_pattern: str | None = None
    write: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def check(client_config: dict[str, Any], access: Access, timeout_s: float = 15.0) -> None:
    """Raise ``KafkaRefused`` if Kafka refuses ``client_config``'s user ``access``."""
    where = endpoint(client_config)
    errors: list[KafkaError] = []
    conf: dict[str, Any] = {**client_config, "error_cb": errors.append,
                            "log_level": QUIET_LOG_LEVEL}
    admin = AdminClient(conf)
    metadata = _metadata(admin, errors, where, timeout_s)
    if metadata is None:
        log.warning("%s: no answer within %gs; access not checked", where, timeout_s)
        return
    seen = _matching(metadata, access.read_pattern)
    _check_topics(admin, where, [*access.read, *seen], AclOperation.READ, "read")
    _check_topics(admin, where, access.write, AclOperation.WRITE, "write")
    _check_groups(admin, where, access.groups)


def _metadata(admin: AdminClient, errors: list[KafkaError], where: str, timeout_s: float
              ) -> ClusterMetadata | None:
    """The cluster's metadata; a refusal met on the way raised; None when none answered."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return admin.list_topics(timeout=_TRY_S)
        except KafkaException:
            admin.poll(0.1)  # serves error_cb: what librdkafka met meanwhile
        refused = next((e for e in errors if security_kind(e) is not None), None)
        if refused is not None:
            raise KafkaRefused(f"{where}: {security_kind(refused)}: {text(refused)}")
        if time.monotonic() >= deadline:
            return None


def _matching(metadata: ClusterMetadata, pattern: str | None) -> list[str]:
    if pattern is None:
        return []
    compiled = re.compile(pattern)  # matched whole, as the Java clients match a pattern
    return sorted(t for t in metadata.topics if compiled.fullmatch(t))


def _check_topics(admin: AdminClient, where: str, topics: Iterable[str],
                  operation: AclOperation, verb: str) -> None:
    names = list(dict.fromkeys(topics))
    if not names:
        return
    futures = admin.describe_topics(TopicCollection(names), include_authorized_operations=True,
                                    request_timeout=_TRY_S * 5)
    for topic, future in futures.items():
        if not _permits(future, operation):
            raise KafkaRefused(f"{where}: not authorized to {verb} topic {topic} "
                               "(missing ACL)")


def _check_groups(admin: AdminClient, where: str, groups: tuple[str, ...]) -> None:
    if not groups:
        return
    futures = admin.describe_consumer_groups(list(groups), include_authorized_operations=True,
                                             request_timeout=_TRY_S * 5)
    for group, future in futures.items():
        if not _permits(future, AclOperation.READ):
            raise KafkaRefused(f"{where}: not authorized to use group {group} (missing ACL)")


def _permits(future: Future[Any], operation: AclOperation) -> bool:
    """False when the brokers deny ``operation``; True when they allow it or do not say
    (an unknown topic, a timeout: not a refusal this check can name)."""
    try:
        allowed = future.result()
    except KafkaException as exc:
        return exc.args[0].code() not in _DENIED
    ops = allowed.authorized_operations
    return ops is None or operation in ops or AclOperation.ALL in ops
