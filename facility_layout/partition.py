"""Split a region into its counties (``region.partition``): one scenario per county, on clipped input files.

Each county is planned as its own region, the way village clinics are planned in China (per county):

- **People** counted in a county are those of its own population cells (the county polygon is its
  ``region.boundary``; a cell belongs to the county holding its centre, so no person is counted twice).
- **Sites** a county decides are its own: existing facilities and settlements inside its polygon (a
  facility on no county's land but within 1 km of one, as geocoded on a shore, goes to the nearest county;
  one on a shared border to the first county listed in the admin-area file). Every site has one owner.
- **Travel space** is the county's roads: every OSM way with a node within ``halo_km`` of the county,
  whole (a way crossing the border is kept to its end).
- **Cross-border use** (``halo_km`` > 0): the existing village clinics of the other counties within the halo
  (``neighbours.geojson``, ids ``<county>:<facility id in the region's file>``) are sites of the county's
  model fixed open: kept as they are today, at no keep cost, never the county's decision (each is decided
  by its own county, which the county's run does not see: the counties are planned independently). The
  county's people may be served by them, so it need not build a clinic next to one. Its people stay its
  own: ``population_covered`` and the minutes count them wherever they are served; ``cross_border`` in its
  summary says how many were served across the border; those clinics are listed with ``origin``
  ``neighbour`` and left out of its facility counts and cost (:func:`facility_layout.evaluate.summary`).
  Township centres (referral, central centres) stay per county. With ``halo_km`` 0 nothing of this applies.
- Population and elevation rasters are not clipped into files: each county's run reads the window over its
  boundary (and, for elevation, under its roads) of the region's file (:func:`facility_layout.inputs.read_raster`).

The county's scenario is the region's with these files, its own name, the region's metric CRS (all
counties share one, so their tables merge) and no partition. Tiers, costs and objective apply per county
(``central_count`` township centres per county). The clipped files live in the cache folder under a key
of the region's input files and the partition settings, so a re-run reuses them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from facility_layout.cache import file_digest
from facility_layout.errors import N_, InputError, Message
from facility_layout.inputs import (
    VILLAGE_CLINIC,
    _read_vector,
    choose_metric_crs,
    read_admin_areas,
    read_boundary,
    read_facilities,
)
from facility_layout.scenario import AdminAreasSettings, Scenario
from facility_layout.settings_base import source_file

# A facility this far outside every county (geocoded on the shore) still belongs to the nearest one,
# as the whole-region run keeps facilities within 1 km of its boundary.
SHORE_M = 1_000.0
# A county's neighbours' village clinics within its halo, in its folder of clipped files.
NEIGHBOURS = "neighbours.geojson"


@dataclass(frozen=True)
class County:
    """One county of a partitioned region.

    Attributes
    ----------
    name : str
        As in the admin-area file (made unique with " (2)", " (3)" where names repeat).
    slug : str
        Its folder name in the outputs (``counties/<slug>``).
    scenario : Scenario
        The county's own scenario, on its clipped files.
    key : str
        Content key of its run: clipped inputs, rasters, settings and the package's code.
    """

    name: str
    slug: str
    scenario: Scenario
    key: str


@dataclass(frozen=True)
class CountyAreas:
    """The counties of a region before any file is clipped: enough to name their output folders.

    Attributes
    ----------
    areas : geopandas.GeoDataFrame
        The admin areas within the region, in ``crs``, one row per county.
    names, slugs : list of str
        Each county's unique name and folder name, in the order of ``areas``.
    crs : pyproj.CRS
        The region's metric CRS, shared by every county.
    """

    areas: gpd.GeoDataFrame
    names: list[str]
    slugs: list[str]
    crs: CRS


def county_areas(scenario: Scenario) -> CountyAreas:
    """The counties of ``scenario`` (which has ``region.partition``), read from its boundary and admin areas.

    Raises
    ------
    InputError
        An input the split cannot clip, or an unreadable boundary or admin-area file.
    """
    check_supported(scenario)
    boundary = read_boundary(scenario.region.boundary)
    crs = choose_metric_crs(boundary, scenario.region.crs)
    region = boundary.to_crs(crs).union_all()
    spec, key = county_polygons(scenario)
    areas = read_admin_areas(scenario, crs, spec, key)
    assert areas is not None
    areas = areas.assign(geometry=areas.geometry.make_valid().intersection(region))
    areas = areas[~areas.geometry.is_empty].reset_index(drop=True)
    names = _unique(list(areas["name"]))
    return CountyAreas(areas, names, _unique([_slug(n) for n in names], sep="_"), crs)


def split_counties(scenario: Scenario, counties: CountyAreas | None = None) -> list[County]:
    """The counties of ``scenario`` (which has ``region.partition``), their clipped inputs written or reused.

    Parameters
    ----------
    scenario : Scenario
        With ``region.partition`` and ``region.admin_areas``.
    counties : CountyAreas, optional
        :func:`county_areas` of ``scenario``, when already read.

    Raises
    ------
    InputError
        An unreadable region-wide input (boundary, admin areas, roads, facilities, settlements).
    """
    if counties is None:
        counties = county_areas(scenario)
    areas, names, slugs, crs = counties.areas, counties.names, counties.slugs, counties.crs
    folder = scenario.cache.folder() / "partition" / _split_key(scenario, crs)
    if not all((folder / slug / "roads.osm").is_file() for slug in slugs):
        _write_clipped(scenario, areas, slugs, crs, folder)
    digests = {
        path: file_digest(path)
        for path in (scenario.inputs.population, scenario.inputs.elevation)
        if path is not None and path.is_file()
    }
    code = code_version()
    split = []
    for name, slug in zip(names, slugs, strict=True):
        county = _county_scenario(scenario, name, folder / slug, crs)
        split.append(County(name, slug, county, _run_key(county, digests, code)))
    return split


def county_polygons(scenario: Scenario) -> tuple[AdminAreasSettings, str]:
    """The file of the county polygons and its scenario key: ``region.partition.areas`` when given (the
    townships of ``region.admin_areas`` then stay the admin areas of each county), else ``region.admin_areas``."""
    partition = scenario.region.partition
    assert partition is not None
    if partition.areas is None:
        assert scenario.region.admin_areas is not None
        return scenario.region.admin_areas, "region.admin_areas"
    areas = partition.areas
    return (AdminAreasSettings(file=areas) if isinstance(areas, Path) else areas), "region.partition.areas"


# Inputs the split can clip: OSM XML roads, a population raster, facilities and settlements as vector files.
_TABLE_SUFFIXES = (".csv", ".xlsx", ".xls", ".txt")


def check_supported(scenario: Scenario) -> None:
    """Refuse, naming the key, the inputs a partitioned run cannot clip per county (yet)."""
    inputs = scenario.inputs
    unsupported = []
    if not isinstance(inputs.roads, Path) or inputs.roads.suffix.lower() != ".osm":
        unsupported.append(("inputs.roads", source_file(inputs.roads), N_("an OSM XML file (.osm)")))
    if not isinstance(inputs.population, Path):
        unsupported.append(("inputs.population", source_file(inputs.population), N_("a population raster")))
    if inputs.settlements is None:
        unsupported.append(("inputs.settlements", scenario.source or Path("scenario"), N_("given settlements")))
    for key, spec in (("inputs.facilities.file", inputs.facilities), ("inputs.settlements.file", inputs.settlements)):
        if spec is not None and spec.file.suffix.lower() in _TABLE_SUFFIXES:
            unsupported.append((key, spec.file, N_("a vector file (GeoJSON, GeoPackage, Shapefile)")))
    if unsupported:
        key, path, needed = unsupported[0]
        raise InputError(
            key,
            path,
            "region.partition splits {needed} only",
            "convert it (e.g. osmium cat x.osm.pbf -o x.osm; a table to GeoJSON), add it if missing, "
            "or remove region.partition",
            needed=Message(needed),
        )


def _write_clipped(scenario: Scenario, areas: gpd.GeoDataFrame, slugs: list[str], crs: CRS, folder: Path) -> None:
    """Write every county's boundary, facilities, settlements and roads, all at once (staging folder)."""
    halo_m = scenario.region.partition.halo_km * 1_000.0  # type: ignore[union-attr]
    facilities = _read_vector(scenario.inputs.facilities.file, "inputs.facilities.file", scenario.inputs.facilities)
    settlements = _read_vector(scenario.inputs.settlements.file, "inputs.settlements.file", scenario.inputs.settlements)
    facility_owner = _owners(facilities, areas, crs, SHORE_M)
    if halo_m:  # the region's village clinics as the pipeline reads them (tiers mapped), each with its county
        region = gpd.GeoDataFrame(geometry=[areas.union_all()], crs=crs)
        clinics = read_facilities(scenario, region)[0]
        clinics = clinics[clinics["tier"] == VILLAGE_CLINIC]
        clinic_owner = _owners(clinics, areas, crs, SHORE_M)
    settlement_owner = _owners(settlements, areas, crs, 0.0)
    roads = _OsmRoads(scenario.inputs.roads)

    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        meta = source_file(scenario.region.boundary).parent / "region.json"
        for i, slug in enumerate(slugs):
            out = staging / slug
            out.mkdir()
            polygon = areas.geometry.iloc[i]
            gpd.GeoDataFrame({"name": [areas["name"].iloc[i]]}, geometry=[polygon], crs=crs).to_crs(
                "EPSG:4326"
            ).to_file(out / "boundary.geojson", driver="GeoJSON")
            _write_points(facilities[facility_owner == i], out / "facilities.geojson")
            _write_points(settlements[settlement_owner == i], out / "settlements.geojson")
            grown = polygon.buffer(halo_m) if halo_m else polygon
            if halo_m:
                near = (clinic_owner >= 0) & (clinic_owner != i) & np.asarray(clinics.intersects(grown))
                _write_neighbours(clinics[near], areas["name"].to_numpy()[clinic_owner[near]], out / NEIGHBOURS)
            travel_space = gpd.GeoSeries([grown], crs=crs).to_crs("EPSG:4326").iloc[0]
            roads.write_clip(travel_space, out / "roads.osm")
            if meta.is_file():  # a generated region stays marked as such (no real-world basemap)
                shutil.copyfile(meta, out / "region.json")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_neighbours(clinics: gpd.GeoDataFrame, counties: np.ndarray, path: Path) -> None:
    """The neighbouring counties' clinics within the halo: ``facility_id`` prefixed by their county (ids of
    different files may repeat), ``name``, ``county``."""
    frame = gpd.GeoDataFrame(
        {
            "facility_id": [f"{c}:{f}" for c, f in zip(counties, clinics["facility_id"], strict=True)],
            "name": clinics["name"].to_numpy(),
            "county": counties,
        },
        geometry=clinics.geometry.to_numpy(),
        crs=clinics.crs,
    )
    _write_points(frame.to_crs("EPSG:4326"), path)


