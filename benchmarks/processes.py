"""``geomap extract --processes 2`` vs one process, end to end, start-up included.

Runs the CLI in fresh subprocesses on real articles (LGL from
``../shared/data/geoparse/lgl.jsonl``: all of it, and its first 200), one
process and two alternating so that both see the same machine load, and prints
the median wall time of each, their ratio, the load average before and after,
and whether the outputs were identical.

    python benchmarks/processes.py --repeat 3
    python benchmarks/processes.py --first 200 587 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LGL = ROOT.parent / "shared" / "data" / "geoparse" / "lgl.jsonl"


def _corpus(n: int, directory: Path) -> Path:
    """The first ``n`` LGL articles as an input file (id and text only)."""
    path = directory / f"lgl-{n}.jsonl"
    with open(LGL, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(line for line in src if line.strip()):
            if i >= n:
                break
            rec = json.loads(line)
            out.write(json.dumps({"id": rec["id"], "text": rec["text"]}) + "\n")
    return path


def _time(path: Path, processes: int) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "geomap", "extract", str(path), "-q",
         "--processes", str(processes)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t, out.stdout


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=int, nargs="+", default=[587, 200],
                    metavar="N", help="corpus sizes: the first N LGL articles")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--processes", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.first:
            path = _corpus(n, Path(tmp))
            load = os.getloadavg()[0]
            times: dict[int, list[float]] = {1: [], args.processes: []}
            outputs: set[str] = set()
            for _ in range(args.repeat):
                for p in times:
                    seconds, stdout = _time(path, p)
                    times[p].append(seconds)
                    outputs.add(stdout)
            one = statistics.median(times[1])
            many = statistics.median(times[args.processes])
            print(f"{n} articles: 1 process {one:6.1f} s, {args.processes} "
                  f"processes {many:6.1f} s (medians of {args.repeat}, start-up "
                  f"included): {one / many:.2f}x; outputs identical: "
                  f"{len(outputs) == 1}; load average {load:.2f} -> "
                  f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
