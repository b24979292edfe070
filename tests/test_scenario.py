"""Scenario schema: valid files load with resolved paths; every mistake names the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from facility_layout.basemaps import TIANDITU_KEY_ENV
from facility_layout.errors import ScenarioError
from facility_layout.scenario import DATA_ROOT_ENV, REPO_DATA_ROOT, load_scenario

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"


def write(tmp_path: Path, edit) -> Path:
    """The demo scenario with ``edit(dict)`` applied, written to a temporary file."""
    raw = yaml.safe_load(DEMO.read_text())
    edit(raw)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.mark.parametrize("name", ["demo.yaml", "mwali.yaml", "ngazidja.yaml"])
def test_bundled_scenarios_are_valid(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(REPO / "scenarios" / name, tmp_path)
    assert scenario.data_root == tmp_path.resolve()
    assert scenario.inputs.roads.is_absolute()
    assert scenario.inputs.roads.is_relative_to(tmp_path.resolve())


def test_data_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_ROOT_ENV, raising=False)
    assert load_scenario(DEMO).data_root == REPO_DATA_ROOT
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "env"))
    assert load_scenario(DEMO).data_root == (tmp_path / "env").resolve()
    assert load_scenario(DEMO, tmp_path / "flag").data_root == (tmp_path / "flag").resolve()


def test_absolute_input_paths_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "roads.osm"

    def edit(raw: dict) -> None:
        raw["region"].pop("synthetic")
        raw["inputs"]["roads"] = str(target)

    assert load_scenario(write(tmp_path, edit), tmp_path / "root").inputs.roads == target


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        clinic = raw["tiers"]["village_clinic"]
        clinic["max_travel_minute"] = clinic.pop("max_travel_minutes")

    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, edit))
    message = str(err.value)
    assert "tiers.village_clinic.max_travel_minute" in message
    assert "did you mean `max_travel_minutes`" in message
    assert str(tmp_path / "scenario.yaml") in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="did you mean `tiers`"):
        load_scenario(write(tmp_path, lambda raw: raw.__setitem__("tier", {})))


def test_unknown_key_without_close_match_lists_allowed(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"allowed keys here: .*max_travel_minutes"):
        load_scenario(write(tmp_path, lambda raw: raw["tiers"]["village_clinic"].__setitem__("zzz", 1)))


def test_negative_minutes_name_key_and_value(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["tiers"]["township_centre"]["referral_max_minutes"] = -5

    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, edit))
    assert "tiers.township_centre.referral_max_minutes" in str(err.value)
    assert "-5" in str(err.value)


def test_max_coverage_needs_budget(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="budget"):
        load_scenario(write(tmp_path, lambda raw: raw.__setitem__("objective", {"type": "max_coverage"})))


def test_unknown_solver(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"solver\.name.*'gurobi'"):
        load_scenario(write(tmp_path, lambda raw: raw["solver"].__setitem__("name", "gurobi")))


def test_missing_section(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="`inputs`: required but missing"):
        load_scenario(write(tmp_path, lambda raw: raw.pop("inputs")))


def test_synthetic_files_must_sit_together(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"inputs\.roads must be"):
        load_scenario(write(tmp_path, lambda raw: raw["inputs"].__setitem__("roads", "other/roads.osm")))
    with pytest.raises(ScenarioError, match=r"region\.admin_areas\.file must be"):
        load_scenario(write(tmp_path, lambda raw: raw["region"]["admin_areas"].__setitem__("file", "other/a.geojson")))


def test_admin_areas_resolve_against_the_data_root_and_are_optional(tmp_path: Path) -> None:
    scenario = load_scenario(DEMO, tmp_path)
    assert scenario.region.admin_areas is not None
    assert scenario.region.admin_areas.file == tmp_path.resolve() / "demo" / "admin_areas.geojson"
    assert scenario.input_files()["region.admin_areas.file"] == scenario.region.admin_areas.file
    without = load_scenario(write(tmp_path, lambda raw: raw["region"].pop("admin_areas")), tmp_path)
    assert without.region.admin_areas is None and "region.admin_areas.file" not in without.input_files()


def test_not_yaml_and_not_found(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("region: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_synthetic_county_too_small_is_caught_before_generating(tmp_path: Path) -> None:
    path = write(tmp_path, lambda raw: raw["region"]["synthetic"].update(width_km=2))
    with pytest.raises(ScenarioError, match=r"`region\.synthetic\.width_km` = 2: .*greater than or equal to 4"):
        load_scenario(path, tmp_path)


def test_village_merge_rule_setting(tmp_path: Path) -> None:
    merge = {"max_added_minutes": 10}
    scenario = load_scenario(write(tmp_path, lambda raw: raw["tiers"]["village_clinic"].update(merge_rule=merge)))
    assert scenario.tiers.village_clinic.merge_rule.max_added_minutes == 10
    assert load_scenario(write(tmp_path, lambda raw: None)).tiers.village_clinic.merge_rule is None  # off


@pytest.mark.parametrize(
    ("futures", "objective", "message"),
    [
        ([{"name": "wet", "conditions": ["monsoon"]}], {}, r"`futures\.0\.conditions`.*unknown condition 'monsoon'"),
        ([{"name": "old", "visits_per_person": 0}], {}, r"`futures\.0\.visits_per_person` = 0"),
        ([{"name": "today"}], {}, "distinct names other than `today`"),
        (
            [{"name": "a"}],
            {"type": "max_coverage", "clinics": 3},
            "two-tier objectives .*not max_coverage with clinics",
        ),
        ([{"name": "a"}], {"robust": "worst"}, "robust: worst applies to max_coverage with a budget"),
        ([], {"type": "max_coverage", "budget": 10, "robust": "worst"}, "robust: worst needs `futures`"),
        (
            [{"name": "a", "probability": 0.5}, {"name": "b"}],
            {"type": "max_coverage", "budget": 10, "robust": "expected"},
            r"needs futures\[1\]\.probability",
        ),
        (
            [{"name": "a", "probability": 0.7}, {"name": "b", "probability": 0.6}],
            {"type": "max_coverage", "budget": 10, "robust": "expected"},
            r"sum to 1\.3: with today they must sum to 1",
        ),
    ],
)
def test_futures_are_validated_with_the_fix(tmp_path: Path, futures: list, objective: dict, message: str) -> None:
    def edit(raw: dict) -> None:
        raw["futures"] = futures
        raw["objective"] = {"type": "min_cost", **objective}

    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, edit))


def test_future_population_raster_resolves_and_is_checked_by_its_key(tmp_path: Path) -> None:
    growth = {"name": "2035", "population": "demo/population_2035.tif", "population_factor": 1.1}
    scenario = load_scenario(write(tmp_path, lambda raw: raw.update(futures=[growth])), data_root=tmp_path)
    assert scenario.futures[0].population == tmp_path / "demo" / "population_2035.tif"
    assert scenario.input_files()["futures[0].population"] == tmp_path / "demo" / "population_2035.tif"


def test_map_settings_default_to_openstreetmap_with_relief(tmp_path: Path) -> None:
    scenario = load_scenario(DEMO, tmp_path)
    assert scenario.map.basemap == "openstreetmap" and scenario.map.relief


def test_tianditu_needs_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIANDITU_KEY_ENV, raising=False)
    path = write(tmp_path, lambda raw: raw.update(map={"basemap": "tianditu"}))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "map.tianditu_key" in message and TIANDITU_KEY_ENV in message
    monkeypatch.setenv(TIANDITU_KEY_ENV, "from-env")
    assert load_scenario(path).map.basemap == "tianditu"


def test_unknown_basemap_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, lambda raw: raw.update(map={"basemap": "google"})))
    message = str(err.value)
    assert "map.basemap" in message and "google" in message and "autonavi" in message
