"""Walking Avro schema JSON: full names, references, nullability, the envelope's row record.

Debezium defines the row record once (in ``before``) and refers to it by name (in
``after``); nested named types inherit their namespace from the enclosing record.  Moving
a column type into another record (the processed schema) or comparing two versions of it
(schema evolution) is only correct once every name is fully qualified and every
reference is resolvable, which is what these helpers provide.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
RECORDS = frozenset({"record", "error"})


def fullname(name: str, namespace: str | None) -> str:
    """Avro's rule: a dotted name is already full, otherwise prefix the namespace."""
    return name if "." in name or not namespace else f"{namespace}.{name}"


def namespace_of(full: str) -> str:
    return full.rpartition(".")[0]


def branches(avro_type: Any) -> list[Any]:
    """The branches of a union, or the type itself as a one-element list."""
    return list(avro_type) if isinstance(avro_type, list) else [avro_type]


def is_null(avro_type: Any) -> bool:
    return avro_type == "null" or (isinstance(avro_type, dict) and avro_type.get("type") == "null")


def is_nullable(avro_type: Any) -> bool:
    return any(is_null(b) for b in branches(avro_type))


def non_null(avro_type: Any) -> Any:
    """The type without its null branch: a single type, or a list if several remain."""
    rest = [b for b in branches(avro_type) if not is_null(b)]
    return rest[0] if len(rest) == 1 else rest


def kind_of(schema: dict[str, Any]) -> str | None:
    """The ``type`` of a schema dict when it is a name (not a nested type)."""
    kind = schema.get("type")
    return kind if isinstance(kind, str) else None


def children(schema: dict[str, Any]) -> list[Any]:
    """Types nested directly inside a schema dict (field types, items, values, type)."""
    found: list[Any] = []
    map_children(schema, found.append)
    return found


def map_children(schema: dict[str, Any], fn: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of ``schema`` with ``fn`` applied to each directly nested type."""
    out = dict(schema)
    kind = schema.get("type")
    if kind in RECORDS:
        out["fields"] = [{**f, "type": fn(f["type"])} for f in schema.get("fields", [])]
    elif kind == "array":
        out["items"] = fn(schema["items"])
    elif kind == "map":
        out["values"] = fn(schema["values"])
    elif not isinstance(kind, str) or kind not in PRIMITIVES | NAMED:
        out["type"] = fn(kind)  # a nested type, or a reference to a named one
    return out


def named_types(schema: Any, namespace: str = "") -> dict[str, dict[str, Any]]:
    """Every named type defined in ``schema``, by full name."""
    found: dict[str, dict[str, Any]] = {}
    _collect(schema, namespace, found)
    return found


def _collect(schema: Any, namespace: str, found: dict[str, dict[str, Any]]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, namespace, found)
        return
    if not isinstance(schema, dict):
        return
    if kind_of(schema) in NAMED:
        full = fullname(schema["name"], schema.get("namespace", namespace))
        found[full] = schema
        namespace = namespace_of(full)
    for child in children(schema):
        _collect(child, namespace, found)


def qualify(schema: Any, namespace: str = "") -> Any:
    """A copy with every named type's ``name`` and every reference fully qualified."""
    return _qualify(schema, namespace, frozenset(named_types(schema, namespace)))


def _qualify(schema: Any, namespace: str, defined: frozenset[str]) -> Any:
    if isinstance(schema, str):
        return _resolve(schema, namespace, defined)
    if isinstance(schema, list):
        return [_qualify(b, namespace, defined) for b in schema]
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if kind_of(schema) in NAMED:
        out["name"] = fullname(schema["name"], schema.get("namespace", namespace))
        out.pop("namespace", None)
        namespace = namespace_of(out["name"])
        if not namespace:
            out["namespace"] = ""  # stays in the null namespace wherever it is moved
    return map_children(out, lambda t: _qualify(t, namespace, defined))


def _resolve(ref: str, namespace: str, defined: frozenset[str]) -> str:
    if ref in PRIMITIVES or ref in {"array", "map"} or "." in ref or not namespace:
        return ref
    candidate = f"{namespace}.{ref}"
    return candidate if candidate in defined else ref


def expand(avro_type: Any, names: dict[str, dict[str, Any]]) -> Any:
    """Replace references by their definitions (recursive types stay references).

    Expects qualified input (see ``qualify``), so names and references are full names.
    """
    return _expand(avro_type, names, frozenset())


def _expand(avro_type: Any, names: dict[str, dict[str, Any]], stack: frozenset[str]) -> Any:
    if isinstance(avro_type, str):
        if avro_type in names and avro_type not in stack:
            return _expand(names[avro_type], names, stack)
        return avro_type
    if isinstance(avro_type, list):
        return [_expand(b, names, stack) for b in avro_type]
    if not isinstance(avro_type, dict):
        return avro_type
    if kind_of(avro_type) in NAMED:
        stack = stack | {avro_type["name"]}
    return map_children(avro_type, lambda t: _expand(t, names, stack))


def row_record(value_schema: dict[str, Any]) -> dict[str, Any]:
    """The table's row record, fully qualified, from a Debezium envelope schema.

    A schema without ``before``/``after`` fields is taken to be a row record already.
    References to types defined outside the row record are inlined, so the result
    stands alone.
    """
    envelope = qualify(value_schema)
    names = named_types(envelope)
    fields = {f["name"]: f for f in envelope.get("fields", [])}
    if "before" not in fields and "after" not in fields:
        return _self_contained(envelope, names)
    for name in ("before", "after"):
        for branch in branches(fields[name]["type"]) if name in fields else []:
            record = names.get(branch) if isinstance(branch, str) else branch
            if isinstance(record, dict) and kind_of(record) in RECORDS:
                return _self_contained(record, names)
    raise ValueError("envelope schema has no row record in before/after")


def _self_contained(record: dict[str, Any], names: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Inline the first reference to any type the record uses but does not define."""
    defined = set(named_types(record))
    return dict(_inline(copy.deepcopy(record), names, defined))


def _inline(schema: Any, names: dict[str, dict[str, Any]], defined: set[str]) -> Any:
    if isinstance(schema, str):
        if schema in names and schema not in defined:
            defined.update(named_types(names[schema]))
            return _inline(copy.deepcopy(names[schema]), names, defined)
        return schema
    if isinstance(schema, list):
        return [_inline(b, names, defined) for b in schema]
    if not isinstance(schema, dict):
        return schema
    return map_children(schema, lambda t: _inline(t, names, defined))
