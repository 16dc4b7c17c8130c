"""End-to-end tests of every command through ``cli.main`` on real files."""

import io
import json
import shutil
from pathlib import Path

import pytest

from geomap.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_map_on_examples_writes_three_outputs(tmp_path):
    code, out, err = run("map", str(EXAMPLES), "-o", str(tmp_path), "-q")
    assert (code, out) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "incidents.geojson", "map.html", "places.geojson"]
    inc = json.loads((tmp_path / "incidents.geojson").read_text())
    assert inc["type"] == "FeatureCollection" and "crs" not in inc
    by_loc = {f["properties"]["location"]: f["properties"] for f in inc["features"]}
    assert {"Mykolaiv", "Kharkiv", "Odesa", "Kramatorsk", "Gaziantep"} <= set(by_loc)
    myk = by_loc["Mykolaiv"]
    assert myk["geonameid"] == 700569
    assert (myk["killed"], myk["wounded"], myk["date"]) == (12, 33, "2022-03-29")
    lon, lat = next(f["geometry"]["coordinates"] for f in inc["features"]
                    if f["properties"]["location"] == "Mykolaiv")
    assert abs(lat - 46.97) < 0.05 and abs(lon - 31.99) < 0.05
    # the talks-only article produces no incident
    assert not any(f["properties"]["article_id"] == "ex-talks-0401"
                   for f in inc["features"])
    places = json.loads((tmp_path / "places.geojson").read_text())
    names = {f["properties"]["place_name"] for f in places["features"]}
    assert {"Kyiv", "Chernihiv", "Istanbul", "Mykolayiv", "Gaziantep"} <= names
    html = (tmp_path / "map.html").read_text()
    assert "leaflet" in html.lower()


def test_extract_jsonl_keys_and_stdout(tmp_path):
    code, out, err = run("extract", str(EXAMPLES / "wire_digest.jsonl"), "-q")
    assert code == 0
    rows = jsonl(out)
    assert all(list(r) == [
        "article_id", "location", "place_name", "geonameid", "lat", "lon",
        "country_code", "admin1", "precision", "event_type", "date", "killed",
        "wounded", "killed_qualifier", "wounded_qualifier", "quote", "source",
        "review_status",
    ] for r in rows)
    kharkiv = next(r for r in rows if r["article_id"] == "ex-kharkiv-0412")
    assert (kharkiv["killed"], kharkiv["wounded"], kharkiv["date"],
            kharkiv["event_type"], kharkiv["precision"]) == (
        8, 19, "2022-04-11", "shelling", "point")
    assert kharkiv["source"] == "https://example.org/news/kharkiv-shelling"


@pytest.mark.parametrize("fmt", ["geojson", "csv"])
def test_extract_other_formats_to_file(tmp_path, fmt):
    dest = tmp_path / f"inc.{fmt}"
    code, out, _ = run("extract", str(EXAMPLES / "mykolaiv_strike.txt"), "--format",
                       fmt, "-o", str(dest), "-q")
    assert (code, out) == (0, "")
    text = dest.read_text()
    if fmt == "geojson":
        assert len(json.loads(text)["features"]) == 1
    else:
        header, row = text.splitlines()[:2]
        assert header.startswith("article_id,location,place_name,geonameid")
        assert ",Mykolaiv," in row


def test_places_offsets_point_into_text():
    code, out, _ = run("places", str(EXAMPLES / "mykolaiv_strike.txt"), "-q")
    assert code == 0
    text = (EXAMPLES / "mykolaiv_strike.txt").read_text().split("\n", 1)[1].strip()
    rows = jsonl(out)
    assert rows and all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    cher = [r for r in rows if r["text"] == "Chernigiv"]
    assert cher and all(r["place_name"] == "Chernihiv" for r in cher
                        if r["feature"] == "city")


def test_geocode_command():
    code, out, _ = run("geocode", "Chernigiv", "--json", "-n", "1")
    assert code == 0
    [row] = jsonl(out)
    assert (row["name"], row["country_code"]) == ("Chernihiv", "UA")
    assert abs(row["lat"] - 51.51) < 0.05 and abs(row["lon"] - 31.29) < 0.05
    code, out, _ = run("geocode", "Paris", "--country", "US", "--json", "-n", "1")
    assert code == 0 and jsonl(out)[0]["admin1"] == "Texas"


