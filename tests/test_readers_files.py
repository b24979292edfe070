"""Vector files with options (GBK Shapefile, GeoPackage layers, filters) and tables (CSV/XLSX) with row errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from openpyxl import Workbook
from shapely import Point, box

from facility_layout.coords import to_wgs84
from facility_layout.errors import InputError
from facility_layout.gcj02 import wgs84_to_gcj02
from facility_layout.readers.census import read_census
from facility_layout.readers.roster import read_roster
from facility_layout.readers.tables import read_table
from facility_layout.readers.vector import read_vector
from facility_layout.scenario import FacilitiesInput, VillageCensus
from facility_layout.settings_base import VectorSource

HEADER = ["编号", "名称", "类型", "经度", "纬度"]


def xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def roster(path: Path, **settings: object) -> FacilitiesInput:
    defaults = {
        "id_field": "编号",
        "name_field": "名称",
        "tier_field": "类型",
        "lon_field": "经度",
        "lat_field": "纬度",
    }
    return FacilitiesInput(file=path, **{**defaults, **settings})


def message(call) -> str:
    with pytest.raises(InputError) as error:
        call()
    return str(error.value)


# --- vector files ---------------------------------------------------------------------------------------


def test_gbk_shapefile_without_cpg_needs_and_takes_its_encoding(tmp_path: Path) -> None:
    path = tmp_path / "县界.shp"
    counties = gpd.GeoDataFrame({"名称": ["某某县", "邻县"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    counties.to_file(path, encoding="gbk", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    text = message(lambda: read_vector(path, "region.boundary"))
    assert "region.boundary.encoding" in text and "'名称' in GBK" in text and "encoding: gbk" in text
    picked = read_vector(path, "region.boundary", VectorSource(file=path, encoding="gbk", filter={"名称": "邻县"}))
    assert list(picked["名称"]) == ["邻县"] and picked.geometry.iloc[0].equals(box(1, 0, 2, 1))


def test_filter_matching_nothing_lists_the_values(tmp_path: Path) -> None:
    path = tmp_path / "counties.geojson"
    gpd.GeoDataFrame({"name": ["甲县", "乙县"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326).to_file(path)
    text = message(lambda: read_vector(path, "region.boundary", VectorSource(file=path, filter={"name": "丙县"})))
    assert "region.boundary.filter" in text and "values of 'name': 乙县, 甲县" in text
    text = message(lambda: read_vector(path, "region.boundary", VectorSource(file=path, filter={"县名": "甲县"})))
    assert "has no attribute '县名' (attributes: name)" in text


def test_geopackage_layers_by_name_and_unknown_layer(tmp_path: Path) -> None:
    path = tmp_path / "county.gpkg"
    gpd.GeoDataFrame({"name": ["county"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(path, layer="boundary")
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(0.5, 0.5), Point(0.2, 0.2)], crs=4326).to_file(
        path, layer="villages"
    )
    villages = read_vector(path, "inputs.settlements.file", VectorSource(file=path, layer="villages"))
    assert list(villages["name"]) == ["a", "b"]
    boundary = read_vector(path, "region.boundary", VectorSource(file=path, layer=0))
    assert list(boundary["name"]) == ["county"]
    text = message(lambda: read_vector(path, "region.boundary", VectorSource(file=path, layer="roads")))
    assert "region.boundary.layer" in text and "layers: boundary, villages" in text


# --- tables ---------------------------------------------------------------------------------------------


def test_csv_in_gbk_with_semicolons_and_bom_utf8_with_tabs_read_alike(tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["A1", "甲村卫生室", "村卫生室", "104.01", "26.01"],
        ["B1", "乙镇卫生院", "乡镇卫生院", "104.02", "26.02"],
    ]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("\r\n".join(";".join(r) for r in rows).encode("gbk"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\n".join("\t".join(r) for r in rows).encode("utf-8-sig"))
    a, b = (read_table(p, "inputs.facilities").rows for p in (gbk, bom))
    assert list(a.columns) == HEADER and a.equals(b)
    assert list(a.index) == [2, 3] and a.loc[3, "名称"] == "乙镇卫生院"


def test_text_in_number_columns_names_row_and_value(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "r.xlsx",
        {"名册": [HEADER, ["A1", "甲", "村卫生室", 104.01, 26.01], ["A2", "乙", "村卫生室", "东经104", 26.0]]},
    )
    text = message(lambda: read_roster(roster(path)))
    assert "inputs.facilities.lon_field" in text and "row 3 ('东经104')" in text and "'经度'" in text


def test_missing_column_lists_the_available_ones(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "r.xlsx", {"名册": [HEADER, ["A1", "甲", "村卫生室", 104.01, 26.01]]})
    text = message(lambda: read_roster(roster(path, tier_field="机构类型")))
    assert "inputs.facilities.tier_field" in text and "no column '机构类型'" in text
    assert "columns: 编号, 名称, 类型, 经度, 纬度" in text


def test_empty_sheet_and_unknown_sheet(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "r.xlsx", {"说明": [], "表头": [HEADER], "名册": [HEADER, ["A1", "甲", "村卫生室", 104, 26]]}
    )
    assert "sheet '说明' is empty" in message(lambda: read_roster(roster(path, sheet="说明")))
    assert "header (row 1) but no data rows" in message(lambda: read_roster(roster(path, sheet=1)))
    text = message(lambda: read_roster(roster(path, sheet="Sheet1")))
    assert "inputs.facilities.sheet" in text and "sheets: 说明, 表头, 名册" in text
    assert len(read_roster(roster(path, sheet="名册"))) == 1


def test_duplicate_ids_name_their_rows(tmp_path: Path) -> None:
    rows = [HEADER, ["A1", "甲", "村卫生室", 104.01, 26.01], ["A2", "乙", "村卫生室", 104.02, 26.0]]
    rows += [["A1", "丙", "村卫生室", 104.03, 26.0]]
    text = message(lambda: read_roster(roster(xlsx(tmp_path / "r.xlsx", {"s": rows}))))
    assert "inputs.facilities.id_field" in text and "row 2 ('A1'), row 4 ('A1')" in text


def test_coordinates_out_of_range_and_swapped(tmp_path: Path) -> None:
    swapped = [HEADER, ["A1", "甲", "村卫生室", 26.01, 104.01]]
    text = message(lambda: read_roster(roster(xlsx(tmp_path / "s.xlsx", {"s": swapped}))))
    assert "row 2 ('26.01, 104.01')" in text and "look swapped" in text
    missing = [HEADER, ["A1", "甲", "村卫生室", 104.0, None]]
    text = message(lambda: read_roster(roster(xlsx(tmp_path / "m.xlsx", {"s": missing}))))
    assert "have no coordinates" in text and "row 2" in text


def test_gcj02_and_bd09_rosters_come_back_to_wgs84(tmp_path: Path) -> None:
    true_lon, true_lat = np.array([104.01, 116.3975]), np.array([26.02, 39.9087])
    gcj_lon, gcj_lat = wgs84_to_gcj02(true_lon, true_lat)
    rows = [HEADER] + [[f"A{i}", "甲", "村卫生室", x, y] for i, (x, y) in enumerate(zip(gcj_lon, gcj_lat, strict=True))]
    points = read_roster(roster(xlsx(tmp_path / "g.xlsx", {"s": rows}), crs="gcj02"))
    metres = np.hypot((points.geometry.x - true_lon) * 100_000, (points.geometry.y - true_lat) * 111_000)
    assert metres.max() < 0.01
    # BD-09 = GCJ-02 + Baidu's offset: converted back, it lands on the same WGS 84 point.
    bd_lon, bd_lat = _gcj02_to_bd09(gcj_lon, gcj_lat)
    lon, lat = to_wgs84(bd_lon, bd_lat, "bd09")
    np.testing.assert_allclose(lon, true_lon, atol=1e-6)
    np.testing.assert_allclose(lat, true_lat, atol=1e-6)


def _gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Baidu's published forward formula (the reader implements only the inverse)."""
    x_pi = np.pi * 3000.0 / 180.0
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * x_pi)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * x_pi)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


