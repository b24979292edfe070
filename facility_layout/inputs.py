"""Read and check a region's input files: boundary, roads, rasters, facilities, settlements, admin areas.

Every file is read here and nowhere else, its problems reported against the scenario key that named it
(missing, unreadable, no CRS, not overlapping the boundary, no township centre). Vector layers come out
in the region's metric CRS; rasters stay on their native grid (with their own CRS and transform) so
that no resampling happens before the stage that needs it.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.errors import RasterioIOError
from rasterio.features import geometry_mask
from rasterio.transform import array_bounds, rowcol
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from facility_layout.errors import InputError, Joined, Message
from facility_layout.i18n import Translator
from facility_layout.readers.census import read_census
from facility_layout.readers.osm_xml import read_osm_roads
from facility_layout.readers.pbf import highways_as_xml
from facility_layout.readers.roads_vector import read_road_lines
from facility_layout.readers.roster import read_roster
from facility_layout.readers.tables import is_table
from facility_layout.readers.vector import read_vector
from facility_layout.road_table import RoadTable, load_road_table, road_key, road_table, save_road_table
from facility_layout.scenario import AdminAreasSettings, RoadsSource, Scenario, VillageCensus
from facility_layout.settings_base import VectorOptions, source_file

VILLAGE_CLINIC = "village_clinic"
TOWNSHIP_CENTRE = "township_centre"


@dataclass(frozen=True)
class Raster:
    """A single-band raster on its native grid.

    Attributes
    ----------
    values : numpy.ma.MaskedArray
        Band 1, nodata masked.
    transform : affine.Affine
        Pixel → CRS coordinates (of pixel corners).
    crs : pyproj.CRS
        The raster's own CRS.
    path : Path
        Where it was read from.
    """

    values: np.ma.MaskedArray
    transform: object
    crs: CRS
    path: Path

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every pixel centre, in the raster CRS, shaped like ``values``."""
        rows, cols = np.indices(self.values.shape)
        a, b, c, d, e, f = self.transform[:6]
        x = c + (cols + 0.5) * a + (rows + 0.5) * b
        y = f + (cols + 0.5) * d + (rows + 0.5) * e
        return x, y

    def sample(self, x: np.ndarray, y: np.ndarray, crs: CRS) -> np.ndarray:
        """Values at points given in ``crs`` (nearest pixel); NaN outside the grid or on nodata."""
        to_raster = Transformer.from_crs(crs, self.crs, always_xy=True)
        rx, ry = to_raster.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        row, col = (np.asarray(v, dtype=np.int64) for v in rowcol(self.transform, rx, ry, op=np.floor))
        n_rows, n_cols = self.values.shape
        inside = (row >= 0) & (row < n_rows) & (col >= 0) & (col < n_cols)
        out = np.full(len(rx), np.nan)
        picked = self.values[row[inside], col[inside]]
        out[inside] = np.ma.filled(picked.astype(float), np.nan)
        return out


@dataclass(frozen=True)
class RegionInputs:
    """Everything read for one region, vector layers in the metric CRS ``crs``."""

    name: str
    crs: CRS
    boundary: gpd.GeoDataFrame
    roads: RoadTable
    population: Raster | None
    elevation: Raster | None  # None: no DEM given, the terrain is flat
    facilities: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame
    synthetic: bool
    attribution: list[str]
    closed_areas: list[BaseGeometry | None]
    # inputs.population as a village census (then ``population`` is None): village, township, people, …
    villages: gpd.GeoDataFrame | None = None
    # Facility types in the roster that no tier maps (e.g. 县医院) and how many facilities have each.
    unmapped_tiers: dict[str, int] | None = None
    # tiers.village_clinic.candidates.file: points a new clinic could be built on (name, geometry).
    site_points: gpd.GeoDataFrame | None = None
    population_covered_share: float = 1.0
    dropped_facilities: tuple[dict, ...] = ()
    warnings: tuple[str, ...] = ()


