"""The portal-specific ids provisioning discovers, kept in a small JSON file.

Custom object type ids (``2-…``), association type ids and pipeline and stage ids differ
from portal to portal; provisioning discovers them and the adapter needs them for every
write. They live in a JSON file next to the refnet database (``refnet.hubspot.json`` beside
``refnet.db``; ``refnet-hubspot.json`` in the working directory when the database is not a
SQLite file), or wherever ``--portal-file`` / the adapter's ``portal_file`` says. A file,
not a table: the store's schema belongs to the connector, and the ids are a cache of what
the portal says — losing the file costs one ``refnet hubspot provision`` (which only reads
when everything exists). The file holds no secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connector.errors import ConfigError
from connector.i18n import gettext as _
from connector.settings import Settings
from mappings.naming import HUBSPOT

__all__ = [
    "AssociationType",
    "PipelineIds",
    "PortalFile",
    "PortalIds",
    "PortalMode",
    "default_portal_file",
]

PortalMode = Literal["custom_objects", "properties_only"]
_FALLBACK_NAME = "refnet-hubspot.json"


class AssociationType(BaseModel):
    """One labelled association type, from an object type to another."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_type: str
    to_type: str
    type_id: int
    category: str = "USER_DEFINED"


class PipelineIds(BaseModel):
    """A pipeline and its stage ids by the picklist value each stage stands for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    object_type: str
    pipeline_id: str
    stages: dict[str, str] = Field(default_factory=dict)


class PortalIds(BaseModel):
    """Everything portal-specific the adapter needs, keyed by mapping names."""

    model_config = ConfigDict(extra="forbid")

    mode: PortalMode = "custom_objects"
    portal: str | None = None  # the host provisioned, to spot a file from another portal
    object_types: dict[str, str] = Field(default_factory=dict)  # mapping object → "2-…"
    associations: dict[str, AssociationType] = Field(default_factory=dict)  # "object.field"
    pipelines: dict[str, PipelineIds] = Field(default_factory=dict)  # by mapping object

    def object_type(self, object_name: str) -> str:
        """The type id to put in paths: standard objects by name, custom ones by ``2-…``."""
        if not HUBSPOT.is_custom(object_name):
            return object_name
        found = self.object_types.get(object_name)
        if found is None:
            raise ConfigError(
                _(
                    "hubspot: no object type id for '{object_name}' in the portal file; run "
                    "`refnet hubspot provision`"
                ).format(object_name=object_name)
            )
        return found

    def association(self, object_name: str, field: str) -> AssociationType:
        found = self.associations.get(f"{object_name}.{field}")
        if found is None:
            raise ConfigError(
                _(
                    "hubspot: no association type for {object_name}.{field} in the portal file; "
                    "run `refnet hubspot provision`"
                ).format(object_name=object_name, field=field)
            )
        return found

    def pipeline(self, object_name: str) -> PipelineIds:
        found = self.pipelines.get(object_name)
        if found is None:
            raise ConfigError(
                _(
                    "hubspot: no pipeline for '{object_name}' in the portal file; run `refnet "
                    "hubspot provision`"
                ).format(object_name=object_name)
            )
        return found


def default_portal_file(settings: Settings) -> Path:
    """``<database>.hubspot.json`` beside a SQLite database, else in the working directory."""
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return Path(_FALLBACK_NAME)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return Path(_FALLBACK_NAME)
    path = Path(database)
    return path.with_name(f"{path.stem}.hubspot.json")


class PortalFile:
    """Reads and (atomically) writes :class:`PortalIds` at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> PortalIds | None:
        """The stored ids, or ``None`` when the portal was never provisioned."""
        if not self.path.is_file():
            return None
        try:
            return PortalIds.model_validate_json(self.path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError):
            raise ConfigError(
                _(
                    "hubspot: the portal file {path} is not valid; delete it and run `refnet "
                    "hubspot provision` again"
                ).format(path=self.path)
            ) from None

    def require(self) -> PortalIds:
        ids = self.load()
        if ids is None:
            raise ConfigError(
                _(
                    "hubspot: the portal is not provisioned (no {path}); run `refnet hubspot "
                    "provision` first"
                ).format(path=self.path)
            )
        return ids

    def save(self, ids: PortalIds) -> bool:
        """Write ``ids`` if they differ from the file; ``True`` when the file changed."""
        text = json.dumps(ids.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        if self.path.is_file() and self.path.read_text(encoding="utf-8") == text:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside and rename: a crash never leaves half a file behind.
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return True