# --- census ---------------------------------------------------------------------------------------------

CENSUS_HEADER = ["村名", "乡镇", "经度", "纬度", "人口"]


def census(path: Path, **settings: object) -> VillageCensus:
    defaults = {
        "name_field": "村名",
        "township_field": "乡镇",
        "population_field": "人口",
        "lon_field": "经度",
        "lat_field": "纬度",
    }
    return VillageCensus(file=path, **{**defaults, **settings})


@pytest.fixture
def region() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A 2 × 2 km square county in UTM 48N and its settlements."""
    boundary = gpd.GeoDataFrame(geometry=[box(500_000, 2_900_000, 502_000, 2_902_000)], crs=32648)
    settlements = gpd.GeoDataFrame(
        {"name": ["甲村", "乙村", "丙村", "丙村"]},
        geometry=[Point(500_500, 2_900_500), Point(501_500, 2_901_500), Point(501_000, 2_901_000), Point(1, 1)],
        crs=32648,
    )
    return boundary, settlements


def lonlat(boundary: gpd.GeoDataFrame, x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([Point(x, y)], crs=boundary.crs).to_crs(4326).iloc[0]
    return point.x, point.y


def test_census_villages_placed_by_coordinates_or_by_name(tmp_path: Path, region) -> None:
    boundary, settlements = region
    x, y = lonlat(boundary, 501_000, 2_900_200)
    rows = [
        CENSUS_HEADER,
        ["丁村", "一镇", x, y, "1,234"],
        ["甲村", "一镇", None, None, 500],
        ["空村", "一镇", x, y, 0],
    ]
    villages = read_census(census(xlsx(tmp_path / "c.xlsx", {"s": rows})), settlements, boundary)
    assert list(villages["village"]) == ["丁村", "甲村"] and list(villages["row"]) == [2, 3]
    assert list(villages["people"]) == [1234, 500]
    assert villages.geometry.iloc[0].distance(Point(501_000, 2_900_200)) < 0.01
    assert villages.geometry.iloc[1].equals(Point(500_500, 2_900_500))


def test_census_villages_that_cannot_be_placed_are_listed(tmp_path: Path, region) -> None:
    boundary, settlements = region
    rows = [
        CENSUS_HEADER,
        ["戊村", "一镇", None, None, 10],
        ["丙村", "一镇", None, None, 20],
        ["甲村", "", None, None, 5],
    ]
    text = message(lambda: read_census(census(xlsx(tmp_path / "c.xlsx", {"s": rows})), settlements, boundary))
    assert "2 villages have no coordinates" in text
    assert "row 2 ('戊村')" in text and "row 3 ('丙村: several settlements have this name')" in text


def test_census_villages_outside_the_region_are_listed(tmp_path: Path, region) -> None:
    boundary, settlements = region
    far = lonlat(boundary, 510_000, 2_900_500)
    rows = [CENSUS_HEADER, ["甲村", "一镇", None, None, 5], ["远村", "二镇", *far, 10]]
    text = message(lambda: read_census(census(xlsx(tmp_path / "c.xlsx", {"s": rows})), settlements, boundary))
    assert "1 villages lie outside the region boundary" in text and "row 3" in text


def test_census_age_groups_weight_visits_and_must_add_up(tmp_path: Path, region) -> None:
    boundary, settlements = region
    header = ["村名", "人口", "儿童", "成人", "老人"]
    groups = {
        "0-14": {"field": "儿童", "visits_per_person": 1.5},
        "15-64": {"field": "成人", "visits_per_person": 1.0},
        "65+": {"field": "老人", "visits_per_person": 3.0},
    }
    good = xlsx(tmp_path / "g.xlsx", {"s": [header, ["甲村", 100, 20, 60, 20], ["乙村", 50, 0, 50, 0]]})
    spec = census(good, township_field=None, lon_field=None, lat_field=None, age_groups=groups)
    villages = read_census(spec, settlements, boundary)
    assert list(villages["demand_weight"]) == [20 * 1.5 + 60 + 20 * 3.0, 50.0]
    assert list(villages["township"]) == ["", ""]
    bad = xlsx(tmp_path / "b.xlsx", {"s": [header, ["甲村", 100, 20, 60, 20], ["乙村", 50, 10, 10, 0]]})
    text = message(lambda: read_census(spec.model_copy(update={"file": bad}), settlements, boundary))
    assert "inputs.population.age_groups" in text and "row 3 ('groups 20 vs 50')" in text


def test_census_text_and_negative_people(tmp_path: Path, region) -> None:
    boundary, settlements = region
    rows = [["村名", "人口"], ["甲村", "约300"]]
    spec = census(xlsx(tmp_path / "t.xlsx", {"s": rows}), township_field=None, lon_field=None, lat_field=None)
    text = message(lambda: read_census(spec, settlements, boundary))
    assert "inputs.population.population_field" in text and "row 2 ('约300')" in text
    rows = [["村名", "人口"], ["甲村", -3]]
    spec = spec.model_copy(update={"file": xlsx(tmp_path / "n.xlsx", {"s": rows})})
    assert "is negative: row 2 (-3)" in message(lambda: read_census(spec, settlements, boundary))


def test_typos_in_a_file_mapping_get_one_clear_hint(tmp_path: Path) -> None:
    from facility_layout.errors import ScenarioError
    from facility_layout.scenario import load_scenario

    path = tmp_path / "typo.yaml"
    path.write_text(
        "region: {name: 某某县, boundary: {file: 县界.shp, encodng: gbk}}\n"
        "inputs:\n"
        "  roads: {file: 公路.shp, class_feild: 等级}\n"
        "  population: {file: 人口.xlsx, name_field: 村名, populaton_field: 人口}\n"
        "  elevation: dem.tif\n"
        "  facilities: {file: 名册.xlsx, crs: GCJ-02}\n"
        "  settlements: {file: 村庄.geojson}\n",
        "utf-8",
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(path, tmp_path)
    lines = str(error.value).splitlines()[1:]
    assert lines == [
        "  - `region.boundary.encodng`: unknown key. Fix: did you mean `encoding`?",
        "  - `inputs.roads.class_feild`: unknown key. Fix: did you mean `class_field`?",
        "  - `inputs.population.populaton_field`: unknown key. Fix: did you mean `population_field`?",
    ]
