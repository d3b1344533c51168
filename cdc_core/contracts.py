"""Per-table data contracts: quality expectations, freshness SLO, halt rate, enrichment.

Contracts live in ``schemas/`` as YAML; the caller reads the file and passes the text
(``load_contracts_text``) or the parsed documents (``load_contracts``).  Mistakes are
``ConfigError``s naming the table and key, so they surface at start-up, not mid-stream.
One YAML document per table, or a document holding a list of them::

    table: public.orders              # schema.table
    primary_key: [id]                 # checked not-null (hard) on every record
    freshness_slo_s: 300              # max staleness before the table is STALE
    history: true                     # keep its change history (default: the sink's setting)
    hard_violation_halt_rate: 0.05    # halt the table above this hard-violation rate...
    halt_window_s: 300                # ...measured over this window...
    halt_min_records: 100             # ...once it holds at least this many records
    expectations:
      - {name: total_non_negative, column: total_amount, kind: range, min: 0}
      - {name: status_known, column: status, kind: in_set,
         values: [new, paid, shipped, cancelled]}
      - {name: customer_present, column: customer_id, kind: not_null, severity: soft}
    enrichment:
      - from_column: customer_id
        dimension_table: public.customers
        dimension_key: id
        fields: {segment: customer_segment}   # dimension column -> output field
        wait_ms: 2000

Kinds: ``not_null``, ``range`` (min and/or max, inclusive, compared as exact decimals),
``in_set`` (compared as text; booleans as true/false).  Uniqueness is not a per-record
property: the primary key enforces it in the warehouse.  Null is only a violation for
``not_null``; Debezium's unchanged-TOAST placeholder is an unknown value, never one.
Deletes carry a possibly partial ``before`` image, so only the key is checked on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from cdc_core.envelope import ChangeEvent, is_unavailable
from cdc_core.errors import ConfigError, ContractViolation
from cdc_core.settings import key_path
from cdc_core.values import as_decimal, as_text

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
TABLE_PATTERN = r"^[^.\s]+\.[^.\s]+$"
FIELD_PATTERN = r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$"
PK_EXPECTATION = "primary_key_not_null"
Severity = Literal["hard", "soft"]


class _Model(BaseModel):
    """Frozen, and strict about keys: a typo must fail start-up, not silently do nothing."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Expectation(_Model):
    """One quality rule on one column; hard ones quarantine the record, soft ones count."""

    name: str = Field(pattern=NAME_PATTERN)
    column: str = Field(min_length=1)
    kind: Literal["not_null", "range", "in_set"]
    min: float | None = None
    max: float | None = None
    values: list[str] | None = None
    severity: Severity = "hard"

    @field_validator("values", mode="before")
    @classmethod
    def _as_text(cls, values: Any) -> Any:
        """Let YAML write ``values: [1, 2]``; compare everything as text."""
        return [as_text(v) for v in values] if isinstance(values, list) else values

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        problem = _kind_problem(self)
        if problem:
            raise ValueError(problem)
        return self


class EnrichmentRule(_Model):
    """Lookup join: ``from_column`` matched to ``dimension_key`` of ``dimension_table``,
    waiting up to ``wait_ms`` for a late dimension row before emitting without it."""

    from_column: str = Field(min_length=1)
    dimension_table: str = Field(pattern=TABLE_PATTERN)
    dimension_key: str = Field(min_length=1)
    fields: dict[str, str] = Field(min_length=1)
    wait_ms: int = Field(default=0, ge=0)

    @field_validator("fields")
    @classmethod
    def _output_names(cls, fields: dict[str, str]) -> dict[str, str]:
        bad = sorted(out for out in fields.values() if not _matches(FIELD_PATTERN, out))
        if bad:
            raise ValueError(f"output field name(s) {bad} must be Avro names not starting __")
        return fields


class TableContract(_Model):
    """Everything promised about one table (``schema.table``)."""

    table: str = Field(pattern=TABLE_PATTERN)
    primary_key: list[str] = Field(min_length=1)
    freshness_slo_s: float | None = Field(default=None, gt=0)
    hard_violation_halt_rate: float = Field(default=0.05, ge=0, le=1)
    halt_window_s: float = Field(default=300, gt=0)
    halt_min_records: int = Field(default=100, ge=1)
    expectations: list[Expectation] = Field(default_factory=list)
    enrichment: list[EnrichmentRule] = Field(default_factory=list)
    history: bool | None = None  # keep a change history (None: the sink's default)

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        _no_duplicates("expectation name", [e.name for e in self.expectations])
        _no_duplicates("enrichment field", [o for r in self.enrichment for o in r.fields.values()])
        return self

    @property
    def enrichment_fields(self) -> list[str]:
        """Output field names, in rule order: the processed record's enrichment fields."""
        return [out for rule in self.enrichment for out in rule.fields.values()]


class ContractsFile(RootModel[list[TableContract]]):
    """All contracts of a deployment, validated together."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken expectation by one record; enough to log, count and dead-letter it."""

    expectation: str
    column: str
    severity: Severity
    value: Any
    message: str


