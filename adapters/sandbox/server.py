"""Start and stop the sandbox: two loopback servers (Salesforce over https, HubSpot over http).

Python API for tests and the quickstart::

    with run_sandbox(tmp_path) as sandbox:
        sf = Salesforce(instance_url=sandbox.salesforce_url, session_id=sandbox.session_id,
                        session=sandbox.salesforce_session(), version=sandbox.api_version)
        hs = HubSpot(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
        sandbox.faults.fail_next("hubspot.batch_upsert", times=2, status=503)
        assert sandbox.request_count("hubspot.batch_upsert") == 0

``state_dir`` keeps the SQLite file (unless ``config.db_path`` says otherwise) and the
private CA; starting again on the same directory keeps schema, records and credentials.
Stopping closes the listening sockets and every open connection and joins the threads.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from simple_salesforce.api import Salesforce
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from adapters.sandbox import hubspot_portal_seed, salesforce_population
from adapters.sandbox.auth import Credentials, SalesforceLogin
from adapters.sandbox.faults import Faults, HubSpotRateLimit
from adapters.sandbox.hubspot_api import create_hubspot_app
from adapters.sandbox.hubspot_assoc import HubSpotAssociations
from adapters.sandbox.hubspot_backend import HubSpotBackend
from adapters.sandbox.hubspot_pipelines import HubSpotPipelines
from adapters.sandbox.hubspot_records import HubSpotRecords
from adapters.sandbox.hubspot_schema import HubSpotSchema
from adapters.sandbox.salesforce_api import create_salesforce_app, login_domain
from adapters.sandbox.salesforce_backend import API_VERSION, SalesforceBackend
from adapters.sandbox.salesforce_flows import OutboundSender
from adapters.sandbox.salesforce_metadata import start_flow_runner
from adapters.sandbox.salesforce_records import SalesforceRecords
from adapters.sandbox.salesforce_schema import SalesforceSchema
from adapters.sandbox.store import Clock, Store
from adapters.sandbox.tls import ensure_tls

__all__ = ["Sandbox", "SandboxConfig", "run_sandbox", "start_sandbox"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxConfig:
    """How to run the sandbox; the defaults suit tests (free ports, limits off)."""

    host: str = "127.0.0.1"
    salesforce_port: int = 0
    hubspot_port: int = 0
    db_path: Path | None = None  # default: <state_dir>/sandbox.db
    portal_id: int = 24_680_246
    query_batch_size: int = 2000
    custom_objects: bool = True  # False: a HubSpot portal without an Enterprise subscription
    # A portal that already holds data (contacts, companies, a second deal pipeline; see
    # adapters.sandbox.hubspot_portal_seed); False: an empty portal, as most tests want.
    hubspot_populated: bool = False
    # Scopes the HubSpot token lacks (adapters.sandbox.hubspot_scopes); empty: all granted.
    hubspot_withheld_scopes: frozenset[str] = frozenset()
    hubspot_rate_limit: HubSpotRateLimit | None = None
    salesforce_daily_limit: int = 15_000  # Developer Edition's allocation
    now: Callable[[], float] | None = None  # injectable time for rate windows and timestamps
    # The Salesforce user's profile: "standard" (Standard User) or "minimum_access" (an
    # integration user with nothing but its permission sets); see salesforce_access.
    salesforce_profile: str = "standard"
    # Start the Salesforce org with a customer's existing records
    # (adapters.sandbox.salesforce_population); tests that need an empty org keep False.
    salesforce_populated: bool = False
    # How long an unacknowledged Outbound Message is retried (Salesforce: up to 24 hours;
    # adapters.sandbox.salesforce_flows).
    outbound_retry_for: float = 60.0


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines can carry SOQL filters; keep them out of test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _TrackedServer(ThreadedWSGIServer):
    """A threaded server that can close its idle keep-alive connections when stopped.

    HTTP/1.1 clients (requests, urllib3) keep connections open; their handler threads would
    outlive ``shutdown()``. Tracking each connection lets ``close_all`` end them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection, args=(request, client_address), daemon=True
        )
        with self._connections_lock:
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)

    def close_all(self, timeout: float = 5.0) -> None:
        with self._connections_lock:
            open_connections = dict(self._connections)
        for connection in open_connections.values():
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        for thread in open_connections:
            thread.join(timeout)


class _ServerThread:
    def __init__(self, app: Flask, host: str, port: int, ssl_context: Any = None) -> None:
        # Bind first (a clear OSError if the port is taken); werkzeug would sys.exit instead.
        listener = socket.create_server((host, port))
        try:
            self.server = _TrackedServer(
                host, port, app, _QuietHandler, ssl_context=ssl_context, fd=listener.fileno()
            )
        finally:
            listener.close()
        self.port = self.server.port
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.close_all()
        self._thread.join(5.0)
        self.server.server_close()


