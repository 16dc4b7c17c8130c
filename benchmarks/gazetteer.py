"""Gazetteer benchmark: lookup throughput, cold open, size on disk, name-set memory.

Run: ``python benchmarks/gazetteer.py [STORE]`` (default: the user cache store,
built first if missing).  Prints one "metric: value" line per measurement.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

# This file is called gazetteer.py: keep its folder from shadowing the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from gazetteer import Gazetteer, default_path, ensure_store  # noqa: E402

QUERIES = [
    "Kyiv", "Kiev", "Kharkiv", "Kharkov", "Odesa", "Odessa", "Mykolaiv", "Chernihiv",
    "Zaporizhzhia", "Dnipro", "Lviv", "Kherson", "Donetsk", "Luhansk", "Bakhmut",
    "Paris", "London", "Moscow", "Gaza", "Aleppo", "Kabul", "Texas", "Ukraine",
    "Russia", "Kharkiv Oblast", "Kryvyi Rih", "Sumy", "Poltava", "New York", "Beirut",
]  # fmt: skip
MISSPELT = ["Chernihyv", "Zaporizhia", "Kharkivv", "Mykolaev", "Odesaa", "Donetskk",
            "Lvivv", "Kramatorskk", "Slovyansk", "Melitopil"]  # fmt: skip


def _rate(func, items, seconds: float = 1.0) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            func(item)
        n += len(items)
    return n / (time.perf_counter() - start)


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else default_path()
    ensure_store(path)  # build if needed, outside the timings

    cold = subprocess.run(
        [sys.executable, "-c",
         "import time; t = time.perf_counter(); from gazetteer import Gazetteer; "
         f"Gazetteer.open({str(path)!r}); print(time.perf_counter() - t)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(f"cold open incl. import (s): {float(cold.stdout):.3f}")
    start = time.perf_counter()
    gaz = Gazetteer.open(path)
    print(f"open in a warm process (s): {time.perf_counter() - start:.3f}")
    print(f"store size on disk (MB): {path.stat().st_size / 1e6:.1f}")
    info = gaz.info()
    print(f"places: {sum(info['counts'].values())} {info['counts']}")
    print(f"names: {info['names']} ({info['distinct_names']} distinct)")
    print(f"name set (marisa-trie) bytes: {info['name_set_bytes'] / 1e6:.1f} MB")

    tracemalloc.start()
    names_set = frozenset(gaz._trie.keys())  # what a plain frozenset would cost
    frozen = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del names_set
    print(f"same names as a frozenset (MB): {frozen / 1e6:.1f}")

    print(f"contains() per s: {_rate(gaz.contains, QUERIES + MISSPELT):,.0f}")
    for q in QUERIES:
        gaz.candidates(q)
    print(f"exact candidates() per s (warm): {_rate(gaz.candidates, QUERIES):,.0f}")
    rng = random.Random(0)
    sample = rng.sample(sorted(gaz._trie.keys()[:200_000]), 5_000)
    start = time.perf_counter()
    gaz.lookup_many(sample, fuzzy=False)
    dt = time.perf_counter() - start
    print(
        f"lookup_many cold, 5000 names in one query (names/s): {len(sample) / dt:,.0f}"
    )
    start = time.perf_counter()
    gaz.candidates("Chernihyv")
    print(f"fuzzy index build on first use (s): {time.perf_counter() - start:.2f}")
    misspelt = [q for q in MISSPELT if not gaz.contains(q)]  # really fuzzy
    fuzzy = _rate(lambda q: gaz.candidates(q, country_codes=["UA", "FR"]), misspelt)
    print(f"fuzzy candidates() per s (misspelt names): {fuzzy:,.0f}")
    start = time.perf_counter()
    gaz.reverse(50.45, 30.52)
    print(f"reverse index build on first use (s): {time.perf_counter() - start:.2f}")
    pts = [(rng.uniform(-60, 70), rng.uniform(-180, 180)) for _ in range(200)]
    print(f"reverse() per s: {_rate(lambda p: gaz.reverse(*p), pts):,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
