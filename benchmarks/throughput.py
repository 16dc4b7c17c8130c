"""Throughput of the full geomap pipeline vs bare ``nlp.pipe`` on the same texts.

The corpus is real news text: the public geoparsing corpora in
``../shared/data/geoparse/`` (repeated with varied ids to reach ``--articles``),
or the bundled examples when those are absent.

Prints articles/s and words/s for bare ``nlp.pipe`` (the model alone) and for
the full pipeline (model + toponym recogniser + resolution + incidents), their
ratio (full / bare; 1.0 means geomap adds nothing), and peak RSS.

    python benchmarks/throughput.py --articles 500 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geomap.models import Article  # noqa: E402


def corpus(n: int) -> list[Article]:
    """``n`` real articles (cycled through the gold corpora with new ids)."""
    texts: list[str] = []
    data = ROOT.parent / "shared" / "data" / "geoparse"
    for path in sorted(data.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    if not texts:
        from geomap.ingest import read_articles

        texts = [a.text for a in read_articles([ROOT / "examples"])]
    return [Article(id=f"bench-{i}", text=texts[i % len(texts)]) for i in range(n)]


def _stream(articles: list[Article]) -> Iterator[Article]:
    yield from articles


def peak_rss_mb() -> float:
    """Peak resident set size of this process (and waited-for children) in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--processes", type=int, default=1)
    args = ap.parse_args(argv)

    from geomap.nlp import load_nlp
    from geomap.pipeline import Pipeline

    articles = corpus(args.articles)
    words = sum(len(a.text.split()) for a in articles)
    bare = load_nlp(toponyms=False)
    pipeline = Pipeline(batch_size=args.batch_size, n_process=args.processes)
    pipeline.nlp  # noqa: B018  (load model + gazetteer outside the timing)

    bare_t, full_t = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        for _doc in bare.pipe((a.text for a in articles), batch_size=args.batch_size,
                              n_process=args.processes):
            pass
        bare_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        n_inc = n_men = 0
        for res in pipeline.process_many(_stream(articles)):
            n_inc += len(res.incidents)
            n_men += len(res.mentions)
        full_t.append(time.perf_counter() - t)

    b, f = statistics.median(bare_t), statistics.median(full_t)
    print(f"corpus: {len(articles)} articles, {words} words "
          f"(batch {args.batch_size}, processes {args.processes}, "
          f"median of {args.repeat})")
    print(f"bare nlp.pipe : {len(articles) / b:8.1f} articles/s {words / b:10.0f} words/s")
    print(f"full pipeline : {len(articles) / f:8.1f} articles/s {words / f:10.0f} words/s"
          f"  ({n_men} mentions, {n_inc} incidents)")
    print(f"ratio full/bare throughput: {b / f:.3f}  "
          f"(geomap's added cost: {100 * (f - b) / f:.1f}% of pipeline time)")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
