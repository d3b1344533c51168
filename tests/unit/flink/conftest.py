"""Fixtures of the decode stage's unit tests: an in-memory registry and a decoder on it."""

from __future__ import annotations

import pytest

from cdc_core.contracts import load_contracts_text
from flink_jobs.catalog import SchemaCatalog
from flink_jobs.decode import DecodeSettings, RecordDecoder
from tests.unit.flink.registry_memory import CONTRACTS, MemoryRegistry


@pytest.fixture
def registry() -> MemoryRegistry:
    return MemoryRegistry()


@pytest.fixture
def decoder(registry: MemoryRegistry) -> RecordDecoder:
    settings = DecodeSettings("dlq", load_contracts_text(CONTRACTS),
                              {"public.orders": ("total_amount",)})
    catalog = SchemaCatalog(registry, "processed", settings.rules())
    return RecordDecoder(settings, registry.fetch, catalog)
