"""The outputs a health office passes around: layout.xlsx, brief.pdf, the styled GeoPackage, CSVs for Excel.

A small generated county is run in Chinese (with a clinic whose name looks like a spreadsheet formula); the
demo run of the session gives the English side. Figures are checked against summary.json and the CSVs the
same run wrote, geometry against the cell size, the PDF by rendering it with poppler.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import load_workbook
from PIL import Image

from facility_layout.brief.page import displayed, page_number
from facility_layout.i18n import translator

import browser as browsers
from conftest import DemoRun, scenario_on_region

FORMULA_NAME = "=1+2 卫生室"
# The PDF is checked with poppler; CI installs it (.ci/run) and must never skip these tests.
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None and not browsers.in_ci(),
    reason="poppler-utils not installed (.ci/run installs it)",
)
SHEETS = {"en": ["Headline", "Facilities", "Demand cells", "Townships", "Referrals"]}
SHEETS["zh-CN"] = [translator("zh-CN")(name) for name in SHEETS["en"]]


@pytest.fixture(scope="module")
def chinese_run(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small county in zh-CN; its first village clinic is named like a formula."""
    from facility_layout.pipeline import run
    from facility_layout.scenario import load_scenario

    base = tmp_path_factory.mktemp("office")
    region = base / "county"
    shutil.copytree(small_county, region)
    facilities = json.loads((region / "facilities.geojson").read_text())
    clinic = next(f for f in facilities["features"] if f["properties"]["tier"] == 1)
    clinic["properties"]["name"] = FORMULA_NAME
    (region / "facilities.geojson").write_text(json.dumps(facilities, ensure_ascii=False))

    def edit(raw: dict) -> None:
        raw["outputs"]["language"] = "zh-CN"

    path = scenario_on_region(region, base / "zh.yaml", base / "out", edit)
    return run(load_scenario(path)).out_dir


def test_csv_files_start_with_a_byte_order_mark_under_chinese_only(chinese_run: Path, demo_run: DemoRun) -> None:
    for name in ("demand.csv", "facilities.csv"):
        assert (chinese_run / name).read_bytes().startswith(b"\xef\xbb\xbf")
        assert not (demo_run.out / name).read_bytes().startswith(b"\xef\xbb\xbf")
    zh = pd.read_csv(chinese_run / "facilities.csv", encoding="utf-8-sig")
    assert list(zh.columns[:5]) == ["站点编号", "名称", "层级", "来源", "决策"]
    assert set(zh["决策"]) <= {"保留", "关闭", "新建", "升级"}
    demand = pd.read_csv(chinese_run / "demand.csv", encoding="utf-8-sig")
    assert set(demand["服务半径内无可选址"]) <= {"是", "否"}
    assert list(pd.read_csv(demo_run.out / "facilities.csv").columns[:5]) == [
        "site_id",
        "name",
        "tier",
        "origin",
        "decision",
    ]


