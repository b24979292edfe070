"""A region without a DEM or without settlements: flat terrain, census villages as places, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from typer.testing import CliRunner

from facility_layout.cli import app
from tests.conftest import scenario_on_region


def run_cli(path: Path, out: Path) -> tuple[dict, gpd.GeoDataFrame]:
    """Run the scenario through the CLI; its summary and its demand layer."""
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text()), gpd.read_file(out / "layout.gpkg", layer="demand")


def test_without_a_dem_travel_is_as_flat_travel_on_any_dem(small_county: Path, tmp_path: Path) -> None:
    def no_dem(raw: dict) -> None:
        raw["inputs"].pop("elevation")

    def flat(raw: dict) -> None:
        raw["travel"]["walking_slope"] = "flat"
        raw["travel"]["motor_slope_penalty"] = None

    bare, bare_demand = run_cli(
        scenario_on_region(small_county, tmp_path / "bare.yaml", tmp_path / "bare", no_dem), tmp_path / "bare"
    )
    level, level_demand = run_cli(
        scenario_on_region(small_county, tmp_path / "flat.yaml", tmp_path / "flat", flat), tmp_path / "flat"
    )
    assert bare["travel"]["walking"] == "flat (no DEM given)" and level["travel"]["walking"] == "flat"
    assert any(w.startswith("inputs.elevation: no DEM given") for w in bare["warnings"])
    # Flat travel is flat travel whatever the DEM: the same minutes, the same layout, the same figures.
    for column in ("clinic_minutes", "centre_minutes"):
        np.testing.assert_allclose(bare_demand[column], level_demand[column], rtol=1e-9, atol=1e-6)
    assert bare["population_covered"] == pytest.approx(level["population_covered"])
    assert bare["facilities"] == level["facilities"]
    # Only what the DEM itself gives differs: elevations, unknown without it.
    assert bare_demand["elevation_m"].isna().all() and level_demand["elevation_m"].notna().any()


def test_a_merge_rule_without_villages_is_refused(small_county: Path, tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["inputs"].pop("settlements")
        raw["tiers"]["village_clinic"]["merge_rule"] = {"max_added_minutes": 10}

    path = scenario_on_region(small_county, tmp_path / "merge.yaml", tmp_path / "out", edit)
    for command in ("validate", "run"):
        result = CliRunner().invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "tiers.village_clinic.merge_rule" in text and "inputs.settlements" in text
        assert "Traceback" not in text
    assert not (tmp_path / "out").exists()


def test_without_settlements_no_settlement_is_a_candidate(small_county: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary, _ = run_cli(
        scenario_on_region(small_county, tmp_path / "s.yaml", out, lambda raw: raw["inputs"].pop("settlements")), out
    )
    assert any(w.startswith("inputs.settlements: none given") for w in summary["warnings"])
    sites = gpd.read_file(out / "layout.gpkg", layer="facilities")
    assert not sites["site_id"].str.startswith("new-").any()
