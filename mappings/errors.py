"""Errors of the mapping layer, all branches of :class:`connector.errors.ConfigError`.

A wrong mapping is a configuration problem: it is found when the YAML is loaded, before any
record moves, and the message names the file, the object and the field so an admin can fix
it without reading code.
"""

from __future__ import annotations

from pathlib import Path

from connector.errors import ConfigError
from connector.i18n import gettext as _

__all__ = ["MappingError"]


class MappingError(ConfigError):
    """A mapping file is invalid; ``file``, ``object_name`` and ``field`` say where."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        obj: str | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.object_name = obj
        self.field = field
        self.reason = message
        where = [
            part
            for part in (
                self.file,
                _("object '{object}'").format(object=obj) if obj else None,
                _("field '{field}'").format(field=field) if field else None,
            )
            if part
        ]
        super().__init__(f"{': '.join(where)}: {message}" if where else message)