def _sheet(book, name: str) -> tuple[list[str], list[tuple]]:
    rows = list(book[name].iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_workbook_sheets_headers_and_frozen_panes(language: str, chinese_run: Path, demo_run: DemoRun) -> None:
    out = chinese_run if language == "zh-CN" else demo_run.out
    book = load_workbook(out / "layout.xlsx")
    assert book.sheetnames == SHEETS[language]
    for sheet in book:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
    _ = translator(language)
    header, _rows = _sheet(book, SHEETS[language][1])
    assert header[:5] == [_("Site id"), _("Name"), _("Tier"), _("Origin"), _("Decision")]
    headline, _rows = _sheet(book, SHEETS[language][0])
    assert headline == [_("Figure"), _("Today"), _("Proposed"), _("Change")]


def test_workbook_values_are_typed_and_equal_the_run(demo_run: DemoRun) -> None:
    book = load_workbook(demo_run.out / "layout.xlsx")
    summary = json.loads((demo_run.out / "summary.json").read_text())
    facilities = pd.read_csv(demo_run.out / "facilities.csv", keep_default_na=False, dtype={"site_id": str})
    header, rows = _sheet(book, "Facilities")
    sheet = pd.DataFrame(rows, columns=header)
    assert list(sheet["Site id"]) == list(facilities["site_id"])
    assert all(isinstance(v, int) for v in sheet["People served"])
    assert list(sheet["People served"]) == [round(v) for v in facilities["population_served"]]
    minutes = [v for v in sheet["Mean minutes"] if v is not None]
    assert minutes and all(isinstance(v, float) for v in minutes)
    np.testing.assert_allclose(
        sheet["Mean minutes"].astype(float), facilities["mean_minutes"].replace("", np.nan).astype(float)
    )
    assert list(sheet["Decision"]) == list(facilities["decision"])

    header, rows = _sheet(book, "Headline")
    headline = {row[0]: row[1:] for row in rows}
    total = summary["population_total"]
    assert headline["Total people"] == (round(total), round(total), 0)
    covered = headline["People within 30 min of a village clinic"]
    assert covered[0] == round(summary["today"]["population_covered"]["village_clinic"])
    assert covered[1] == round(summary["population_covered"]["village_clinic"])
    share = headline["Share within 30 min of a village clinic"]
    assert share[1] == pytest.approx(summary["population_covered"]["village_clinic"] / total)
    assert headline["Village clinics built"][1:] == (
        summary["facilities"]["village_clinic"]["build"],
        summary["change"]["facilities"]["village_clinic"]["build"],
    )
    assert headline["Cost"][1] == pytest.approx(summary["cost"])
    assert isinstance(headline["Mean minutes to a village clinic"][1], float)

    header, rows = _sheet(book, "Demand cells")
    demand = pd.read_csv(demo_run.out / "demand.csv")
    assert len(rows) == len(demand)
    people = [row[header.index("People")] for row in rows]
    assert all(isinstance(v, int) for v in people)
    assert sum(people) == pytest.approx(demand["population"].sum(), abs=len(demand) / 2)


def test_townships_hold_everyone_once_today_and_proposed(demo_run: DemoRun) -> None:
    book = load_workbook(demo_run.out / "layout.xlsx")
    header, rows = _sheet(book, "Townships")
    table = pd.DataFrame(rows, columns=header)
    summary = json.loads((demo_run.out / "summary.json").read_text())
    assert set(table["Layout"]) == {"Today", "Proposed"}
    for layout, covered in (
        ("Today", summary["today"]["population_covered"]["village_clinic"]),
        ("Proposed", summary["population_covered"]["village_clinic"]),
    ):
        rows_of = table[table["Layout"] == layout]
        assert rows_of["People"].sum() == pytest.approx(summary["population_total"], abs=len(rows_of))
        within = rows_of["People within the village clinic standard"].sum()
        assert within == pytest.approx(covered, abs=len(rows_of))


def test_referrals_sheet_lists_each_open_clinic_once(demo_run: DemoRun) -> None:
    header, rows = _sheet(load_workbook(demo_run.out / "layout.xlsx"), "Referrals")
    referrals = gpd.read_file(demo_run.out / "layout.gpkg", layer="referrals")
    assert sorted(r[0] for r in rows) == sorted(referrals["site_id"].astype(str))
    assert all(isinstance(r[header.index("Minutes")], float) for r in rows)


def test_a_name_like_a_formula_stays_text_in_the_workbook(chinese_run: Path) -> None:
    book = load_workbook(chinese_run / "layout.xlsx")
    sheet = book[SHEETS["zh-CN"][1]]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == FORMULA_NAME]
    assert cells and all(c.data_type == "s" for c in cells)


# --- GeoPackage ---------------------------------------------------------------------------------------


