"""`extends:` scenarios: a small file of overrides over a base scenario, and clear errors when the chain breaks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from facility_layout.errors import ScenarioError
from facility_layout.pipeline import run
from facility_layout.scenario import load_scenario

from conftest import scenario_on_region

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


def write(path: Path, settings: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def test_mappings_merge_lists_and_scalars_replace(tmp_path: Path) -> None:
    base = load_scenario(SCENARIOS / "demo.yaml", tmp_path)
    variant = write(
        tmp_path / "variant.yaml",
        {
            "extends": str(SCENARIOS / "demo.yaml"),
            "tiers": {"village_clinic": {"max_travel_minutes": 45, "remote_keep_minutes": None}},
            "travel": {"conditions": ["rainy_season"], "modes": {"village_clinic": "walk_then_motor"}},
            "region": {"attribution": ["only this line"]},
        },
    )
    scenario = load_scenario(variant, tmp_path)
    clinic = scenario.tiers.village_clinic
    assert clinic.max_travel_minutes == 45 and clinic.remote_keep_minutes is None  # scalars and null replace
    assert clinic.keep_cost == base.tiers.village_clinic.keep_cost  # siblings in the same mapping stay
    assert scenario.travel.conditions == ["rainy_season"]  # a list replaces
    assert scenario.travel.modes.village_clinic == "walk_then_motor"
    assert scenario.travel.modes.township_centre == base.travel.modes.township_centre
    assert scenario.region.attribution == ["only this line"]
    assert scenario.region.synthetic == base.region.synthetic
    # Relative input paths still resolve against the data root, not against either file.
    assert scenario.inputs.roads == base.inputs.roads
    assert scenario.source == variant.resolve()


def test_chains_resolve_relative_to_each_file(tmp_path: Path) -> None:
    write(tmp_path / "base" / "baseline.yaml", {"extends": str(SCENARIOS / "demo.yaml"), "solver": {"mip_gap": 0.01}})
    write(tmp_path / "base" / "rainy.yaml", {"extends": "baseline.yaml", "travel": {"conditions": ["rainy_season"]}})
    top = write(
        tmp_path / "variants" / "rainy_cut.yaml", {"extends": "../base/rainy.yaml", "solver": {"name": "highs"}}
    )
    scenario = load_scenario(top, tmp_path)
    assert scenario.solver.name == "highs" and scenario.solver.mip_gap == 0.01
    assert scenario.travel.conditions == ["rainy_season"]
    assert scenario.region.name == "Synthetic mountain county"
    # Without outputs.dir in any file the output folder is named after the file that was run.
    write(tmp_path / "bare.yaml", {"extends": "variants/rainy_cut.yaml", "outputs": {"dir": None}})
    assert load_scenario(tmp_path / "bare.yaml", tmp_path).output_dir == Path("out") / "bare"


@pytest.mark.parametrize("name", ["demo_rainy.yaml", "demo_budget_cut.yaml", "ngazidja_rainy.yaml"])
def test_bundled_variants_differ_from_their_base_as_they_say(name: str, tmp_path: Path) -> None:
    variant = load_scenario(SCENARIOS / name, tmp_path)
    base = load_scenario(SCENARIOS / yaml.safe_load((SCENARIOS / name).read_text())["extends"], tmp_path)
    assert variant.output_dir != base.output_dir
    changed = {
        key
        for key in type(variant).model_fields
        if getattr(variant, key) != getattr(base, key) and key not in {"source", "read_as", "outputs"}
    }
    assert changed == ({"objective"} if "budget" in name else {"travel"})


def test_resolved_yaml_of_a_run_shows_the_merged_scenario(tmp_path: Path, small_county: Path) -> None:
    base = scenario_on_region(small_county, tmp_path / "base.yaml", tmp_path / "out" / "base")
    variant = write(tmp_path / "rainy.yaml", {"extends": base.name, "travel": {"conditions": ["rainy_season"]}})
    out = run(load_scenario(variant), tmp_path / "out" / "rainy").out_dir
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    assert "extends" not in resolved
    assert resolved["travel"]["conditions"] == ["rainy_season"]
    assert resolved["inputs"]["roads"] == str(small_county / "roads.osm")
    assert resolved["tiers"]["village_clinic"]["remote_keep_minutes"] == 20  # from the base


def test_missing_base_names_the_file_the_field_and_the_fix(tmp_path: Path) -> None:
    variant = write(tmp_path / "variant.yaml", {"extends": "baseline.yaml"})
    with pytest.raises(ScenarioError) as err:
        load_scenario(variant)
    message = str(err.value)
    assert str(variant) in message and "`extends`" in message
    assert str(tmp_path / "baseline.yaml") in message and "Fix:" in message


@pytest.mark.parametrize("value", [3, "", ["a.yaml"]])
def test_extends_must_be_a_file_name(tmp_path: Path, value: object) -> None:
    with pytest.raises(ScenarioError, match=r"`extends`.*not a file name.*Fix"):
        load_scenario(write(tmp_path / "variant.yaml", {"extends": value}))


def test_cycles_are_refused_with_the_loop(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", {"extends": "b.yaml"})
    write(tmp_path / "b.yaml", {"extends": "c.yaml"})
    write(tmp_path / "c.yaml", {"extends": "b.yaml"})
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "a.yaml")
    message = str(err.value)
    assert "cycle" in message and "Fix:" in message
    assert f"{tmp_path / 'b.yaml'} → {tmp_path / 'c.yaml'} → {tmp_path / 'b.yaml'}" in message
    write(tmp_path / "self.yaml", {"extends": "self.yaml"})
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "self.yaml")


def test_a_bad_merged_value_names_the_files_it_came_from(tmp_path: Path) -> None:
    variant = write(
        tmp_path / "variant.yaml",
        {"extends": str(SCENARIOS / "demo.yaml"), "tiers": {"village_clinic": {"max_travel_minute": 45}}},
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(variant)
    message = str(err.value)
    assert str(variant) in message and str(SCENARIOS / "demo.yaml") in message
    assert "did you mean `max_travel_minutes`" in message


def test_a_typo_of_extends_is_hinted(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="did you mean `extends`"):
        load_scenario(write(tmp_path / "variant.yaml", {"extend": "demo.yaml"}))
