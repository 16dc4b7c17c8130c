"""SIGKILL a large ``geomap map --store`` run at random points.

After every kill no output file may be truncated or invalid (each is absent,
the previous complete version, or a complete new one), the store stays
readable, and the run resumed from the store ends with exactly the outputs of
an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
N_ARTICLES = 300
KILLS = 5

CITIES = ["Kharkiv", "Mykolaiv", "Odesa", "Kyiv", "Lviv", "Dnipro", "Zaporizhzhia",
          "Kherson", "Sumy", "Chernihiv", "Aleppo", "Idlib", "Homs", "Mosul",
          "Kabul", "Kandahar", "Mogadishu", "Sanaa", "Aden", "Tripoli"]
EVENTS = [("A missile strike", "hit"), ("Shelling", "struck"),
          ("A drone attack", "targeted"), ("An air strike", "hit"),
          ("A car bomb", "exploded in")]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def corpus_lines(n: int, seed: int = 7) -> list[str]:
    """Short wire-style reports in our own words, deterministic."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        city, other = rng.sample(CITIES, 2)
        event, verb = rng.choice(EVENTS)
        killed, wounded = rng.randint(1, 60), rng.randint(0, 90)
        day = rng.choice(DAYS)
        text = (f"{event} {verb} {city} on {day}, killing {killed} people and "
                f"wounding {wounded}, local officials said. Rescue teams from "
                f"{other} were sent to help, and the search went on overnight.")
        lines.append(json.dumps({"id": f"k{i:04d}", "date": f"2022-04-{1 + i % 28:02d}",
                                 "title": f"Report {i}", "url": f"https://example.org/{i}",
                                 "text": text}))
    return lines


def run_map(corpus: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "geomap", "map", str(corpus), "-o", str(out), "-q",
         "--store", str(out / "geomap.sqlite"), "--batch-size", "16", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 600) -> None:
    _out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err


def check_outputs(out: Path, previous: dict[str, bytes]) -> dict[str, bytes]:
    """Every visible output is absent, the previous version, or complete and valid."""
    seen = {}
    for f in sorted(out.iterdir()):
        if f.name.startswith(".") or f.name.startswith("geomap.sqlite"):
            continue
        data = f.read_bytes()
        seen[f.name] = data
        if previous.get(f.name) == data:
            continue
        if f.suffix == ".geojson":
            doc = json.loads(data)
            assert doc["type"] == "FeatureCollection", f
            for feat in doc["features"]:
                if feat["geometry"] is not None:
                    lon, lat = feat["geometry"]["coordinates"]
                    assert -180 <= lon <= 180 and -90 <= lat <= 90
        elif f.suffix == ".html":
            text = data.decode("utf-8")
            assert text.rstrip().endswith("</html>"), f"{f} is truncated"
        else:
            pytest.fail(f"unexpected output {f.name}")
    return seen


def canonical(path: Path) -> list[str]:
    doc = json.loads(path.read_text())
    return sorted(json.dumps(f, sort_keys=True) for f in doc["features"])


@pytest.mark.kill
@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_equals_uninterrupted(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(corpus_lines(N_ARTICLES)) + "\n")
    rng = random.Random(int(os.environ.get("GEOMAP_KILL_SEED", "20220330")))

    # the uninterrupted reference
    ref = tmp_path / "ref"
    started = time.monotonic()
    finish(run_map(corpus, ref))
    full = time.monotonic() - started

    # an older complete output to be replaced: a first run on a few articles
    out = tmp_path / "out"
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(corpus_lines(N_ARTICLES)[:5]) + "\n")
    finish(run_map(small, out, "--no-resume"))
    (out / "geomap.sqlite").unlink()
    previous = check_outputs(out, {})
    assert set(previous) == {"incidents.geojson", "places.geojson", "map.html"}

    # kill at random points; the outputs are written once, at the end
    kill_points = sorted(rng.uniform(0.1, 1.05) * full for _ in range(KILLS))
    for delay in kill_points:
        proc = run_map(corpus, out)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
        current = check_outputs(out, previous)
        previous = {**previous, **current}
        stored = None
        if (out / "geomap.sqlite").exists():
            db = sqlite3.connect(out / "geomap.sqlite")
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            if db.execute("SELECT 1 FROM sqlite_master WHERE name='articles'"
                          ).fetchone():
                stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
            db.close()
        print(f"killed at {delay:.1f}s of {full:.1f}s (exit {proc.returncode}): "
              f"{stored} articles stored, outputs {sorted(current)}")

    finish(run_map(corpus, out))
    check_outputs(out, {})
    for name in ("incidents.geojson", "places.geojson"):
        got, want = canonical(out / name), canonical(ref / name)
        assert got == want, (name, sorted(set(got) - set(want))[:3],
                             sorted(set(want) - set(got))[:3])
    db = sqlite3.connect(out / "geomap.sqlite")
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (N_ARTICLES,)
    db.close()


# -- atomic writers: an exception mid-write keeps the old file, leaves no temp --------

def _incidents(n: int):
    import datetime as dt

    from geomap.models import Incident, Place

    kyiv = Place(703448, "Kyiv", 50.45466, 30.5238, "UA", "Kyiv City", "city", 2952301)
    return [Incident(f"a{i}", kyiv, "Kyiv", "point", "missile", dt.date(2022, 3, 1),
                     i, None, "exact", None, f"Quote {i}.", (f"https://x.org/{i}",))
            for i in range(n)]