def test_demand_cells_are_squares_of_the_cell_size_around_their_points(demo_run: DemoRun) -> None:
    gpkg = demo_run.out / "layout.gpkg"
    cells = gpd.read_file(gpkg, layer="demand_cells")
    points = gpd.read_file(gpkg, layer="demand")
    size = 500.0  # population.cell_size_m of scenarios/demo.yaml
    np.testing.assert_allclose(cells.area, size**2)
    assert list(cells["cell_id"]) == list(points["cell_id"])
    # Each cell's population-weighted centre lies in its own square, and squares do not overlap.
    assert cells.geometry.buffer(1e-6).contains(points.geometry).all()
    assert cells.geometry.union_all().area == pytest.approx(len(cells) * size**2)
    catchments = gpd.read_file(gpkg, layer="catchments")
    beyond = gpd.read_file(gpkg, layer="beyond_standard")
    served = points["clinic_site_id"].fillna("").astype(str) != ""
    assert catchments["population"].sum() == pytest.approx(points.loc[served, "population"].sum())
    assert beyond["population"].sum() == pytest.approx(points.loc[~served, "population"].sum())
    assert catchments.area.sum() == pytest.approx(served.sum() * size**2)


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_layer_has_a_default_qgis_style_with_aliases(language: str, chinese_run: Path, demo_run: DemoRun) -> None:
    gpkg = (chinese_run if language == "zh-CN" else demo_run.out) / "layout.gpkg"
    with sqlite3.connect(gpkg) as db:
        layers = {row[0] for row in db.execute("SELECT table_name FROM gpkg_geometry_columns")}
        styles = db.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, useAsDefault FROM layer_styles"
        ).fetchall()
    assert layers >= {"demand", "demand_cells", "facilities", "catchments", "beyond_standard", "boundary"}
    assert {s[0] for s in styles} == layers
    _ = translator(language)
    for layer, geometry_column, qml, default in styles:
        assert default == 1 and geometry_column
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
        fields = gpd.read_file(gpkg, layer=layer, rows=1).columns.drop("geometry")
        aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
        assert set(aliases) == set(fields)
        if "decision" in aliases:
            assert aliases["decision"] == _("Decision")
    facilities = ET.fromstring(next(s[2] for s in styles if s[0] == "facilities").split("\n", 1)[1])
    labels = {c.get("value"): c.get("label") for c in facilities.iter("category")}
    assert labels["village_clinic/build"] == _("Village clinic built")
    colours = {o.get("value") for o in facilities.iter("Option") if o.get("name") == "color"}
    assert "46,125,50,255" in colours  # the map's green of a kept clinic (#2e7d32)


# --- brief.pdf ----------------------------------------------------------------------------------------


def _render(pdf: Path, tmp_path: Path) -> tuple[str, np.ndarray]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    return text.stdout, np.asarray(Image.open(tmp_path / "page.png").convert("L"))


@needs_poppler
def test_brief_in_chinese_renders_text_and_map(chinese_run: Path, tmp_path: Path) -> None:
    text, pixels = _render(chinese_run / "brief.pdf", tmp_path)
    for words in ("医疗机构布局规划方案", "现状 → 规划方案", "新建的村卫生室", "调整清单", "求解器", "数据来源"):
        assert words in text
    height, width = pixels.shape
    assert width > height  # landscape
    assert width / height == pytest.approx(297 / 210, rel=0.02)
    # The map (left half, below the title) is drawn: many dark and mid-grey pixels, not a blank page.
    map_area = pixels[int(0.15 * height) : int(0.85 * height), int(0.05 * width) : int(0.5 * width)]
    assert (map_area < 200).mean() > 0.2
    assert len(np.unique(map_area)) > 30  # relief shades, not a flat fill


@needs_poppler
def test_brief_in_english_names_the_status(demo_run: DemoRun, tmp_path: Path) -> None:
    text, _pixels = _render(demo_run.out / "brief.pdf", tmp_path)
    summary = json.loads((demo_run.out / "summary.json").read_text())
    assert "proposed health facility layout" in text
    assert ("proven optimal" in text) == summary["solver"]["proven_optimal"]
    assert "Village clinic built" in text