def read_region(scenario: Scenario) -> RegionInputs:
    """Read every input of ``scenario`` and check that they fit together.

    Raises
    ------
    InputError
        Naming the scenario key, the file, the problem and the fix.
    """
    check_files_exist(scenario)
    boundary = read_boundary(scenario.region.boundary)
    crs = choose_metric_crs(boundary, scenario.region.crs)
    census = scenario.inputs.population if isinstance(scenario.inputs.population, VillageCensus) else None
    # Only the window of each raster the region needs (a county of a province reads its part, not the
    # province's file): the people inside the boundary; the terrain under the boundary and every road.
    near = tuple(boundary.to_crs(crs).buffer(RASTER_MARGIN_M).to_crs("EPSG:4326").total_bounds)
    population = None if census else read_raster(scenario.inputs.population, "inputs.population", near)
    if population is not None:
        check_raster_overlaps(population, boundary, "inputs.population")
    covered_share = check_population(population, boundary) if population is not None else 1.0
    roads = read_road_input(scenario)
    check_roads_overlap(roads, boundary, source_file(scenario.inputs.roads))
    elevation = None
    if scenario.inputs.elevation:
        west, south, east, north = transform_bounds(
            roads.crs, "EPSG:4326", roads.lon.min(), roads.lat.min(), roads.lon.max(), roads.lat.max()
        )
        under = (min(near[0], west), min(near[1], south), max(near[2], east), max(near[3], north))
        elevation = read_raster(scenario.inputs.elevation, "inputs.elevation", under)
        check_raster_overlaps(elevation, boundary, "inputs.elevation")
    boundary_m = boundary.to_crs(crs)
    facilities, dropped = read_facilities(scenario, boundary_m)
    settlements = read_settlements(scenario, boundary_m)
    villages = read_census(census, settlements, boundary_m) if census else None
    if scenario.inputs.settlements is None and villages is not None:
        # A county's census lists its villages: they are its settlements.
        settlements = gpd.GeoDataFrame(
            {"name": villages["village"], "place": "village"}, geometry=villages.geometry, crs=villages.crs
        )
    notes = [population_coverage_warning(scenario, covered_share)] if covered_share < FULL_COVERAGE else []
    notes += [dropped_facilities_warning(scenario, dropped)] if dropped else []
    unmapped = facilities.attrs.get("unmapped_tiers", {})
    notes += [unmapped_tiers_warning(scenario, unmapped)] if unmapped else []
    notes += missing_input_warnings(scenario, settlements)
    return RegionInputs(
        name=scenario.region.name,
        crs=crs,
        boundary=boundary_m,
        roads=roads,
        population=population,
        elevation=elevation,
        facilities=facilities,
        settlements=settlements,
        synthetic=is_synthetic(scenario),
        attribution=scenario.region.attribution or _metadata(scenario).get("attribution_list", []),
        closed_areas=read_closed_areas(scenario, crs),
        villages=villages,
        unmapped_tiers=unmapped,
        site_points=read_site_points(scenario, boundary_m),
        population_covered_share=covered_share,
        dropped_facilities=tuple(dropped),
        warnings=tuple(notes),
    )


def check_files_exist(scenario: Scenario) -> None:
    """Every input file exists (a synthetic region is generated before this check)."""
    for key, path in scenario.input_files().items():
        if not path.is_file():
            raise InputError(
                key,
                path,
                "file does not exist",
                "check the path in {value} and the data root ({data_root}; set it with --data-root or the "
                "FACILITY_LAYOUT_DATA variable)",
                value=scenario.source or Message("the scenario"),
                data_root=scenario.data_root,
            )


def is_synthetic(scenario: Scenario) -> bool:
    """True for a generated region: the scenario says so, or the region's ``region.json`` does."""
    return scenario.region.synthetic is not None or bool(_metadata(scenario).get("synthetic"))


