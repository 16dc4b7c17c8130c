"""Acceptance on the reference wire story in ../shared/seed (not copied here)."""

import io
import json
from pathlib import Path

import pytest

from geomap.cli import main

SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "seed"
SEED = sorted(SEED_DIR.glob("*.txt"))[0] if SEED_DIR.is_dir() else None

pytestmark = pytest.mark.skipif(
    SEED is None, reason=f"reference story folder {SEED_DIR} is absent")


def run_json(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "-q"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_extract_gives_exactly_the_mykolaiv_strike():
    [inc] = run_json("extract", str(SEED))
    assert inc["location"] == "Mykolaiv"
    assert inc["geonameid"] == 700569  # the city, not a village of the same name
    assert abs(inc["lat"] - 46.97) < 0.05 and abs(inc["lon"] - 31.99) < 0.05
    assert (inc["killed"], inc["killed_qualifier"], inc["wounded"]) == (
        12, "at_least", 33)
    assert (inc["date"], inc["event_type"], inc["precision"]) == (
        "2022-03-29", "missile", "point")
    assert inc["quote"].startswith("At least 12 people were killed and 33 wounded")
    assert inc["quote"].endswith("emergency officials said.")


def test_places_resolves_the_named_places():
    rows = run_json("places", str(SEED))
    text = SEED.read_text(encoding="utf-8").split("2022-03-30", 1)[1].strip()
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    by_text = {}
    for r in rows:
        by_text.setdefault(r["text"], []).append(r)
    cities = {t: [r for r in rs if r["feature"] == "city"] for t, rs in by_text.items()}
    assert cities["Kyiv"][0]["geonameid"] == 703448
    chernigiv = cities["Chernigiv"][0]
    assert chernigiv["place_name"] == "Chernihiv"
    assert abs(chernigiv["lat"] - 51.51) < 0.05 and abs(chernigiv["lon"] - 31.29) < 0.05
    assert cities["Mykolaiv"][0]["geonameid"] == 700569
    assert cities["Istanbul"][0]["country_code"] == "TR"
    for country, code in (("Ukraine", "UA"), ("Russia", "RU")):
        assert {(r["feature"], r["country_code"]) for r in by_text[country]} == {
            ("country", code)}
    # "the Kyiv and Chernigiv regions" are the first-level regions
    regions = [r for r in rows if r["feature"] == "admin1"]
    assert {r["text"] for r in regions} == {"Kyiv", "Chernigiv"}
    # demonyms are not places
    assert "Ukrainian" not in by_text and "Russian" not in by_text
