"""What the marked tests need from the machine, and what happens without it.

Tests that need a service carry a marker: ``browser`` (Debian's chromium and
Playwright), ``postgis`` (PostgreSQL + PostGIS server binaries), ``dask``
(``dask.distributed``), ``kill`` (POSIX signals, to kill processes outright),
``large_file`` (free space for files of hundreds of MB). Where a service is
missing the test is skipped with the reason and the fix, except under
``GEOMAP_REQUIRE_SERVICES=1`` (set by ``.ci/run``, which installs every
service): then it fails, so CI runs them all.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: How every browser test starts Debian's chromium.
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LARGE_FILE_MB = 600


def _browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed: pip install -e '.[test]'"
    return None


def _postgis() -> str | None:
    from postgis_server import postgis_available

    return postgis_available()


def _dask() -> str | None:
    if importlib.util.find_spec("distributed") is None:
        return "dask.distributed is not installed: pip install -e '.[dask]'"
    return None


def _kill() -> str | None:
    if not hasattr(signal, "SIGKILL"):
        return "no SIGKILL on this platform (POSIX only)"
    return None


def _large_file() -> str | None:
    free = shutil.disk_usage(tempfile.gettempdir()).free / 1e6
    if free < LARGE_FILE_MB:
        return (f"only {free:.0f} MB free in {tempfile.gettempdir()} "
                f"(the large-file tests need {LARGE_FILE_MB} MB)")
    return None


SERVICES: dict[str, Callable[[], str | None]] = {
    "browser": _browser, "postgis": _postgis, "dask": _dask, "kill": _kill,
    "large_file": _large_file,
}


def require(name: str) -> None:
    """Skip (or, under ``GEOMAP_REQUIRE_SERVICES=1``, fail) without ``name``."""
    reason = SERVICES[name]()
    if reason is None:
        return
    if os.environ.get("GEOMAP_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (GEOMAP_REQUIRE_SERVICES=1: every service is "
                    "required)")
    pytest.skip(reason)
