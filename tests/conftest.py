"""Shared fixtures: a real store per test (SQLite, or PostgreSQL) and the sample network.

The suite runs twice in CI: on SQLite files, and with ``REFNET_TEST_DATABASE_URL`` naming
a PostgreSQL database (``.ci/postgres.sh``). Then every store a test opens lives in a
schema of its own in that database, dropped after the test, so tests stay independent.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from connector import i18n
from connector.rules import RulesConfig
from connector.services import Actor
from connector.store import Store

# Hypothesis may never fail a test for being slow: its default 200 ms deadline and the
# too_slow health check both measure this machine's speed, not refnet's behaviour, and
# rejected good work on a busy CI machine. Timings belong in bench/.
settings.register_profile(
    "refnet", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("refnet")

# Tests assert English texts unless they choose German themselves: a developer's German
# locale (LANG=de_DE.UTF-8) must not change what the suite expects, in this process or in the
# refnet processes tests start (they inherit the environment).
os.environ["REFNET_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _english_unless_a_test_says_otherwise() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("en")


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "sample"
POSTGRES_URL = os.environ.get("REFNET_TEST_DATABASE_URL")

# Makes a new, empty database URL each call (for tests that need more than one store).
NewDatabaseUrl = Callable[[], str]


def on_postgres() -> bool:
    return POSTGRES_URL is not None


@pytest.fixture(scope="session")
def _postgres_admin() -> Iterator[Engine | None]:
    if POSTGRES_URL is None:
        yield None
        return
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def new_database_url(tmp_path: Path, _postgres_admin: Engine | None) -> Iterator[NewDatabaseUrl]:
    schemas: list[str] = []

    def make() -> str:
        if _postgres_admin is None or POSTGRES_URL is None:
            return f"sqlite:///{tmp_path / f'refnet-{uuid.uuid4().hex[:8]}.db'}"
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with _postgres_admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        # Every connection of this URL works inside the schema: tables, alembic_version.
        options = quote(f"-csearch_path={schema}")
        separator = "&" if "?" in POSTGRES_URL else "?"
        return f"{POSTGRES_URL}{separator}options={options}"

    yield make
    if _postgres_admin is not None:
        with _postgres_admin.connect() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def database_url(new_database_url: NewDatabaseUrl) -> str:
    return new_database_url()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def rules() -> RulesConfig:
    return RulesConfig()


@pytest.fixture
def actor() -> Actor:
    return Actor("test")