def credits(scenario: Scenario, _: Translator) -> list[str]:
    """The sources a page credits, in ``_``'s language.

    The generator writes a generated region's credit into its ``region.json`` in English; it is said again here
    from the region's seed, so a Chinese page credits generated data in Chinese. A scenario's own
    ``region.attribution`` and a real region's credits stay as their owners word them (licence texts).
    """
    if scenario.region.attribution or not is_synthetic(scenario):
        return scenario.region.attribution or _metadata(scenario).get("attribution_list", [])
    settings = scenario.region.synthetic
    seed = settings.seed if settings is not None else _metadata(scenario).get("seed")
    return [
        _("Synthetic region generated by {tool} (seed {seed}) — not a real place", tool="facility_layout", seed=seed)
    ]


def _metadata(scenario: Scenario) -> dict:
    meta = source_file(scenario.region.boundary).parent / "region.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
    except (OSError, json.JSONDecodeError):
        return {}


def choose_metric_crs(boundary: gpd.GeoDataFrame, requested: str | None) -> CRS:
    """The region's metric CRS: ``requested`` if given (must be projected), else the UTM zone of the data."""
    if requested is not None:
        try:
            crs = CRS.from_user_input(requested)
        except Exception as exc:
            raise InputError(
                "region.crs", requested, "not a known CRS ({exc})", "give e.g. 'EPSG:32738'", exc=exc
            ) from None
        if not crs.is_projected:
            raise InputError(
                "region.crs",
                requested,
                "is geographic (degrees), but distances need metres",
                "give a projected CRS such as the data's UTM zone, or omit region.crs to pick it automatically",
            )
        return crs
    utm = boundary.estimate_utm_crs()
    if utm is None:
        raise InputError("region.boundary", "", "could not pick a UTM zone for the boundary", "set region.crs")
    return CRS.from_user_input(utm)


def read_boundary(source: Path | VectorOptions) -> gpd.GeoDataFrame:
    """The region's polygon(s), dissolved into one feature, in the file's CRS."""
    path = source_file(source)
    frame = _read_vector(path, "region.boundary", None if isinstance(source, Path) else source)
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        kinds = sorted(set(frame.geometry.geom_type.dropna()))
        raise InputError(
            "region.boundary", path, "has no polygon (geometry types: {kinds})", "give a polygon file", kinds=kinds
        )
    dissolved = polygons[["geometry"]].dissolve()
    dissolved["geometry"] = dissolved.geometry.make_valid()
    return dissolved.reset_index(drop=True)


def _read_vector(path: Path, key: str, options: VectorOptions | None = None) -> gpd.GeoDataFrame:
    return read_vector(path, key, options)


# Raster windows reach this far beyond the boundary (and its roads), a margin over any pixel size in use.
RASTER_MARGIN_M = 2_000.0


def read_raster(path: Path, key: str, within: tuple[float, float, float, float] | None = None) -> Raster:
    """Band 1 of a raster, nodata masked, on its native grid: the whole file, or only the window of whole
    pixels covering ``within`` (west, south, east, north in lon/lat) when given and overlapping."""
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(key, path, "has no coordinate reference system", "save the raster with a CRS")
            window = None if within is None else _window(src, within)
            values = src.read(1, masked=True, window=window)
            transform = src.transform if window is None else src.window_transform(window)
            return Raster(values=values, transform=transform, crs=CRS.from_user_input(src.crs), path=path)
    except RasterioIOError as exc:
        raise InputError(key, path, "is not a readable raster ({exc})", "give a GeoTIFF", exc=exc) from None


def _window(src: rasterio.DatasetReader, within: tuple[float, float, float, float]) -> Window | None:
    """The whole pixels of ``src`` under the lon/lat box ``within`` (one more on each side); None (the
    whole file, which the overlap check then judges) when the box misses the raster."""
    bounds = transform_bounds("EPSG:4326", src.crs, *within, densify_pts=21)
    box_window = from_bounds(*bounds, transform=src.transform)
    col, row = math.floor(box_window.col_off) - 1, math.floor(box_window.row_off) - 1
    cols, rows = (
        math.ceil(box_window.col_off + box_window.width) + 1,
        math.ceil(box_window.row_off + box_window.height) + 1,
    )
    col, row, cols, rows = max(col, 0), max(row, 0), min(cols, src.width), min(rows, src.height)
    if cols <= col or rows <= row:
        return None
    return Window(col, row, cols - col, rows - row)


