"""Fixtures for the Salesforce adapter tests: the shipped mappings and instant sleeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.salesforce.adapter import SalesforceAdapter
from connector.settings import SalesforceSettings
from mappings import MappingSet, load_mappings
from tests.adapters.salesforce.fakes import session_settings


@pytest.fixture(scope="session")
def mappings() -> MappingSet:
    return load_mappings("salesforce")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_adapter(mappings: MappingSet, sleeps: list[float]) -> Callable[..., SalesforceAdapter]:
    def make(
        settings: SalesforceSettings | None = None,
        mappings: MappingSet = mappings,
        **kwargs: Any,
    ) -> SalesforceAdapter:
        return SalesforceAdapter(
            settings or session_settings(), mappings, sleep=sleeps.append, **kwargs
        )

    return make