def test_geocode_unknown_place_is_one_line_error():
    code, out, err = run("geocode", "Qzxqzxqzx Vwvwvw")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("geomap: error: no place found")


def test_gazetteer_info():
    code, out, _ = run("gazetteer", "info")
    assert code == 0
    info = json.loads(out)
    assert info["counts"]["city"] > 200_000


def test_eval_on_small_gold_files(tmp_path):
    text = "Heavy shelling hit Kharkiv on Monday, killing four people, officials said."
    start = text.index("Kharkiv")
    places = tmp_path / "gold_places.jsonl"
    places.write_text(json.dumps({"id": "g1", "text": text, "toponyms": [
        {"start": start, "end": start + 7, "name": "Kharkiv", "lat": 49.98,
         "lon": 36.25, "geonameid": 706483}]}) + "\n")
    incidents = tmp_path / "gold_incidents.jsonl"
    incidents.write_text(json.dumps({"id": "i1", "date": "2022-05-03", "text": text,
        "incidents": [{"location": "Kharkiv", "geonameid": 706483, "lat": 49.98,
                       "lon": 36.25, "killed": 4, "wounded": None,
                       "date": "2022-05-02", "event_type": "shelling"}]}) + "\n")
    code, out, err = run("eval", "--places", str(places), "--incidents",
                         str(incidents), "--json", "-q")
    assert code == 0, err
    report = json.loads(out)
    g = report["places"]["gold_places"]["geomap"]
    assert (g["acc161"], g["misses"], g["recall"]) == (1.0, 0, 1.0)
    inc = report["incidents"]
    assert (inc["precision"], inc["recall"], inc["killed_exact"]) == (1.0, 1.0, 1.0)


def test_missing_input_is_one_line_error_and_no_output(tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = run("map", str(tmp_path / "missing.txt"), "-o", str(out_dir))
    assert (code, out) == (1, "")
    assert err == f"geomap: error: cannot read '{tmp_path / 'missing.txt'}': no such file or directory\n"
    assert not out_dir.exists()


def test_bad_jsonl_line_fails_before_writing(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EXAMPLES / "mykolaiv_strike.txt", src)
    (src / "bad.jsonl").write_text('{"text": "Blast in Kabul."}\n{oops\n')
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "map.html").write_text("previous map")
    code, _, err = run("map", str(src), "-o", str(out_dir))
    assert code == 1
    assert err.startswith("geomap: error: ") and "bad.jsonl:2: not valid JSON" in err
    assert err.count("\n") == 1
    assert [p.name for p in out_dir.iterdir()] == ["map.html"]
    assert (out_dir / "map.html").read_text() == "previous map"
    # --skip-bad warns and goes on
    code, _, err = run("map", str(src), "-o", str(out_dir), "--skip-bad")
    assert code == 0 and err.count("skipped") == 1  # warned once, not per pass
    assert (out_dir / "incidents.geojson").exists()


def test_usage_errors_exit_2():
    assert run("map")[0] == 2
    assert run("nonsense")[0] == 2
    code, out, _ = run()
    assert code == 2 and "usage: geomap" in out


def _run_on_terminal(*argv):
    """Run ``python -m geomap`` on a pseudo-terminal; return everything it printed."""
    import fcntl
    import os
    import pty
    import struct
    import sys
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # child: a 120-column terminal, as a user's shell would have
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execv(sys.executable, [sys.executable, "-m", "geomap", *argv])
    out = b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_and_not_with_quiet(tmp_path):
    shown = _run_on_terminal("map", str(EXAMPLES), "-o", str(tmp_path / "a"))
    assert "6/6" in shown and "article/s" in shown
    quiet = _run_on_terminal("map", str(EXAMPLES), "-o", str(tmp_path / "b"), "-q")
    assert "article/s" not in quiet and quiet.strip() == ""
