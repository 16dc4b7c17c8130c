"""How time and peak RSS grow with the corpus (and with one long article).

Runs the CLI end to end (start-up included) in a fresh subprocess per
measurement on real news texts: the geoparsing corpora of
``../shared/data/geoparse/`` cycled under new ids to reach N articles
(``throughput.iter_corpus``; ``--unit passage`` cuts them into passages of
three sentences: more, shorter articles, so that what is kept per article
dominates and 20k fit in minutes). Commands: ``extract`` (jsonl), ``map``
(GeoJSON layers + map; without ``--store`` results spill to a temporary store)
and ``map --store`` (a fresh store in the output directory).

Prints, per command and size, the median wall seconds, articles/s, CPU
seconds (user + system of the process tree: what a shared machine disturbs
least) and peak RSS (MB) over ``--repeat`` rounds (each round runs every size
and command side by side, so machine load drifts hit all alike), then per
command the slope: the log-log exponent of time (and CPU) and of RSS against N
(1.0 = linear, 0.0 = flat) between the smallest and the largest size, the
marginal rate (articles/s once started) and the RSS ratio largest/smallest.

Peak RSS is ``ru_maxrss`` of the CLI process tree (``os.wait4``: the largest
single process, worker processes included); the driver imports no geomap
so it adds nothing (Linux carries ``ru_maxrss`` across fork + exec).

``--article-mb 0.5 1 2 3`` instead times ``extract`` on one article of that
many million characters (the texts joined into one), each in a fresh process,
and prints the exponents of time and RSS against length.

    python benchmarks/scale.py                              # 1000 10000 100000
    python benchmarks/scale.py 1000 20000 --unit passage --commands map
    python benchmarks/scale.py 1000 5000 --unit passage --repeat 1
    python benchmarks/scale.py --article-mb 0.5 1 2 3
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COMMANDS = {
    "extract": ["extract", "{corpus}", "-o", "{out}/incidents.jsonl"],
    "map": ["map", "{corpus}", "-o", "{out}"],
    "map-store": ["map", "{corpus}", "-o", "{out}", "--store"],
}


def _write_corpus(path: Path, n: int, unit: str) -> int:
    """``n`` real articles as jsonl (new ids); returns the characters written."""
    # throughput imports geomap.models: do it in a child, not in the driver.
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); "
            "from throughput import iter_corpus; chars = 0\n"
            "with open(sys.argv[2], 'w', encoding='utf-8') as fh:\n"
            "    for a in iter_corpus(int(sys.argv[3]), sys.argv[4]):\n"
            "        chars += len(a.text)\n"
            "        fh.write(json.dumps({'id': a.id, 'text': a.text}) + '\\n')\n"
            "print(chars)")
    out = subprocess.run([sys.executable, "-c", code, str(HERE), str(path), str(n),
                          unit], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return int(out.stdout)


def _write_long(path: Path, chars: int) -> None:
    """One article of ``chars`` characters: the real texts joined, cycled."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from throughput import _texts; big = '\\n\\n'.join(_texts()); "
            "n = int(sys.argv[3]); text = (big * (n // len(big) + 1))[:n]; "
            "open(sys.argv[2], 'w', encoding='utf-8').write(text)")
    subprocess.run([sys.executable, "-c", code, str(HERE), str(path), str(chars)],
                   check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def measure(argv: list[str], root: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds of one ``geomap`` run in a
    fresh process (CPU: user + system of the process tree, which a busy machine
    disturbs far less than wall time)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryFile() as err_file:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "geomap", "-q", *argv],
                                env=env, stdout=subprocess.DEVNULL, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    if proc.returncode:
        raise SystemExit(f"geomap {' '.join(argv)} failed ({proc.returncode}): "
                         f"{err.strip()}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _exponent(x0: float, y0: float, x1: float, y1: float) -> float:
    return math.log(y1 / y0) / math.log(x1 / x0)


def corpus_scale(sizes: list[int], commands: list[str], unit: str, repeat: int,
                 processes: int, root: Path) -> None:
    sizes = sorted(set(sizes))
    with tempfile.TemporaryDirectory(prefix="geomap-scale-") as tmp:
        work = Path(tmp)
        chars = {}
        for n in sizes:
            chars[n] = _write_corpus(work / f"corpus-{n}.jsonl", n, unit)
        runs: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
        for r in range(repeat):
            for n in sizes:
                for cmd in commands:
                    out = work / f"out-{cmd}-{n}-{r}"
                    argv = [a.format(corpus=work / f"corpus-{n}.jsonl", out=out)
                            for a in COMMANDS[cmd]]
                    argv += ["--processes", str(processes)]
                    runs.setdefault((cmd, n), []).append(measure(argv, root))
                    print(f"  round {r + 1} {cmd:9s} {n:7d}: "
                          f"{runs[cmd, n][-1][0]:8.1f} s "
                          f"{runs[cmd, n][-1][1]:7.0f} MB", file=sys.stderr,
                          flush=True)
    print(f"corpus: real texts as {unit}s, {processes} process(es), median of "
          f"{repeat}; geomap at {root}")
    print(f"{'command':10s} {'N':>7s} {'chars':>11s} {'wall s':>8s} "
          f"{unit + 's/s':>11s} {'CPU s':>8s} {'peak RSS MB':>12s}")
    for cmd in commands:
        med = {}
        for n in sizes:
            secs, rss, cpu = (statistics.median(r[k] for r in runs[cmd, n])
                              for k in range(3))
            med[n] = (secs, rss, cpu)
            print(f"{cmd:10s} {n:7d} {chars[n]:11d} {secs:8.1f} {n / secs:11.1f} "
                  f"{cpu:8.1f} {rss:12.0f}")
        if len(sizes) > 1:
            a, b = sizes[0], sizes[-1]
            (ta, ra, ca), (tb, rb, cb) = med[a], med[b]
            print(f"{cmd:10s} slope {a}->{b}: time ~ N^{_exponent(a, ta, b, tb):.2f}"
                  f" (CPU ~ N^{_exponent(a, ca, b, cb):.2f}), RSS ~ "
                  f"N^{_exponent(a, ra, b, rb):.3f}; marginal "
                  f"{(b - a) / (tb - ta):.1f} {unit}s/s; RSS ratio "
                  f"{rb / ra:.3f}")


def article_scale(mbs: list[float], root: Path) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="geomap-scale-") as tmp:
        for mb in sorted(set(mbs)):
            chars = int(mb * 1_000_000)
            path = Path(tmp) / f"long-{mb}.txt"
            _write_long(path, chars)
            secs, rss, cpu = measure(["extract", str(path), "-o",
                                      str(Path(tmp) / f"out-{mb}.jsonl"),
                                      "--processes", "1"], root)
            rows.append((chars, secs, rss, cpu))
            print(f"one article of {chars:9d} characters: {secs:7.1f} s "
                  f"({chars / secs:6.0f} chars/s), CPU {cpu:7.1f} s, "
                  f"peak RSS {rss:5.0f} MB", flush=True)
    if len(rows) > 1:
        (na, ta, ra, ca), (nb, tb, rb, cb) = rows[0], rows[-1]
        print(f"slope {na}->{nb} characters: time ~ n^{_exponent(na, ta, nb, tb):.2f}"
              f" (CPU ~ n^{_exponent(na, ca, nb, cb):.2f}), RSS ~ "
              f"n^{_exponent(na, ra, nb, rb):.2f}; marginal "
              f"{(nb - na) / (tb - ta):.0f} chars/s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="*", default=[1000, 10000, 100000],
                    metavar="N", help="corpus sizes (default 1000 10000 100000)")
    ap.add_argument("--unit", choices=["article", "passage"], default="article")
    ap.add_argument("--commands", nargs="+", choices=list(COMMANDS),
                    default=list(COMMANDS))
    ap.add_argument("--repeat", type=int, default=1, help="rounds (median)")
    ap.add_argument("--processes", type=int, default=1,
                    help="geomap --processes (default 1: RSS of one process)")
    ap.add_argument("--article-mb", type=float, nargs="+", metavar="MB",
                    help="only: one article of MB million characters, per MB")
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="geomap checkout to run (e.g. an older commit, to compare)")
    args = ap.parse_args(argv)
    if args.article_mb:
        article_scale(args.article_mb, args.root)
    else:
        corpus_scale(args.sizes, args.commands, args.unit, args.repeat,
                     args.processes, args.root)


if __name__ == "__main__":
    main()
