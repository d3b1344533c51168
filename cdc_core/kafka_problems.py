"""Kafka client errors a person must fix — credentials, certificates, ACLs — said in one line.

librdkafka reports a wrong password, an untrusted broker certificate or a missing ACL by
retrying quietly and printing its own multi-line log noise. ``ClientProblems`` is given to
a client as its ``error_cb`` (and fed the errors that come back on messages): it turns such
an error into one line naming the component, the brokers and the user, e.g.

    sink: kafka 127.0.0.1:9093 (user sink): authentication failed: SASL authentication error: ...

logs it once while it repeats, and hands it to ``on_problem`` (a health probe goes
not-ready with it as the reason). librdkafka's own error log is quietened (``log_level``
2, overridable in ``kafka.properties``) because every error it would print reaches the
callback; other errors are logged once per distinct text. No line holds a secret: the
client configuration's password is never part of an error text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError

log = logging.getLogger(__name__)

_KINDS: dict[int, str] = {
    KafkaError._AUTHENTICATION: "authentication failed",
    KafkaError.SASL_AUTHENTICATION_FAILED: "authentication failed",
    KafkaError._SSL: "TLS failed (is ssl.ca.location the CA of the brokers' certificates?)",
    KafkaError.TOPIC_AUTHORIZATION_FAILED: "not authorized (missing ACL)",
    KafkaError.GROUP_AUTHORIZATION_FAILED: "not authorized (missing ACL)",
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED: "not authorized (missing ACL)",
    KafkaError.CLUSTER_AUTHORIZATION_FAILED: "not authorized (missing ACL)",
}
# librdkafka's repetition notes ("(after 301ms in state AUTH_REQ, 4 identical error(s)
# suppressed)"): dropped, so that one problem is one text.
_REPETITION = re.compile(r"\s*\((?:after \d+ms|\d+ identical)(?:[^()]|\([^()]*\))*\)")
_REMEMBERED = 1000  # distinct texts kept for "once"; forgotten all at once beyond that
# librdkafka's log level below which it prints nothing itself: 2 keeps critical lines only.
QUIET_LOG_LEVEL = 2


def security_kind(err: KafkaError) -> str | None:
    """What a person must fix for ``err`` (None: not a credential, TLS or ACL problem)."""
    return _KINDS.get(err.code())


def endpoint(client_config: dict[str, Any]) -> str:
    """``kafka <brokers> (user <name>)``: where a client goes, and as whom."""
    user = client_config.get("sasl.username")
    return (f"kafka {client_config.get('bootstrap.servers', '?')}"
            + (f" (user {user})" if user else ""))


class ClientProblems:
    """The ``error_cb`` of one component's Kafka clients (see module docstring)."""

    def __init__(self, component: str, client_config: dict[str, Any],
                 on_problem: Callable[[str], None] | None = None) -> None:
        self.where = f"{component}: {endpoint(client_config)}"
        self._on_problem = on_problem
        self._said: set[str] = set()
        self._lock = threading.Lock()

    def settings(self) -> dict[str, Any]:
        """Client settings installing this reporter (merge under the user's ``properties``)."""
        return {"error_cb": self, "log_level": QUIET_LOG_LEVEL}

    def line(self, err: KafkaError) -> str | None:
        """The one line for a security problem, None for any other error."""
        kind = security_kind(err)
        return None if kind is None else f"{self.where}: {kind}: {text(err)}"

    def __call__(self, err: KafkaError) -> None:
        found = self.line(err)
        if found is None:
            self._once(logging.WARNING, f"{self.where}: {text(err)}")
            return
        self._once(logging.ERROR, found)
        if self._on_problem is not None:
            self._on_problem(found)

    def _once(self, level: int, text: str) -> None:
        """Log ``text`` the first time only: librdkafka repeats an error on every retry."""
        with self._lock:
            if text in self._said:
                return
            if len(self._said) >= _REMEMBERED:
                self._said.clear()
            self._said.add(text)
        log.log(level, "%s", text)


def text(err: KafkaError) -> str:
    """``err``'s text on one line, without librdkafka's repetition notes."""
    return _REPETITION.sub("", " ".join(err.str().split()))
