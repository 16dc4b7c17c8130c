"""Where the gazetteer store lives, and checks on a store path before use."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

from gazetteer.errors import GazetteerError
from gazetteer.schema import SCHEMA_VERSION

__all__ = ["ENV_VAR", "check_path", "default_path", "rebuild_command"]

#: Environment variable that overrides the default store path.
ENV_VAR = "GEOMAP_GAZETTEER"


def default_path() -> Path:
    """Path of the store: ``$GEOMAP_GAZETTEER`` or the user cache dir.

    >>> default_path().name.startswith("gazetteer-") or "GEOMAP_GAZETTEER" in os.environ
    True
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    cache = Path(platformdirs.user_cache_dir("geomap", appauthor=False))
    return cache / f"gazetteer-{SCHEMA_VERSION}.sqlite"


def rebuild_command(path: str | Path, *, force: bool = True) -> str:
    """The command that (re)builds the store at ``path``, quoted for hints.

    >>> rebuild_command("/data/gz.sqlite")
    "'geomap gazetteer build --force --gazetteer /data/gz.sqlite'"
    >>> rebuild_command(default_path(), force=False)
    "'geomap gazetteer build'"
    """
    target = Path(path).expanduser()
    named = "" if target == default_path() else f" --gazetteer {target}"
    return f"'geomap gazetteer build{' --force' if force else ''}{named}'"


def check_path(path: str | os.PathLike[str], *, create: bool = False) -> Path:
    """Validate a store path before opening (or building) it; returns it as a Path.

    Parameters
    ----------
    path
        The store file.
    create
        Whether a missing file may be built: then its directory must exist.

    Raises
    ------
    GazetteerError
        One line with what to do: the path is a directory, the file is
        missing (and may not be created), or its directory does not exist.

    Examples
    --------
    >>> check_path("/no/such/dir/gz.sqlite")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gazetteer.errors.GazetteerError: no gazetteer store at /no/such/dir/gz.sqlite; ...
    """
    if "\x00" in os.fspath(path):
        raise GazetteerError("gazetteer path contains a NUL byte")
    target = Path(path).expanduser()
    try:
        is_dir, exists = target.is_dir(), target.exists()
    except OSError as err:  # name too long, permission denied on a parent...
        raise GazetteerError(f"cannot open gazetteer store {target}: "
                             f"{err.strerror or err}") from err
    if is_dir:
        raise GazetteerError(
            f"gazetteer store {target} is a directory; pass the path of a store "
            "file (for example DIR/gazetteer.sqlite)"
        )
    if exists:
        return target
    if not create:
        if target == default_path():
            raise GazetteerError(f"no gazetteer store at {target}; run "
                                 f"{rebuild_command(target, force=False)}")
        raise GazetteerError(
            f"no gazetteer store at {target}; build one there with "
            f"{rebuild_command(target, force=False)}, or leave out "
            "--gazetteer to use the default store"
        )
    # the default store's directory (the user cache dir) is made on demand
    if not target.parent.is_dir():
        if target != default_path():
            raise GazetteerError(
                f"cannot build gazetteer store {target}: no directory {target.parent}"
            )
        return target
    try:  # can a file be made there? (the build writes a temp file beside it)
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as err:
        raise GazetteerError(
            f"cannot build gazetteer store {target}: cannot write in "
            f"{target.parent} ({err.strerror or err})"
        ) from err
    return target
