"""Today's baseline in every run, hand-edited layouts (`evaluate`), and sites forced open or closed.

Independent truths: today's figures are recomputed here with plain numpy from the run's travel matrices;
an unedited facilities.csv must reproduce the run's own figures; closing a clinic can never add coverage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.errors import InputError
from facility_layout.given_layout import broken_rules, read_given_layout
from facility_layout.pipeline import RunResult, run
from facility_layout.scenario import load_scenario

from conftest import scenario_on_region

runner = CliRunner()
HEADLINE = ("population_covered", "travel_minutes", "facilities", "cost", "population_uncoverable")


@dataclass(frozen=True)
class CountyRun:
    scenario: Path
    run: RunResult


@pytest.fixture(scope="module")
def county_run(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> CountyRun:
    folder = tmp_path_factory.mktemp("today")
    scenario = scenario_on_region(small_county, folder / "county.yaml", folder / "out")
    return CountyRun(scenario, run(load_scenario(scenario)))


def test_today_equals_an_independent_evaluation_of_the_existing_facilities(county_run: CountyRun) -> None:
    result = county_run.run
    model, summary = result.model, result.summary
    assert model is not None and result.sites is not None
    scenario = load_scenario(county_run.scenario)
    standard = scenario.tiers.village_clinic.max_travel_minutes
    people = model.population
    minutes = model.demand_to_site.to_dense()  # the run's own matrix: np.inf beyond what it computed
    existing = np.array([kind != "candidate" for kind in result.sites.kind])
    nearest = minutes[:, existing].min(axis=1)
    covered = nearest <= standard
    today = summary["today"]
    assert today["population_covered"]["village_clinic"] == pytest.approx(people[covered].sum(), rel=1e-5)
    assert today["travel_minutes"]["village_clinic"]["mean"] == pytest.approx(
        np.average(nearest[covered], weights=people[covered]), abs=0.01
    )
    centre = model.demand_to_centre.to_dense().min(axis=1)
    within_centre = centre <= scenario.tiers.township_centre.max_travel_minutes
    assert today["population_covered"]["township_centre"] == pytest.approx(people[within_centre].sum(), rel=1e-5)
    clinics = int(np.sum(result.sites.kind == "existing_clinic"))
    assert today["facilities"]["village_clinic"] == {"keep": clinics, "close": 0, "build": 0}
    assert today["facilities"]["township_centre"]["upgrade"] == 0
    assert today["cost"] == pytest.approx(clinics * scenario.tiers.village_clinic.keep_cost)
    # change = proposal − today
    assert summary["change"]["population_covered"]["village_clinic"] == pytest.approx(
        summary["population_covered"]["village_clinic"] - today["population_covered"]["village_clinic"], abs=0.02
    )
    assert summary["change"]["cost"] == pytest.approx(summary["cost"] - today["cost"])
    # demand.csv: today's minutes per cell, NaN beyond the standard
    demand = pd.read_csv(result.out_dir / "demand.csv")
    expected = np.where(covered, np.round(nearest, 2), np.nan)
    np.testing.assert_allclose(demand["clinic_minutes_today"].to_numpy(), expected, atol=0.006)


def test_evaluate_an_unedited_layout_reproduces_the_run(county_run: CountyRun, tmp_path: Path) -> None:
    out = tmp_path / "evaluated"
    layout = county_run.run.out_dir / "facilities.csv"
    done = runner.invoke(app, ["evaluate", str(county_run.scenario), "--layout", str(layout), "--out", str(out)])
    assert done.exit_code == 0, done.output
    evaluated = json.loads((out / "summary.json").read_text())
    for key in (*HEADLINE, "today", "change", "access", "referral_violations"):
        assert evaluated[key] == county_run.run.summary[key], key
    assert evaluated["solver"]["status"] == "given"
    assert "evaluated, not optimised" in done.output
    same = pd.read_csv(out / "facilities.csv")[["site_id", "decision", "population_served"]]
    run_facilities = pd.read_csv(layout)[["site_id", "decision", "population_served"]]
    pd.testing.assert_frame_equal(same, run_facilities)


def test_a_layout_saved_by_a_spreadsheet_reads_the_same(county_run: CountyRun, tmp_path: Path) -> None:
    """Excel in China: GBK text, semicolons, CRLF, a byte-order mark for UTF-8."""
    sites = county_run.run.sites
    assert sites is not None
    frame = pd.read_csv(county_run.run.out_dir / "facilities.csv", dtype=str)
    plain = read_given_layout(county_run.run.out_dir / "facilities.csv", sites)
    for encoding in ("gbk", "utf-8-sig", "utf-16"):
        path = tmp_path / f"layout_{encoding}.csv"
        text = frame.assign(name=frame["name"] + " 卫生室").to_csv(sep=";", index=False, lineterminator="\r\n")
        path.write_bytes(text.encode(encoding))
        read = read_given_layout(path, sites)
        np.testing.assert_array_equal(read.open_sites, plain.open_sites)
        np.testing.assert_array_equal(read.central, plain.central)


def test_bad_layout_rows_are_named_by_row_number(county_run: CountyRun, tmp_path: Path) -> None:
    sites = county_run.run.sites
    assert sites is not None
    frame = pd.read_csv(county_run.run.out_dir / "facilities.csv", dtype=str)
    clinic = frame.index[frame["tier"] == "village_clinic"][0]
    frame.loc[clinic, "decision"] = "maybe"
    frame = pd.concat([frame, frame.iloc[:1].assign(site_id="NO-SUCH-SITE")], ignore_index=True)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as error:
        read_given_layout(path, sites)
    message = str(error.value)
    assert f"row {clinic + 2}" in message and "'maybe'" in message
    assert f"row {len(frame) + 1}" in message and "NO-SUCH-SITE" in message
    assert str(path) in message
    done = runner.invoke(app, ["evaluate", str(county_run.scenario), "--layout", str(path)])
    assert done.exit_code == 2 and "Traceback" not in done.output


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(min_value=0, max_value=10_000))
def test_closing_one_clinic_by_hand_never_increases_coverage(county_run: CountyRun, tmp_path: Path, pick: int) -> None:
    result, model = county_run.run, county_run.run.model
    assert result.sites is not None and model is not None and result.result is not None
    frame = pd.read_csv(result.out_dir / "facilities.csv", dtype=str)
    open_clinics = frame.index[(frame["tier"] == "village_clinic") & frame["decision"].isin(["keep", "build"])]
    row = open_clinics[pick % len(open_clinics)]
    frame.loc[row, "decision"] = "close" if frame.loc[row, "origin"] == "existing" else "not built"
    path = tmp_path / f"closed_{pick}.csv"
    frame.to_csv(path, index=False)
    layout = read_given_layout(path, result.sites)
    assert layout.open_sites.sum() == result.result.open_sites.sum() - 1
    edited = model.result_given(layout.open_sites, layout.central, result.result.report)
    people = model.population
    assert people[edited.assignment >= 0].sum() <= people[result.result.assignment >= 0].sum() + 1e-9
    # every person the edited layout covers, the run's layout covers too (a subset of open sites)
    assert not np.any((edited.assignment >= 0) & (result.result.assignment < 0))


def test_required_and_forbidden_sites_are_obeyed(county_run: CountyRun, tmp_path: Path) -> None:
    facilities = pd.read_csv(county_run.run.out_dir / "facilities.csv", dtype=str)
    clinics = facilities[(facilities["tier"] == "village_clinic") & (facilities["origin"] == "existing")]
    kept = clinics.loc[clinics["decision"] == "keep", "site_id"].iloc[0]
    ids = tmp_path / "forbidden.csv"
    ids.write_text(f"site_id;note\r\n{kept};closed for repairs\r\n", encoding="utf-8-sig")
    raw = yaml.safe_load(county_run.scenario.read_text())
    raw["tiers"]["village_clinic"]["remote_keep_minutes"] = None  # else the rule may keep the clinic anyway
    raw["sites"] = {"forbidden": str(ids)}
    raw["outputs"]["dir"] = str(tmp_path / "forbidden_out")
    scenario = tmp_path / "forbidden.yaml"
    scenario.write_text(yaml.safe_dump(raw))
    done = run(load_scenario(scenario))
    after = pd.read_csv(done.out_dir / "facilities.csv", dtype=str).set_index("site_id")
    assert after.loc[kept, "decision"] == "close"
    assert after.loc[kept, "reason"].startswith("forbidden by sites.forbidden; closed")

    raw["sites"] = {"required": [kept, "NOPE-1"]}
    scenario.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError) as error:
        run(load_scenario(scenario))
    assert "'NOPE-1'" in str(error.value) and "sites.required" in str(error.value)
    assert str(scenario) in str(error.value)


def test_evaluate_lists_the_remote_keep_and_central_count_rules_a_layout_breaks(
    county_run: CountyRun, tmp_path: Path
) -> None:
    result, model = county_run.run, county_run.run.model
    assert result.sites is not None and model is not None and model.remote_keep_minutes is not None
    frame = pd.read_csv(result.out_dir / "facilities.csv", dtype=str)
    keep_minutes = model.remote_keep_minutes
    dense = model.demand_to_site.to_dense()
    existing = np.array([kind != "candidate" for kind in result.sites.kind])
    # Protected today: the nearest existing facility is a village clinic within the remote-keep limit.
    nearest = np.where(existing, dense, np.inf).argmin(axis=1)
    protected = (dense[np.arange(len(dense)), nearest] <= keep_minutes) & (
        result.sites.kind[nearest] == "existing_clinic"
    )
    kept = frame.index[
        (frame["origin"] == "existing") & (frame["tier"] == "village_clinic") & (frame["decision"] == "keep")
    ]
    breaches = 0
    for row in kept:
        edited = frame.copy()
        edited.loc[row, "decision"] = "close"
        upgraded = edited.index[edited["decision"] == "upgrade"]
        edited.loc[upgraded[:1], "decision"] = "keep"  # one central centre fewer than central_count
        path = tmp_path / f"edited_{row}.csv"
        edited.to_csv(path, index=False)
        layout = read_given_layout(path, result.sites)
        evaluated = model.result_given(layout.open_sites, layout.central, result.result.report)
        rules = {rule["rule"]: rule for rule in broken_rules(model, evaluated, result.sites.site_id)}
        stranded = protected & ~(dense[:, layout.open_sites] <= keep_minutes).any(axis=1)
        if stranded.any():
            breaches += 1
            assert rules["remote_keep"]["people"] == pytest.approx(model.population[stranded].sum(), abs=0.01)
            assert frame.loc[row, "site_id"] in rules["remote_keep"]["sites"]
        else:
            assert "remote_keep" not in rules
        if len(upgraded):
            assert rules["central_count"]["words"].startswith(f"{len(upgraded) - 1} township centres upgraded")
    assert breaches  # the small county has clinics the remote-keep rule protects


def test_evaluate_never_writes_over_the_folder_holding_its_layout(county_run: CountyRun, tmp_path: Path) -> None:
    folder = tmp_path / "edits"
    folder.mkdir()
    layout = folder / "facilities.csv"
    layout.write_bytes((county_run.run.out_dir / "facilities.csv").read_bytes())
    done = runner.invoke(app, ["evaluate", str(county_run.scenario), "--layout", str(layout), "--out", str(folder)])
    assert done.exit_code == 2 and "--out" in done.output
    assert layout.read_bytes() == (county_run.run.out_dir / "facilities.csv").read_bytes()
    # By default the outputs go beside the run's, not over them.
    done = runner.invoke(app, ["evaluate", str(county_run.scenario), "--layout", str(layout)])
    assert done.exit_code == 0, done.output
    run_out = county_run.run.out_dir
    assert (run_out.with_name(f"{run_out.name}_evaluated") / "summary.json").is_file()
