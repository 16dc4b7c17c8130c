"""The Dask NLP stage gives the same results as a single process."""

from __future__ import annotations

import io
import json

import pytest
from test_store import write_corpus

from geomap.cli import main
from geomap.distributed import DaskProcessor, PipelineSpec, process_bag
from geomap.ingest import read_articles
from geomap.merge import merge_incidents
from geomap.runner import CorpusRun
from geomap.store import open_store


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
    with DaskProcessor(PipelineSpec(batch_size=4), n_workers=2,
                       partition_size=3) as proc:
        yield proc


def test_dask_equals_single_process(dask_run, articles, single):
    results = list(dask_run(iter(articles)))
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
    results = list(dask_run(copies + articles))
    merged = merge_incidents(i for r in results for i in r.incidents)
    event = [m for m in merged if m.location == "Kharkiv"]
    assert len(event) == 1
    original = next(i for r in single for i in r.incidents if i.location == "Kharkiv")
    assert event[0].sources == tuple(sorted(
        ("copy-0", "copy-1", "copy-2", "copy-3", *original.sources)))
    assert len(merged) == len(merge_incidents(i for r in single for i in r.incidents))


def test_dask_into_store(dask_run, articles, single, tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        stats = CorpusRun(articles[:5], store, dask_run, batch_size=2).run()
        assert stats.processed == 5
        stats = CorpusRun(articles, store, dask_run, batch_size=2).run()
        assert (stats.skipped, stats.processed) == (5, 7)
        assert list(store.results()) == single


def test_dask_bag(dask_run, articles, single):
    import dask.bag as db

    bag = process_bag(db.from_sequence(articles, npartitions=3),
                      PipelineSpec(batch_size=4))
    assert bag.compute() == single


def test_cli_dask_local_cluster(tmp_path, articles):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": a.id, "text": a.text,
                                       "date": a.date.isoformat() if a.date else None})
                           + "\n" for a in articles), encoding="utf-8")
    outs = []
    for extra in ([], ["--dask", "--processes", "2", "--batch-size", "2"]):
        out, err = io.StringIO(), io.StringIO()
        code = main(["extract", str(src), "-q", *extra], stdout=out, stderr=err)
        assert (code, err.getvalue()) == (0, "")
        outs.append(out.getvalue())
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) >= 8


def test_unreachable_scheduler_is_one_line_error(articles, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": articles[0].text}) + "\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(["extract", str(src), "--dask", "tcp://127.0.0.1:9"],
                stdout=out, stderr=err)
    assert code == 1
    assert err.getvalue().startswith(
        "geomap: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
