"""A Chinese county built only from the files its health bureau holds, run through the CLI.

A generated county is converted to an office's formats: the boundary as a GBK Shapefile of two counties
(no .cpg), the facility roster as XLSX in GCJ-02 with Chinese headers and types, a village census as XLSX
(some villages without coordinates), and the roads as a Shapefile with Chinese grades and surfaces. The
truth is the generated files themselves: facilities must land within 5 m of their generated positions, and
the people to serve must be the census total.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import pytest
import yaml
from openpyxl import Workbook
from shapely import LineString
from shapely.affinity import translate
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.gcj02 import wgs84_to_gcj02

REPO = Path(__file__).resolve().parents[1]
GRADES = {
    "secondary": "县道",
    "tertiary": "乡道",
    "unclassified": "村道",
    "track": "机耕路",
    "footway": "步道",
    "path": "小路",
}
SURFACES = {"paved": "水泥", "unpaved": "砂石", "ground": "土路"}
TYPES = {1: "村卫生室", 2: "乡镇卫生院"}


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    book = Workbook()
    book.active.title = sheet
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_gbk_shapefile(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A Shapefile whose .dbf is GBK and that has no .cpg saying so, as county offices send them."""
    frame.to_file(path, encoding="gbk", engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def road_lines(osm: Path) -> gpd.GeoDataFrame:
    """The ways of an OSM XML file as lines with their highway and surface tags (read with pyosmium)."""
    nodes: dict[int, tuple[float, float]] = {}
    rows = []
    for obj in osmium.FileProcessor(str(osm)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way() and "highway" in obj.tags:
            rows.append(
                {
                    "等级": GRADES[obj.tags["highway"]],
                    "路面": SURFACES.get(obj.tags.get("surface", "")),
                    "geometry": LineString([nodes[n.ref] for n in obj.nodes]),
                }
            )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


@pytest.fixture(scope="module")
def office_county(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small generated county as a health bureau holds it, plus its scenario."""
    folder = tmp_path_factory.mktemp("office")
    boundary = gpd.read_file(small_county / "boundary.geojson")
    neighbour = boundary.geometry.iloc[0]
    counties = gpd.GeoDataFrame(
        {"名称": ["邻县", "某某县"], "代码": ["520001", "520002"]},
        geometry=[translate(neighbour, xoff=0.2), neighbour],
        crs="EPSG:4326",
    )
    write_gbk_shapefile(counties, folder / "县界.shp")

    facilities = gpd.read_file(small_county / "facilities.geojson")
    lon, lat = wgs84_to_gcj02(facilities.geometry.x.to_numpy(), facilities.geometry.y.to_numpy())
    rows = [
        [fid, name, TYPES[int(tier)], float(x), float(y)]
        for fid, name, tier, x, y in zip(
            facilities["facility_id"], facilities["name"], facilities["tier"], lon, lat, strict=True
        )
    ]
    hospital_lon, hospital_lat = wgs84_to_gcj02(float(lon[0]), float(lat[0]))
    rows.append(["H-1", "县人民医院", "县医院", float(hospital_lon), float(hospital_lat)])
    write_xlsx(folder / "机构名册.xlsx", ["编号", "名称", "类型", "经度", "纬度"], rows)

    settlements = gpd.read_file(small_county / "settlements.geojson")
    lon, lat = wgs84_to_gcj02(settlements.geometry.x.to_numpy(), settlements.geometry.y.to_numpy())
    people = [300 + 97 * i for i in range(len(settlements))]
    census = []
    for i, (name, x, y, n) in enumerate(zip(settlements["name"], lon, lat, people, strict=True)):
        children = n // 5
        old = n // 6
        # Every third village has no coordinates: it is placed at the settlement of that name.
        coords = [None, None] if i % 3 == 0 else [float(x), float(y)]
        census.append([name, "某镇", *coords, n, children, n - children - old, old])
    write_xlsx(
        folder / "人口.xlsx", ["村名", "乡镇", "经度", "纬度", "人口", "0-14岁", "15-64岁", "65岁以上"], census, "2023"
    )
    write_gbk_shapefile(road_lines(small_county / "roads.osm"), folder / "公路.shp")

    raw = yaml.safe_load((REPO / "scenarios" / "demo.yaml").read_text())
    boundary_file = {"file": "县界.shp", "encoding": "gbk", "filter": {"名称": "某某县"}}
    raw["region"] = {"name": "某某县", "boundary": boundary_file}
    raw["inputs"] = {
        "roads": {"file": "公路.shp", "encoding": "gbk", "class_field": "等级", "surface_field": "路面"},
        "population": {
            "file": "人口.xlsx",
            "sheet": "2023",
            "name_field": "村名",
            "township_field": "乡镇",
            "population_field": "人口",
            "lon_field": "经度",
            "lat_field": "纬度",
            "crs": "gcj02",
            "age_groups": {
                "0-14": {"field": "0-14岁", "visits_per_person": 1.5},
                "15-64": {"field": "15-64岁", "visits_per_person": 1.0},
                "65+": {"field": "65岁以上", "visits_per_person": 2.5},
            },
        },
        "elevation": str(small_county / "dem.tif"),
        "facilities": {
            "file": "机构名册.xlsx",
            "id_field": "编号",
            "name_field": "名称",
            "tier_field": "类型",
            "lon_field": "经度",
            "lat_field": "纬度",
            "crs": "gcj02",
        },
        "settlements": {"file": str(small_county / "settlements.geojson")},
    }
    raw["tiers"]["township_centre"]["central_count"] = 1
    raw["outputs"]["dir"] = str(folder / "out")
    (folder / "county.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    (folder / "census_total.txt").write_text(str(sum(people)))
    return folder


def test_a_county_from_its_own_files_runs(office_county: Path, small_county: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(office_county / "county.yaml"), "--data-root", str(office_county)])
    assert result.exit_code == 0, result.output
    out = office_county / "out"
    summary = json.loads((out / "summary.json").read_text())
    # The people to serve are the census's, every one of them.
    assert summary["population_total"] == pytest.approx(float((office_county / "census_total.txt").read_text()))
    demand = gpd.read_file(out / "layout.gpkg", layer="demand")
    assert len(demand) == len(gpd.read_file(small_county / "settlements.geojson"))
    # The roster's GCJ-02 positions come back to the generated (WGS 84) ones within 5 m.
    truth = gpd.read_file(small_county / "facilities.geojson").set_index("facility_id").to_crs(demand.crs)
    placed = gpd.read_file(out / "layout.gpkg", layer="facilities")
    placed = placed[placed["site_id"].isin(truth.index)].set_index("site_id")
    assert set(placed.index) == set(truth.index)
    assert placed.geometry.distance(truth.geometry.loc[placed.index]).max() < 5.0
    # One row per census village, by its own name, with its clinic and minutes.
    villages = gpd.read_file(out / "layout.gpkg", layer="villages")
    table = pd.read_csv(out / "villages.csv", encoding="utf-8-sig")
    census = pd.read_excel(office_county / "人口.xlsx", sheet_name="2023")
    assert list(table["village"]) == list(villages["village"]) == list(census["村名"])
    assert table["people"].tolist() == census["人口"].tolist()
    within = table["clinic_minutes"] <= 30
    assert (table["within_standard"] == within).all() and (table.loc[within, "clinic"] != "").all()
    assert table.loc[within, "people"].sum() == pytest.approx(summary["population_covered"]["village_clinic"])
    # And today, with every existing clinic open: the same rule on today's minutes, the same total as summary.today.
    within_today = table["clinic_minutes_today"] <= 30
    assert (table["within_standard_today"] == within_today).all()
    assert table.loc[within_today, "people"].sum() == pytest.approx(
        summary["today"]["population_covered"]["village_clinic"]
    )
    # The county hospital is no tier of this scenario: reported, not silently dropped.
    assert summary["inputs"]["unmapped_tiers"] == {"县医院": 1}


def test_bad_rows_stop_the_cli_with_the_row_and_no_output(office_county: Path, tmp_path: Path) -> None:
    raw = yaml.safe_load((office_county / "county.yaml").read_text("utf-8"))
    rows = [["A1", "甲村卫生室", "村卫生室", 104.0, 26.0], ["A1", "乙镇卫生院", "乡镇卫生院", 104.01, 26.01]]
    write_xlsx(tmp_path / "名册.xlsx", ["编号", "名称", "类型", "经度", "纬度"], rows)
    raw["inputs"]["facilities"]["file"] = str(tmp_path / "名册.xlsx")
    raw["outputs"]["dir"] = str(tmp_path / "out")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    for command in ("validate", "run"):
        result = CliRunner().invoke(app, [command, str(path), "--data-root", str(office_county)])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "inputs.facilities.id_field" in text and "row 2 ('A1'), row 3 ('A1')" in text
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_county_with_only_boundary_roster_census_and_roads_runs(
    office_county: Path, small_county: Path, tmp_path: Path
) -> None:
    """Issue 15's four files and nothing else: no DEM (flat terrain, unknown elevations), no settlements (the
    census's villages are the places)."""
    raw = yaml.safe_load((office_county / "county.yaml").read_text("utf-8"))
    census = pd.read_excel(office_county / "人口.xlsx", sheet_name="2023")
    placed = census["经度"].notna().to_numpy()
    # Without a settlements file a village can only be placed by its own coordinates.
    write_xlsx(tmp_path / "人口.xlsx", list(census.columns), census[placed].values.tolist(), "2023")
    inputs = raw["inputs"]
    raw["inputs"] = {
        "roads": inputs["roads"],
        "population": {**inputs["population"], "file": str(tmp_path / "人口.xlsx")},
        "facilities": inputs["facilities"],
    }
    assert set(raw["region"]) == {"name", "boundary"} and raw["region"]["boundary"]["encoding"] == "gbk"
    raw["outputs"]["dir"] = str(tmp_path / "out")
    path = tmp_path / "four_files.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")

    validated = CliRunner().invoke(app, ["validate", str(path), "--data-root", str(office_county)])
    assert validated.exit_code == 0, validated.output
    result = CliRunner().invoke(app, ["run", str(path), "--data-root", str(office_county)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["population_total"] == pytest.approx(census.loc[placed, "人口"].sum())
    truth = gpd.read_file(small_county / "facilities.geojson")
    sites = gpd.read_file(out / "layout.gpkg", layer="facilities")
    truth = truth.set_index("facility_id").to_crs(sites.crs)
    sites = sites[sites["site_id"].isin(truth.index)].set_index("site_id")
    assert set(sites.index) == set(truth.index)
    assert sites.geometry.distance(truth.geometry.loc[sites.index]).max() < 5.0
    # No DEM: said so, flat walking, and elevations unknown rather than sea level.
    assert any(w.startswith("inputs.elevation: no DEM given") for w in summary["warnings"])
    assert summary["travel"]["walking"] == "flat (no DEM given)"
    demand = gpd.read_file(out / "layout.gpkg", layer="demand")
    assert demand["elevation_m"].isna().all() and sites["elevation_m"].isna().all()
    # The census villages are the settlements: new clinics may go where villages are, named by them.
    new = gpd.read_file(out / "layout.gpkg", layer="facilities")
    new = new[~new["site_id"].isin(truth.index) & new["site_id"].str.startswith("new-")]
    assert len(new) and set(new["name"]) <= set(census.loc[placed, "村名"])
