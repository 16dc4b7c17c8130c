"""Screenshot a real generated map for the README (docs/map.png).

By default runs the whole pipeline (``geomap map --offline``) on the articles
in ``examples/``, opens the map in Debian's headless chromium from ``file://``,
opens the popup of the incident with the most casualties and saves the page.
``--online`` writes the default (tiled) map instead and opens it with every
request that is not ``file:`` refused, which shows what a reader without
network sees: the bundled outlines and labels where the tiles would be.
``--html`` screenshots an existing map instead.

Usage::

    python scripts/screenshot.py                       # -> docs/map.png
    python scripts/screenshot.py --online -o online-no-network.png
    python scripts/screenshot.py --html out/map.html -o shot.png
    python scripts/screenshot.py examples/ more/articles.jsonl --no-popup
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def build_map(paths: list[str], out_dir: Path, title: str, *, online: bool = False
              ) -> Path:
    """Run ``geomap map [--offline]`` on ``paths``; return the map.html written."""
    from geomap.cli import main as geomap_main

    mode = [] if online else ["--offline"]
    code = geomap_main(["map", *paths, "-o", str(out_dir), *mode, "-q",
                        "--title", title])
    if code:
        raise SystemExit(f"geomap map failed with exit code {code}")
    return out_dir / "map.html"


def screenshot(html: Path, out: Path, *, popup: bool, width: int, height: int) -> None:
    """Open ``html`` in headless chromium (no network) and save a PNG to ``out``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        # Never the network: an online map's tiles fail and the outlines show.
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(("file:", "data:", "blob:"))
                   else route.abort())
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.absolute().as_uri())
        page.wait_for_function("window.geomap && window.geomap.ready === true",
                               timeout=60_000)
        if popup:
            point = page.evaluate("""() => {
                const g = window.geomap;
                if (!g.data.n) { return null; }
                // incidents come largest toll first: 0 is the largest
                const p = g.layers.incidents.pointOf(0);
                const box = g.map.getContainer().getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""")
            if point is not None:
                page.mouse.click(*point)
                page.wait_for_selector(".leaflet-popup-content .geomap-popup")
                page.wait_for_timeout(400)  # popup auto-pan animation
        if errors:
            raise SystemExit(f"page errors: {errors}")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    """Build (or take) a map and screenshot it; print the PNG's path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "examples")],
                        help="articles to map (default: examples/)")
    parser.add_argument("--html", type=Path, help="screenshot this map instead")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "map.png")
    parser.add_argument("--title", default="geomap: incidents in the example articles")
    parser.add_argument("--no-popup", action="store_true")
    parser.add_argument("--online", action="store_true",
                        help="the default map with tiles (refused: no network)")
    parser.add_argument("--size", default="1280x800", help="viewport WxH")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        html = args.html or build_map(args.paths, Path(tmp), args.title,
                                      online=args.online)
        screenshot(html, args.output, popup=not args.no_popup, width=width,
                   height=height)
    print(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
