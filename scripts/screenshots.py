"""Screenshots for the docs: the synthetic demo county's map, comparison report and brief, in English (default)
or Chinese; or, with ``--scenario``, a region of your own.

    .venv/bin/python scripts/screenshots.py                # docs/img/demo_*.png, from the demo only
    .venv/bin/python scripts/screenshots.py --demo zh-CN   # docs/img/zh_*.png, the same in Chinese
    .venv/bin/python scripts/screenshots.py --scenario my_county.yaml --zoom 11 [--report out/cmp/report.html]

``--demo LANG`` runs ``scenarios/demo.yaml`` and compares it with ``demo_rainy.yaml``, both in ``LANG``, into a
temporary folder (generated data only: nothing from a data folder is drawn), and saves the map on a laptop
and a phone, the report's top on a laptop and a phone, and the brief as rendered by ``pdftoppm``
(``<prefix>_map.png``, ``<prefix>_map_phone.png``, ``<prefix>_report.png``, ``<prefix>_report_phone.png``,
``<prefix>_brief.png``; prefix ``demo`` in English, ``zh`` in Chinese). Chromium finds the project's own CJK
font (Noto Sans CJK, the pip package the brief uses) through a fontconfig file written for the run, so the
Chinese shows on a machine without system CJK fonts.

``--scenario`` saves ``<scenario>_map.png`` and ``<scenario>_map_phone.png`` (and, with ``--report``,
``compare_report.png``) from your own data: pictures of data you may not redistribute must not be committed.

Pages open in headless Chromium exactly as the browser tests open them: offline, so the picture shows what
a planner without a connection sees (an online basemap stays blank). Needs the test extra (Playwright,
Pillow) and Debian's chromium, or ``$FACILITY_LAYOUT_CHROMIUM``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
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

ZOOM_MAPS = "(zoom) => window.__flBrowserTest.maps.forEach((map) => map.setZoom(zoom, {animate: false}))"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# File name prefix of the demo's pictures, per language.
DEMO_PREFIX = {"en": "demo", "zh-CN": "zh"}
OWN_DATA_NOTE = (
    "Note: these pictures show your own data; do not commit pictures of data you may not redistribute "
    "(the docs show the synthetic demo only: run without --scenario)."
)


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
    return _palette(png)


def _palette(png: Path) -> Path:
    """Reduce a PNG to a 256-colour palette, to keep the docs small."""
    with Image.open(png) as image:
        palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(png, optimize=True)
    return png


def use_project_cjk_font(folder: Path) -> None:
    """Let Chromium (started after this, in this process's environment) find the CJK font installed with the
    project: a fontconfig file in ``folder`` that adds the font's directory to the system's configuration."""
    import noto_cjk_sans_otc

    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{Path(noto_cjk_sans_otc.FONT_PATH).parent}</dir>\n"
        f"  <cachedir>{folder / 'fontconfig-cache'}</cachedir>\n</fontconfig>\n",
        encoding="utf-8",
    )
    os.environ["FONTCONFIG_FILE"] = str(conf)


def brief_png(pdf: Path, png: Path, dpi: int = 110) -> Path:
    """The first page of a PDF as a PNG (``pdftoppm``, poppler-utils), reduced to 256 colours."""
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf), str(png.with_suffix(""))], check=True)
    _palette(png)
    return png


def demo_screenshots(out_dir: Path, language: str) -> list[Path]:
    """The demo county and its comparison with the rainy season in ``language``: ``<prefix>_map.png``,
    ``<prefix>_map_phone.png``, ``<prefix>_report.png``, ``<prefix>_report_phone.png`` and
    ``<prefix>_brief.png`` in ``out_dir``, the prefix from :data:`DEMO_PREFIX`."""
    from facility_layout.compare import compare
    from facility_layout.pipeline import run
    from facility_layout.scenario import load_scenario

    prefix = DEMO_PREFIX[language]
    scenarios = REPO / "scenarios"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        use_project_cjk_font(folder)
        data = folder / "data"
        demo = load_scenario(scenarios / "demo.yaml", data_root=data).in_language(language)
        out = run(demo, out_dir=folder / "run").out_dir
        compared = folder / "compare"
        compare([scenarios / "demo.yaml", scenarios / "demo_rainy.yaml"], compared, data_root=data, language=language)
        shots = [
            screenshot(page, out_dir / f"{prefix}_{name}{suffix}.png", min_maps=maps, viewport=size)
            for page, name, maps in ((out / "map.html", "map", 1), (compared / "report.html", "report", 2))
            for suffix, size in (("", LAPTOP), ("_phone", PHONE))
        ]
        return [*shots, brief_png(out / "brief.pdf", out_dir / f"{prefix}_brief.png")]


def map_screenshots(scenario: Path, data_root: Path | None, out_dir: Path, *, zoom: float | None = None) -> list[Path]:
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
    parser.add_argument("--demo", choices=sorted(DEMO_PREFIX), help="the synthetic demo in this language (default: en)")
    parser.add_argument("--scenario", type=Path, help="your own region, not the demo (do not commit its pictures)")
    parser.add_argument("--data-root", type=Path, help="data folder of --scenario (default: as the CLI finds it)")
    parser.add_argument("--zoom", type=float, help="zoom level of the --scenario map (default: the whole region)")
    parser.add_argument("--report", type=Path, help="a comparison report.html to save as compare_report.png")
    parser.add_argument("--click", action="append", default=[], help="CSS selector to click in the report first")
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args(argv)
    own = args.scenario is not None or args.report is not None
    if own and args.demo:
        parser.error("--demo draws the synthetic demo only: leave out --scenario and --report, or --demo")

    if not own:
        pngs = demo_screenshots(args.out_dir, args.demo or "en")
    else:
        print(OWN_DATA_NOTE)
        pngs = []
        if args.scenario is not None:
            pngs += map_screenshots(args.scenario, args.data_root, args.out_dir, zoom=args.zoom)
        if args.report is not None:
            report = args.out_dir / "compare_report.png"
            pngs.append(screenshot(args.report, report, min_maps=0, clicks=args.click, full_page=True))
    for png in pngs:
        print(f"{png} ({png.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
