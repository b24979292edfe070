"""``index.html`` of a partitioned run in the scenario's language: the small county's townships as counties
(split for real), the figures of a summary with one county failed, the page read back."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from test_zh_outputs import ALLOWED, english_words

from facility_layout.i18n import translator
from facility_layout.partition import split_counties
from facility_layout.province_page import overview_page
from facility_layout.scenario import load_scenario

from conftest import scenario_on_region


def _figures(counties: list) -> dict:
    """A province summary as province_summary writes it: every county done but the last, which failed."""
    entries = []
    for k, county in enumerate(counties):
        if k == len(counties) - 1:
            entries.append({"name": county.name, "status": "failed", "message": "", "seconds": 1.0})
            continue
        entries.append(
            {
                "name": county.name,
                "status": "done",
                "map": f"counties/{county.slug}/map.html",
                "population_total": 1000.0 * (k + 1),
                "population_covered": {"village_clinic": 900.0 * (k + 1), "township_centre": 1000.0 * (k + 1)},
                "facilities": {"village_clinic": {"keep": 3, "close": 1, "build": 2}},
                "cost": 12.5,
                "message": "",
            }
        )
    done = entries[:-1]
    return {
        "counties": entries,
        "population_total": sum(e["population_total"] for e in done),
        "population_covered": {"village_clinic": sum(e["population_covered"]["village_clinic"] for e in done)},
        "counties_included": [e["name"] for e in done],
        "counties_failed": [entries[-1]["name"]],
    }


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_overview_page_speaks_the_scenarios_language(small_county: Path, tmp_path: Path, language: str) -> None:
    def edit(raw: dict) -> None:
        raw["region"]["partition"] = {"by": "admin_areas", "halo_km": 0}
        raw["outputs"]["language"] = language
        raw["cache"] = {"dir": str(tmp_path / "cache")}

    scenario = load_scenario(scenario_on_region(small_county, tmp_path / "p.yaml", tmp_path / "out", edit))
    counties = split_counties(scenario)
    assert len(counties) >= 2
    figures = _figures(counties)
    page = overview_page(scenario, counties, figures)
    _ = translator(language)
    visible = html.unescape(
        re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S))
    )
    data = json.loads(re.search(r'<script type="application/json" id="counties">(.*?)</script>', page, re.S).group(1))
    words = [f["properties"]["words"] for f in data["features"]]
    # The headline's figures, recomputed here: people within the standard over the completed counties.
    total, within = figures["population_total"], figures["population_covered"]["village_clinic"]
    assert _.people(within) in visible and _.people(total) in visible and _.percent(within / total) in visible
    assert words[0] == _("{share} within the standard", share=_.percent(0.9)) and words[-1] == _("failed")
    assert [f["properties"]["colour"] for f in data["features"]][-1] == "#999999"
    assert f'<html lang="{language}">' in page
    names = set(re.findall("[A-Za-z]{2,}", " ".join([scenario.region.name, *(c.name for c in counties)])))
    if language == "zh-CN":
        assert english_words(visible + " ".join(words), ALLOWED | names) == set()
        assert "各县" in visible and "失败" in visible
    else:
        assert "counties that completed" in visible and "Failed:" in visible
