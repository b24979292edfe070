"""Village census tables (statistical yearbook, household register) → villages with their people.

Each row is a village: name, people, optionally its township, its coordinates and people per age group.
Villages without coordinates are placed at the settlement of the same name; those that cannot be placed
are listed in the error, so no one is silently left out of the plan.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from facility_layout.errors import InputError
from facility_layout.readers.points import outside_rows, table_points
from facility_layout.readers.tables import Table, read_table
from facility_layout.scenario import VillageCensus

KEY = "inputs.population"
# Age groups may differ from the total by rounding in the yearbook, not by more.
AGE_GROUP_TOLERANCE = 0.02
NEAR_BOUNDARY_M = 1_000.0


def read_census(spec: VillageCensus, settlements: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The census's villages inside the region, in the boundary's CRS.

    Parameters
    ----------
    spec : VillageCensus
        The ``inputs.population`` mapping.
    settlements : geopandas.GeoDataFrame
        ``name`` and point ``geometry``: where villages without coordinates are placed (by name).
    boundary : geopandas.GeoDataFrame
        The region.

    Returns
    -------
    geopandas.GeoDataFrame
        ``village``, ``township`` ('' when not given), ``people``, ``demand_weight`` (people × visits per
        person of their age groups; people without age groups), ``row`` (in the table), point ``geometry``.
        Villages with no people are left out.

    Raises
    ------
    InputError
        Missing columns, text in number columns, negative people, age groups that do not add up,
        villages that cannot be placed or lie outside the region (each naming the rows).
    """
    table = read_table(spec.file, KEY, spec.sheet, spec.encoding)
    names = table.text(spec.name_field, "name_field")
    people = table.numbers(spec.population_field, "population_field")
    negative = people < 0
    if negative.any():
        raise table.fail(
            "population_field",
            "{population_field!r} is negative",
            table.rows[spec.population_field][negative],
            "give the number of people (0 or more)",
            population_field=spec.population_field,
        )
    weight = _demand_weight(table, spec, people)
    township = (
        table.text(spec.township_field, "township_field") if spec.township_field else pd.Series("", table.rows.index)
    )
    if (spec.lon_field is None) != (spec.lat_field is None):
        raise InputError(
            f"{KEY}.lon_field", spec.file, "only one of lon_field / lat_field is given", "give both, or neither"
        )
    if spec.lon_field and spec.lat_field:
        points = table_points(table, spec.lon_field, spec.lat_field, spec.crs, required=False)
        geometry = points.geometry.to_crs(boundary.crs)
    else:
        geometry = gpd.GeoSeries([None] * len(table.rows), index=table.rows.index, crs=boundary.crs)
    geometry = _placed_by_name(table, names, geometry, settlements.to_crs(boundary.crs), spec)
    # As for facilities: a village geocoded just across a generalised boundary line still belongs here.
    region = gpd.GeoSeries([boundary.union_all().buffer(NEAR_BOUNDARY_M)], crs=boundary.crs).to_crs("EPSG:4326")[0]
    outside = outside_rows(gpd.GeoDataFrame(geometry=geometry.to_crs("EPSG:4326")), region)
    if len(outside):
        raise table.fail(
            "lon_field",
            "{n_outside} villages lie outside the region boundary (lon, lat in WGS 84)",
            outside,
            "check their coordinates and `crs`, or leave villages of other counties out of the table",
            n_outside=len(outside),
        )
    villages = gpd.GeoDataFrame(
        {"village": names, "township": township, "people": people, "demand_weight": weight, "row": table.rows.index},
        geometry=geometry,
        crs=boundary.crs,
    )
    return villages[villages["people"] > 0].reset_index(drop=True)


def _demand_weight(table: Table, spec: VillageCensus, people: np.ndarray) -> np.ndarray:
    """People × visits per person of their age group, checked against the village total."""
    if not spec.age_groups:
        return people
    groups = {name: table.numbers(group.field, f"age_groups.{name}.field") for name, group in spec.age_groups.items()}
    total = np.sum(list(groups.values()), axis=0)
    off = np.abs(total - people) > np.maximum(1.0, AGE_GROUP_TOLERANCE * people)
    if off.any():
        shown = pd.Series(
            [f"groups {t:g} vs {p:g}" for t, p in zip(total[off], people[off], strict=True)],
            index=table.rows.index[off],
        )
        raise table.fail(
            "age_groups",
            "the age groups do not add up to {population_field!r}",
            shown,
            "correct those rows, or list every age group of the table under age_groups",
            population_field=spec.population_field,
        )
    return sum(groups[name] * group.visits_per_person for name, group in spec.age_groups.items())


def _placed_by_name(
    table: Table, names: pd.Series, geometry: gpd.GeoSeries, settlements: gpd.GeoDataFrame, spec: VillageCensus
) -> gpd.GeoSeries:
    """Villages without coordinates take the point of the one settlement of the same name."""
    missing = geometry.isna()
    if not missing.any():
        return geometry
    counts = settlements["name"].value_counts()
    unique = settlements[settlements["name"].map(counts) == 1].set_index("name").geometry
    found = names[missing].map(unique)
    placed = geometry.copy()
    placed[found.index] = found.to_numpy()
    unplaced = placed.isna()
    if unplaced.any():
        why = names[unplaced].map(
            lambda n: f"{n}: several settlements have this name" if counts.get(n, 0) > 1 else (n or "(no name)")
        )
        raise table.fail(
            "name_field",
            "{sum} villages have no coordinates and no settlement of the same name in inputs.settlements",
            why,
            "add their coordinates (lon_field / lat_field) or add them to the settlements file under the same name",
            sum=int(unplaced.sum()),
        )
    return placed