def read_neighbour_clinics(scenario: Scenario, crs: CRS) -> gpd.GeoDataFrame | None:
    """A county's neighbours' village clinics within its halo (``facility_id``, ``name``, in ``crs``); None
    when there are none."""
    assert scenario.neighbour_clinics is not None
    frame = gpd.read_file(scenario.neighbour_clinics)
    if frame.empty:
        return None
    return frame.to_crs(crs)[["facility_id", "name", "geometry"]].reset_index(drop=True)


def _owners(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, crs: CRS, shore_m: float) -> np.ndarray:
    """Index of the county owning each point (first containing county, else nearest within ``shore_m``);
    -1 for none."""
    xy = points.geometry.to_crs(crs)
    owner = np.full(len(points), -1)
    for i, polygon in enumerate(areas.geometry):
        inside = (owner < 0) & np.asarray(xy.intersects(polygon))
        owner[inside] = i
    if shore_m > 0 and (owner < 0).any():
        lost = np.flatnonzero(owner < 0)
        distance = np.column_stack([np.asarray(xy.iloc[lost].distance(p)) for p in areas.geometry])
        nearest = distance.argmin(axis=1)
        close = distance[np.arange(len(lost)), nearest] <= shore_m
        owner[lost[close]] = nearest[close]
    return owner


