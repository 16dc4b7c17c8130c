"""The SQLite store and the corpus driver: round trips, resume, render from store."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from common import FnExecutor

from geomap.cli import main
from geomap.errors import StoreError
from geomap.executors import LocalExecutor
from geomap.ingest import read_articles
from geomap.merge import merge_incidents
from geomap.models import Article
from geomap.results import open_store, text_hash
from geomap.runner import StoreSink, run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# Short reports written for these tests (not from any corpus).
OWN = [
    ("own-kherson", "2022-11-20",
     "Three civilians were killed and seven injured when rockets struck a market "
     "in Kherson on Sunday, local officials said."),
    ("own-kandahar", "2021-06-02",
     "A car bomb exploded near a checkpoint in Kandahar, killing at least five "
     "soldiers, police said on Wednesday."),
    ("own-donetsk", "2022-06-10",
     "Heavy shelling hit the outskirts of Donetsk overnight. Two people died and "
     "four were wounded, the city administration reported."),
    ("own-geneva", "2022-05-12",
     "Talks between the delegations resumed in Geneva on Thursday without a "
     "breakthrough."),
    ("own-idlib", "2020-02-14",
     "An airstrike on a village near Idlib killed 11 people, including four "
     "children, rescuers said."),
    ("own-dhaka", "2022-06-20",
     "Flooding in Dhaka displaced thousands of families, the ministry said."),
]


def write_corpus(directory: Path) -> Path:
    """examples/ + our own reports as one directory of inputs (12 articles)."""
    directory.mkdir(parents=True, exist_ok=True)
    for p in EXAMPLES.iterdir():
        if p.is_file():
            (directory / p.name).write_bytes(p.read_bytes())
    with open(directory / "own.jsonl", "w", encoding="utf-8") as fh:
        for aid, date, text in OWN:
            fh.write(json.dumps({"id": aid, "date": date, "text": text}) + "\n")
    return directory


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def articles(corpus_dir):
    return list(read_articles([corpus_dir]))


@pytest.fixture(scope="module")
def pipeline():
    from geomap.pipeline import Pipeline

    p = Pipeline(batch_size=4)
    p.nlp  # noqa: B018
    return p


@pytest.fixture(scope="module")
def direct(pipeline, articles):
    return list(pipeline.process_many(articles))


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class Boom(RuntimeError):
    pass


def failing(articles, after):
    """The article stream dies (like a crash) after ``after`` articles."""
    for i, a in enumerate(articles):
        if i == after:
            raise Boom("killed")
        yield a


# -- the store itself ---------------------------------------------------------------

def test_corpus_has_incidents_and_mentions(direct):
    assert len(direct) == 12
    assert sum(len(r.incidents) for r in direct) >= 8
    assert sum(len(r.mentions) for r in direct) >= 25


def test_round_trip_rebuilds_identical_records(tmp_path, direct):
    with open_store(tmp_path / "s.sqlite") as store:
        store.write(direct[:5])
        store.write(direct[5:])
        assert list(store.results()) == direct
        assert store.article_ids() == [r.article.id for r in direct]
        assert store.counts() == {
            "articles": 12,
            "mentions": sum(len(r.mentions) for r in direct),
            "incidents": sum(len(r.incidents) for r in direct),
            "tolls": sum(len(r.tolls) for r in direct),
        }
        no_text = list(store.results(text=False, chunk_size=5))
        assert [r.article.text for r in no_text] == [""] * 12
        assert [replace(r, article=replace(r.article, text=d.article.text))
                for r, d in zip(no_text, direct, strict=True)] == direct
        # cross-article merging from the store = merging the direct results
        assert store.incidents() == merge_incidents(
            i for r in direct for i in r.incidents)


def test_synthetic_place_ids_and_sources_survive(tmp_path, direct):
    # negative (synthetic) geonameids are stored as such, published as null
    inc = [i for r in direct for i in r.incidents if i.place is not None]
    with open_store(tmp_path / "s.sqlite") as store:
        store.write(direct)
        back = [i for r in store.results() for i in r.incidents if i.place is not None]
    assert [(i.place.geonameid, i.sources) for i in back] == [
        (i.place.geonameid, i.sources) for i in inc]


def test_sql_values_are_bound_not_spliced(tmp_path, pipeline):
    nasty = "Robert'); DROP TABLE articles;-- said shelling hit Kharkiv on Monday."
    res = list(pipeline.process_many([Article(id="x'); DROP TABLE mentions;--",
                                              text=nasty)]))
    with open_store(tmp_path / "s.sqlite") as store:
        store.write(res)
        assert store.up_to_date([res[0].article]) == {"x'); DROP TABLE mentions;--"}
        assert list(store.results()) == res
    tables = {r[0] for r in sqlite3.connect(tmp_path / "s.sqlite").execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"articles", "mentions", "incidents", "tolls", "meta"} <= tables


def test_up_to_date_needs_same_text_and_date(tmp_path, direct):
    with open_store(tmp_path / "s.sqlite") as store:
        store.write(direct[:2])
        a, b = direct[0].article, direct[1].article
        changed_text = replace(a, text=a.text + " Update.")
        changed_date = replace(b, date=None)
        new = Article(id="new", text="x")
        assert store.up_to_date([a, b, new]) == {a.id, b.id}
        assert store.up_to_date([changed_text, changed_date]) == set()


def test_open_errors(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        open_store(tmp_path / "missing.sqlite", create=False)
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)
    with pytest.raises(StoreError, match="unsupported store backend 'mysql'"):
        open_store("mysql://u@h/db")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a geomap store"):
        open_store(other, create=False)
    with open_store(tmp_path / "old.sqlite") as store:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE meta SET value='0' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="schema '0'"):
        open_store(tmp_path / "old.sqlite")


# -- resume -------------------------------------------------------------------------

def test_interrupted_run_resumes_and_equals_uninterrupted(tmp_path, pipeline,
                                                          articles, direct):
    store = open_store(tmp_path / "s.sqlite")
    settled = []
    with pytest.raises(Boom):
        run(failing(articles, 7), LocalExecutor(pipeline), StoreSink(store),
            batch_size=3, progress=settled.append)
    # the 7 articles read before the crash were all computed and committed
    assert settled == [3, 3, 1]
    assert store.counts()["articles"] == 7

    seen = []

    def counting(arts):
        for a in arts:
            seen.append(a.id)
            yield a

    settled = []
    done = run(articles, FnExecutor(lambda a: pipeline.process_many(counting(a))),
               StoreSink(store), batch_size=3, progress=settled.append)
    assert sum(settled) == len(articles)
    assert (done.stats.skipped, done.stats.processed) == (7, 5)
    assert seen == [a.id for a in articles[7:]]  # only the unprocessed ones
    assert list(store.results()) == direct
    # a third run has nothing to do
    stats = run(articles, LocalExecutor(pipeline), StoreSink(store)).stats
    assert (stats.processed, stats.skipped) == (0, 12)
    store.close()


def test_changed_text_is_reprocessed_and_replaced(tmp_path, pipeline, articles):
    with open_store(tmp_path / "s.sqlite") as store:
        run(articles, LocalExecutor(pipeline), StoreSink(store))
        before = store.counts()
        kherson = next(a for a in articles if a.id == "own-kherson")
        edited = replace(kherson, text=kherson.text.replace("Three", "Four"))
        stats = run([edited if a.id == "own-kherson" else a for a in articles],
                    LocalExecutor(pipeline), StoreSink(store)).stats
        assert (stats.processed, stats.skipped) == (1, 11)
        assert store.counts() == before
        inc = [i for r in store.results() if r.article.id == "own-kherson"
               for i in r.incidents]
        assert [(i.killed, i.wounded) for i in inc] == [(4, 7)]
        assert store.up_to_date([edited]) == {"own-kherson"}
        assert store.up_to_date([kherson]) == set()
        # --no-resume processes everything again
        stats = run(articles, LocalExecutor(pipeline),
                    StoreSink(store, resume=False)).stats
        assert (stats.processed, stats.skipped) == (12, 0)
        assert store.counts() == before


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from geomap.ingest import read_articles
    from geomap.pipeline import Pipeline
    from geomap.runner import StoreSink, run
    from geomap.results import open_store

    pipeline = Pipeline(batch_size=2)

    def process(articles):
        for n, result in enumerate(pipeline.process_many(articles), 1):
            if n == 6:  # two batches of 2... and this one are done: die hard
                os.kill(os.getpid(), signal.SIGKILL)
            yield result

    store = open_store(sys.argv[1])
    class Killing:
        map = staticmethod(process)

    run(read_articles([sys.argv[2]]), Killing(), StoreSink(store), batch_size=2)
""")


