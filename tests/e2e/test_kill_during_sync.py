"""``refnet sync`` killed with SIGKILL at several points, then run again.

The CLI runs as a real process against the sandbox's Salesforce (served by this test
process, so it outlives the kill and finishes any request it was handling, as a real CRM
would). After the resumed run the CRM must hold exactly the desired records, none twice,
and the resumed run must send only what the killed one had not had confirmed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.sandbox import Sandbox, run_sandbox
from adapters.sandbox.target import salesforce_adapter
from connector.importing.importer import import_file
from connector.rules import RulesConfig
from connector.services import Actor
from connector.settings import load_settings
from connector.store import Store
from connector.sync.objects import desired_ids
from connector.sync.schema import sync_failures, sync_runs, sync_state
from mappings.loader import load_mappings
from mappings.objects import mapped_objects
from tests.conftest import SAMPLE_DIR, NewDatabaseUrl, on_postgres
from tests.waiting import wait_until

SAMPLE_FILES = ["members.csv", "connections.csv", "referrals.csv", "programme.json"]
UPSERT = "salesforce.collections_upsert"


def _import_sample(url: str) -> None:
    store = Store.open(url)
    for name in SAMPLE_FILES:
        import_file(store, SAMPLE_DIR / name, rules=RulesConfig(), actor=Actor("test"))
    store.close()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample imported once into a SQLite file that each test copies (importing is slow)."""
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    _import_sample(f"sqlite:///{path}")
    return path


@pytest.fixture
def sample_url(
    tmp_path: Path, new_database_url: NewDatabaseUrl, request: pytest.FixtureRequest
) -> str:
    """A store holding the sample network: a copy of the file, or imported into PostgreSQL."""
    if on_postgres():
        url = new_database_url()
        _import_sample(url)
        return url
    db = tmp_path / "refnet.db"
    shutil.copy(request.getfixturevalue("sample_db"), db)
    return f"sqlite:///{db}"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")  # salesforce_adapter sets it for zeep
    with run_sandbox(tmp_path / "sandbox") as running:
        salesforce_adapter(load_settings(), running).provision()
        yield running


def _sync_process(url: str, sandbox: Sandbox, cwd: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REFNET_DATABASE_URL": url,
        "REFNET_SALESFORCE__INSTANCE_URL": sandbox.salesforce_url,
        "REFNET_SALESFORCE__SESSION_ID": sandbox.session_id,
        "REFNET_SALESFORCE__VERIFY": sandbox.ca_bundle,
        "REFNET_SALESFORCE__API_VERSION": sandbox.api_version,
        "REQUESTS_CA_BUNDLE": sandbox.combined_ca_bundle,
    }
    refnet = Path(sys.executable).parent / "refnet"
    return subprocess.Popen(
        [str(refnet), "sync", "--target", "salesforce", "--json"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_after(process: subprocess.Popen[bytes], sandbox: Sandbox, upserts: int) -> None:

    def reached() -> bool:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the sync ended before the kill point: {err.decode()[-2000:]}")
        return sandbox.request_count(UPSERT) >= upserts

    # Progress is any request the sync makes (login, describe, queries, upserts).
    wait_until(
        reached,
        progress=sandbox.request_count,
        what="the sync to reach the kill point",
        interval=0.002,
    )
    process.send_signal(signal.SIGKILL)
    process.wait()


def _desired(store: Store) -> dict[str, set[str]]:
    objects = mapped_objects(load_mappings("salesforce"), RulesConfig().multiplier)
    with store.reading() as tx:
        return {obj.name: desired_ids(tx, obj) for obj in objects}


@pytest.mark.parametrize("upserts", [1, 4, 9, 15])
def test_a_sync_killed_midway_resumes_to_exactly_the_desired_records(
    sample_url: str, sandbox: Sandbox, tmp_path: Path, upserts: int
) -> None:
    _kill_after(_sync_process(sample_url, sandbox, tmp_path), sandbox, upserts)

    store = Store.open(sample_url)
    with store.reading() as tx:
        confirmed = tx.connection.execute(
            select(func.count()).select_from(sync_state).where(sync_state.c.status == "synced")
        ).scalar_one()
        killed = tx.connection.execute(select(sync_runs.c.status)).scalars().all()
    assert killed == ["running"], "the killed run never finished"

    resumed = _sync_process(sample_url, sandbox, tmp_path)
    _out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()

    desired = _desired(store)
    total = sum(len(ids) for ids in desired.values())
    with store.reading() as tx:
        last = tx.connection.execute(
            select(sync_runs.c.sent, sync_runs.c.failed, sync_runs.c.status)
            .order_by(sync_runs.c.id.desc())
            .limit(1)
        ).one()
    with store.reading() as tx:
        reasons = Counter(
            f"{row.object_name} {row.code}: {row.message}"
            for row in tx.connection.execute(select(sync_failures)).all()
        )
    assert (last.status, last.failed) == ("completed", 0), reasons.most_common(3)
    assert last.sent == total - confirmed, "only what was not confirmed is sent again"

    crm = sandbox.salesforce_client()
    for object_name, ids in desired.items():
        rows = crm.query_all(f"SELECT Refnet_Id__c FROM {object_name}")["records"]
        held = Counter(str(r["Refnet_Id__c"]) for r in rows if r["Refnet_Id__c"])
        assert set(held) == ids, f"{object_name}: CRM differs from refnet"
        assert max(held.values(), default=1) == 1, f"{object_name}: duplicates"
    store.close()