@needs_poppler
def test_comparison_brief_lists_today_each_layout_and_its_status(compared: tuple[Path, str], tmp_path: Path) -> None:
    out, _printed = compared
    text, _pixels = _render(out / "brief.pdf", tmp_path)
    headline = pd.read_csv(out / "headline.csv")
    changes = pd.read_csv(out / "changes.csv")
    assert "comparison of layouts" in text and "today" in text
    for name, proven in zip(headline["scenario"], headline["proven_optimal"], strict=True):
        assert f"{name}: Solver" in text
        assert (f"{name}: Solver: cbc, proven optimal" in text) == bool(proven)
    assert f"{len(changes)} change" in text


@needs_poppler
def test_brief_on_a3(demo_run: DemoRun, tmp_path: Path) -> None:
    from facility_layout.brief import write_brief
    from facility_layout.evaluate import LayoutTables
    from facility_layout.scenario import BriefSettings, load_scenario

    from conftest import REPO

    scenario = load_scenario(REPO / "scenarios" / "demo.yaml", data_root=demo_run.data_root)
    scenario = scenario.model_copy(
        update={"outputs": scenario.outputs.model_copy(update={"brief": BriefSettings(paper="a3")})}
    )
    gpkg = demo_run.out / "layout.gpkg"
    layers = ("demand", "facilities", "assignments", "referrals", "boundary")
    tables = LayoutTables(*(gpd.read_file(gpkg, layer=layer) for layer in layers), roads=None)
    summary = json.loads((demo_run.out / "summary.json").read_text())
    write_brief(tmp_path / "a3.pdf", tables, summary, scenario, translator("zh-CN"))
    info = subprocess.run(["pdfinfo", str(tmp_path / "a3.pdf")], capture_output=True, text=True, check=True).stdout
    width, height = (float(v) for v in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert (width, height) == pytest.approx((420 / 25.4 * 72, 297 / 25.4 * 72), rel=0.005)
    text, _pixels = _render(tmp_path / "a3.pdf", tmp_path)
    assert "另有" in text  # more changes than fit: "and K more"


def test_evaluate_reads_back_a_chinese_facilities_csv(chinese_run: Path) -> None:
    """The Chinese headers and decisions (站点编号, 决策: 保留 …) are read as site_id and decision."""
    from facility_layout.pipeline import run
    from facility_layout.scenario import load_scenario

    scenario = load_scenario(chinese_run.parent / "zh.yaml")
    result = run(scenario, chinese_run.parent / "evaluated", layout=chinese_run / "facilities.csv")
    proposed = json.loads((chinese_run / "summary.json").read_text())
    assert result.summary["solver"]["status"] == "given"
    assert result.summary["facilities"] == proposed["facilities"]
    assert result.summary["cost"] == pytest.approx(proposed["cost"])


@given(
    today=st.floats(0, 200_000, allow_nan=False),
    proposed=st.floats(0, 200_000, allow_nan=False),
    kind=st.sampled_from(["minutes", "share", "people", "count", "cost"]),
)
@example(today=7.65, proposed=6.67, kind="minutes")  # the demo's mean minutes: 7.6 → 6.7 printed "-1"
def test_the_briefs_change_column_is_the_difference_of_the_figures_shown(
    today: float, proposed: float, kind: str
) -> None:
    # Read back as a reader would: the printed strings, not the numbers behind them.
    _ = translator("en")
    if kind == "share":
        today, proposed = today / 200_000, proposed / 200_000

    def shown(text: str) -> Decimal:
        return Decimal(text.replace(",", "").replace("%", "").replace("+", ""))

    change = displayed(proposed, kind) - displayed(today, kind)
    printed = [page_number(v, kind, _) for v in (today, proposed)] + [page_number(change, kind, _, signed=True)]
    assert shown(printed[1]) - shown(printed[0]) == shown(printed[2]), printed
