"""Settings: environment over refnet.toml over defaults; thresholds configurable; secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.settings import DEFAULT_DATABASE_URL, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("REFNET_DATABASE_URL", "REFNET_RULES__LADDER__PARTNER_MIN_WON"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_a_sqlite_file_in_the_working_directory() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///refnet.db"
    assert settings.rules.ladder.partner_min_won == 3


def test_toml_file_then_environment_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "refnet.toml").write_text(
        'database_url = "sqlite:///from-file.db"\n'
        "[rules.ladder]\npartner_min_won = 4\n"
        '[hubspot]\naccess_token = "pat-secret-123"\n',
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.database_url == "sqlite:///from-file.db"
    assert settings.rules.ladder.partner_min_won == 4
    monkeypatch.setenv("REFNET_RULES__LADDER__PARTNER_MIN_WON", "7")
    assert load_settings().rules.ladder.partner_min_won == 7
    assert "pat-secret-123" not in repr(settings)
    assert settings.hubspot.access_token is not None
    assert settings.hubspot.access_token.get_secret_value() == "pat-secret-123"


def test_invalid_settings_name_the_setting_but_not_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REFNET_RULES__LADDER__PARTNER_MIN_WON", "0")
    with pytest.raises(ConfigError, match=r"rules\.ladder\.partner_min_won"):
        load_settings()
    monkeypatch.delenv("REFNET_RULES__LADDER__PARTNER_MIN_WON")
    (tmp_path / "refnet.toml").write_text('[hubspot]\naccess_tokn = "pat-leak-999"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "hubspot.access_tokn" in str(caught.value)
    assert "pat-leak-999" not in str(caught.value)
