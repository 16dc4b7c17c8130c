"""Dask and local worker processes give the same results as one process."""

from __future__ import annotations

import io
import json

import pytest
from test_results import write_corpus

import geomap
from geomap.cli import main
from geomap.distributed import process_bag
from geomap.ingest import read_articles
from geomap.merge import merge_incidents

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    return list(read_articles([write_corpus(tmp_path_factory.mktemp("corpus"))]))


@pytest.fixture(scope="module")
def single(articles):
    from geomap.pipeline import Pipeline

    return list(Pipeline(batch_size=4).process_many(articles))


@pytest.fixture(scope="module")
def dask_run():
    # partitions of 3 articles spread over 2 worker processes
    with geomap.DaskExecutor(geomap.PipelineSpec(batch_size=4), n_workers=2,
                             partition_size=3) as proc:
        yield proc


def test_dask_equals_single_process(dask_run, articles, single):
    results = list(dask_run.map(iter(articles)))
    assert results == single  # same mentions, incidents and tolls, same order
    assert len({r.article.id for r in results}) == len(articles) == 12
    # merging after the gather = merging the single-process results
    merged = merge_incidents(i for r in results for i in r.incidents)
    assert merged == merge_incidents(i for r in single for i in r.incidents)
    assert len(merged) >= 8
    # the work really ran in the two worker processes
    info = dask_run.client.scheduler_info()["workers"]
    assert len(info) == 2


def test_merge_across_partitions(dask_run, articles, single):
    # the same event reported by articles that land in different partitions
    kharkiv = next(a for a in articles if a.id == "ex-kharkiv-0412")
    copies = [kharkiv.__class__(id=f"copy-{i}", text=kharkiv.text, date=kharkiv.date)
              for i in range(4)]
    results = list(dask_run.map(copies + articles))
    merged = merge_incidents(i for r in results for i in r.incidents)
    event = [m for m in merged if m.location == "Kharkiv"]
    assert len(event) == 1
    original = next(i for r in single for i in r.incidents if i.location == "Kharkiv")
    assert event[0].sources == tuple(sorted(
        ("copy-0", "copy-1", "copy-2", "copy-3", *original.sources)))
    assert len(merged) == len(merge_incidents(i for r in single for i in r.incidents))


def test_store_and_dask_through_the_public_api_equal_a_plain_run(
        dask_run, articles, single, tmp_path):
    plain = geomap.run(articles, geomap.LocalExecutor(geomap.PipelineSpec(
        batch_size=4)))
    assert plain.stats.processed == 12
    with geomap.open_store(tmp_path / "s.sqlite") as store:
        done = geomap.run(articles[:5], dask_run, geomap.StoreSink(store),
                          batch_size=2)
        assert (done.stats.processed, done.stats.batches) == (5, 3)
        done = geomap.run(articles, dask_run, geomap.StoreSink(store),
                          batch_size=2)
        assert (done.stats.skipped, done.stats.processed) == (5, 7)
        # the store holds the plain run's records (texts are not kept in memory)
        assert list(done.results()) == list(plain.results())
        assert list(store.results()) == single


def test_dask_bag(dask_run, articles, single):
    import dask.bag as db

    bag = process_bag(db.from_sequence(articles, npartitions=3),
                      geomap.PipelineSpec(batch_size=4))
    assert bag.compute() == single


def test_cli_dask_local_cluster(tmp_path, articles):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": a.id, "text": a.text,
                                       "date": a.date.isoformat() if a.date else None})
                           + "\n" for a in articles), encoding="utf-8")
    outs = []
    for extra in ([], ["--dask", "--processes", "2", "--batch-size", "2"],
                  ["--processes", "2", "--batch-size", "2"]):
        out, err = io.StringIO(), io.StringIO()
        code = main(["extract", str(src), "-q", *extra], stdout=out, stderr=err)
        assert (code, err.getvalue()) == (0, "")
        outs.append(out.getvalue())
    assert outs[0] == outs[1] == outs[2]
    assert len(outs[0].splitlines()) >= 8


def test_two_processes_dask_and_one_process_are_identical(dask_run, articles,
                                                          single):
    spec = geomap.PipelineSpec(batch_size=4)
    one = geomap.run(articles, geomap.LocalExecutor(spec), batch_size=5)
    with geomap.LocalExecutor(spec, processes=2, chunk_size=3) as two:
        assert two.processes == 2
        by_two = geomap.run(articles, two, batch_size=5)
    by_dask = geomap.run(articles, dask_run, batch_size=5)
    assert list(one.results()) == list(by_two.results()) == list(by_dask.results())
    assert [r.incidents for r in one.results()] == [r.incidents for r in single]
    assert by_two.stats.processed == 12


def test_worker_processes_keep_texts_only_on_request(articles):
    spec = geomap.PipelineSpec(batch_size=4)
    with geomap.LocalExecutor(spec, processes=2, chunk_size=2) as two:
        done = geomap.run(articles[:3], two,
                          geomap.MemorySink(keep_text=True))
    assert [r.article for r in done.results()] == articles[:3]


def test_unreachable_scheduler_is_one_line_error(articles, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": articles[0].text}) + "\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(["extract", str(src), "--dask", "tcp://127.0.0.1:9"],
                stdout=out, stderr=err)
    assert code == 1
    assert err.getvalue().startswith(
        "geomap: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
