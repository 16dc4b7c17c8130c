"""Review corrections in the store: append-only, folded into every output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from common import KHARKIV
from review_fixtures import Q1, RESULTS, T1

from geomap.errors import InputError
from geomap.models import ArticleResult
from geomap.results import open_store
from geomap.review.core import NotFoundError, ReviewConflict, place_to_json


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "r.sqlite") as s:
        s.write(RESULTS)
        s.reviewed()  # registers the machine incidents: ids 1, 2, 3
        yield s


def _by_article(store):
    return {s.item.article_id: s for s in store.reviewed()
            if s.item.origin == "machine"}


def _incidents(store):
    return [i for r in store.results(text=False) for i in r.incidents]


def test_without_corrections_results_are_the_machine_output(store):
    assert list(store.results()) == RESULTS
    assert [i.review_status for i in _incidents(store)] == ["machine"] * 3
    items = store.reviewed()
    assert [(s.item.id, s.item.article_id, s.status, s.version) for s in items] == [
        (1, "kyiv-1", "machine", 0), (2, "kharkiv-2", "machine", 0),
        (3, "odesa-3", "machine", 0)]
    # the key is the quote's span in the article text
    assert (items[0].item.start, items[0].item.end) == (0, len(Q1))
    assert T1[items[0].item.start:items[0].item.end] == Q1
    # registering twice adds nothing
    assert [s.item.id for s in store.reviewed()] == [1, 2, 3]


def test_edit_reject_accept_and_the_audit_rows(store):
    ids = {aid: s.item.id for aid, s in _by_article(store).items()}
    store.review_change(ids["kyiv-1"], {"killed": 5, "killed_qualifier": "at_least"},
                        version=0, reviewer="ana")
    store.review_change(ids["kharkiv-2"], {"status": "rejected"}, version=0)
    store.review_change(ids["odesa-3"], {"status": "accepted"}, version=0)
    incs = _incidents(store)
    assert [(i.article_id, i.killed, i.killed_qualifier, i.review_status)
            for i in incs] == [("kyiv-1", 5, "at_least", "edited"),
                               ("odesa-3", 2, "exact", "accepted")]
    # the machine rows are untouched and the rejected one is still stored
    machine = [i for r in store.results(reviewed=False) for i in r.incidents]
    assert machine == [i for r in RESULTS for i in r.incidents]
    log = store.review_log()
    assert [(c.item_id, c.field, c.before, c.after, c.reviewer) for c in log] == [
        (ids["kyiv-1"], "killed", 4, 5, "ana"),
        (ids["kyiv-1"], "killed_qualifier", "exact", "at_least", "ana"),
        (ids["kharkiv-2"], "status", "machine", "rejected", None),
        (ids["odesa-3"], "status", "machine", "accepted", None)]
    assert all(isinstance(c.at, dt.datetime) for c in log)


def test_place_date_and_type_edits(store):
    kyiv = _by_article(store)["kyiv-1"]
    store.review_change(kyiv.item.id, {"place": place_to_json(KHARKIV),
                                       "date": "2022-02-27", "event_type": "airstrike"})
    inc = _incidents(store)[0]
    assert (inc.place, inc.location, inc.precision, inc.date, inc.event_type) == (
        KHARKIV, "Kharkiv", "point", dt.date(2022, 2, 27), "airstrike")
    # a no-op edit leaves no row
    store.review_change(kyiv.item.id, {"event_type": "airstrike"})
    assert len(store.review_log(kyiv.item.id)) == 3


def test_the_audit_table_refuses_update_and_delete(store):
    store.review_change(1, {"killed": 7})
    with store.engine.connect() as conn:
        for stmt in ("UPDATE corrections SET after = '1'", "DELETE FROM corrections"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                conn.exec_driver_sql(stmt)
    assert len(store.review_log()) == 1


def test_a_stale_version_is_a_conflict_and_writes_nothing(store):
    store.review_change(1, {"killed": 5}, version=0)
    with pytest.raises(ReviewConflict) as err:
        store.review_change(1, {"killed": 6}, version=0)
    assert err.value.version == 1
    assert [c.after for c in store.review_log()] == [5]
    # without a version, the last write wins (and both rows stay)
    store.review_change(1, {"killed": 8})
    assert [c.after for c in store.review_log()] == [5, 8]
    assert store.review_item(1).incident.killed == 8


def test_add_a_missed_incident_from_a_span(store):
    start = T1.index("a drone fell")
    end = T1.index("field.") + len("field.")
    s = store.review_add("kyiv-1", start, end, {"event_type": "drone", "killed": 0},
                         reviewer="ana")
    assert (s.status, s.item.origin, s.incident.quote) == (
        "added", "added", "a drone fell in a field.")
    assert s.incident.date == dt.date(2022, 3, 1)  # the article's date by default
    assert s.incident.sources == ("https://example.org/k1",)
    incs = [i for r in store.results() if r.article.id == "kyiv-1" for i in r.incidents]
    assert [(i.event_type, i.killed, i.review_status) for i in incs] == [
        ("missile", 4, "machine"), ("drone", 0, "added")]
    for bad in ((5, 5), (-1, 3), (0, len(T1) + 1)):
        with pytest.raises(InputError):
            store.review_add("kyiv-1", *bad, {})
    with pytest.raises(NotFoundError):
        store.review_add("no-such-article", 0, 3, {})


def test_merge_and_split(store):
    ids = {aid: s.item.id for aid, s in _by_article(store).items()}
    store.review_merge(ids["kharkiv-2"], ids["odesa-3"])
    incs = _incidents(store)
    assert [i.article_id for i in incs] == ["kyiv-1", "kharkiv-2"]
    assert incs[1].sources == ("Agency", "https://example.org/o3")
    assert incs[1].review_status == "edited"
    with pytest.raises(InputError):
        store.review_merge(ids["kyiv-1"], ids["odesa-3"])  # already merged
    # split: a second incident with the same quote, figures of its own
    kyiv = store.review_item(ids["kyiv-1"])
    part = store.review_add("kyiv-1", kyiv.item.start, kyiv.item.end,
                            {"killed": 1, "wounded": None}, split_from=kyiv.item.id,
                            version=kyiv.version)
    assert (part.incident.killed, part.incident.event_type, part.status) == (
        1, "other", "added")
    assert [c.field for c in store.review_log(ids["kyiv-1"])] == ["split_to"]


def test_corrections_survive_reextraction_and_stale_ones_are_listed(store, caplog):
    ids = {aid: s.item.id for aid, s in _by_article(store).items()}
    store.review_change(ids["kyiv-1"], {"killed": 6})
    store.review_change(ids["kharkiv-2"], {"status": "rejected"})
    # a better model: same quotes in kyiv-1 (new figures), kharkiv-2's quote changes
    k = RESULTS[0]
    better_k = dataclasses.replace(k, incidents=(dataclasses.replace(
        k.incidents[0], wounded=10),))
    h = RESULTS[1]
    moved = h.article.text.index("Later, gunfire")
    better_h = dataclasses.replace(h, incidents=(dataclasses.replace(
        h.incidents[0], quote=h.article.text[moved:]),))
    with caplog.at_level(logging.WARNING, logger="geomap.results"):
        store.write([better_k, better_h])
    assert [r.getMessage() for r in caplog.records] == [
        f"review correction no longer applies: incident {ids['kharkiv-2']} of "
        "article 'kharkiv-2' (quote 'Three civilians died, regional officials "
        "said.' at 45-91) is gone after re-extraction; its 1 correction(s) are "
        "kept in the store"]
    incs = {i.article_id: i for i in _incidents(store)}
    assert (incs["kyiv-1"].killed, incs["kyiv-1"].wounded,
            incs["kyiv-1"].review_status) == (6, 10, "edited")
    # the kharkiv rejection named the old quote: not applied to the new incident
    assert incs["kharkiv-2"].review_status == "machine"
    stale = store.review_stale()
    assert [(s.item.id, s.item.quote) for s in stale] == [
        (ids["kharkiv-2"], h.incidents[0].quote)]
    assert len(store.review_log()) == 2  # nothing dropped


def test_added_incident_goes_stale_when_the_text_changes(store):
    start = T1.index("a drone fell")
    store.review_add("kyiv-1", start, start + 12, {"event_type": "drone"})
    a = RESULTS[0].article
    store.write([ArticleResult(dataclasses.replace(a, text="Rewritten. " + a.text),
                               (), ())])
    assert [s.item.origin for s in store.review_stale()] == ["added"]
    assert _incidents(store) == [i for r in RESULTS[1:] for i in r.incidents]


def test_a_read_only_store_without_review_tables_reads_as_machine(tmp_path):
    import sqlite3

    from geomap.errors import StoreError
    from geomap.results import Store

    path = tmp_path / "old.sqlite"
    with open_store(path) as s:
        s.write(RESULTS)
    db = sqlite3.connect(path)  # a store from before the review tables
    db.executescript("DROP TABLE corrections; DROP TABLE review_items;")
    db.close()
    engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    with Store(engine, create=False) as ro:
        assert list(ro.results()) == RESULTS
        with pytest.raises(StoreError, match="no review tables"):
            ro.reviewed()
    with open_store(path, create=False) as rw:  # writable: the tables appear
        assert [s.status for s in rw.reviewed()] == ["machine"] * 3


@pytest.mark.parametrize(("statuses", "merged"), [
    (("machine", "edited"), "edited"),
    (("accepted", "machine"), "accepted"),
    (("edited", "added", "accepted"), "added"),
    (("machine", "machine"), "machine"),
])
def test_a_merged_event_keeps_the_strongest_review_status(statuses, merged):
    from geomap.merge import merge_incidents

    base = RESULTS[0].incidents[0]
    reports = [dataclasses.replace(base, article_id=f"r{n}", review_status=st)
               for n, st in enumerate(statuses)]
    out = merge_incidents(reports)
    assert [i.review_status for i in out] == [merged]