@pytest.mark.kill
def test_sigkill_loses_only_the_uncommitted_batch(tmp_path, corpus_dir, pipeline,
                                                  direct):
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT.format(root=str(ROOT)))
    db = tmp_path / "s.sqlite"
    proc = subprocess.run([sys.executable, str(script), str(db), str(corpus_dir)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with open_store(db) as store:
        # results 1-4 were committed in two batches; 5 was pending, 6 in hand
        assert store.counts()["articles"] == 4
        stats = run(read_articles([corpus_dir]), LocalExecutor(pipeline),
                    StoreSink(store)).stats
        assert (stats.skipped, stats.processed) == (4, 8)
        assert list(store.results()) == direct


# -- CLI ----------------------------------------------------------------------------

def test_cli_map_with_store_then_render_equals_plain_map(tmp_path, corpus_dir):
    plain, stored, drawn = tmp_path / "plain", tmp_path / "stored", tmp_path / "drawn"
    assert run_cli("map", corpus_dir, "-o", plain, "-q")[0] == 0
    code, _, err = run_cli("map", corpus_dir, "-o", stored, "--store",
                             "--batch-size", "5")
    assert code == 0, err
    assert "12 articles processed, 0 already stored" in err
    assert (stored / "geomap.sqlite").is_file()
    code, _, err = run_cli("map", corpus_dir, "-o", stored, "--store")
    assert "0 articles processed, 12 already stored" in err
    code, _, err = run_cli("render", "-o", drawn, "--store",
                             stored / "geomap.sqlite", "-q")
    assert (code, err) == (0, "")
    for name in ("incidents.geojson", "places.geojson"):
        assert (drawn / name).read_bytes() == (plain / name).read_bytes(), name
        assert (stored / name).read_bytes() == (plain / name).read_bytes(), name
    # folium names its elements with random ids; the rest must be identical
    html = [re.sub(r"_[0-9a-f]{32}\b", "_ID", (d / "map.html").read_text())
            for d in (plain, stored, drawn)]
    assert html[0] == html[1] == html[2]


def test_cli_extract_with_store_file_and_default_render(tmp_path, corpus_dir):
    db = tmp_path / "run.sqlite"
    code, plain, _ = run_cli("extract", corpus_dir, "-q")
    code, stored, err = run_cli("extract", corpus_dir, "--store", db, "-q")
    assert (code, err) == (0, "")
    assert stored == plain
    code, _, err = run_cli("render", "-o", tmp_path / "empty")
    assert code == 1
    missing = tmp_path / "empty" / "geomap.sqlite"
    assert err == f"geomap: error: no store at '{missing}'\n"


def test_cli_store_resumes_after_bad_record(tmp_path, corpus_dir):
    # a bad record stops a store run, but what came before it stays stored
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "a.jsonl").write_text(
        json.dumps({"id": "ok-1", "text": "Shelling hit Kharkiv on Monday."}) + "\n"
        + "{not json\n", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    code, _, err = run_cli("places", bad, "--store", db, "-q")
    assert code == 1 and err.startswith("geomap: error: ")
    with open_store(db) as store:
        assert store.article_ids() == ["ok-1"]
        assert store.up_to_date([Article(id="ok-1", text="Shelling hit Kharkiv on "
                                         "Monday.")]) == {"ok-1"}
    assert text_hash("Shelling hit Kharkiv on Monday.") == sqlite3.connect(db).execute(
        "SELECT text_hash FROM articles").fetchone()[0]
