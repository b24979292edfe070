"""``layout.gpkg`` ready for QGIS: demand cells as squares, catchments, land beyond the standard, and an
embedded style per layer with field aliases in the planner's language.

QGIS reads a GeoPackage's ``layer_styles`` table (one QML document per layer, ``useAsDefault`` 1) when it
opens a layer, so the layers appear in the map's colours with readable field names; other GIS ignore it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import geopandas as gpd

from facility_layout.cells import cell_squares, dissolved_areas, on_grid
from facility_layout.evaluate import LayoutTables
from facility_layout.i18n import VALUE_LABELS, Translator, column_label
from facility_layout.palette import (
    BEYOND_STANDARD_COLOUR,
    BOUNDARY_COLOUR,
    CATCHMENT_FILL,
    CATCHMENT_OUTLINE,
    FACILITY_STYLES,
    REFERRAL_COLOUR,
    UNCOVERABLE_COLOUR,
    WITHIN_STANDARD_COLOURS,
)
from facility_layout.scenario import Scenario

STYLE_NAME = "facility-layout"
QGIS_MARKERS = {"circle": "circle", "cross": "cross_fill", "triangle": "triangle", "square": "square", "star": "star"}
LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""


def write_qgis_layers(
    gpkg: Path,
    tables: LayoutTables,
    summary: dict[str, Any],
    scenario: Scenario,
    _: Translator,
    villages: gpd.GeoDataFrame | None = None,
) -> None:
    """Add ``demand_cells``, ``catchments`` and ``beyond_standard`` to ``gpkg`` (demand on the population grid;
    a village census has points only) and a QGIS style per layer.

    Parameters
    ----------
    gpkg : Path
        The run's GeoPackage, with the layers of :data:`facility_layout.outputs.GPKG_LAYERS`.
    tables : LayoutTables
        The layout.
    summary : dict
        For the clinic standard (``standards``).
    scenario : Scenario
        For ``population.cell_size_m``.
    _ : Translator
        The language of aliases and legend labels.
    villages : geopandas.GeoDataFrame, optional
        The ``villages`` layer of a census run, already in ``gpkg``: styled like the demand points.
    """
    standard = float(summary["standards"]["village_clinic_max_minutes"])
    styles = {
        "demand": (_minutes_renderer("marker", standard, _), tables.demand),
        "facilities": (_facility_renderer(_), tables.facilities),
        "assignments": (_single("line", {"line_color": "85,85,85,140", "line_width": "0.2"}), tables.assignments),
        "referrals": (_single("line", {"line_color": _rgba(REFERRAL_COLOUR), "line_width": "0.5"}), tables.referrals),
        "boundary": (_single("fill", _fill("0,0,0,0", _rgba(BOUNDARY_COLOUR), "0.6")), tables.boundary),
    }
    if villages is not None:  # the census's villages: their minutes to the clinic, in the map's classes
        styles["villages"] = (_minutes_renderer("marker", standard, _), villages)
    # Cells of the population grid have squares; the villages of a census are points only.
    if on_grid(tables.demand):
        squares = cell_squares(tables.demand, tables.boundary, scenario.population.cell_size_m)
        cells = gpd.GeoDataFrame(tables.demand.drop(columns="geometry"), geometry=squares, crs=tables.demand.crs)
        catchments, beyond = dissolved_areas(tables.demand, squares)
        for name, frame in (("demand_cells", cells), ("catchments", catchments), ("beyond_standard", beyond)):
            frame.to_file(gpkg, layer=name, driver="GPKG")
        beyond_classes = [
            ("beyond", _(VALUE_LABELS["beyond"]), _fill(_rgba(BEYOND_STANDARD_COLOUR, 90))),
            ("uncoverable", _(VALUE_LABELS["uncoverable"]), _fill(_rgba(UNCOVERABLE_COLOUR, 90))),
        ]
        styles |= {
            "demand_cells": (_minutes_renderer("fill", standard, _), cells),
            "catchments": (
                _single("fill", _fill(_rgba(CATCHMENT_FILL, 31), _rgba(CATCHMENT_OUTLINE), "0.4")),
                catchments,
            ),
            "beyond_standard": (_categories("fill", '"kind"', beyond_classes), beyond),
        }
    with sqlite3.connect(gpkg) as db:
        db.execute(LAYER_STYLES_SQL)
        # Registered as an attributes table, as QGIS itself does, so the GeoPackage stays valid.
        db.execute(
            "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier) "
            "VALUES ('layer_styles', 'attributes', 'layer_styles')"
        )
        for layer, (renderer, frame) in styles.items():
            geometry_column = db.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                (layer, geometry_column, STYLE_NAME, layer_qml(renderer, frame, _), f"{STYLE_NAME} ({_.language})"),
            )


def layer_qml(renderer: ET.Element, frame: gpd.GeoDataFrame, _: Translator) -> str:
    """A layer's QML: its renderer and an alias per field in ``_``'s language."""
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology|Fields")
    root.append(renderer)
    aliases = ET.SubElement(root, "aliases")
    fields = [c for c in frame.columns if c != frame.geometry.name]
    for index, field in enumerate(fields):
        ET.SubElement(aliases, "alias", field=field, index=str(index), name=column_label(field, _))
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _minutes_renderer(kind: str, standard: float, _: Translator) -> ET.Element:
    """The map's classes of minutes to the village clinic: thirds of the standard, beyond, no possible site."""
    first, second = standard / 3, 2 * standard / 3
    expression = (
        "CASE WHEN \"uncoverable\" THEN 'uncoverable' WHEN \"clinic_minutes\" IS NULL THEN 'beyond' "
        f'WHEN "clinic_minutes" <= {first!r} THEN \'within-1\' WHEN "clinic_minutes" <= {second!r} '
        "THEN 'within-2' ELSE 'within-3' END"
    )
    labels = [
        ("within-1", f"≤ {_.minutes(first)}", WITHIN_STANDARD_COLOURS[0]),
        ("within-2", f"{_.minutes(first)}–{_.minutes(second)}", WITHIN_STANDARD_COLOURS[1]),
        ("within-3", f"{_.minutes(second)}–{_.minutes(standard)}", WITHIN_STANDARD_COLOURS[2]),
        ("beyond", _(VALUE_LABELS["beyond"]), BEYOND_STANDARD_COLOUR),
        ("uncoverable", _(VALUE_LABELS["uncoverable"]), UNCOVERABLE_COLOUR),
    ]
    style = (
        (lambda colour: _fill(_rgba(colour, 200), "51,51,51,80", "0.1"))
        if kind == "fill"
        else (lambda colour: _marker(_rgba(colour), "51,51,51,255", "circle", "2"))
    )
    return _categories(kind, expression, [(value, label, style(colour)) for value, label, colour in labels])