@dataclass
class Sandbox:
    """A running sandbox: where it listens, how to authenticate, and its fault switchboard."""

    salesforce_url: str
    hubspot_url: str
    ca_bundle: str
    combined_ca_bundle: str
    session_id: str
    hubspot_token: str
    salesforce_login: SalesforceLogin
    api_version: str
    portal_id: int
    faults: Faults
    store: Store
    hubspot: HubSpotBackend
    salesforce: SalesforceBackend
    # Outbound Messages sent by deployed record-triggered Flows, and their acknowledgements.
    outbound: OutboundSender | None = None
    _servers: list[_ServerThread] = field(default_factory=list, repr=False)

    def request_count(self, endpoint: str = "*") -> int:
        """Requests so far to endpoints matching ``endpoint`` (fnmatch, e.g. ``hubspot.*``)."""
        return self.faults.request_count(endpoint)

    def salesforce_session(self) -> requests.Session:
        """A ``requests.Session`` that trusts the sandbox CA (pass it as ``session=``).

        ``trust_env`` is off because requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``
        from the environment override ``session.verify``; many CI images set them.
        """
        session = requests.Session()
        session.verify = self.ca_bundle
        session.trust_env = False
        return session

    def salesforce_client(self) -> Salesforce:
        """A simple-salesforce client on the sandbox's session: a CRM user's view of it."""
        return Salesforce(
            instance_url=self.salesforce_url,
            session_id=self.session_id,
            session=self.salesforce_session(),
            version=self.api_version,
        )

    @property
    def salesforce_login_domain(self) -> str:
        """``domain=`` for simple-salesforce's client-credentials/password logins."""
        return login_domain(self.salesforce_url)

    def withhold_scopes(self, *scopes: str) -> None:
        """The HubSpot token loses ``scopes`` (none given: gets every scope back)."""
        self.hubspot.withheld_scopes = set(scopes)

    def hubspot_counts(self) -> dict[str, int]:
        """How many contacts, companies and deals the HubSpot portal holds."""
        counts = {}
        for name in ("contacts", "companies", "deals"):
            object_type = self.hubspot.schema.resolve(name)
            assert object_type is not None
            counts[name] = len(self.hubspot.records.all(object_type))
        return counts

    def set_custom_objects(self, enabled: bool) -> None:
        """Switch between an Enterprise portal and one without custom objects."""
        self.hubspot.custom_objects = enabled

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()
        if self.outbound is not None:
            self.outbound.stop()
        self.store.close()


def start_sandbox(state_dir: Path, config: SandboxConfig | None = None) -> Sandbox:
    """Start both servers in background threads; call :meth:`Sandbox.stop` when done."""
    config = config or SandboxConfig()
    state_dir.mkdir(parents=True, exist_ok=True)
    clock = Clock(config.now) if config.now else Clock()
    store = Store(config.db_path or state_dir / "sandbox.db", clock)
    credentials = Credentials(store)
    faults = Faults(
        credentials,
        clock,
        hubspot_limit=config.hubspot_rate_limit,
        salesforce_daily_limit=config.salesforce_daily_limit,
    )
    sf_schema = SalesforceSchema(store)
    sf_records = SalesforceRecords(store, sf_schema, faults, config.salesforce_profile)
    if config.salesforce_populated:
        salesforce_population.populate(sf_records)
    salesforce = SalesforceBackend(
        store,
        sf_schema,
        sf_records,
        faults,
        credentials,
        query_batch_size=config.query_batch_size,
    )
    hs_schema = HubSpotSchema(store, config.portal_id)
    pipelines = HubSpotPipelines(store)
    hs_records = HubSpotRecords(store, hs_schema, pipelines, faults)
    if config.hubspot_populated:
        hubspot_portal_seed.populate(store, hs_schema, hs_records, pipelines)
    hubspot = HubSpotBackend(
        store,
        hs_schema,
        hs_records,
        pipelines,
        HubSpotAssociations(store),
        faults,
        credentials,
        config.portal_id,
        custom_objects=config.custom_objects,
        withheld_scopes=set(config.hubspot_withheld_scopes),
    )
    tls = ensure_tls(state_dir)
    outbound = OutboundSender(str(tls.combined_bundle), retry_for=config.outbound_retry_for)
    flows = start_flow_runner(salesforce, outbound)
    servers: list[_ServerThread] = []
    try:
        servers.append(
            _ServerThread(
                create_salesforce_app(salesforce),
                config.host,
                config.salesforce_port,
                tls.server_context(),
            )
        )
        servers.append(_ServerThread(create_hubspot_app(hubspot), config.host, config.hubspot_port))
    except BaseException:
        for server in servers:
            server.server.server_close()
        outbound.stop()
        store.close()
        raise
    for server in servers:
        server.start()
    host = f"[{config.host}]" if ":" in config.host else config.host
    sandbox = Sandbox(
        salesforce_url=f"https://{host}:{servers[0].port}",
        hubspot_url=f"http://{host}:{servers[1].port}",
        ca_bundle=str(tls.ca_bundle),
        combined_ca_bundle=str(tls.combined_bundle),
        session_id=credentials.salesforce_session,
        hubspot_token=credentials.hubspot_token,
        salesforce_login=credentials.login,
        api_version=API_VERSION,
        portal_id=config.portal_id,
        faults=faults,
        store=store,
        hubspot=hubspot,
        salesforce=salesforce,
        outbound=outbound,
        _servers=servers,
    )
    flows.instance_url = sandbox.salesforce_url
    _log.info(
        "sandbox started: salesforce %s, hubspot %s", sandbox.salesforce_url, sandbox.hubspot_url
    )
    return sandbox


@contextmanager
def run_sandbox(state_dir: Path, config: SandboxConfig | None = None) -> Iterator[Sandbox]:
    """The sandbox for the duration of a ``with`` block; always stopped afterwards."""
    sandbox = start_sandbox(state_dir, config)
    try:
        yield sandbox
    finally:
        sandbox.stop()