def load_contracts(docs: Sequence[Mapping[str, Any]]) -> dict[str, TableContract]:
    """Validate contract documents; keyed by ``schema.table``."""
    try:
        contracts = ContractsFile.model_validate(list(docs)).root
    except ValidationError as exc:
        raise ConfigError(*_describe(exc, docs)) from exc
    _no_duplicates_config([c.table for c in contracts])
    return {c.table: c for c in contracts}


def load_contracts_text(text: str) -> dict[str, TableContract]:
    """Contracts from YAML text (one or more documents, each a contract or a list)."""
    try:
        parsed = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"contracts are not valid YAML: {exc}") from exc
    docs: list[Any] = []
    for doc in parsed:
        docs.extend(doc if isinstance(doc, list) else [] if doc is None else [doc])
    return load_contracts(docs)


def check(
    record: Mapping[str, Any], contract: TableContract, *, deleted: bool | None = None
) -> list[Violation]:
    """Expectations ``record`` breaks.  ``deleted`` defaults to the record's ``__deleted``."""
    found = [_pk_violation(col) for col in contract.primary_key if record.get(col) is None]
    is_delete = (record.get("__deleted") is True) if deleted is None else deleted
    if is_delete:
        return found
    for expectation in contract.expectations:
        violation = check_value(expectation, record.get(expectation.column))
        found += [violation] if violation else []
    return found


def check_event(event: ChangeEvent, contract: TableContract) -> list[Violation]:
    """``check`` on a change's row image."""
    return check(event.row, contract, deleted=event.is_delete)


def check_value(expectation: Expectation, value: Any) -> Violation | None:
    """The violation of one expectation by one value, if any."""
    if is_unavailable(value):
        return None
    if value is None:
        return _violation(expectation, value, "is null") if expectation.kind == "not_null" else None
    if expectation.kind == "range":
        return _range_violation(expectation, value)
    if expectation.kind == "in_set" and as_text(value) not in (expectation.values or []):
        return _violation(expectation, value, f"is not one of {expectation.values}")
    return None


def hard_error(violations: Sequence[Violation], table: str) -> ContractViolation | None:
    """The quarantine error for the first hard violation (message lists all hard ones)."""
    hard = [v for v in violations if v.severity == "hard"]
    if not hard:
        return None
    message = f"{table}: " + "; ".join(v.message for v in hard)
    return ContractViolation(
        message, expectation=hard[0].expectation, column=hard[0].column, value=hard[0].value
    )


def should_halt(hard_violations: int, records: int, contract: TableContract) -> bool:
    """Whether the hard-violation rate over a window of ``records`` halts the table."""
    if records < contract.halt_min_records:
        return False
    return hard_violations / records > contract.hard_violation_halt_rate


def _range_violation(expectation: Expectation, value: Any) -> Violation | None:
    number = as_decimal(value)
    if number is None or number.is_nan():
        return _violation(expectation, value, "is not a number")
    low, high = expectation.min, expectation.max
    if low is not None and number < Decimal(repr(low)):
        return _violation(expectation, value, f"is below {low}")
    if high is not None and number > Decimal(repr(high)):
        return _violation(expectation, value, f"is above {high}")
    return None


def _violation(expectation: Expectation, value: Any, what: str) -> Violation:
    message = f"{expectation.name}: {expectation.column} = {value!r} {what}"
    return Violation(expectation.name, expectation.column, expectation.severity, value, message)


def _pk_violation(column: str) -> Violation:
    return Violation(
        PK_EXPECTATION,
        column,
        "hard",
        None,
        f"{PK_EXPECTATION}: primary key column {column} is null",
    )


def _matches(pattern: str, text: str) -> bool:
    return re.match(pattern, text) is not None


def _kind_problem(e: Expectation) -> str | None:
    if e.kind == "range" and e.min is None and e.max is None:
        return "a range expectation needs min and/or max"
    if e.kind == "range" and e.min is not None and e.max is not None and e.min > e.max:
        return f"min {e.min} is above max {e.max}"
    if e.kind == "in_set" and not e.values:
        return "an in_set expectation needs a non-empty values list"
    if e.kind != "range" and (e.min is not None or e.max is not None):
        return f"min/max only apply to range, not {e.kind}"
    if e.kind != "in_set" and e.values is not None:
        return f"values only apply to in_set, not {e.kind}"
    return None


def _no_duplicates(what: str, names: list[str]) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate {what}(s): {', '.join(dupes)}")


def _no_duplicates_config(tables: list[str]) -> None:
    try:
        _no_duplicates("table contract", tables)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def _table_label(docs: Sequence[Any], index: Any) -> str:
    """Name a document by its table when it has one, else by its position."""
    doc = docs[index] if isinstance(index, int) and 0 <= index < len(docs) else None
    table = doc.get("table") if isinstance(doc, Mapping) else None
    return str(table) if table else f"contract #{index}"


def _describe(exc: ValidationError, docs: Sequence[Any]) -> list[str]:
    """One line per problem: which table, which key, what is wrong."""
    lines = []
    for err in exc.errors():
        index, *path = err["loc"] or (0,)
        where = key_path(tuple(path)) or "(document)"
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"contracts are invalid: {_table_label(docs, index)}: {where}: {what}")
    return lines