def _assert_kept(directory: Path, before: dict[str, bytes]) -> None:
    now = {f.name: f.read_bytes() for f in directory.iterdir()}
    assert now == before, "an output changed or a temp file was left behind"


class Boom(Exception):
    pass


def test_geojson_failing_midway_keeps_previous_and_no_temp(tmp_path):
    from geomap.outputs.geojson import incidents_geojson, write_geojson

    path = tmp_path / "incidents.geojson"
    write_geojson(path, incidents_geojson(_incidents(3)))
    before = {path.name: path.read_bytes()}
    fc = incidents_geojson(_incidents(5000))
    fc["features"][-1]["properties"]["quote"] = object()  # not serialisable, at the end
    with pytest.raises(TypeError):
        write_geojson(path, fc)
    _assert_kept(tmp_path, before)
    assert len(json.loads(path.read_text())["features"]) == 3


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
def test_atomic_write_interrupted_keeps_previous(tmp_path, exc):
    from geomap.outputs.atomic import atomic_write

    path = tmp_path / "out.jsonl"
    path.write_text("old\n")
    with pytest.raises(exc), atomic_write(path) as fh:
        fh.write("new partial " * 100_000)
        raise exc()
    _assert_kept(tmp_path, {"out.jsonl": b"old\n"})


@pytest.mark.parametrize("fmt,method", [
    ("gpkg", "geopandas.GeoDataFrame.to_file"),
    ("parquet", "geopandas.GeoDataFrame.to_parquet"),
    ("csv", "pandas.DataFrame.to_csv"),
])
def test_table_writers_failing_after_writing_keep_previous(tmp_path, monkeypatch,
                                                           fmt, method):
    import importlib

    from geomap.outputs.tables import write_layers

    written = write_layers(tmp_path, _incidents(3), (), fmt)
    assert written
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
    module, cls, name = method.rsplit(".", 2)
    klass = getattr(importlib.import_module(module), cls)
    original = getattr(klass, name)

    def write_then_fail(self, *args, **kwargs):
        original(self, *args, **kwargs)  # the temp file is complete...
        raise Boom("disk full")          # ...but the writer fails before the rename

    monkeypatch.setattr(klass, name, write_then_fail)
    with pytest.raises(Boom):
        write_layers(tmp_path, _incidents(50), (), fmt)
    _assert_kept(tmp_path, before)


def test_cli_outputs_are_valid_layers_in_lon_lat_order(tmp_path):
    """Every layer ``geomap map`` writes is re-read by geopandas, with points in
    range and x = longitude, y = latitude."""
    import io

    import geopandas as gpd
    import pandas as pd

    from geomap.cli import main

    err = io.StringIO()
    code = main(["map", str(ROOT / "examples"), "-o", str(tmp_path), "-q",
                 "--format", "gpkg", "--format", "parquet", "--format", "csv"],
                stdout=io.StringIO(), stderr=err)
    assert code == 0, err.getvalue()
    frames = {}
    for f in sorted(tmp_path.iterdir()):
        if f.suffix == ".geojson":
            frames[f.name] = gpd.read_file(f)
        elif f.suffix == ".parquet":
            frames[f.name] = gpd.read_parquet(f)
        elif f.suffix == ".gpkg":
            import pyogrio

            for layer, _ in pyogrio.list_layers(f):
                frames[f"{f.name}:{layer}"] = gpd.read_file(f, layer=layer)
        elif f.suffix == ".csv":
            df = pd.read_csv(f)
            lat, lon = ("latitude", "longitude") if "latitude" in df else ("lat", "lon")
            assert df[lat].between(-90, 90).all() and df[lon].between(-180, 180).all()
            frames[f.name] = None
    assert {"incidents.geojson", "places.geojson"} <= set(frames)
    assert any(k.endswith(".parquet") for k in frames)
    assert any(".gpkg:" in k for k in frames)
    for name, gdf in frames.items():
        if gdf is None:
            continue
        assert len(gdf) > 0, name
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326, name
        pts = gdf[gdf.geometry.notna()]
        assert pts.geometry.x.between(-180, 180).all(), name
        assert pts.geometry.y.between(-90, 90).all(), name
        if {"lat", "lon"} <= set(pts.columns):
            assert (pts.geometry.x - pts["lon"]).abs().max() < 1e-9, name
            assert (pts.geometry.y - pts["lat"]).abs().max() < 1e-9, name


def test_unwritable_outputs_are_one_line_errors(tmp_path):
    import io

    from geomap.cli import main

    src = ROOT / "examples" / "mykolaiv_strike.txt"
    (tmp_path / "taken").mkdir()
    (tmp_path / "out" / "map.html").mkdir(parents=True)  # a directory where a file goes
    for argv in (["extract", str(src), "-o", str(tmp_path / "taken")],
                 ["map", str(src), "-o", str(tmp_path / "out")]):
        err = io.StringIO()
        code = main([*argv, "-q"], stdout=io.StringIO(), stderr=err)
        assert code == 1
        assert err.getvalue().count("\n") == 1, err.getvalue()
        assert err.getvalue().startswith("geomap: error: cannot write ")
    assert not list(tmp_path.rglob(".*.tmp"))


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (read from /proc)."""
    kids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.add(int(entry.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
        state = stat.rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.kill
def test_sigkill_of_the_cli_leaves_no_worker_process(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(corpus_lines(120)) + "\n")
    proc = run_map(corpus, tmp_path / "out", "--processes", "2")
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = {k for k in _children(proc.pid) if _alive(k)}
        time.sleep(0.2)
    assert len(workers) >= 2, "the workers never started"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)  # returns once no process holds its pipes
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)
