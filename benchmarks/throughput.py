"""Throughput of the full geomap pipeline vs bare ``nlp.pipe`` on the same texts.

The corpus is real news text: the public geoparsing corpora in
``../shared/data/geoparse/`` (repeated with varied ids to reach ``--articles``),
or the bundled examples when those are absent.

Prints articles/s and words/s for bare ``nlp.pipe`` (the model alone) and for
the full pipeline (model + toponym recogniser + resolution + incidents), their
ratio (full / bare; 1.0 means geomap adds nothing), and peak RSS.

Optional comparisons on the same corpus:

``--scaling``
    the full pipeline in one process vs two worker processes
    (``LocalExecutor(processes=2)``, workers loaded outside the timing; for
    end-to-end runs with start-up see ``benchmarks/processes.py``).
``--dask``
    a Dask LocalCluster with 2 single-threaded workers vs one process
    (cluster start and the workers' model loading are reported apart).
``--rss 1000 20000``
    peak RSS while streaming N articles into an SQLite store (the corpus
    path: ``geomap.run`` with a ``StoreSink``), each size in a fresh
    subprocess, and the growth between the sizes. ``--unit passage`` cuts the
    real articles into passages of three sentences (more, shorter articles:
    the per-article costs that could leak dominate, and 20k fit in minutes).
    ``benchmarks/scale.py`` measures the same end to end through the CLI
    (``extract``, ``map`` with its temporary store, ``map --store``), reusing
    this corpus.

    python benchmarks/throughput.py --articles 500 --repeat 3
    python benchmarks/throughput.py --articles 300 --repeat 1 --scaling --dask
    python benchmarks/throughput.py --rss 1000 20000 --unit passage
    python benchmarks/throughput.py --shares --articles 300
    python benchmarks/throughput.py --end-to-end --articles 587 --repeat 3

``--shares`` prints the CPU seconds of every stage of the full pipeline (each
spaCy component, then resolution and incidents): what each costs and which
the look-up tables replaced. ``--end-to-end`` runs the bare model and the full
pipeline each in a fresh process, imports and model loading included.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geomap.models import Article  # noqa: E402


def _texts(unit: str = "article") -> list[str]:
    texts: list[str] = []
    data = ROOT.parent / "shared" / "data" / "geoparse"
    for path in sorted(data.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    if not texts:
        from geomap.ingest import read_articles

        texts = [a.text for a in read_articles([ROOT / "examples"])]
    if unit == "passage":
        passages = []
        for text in texts:
            sents = re.split(r"(?<=[.!?])\s+", text.strip())
            passages.extend(" ".join(sents[i:i + 3]) for i in range(0, len(sents), 3))
        texts = [p for p in passages if len(p.split()) >= 8]
    return texts


def corpus(n: int, unit: str = "article") -> list[Article]:
    """``n`` real articles (cycled through the gold corpora with new ids)."""
    return list(iter_corpus(n, unit))


def iter_corpus(n: int, unit: str = "article") -> Iterator[Article]:
    """The same corpus, generated lazily (nothing held but the source texts)."""
    texts = _texts(unit)
    for i in range(n):
        yield Article(id=f"bench-{i}", text=texts[i % len(texts)])


def _stream(articles: list[Article]) -> Iterator[Article]:
    yield from articles


def peak_rss_mb() -> float:
    """Peak resident set size of this process (and waited-for children) in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _rss_child(n: int, unit: str, batch_size: int) -> None:
    """Stream ``n`` articles into a fresh store; print one JSON line of numbers."""
    from geomap.executors import LocalExecutor
    from geomap.pipeline import Pipeline
    from geomap.results import open_store
    from geomap.runner import StoreSink, run

    pipeline = Pipeline(batch_size=batch_size)
    pipeline.nlp  # noqa: B018
    loaded = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp, \
            open_store(Path(tmp) / "bench.sqlite") as store:
        t = time.perf_counter()
        stats = run(iter_corpus(n, unit), LocalExecutor(pipeline), StoreSink(store),
                    batch_size=batch_size).stats
        seconds = time.perf_counter() - t
        counts = store.counts()
    print(json.dumps({"n": n, "loaded_mb": loaded, "peak_mb": peak_rss_mb(),
                      "seconds": seconds, "processed": stats.processed,
                      "incidents": counts["incidents"],
                      "mentions": counts["mentions"]}))


def _rss(sizes: list[int], unit: str, batch_size: int) -> None:
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(n), "--unit", unit,
             "--batch-size", str(batch_size)],
            check=True, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"streamed {n:6d} {unit}s into a store: "
              f"peak RSS {row['peak_mb']:.0f} MB "
              f"(after loading {row['loaded_mb']:.0f} MB), "
              f"{row['processed'] / row['seconds']:.1f} {unit}s/s, "
              f"{row['mentions']} mentions, {row['incidents']} incidents")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"peak RSS growth {a['n']} -> {b['n']} {unit}s: "
              f"{100 * (b['peak_mb'] - a['peak_mb']) / a['peak_mb']:+.1f}%")


