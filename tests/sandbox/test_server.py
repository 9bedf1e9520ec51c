"""Starting and stopping: no leaked threads or ports, persistence, and the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    SimplePublicObjectBatchInputUpsert,
)
from simple_salesforce import Salesforce

from adapters.sandbox import SandboxConfig, run_sandbox
from adapters.sandbox.ids import is_salesforce_id, salesforce_id, salesforce_id_suffix


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_stopping_closes_ports_and_joins_threads_even_with_keep_alive(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    with run_sandbox(tmp_path) as sandbox:
        session = sandbox.salesforce_session()  # keeps its connection open (keep-alive)
        sf = Salesforce(
            instance_url=sandbox.salesforce_url,
            session_id=sandbox.session_id,
            session=session,
            version="62.0",
        )
        sf.describe()
        hs = HubSpot(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
        hs.crm.properties.core_api.get_all("contacts")
        ports = [_port(sandbox.salesforce_url), _port(sandbox.hubspot_url)]
        assert not any(_refused(port) for port in ports)
    assert all(_refused(port) for port in ports)
    assert set(threading.enumerate()) - before == set()
    session.close()


def test_a_restart_on_the_same_directory_keeps_records_and_credentials(tmp_path: Path) -> None:
    upsert = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            SimplePublicObjectBatchInputUpsert(
                id="a@x.com", id_property="email", properties={"firstname": "A"}
            )
        ]
    )
    with run_sandbox(tmp_path) as first:
        token, session_id, ca = first.hubspot_token, first.session_id, first.ca_bundle
        created = HubSpot(access_token=token, host=first.hubspot_url).crm.objects.batch_api.upsert(
            "contacts", batch_input_simple_public_object_batch_input_upsert=upsert
        )
    with run_sandbox(tmp_path) as second:
        assert (second.hubspot_token, second.session_id, second.ca_bundle) == (
            token,
            session_id,
            ca,
        )
        again = HubSpot(access_token=token, host=second.hubspot_url).crm.objects.batch_api.upsert(
            "contacts", batch_input_simple_public_object_batch_input_upsert=upsert
        )
        assert again.results[0].id == created.results[0].id and again.results[0].new is False


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with (
            pytest.raises(OSError),
            run_sandbox(tmp_path, SandboxConfig(hubspot_port=taken.getsockname()[1])),
        ):
            pass


def test_cli_prints_settings_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "from adapters.sandbox.cli import app; app()",
        "--state-dir",
        str(tmp_path),
        "--port-salesforce",
        "0",
        "--port-hubspot",
        "0",
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if "REQUESTS_CA_BUNDLE" in line:
                break
        output = "".join(lines)
        settings = dict(
            part.split("=", 1)
            for line in lines
            if line.strip().startswith("export ")
            for part in [line.strip().removeprefix("export ")]
        )
        host = settings["REFNET_HUBSPOT__HOST"]
        token = settings["REFNET_HUBSPOT__ACCESS_TOKEN"]
        answer = requests.get(
            f"{host}/crm/v3/properties/contacts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert answer.status_code == 200 and answer.json()["results"]
        assert "Salesforce  https://127.0.0.1:" in output
        assert settings["REFNET_SALESFORCE__VERIFY"] == str(tmp_path / "sandbox-ca.pem")
        assert settings["REFNET_SALESFORCE__SESSION_ID"].startswith("'00D")  # quoted for the shell
    finally:
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "sandbox stopped." in rest


def test_salesforce_ids_carry_the_documented_checksum() -> None:
    # Known pairs from Salesforce's documentation and knowledge base.
    assert salesforce_id_suffix("00300000003T2PG") == "AA0"
    assert salesforce_id_suffix("a0D30000001n7Pi") == "EAI"
    generated = salesforce_id("a01", 42)
    assert len(generated) == 18 and generated.startswith("a01") and is_salesforce_id(generated)
    assert is_salesforce_id(generated[:15])
    tampered = generated[:15] + ("BBB" if generated.endswith("AAA") else "AAA")
    assert not is_salesforce_id(tampered)
    assert not is_salesforce_id("not-an-id")
