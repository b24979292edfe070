"""Screenshots for the docs: a scenario's map on a laptop and a phone (default Ngazidja, from the shared data)
and, if given, a report.

    .venv/bin/python scripts/screenshots.py             # docs/img/ngazidja_map.png, docs/img/ngazidja_map_phone.png
    .venv/bin/python scripts/screenshots.py --report out/cmp/report.html   # … and docs/img/compare_report.png
    .venv/bin/python scripts/screenshots.py --scenario scenarios/mwali.yaml --zoom 11

Pages open in headless Chromium exactly as the browser tests open them: offline, so the picture shows what
a planner without a connection sees (an online basemap stays blank). Needs the test extra (Playwright,
Pillow) and Debian's chromium, or ``$FACILITY_LAYOUT_CHROMIUM``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
# One definition of how Chromium is found, started and kept offline: the tests' own.
sys.path.insert(0, str(REPO / "tests"))

import browser  # noqa: E402

DEFAULT_DATA_ROOT = REPO.parent / "shared" / "data"
ZOOM_MAPS = "(zoom) => window.__flBrowserTest.maps.forEach((map) => map.setZoom(zoom, {animate: false}))"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def screenshot(
    html: Path,
    png: Path,
    *,
    min_maps: int = 1,
    clicks: Sequence[str] = (),
    zoom: float | None = None,
    full_page: bool = False,
    viewport: dict[str, int] = browser.VIEWPORT,
) -> Path:
    """Open a local HTML page offline, optionally zoom its Leaflet maps and click elements (CSS selectors, in
    order), and save a non-blank PNG screenshot, reduced to a 256-colour palette to keep the docs small.

    Parameters
    ----------
    html : Path
        The page (a map.html, a report.html, …).
    png : Path
        Where to save the screenshot.
    min_maps : int
        Leaflet maps to wait for before shooting (0 for a page without maps).
    clicks : sequence of str
        CSS selectors to click first, e.g. a tab of a report or a facility marker.
    zoom : float, optional
        Zoom level to set on every map of the page.
    full_page : bool
        The whole scrollable page instead of the viewport.
    viewport : dict
        ``width`` and ``height`` of the window, in CSS pixels.
    """
    chromium = browser.find_chromium()
    if chromium is None:
        sys.exit(f"Chromium not found: install Debian's chromium or set {browser.CHROMIUM_ENV}")
    with sync_playwright() as playwright:
        launched = browser.launch(playwright, chromium)
        with browser.offline_page(launched, viewport=viewport) as watched:
            browser.open_html(watched.page, html, min_maps=min_maps)
            if zoom is not None:
                watched.page.evaluate(ZOOM_MAPS, zoom)
            for selector in clicks:
                watched.page.locator(selector).first.click()
            watched.page.evaluate(browser.NEXT_FRAMES)
            browser.screenshot_not_blank(watched.page, png, full_page=full_page)
        launched.close()
    with Image.open(png) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(png, optimize=True)
    return png


def map_screenshots(scenario: Path, data_root: Path, out_dir: Path, *, zoom: float | None = None) -> list[Path]:
    """Run ``scenario`` into a temporary folder and save its map.html as seen on a laptop
    (``<scenario>_map.png``) and on a phone, panels folded as it opens (``<scenario>_map_phone.png``)."""
    from facility_layout.pipeline import run
    from facility_layout.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        out = run(load_scenario(scenario, data_root=data_root), out_dir=Path(tmp) / "out").out_dir
        return [
            screenshot(out / "map.html", out_dir / f"{scenario.stem}_map{suffix}.png", zoom=zoom, viewport=size)
            for suffix, size in (("", LAPTOP), ("_phone", PHONE))
        ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "ngazidja.yaml")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--zoom", type=float, help="zoom level of the map (default: the whole region)")
    parser.add_argument("--report", type=Path, help="a comparison report.html to save as compare_report.png")
    parser.add_argument("--click", action="append", default=[], help="CSS selector to click in the report first")
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args(argv)

    for png in map_screenshots(args.scenario, args.data_root, args.out_dir, zoom=args.zoom):
        print(f"{png} ({png.stat().st_size / 1000:.0f} kB)")
    if args.report:
        report = args.out_dir / "compare_report.png"
        png = screenshot(args.report, report, min_maps=0, clicks=args.click, full_page=True)
        print(f"{png} ({png.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
