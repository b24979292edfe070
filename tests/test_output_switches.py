"""``outputs.brief`` and ``outputs.workbook``: a run can skip brief.pdf and layout.xlsx, and a skipped file
of an earlier run in the same folder goes (it would describe another layout)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bad_input import demo_raw, refused, with_raw_value

from facility_layout.folders import MARKER
from facility_layout.pipeline import run
from facility_layout.scenario import load_scenario

from conftest import scenario_on_region


def test_a_run_without_brief_and_workbook_writes_neither_and_removes_the_earlier_ones(
    small_county: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    everything = scenario_on_region(small_county, tmp_path / "all.yaml", out)
    run(load_scenario(everything))
    assert {"brief.pdf", "layout.xlsx", "map.html"} <= {p.name for p in out.iterdir()}

    def skip(raw: dict) -> None:
        raw["outputs"].update(brief=False, workbook=False)

    lean = scenario_on_region(small_county, tmp_path / "lean.yaml", out, skip)
    summary = run(load_scenario(lean)).summary
    written = {p.name for p in out.iterdir()}
    assert "brief.pdf" not in written and "layout.xlsx" not in written
    assert {"map.html", "layout.gpkg", "facilities.csv", "summary.json", MARKER} <= written
    assert set(json.loads((out / MARKER).read_text())["files"]) == written - {MARKER}
    assert summary["population_total"] > 0


@pytest.mark.parametrize(
    ("text", "enabled", "paper"),
    [
        ("true", True, "a4"),
        ("false", False, "a4"),
        ("{enabled: false, paper: a3}", False, "a3"),
        ("{paper: a3}", True, "a3"),
    ],
)
def test_outputs_brief_is_on_off_or_its_settings(tmp_path: Path, text: str, enabled: bool, paper: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "outputs.brief", text), encoding="utf-8")
    brief = load_scenario(path, data_root=tmp_path / "data").outputs.brief
    assert (brief.enabled, brief.paper) == (enabled, paper)


@pytest.mark.parametrize(
    ("key", "text"), [("outputs.brief", "maybe"), ("outputs.workbook", "3"), ("outputs.brief.enabled", "sometimes")]
)
def test_a_switch_that_is_not_true_or_false_is_refused_naming_its_key(tmp_path: Path, key: str, text: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), key, text), encoding="utf-8")
    message = refused(tmp_path, path, str(path), f"`{key}` = ", text)
    assert ("true" in message and "false" in message) or "boolean" in message, message


def test_a_skipped_brief_of_the_planner_is_kept(small_county: Path, tmp_path: Path) -> None:
    # A planner's own brief.pdf in a folder the tool did not write (--force): skipping the brief must not
    # remove it; only files the tool's marker lists may go.
    out = tmp_path / "out"
    out.mkdir()
    (out / "brief.pdf").write_bytes(b"%PDF-1.4 the planner's own brief")
    (out / "notes.txt").write_text("mine", encoding="utf-8")

    def skip(raw: dict) -> None:
        raw["outputs"].update(brief=False, workbook=False)

    run(load_scenario(scenario_on_region(small_county, tmp_path / "lean.yaml", out, skip)), force=True)
    assert (out / "brief.pdf").read_bytes() == b"%PDF-1.4 the planner's own brief"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "brief.pdf" not in json.loads((out / MARKER).read_text())["files"]
