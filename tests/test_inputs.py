"""Reading real inputs (Mwali, from the shared data root) and the errors bad inputs give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely

from facility_layout.demand import demand_points
from facility_layout.errors import InputError
from facility_layout.inputs import read_raster, read_region
from facility_layout.scenario import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def mwali(shared_data: Path) -> Scenario:
    return load_scenario(REPO / "scenarios" / "mwali.yaml", shared_data)


@pytest.fixture(scope="module")
def mwali_region(mwali: Scenario):
    return read_region(mwali)


def with_inputs(scenario: Scenario, **changes: Path) -> Scenario:
    """The scenario with some input files replaced (keys as in Scenario.inputs)."""
    return scenario.model_copy(update={"inputs": scenario.inputs.model_copy(update=changes)})


def test_real_island_reads_in_utm_with_both_tiers(mwali_region) -> None:
    assert mwali_region.crs.to_epsg() == 32738  # picked from the data, not hard-coded
    tiers = mwali_region.facilities["tier"].value_counts()
    assert tiers["village_clinic"] == 6 and tiers["township_centre"] == 2  # per SOURCES.md (tier 3 left out)
    assert mwali_region.boundary.crs == mwali_region.crs
    assert not mwali_region.synthetic
    assert any("OpenStreetMap" in a for a in mwali_region.attribution)


def test_population_inside_boundary_and_rescaling(mwali: Scenario, mwali_region) -> None:
    raw = demand_points(mwali_region.population, mwali_region.boundary, mwali_region.crs, 400)
    # SOURCES.md: pixels whose centre is inside the boundary sum to 321,351 (the sea is nodata).
    assert raw.total == pytest.approx(321_351, rel=1e-4)
    scaled = demand_points(mwali_region.population, mwali_region.boundary, mwali_region.crs, 400, 63_385)
    assert scaled.total == pytest.approx(63_385)
    assert scaled.raw_total == pytest.approx(raw.total)
    np.testing.assert_allclose(scaled.population / raw.population, 63_385 / raw.total)
    # Demand points lie inside the island, and no cell holds more than the cell's pixels could.
    inside = mwali_region.boundary.union_all().buffer(300)
    assert shapely.contains_xy(inside, raw.x, raw.y).all()
    assert raw.population.max() <= 60.85 * (400 / 90) ** 2 * 1.5


def test_coarser_cells_keep_the_same_people(mwali_region) -> None:
    fine = demand_points(mwali_region.population, mwali_region.boundary, mwali_region.crs, 250)
    coarse = demand_points(mwali_region.population, mwali_region.boundary, mwali_region.crs, 2000)
    assert len(coarse) < len(fine)
    assert coarse.total == pytest.approx(fine.total)


def test_missing_file_names_key_and_fix(mwali: Scenario, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_region(with_inputs(mwali, population=tmp_path / "nope.tif"))
    assert err.value.field == "inputs.population"
    assert "does not exist" in str(err.value) and "--data-root" in str(err.value)


def test_unreadable_raster(mwali: Scenario, tmp_path: Path) -> None:
    bad = tmp_path / "population.tif"
    bad.write_text("this is not a GeoTIFF")
    with pytest.raises(InputError, match=r"inputs.population .*not a readable raster"):
        read_region(with_inputs(mwali, population=bad))


def test_raster_elsewhere_does_not_overlap(mwali: Scenario, tmp_path: Path) -> None:
    src = read_raster(mwali.inputs.elevation, "inputs.elevation")
    moved = tmp_path / "dem.tif"
    with rasterio.open(mwali.inputs.elevation) as ds:
        profile = ds.profile
    profile["transform"] = rasterio.Affine.translation(10.0, 0.0) @ src.transform  # 10° east, at sea
    with rasterio.open(moved, "w", **profile) as ds:
        ds.write(src.values.filled(0), 1)
    with pytest.raises(InputError, match=r"inputs.elevation .*does not overlap the region boundary"):
        read_region(with_inputs(mwali, elevation=moved))


def test_raster_without_crs(mwali: Scenario, tmp_path: Path) -> None:
    src = read_raster(mwali.inputs.elevation, "inputs.elevation")
    bare = tmp_path / "dem.tif"
    with rasterio.open(
        bare, "w", driver="GTiff", width=10, height=10, count=1, dtype="int16", transform=src.transform
    ) as ds:
        ds.write(np.zeros((1, 10, 10), dtype="int16"))
    with pytest.raises(InputError, match="has no coordinate reference system"):
        read_region(with_inputs(mwali, elevation=bare))


def test_geographic_crs_is_refused(mwali: Scenario) -> None:
    scenario = mwali.model_copy(update={"region": mwali.region.model_copy(update={"crs": "EPSG:4326"})})
    with pytest.raises(InputError, match=r"region.crs .*geographic"):
        read_region(scenario)


def test_wrong_tier_values(mwali: Scenario) -> None:
    spec = mwali.inputs.facilities
    tiers = spec.tiers.model_copy(update={"township_centre": [9]})
    scenario = with_inputs(mwali, facilities=spec.model_copy(update={"tiers": tiers}))
    with pytest.raises(InputError, match=r"tiers.township_centre.*values found: \['1', '2', '3'\]"):
        read_region(scenario)


def test_missing_attribute(mwali: Scenario) -> None:
    spec = mwali.inputs.facilities
    scenario = with_inputs(mwali, facilities=spec.model_copy(update={"tier_field": "level"}))
    with pytest.raises(InputError, match=r"inputs.facilities.tier_field .*no attribute 'level'.*tier_name"):
        read_region(scenario)


def test_roads_not_osm(mwali: Scenario, tmp_path: Path) -> None:
    bad = tmp_path / "roads.osm"
    bad.write_text("<html>not osm</html>")
    with pytest.raises(InputError, match=r"inputs.roads .*OSM XML"):
        read_region(with_inputs(mwali, roads=bad))
