"""Shared fixtures: a real SQLite store file per test and the shipped sample network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "sample"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'refnet.db'}")
    yield opened
    opened.close()


@pytest.fixture
def rules() -> RulesConfig:
    return RulesConfig()


@pytest.fixture
def actor() -> Actor:
    return Actor("test")
