"""``geomap extract --processes 2`` vs one process, end to end, start-up included.

Runs the CLI in fresh subprocesses on real articles (LGL from
``../shared/data/geoparse/lgl.jsonl``: all of it, and its first 200), one
process and two alternating so that both see the same machine load, and prints
the median wall time of each, their ratio, the load average before and after,
and whether the outputs were identical.

It also prints the CPU seconds each run used (the CLI and its workers). On a
machine shared with other jobs the wall-time ratio says little: Linux's
autogroup scheduler gives each session one fair share of the cores however many
processes it runs, so two workers cannot take more than one process would.
The CPU seconds show the work added by the second process (its start-up, the
pickling of articles and results); with ``cpu1`` and ``cpu2`` the CPU of one
and two processes and ``s`` the start-up of one process, an otherwise idle
machine finishes two processes in about ``s + (cpu2 - s) / 2``, printed as
the ideal ratio.

    python benchmarks/processes.py --repeat 3
    python benchmarks/processes.py --first 200 587 --repeat 5
    python benchmarks/processes.py --dask --first 200 500 2000 --repeat 2

With ``--dask`` the second run is ``geomap extract --dask`` (a LocalCluster of
``--processes`` single-threaded workers, fresh interpreters that each load the
pipeline) instead of worker processes forked from the CLI. Past LGL's 587
articles its texts come round again under new ids.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LGL = ROOT.parent / "shared" / "data" / "geoparse" / "lgl.jsonl"


def _corpus(n: int, directory: Path) -> Path:
    """The first ``n`` LGL articles as an input file (id and text only); past
    the end of LGL its articles come round again under new ids."""
    path = directory / f"lgl-{n}.jsonl"
    with open(LGL, encoding="utf-8") as src:
        records = [json.loads(line) for line in src if line.strip()]
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            rec = records[i % len(records)]
            rid = rec["id"] if i < len(records) else f"{rec['id']}-{i // len(records)}"
            out.write(json.dumps({"id": rid, "text": rec["text"]}) + "\n")
    return path


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(path: Path, processes: int, dask: bool = False) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (CLI + workers) and stdout of one run."""
    cpu, t = _cpu(), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "geomap", "extract", str(path), "-q",
         "--processes", str(processes), *(["--dask"] if dask else [])],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t, _cpu() - cpu, out.stdout


def _startup() -> float:
    """CPU seconds of a one-process run on a one-line input (start-up)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.jsonl"
        path.write_text('{"id": "x", "text": "Nothing happened."}\n')
        return _time(path, 1)[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=int, nargs="+", default=[587, 200],
                    metavar="N", help="corpus sizes: the first N LGL articles")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--dask", action="store_true",
                    help="compare a Dask LocalCluster of --processes workers "
                         "(geomap extract --dask) with one process")
    args = ap.parse_args(argv)
    start = _startup()
    print(f"start-up of one process: {start:.1f} CPU s")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.first:
            path = _corpus(n, Path(tmp))
            load = os.getloadavg()[0]
            k = args.processes
            times: dict[int, list[float]] = {1: [], k: []}
            cpus: dict[int, list[float]] = {1: [], k: []}
            outputs: set[str] = set()
            for _ in range(args.repeat):
                for p in times:
                    seconds, cpu, stdout = _time(path, p, dask=args.dask and p > 1)
                    times[p].append(seconds)
                    cpus[p].append(cpu)
                    outputs.add(stdout)
            one, many = statistics.median(times[1]), statistics.median(times[k])
            cpu1, cpu2 = statistics.median(cpus[1]), statistics.median(cpus[k])
            ideal = cpu1 / (start + (cpu2 - start) / k)
            what = f"Dask LocalCluster({k})" if args.dask else f"{k} processes"
            print(f"{n} articles: 1 process {one:6.1f} s, {what} "
                  f"{many:6.1f} s (medians of {args.repeat}, start-up included): "
                  f"{one / many:.2f}x; CPU {cpu1:.1f} s vs {cpu2:.1f} s, ideal "
                  f"ratio on an idle machine {ideal:.2f}x; outputs identical: "
                  f"{len(outputs) == 1}; load average {load:.2f} -> "
                  f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