def check_raster_overlaps(raster: Raster, boundary: gpd.GeoDataFrame, key: str) -> None:
    """The raster covers at least part of the boundary (after putting both in the raster's CRS)."""
    raster_box = box(*array_bounds(*raster.values.shape, raster.transform))
    region = boundary.to_crs(raster.crs).union_all()
    if not raster_box.intersects(region):
        rb = transform_bounds(raster.crs, "EPSG:4326", *raster_box.bounds)
        bb = boundary.to_crs("EPSG:4326").total_bounds
        raise InputError(
            key,
            raster.path,
            "does not overlap the region boundary (raster lon/lat bounds {bounds}, boundary {boundary})",
            "give the raster of this region, or check that its CRS is declared correctly",
            bounds=np.round(rb, 4).tolist(),
            boundary=np.round(bb, 4).tolist(),
        )


# Below this share of the region's area covered by population data, read_region warns.
FULL_COVERAGE = 0.95


def check_population(population: Raster, boundary: gpd.GeoDataFrame) -> float:
    """People live inside the region on this raster; returns the share of the region's area it covers.

    The share counts pixels with data (not nodata) whose centre lies inside the boundary, times the pixel
    area, over the boundary's area (both in the raster's CRS units), capped at 1.

    Raises
    ------
    InputError
        When the raster holds nobody inside the boundary (all nodata, zeros, or people only outside).
    """
    values = population.values
    region = boundary.to_crs(population.crs).union_all()
    inside = ~geometry_mask([region], out_shape=values.shape, transform=population.transform)
    valid = ~np.ma.getmaskarray(values)
    # People as demand.demand_points counts them: nodata, NaN and negative pixels hold nobody.
    people = np.nan_to_num(np.ma.filled(values.astype(np.float64), 0.0), nan=0.0, posinf=0.0, neginf=0.0)
    people[people < 0] = 0.0
    if people[inside].sum() <= 0:
        nodata = 1.0 - valid.mean() if values.size else 1.0
        raise InputError(
            "inputs.population",
            population.path,
            "holds no people inside the region boundary (people inside: 0; pixels inside the boundary: {sum:,}; "
            "nodata share of the raster: {nodata:.0%}; people on the whole raster: {sum2:,.0f})",
            "give the population raster of this region (a WorldPop-style people-per-pixel GeoTIFF), and check "
            "that its nodata value is not the value of populated pixels",
            sum=int(inside.sum()),
            nodata=nodata,
            sum2=people.sum(),
        )
    a, b, _, d, e = population.transform[:5]
    pixel_area = abs(a * e - b * d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # area in degrees² is fine for a ratio of two such areas
        region_area = float(region.area)
    return float(min(1.0, (inside & valid).sum() * pixel_area / region_area)) if region_area > 0 else 1.0


def dropped_facilities_warning(scenario: Scenario, dropped: list[dict]) -> Message:
    """The warning naming the facilities left out for lying outside the region (the first 20)."""
    listed = "; ".join(f"{d['id']} {d['name']!r} ({d['tier']}, {d['distance_km']:g} km)" for d in dropped[:20])
    more = (
        Message("; and {count} more (summary.json: inputs.dropped_facilities)", count=len(dropped) - 20)
        if len(dropped) > 20
        else ""
    )
    return Message(
        "inputs.facilities.file ({file}): {n_dropped} facilities lie outside the region (more than 1 km beyond "
        "region.boundary) and are left out: {listed}{more}",
        file=scenario.inputs.facilities.file,
        n_dropped=len(dropped),
        listed=listed,
        more=more,
    )


def population_coverage_warning(scenario: Scenario, covered_share: float) -> Message:
    """The warning of a population raster covering only part of the region."""
    scaled = scenario.population.scale_to_total
    effect = (
        Message(
            "population.scale_to_total ({scaled:,.0f}) is spread over the covered part only, so its people are "
            "counted there and nobody lives in the rest",
            scaled=scaled,
        )
        if scaled is not None
        else Message("people living in the rest are missing from every figure")
    )
    return Message(
        "inputs.population ({population}): the raster has data on only {covered_share:.0%} of the region's area; "
        "{effect} (summary.json: population.covered_share)",
        population=scenario.inputs.population,
        covered_share=covered_share,
        effect=effect,
    )


# Way tags the travel model reads, on top of the ones osmnx keeps by default (it drops `surface`).
ROAD_TAGS = ("highway", "oneway", "maxspeed", "surface", "tracktype", "name", "ref")


def read_road_input(scenario: Scenario) -> RoadTable:
    """``inputs.roads`` as a road table: OSM XML, OSM ``.osm.pbf``, or road lines of a vector file.

    An OSM file's table is read back from the cache (``cache.dir``) when the same file was parsed before.
    """
    source = scenario.inputs.roads
    path = source_file(source)
    osm = path.name.lower().endswith(".pbf") or path.suffix.lower() in (".osm", ".xml")
    if not osm:
        spec = source if isinstance(source, RoadsSource) else RoadsSource(file=path)
        return road_table(read_road_lines(spec, scenario.travel))
    key = road_key(path) if scenario.cache.enabled else None
    if key is not None and (cached := load_road_table(scenario.cache.folder(), key)) is not None:
        return cached
    if path.name.lower().endswith(".pbf"):
        with highways_as_xml(path) as xml:
            table = read_osm_roads(xml)
    else:
        table = read_osm_roads(path)
    if key is not None:
        save_road_table(scenario.cache.folder(), key, table)
    return table


def read_roads(path: Path) -> nx.MultiDiGraph:
    """The OSM XML road file as an unsimplified osmnx graph (every highway type, EPSG:4326).

    The pipeline reads OSM XML with :func:`facility_layout.readers.osm_xml.read_osm_roads`, which gives the
    table of this graph without building it; the graph is the reference that reader is tested against.

    Edges carry ``osmid`` (the way id), ``length`` (m) and the tags in :data:`ROAD_TAGS` where tagged.
    """
    import osmnx as ox

    tags = sorted(set(ox.settings.useful_tags_way) | set(ROAD_TAGS))
    saved = ox.settings.useful_tags_way
    try:
        ox.settings.useful_tags_way = tags
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx raises ValueError, ParseError, … for bad XML
        raise InputError(
            "inputs.roads", path, "is not a readable OSM XML file ({exc})", "give an .osm file", exc=exc
        ) from None
    finally:
        ox.settings.useful_tags_way = saved
    if graph.number_of_edges() == 0:
        raise InputError("inputs.roads", path, "has no highway ways", "give an OSM extract with highway=* ways")
    return graph


def check_roads_overlap(roads: RoadTable, boundary: gpd.GeoDataFrame, path: Path) -> None:
    """At least some road nodes lie in the region."""
    region = boundary.to_crs(roads.crs).union_all()
    shapely.prepare(region)
    if not shapely.intersects_xy(region, roads.lon, roads.lat).any():
        bounds = [roads.lon.min(), roads.lat.min(), roads.lon.max(), roads.lat.max()] if roads.n_nodes else []
        raise InputError(
            "inputs.roads",
            path,
            "no road lies inside the region boundary (roads lon/lat bounds {bounds})",
            "give the road extract of this region",
            bounds=np.round(bounds, 4).tolist(),
        )


def read_closed_areas(scenario: Scenario, crs: CRS) -> list[BaseGeometry | None]:
    """Each travel condition's closed area as one (multi)polygon in ``crs``; None where it has none."""
    areas: list[BaseGeometry | None] = []
    for i, condition in enumerate(scenario.travel.resolved_conditions()):
        if condition.closed_area is None:
            areas.append(None)
            continue
        key = f"travel.conditions[{i}].closed_area"
        area = condition.closed_area
        frame = _read_vector(source_file(area), key, None if isinstance(area, Path) else area)
        polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polygons.empty:
            kinds = sorted(set(frame.geometry.geom_type.dropna()))
            raise InputError(
                key, source_file(area), "has no polygon (geometry types: {kinds})", "give a polygon file", kinds=kinds
            )
        areas.append(polygons.to_crs(crs).geometry.make_valid().union_all())
    return areas


def read_facilities(scenario: Scenario, boundary_m: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Existing village clinics and township centres inside the region (metric CRS).

    Returns
    -------
    facilities : geopandas.GeoDataFrame
        Columns ``facility_id``, ``name``, ``tier`` (``village_clinic`` | ``township_centre``), ``geometry``.
        Facilities of other tiers (hospitals) are left out; so are those more than 1 km outside the region.
    dropped : list of dict
        The clinics and centres left out for lying outside: ``id``, ``name``, ``tier``, ``distance_km``
        (to the boundary).
    """
    spec = scenario.inputs.facilities
    frame = read_roster(spec) if is_table(spec.file) else _read_vector(spec.file, "inputs.facilities.file", spec)
    for field_key, field in (
        ("tier_field", spec.tier_field),
        ("name_field", spec.name_field),
        ("id_field", spec.id_field),
    ):
        if field is not None and field not in frame.columns:
            raise InputError(
                f"inputs.facilities.{field_key}",
                spec.file,
                "has no attribute {field!r} (attributes: {columns})",
                "set inputs.facilities.{field_key} to one of those",
                field=field,
                columns=", ".join(map(str, frame.columns.drop("geometry"))),
                field_key=field_key,
            )
    if spec.id_field is not None:
        check_unique_ids(frame[spec.id_field], spec.file)
    tier_values = frame[spec.tier_field].map(_normalise)
    tier = pd.Series(pd.NA, index=frame.index, dtype="object")
    tier[tier_values.isin([_normalise(v) for v in spec.tiers.village_clinic])] = VILLAGE_CLINIC
    tier[tier_values.isin([_normalise(v) for v in spec.tiers.township_centre])] = TOWNSHIP_CENTRE
    found = sorted(set(tier_values.dropna()))
    unmapped = _unmapped_tiers(tier_values[tier.isna()])
    out = gpd.GeoDataFrame(
        {
            "facility_id": (
                frame[spec.id_field].astype(str)
                if spec.id_field
                else pd.Series([f"fac-{i + 1:03d}" for i in range(len(frame))], index=frame.index)
            ),
            "name": frame[spec.name_field].fillna("").astype(str),
            "tier": tier,
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    out = out[out["tier"].notna() & out.geometry.notna() & (out.geometry.geom_type == "Point")].to_crs(boundary_m.crs)
    if not (out["tier"] == TOWNSHIP_CENTRE).any():
        raise InputError(
            "inputs.facilities.tiers.township_centre",
            spec.file,
            "no facility has {tier_field} in {township_centre} (values found: {found})",
            "list the value(s) that mark township health centres",
            tier_field=spec.tier_field,
            township_centre=spec.tiers.township_centre,
            found=found,
        )
    boundary = boundary_m.union_all()
    inside = out.within(boundary.buffer(1_000))  # facilities geocoded on the shore still count
    dropped = [
        {
            "id": row.facility_id,
            "name": row.name,
            "tier": row.tier,
            "distance_km": round(float(row.geometry.distance(boundary)) / 1000, 2),
        }
        for row in out[~inside].itertuples()
    ]
    out = out[inside].reset_index(drop=True)
    if out.empty or not (out["tier"] == TOWNSHIP_CENTRE).any():
        raise InputError(
            "inputs.facilities.file",
            spec.file,
            "no township centre lies inside the region boundary",
            "give the facility list of this region",
        )
    out.attrs["unmapped_tiers"] = unmapped
    return out, dropped


def check_unique_ids(ids: pd.Series, path: Path) -> None:
    """Every facility id appears once (an id shared by two rows makes every output row ambiguous)."""
    text = ids.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    repeated = text[text.duplicated(keep=False)]
    if repeated.empty:
        return
    rows = repeated.groupby(repeated).groups  # id → row labels (0-based feature order)
    listed = [
        Message(
            "{value} in rows {rows}", value=value or Message("(empty)"), rows=", ".join(str(int(r) + 1) for r in index)
        )
        for value, index in list(rows.items())[:10]
    ]
    more = Message("; and {count} more", count=len(rows) - 10) if len(rows) > 10 else ""
    raise InputError(
        "inputs.facilities.id_field",
        path,
        "{n_rows} id(s) of attribute {name!r} are shared by several facilities (rows are features, counted from "
        "1): {listed}{more}",
        "give each facility its own id in the file, or set inputs.facilities.id_field to an attribute that is "
        "unique (or remove it to number the facilities automatically)",
        n_rows=len(rows),
        name=ids.name,
        listed=Joined(listed, "; "),
        more=more,
    )


def _unmapped_tiers(values: pd.Series) -> dict[str, int]:
    """Facility types no tier maps (a county hospital), counted to be reported rather than silently dropped."""
    return {str(k): int(n) for k, n in values.fillna("(empty)").value_counts().items()}


def unmapped_tiers_warning(scenario: Scenario, counts: dict[str, int]) -> Message:
    """The warning of the facilities left out for a type no tier maps (summary.json: inputs.unmapped_tiers)."""
    spec = scenario.inputs.facilities
    return Message(
        "inputs.facilities.file ({file}): {count} facilities have a {field} that no tier maps and are left out: "
        "{listed} (map them under inputs.facilities.tiers to include them)",
        file=spec.file,
        count=sum(counts.values()),
        field=spec.tier_field,
        listed=", ".join(f"{value} ({n})" for value, n in counts.items()),
    )


def missing_input_warnings(scenario: Scenario, settlements: gpd.GeoDataFrame) -> list[Message]:
    """What a run lacks without the optional inputs (a DEM, settlements)."""
    notes = []
    if scenario.inputs.elevation is None:
        notes.append(
            Message(
                "inputs.elevation: no DEM given, so the terrain is taken as flat: walking at travel.walking_speed_kmh "
                "({walking_speed_kmh:g} km/h) everywhere, no slope penalty for vehicles, elevations unknown and no "
                "relief on the map. Add a DEM GeoTIFF for hilly land.",
                walking_speed_kmh=scenario.travel.walking_speed_kmh,
            )
        )
    if scenario.inputs.settlements is None and settlements.empty:
        notes.append(
            Message(
                "inputs.settlements: none given, so places are unnamed and no settlement is a candidate site "
                "(tiers.village_clinic.candidates.settlements). Add a settlements file, or a census with "
                "coordinates as inputs.population."
            )
            if scenario.tiers.village_clinic.candidates.settlements
            else Message(
                "inputs.settlements: none given, so places are unnamed. Add a settlements file, or a census with "
                "coordinates as inputs.population."
            )
        )
    return notes


def read_settlements(scenario: Scenario, boundary_m: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Settlement points inside the region: ``name``, ``place``, ``geometry`` (metric CRS); none without
    ``inputs.settlements``."""
    spec = scenario.inputs.settlements
    if spec is None:
        return gpd.GeoDataFrame({"name": [], "place": []}, geometry=[], crs=boundary_m.crs)
    frame = _read_vector(spec.file, "inputs.settlements.file", spec)
    for field_key, field in (("name_field", spec.name_field), ("place_field", spec.place_field)):
        if field not in frame.columns:
            raise InputError(
                f"inputs.settlements.{field_key}",
                spec.file,
                "has no attribute {field!r} (attributes: {columns})",
                "set inputs.settlements.{field_key} to one of those",
                field=field,
                columns=", ".join(map(str, frame.columns.drop("geometry"))),
                field_key=field_key,
            )
    out = gpd.GeoDataFrame(
        {"name": _names(frame, spec.name_field, spec.place_field), "place": frame[spec.place_field].astype(str)},
        geometry=frame.geometry,
        crs=frame.crs,
    )
    out = out[out.geometry.notna() & (out.geometry.geom_type == "Point")].to_crs(boundary_m.crs)
    return out[out.within(boundary_m.union_all())].reset_index(drop=True)


def read_site_points(scenario: Scenario, boundary_m: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """``tiers.village_clinic.candidates.file``: ``name`` and points inside the region (metric CRS), or None."""
    source = scenario.tiers.village_clinic.candidates.file
    if source is None:
        return None
    key = "tiers.village_clinic.candidates.file"
    path = source_file(source)
    frame = _read_vector(path, key, None if isinstance(source, Path) else source)
    name_field = None if isinstance(source, Path) else source.name_field
    if name_field is not None and name_field not in frame.columns:
        raise InputError(
            f"{key}.name_field",
            path,
            "has no attribute {name_field!r} (attributes: {columns})",
            "set {key}.name_field to one of those",
            name_field=name_field,
            columns=", ".join(map(str, frame.columns.drop("geometry"))),
            key=key,
        )
    names = frame[name_field].fillna("").astype(str) if name_field else pd.Series("", index=frame.index)
    names = names.where(names != "", pd.Series([f"possible site #{i + 1}" for i in range(len(frame))], frame.index))
    points = gpd.GeoDataFrame({"name": names}, geometry=frame.geometry, crs=frame.crs)
    points = points[points.geometry.notna() & (points.geometry.geom_type == "Point")]
    if points.empty:
        kinds = sorted(set(frame.geometry.geom_type.dropna()))
        raise InputError(key, path, "has no points (geometry types: {kinds})", "give a point file", kinds=kinds)
    points = points.to_crs(boundary_m.crs)
    return points[points.within(boundary_m.union_all())].reset_index(drop=True)


def read_admin_areas(
    scenario: Scenario, crs: CRS, spec: AdminAreasSettings | None = None, key: str = "region.admin_areas"
) -> gpd.GeoDataFrame | None:
    """The scenario's administrative areas (``region.admin_areas``, or ``spec`` read under the scenario key
    ``key``): ``name``, polygon ``geometry`` in ``crs``.

    None when the scenario gives none. Features without a polygon are dropped; unnamed ones are called
    "unnamed area #N", so each row of a per-area table can be found on a map.
    """
    spec = spec or scenario.region.admin_areas
    if spec is None:
        return None
    frame = _read_vector(spec.file, f"{key}.file", spec)
    if spec.name_field not in frame.columns:
        raise InputError(
            f"{key}.name_field",
            spec.file,
            "has no attribute {name_field!r} (attributes: {columns})",
            "set {key}.name_field to one of those",
            name_field=spec.name_field,
            columns=", ".join(map(str, frame.columns.drop("geometry"))),
            key=key,
        )
    names = frame[spec.name_field].fillna("").astype(str).str.strip()
    names = names.where(names != "", pd.Series([f"unnamed area #{i + 1}" for i in range(len(frame))], frame.index))
    areas = gpd.GeoDataFrame({"name": names}, geometry=frame.geometry, crs=frame.crs)
    areas = areas[areas.geometry.notna() & areas.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if areas.empty:
        kinds = sorted(set(frame.geometry.geom_type.dropna()))
        raise InputError(
            f"{key}.file",
            spec.file,
            "has no polygon (geometry types: {kinds})",
            "give a polygon file",
            kinds=kinds,
        )
    return areas.to_crs(crs).reset_index(drop=True)


def _names(frame: gpd.GeoDataFrame, field: str, place_field: str) -> pd.Series:
    """Names from ``field``; where it is empty, OSM's plain ``name``, else the place type and row number.

    A settlement without a name in the chosen language is still a place a planner must be able to find.
    """
    names = frame[field].fillna("").astype(str).str.strip()
    if "name" in frame.columns and field != "name":
        names = names.where(names != "", frame["name"].fillna("").astype(str).str.strip())
    unnamed = [f"unnamed {place} #{i + 1}" for i, place in enumerate(frame[place_field].astype(str))]
    return names.where(names != "", pd.Series(unnamed, index=frame.index))


def _normalise(value: object) -> str | None:
    """Compare tier values as text, so YAML ``1`` matches a GeoJSON 1, 1.0 or "1"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
