"""Typed settings, read once from ``REFNET_*`` environment variables or ``refnet.toml``.

Environment variables win over the file. Nested sections use a double underscore:
``REFNET_RULES__LADDER__PARTNER_MIN_WON=5``. Secrets are :class:`SecretStr`, so they never
show in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.intelligence.config import IntelligenceConfig
from connector.money import MoneyConfig
from connector.rules.config import RulesConfig
from connector.validation_messages import validation_message

__all__ = [
    "HubSpotSettings",
    "SalesforceSettings",
    "Settings",
    "SyncSettings",
    "load_settings",
    "read_settings",
]

DEFAULT_DATABASE_URL = "sqlite:///refnet.db"


class SalesforceSettings(BaseModel):
    """Salesforce connection; any one of the auth flows simple-salesforce offers.

    Documented paths, both through an External Client App (or connected app):
    JWT bearer: ``username`` + ``consumer_key`` + ``private_key_file`` (+ ``domain``);
    client credentials: ``consumer_key`` + ``consumer_secret`` + ``domain`` (the My Domain,
    e.g. ``acme.my``; the app's run-as user is the integration user).
    Legacy, off by default in new orgs and being retired by Salesforce: username-password
    (``username`` + ``password`` + ``security_token``, or the OAuth password grant with
    ``consumer_key`` + ``consumer_secret``). Tests and the sandbox: ``session_id`` +
    ``instance_url``.
    """

    model_config = ConfigDict(extra="forbid")

    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: str | None = None
    consumer_secret: SecretStr | None = None
    private_key_file: Path | None = None
    session_id: SecretStr | None = None
    instance_url: str | None = None
    domain: str = Field(default="login", description="login, test, or a My Domain host prefix")
    api_version: str = "62.0"
    bulk_threshold: int = Field(
        default=2000, ge=1, description="records from which Bulk 2.0 is used"
    )
    bulk_chunk_size: int = Field(
        default=10_000, ge=200, description="records per sync checkpoint when Bulk 2.0 is on"
    )
    api_budget_share: float = Field(
        default=0.8, gt=0, le=1, description="stop before this share of the daily API allowance"
    )
    verify: str | bool = Field(default=True, description="TLS verification: bool or CA bundle path")
    mappings_dir: Path | None = Field(
        default=None, description="directory of Salesforce mapping YAML (default: the shipped)"
    )
    request_timeout: float = Field(default=120.0, gt=0, description="seconds per HTTP request")
    # -- write path below the bulk threshold (sync-calls) --
    write_path: Literal["collections", "composite"] = Field(
        default="collections",
        description="'collections': one sObject Collections upsert (200 records) per call; "
        "'composite': up to five of them in one Composite request, which counts as one call "
        "against the daily API allowance (1,000 records per call)",
    )
    # -- duplicate rules (sf-link) --
    duplicate_rule_header: str | None = Field(
        default=None,
        pattern=r"^\s*(allowSave|includeRecordDetails|runAsCurrentUser)=(true|false)"
        r"(\s*;\s*(allowSave|includeRecordDetails|runAsCurrentUser)=(true|false))*\s*$",
        description="Sforce-Duplicate-Rule-Header value sent with every write, e.g. "
        "'allowSave=false; runAsCurrentUser=true'; not sent when unset",
    )


class HubSpotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_token: SecretStr | None = None
    client_secret: SecretStr | None = None
    host: str = "https://api.hubapi.com"
    # A public (OAuth) app: refnet refreshes its 30-minute access tokens with these.
    client_id: str | None = None
    refresh_token: SecretStr | None = None
    # -- i18n-crm (issue #19): the language of the labels `refnet hubspot provision` writes;
    # unset, refnet's own language (REFNET_LANGUAGE, else the locale). HubSpot keeps one
    # label per property, so the portal's users all read this one.
    label_language: Literal["en", "de"] | None = None


class SyncSettings(BaseModel):
    """Defaults of ``refnet sync``; its options override them per run."""

    model_config = ConfigDict(extra="forbid")

    # Kept by default: nothing a sales user sees disappears unless an admin says so.
    removals: Literal["keep", "archive", "delete"] = Field(
        default="keep",
        description="CRM records whose refnet record is gone: keep, archive or delete",
    )
    pull: bool = Field(default=True, description="read CRM-owned fields back before pushing")
    max_attempts: int = Field(
        default=5, ge=1, description="tries of the same content before a record is given up on"
    )


class Settings(BaseSettings):
    """Everything refnet reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="REFNET_",
        env_nested_delimiter="__",
        toml_file="refnet.toml",
        extra="ignore",
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; a SQLite file in the working directory by default",
    )
    actor: str = Field(default="cli", description="who is named in audit entries by default")
    sandbox_dir: Path = Field(
        default=Path(".refnet-sandbox"), description="state of the local CRM sandbox"
    )
    rules: RulesConfig = Field(default_factory=RulesConfig)
    intelligence: IntelligenceConfig = Field(default_factory=IntelligenceConfig)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    # Money (issue #17): won value per currency or converted by a rate table.
    money: MoneyConfig = Field(default_factory=MoneyConfig)
    # Import of files (issue #14): dates and times written without a zone are in this one.
    import_timezone: str = Field(
        default="Europe/Berlin", description="IANA zone of import dates written without one"
    )

    @field_validator("import_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                _("unknown time zone '{value}' (use an IANA name like Europe/Berlin)").format(
                    value=value
                )
            ) from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


S = TypeVar("S", bound=BaseSettings)


def read_settings(cls: type[S], what: str, **overrides: object) -> S:
    """Instantiate settings ``cls``; invalid ones raise :class:`ConfigError`.

    The error names each setting and what is wrong with it, never the value given (it may
    be a secret).
    """
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {validation_message(error)}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise ConfigError(
            _("invalid {what}: {problems}").format(what=what, problems=problems)
        ) from None
    except SettingsError as exc:  # a list or object setting whose text is not JSON
        raise ConfigError(
            _("invalid {what}: {value}").format(what=what, value=_unparsable(cls, exc))
        ) from None


def _unparsable(cls: type[BaseSettings], error: SettingsError) -> str:
    """Which environment variables could not be read: names only, never their values."""
    found = re.search(r'field "(\w+)"', str(error))
    field_name = found.group(1) if found else "?"
    prefix = f"{cls.model_config.get('env_prefix', '')}{field_name}".upper()
    names = sorted(name for name in os.environ if name.upper().startswith(prefix)) or [prefix]
    return f"{', '.join(names)}: not valid JSON (lists and objects are written as JSON)"


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; explicit ``overrides`` win over environment and file."""
    return read_settings(Settings, _("settings"), **overrides)
