"""Facility rosters as tables (CSV/XLSX: 编号, 名称, 类型, 经度, 纬度) → facility points in WGS 84."""

from __future__ import annotations

import geopandas as gpd

from facility_layout.readers.points import table_points
from facility_layout.readers.tables import read_table
from facility_layout.scenario import FacilitiesInput

KEY = "inputs.facilities"


def read_roster(spec: FacilitiesInput) -> gpd.GeoDataFrame:
    """The roster's rows as points (EPSG:4326), every column kept as text, index = spreadsheet row.

    Raises
    ------
    InputError
        A missing column (the others listed), text in a coordinate column, missing or out-of-range
        coordinates, duplicate ids (each naming the rows).
    """
    table = read_table(spec.file, KEY, spec.sheet, spec.encoding)
    fields = {"tier_field": spec.tier_field, "name_field": spec.name_field, "id_field": spec.id_field}
    text = {field: table.text(field, setting) for setting, field in fields.items() if field is not None}
    if spec.id_field:
        ids = text[spec.id_field]
        empty = ids == ""
        if empty.any():
            raise table.fail(
                "id_field", "{id_field!r} is empty", ids[empty], "give every facility its id", id_field=spec.id_field
            )
        repeated = ids[ids.duplicated(keep=False)]
        if len(repeated):
            raise table.fail(
                "id_field",
                "{id_field!r} repeats ids",
                repeated,
                "give each facility its own id (or remove the repeated rows)",
                id_field=spec.id_field,
            )
    points = table_points(table, spec.lon_field, spec.lat_field, spec.crs)
    for field, values in text.items():
        points[field] = values
    return points
