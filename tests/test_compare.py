"""`facility-layout compare`: real runs of a small county and its rainy season, checked against each run's files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.compare import CSV_FILES
from facility_layout.comparison import NOT_BUILT, curve_column
from facility_layout.errors import InputError
from facility_layout.folders import MARKER
from facility_layout.inputs import read_admin_areas
from facility_layout.scenario import load_scenario

from conftest import EVIL_FACILITY, RAINY

runner = CliRunner()


@pytest.fixture(scope="module")
def report(compared: tuple[Path, str]) -> str:
    return (compared[0] / "report.html").read_text(encoding="utf-8")


def summaries(out: Path) -> dict[str, dict]:
    return {name: json.loads((out / name / "summary.json").read_text()) for name in ("baseline", RAINY)}


def test_each_layout_and_every_table_are_written(compared: tuple[Path, str]) -> None:
    out, printed = compared
    for name in ("baseline", RAINY):
        assert {"map.html", "layout.gpkg", "summary.json", "facilities.csv"} <= {p.name for p in (out / name).iterdir()}
    assert {"report.html", *CSV_FILES} <= {p.name for p in out.iterdir()}
    # Progress per scenario, then the report; nothing half-written is left beside the folder.
    assert "1/2 baseline" in printed and f"2/2 {RAINY}" in printed and re.search(r"report +\d+\.\d\d s", printed)
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".partial")]


def test_headline_agrees_with_each_summary(compared: tuple[Path, str]) -> None:
    out, _ = compared
    headline = pd.read_csv(out / "headline.csv", keep_default_na=False).set_index("scenario")
    for name, summary in summaries(out).items():
        row = headline.loc[name]
        clinics, centres = summary["facilities"]["village_clinic"], summary["facilities"]["township_centre"]
        assert (row["clinics_kept"], row["clinics_closed"], row["clinics_built"]) == (
            clinics["keep"],
            clinics["close"],
            clinics["build"],
        )
        assert (row["centres_kept"], row["centres_upgraded"]) == (centres["keep"], centres["upgrade"])
        assert row["cost"] == pytest.approx(summary["cost"])
        for tier in ("village_clinic", "township_centre"):
            assert row[f"{tier}_within_standard"] == pytest.approx(summary["population_covered"][tier])
            assert row[f"{tier}_within_standard"] + row[f"{tier}_beyond_standard"] == pytest.approx(
                summary["population_total"], abs=0.02
            )
            assert row[f"{tier}_minutes_p95"] == pytest.approx(summary["travel_minutes"][tier]["p95"])
        assert bool(row["proven_optimal"]) is summary["solver"]["proven_optimal"]
    assert headline.loc[RAINY, "conditions"] == "rainy_season" and headline.loc["baseline", "conditions"] == ""


def test_cumulative_curves_rise_to_the_people_within_the_standard(compared: tuple[Path, str]) -> None:
    out, _ = compared
    curves = pd.read_csv(out / "cumulative_minutes.csv")
    assert curves["minutes"].is_monotonic_increasing and curves["minutes"].iloc[0] == 0
    for name, summary in summaries(out).items():
        for tier, standard_key in (
            ("village_clinic", "village_clinic_max_minutes"),
            ("township_centre", "township_centre_max_minutes"),
        ):
            curve = curves[curve_column(name, tier)]
            shown = curve.notna()
            assert (curves.loc[shown, "minutes"] <= summary["standards"][standard_key]).all()
            assert curves.loc[shown, "minutes"].iloc[-1] == summary["standards"][standard_key]
            values = curve[shown].to_numpy()
            assert (np.diff(values) >= 0).all() and (values >= 0).all()
            assert values.max() <= summary["population_total"] + 1e-6
            assert values[-1] == pytest.approx(summary["population_covered"][tier], abs=1.0)


def test_changes_are_exactly_the_sites_whose_decision_differs(compared: tuple[Path, str]) -> None:
    out, _ = compared
    changes = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False).set_index("site_id")
    decisions = {
        name: pd.read_csv(out / name / "facilities.csv", dtype=str, keep_default_na=False).set_index("site_id")
        for name in ("baseline", RAINY)
    }
    sites = set().union(*(frame.index for frame in decisions.values()))
    differ = {
        site
        for site in sites
        if len({frame.at[site, "decision"] if site in frame.index else NOT_BUILT for frame in decisions.values()}) > 1
    }
    assert differ and set(changes.index) == differ  # the rainy season builds fewer clinics in this county
    for site, row in changes.iterrows():
        for name, frame in decisions.items():
            if site in frame.index:
                assert row[f"decision: {name}"] == frame.at[site, "decision"]
                assert row[f"reason: {name}"] == frame.at[site, "reason"]
                assert row[f"merged_into: {name}"] == frame.at[site, "merged_into"]
            else:
                assert row[f"decision: {name}"] == NOT_BUILT and site.startswith("new-")


def test_remote_people_are_the_same_people_in_every_layout(compared: tuple[Path, str]) -> None:
    out, _ = compared
    remote = pd.read_csv(out / "remote.csv").set_index("scenario")
    demand = pd.read_csv(out / "baseline" / "demand.csv")
    standard = summaries(out)["baseline"]["standards"]["village_clinic_max_minutes"]
    far = ~(demand["centre_minutes"] <= standard) & (demand["population"] > 0)
    assert remote["remote_people"].nunique() == 1
    assert remote["remote_people"].iloc[0] == pytest.approx(demand.loc[far, "population"].sum(), abs=0.05)
    assert remote.loc["baseline", "within_clinic_standard"] == pytest.approx(
        demand.loc[far & (demand["clinic_minutes"] <= standard), "population"].sum(), abs=0.05
    )
    assert (remote["within_clinic_standard"] + remote["beyond_clinic_standard"]).to_numpy() == pytest.approx(
        remote["remote_people"].to_numpy()
    )
    assert (remote["clinic_minutes_max"] <= standard).all()


def test_admin_areas_hold_everyone_once(compared: tuple[Path, str], county: Path) -> None:
    out, _ = compared
    areas = pd.read_csv(out / "admin_areas.csv")
    townships = pd.DataFrame(json.loads((county / "admin_areas.geojson").read_text())["features"])
    assert set(areas["area"]) - {"(outside every area)"} == {f["name"] for f in townships["properties"]}
    for name, summary in summaries(out).items():
        rows = areas[areas["scenario"] == name]
        assert rows["people"].sum() == pytest.approx(summary["population_total"], abs=1.0)
        assert rows["within_clinic_standard"].sum() == pytest.approx(
            summary["population_covered"]["village_clinic"], abs=1.0
        )


def test_report_is_self_contained_and_findable(compared: tuple[Path, str], report: str) -> None:
    out, _ = compared
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", report, flags=re.IGNORECASE)
    assert not [t for t in tags if re.search(r"(src|href)\s*=", t, flags=re.IGNORECASE)]
    assert "<link" not in report.lower()
    names = ("baseline", RAINY)
    escaped = [name.replace("<", "&lt;").replace(">", "&gt;") for name in names]
    headline = re.search(r'<table id="headline-table">.*?</table>', report, flags=re.DOTALL).group(0)
    assert re.findall(r'<th data-layout="([^"]*)"', headline) == escaped
    for tier in ("village_clinic", "township_centre"):
        chart = re.search(rf'<svg id="chart-{tier}".*?</svg>', report, flags=re.DOTALL).group(0)
        assert re.findall(r'<path class="curve" data-layout="([^"]*)"', chart) == escaped
        assert "data-standard=" in chart
    changes = re.search(r'<table id="changes-table">.*?</table>', report, flags=re.DOTALL).group(0)
    assert changes.count("<tr data-site-id=") == len(pd.read_csv(out / "changes.csv"))
    assert re.findall(r'<div id="map-(\d)" class="map" data-layout="([^"]*)"', report) == [
        ("0", escaped[0]),
        ("1", escaped[1]),
    ]
    assert 'id="remote-table"' in report and 'id="areas-table"' in report and 'id="remote-definition"' in report


def test_input_text_shows_as_text(report: str) -> None:
    # Three script elements: Leaflet, the data, the maps; a name can open none.
    assert len(re.findall(r"<script\b", report)) == 3
    assert EVIL_FACILITY not in report and "<b>" not in report and "rainy<script>" not in report
    assert "County &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; co" in report
    assert "rainy&lt;script&gt;" in report
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', report).group(1))
    tooltips = [facility[3] for layout in data["maps"] for facility in layout["facilities"]]
    assert sum("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in tooltips) == 2  # one per map


def test_needs_two_scenarios_of_one_region_with_distinct_names(scenarios: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(scenarios[0]), "--out", str(out)])
    assert result.exit_code == 2 and "at least two scenarios" in result.output
    twin = tmp_path / "baseline.yaml"
    shutil.copy(scenarios[0], twin)
    result = runner.invoke(app, ["compare", str(scenarios[0]), str(twin), "--out", str(out)])
    assert result.exit_code == 2 and "two scenarios named 'baseline'" in " ".join(result.output.split())
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text(
        yaml.safe_dump({"extends": str(scenarios[0]), "region": {"boundary": str(tmp_path / "other.geojson")}})
    )
    result = runner.invoke(app, ["compare", str(scenarios[0]), str(elsewhere), "--out", str(out)])
    message = " ".join(result.output.split())
    assert result.exit_code == 2 and "different regions" in message and "elsewhere.yaml" in message
    result = runner.invoke(app, ["compare", *map(str, scenarios), "--out", str(out), "--maps", "baseline", "nowhere"])
    assert result.exit_code == 2 and "--maps" in result.output
    assert not out.exists()


def test_a_failed_run_leaves_the_previous_comparison(scenarios: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "comparison"
    out.mkdir()
    (out / "report.html").write_text("the previous report")
    previous = {"tool": "facility-layout", "version": "0", "command": "compare", "files": ["report.html"]}
    (out / MARKER).write_text(json.dumps(previous))
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"extends": str(scenarios[0]), "inputs": {"roads": str(tmp_path / "no.osm")}}))
    result = runner.invoke(app, ["compare", str(scenarios[0]), str(broken), "--out", str(out)])
    assert result.exit_code == 2 and "inputs.roads" in result.output
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "report.html"]
    assert (out / "report.html").read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml", "comparison"]


def test_admin_area_names_must_exist(scenarios: list[Path]) -> None:
    scenario = load_scenario(scenarios[0])
    areas = scenario.region.admin_areas
    assert areas is not None
    region = scenario.region.model_copy(update={"admin_areas": areas.model_copy(update={"name_field": "x"})})
    wrong = scenario.model_copy(update={"region": region})
    with pytest.raises(InputError, match=r"region\.admin_areas\.name_field.*attributes: county, name, seat"):
        read_admin_areas(wrong, "EPSG:32648")
