"""Avro readers specialised once per writer schema, built from fastavro's own primitives.

fastavro's ``schemaless_reader`` interprets the parsed schema for every record: per field
it classifies the type, looks for a logical type and consults its options. The sink and the
Flink job read millions of records of a handful of writer schemas, so ``compile_reader``
turns each schema once into a tree of small readers that call fastavro's primitive readers
(``read_long``, ``read_utf8`` ...) and logical-type converters (``LOGICAL_READERS``)
directly. The values are the ones ``schemaless_reader`` returns (tested against it), in
less time per record: the schema is interpreted once, not for every record.

Every Avro type is covered except recursive ones, for which ``compile_reader`` returns None
and the caller keeps fastavro's generic reader (as it does where fastavro's C extension is
not installed). Malformed input raises, as in fastavro, with
one deliberate difference: a union or enum index outside the schema is refused, where
fastavro would index a negative one from the end. Callers treat any exception as corrupt
input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from fastavro import read as _fastavro_read

# The primitive readers of fastavro's C module, which its own schemaless_reader calls: not
# in fastavro's public API, so their use is confined to this module, looked up without
# failing and pinned by tests/unit/core/test_core_avro_reader.py. Where they are missing or
# are fastavro's pure Python readers (which take other arguments), nothing is compiled and
# every caller keeps fastavro's public generic reader.
_PRIMITIVES: Any = getattr(_fastavro_read, "_read", None)
_LOGICAL: dict[str, Any] = getattr(_fastavro_read, "LOGICAL_READERS", None) or {}
_NEEDED = ("read_boolean", "read_bytes", "read_double", "read_fixed", "read_float",
           "read_long", "read_null", "read_utf8")


def _has_compiled_primitives(module: Any, logical: dict[str, Any]) -> bool:
    return (getattr(module, "__name__", None) == "fastavro._read" and bool(logical)
            and all(callable(getattr(module, name, None)) for name in _NEEDED))


class _NoPrimitives:
    """Stands in for the C readers where they are missing: nothing is compiled then, so
    these are never called; the module still imports."""

    def __getattr__(self, name: str) -> Reader:
        def unavailable(*_: Any) -> Any:
            raise RuntimeError(f"fastavro's compiled {name} is not available")
        return unavailable


_COMPILED_FASTAVRO = _has_compiled_primitives(_PRIMITIVES, _LOGICAL)
if not _COMPILED_FASTAVRO:
    _PRIMITIVES = _NoPrimitives()

Reader = Callable[[IO[bytes]], Any]


class _Unsupported(Exception):
    """A schema this module does not specialise (recursive types)."""


def compile_reader(parsed_schema: Any) -> Reader | None:
    """A reader for records of ``parsed_schema`` (fastavro's parsed form), or None.

    None also for a schema this module trips over: fastavro's reader is always correct.
    """
    if not _COMPILED_FASTAVRO:
        return None
    try:
        return _Compiler().reader(parsed_schema)
    except Exception:  # a fallback, never a failure
        return None


class _Compiler:
    """Compiles one schema; named types resolve to readers compiled earlier in it."""

    def __init__(self) -> None:
        self._named: dict[str, Reader | None] = {}  # None: still being compiled

    def reader(self, schema: Any) -> Reader:
        if isinstance(schema, list):
            return _union([self.reader(branch) for branch in schema])
        if isinstance(schema, str):
            return self._by_name(schema)
        kind = schema["type"]
        if kind in ("record", "error", "enum", "fixed"):
            return self._named_type(schema)
        read = self._structured(schema) if kind in ("array", "map") else self.reader(kind)
        return _with_logical(read, schema)

    def _by_name(self, name: str) -> Reader:
        primitive = _PRIMITIVE_READERS.get(name)
        if primitive is not None:
            return primitive
        if name not in self._named:
            raise _Unsupported(f"unknown named type {name!r}")
        read = self._named[name]
        if read is None:
            raise _Unsupported(f"recursive type {name!r}")
        return read

    def _named_type(self, schema: dict[str, Any]) -> Reader:
        name = schema["name"]
        self._named[name] = None
        kind = schema["type"]
        if kind == "enum":
            read = _enum(tuple(schema["symbols"]))
        elif kind == "fixed":
            read = _fixed(schema)
        else:
            read = _record(tuple((f["name"], self.reader(f["type"])) for f in schema["fields"]))
        read = self._named[name] = _with_logical(read, schema)
        return read

    def _structured(self, schema: dict[str, Any]) -> Reader:
        if schema["type"] == "array":
            return _array(self.reader(schema["items"]))
        return _map(self.reader(schema["values"]))


_PRIMITIVE_READERS: dict[str, Reader] = {
    "null": _PRIMITIVES.read_null,
    "boolean": _PRIMITIVES.read_boolean,
    "int": _PRIMITIVES.read_long,
    "long": _PRIMITIVES.read_long,
    "float": _PRIMITIVES.read_float,
    "double": _PRIMITIVES.read_double,
    "bytes": _PRIMITIVES.read_bytes,
    "string": _PRIMITIVES.read_utf8,  # strict UTF-8, as schemaless_reader's default
}
_read_long: Callable[[IO[bytes]], int] = _PRIMITIVES.read_long
_utf8: Callable[[IO[bytes]], str] = _PRIMITIVES.read_utf8


def _with_logical(read: Reader, schema: dict[str, Any]) -> Reader:
    """Wrap ``read`` in fastavro's converter for the schema's logical type, if it has one."""
    logical = schema.get("logicalType")
    convert = _LOGICAL.get(f"{schema['type']}-{logical}") if logical else None
    if convert is None:
        return read
    return lambda fo: convert(read(fo), schema, None)


def _union(branches: list[Reader]) -> Reader:
    if len(branches) == 2 and branches[0] is _PRIMITIVES.read_null:  # the common ["null", T]
        value = branches[1]

        def nullable(fo: IO[bytes]) -> Any:
            index = _read_long(fo)
            if index == 1:
                return value(fo)
            if index == 0:
                return None
            raise ValueError(f"union index {index} outside a 2-branch union")
        return nullable

    def union(fo: IO[bytes]) -> Any:
        index = _read_long(fo)
        if not 0 <= index < len(branches):
            raise ValueError(f"union index {index} outside a {len(branches)}-branch union")
        return branches[index](fo)
    return union


def _record(fields: tuple[tuple[str, Reader], ...]) -> Reader:
    return lambda fo: {name: read(fo) for name, read in fields}


def _enum(symbols: tuple[str, ...]) -> Reader:
    def enum(fo: IO[bytes]) -> str:
        index = _read_long(fo)
        if not 0 <= index < len(symbols):
            raise ValueError(f"enum index {index} outside {len(symbols)} symbols")
        return symbols[index]
    return enum


def _fixed(schema: dict[str, Any]) -> Reader:
    return lambda fo: _PRIMITIVES.read_fixed(fo, schema)


def _blocks(fo: IO[bytes]) -> Any:
    """Item counts of an array's or map's blocks (a negative count is followed by a size)."""
    count = _read_long(fo)
    while count != 0:
        if count < 0:
            count = -count
            _read_long(fo)  # the block's size in bytes: not needed to read it
        yield count
        count = _read_long(fo)


def _array(item: Reader) -> Reader:
    return lambda fo: [item(fo) for count in _blocks(fo) for _ in range(count)]


def _map(value: Reader) -> Reader:
    return lambda fo: {_utf8(fo): value(fo) for count in _blocks(fo) for _ in range(count)}
