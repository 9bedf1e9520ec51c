"""Settings of the referral form, read once from ``REFNET_REFERRAL_FORM_*`` variables.

The form is off until a secret is set: it signs the links (`refnet members link`) and the
form's CSRF tokens, so the CLI that issues links and the service that serves the form must
share it. There is no default secret; a short one stops start-up.
"""

from __future__ import annotations

from datetime import timedelta

from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import read_settings

__all__ = ["ReferralFormSettings", "load_referral_form_settings"]

_MIN_SECRET_CHARS = 32


class ReferralFormSettings(BaseSettings):
    """Everything the referral form and ``refnet members link`` read from the environment."""

    model_config = SettingsConfigDict(env_prefix="REFNET_REFERRAL_FORM_", extra="ignore")

    secret: SecretStr | None = Field(
        default=None,
        description="signs the links and the form's CSRF tokens (32+ characters); unset "
        "keeps the form off",
    )
    public_base_url: str | None = Field(
        default=None,
        description="scheme://host[/prefix] under which the webhook service is reachable; "
        "`refnet members link` prints links below it",
    )
    link_max_age: timedelta = Field(
        default=timedelta(days=365),
        gt=timedelta(0),
        description="a link older than this is refused (counted from its issue; shortening "
        "it applies to links already issued)",
    )
    rate_limit: str = Field(
        default="10 per hour",
        description="submissions accepted per link and per client address, in the `limits` "
        "notation (e.g. '10 per hour', '3/minute')",
    )
    cookie_secure: bool = Field(
        default=True,
        description="send the form's session cookie over HTTPS only (false only for local tests)",
    )
    csrf_time_limit: timedelta = Field(
        default=timedelta(hours=2),
        gt=timedelta(0),
        description="how long a rendered form may be submitted",
    )

    @field_validator("secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < _MIN_SECRET_CHARS:
            raise ValueError(
                _("needs at least {minimum} characters").format(minimum=_MIN_SECRET_CHARS)
            )
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse(value)  # raises ValueError naming the notation
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(_("must start with https:// (or http:// for local tests)"))
        return value.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self.secret is not None

    def require_secret(self) -> SecretStr:
        """The signing secret; :class:`ConfigError` naming the setting when it is missing."""
        if self.secret is None:
            raise ConfigError(
                _(
                    "the referral form needs REFNET_REFERRAL_FORM_SECRET (32+ characters, e.g. "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
            )
        return self.secret


def load_referral_form_settings(**overrides: object) -> ReferralFormSettings:
    """Read the settings once; invalid ones raise :class:`ConfigError` without their values."""
    return read_settings(ReferralFormSettings, _("referral form settings"), **overrides)
