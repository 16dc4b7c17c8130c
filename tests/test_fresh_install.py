"""Acceptance: the README's first command on a fresh venv with the stock pip.

This is what a newcomer does on a new machine: ``python3 -m venv``, activate,
then the Quick start line, ``pip install -e . && geomap map examples/ -o
output/``. The venv keeps the pip that ships with the running Python (no
upgrade: pip 23.2 with Python 3.11 is what caught jusText's
``lxml[html_clean]`` extra), the checkout is a copy and the gazetteer store is
new, so the first run builds it as it would for them. It installs from the
package index (pip's cache helps) and takes a few minutes, so it is marked
slow; slow tests run in the default ``pytest`` (and so in CI): nothing
deselects them.
"""

from __future__ import annotations

import ensurepip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIRST = "pip install -e . && geomap map examples/ -o output/"


_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".ci-venv", ".venv", "venv", "output", "__pycache__", "*.egg-info",
    ".pytest_cache", ".hypothesis", ".ruff_cache", "build", "dist",
    "test-artifacts")


@pytest.mark.issue(14)
def test_ci_runs_slow_tests_and_installs_with_stock_pip():
    """The slow acceptance test below must run in CI's plain ``pytest``."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    addopts = config["tool"]["pytest"]["ini_options"]["addopts"]
    assert "-m" not in addopts.split() and "slow" not in addopts
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    assert "slow" not in conftest.replace("too_slow", "")  # no --slow gate
    ci = (ROOT / ".ci" / "run").read_text()
    assert "--upgrade pip" not in ci and "install -U pip" not in ci
    assert "\npython3 -m venv .ci-venv\n" in ci
    assert '\npip install -e ".[test]" && pytest\n' in ci


@pytest.mark.slow
@pytest.mark.issue(14)
def test_readme_first_command_on_a_fresh_venv_with_stock_pip(tmp_path):
    [command] = [line for line in README.splitlines() if line.strip() == FIRST]
    checkout = tmp_path / "geomap"
    shutil.copytree(ROOT, checkout, ignore=_NOT_COPIED)
    venv = tmp_path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                   timeout=300)
    pip = subprocess.run([str(venv / "bin" / "pip"), "--version"], check=True,
                         capture_output=True, text=True).stdout
    assert pip.startswith(f"pip {ensurepip.version()} "), pip  # the stock pip

    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    store = tmp_path / "cache" / "gazetteer.sqlite"
    env["GEOMAP_GAZETTEER"] = str(store)  # a first run: the store is built
    proc = subprocess.run(
        ["bash", "-c", f". {venv}/bin/activate && {command}"], cwd=checkout,
        env=env, capture_output=True, text=True, timeout=1800)
    tail = proc.stderr[-3000:]
    assert proc.returncode == 0, tail
    assert "Traceback" not in proc.stderr, tail
    geomap_lines = [line for line in proc.stderr.splitlines()
                    if line.startswith("geomap: ")]
    assert geomap_lines == [
        f"geomap: building the gazetteer (once, about 30 s) at {store}…",
        "geomap: wrote output/incidents.geojson, output/places.geojson, "
        "output/map.html",
    ], tail

    out = checkout / "output"
    assert sorted(p.name for p in out.iterdir()) == [
        "incidents.geojson", "map.html", "places.geojson"]
    features = json.loads((out / "incidents.geojson").read_text())["features"]
    by_article = {f["properties"]["article_id"]: f["properties"] for f in features}
    # the HTML example is what a missing lxml_html_clean broke
    assert by_article["kramatorsk.html"]["location"] == "Kramatorsk"
    assert by_article["mykolaiv_strike.txt"]["killed"] == 12
    assert "leaflet" in (out / "map.html").read_text(encoding="utf-8").lower()
