"""Who loses access under a scenario's conditions, and every layout under every scenario's conditions.

Independent truths: the runs' own travel matrices read densely with plain numpy; harsher conditions only
lengthen trips, so a layout can only lose people to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from facility_layout.cross_conditions import cross_conditions
from facility_layout.pipeline import RunResult, run
from facility_layout.scenario import load_scenario

from conftest import REPO, scenario_on_region


@dataclass(frozen=True)
class Pair:
    dry: RunResult
    rainy: RunResult


@pytest.fixture(scope="module")
def pair(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    folder = tmp_path_factory.mktemp("access")
    dry = scenario_on_region(small_county, folder / "dry.yaml", folder / "dry_out")
    rainy = folder / "rainy.yaml"
    rainy.write_text(
        yaml.safe_dump(
            {"extends": "dry.yaml", "travel": {"conditions": ["rainy_season"]}, "outputs": {"dir": str(folder / "r")}}
        )
    )
    return Pair(run(load_scenario(dry)), run(load_scenario(rainy)))


def covered(result: RunResult, open_sites: np.ndarray, standard: float) -> np.ndarray:
    assert result.model is not None
    return (result.model.demand_to_site.to_dense()[:, open_sites] <= standard).any(axis=1)


def test_losing_access_is_within_the_standard_without_the_conditions_and_not_with_them(pair: Pair) -> None:
    model = pair.rainy.model
    assert model is not None and pair.rainy.result is not None and pair.dry.model is not None
    open_sites = pair.rainy.result.open_sites
    standard = model.max_travel_minutes
    people = model.population
    lost = covered(pair.dry, open_sites, standard) & ~covered(pair.rainy, open_sites, standard)
    access = pair.rainy.summary["access"]
    assert access["losing_access"]["village_clinic"] == pytest.approx(people[lost].sum(), abs=0.01)
    centre_standard = model.centre_max_travel_minutes
    centre_dry = (pair.dry.model.demand_to_centre.to_dense() <= centre_standard).any(axis=1)
    centre_rainy = (model.demand_to_centre.to_dense() <= centre_standard).any(axis=1)
    assert access["losing_access"]["township_centre"] == pytest.approx(
        people[centre_dry & ~centre_rainy].sum(), abs=0.01
    )
    assert pair.dry.summary["access"]["losing_access"] is None  # no conditions: nobody loses access to them


def test_cut_off_means_no_facility_of_any_tier_reachable(pair: Pair) -> None:
    for result in (pair.dry, pair.rainy):
        assert result.model is not None and result.result is not None
        demand = pd.read_csv(result.out_dir / "demand.csv")
        any_clinic = np.isfinite(result.model.demand_to_site.to_dense()[:, result.result.open_sites]).any(axis=1)
        any_centre = np.isfinite(result.model.demand_to_centre.to_dense()).any(axis=1)
        np.testing.assert_array_equal(demand["cut_off"].to_numpy(), ~any_clinic & ~any_centre)
        cut = demand["cut_off"].to_numpy()
        assert demand.loc[cut, ["clinic_minutes", "centre_minutes"]].isna().all().all()
        assert result.summary["travel"]["cut_off"]["population"] == pytest.approx(
            demand.loc[cut, "population"].sum(),
            abs=0.01 + 0.005 * cut.sum(),  # the CSV rounds each cell
        )


def test_cross_conditions_two_by_two(pair: Pair) -> None:
    table = cross_conditions({"dry": pair.dry, "rainy": pair.rainy}).set_index(["layout", "conditions_of"])
    assert len(table) == 4
    for name, result in (("dry", pair.dry), ("rainy", pair.rainy)):
        own = table.loc[(name, name)]
        for tier in ("village_clinic", "township_centre"):
            assert own[f"population_covered_{tier}"] == result.summary["population_covered"][tier]
        assert own["people_losing_access"] == 0 and own["cost"] == result.summary["cost"]
    dry_in_rain, dry_at_home = table.loc[("dry", "rainy")], table.loc[("dry", "dry")]
    assert dry_in_rain["population_covered_village_clinic"] <= dry_at_home["population_covered_village_clinic"]
    # Rain only lengthens trips: every person the dry plan stops serving is one who loses access, and no one gains.
    assert dry_in_rain["people_losing_access"] == pytest.approx(
        dry_at_home["population_covered_village_clinic"] - dry_in_rain["population_covered_village_clinic"], abs=0.05
    )
    # Independent: the dry plan's sites on the rainy run's matrix.
    assert pair.dry.result is not None and pair.rainy.model is not None
    people = np.round(pair.rainy.model.population, 2)
    expected = people[covered(pair.rainy, pair.dry.result.open_sites, pair.rainy.model.max_travel_minutes)].sum()
    assert dry_in_rain["population_covered_village_clinic"] == pytest.approx(expected, abs=0.01)
    for row in table.itertuples():
        total = row.population_covered_village_clinic + row.people_beyond_clinic_standard + row.uncoverable
        assert total == pytest.approx(row.population_total, abs=0.05)


def test_compare_writes_cross_conditions_and_reasons_for_every_changed_site(compared: tuple[Path, str]) -> None:
    out, _ = compared
    cross = pd.read_csv(out / "cross_conditions.csv")
    needed = {
        "layout",
        "conditions_of",
        "population_covered_village_clinic",
        "population_covered_township_centre",
        "people_losing_access",
    }
    assert needed <= set(cross.columns) and len(cross) == 4
    changes = pd.read_csv(out / "changes.csv", keep_default_na=False)
    reasons = changes.filter(like="reason: ")
    assert not (reasons == "").any().any()
    not_built = changes.filter(like="decision: ") == "not built"
    assert all(
        reason.startswith("not built")
        for column in not_built
        for reason in changes.loc[not_built[column], column.replace("decision", "reason")]
    )
    report = (out / "report.html").read_text()
    assert 'id="cross-table"' in report and 'id="cross-verdict"' in report
    assert "data-today=" in report  # today's column in the headline table


@pytest.mark.real_data
def test_ngazidja_rainy_cuts_off_only_cells_no_facility_reaches(shared_data: Path, tmp_path: Path) -> None:
    result = run(load_scenario(REPO / "scenarios" / "ngazidja_rainy.yaml", shared_data), tmp_path / "out")
    assert result.model is not None and result.result is not None
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    cut = demand["cut_off"].to_numpy()
    assert cut.any()
    assert demand.loc[cut, ["clinic_minutes", "centre_minutes"]].isna().all().all()
    any_clinic = np.isfinite(result.model.demand_to_site.to_dense()[:, result.result.open_sites]).any(axis=1)
    any_centre = np.isfinite(result.model.demand_to_centre.to_dense()).any(axis=1)
    np.testing.assert_array_equal(cut, ~any_clinic & ~any_centre)
    # The cell: 7.9 min from a township centre, so not cut off.
    cell = demand.set_index("cell_id").loc["c10_28"]
    assert np.isfinite(cell["centre_minutes"]) and not cell["cut_off"]
