"""The geomap exception hierarchy; the CLI turns these into one-line messages."""

from __future__ import annotations

__all__ = [
    "GeomapError",
    "InputError",
    "GazetteerError",
    "ModelMissingError",
    "OutputError",
    "StoreError",
]


class GeomapError(Exception):
    """Base for all geomap errors."""


class InputError(GeomapError, ValueError):
    """Unusable input: missing or unreadable file, bad record, bad date."""


class GazetteerError(GeomapError):
    """Gazetteer missing or malformed."""


class ModelMissingError(GeomapError):
    """The spaCy pipeline is not installed."""


class OutputError(GeomapError, OSError):
    """An output could not be written."""


class StoreError(GeomapError):
    """The processing store could not be opened or written."""
