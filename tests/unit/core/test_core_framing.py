import pytest

from cdc_core.errors import DecodeError
from cdc_core.framing import MAGIC, frame, unframe


def test_round_trip() -> None:
    data = frame(258, b"body")
    assert data == b"\x00\x00\x00\x01\x02body"
    schema_id, body = unframe(data)
    assert (schema_id, bytes(body)) == (258, b"body")


def test_body_is_a_view_not_a_copy() -> None:
    _, body = unframe(frame(1, b"abc"))
    assert isinstance(body, memoryview)


def test_empty_body_is_allowed() -> None:
    assert bytes(unframe(frame(7, b""))[1]) == b""


@pytest.mark.parametrize(
    "data", [None, b"", b"\x00\x00\x00\x01", b"\x01\x00\x00\x00\x01x", b'{"json": true}']
)
def test_not_confluent_framing(data: bytes | None) -> None:
    with pytest.raises(DecodeError) as info:
        unframe(data)
    assert info.value.reason == "not_confluent_framing"
    assert info.value.stage == "decode"
    assert info.value.raw == data


@pytest.mark.parametrize("schema_id", [-1, 2**32])
def test_frame_rejects_ids_that_do_not_fit(schema_id: int) -> None:
    with pytest.raises(ValueError, match="schema id"):
        frame(schema_id, b"")


def test_magic_is_zero() -> None:
    assert MAGIC == 0
