"""Bad input ends with one paragraph naming file, key, value and fix, and leaves no output folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import rasterio
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.synthetic import generate_region

from conftest import scenario_on_region

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def region(small_county: Path) -> Path:
    """The small generated county the bad scenarios start from."""
    return small_county


def scenario(tmp_path: Path, region: Path, edit=lambda raw: None) -> Path:
    """The demo scenario pointed at ``region``, with ``edit``."""
    return scenario_on_region(region, tmp_path / "bad.yaml", tmp_path / "out" / "run", edit)


def fails(tmp_path: Path, path: Path, *expected: str, code: int = 2) -> str:
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == code, result.output
    message = " ".join(result.output.split())  # rich wraps long lines
    for text in expected:
        assert text in message, message
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return message


def test_good_scenario_runs(tmp_path: Path, region: Path) -> None:
    result = runner.invoke(app, ["run", str(scenario(tmp_path, region))])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "run" / "summary.json").is_file()


def test_missing_file(tmp_path: Path, region: Path) -> None:
    path = scenario(tmp_path, region, lambda raw: raw["inputs"].__setitem__("roads", str(tmp_path / "x.osm")))
    fails(tmp_path, path, "inputs.roads", "x.osm", "does not exist", "Fix:")


def test_unreadable_raster(tmp_path: Path, region: Path) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"\x00" * 100)
    path = scenario(tmp_path, region, lambda raw: raw["inputs"].__setitem__("population", str(junk)))
    fails(tmp_path, path, "inputs.population", "junk.tif", "not a readable raster", "Fix:")


def test_raster_not_overlapping(tmp_path: Path, region: Path) -> None:
    moved = tmp_path / "dem.tif"
    with rasterio.open(region / "dem.tif") as src:
        profile, values = src.profile, src.read(1)
    profile["transform"] = rasterio.Affine.translation(0.0, 30.0) @ profile["transform"]
    with rasterio.open(moved, "w", **profile) as dst:
        dst.write(values, 1)
    path = scenario(tmp_path, region, lambda raw: raw["inputs"].__setitem__("elevation", str(moved)))
    fails(tmp_path, path, "inputs.elevation", "does not overlap the region boundary", "Fix:")


def test_crs_mismatch(tmp_path: Path, region: Path) -> None:
    path = scenario(tmp_path, region, lambda raw: raw["region"].__setitem__("crs", "EPSG:4326"))
    fails(tmp_path, path, "region.crs", "EPSG:4326", "geographic", "Fix:")


def test_raster_without_crs(tmp_path: Path, region: Path) -> None:
    bare = tmp_path / "pop.tif"
    with rasterio.open(region / "population.tif") as src:
        profile, values = src.profile, src.read(1)
    profile.pop("crs")
    with rasterio.open(bare, "w", **profile) as dst:
        dst.write(values, 1)
    path = scenario(tmp_path, region, lambda raw: raw["inputs"].__setitem__("population", str(bare)))
    fails(tmp_path, path, "inputs.population", "no coordinate reference system", "Fix:")


def test_unknown_key(tmp_path: Path, region: Path) -> None:
    path = scenario(tmp_path, region, lambda raw: raw["tiers"]["township_centre"].__setitem__("central_cont", 2))
    fails(tmp_path, path, "tiers.township_centre.central_cont", "did you mean `central_count`")


def test_negative_minutes(tmp_path: Path, region: Path) -> None:
    path = scenario(tmp_path, region, lambda raw: raw["tiers"]["village_clinic"].__setitem__("max_travel_minutes", -30))
    fails(tmp_path, path, "tiers.village_clinic.max_travel_minutes", "-30", "greater than 0")


def test_solver_not_installed(tmp_path: Path, region: Path) -> None:
    """With highspy absent from the environment (shadowed by a package that fails to import)."""
    shadow = tmp_path / "shadow" / "highspy"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('highspy is not installed here')\n")
    path = scenario(tmp_path, region, lambda raw: raw["solver"].__setitem__("name", "highs"))
    exe = Path(sys.executable).with_name("facility-layout")
    env = {**os.environ, "PYTHONPATH": str(shadow.parent), "COLUMNS": "200"}
    for command in ("validate", "run"):
        done = subprocess.run([str(exe), command, str(path)], capture_output=True, text=True, env=env)
        message = " ".join(done.stderr.split())
        assert done.returncode in (2, 3), done.stderr
        assert "solver.name" in message and "highs" in message and "Fix:" in message, message
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo-size county: large enough that no solver finds a layout in a millisecond (the 10×8 km
    region's model is solved by CBC's presolve alone)."""
    folder = tmp_path_factory.mktemp("data") / "county"
    generate_region(folder, seed=7, width_km=30, height_km=24, population_total=120_000)
    return folder


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_time_limit_without_a_layout(tmp_path: Path, county: Path, solver: str) -> None:
    """A millisecond is too short for either solver to find any layout: exit 3, nothing written."""

    def edit(raw: dict) -> None:
        raw["solver"].update(name=solver, time_limit_s=0.001)
        # A harder model than the default: clinics reached by road, most people reached for a tight budget.
        raw["travel"]["modes"] = {"village_clinic": "motor"}
        raw["tiers"]["village_clinic"]["max_travel_minutes"] = 60
        raw["objective"] = {"type": "max_coverage", "budget": 60}

    path = scenario(tmp_path, county, edit)
    fails(tmp_path, path, "solver.time_limit_s", "no feasible layout within 0.001 s", "Fix:", code=3)


def test_output_folder_is_untouched_by_a_failed_run(tmp_path: Path, region: Path) -> None:
    good = scenario(tmp_path, region)
    assert runner.invoke(app, ["run", str(good)]).exit_code == 0
    before = (tmp_path / "out" / "run" / "summary.json").read_bytes()
    bad = scenario(tmp_path, region, lambda raw: raw["inputs"].__setitem__("roads", str(tmp_path / "gone.osm")))
    assert runner.invoke(app, ["run", str(bad)]).exit_code == 2
    assert (tmp_path / "out" / "run" / "summary.json").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["run"]
