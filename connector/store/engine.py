"""Opening the store: engine, SQLite pragmas, and migrations to the newest schema."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from connector.errors import ConfigError, TransientError
from connector.i18n import gettext as _

__all__ = ["create_store_engine", "current_revision", "head_revision", "migrate"]


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    # Webhook workers and the CLI may write at the same time; wait instead of failing.
    cursor.execute("PRAGMA busy_timeout=5000")
    # Every commit synced to disk before it returns, in WAL mode too: webhook intake
    # acknowledges an event after its commit, and NORMAL would lose the last commits of a
    # WAL file on power loss. FULL is SQLite's own default; stated so no build changes it.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; errors name the setting, never the URL (it may hold a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(_("REFNET_DATABASE_URL is not a valid SQLAlchemy URL")) from exc
    try:
        engine = create_engine(parsed, future=True)
    except NoSuchModuleError:
        # The scheme names no secret; the rest of the URL may.
        raise ConfigError(
            _(
                "REFNET_DATABASE_URL: unknown database scheme '{scheme}' "
                "(use sqlite:///<file> or postgresql+psycopg://…)"
            ).format(scheme=parsed.drivername)
        ) from None
    except ImportError as exc:  # a known dialect whose driver is not installed
        raise ConfigError(
            _("REFNET_DATABASE_URL: the driver for '{scheme}' is not installed ({module})").format(
                scheme=parsed.drivername, module=exc.name or _("unknown module")
            )
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_pragmas)
    return engine


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("connector.store") / "migrations"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (creates it on first use)."""
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except (OperationalError, InterfaceError) as exc:
        # Down, refusing connections, or a file that cannot be opened: retry later (exit 7).
        # The driver's text may quote the URL's host and user, so only the class is named.
        raise TransientError(
            _("the store (REFNET_DATABASE_URL) cannot be reached ({error})").format(
                error=type(exc).__name__
            ),
            retry_after=5,
        ) from None


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
