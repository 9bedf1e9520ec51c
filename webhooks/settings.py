"""Settings of the webhook service, read once from ``REFNET_WEBHOOK_*`` environment variables.

There are no default secrets: :meth:`WebhookSettings.require_secrets` (called by the app
factory and the CLI) stops start-up with a :class:`ConfigError` that names each missing
setting, never a value. Secrets are :class:`SecretStr`, so they never show in a repr.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connector.errors import ConfigError
from connector.events import EventRules
from connector.i18n import gettext as _
from connector.settings import read_settings
from webhooks.signatures import HubSpotSignatureVersion

__all__ = ["WebhookProvider", "WebhookSettings", "load_webhook_settings"]

WebhookProvider = Literal["hubspot", "salesforce"]
MIB = 1024 * 1024
_ALL_PROVIDERS: tuple[WebhookProvider, ...] = ("hubspot", "salesforce")
_DEFAULT_HUBSPOT_SIGNATURES: tuple[HubSpotSignatureVersion, ...] = ("v3", "v1")


class WebhookSettings(BaseSettings):
    """Everything the webhook service and its worker read from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="REFNET_WEBHOOK_", env_nested_delimiter="__", extra="ignore"
    )

    providers: list[WebhookProvider] = Field(
        default_factory=lambda: list(_ALL_PROVIDERS),
        description="enabled providers; each needs its secrets",
    )
    hubspot_client_secret: SecretStr | None = Field(
        default=None, description="the HubSpot app's client secret (signs X-HubSpot-Signature-v3)"
    )
    hubspot_public_base_url: str | None = Field(
        default=None,
        description="scheme://host[:port][/prefix] HubSpot calls; required unless "
        "TRUSTED_PROXY_HOPS says which X-Forwarded-* headers name it",
    )
    hubspot_portal_ids: list[int] = Field(
        default_factory=list,
        description="HubSpot portal (hub) ids whose events are accepted; events of any other "
        "portal are refused and never stored",
    )
    hubspot_signature_versions: list[HubSpotSignatureVersion] = Field(
        default_factory=lambda: list(_DEFAULT_HUBSPOT_SIGNATURES),
        min_length=1,
        description="HubSpot signature versions accepted: v3 (apps with a client secret), "
        "v1 (webhooks-API subscriptions, legacy private apps), v2 (workflow actions)",
    )
    trusted_proxy_hops: int = Field(
        default=0,
        ge=0,
        le=10,
        description="number of reverse proxies in front whose X-Forwarded-* headers are "
        "trusted (werkzeug ProxyFix); 0 trusts none",
    )
    salesforce_hmac_secret: SecretStr | None = Field(
        default=None, description="shared secret of the X-Refnet-Signature HMAC (Flow/Apex)"
    )
    salesforce_org_ids: list[str] = Field(
        default_factory=list, description="Salesforce OrganizationIds whose messages are accepted"
    )
    salesforce_outbound_token: SecretStr | None = Field(
        default=None,
        description="secret path segment of POST /salesforce/outbound/<token> (the URL the "
        "Flow's Outbound Message calls); when set, the token-less route refuses",
    )
    max_body_bytes: int = Field(default=MIB, ge=1024, le=64 * MIB)
    signature_tolerance: timedelta = Field(
        default=timedelta(minutes=5),
        gt=timedelta(0),
        description="accepted clock difference of signed timestamps, in both directions",
    )
    hold_period: timedelta = Field(
        default=timedelta(0),
        ge=timedelta(0),
        description="a won deal must stay won this long before its referrer is credited",
    )
    sqlite_wal: bool = Field(
        default=True,
        description="switch a SQLite store to write-ahead logging at start (readers stop "
        "blocking the inbox writes); has no effect on PostgreSQL",
    )
    run_worker: bool = Field(default=True, description="process the inbox in the web process")
    worker_poll_interval: float = Field(default=1.0, gt=0, le=60)
    worker_batch_size: int = Field(default=100, ge=1, le=1000)
    worker_lease_seconds: int = Field(default=60, ge=5)
    worker_max_attempts: int = Field(default=10, ge=1)
    # 0.025 s, not 0.05: every request thread of a web process waits while the worker
    # holds the lock, and beside a busy worker intake stored 25-30 % more with half the
    # hold, while the worker still applied most of what it did before (BENCHMARKS.md, serve).
    worker_max_hold_seconds: float = Field(
        default=0.025,
        gt=0,
        description="a claimed batch commits what it has after this long and goes on in a new "
        "transaction (SQLite's write lock is not held longer while web processes wait)",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="log lines: JSON when stderr is not a terminal, text when it is (auto)",
    )
    ready_max_backlog_seconds: float = Field(
        default=300.0,
        gt=0,
        description="/readyz fails when a claimable event has waited longer than this",
    )
    ready_max_heartbeat_seconds: float = Field(
        default=120.0,
        gt=0,
        description="/readyz fails when the in-process worker has not looped for this long",
    )
    events: EventRules = Field(default_factory=EventRules)
    writeback_targets: list[str] = Field(
        default_factory=list,
        description="sync targets (e.g. salesforce, hubspot, sandbox) the worker writes "
        "changed records back to; empty leaves them queued in the outbox for `refnet sync`",
    )

    @field_validator("salesforce_org_ids")
    @classmethod
    def _org_ids_look_right(cls, values: list[str]) -> list[str]:
        for value in values:
            if len(value) not in (15, 18) or not value.isalnum():
                raise ValueError(_("an OrganizationId has 15 or 18 letters and digits"))
        return values

    @field_validator("salesforce_outbound_token")
    @classmethod
    def _token_fit_for_a_url(cls, value: SecretStr | None) -> SecretStr | None:
        # It travels as a path segment and must be hard to guess: 32+ URL-safe characters
        # (``python -c 'import secrets; print(secrets.token_urlsafe(32))'``).
        if value is None:
            return None
        token = value.get_secret_value()
        if len(token) < 32 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in token):
            raise ValueError(_("needs at least 32 characters of A-Z, a-z, 0-9, '-' or '_'"))
        return value

    @field_validator("hubspot_public_base_url")
    @classmethod
    def _base_url_without_path(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(_("must start with https:// (or http:// for local tests)"))
        return value.rstrip("/")

    def require_secrets(self) -> None:
        """Raise :class:`ConfigError` naming every secret an enabled provider lacks."""
        missing: list[str] = []
        if "hubspot" in self.providers:
            if not _present(self.hubspot_client_secret):
                missing.append("REFNET_WEBHOOK_HUBSPOT_CLIENT_SECRET")
            if not self.hubspot_portal_ids:
                missing.append("REFNET_WEBHOOK_HUBSPOT_PORTAL_IDS")
        if "salesforce" in self.providers:
            if not _present(self.salesforce_hmac_secret):
                missing.append("REFNET_WEBHOOK_SALESFORCE_HMAC_SECRET")
            if not self.salesforce_org_ids:
                missing.append("REFNET_WEBHOOK_SALESFORCE_ORG_IDS")
        if missing:
            raise ConfigError(
                _(
                    "the webhook service cannot start without: {missing} "
                    "(or remove the provider from REFNET_WEBHOOK_PROVIDERS)"
                ).format(missing=", ".join(missing))
            )
        self._require_public_url()

    def _require_public_url(self) -> None:
        """HubSpot signs the URL it called; behind a proxy the request alone cannot tell it.

        Guessing from the Host header would answer every delivery 401 with no reason given,
        so start-up stops unless the URL is configured or the proxy headers are trusted.
        """
        if "hubspot" not in self.providers or self.hubspot_public_base_url is not None:
            return
        if self.trusted_proxy_hops > 0:
            return
        raise ConfigError(
            _(
                "HubSpot intake needs REFNET_WEBHOOK_HUBSPOT_PUBLIC_BASE_URL (the https URL "
                "HubSpot calls), or REFNET_WEBHOOK_TRUSTED_PROXY_HOPS=<number of proxies> to "
                "rebuild it from their X-Forwarded-* headers"
            )
        )

    def event_rules(self) -> EventRules:
        """The event rules with this service's hold period.

        ``REFNET_WEBHOOK_HOLD_PERIOD`` wins when set; otherwise the one given with the other
        event rules (``REFNET_WEBHOOK_EVENTS__HOLD_PERIOD``), which was once silently dropped.
        """
        hold = self.hold_period or self.events.hold_period
        return self.events.model_copy(update={"hold_period": hold})


def _present(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value().strip())


def load_webhook_settings(**overrides: object) -> WebhookSettings:
    """Read the settings once; invalid ones raise :class:`ConfigError` without their values."""
    return read_settings(WebhookSettings, _("webhook settings"), **overrides)