def _write_points(frame: gpd.GeoDataFrame, path: Path) -> None:
    """The owned rows, every attribute kept (the scenario's field names still apply). An empty file when
    none: the county's run then reports it by its scenario key."""
    if frame.empty:
        path.write_text(json.dumps({"type": "FeatureCollection", "features": []}), "utf-8")
        return
    frame.to_file(path, driver="GeoJSON")


class _OsmRoads:
    """An OSM XML file held as its node coordinates, the XML of its nodes and ways, and each way's nodes as
    one flat index array, so that clipping a county is a few array operations."""

    def __init__(self, path: Path) -> None:
        self.node_xml: list[bytes] = []
        self.way_xml: list[bytes] = []
        index: dict[str, int] = {}
        lonlat: list[tuple[float, float]] = []
        way_refs: list[list[str]] = []
        for _, element in ET.iterparse(path, events=("end",)):
            if element.tag == "node":
                index[element.get("id", "")] = len(self.node_xml)
                self.node_xml.append(ET.tostring(element).strip())
                lonlat.append((float(element.get("lon", "nan")), float(element.get("lat", "nan"))))
                element.clear()
            elif element.tag == "way":
                way_refs.append([nd.get("ref", "") for nd in element.iter("nd")])
                self.way_xml.append(ET.tostring(element).strip())
                element.clear()
        self.xy = np.array(lonlat, dtype=float).reshape(-1, 2)
        # Flat (way, node) pairs; a way's node missing from the file is left out.
        pairs = [(w, index[r]) for w, refs in enumerate(way_refs) for r in refs if r in index]
        flat = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        self.pair_way, self.pair_node = flat[:, 0], flat[:, 1]

    def write_clip(self, area: shapely.Geometry, path: Path) -> None:
        """Every way with a node in ``area`` (lon/lat), whole, with all of its nodes."""
        inside = shapely.contains_xy(area, self.xy[:, 0], self.xy[:, 1])
        hit = np.zeros(len(self.way_xml), dtype=bool)
        hit[self.pair_way[inside[self.pair_node]]] = True
        nodes = np.unique(self.pair_node[hit[self.pair_way]])
        with open(path, "wb") as out:
            out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="facility_layout">\n')
            out.write(b"".join(self.node_xml[i] + b"\n" for i in nodes.tolist()))
            out.write(b"".join(self.way_xml[w] + b"\n" for w in np.flatnonzero(hit).tolist()))
            out.write(b"</osm>\n")