def _facility_renderer(_: Translator) -> ET.Element:
    categories = [
        (f"{tier}/{decision}", _(label), _marker(_rgba(fill), _rgba(outline), QGIS_MARKERS[shape], "4"))
        for (tier, decision), (fill, outline, shape, label) in FACILITY_STYLES.items()
    ]
    return _categories("marker", '"tier" || \'/\' || "decision"', categories)


def _categories(kind: str, expression: str, categories: list[tuple[str, str, dict[str, str]]]) -> ET.Element:
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=expression, symbollevels="0", forceraster="0")
    listed = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (value, label, options) in enumerate(categories):
        ET.SubElement(listed, "category", value=value, label=label, symbol=str(index), render="true")
        symbols.append(_symbol(kind, str(index), options))
    return renderer


def _single(kind: str, options: dict[str, str]) -> ET.Element:
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0")
    ET.SubElement(renderer, "symbols").append(_symbol(kind, "0", options))
    return renderer


def _symbol(kind: str, name: str, options: dict[str, str]) -> ET.Element:
    layer_class = {"marker": "SimpleMarker", "line": "SimpleLine", "fill": "SimpleFill"}[kind]
    symbol = ET.Element("symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": layer_class, "enabled": "1", "pass": "0", "locked": "0"})
    option_map = ET.SubElement(layer, "Option", type="Map")
    for key, value in options.items():
        ET.SubElement(option_map, "Option", type="QString", name=key, value=value)
    return symbol


def _fill(colour: str, outline: str = "0,0,0,0", width: str = "0") -> dict[str, str]:
    return {
        "color": colour,
        "style": "solid",
        "outline_color": outline,
        "outline_width": width,
        "outline_style": "solid",
    }


def _marker(colour: str, outline: str, shape: str, size: str) -> dict[str, str]:
    return {"color": colour, "name": shape, "outline_color": outline, "outline_width": "0.3", "size": size}


def _rgba(colour: str, alpha: int = 255) -> str:
    """'#2e7d32' as QGIS writes colours: '46,125,50,255'."""
    red, green, blue = (int(colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"{red},{green},{blue},{alpha}"
