"""`facility-layout init` on a folder as a Chinese county health bureau holds it (files written by the test)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin
from shapely.geometry import LineString, box
from typer.testing import CliRunner

from facility_layout.cli import app

runner = CliRunner()
ROSTER = [
    ("编号", "名称", "类型", "经度", "纬度"),
    ("WS001", "前进村卫生室", "村卫生室", 104.012, 26.004),
    ("WS002", "红星村卫生室", "村卫生室", 104.031, 26.017),
    ("WS003", "大坪村卫生室", "村卫生室", 104.044, 25.992),
    ("XZ001", "石桥乡卫生院", "乡镇卫生院", 104.020, 26.010),
    ("XZ002", "龙场镇中心卫生院", "中心卫生院", 104.051, 26.021),
    ("XY001", "某某县人民医院", "县医院", 104.002, 26.030),
]
CENSUS = [
    ("村名", "乡镇", "人口", "0-14岁", "经度", "纬度"),
    ("前进村", "石桥乡", 1520, 301, 104.011, 26.005),
    ("红星村", "石桥乡", 980, 190, 104.030, 26.018),
    ("大坪村", "龙场镇", 2210, 455, 104.045, 25.991),
]


def _xlsx(path: Path, sheet: str, rows: list[tuple]) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)


@pytest.fixture
def bureau(tmp_path: Path) -> Path:
    """Roster and census in Excel, a GBK Shapefile boundary without .cpg, a DEM GeoTIFF; no roads."""
    folder = tmp_path / "某某县"
    folder.mkdir()
    _xlsx(folder / "卫生机构名册.xlsx", "机构", ROSTER)
    _xlsx(folder / "村人口统计.xlsx", "2023年", CENSUS)
    gis = folder / "gis"
    gis.mkdir()
    boundary = gpd.GeoDataFrame({"名称": ["某某县"], "代码": ["520000"]}, geometry=[box(103.99, 25.98, 104.06, 26.04)])
    boundary.set_crs("EPSG:4326").to_file(gis / "县界.shp", encoding="gbk")
    (gis / "县界.cpg").unlink()  # as offices receive them: GBK text and nothing saying so
    dbf = (gis / "县界.dbf").read_bytes()
    assert "某某县".encode("gbk") in dbf and "某某县".encode() not in dbf
    with rasterio.open(
        folder / "dem.tif", "w", driver="GTiff", width=10, height=10, count=1, dtype="int16", crs="EPSG:4326",
        transform=from_origin(103.98, 26.05, 0.01, 0.01),
    ) as dst:  # fmt: skip
        dst.write(np.full((1, 10, 10), 1200, dtype=np.int16))
    return folder


def test_init_guesses_every_field_and_says_what_is_missing(bureau: Path) -> None:
    result = runner.invoke(app, ["init", str(bureau)])
    assert result.exit_code == 0, result.output
    text = (bureau / "scenario.yaml").read_text(encoding="utf-8")
    scenario = yaml.safe_load(text)
    assert scenario["region"]["name"] == "某某县"  # read through the GBK encoding
    assert scenario["region"]["boundary"] == {"file": str(bureau / "gis" / "县界.shp"), "encoding": "gbk"}
    facilities = scenario["inputs"]["facilities"]
    assert facilities == {
        "file": str(bureau / "卫生机构名册.xlsx"),
        "sheet": "机构",
        "id_field": "编号",
        "name_field": "名称",
        "tier_field": "类型",
        "lon_field": "经度",
        "lat_field": "纬度",
        "crs": "gcj02",
        "tiers": {"village_clinic": ["村卫生室"], "township_centre": ["中心卫生院", "乡镇卫生院"]},
    }
    assert "not mapped to a tier (reported, not planned): 县医院" in text
    population = scenario["inputs"]["population"]
    assert population == {
        "file": str(bureau / "村人口统计.xlsx"),
        "sheet": "2023年",
        "population_field": "人口",
        "name_field": "村名",
        "lon_field": "经度",
        "lat_field": "纬度",
        "crs": "gcj02",
    }
    assert scenario["inputs"]["elevation"] == str(bureau / "dem.tif")
    assert "roads" not in scenario["inputs"] and "# roads: TODO" in text
    output = " ".join(result.output.split())
    assert "inputs.roads: NOT FOUND" in output and "still missing: inputs.roads" in output
    assert "GUESS" in text and "crs: gcj02 # GUESS" in " ".join(text.split())


def test_init_never_overwrites_a_scenario(bureau: Path) -> None:
    mine = bureau / "scenario.yaml"
    mine.write_text("# my own scenario\n", encoding="utf-8")
    result = runner.invoke(app, ["init", str(bureau)])
    assert result.exit_code == 0, result.output
    assert mine.read_text(encoding="utf-8") == "# my own scenario\n"
    new = bureau / "scenario.new.yaml"
    assert "wrote scenario.new.yaml beside it" in " ".join(result.output.split())
    written = new.read_text(encoding="utf-8")
    assert yaml.safe_load(written)["inputs"]["facilities"]["id_field"] == "编号"
    result = runner.invoke(app, ["init", str(bureau)])
    assert result.exit_code == 2 and "never overwrites" in result.output
    assert mine.read_text(encoding="utf-8") == "# my own scenario\n" and new.read_text(encoding="utf-8") == written


def test_init_reads_gbk_csv_and_projected_coordinates(tmp_path: Path) -> None:
    """A CSV saved by Excel on Chinese Windows (GBK) with CGCS2000 Gauss-Krüger metres: the crs is left TODO."""
    rows = [
        "编号,名称,类型,X,Y",
        "1,甲村卫生室,村卫生室,449042.0,4420261.2",
        "2,乙乡卫生院,乡镇卫生院,450100.0,4421000.0",
    ]
    (tmp_path / "clinics.csv").write_bytes("\r\n".join(rows).encode("gbk"))
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "scenario.yaml").read_text(encoding="utf-8")
    assert "the file's text is GBK" in text
    scenario = yaml.safe_load(text)
    facilities = scenario["inputs"]["facilities"]
    assert (facilities["lon_field"], facilities["lat_field"], facilities["crs"]) == ("X", "Y", "TODO")
    assert facilities["tiers"] == {"village_clinic": ["村卫生室"], "township_centre": ["乡镇卫生院"]}


def test_init_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "is not a folder" in result.output
    assert not (tmp_path / "nowhere").exists()


def test_init_tells_rasters_apart_and_finds_a_roads_shapefile(tmp_path: Path) -> None:
    """Rasters with uninformative names: the integer one is the DEM, the floating-point one the population."""
    for name, dtype in (("a.tif", "float32"), ("b.tif", "int16")):
        with rasterio.open(
            tmp_path / name, "w", driver="GTiff", width=4, height=4, count=1, dtype=dtype, crs="EPSG:4326",
            transform=from_origin(104.0, 26.0, 0.01, 0.01),
        ) as dst:  # fmt: skip
            dst.write(np.ones((1, 4, 4), dtype=dtype))
    roads = gpd.GeoDataFrame({"等级": ["县道"]}, geometry=[LineString([(104.0, 25.99), (104.03, 25.97)])], crs=4326)
    roads.to_file(tmp_path / "交通道路.shp", encoding="utf-8")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    inputs = yaml.safe_load((tmp_path / "scenario.yaml").read_text(encoding="utf-8"))["inputs"]
    assert inputs["elevation"] == str(tmp_path / "b.tif") and inputs["population"] == str(tmp_path / "a.tif")
    assert inputs["roads"] == {"file": str(tmp_path / "交通道路.shp"), "class_field": "等级"}
    assert "inputs.facilities: NOT FOUND" in " ".join(result.output.split())


def test_init_in_chinese_prints_and_comments_in_chinese_with_the_same_keys(bureau: Path, tmp_path: Path) -> None:
    """`init --lang zh-CN`: every line it prints and every comment of the starter scenario is Chinese (file
    names, keys, values and the GUESS/TODO marks aside); the scenario is the English one's, key for key, and
    loads as a scenario once its roads are there."""
    from facility_layout.scenario import load_scenario

    from english import english_words

    roads = gpd.GeoDataFrame({"等级": ["县道"]}, geometry=[LineString([(104.0, 26.0), (104.03, 26.02)])], crs=4326)
    roads.to_file(bureau / "交通道路.shp", encoding="utf-8")
    english = tmp_path / "english"
    shutil.copytree(bureau, english)
    assert runner.invoke(app, ["init", str(english)]).exit_code == 0
    result = runner.invoke(app, ["init", str(bureau), "--lang", "zh-CN"], env={"COLUMNS": "1000"})
    assert result.exit_code == 0, result.output
    printed = re.sub(r"\S*/\S*", " ", result.output)  # paths are the planner's
    assert "已写入" in printed and english_words(printed) == set(), result.output
    text = (bureau / "scenario.yaml").read_text(encoding="utf-8")
    # The comments, but the command to run next and a commented-out key's name (`# settlements: TODO …`).
    comments = [
        re.sub(r"^\s*[a-z_]+:", "", line.split("#", 1)[1].replace(str(bureau), ""))
        for line in text.splitlines()
        if "#" in line and "facility-layout validate" not in line
    ]
    assert len(comments) > 10 and "请核对：国家标准" in text and "未对应到机构级别" in text
    leftover = {line: english_words(line) for line in comments}
    assert {line: words for line, words in leftover.items() if words} == {}
    expected = (english / "scenario.yaml").read_text(encoding="utf-8").replace(str(english), str(bureau))
    assert yaml.safe_load(text) == yaml.safe_load(expected)
    loaded = load_scenario(bureau / "scenario.yaml")
    assert loaded.inputs.facilities.tiers.village_clinic == ["村卫生室"] and loaded.region.name == "某某县"