def _scaling(articles: list[Article], batch_size: int) -> None:
    from geomap.executors import LocalExecutor, PipelineSpec
    from geomap.runner import run

    rates = {}
    for n_process in (1, 2):
        with LocalExecutor(PipelineSpec(batch_size=batch_size),
                           processes=n_process) as executor:
            run(articles[:2 * n_process], executor)  # load the pipelines
            t = time.perf_counter()
            run(_stream(articles), executor)
            rates[n_process] = len(articles) / (time.perf_counter() - t)
        print(f"full pipeline, {n_process} process{'es' if n_process > 1 else ''}: "
              f"{rates[n_process]:8.1f} articles/s")
    print(f"speed-up 2 vs 1 processes: {rates[2] / rates[1]:.2f}x "
          f"({os.cpu_count()} cores)")


def _dask(articles: list[Article], batch_size: int) -> None:
    from geomap.distributed import DaskExecutor
    from geomap.executors import PipelineSpec
    from geomap.merge import merge_incidents
    from geomap.pipeline import Pipeline

    pipeline = Pipeline(batch_size=batch_size)
    pipeline.nlp  # noqa: B018
    t = time.perf_counter()
    single = list(pipeline.process_many(_stream(articles)))
    single_rate = len(articles) / (time.perf_counter() - t)
    t = time.perf_counter()
    with DaskExecutor(PipelineSpec(batch_size=batch_size), n_workers=2,
                      partition_size=2 * batch_size) as proc:
        list(proc.map(_stream(articles[:4])))  # both workers load the pipeline
        list(proc.map(_stream(articles[4:8])))
        start = time.perf_counter() - t
        t = time.perf_counter()
        results = list(proc.map(_stream(articles)))
        dask_rate = len(articles) / (time.perf_counter() - t)
    same = results == single and merge_incidents(
        i for r in results for i in r.incidents) == merge_incidents(
        i for r in single for i in r.incidents)
    print(f"single process       : {single_rate:8.1f} articles/s")
    print(f"Dask LocalCluster x2 : {dask_rate:8.1f} articles/s "
          f"({dask_rate / single_rate:.2f}x; cluster start + model loads "
          f"{start:.1f} s; results identical: {same})")


def _shares(articles: list[Article], batch_size: int) -> None:
    """CPU seconds of each stage of the full pipeline, component by component."""
    from geomap.incidents import extract_incidents
    from geomap.pipeline import Pipeline
    from geomap.resolve import resolve_doc

    pipeline = Pipeline(batch_size=batch_size)
    nlp, gz = pipeline.nlp, pipeline.gazetteer
    texts = [pipeline.prepare(a.text) for a in articles]
    passes: list[dict[str, float]] = []
    for _pass in range(2):  # first with cold caches, then warm
        times: dict[str, float] = {}
        passes.append(times)
        c = time.process_time()
        docs = [nlp.make_doc(t) for t in texts]
        times["tokenizer"] = time.process_time() - c
        for name, proc in nlp.pipeline:
            c = time.process_time()
            if hasattr(proc, "pipe"):
                docs = list(proc.pipe(docs, batch_size=batch_size))
            else:  # a plain function component
                docs = [proc(d) for d in docs]
            kind = getattr(proc, "__name__", type(proc).__name__)
            times[f"{name} ({kind})"] = time.process_time() - c
        c = time.process_time()
        found = [resolve_doc(d, a.id, gz) for d, a in zip(docs, articles, strict=True)]
        times["resolution (geomap.resolve)"] = time.process_time() - c
        c = time.process_time()
        for d, a, m in zip(docs, articles, found, strict=True):
            extract_incidents(d, a, m)
        times["incidents (geomap.incidents)"] = time.process_time() - c
    cold, warm = passes
    print(f"CPU seconds per stage on {len(articles)} articles, a first pass "
          "(cold caches) and a second (warm):")
    c_all, w_all = sum(cold.values()), sum(warm.values())
    for name in cold:
        print(f"  {name:42s} {cold[name]:6.2f} s {100 * cold[name] / c_all:5.1f}%"
              f"  {warm[name]:6.2f} s {100 * warm[name] / w_all:5.1f}%")
    print(f"  {'total':42s} {sum(cold.values()):6.2f} s         "
          f"{sum(warm.values()):6.2f} s")


def _child(kind: str, n: int, batch_size: int) -> None:
    """One end-to-end run in this fresh process: imports, load, the corpus."""
    t = time.perf_counter()
    texts = [a.text for a in corpus(n)]
    if kind == "bare":
        import spacy

        from geomap.nlp import DEFAULT_MODEL
        for _doc in spacy.load(DEFAULT_MODEL).pipe(texts, batch_size=batch_size):
            pass
    else:
        from geomap.pipeline import Pipeline

        for _res in Pipeline(batch_size=batch_size).process_many(texts):
            pass
    print(json.dumps({"seconds": time.perf_counter() - t}))


