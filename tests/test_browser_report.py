"""The comparison report in headless Chromium with the network off: tables, curves, linked maps, escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from browser import BrowserPage, open_html, screenshot_not_blank

# The maps show the same view (after any inertia of a drag has ended with its moveend).
SAME_VIEW = """() => {
    const [a, b] = window.reportMaps;
    return a.getZoom() === b.getZoom() && a.getCenter().equals(b.getCenter());
}"""
VIEW = "(i) => { const m = window.reportMaps[i]; const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]; }"


def open_report(page: BrowserPage, compared: tuple[Path, str]) -> Path:
    out = compared[0]
    open_html(page.page, out / "report.html", min_maps=2)
    return out


def layouts(out: Path) -> list[str]:
    """The layouts' names, as the headline CSV lists them (one row each)."""
    return pd.read_csv(out / "headline.csv")["scenario"].tolist()


def test_report_is_offline_error_free_and_not_blank(
    browser_page: BrowserPage, compared: tuple[Path, str], tmp_path: Path
) -> None:
    open_report(browser_page, compared)
    browser_page.assert_clean()
    assert all(url.startswith("file:") for url in browser_page.requests)
    screenshot_not_blank(browser_page.page, tmp_path / "report.png", full_page=True)


def test_tables_and_one_curve_per_layout(browser_page: BrowserPage, compared: tuple[Path, str]) -> None:
    out = open_report(browser_page, compared)
    page = browser_page.page
    assert len(layouts(out)) == 2 and all((out / name / "summary.json").is_file() for name in layouts(out))
    headline = page.locator("#headline-table")
    assert headline.is_visible()
    for layout in layouts(out):
        assert layout in headline.inner_text()
    for tier in ("village_clinic", "township_centre"):
        curves = page.locator(f"#chart-{tier} path.curve[data-layout]")
        assert curves.count() == len(layouts(out))
        assert all(curves.nth(k).is_visible() for k in range(curves.count()))
        box = page.locator(f"#chart-{tier}").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150
    changes = pd.read_csv(out / "changes.csv", keep_default_na=False)
    assert page.locator("#changes-table tr[data-site-id]").count() == len(changes)


def test_the_two_maps_pan_and_zoom_together(browser_page: BrowserPage, compared: tuple[Path, str]) -> None:
    open_report(browser_page, compared)
    page = browser_page.page
    assert page.evaluate("() => window.reportMaps.length") == 2
    start = page.evaluate(VIEW, 0)
    assert page.evaluate(VIEW, 1) == start
    # A real drag on the left map, then a zoom on the right one: each time the other follows.
    page.locator("#map-0").scroll_into_view_if_needed()
    box = page.locator("#map-0").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 60, steps=8)
    page.mouse.up()
    page.wait_for_function(SAME_VIEW, timeout=5_000)
    panned = page.evaluate(VIEW, 0)
    assert panned[:2] != start[:2]
    assert page.evaluate(VIEW, 1) == panned
    page.evaluate("() => { const m = window.reportMaps[1]; m.setZoom(m.getZoom() + 1, {animate: false}); }")
    page.wait_for_function(SAME_VIEW, timeout=5_000)
    zoomed = page.evaluate(VIEW, 1)
    assert zoomed[2] == panned[2] + 1
    assert page.evaluate(VIEW, 0) == zoomed
    browser_page.assert_clean()


def test_input_text_stays_text(browser_page: BrowserPage, compared: tuple[Path, str]) -> None:
    open_report(browser_page, compared)
    page = browser_page.page
    # The region's name and a scenario file named with markup, and a facility whose name closes a script.
    text = page.locator("body").inner_text()
    assert 'County <b>"bold"</b> & co' in text and "rainy<script>" in text
    assert page.locator("b", has_text="bold").count() == 0
    # Three scripts: Leaflet, the data, the maps — a name can add none, nor break the data out of its own.
    assert page.locator("script").count() == 3
    data = json.loads(page.locator("#report-data").inner_text())
    assert any("&lt;/script&gt;" in str(layout) for layout in data["maps"])
    browser_page.assert_clean()
