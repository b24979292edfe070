"""A census run's ``villages`` layer opens in QGIS styled like the map (minutes to the clinic in its classes)
with field aliases in the run's language, and ``villages.csv`` has its headers in that language."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from xml.etree import ElementTree as ET

import geopandas as gpd
import pytest
from test_readers_county import office_county  # noqa: F401  (the census county, a fixture)
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.i18n import column_label, translator
from facility_layout.palette import BEYOND_STANDARD_COLOUR, WITHIN_STANDARD_COLOURS


@pytest.fixture(scope="module")
def chinese_census_run(office_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("villages") / "out"
    args = ["run", str(office_county / "county.yaml"), "--data-root", str(office_county), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--lang", "zh-CN"])
    assert result.exit_code == 0, result.output
    return out


def _rgb(colour: str) -> str:
    return ",".join(str(int(colour[k : k + 2], 16)) for k in (1, 3, 5))


def test_the_villages_layer_has_a_default_style_in_the_maps_classes(chinese_census_run: Path) -> None:
    gpkg = chinese_census_run / "layout.gpkg"
    with sqlite3.connect(gpkg) as db:
        rows = db.execute(
            "SELECT f_geometry_column, styleQML, useAsDefault FROM layer_styles WHERE f_table_name = 'villages'"
        ).fetchall()
    assert len(rows) == 1
    geometry_column, qml, default = rows[0]
    assert default == 1 and geometry_column == "geom"
    root = ET.fromstring(qml.split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None and renderer.get("type") == "categorizedSymbol"
    # The classes read the layer's own fields, and each village falls in exactly one.
    villages = gpd.read_file(gpkg, layer="villages")
    assert '"clinic_minutes"' in renderer.get("attr") and '"uncoverable"' in renderer.get("attr")
    categories = [c.get("value") for c in renderer.iter("category")]
    assert categories == ["within-1", "within-2", "within-3", "beyond", "uncoverable"]
    colours = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "color"]
    assert [c.rsplit(",", 1)[0] for c in colours[:4]] == [
        _rgb(c) for c in (*WITHIN_STANDARD_COLOURS, BEYOND_STANDARD_COLOUR)
    ]
    # Aliases: every field of the layer, in Chinese.
    zh = translator("zh-CN")
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert set(aliases) == set(villages.columns.drop("geometry"))
    assert aliases["village"] == "村" and aliases["clinic_minutes"] == zh("Minutes to village clinic")
    assert all(alias != field or field in ("x", "y") for field, alias in aliases.items()), aliases
    # The minutes in the style's classes are the village clinic standard's thirds (30 min here).
    labels = [c.get("label") for c in renderer.iter("category")]
    assert labels[0] == f"≤ {zh.minutes(10)}" and labels[2].endswith(zh.minutes(30))


def test_villages_csv_has_chinese_headers(chinese_census_run: Path) -> None:
    with (chinese_census_run / "villages.csv").open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    zh = translator("zh-CN")
    assert header[:4] == [zh("Village"), zh("Township"), zh("Census row"), zh("People")]
    assert all(column_label(field, zh) in header for field in ("clinic_minutes", "within_standard", "centre"))
