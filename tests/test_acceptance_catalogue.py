"""Acceptance re-run of the issue 13-15 catalogues with variants the other tests do not name.

Each test reproduces a defect found by trying the CLI as a hostile but fair user would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input import demo_raw, refused, with_raw_value


@pytest.mark.parametrize(
    ("key", "text", "allowed"),
    [
        # 1e-300 m cells overflowed the cell index: the whole region became one demand cell, cost 0, exit 0.
        ("population.cell_size_m", "1e-300", "≥ 1"),
        ("population.cell_size_m", "0.5", "≥ 1"),
        # A walking speed of 1e-300 km/h ran with "0 m walked within the standard" and nobody coverable.
        ("travel.walking_speed_kmh", "1e-300", "≥ 0.5"),
    ],
)
def test_absurdly_small_positive_settings_are_refused(tmp_path: Path, key: str, text: str, allowed: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), key, text), encoding="utf-8")
    refused(tmp_path, path, str(path), f"`{key}`", allowed, "Fix: write")


def test_a_cache_entry_of_another_region_is_recomputed_not_a_traceback(tmp_path: Path, small_county: Path) -> None:
    """A readable cache file with another run's matrices (copied between machines, or restored from a backup
    under the wrong name) crashed the solve stage with a ValueError traceback; it is an unreadable entry."""
    from test_travel_stage import run_summary, write_scenario

    path = write_scenario(tmp_path, small_county)
    first = run_summary(path)
    (entry,) = (tmp_path / "cache").glob("travel-*.npz")
    coarser = write_scenario(
        tmp_path, small_county, lambda raw: raw["population"].update(cell_size_m=1000), name="coarse.yaml"
    )
    run_summary(coarser)
    (other,) = set((tmp_path / "cache").glob("travel-*.npz")) - {entry}
    entry.write_bytes(other.read_bytes())
    again = run_summary(path)
    assert again["travel"]["cache"] == "recomputed (unreadable entry)"
    assert again["travel_pairs"] == first["travel_pairs"]
    assert again["population_covered"] == first["population_covered"]


def test_init_on_a_boundary_file_of_several_counties_picks_one(tmp_path: Path) -> None:
    """A prefecture's county file (several polygons): `init` named the region after the first county but
    planned the union of all of them, saying nothing; now it writes a `filter` for that county, marked GUESS,
    and lists the others."""
    import geopandas as gpd
    import yaml
    from shapely.geometry import box

    from facility_layout.init_scenario import init_folder

    counties = gpd.GeoDataFrame(
        {"名称": ["某某县", "邻县", "远县"]},
        geometry=[box(104.0, 26.0, 104.1, 26.1), box(104.1, 26.0, 104.2, 26.1), box(104.2, 26.0, 104.3, 26.1)],
        crs="EPSG:4326",
    )
    counties.to_file(tmp_path / "县界.shp", encoding="gbk")
    (tmp_path / "县界.cpg").unlink()
    path, guess = init_folder(tmp_path)
    text = path.read_text(encoding="utf-8")
    boundary = yaml.safe_load(text)["region"]["boundary"]
    assert boundary["filter"] == {"名称": "某某县"}
    assert "邻县" in text and "远县" in text  # the other counties are named, so the planner can pick one
    assert any("filter" in line for line in guess.report)
