"""The geomap exception hierarchy; the CLI turns these into one-line messages."""

from __future__ import annotations

from gazetteer.errors import GazetteerError

__all__ = [
    "GeomapError",
    "InputError",
    "GazetteerError",
    "ModelMissingError",
    "OutputError",
    "StoreError",
    "USER_ERRORS",
]


class GeomapError(Exception):
    """Base for all geomap errors.

    ``GazetteerError`` comes from the standalone ``gazetteer`` package (which
    cannot depend on geomap); the CLI handles both as user-facing errors.
    """

#: Errors the CLI turns into one-line messages.
USER_ERRORS: tuple[type[Exception], ...] = (GeomapError, GazetteerError)


class InputError(GeomapError, ValueError):
    """Unusable input: missing or unreadable file, bad record, bad date."""


class ModelMissingError(GeomapError):
    """The spaCy pipeline is not installed."""


class OutputError(GeomapError, OSError):
    """An output could not be written."""


class StoreError(GeomapError):
    """The processing store could not be opened or written."""