def _end_to_end(n: int, repeat: int, batch_size: int) -> None:
    """Bare model vs full pipeline, each in a fresh process, start-up included."""
    wall: dict[str, list[float]] = {"bare": [], "full": []}
    cpu: dict[str, list[float]] = {"bare": [], "full": []}
    load = os.getloadavg()[0]
    for _ in range(repeat):
        for kind in wall:  # alternate, so both see the same load
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--child", kind, "--articles",
                            str(n), "--batch-size", str(batch_size)], check=True,
                           capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
            wall[kind].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[kind].append(after.ru_utime + after.ru_stime
                             - before.ru_utime - before.ru_stime)
    b, f = statistics.median(wall["bare"]), statistics.median(wall["full"])
    bc, fc = statistics.median(cpu["bare"]), statistics.median(cpu["full"])
    print(f"end to end, {n} articles, fresh process each, start-up included "
          f"(medians of {repeat}, load average {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f}):")
    print(f"  bare spacy.load + nlp.pipe : {b:6.1f} s wall {bc:6.1f} s CPU")
    print(f"  full geomap pipeline       : {f:6.1f} s wall {fc:6.1f} s CPU")
    print(f"  ratio full/bare throughput : {b / f:.3f} wall, {bc / fc:.3f} CPU")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--processes", type=int, default=1,
                    help="nlp.pipe processes of the bare model")
    ap.add_argument("--unit", choices=["article", "passage"], default="article",
                    help="corpus unit (passage: three-sentence pieces of articles)")
    ap.add_argument("--scaling", action="store_true",
                    help="also compare 1 vs 2 worker processes")
    ap.add_argument("--dask", action="store_true",
                    help="also compare a 2-worker Dask LocalCluster with 1 process")
    ap.add_argument("--rss", type=int, nargs="+", metavar="N",
                    help="only: peak RSS streaming N articles into a store, per N")
    ap.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--shares", action="store_true",
                    help="only: CPU seconds of each pipeline stage (spaCy components, "
                         "resolution, incidents)")
    ap.add_argument("--end-to-end", action="store_true",
                    help="only: bare model vs full pipeline in fresh processes, "
                         "start-up included")
    ap.add_argument("--child", choices=["bare", "full"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.articles, args.batch_size)
        return
    if args.shares:
        _shares(corpus(args.articles, args.unit), args.batch_size)
        return
    if args.end_to_end:
        _end_to_end(args.articles, args.repeat, args.batch_size)
        return
    if args.rss_child:
        _rss_child(args.rss_child, args.unit, args.batch_size)
        return
    if args.rss:
        _rss(args.rss, args.unit, args.batch_size)
        return

    from geomap.nlp import load_nlp
    from geomap.pipeline import Pipeline

    load = os.getloadavg()
    articles = corpus(args.articles, args.unit)
    words = sum(len(a.text.split()) for a in articles)
    bare = load_nlp(toponyms=False)
    pipeline = Pipeline(batch_size=args.batch_size)
    pipeline.nlp  # noqa: B018  (load model + gazetteer outside the timing)

    bare_t, full_t, bare_cpu, full_cpu = [], [], [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        for _doc in bare.pipe((a.text for a in articles), batch_size=args.batch_size,
                              n_process=args.processes):
            pass
        bare_t.append(time.perf_counter() - t)
        bare_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        n_inc = n_men = 0
        for res in pipeline.process_many(_stream(articles)):
            n_inc += len(res.incidents)
            n_men += len(res.mentions)
        full_t.append(time.perf_counter() - t)
        full_cpu.append(time.process_time() - c)

    b, f = statistics.median(bare_t), statistics.median(full_t)
    print(f"corpus: {len(articles)} articles, {words} words "
          f"(batch {args.batch_size}, processes {args.processes}, "
          f"median of {args.repeat}, load average before {load[0]:.2f})")
    print(f"bare nlp.pipe : {len(articles) / b:8.1f} articles/s "
          f"{words / b:10.0f} words/s")
    print(f"full pipeline : {len(articles) / f:8.1f} articles/s "
          f"{words / f:10.0f} words/s"
          f"  ({n_men} mentions, {n_inc} incidents)")
    print(f"ratio full/bare throughput: {b / f:.3f}  "
          f"(geomap's added cost: {100 * (f - b) / f:.1f}% of pipeline time)")
    if args.processes == 1:
        # CPU seconds of this process: what each side computed, whatever else
        # the machine was running (wall time on a shared machine is not)
        bc, fc = statistics.median(bare_cpu), statistics.median(full_cpu)
        print(f"ratio in CPU seconds: {bc / fc:.3f}  (bare {bc:.2f} s, full {fc:.2f} s;"
              f" load average after {os.getloadavg()[0]:.2f})")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    if args.scaling:
        _scaling(articles, args.batch_size)
    if args.dask:
        _dask(articles, args.batch_size)


if __name__ == "__main__":
    main()
