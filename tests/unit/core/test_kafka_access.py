"""The Kafka access pre-flight check without brokers: silence is not a refusal."""

from __future__ import annotations

import pytest

from cdc_core.kafka_access import Access, check
from cdc_stack.ports import free_port


def test_brokers_that_do_not_answer_are_not_a_refusal(caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    where = f"127.0.0.1:{free_port()}"
    check({"bootstrap.servers": where}, Access(read=("t",), groups=("g",)), timeout_s=0.5)
    assert caplog.messages == [f"kafka {where}: no answer within 0.5s; access not checked"]