def _county_scenario(scenario: Scenario, name: str, folder: Path, crs: CRS) -> Scenario:
    """The region's scenario on one county's files: its name, the shared metric CRS, no partition."""
    region = scenario.region.model_copy(
        update={
            "name": name,
            "boundary": folder / "boundary.geojson",
            "crs": crs.to_string(),
            "synthetic": None,
            # A separate county file leaves region.admin_areas the townships, reported inside each county.
            "admin_areas": scenario.region.admin_areas if scenario.region.partition.areas is not None else None,  # type: ignore[union-attr]
            "partition": None,
        }
    )
    halo = scenario.region.partition.halo_km > 0  # type: ignore[union-attr]
    # The clipped files are plain GeoJSON of the features kept: no layer, filter or encoding to apply again.
    plain = {"encoding": None, "layer": None, "filter": None}
    inputs = scenario.inputs.model_copy(
        update={
            "roads": folder / "roads.osm",
            "facilities": scenario.inputs.facilities.model_copy(
                update={"file": folder / "facilities.geojson", **plain}
            ),
            "settlements": scenario.inputs.settlements.model_copy(
                update={"file": folder / "settlements.geojson", **plain}
            ),
        }
    )
    # The county's outputs speak the region's language (and brief settings); only their folder is the engine's.
    outputs = scenario.outputs.model_copy(update={"dir": None})
    return scenario.model_copy(
        update={
            "region": region,
            "inputs": inputs,
            "outputs": outputs,
            "neighbour_clinics": folder / NEIGHBOURS if halo else None,
        }
    )


def code_version() -> str:
    """SHA-256 over the package's source files: a changed engine never reuses an old county result."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(file_digest(path).encode())
    return digest.hexdigest()


def _split_key(scenario: Scenario, crs: CRS) -> str:
    """Key of the clipped files: the region files they come from, the partition settings, the CRS, this code."""
    digest = hashlib.sha256(b"facility_layout partition")
    digest.update(file_digest(Path(__file__)).encode())
    region = scenario.region
    for path in (
        source_file(region.boundary),
        county_polygons(scenario)[0].file,
        scenario.inputs.roads,
        scenario.inputs.facilities.file,
        scenario.inputs.settlements.file,
    ):
        digest.update(file_digest(path).encode())
    settings = {
        "partition": region.partition.model_dump(mode="json"),  # type: ignore[union-attr]
        "areas": county_polygons(scenario)[0].model_dump(mode="json", exclude={"file"}),
        "facilities": scenario.inputs.facilities.model_dump(mode="json", exclude={"file"}),
        "settlements": scenario.inputs.settlements.model_dump(mode="json", exclude={"file"}),
        "boundary": None if isinstance(region.boundary, Path) else region.boundary.model_dump(mode="json"),
        "crs": crs.to_wkt(),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:24]


def _run_key(county: Scenario, digests: dict[Path, str], code: str) -> str:
    """Key of a county's run: its input files' contents, its settings (without paths), the code version."""
    digest = hashlib.sha256(b"facility_layout county run")
    digest.update(code.encode())
    neighbours = {} if county.neighbour_clinics is None else {"neighbour_clinics": county.neighbour_clinics}
    for key, path in sorted((county.input_files() | neighbours).items()):
        digest.update(key.encode())
        digest.update((digests.get(path) or file_digest(path)).encode())
    # Paths are left out (the files' contents are hashed above), so a moved cache folder keeps its results.
    paths = {"roads": True, "population": True, "elevation": True, "facilities": {"file"}, "settlements": {"file"}}
    settings = county.model_dump(mode="json", exclude={"inputs": paths, "region": {"boundary"}, "cache": True})
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _unique(names: list[str], sep: str = " ") -> list[str]:
    """``names`` with repeats numbered (``a``, ``a (2)``; slugs ``a``, ``a_2``)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else (f"{name} ({seen[name]})" if sep == " " else f"{name}_{seen[name]}"))
    return out


def _slug(name: str) -> str:
    """A folder name: letters (any script) and digits kept, the rest as ``_``."""
    return re.sub(r"[^\w-]+", "_", name, flags=re.UNICODE).strip("_") or "county"
