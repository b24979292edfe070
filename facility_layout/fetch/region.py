"""``facility-layout fetch``: the inputs of a region nobody prepared, from public sources, in one folder.

Everything is downloaded (or read from the cache) first and written into a staging folder beside the
target; the staging folder becomes the target only when every file is written, so a failed fetch leaves
nothing half-written behind.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from facility_layout.fetch import osm, rasters, sources
from facility_layout.fetch.http import Downloader, Endpoint, FetchError
from facility_layout.fetch.starter import Source, Starter, scenario_yaml, sources_md
from facility_layout.i18n import ENGLISH, Translator

# Rasters reach this far (degrees, about 2 km) beyond the boundary: people near the edge walk to roads and
# clinics across it, and the travel stage samples the DEM along those walks.
RASTER_MARGIN_DEG = 0.02


@dataclass(frozen=True)
class Area:
    """What to fetch: exactly one of a place name, a W,S,E,N box or a boundary file."""

    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    boundary: Path | None = None


@dataclass(frozen=True)
class Endpoints:
    """The four services, each pointing at the public server or a mirror."""

    overpass: Endpoint = sources.OVERPASS
    nominatim: Endpoint = sources.NOMINATIM
    worldpop: Endpoint = sources.WORLDPOP
    dem: Endpoint = sources.DEM


@dataclass(frozen=True)
class Fetched:
    """Counts of what was written, for the command's summary line."""

    folder: Path
    name: str
    roads: int
    settlements: int
    facilities: Counter
    population_total: float
    dem_tiles: int


def fetch_region(
    folder: Path,
    area: Area,
    country: str | None,
    year: int | None,
    endpoints: Endpoints,
    downloader: Downloader,
    _: Translator = ENGLISH,
) -> Fetched:
    """Download, clip and write a region's inputs, ``SOURCES.md`` and a starter ``scenario.yaml`` (its comments
    in ``_``'s language) into ``folder``.

    Raises
    ------
    FetchError
        For a folder that is not new or empty, a bad area or country, or a download that failed for good.
    """
    folder = folder.expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FetchError(
            "{folder} already exists and is not an empty folder. Fix: give a new folder to fetch into", folder=folder
        )
    if not country:
        raise FetchError(
            "WorldPop publishes population per country: give the area's ISO 3166-1 alpha-3 code with --country "
            "(e.g. --country CHN, KEN, COM)"
        )
    name, outline = _area(area, endpoints.nominatim, downloader)
    w, s, e, n = outline.bounds
    bounds = (w - RASTER_MARGIN_DEG, s - RASTER_MARGIN_DEG, e + RASTER_MARGIN_DEG, n + RASTER_MARGIN_DEG)

    overpass = endpoints.overpass
    elements = sources.read_overpass(
        downloader.get(overpass, overpass.url, data=sources.overpass_query((w, s, e, n))), overpass
    )
    pop = sources.worldpop_file(downloader, endpoints.worldpop, country, year)
    pop_path = downloader.get(endpoints.worldpop, pop.url)
    tile_names = sources.dem_tile_names(bounds)
    tile_urls = [f"{endpoints.dem.url.rstrip('/')}/{t}" for t in tile_names]
    tiles = [
        sources.read_hgt_tile(downloader.get(endpoints.dem, u), t) for u, t in zip(tile_urls, tile_names, strict=True)
    ]

    staging = folder.parent / f".{folder.name}.fetching"
    shutil.rmtree(staging, ignore_errors=True)  # left by a fetch that was killed: ours by its name
    staging.mkdir(parents=True)
    try:
        gpd.GeoDataFrame({"name": [name]}, geometry=[outline], crs="EPSG:4326").to_file(
            staging / "boundary.geojson", driver="GeoJSON"
        )
        roads = osm.write_roads(elements, outline, staging / "roads.osm")
        places = osm.settlements(elements, outline)
        places.to_file(staging / "settlements.geojson", driver="GeoJSON")
        facilities = osm.health_facilities(elements, outline)
        facilities.to_file(staging / "facilities.geojson", driver="GeoJSON")
        population_total = rasters.crop_population(pop_path, bounds, staging / "population.tif", pop.url)
        rasters.mosaic_dem(tiles, bounds, staging / "dem.tif")
        starter = Starter(
            name=name,
            folder=folder,
            facility_kinds=Counter(facilities["kind"]),
            population_total=population_total,
            settlements=len(places),
            roads=roads,
        )
        cited = _sources(endpoints, area, pop, tile_urls)
        area_text = f"{name}; lon/lat box {', '.join(f'{v:.5f}' for v in (w, s, e, n))}"
        today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        (staging / "SOURCES.md").write_text(sources_md(starter, cited, today, area_text), encoding="utf-8")
        (staging / "scenario.yaml").write_text(scenario_yaml(starter, cited, _), encoding="utf-8")
        if folder.exists():
            folder.rmdir()  # checked empty above
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Fetched(folder, name, roads, len(places), starter.facility_kinds, population_total, len(tiles))


def _area(area: Area, nominatim: Endpoint, downloader: Downloader) -> tuple[str, BaseGeometry]:
    """The area's name and outline (WGS 84)."""
    if area.place is not None:
        place = sources.geocode(downloader, nominatim, area.place)
        return place.name, place.outline
    if area.bbox is not None:
        w, s, e, n = area.bbox
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise FetchError(
                "--bbox {bbox} is not W,S,E,N in degrees with W < E and S < N. Fix: e.g. 103.9,25.9,104.1,26.1",
                bbox=area.bbox,
            )
        return f"Area {w:g},{s:g},{e:g},{n:g}", box(w, s, e, n)
    assert area.boundary is not None
    try:
        frame = gpd.read_file(area.boundary)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise FetchError(
            "--boundary {boundary} is not a readable vector file ({exc}). Fix: give a GeoJSON, GeoPackage or Shapefile",
            boundary=area.boundary,
            exc=exc,
        ) from None
    if frame.crs is None:
        raise FetchError(
            "--boundary {boundary} has no coordinate reference system. Fix: save it with one", boundary=area.boundary
        )
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise FetchError("--boundary {boundary} has no polygon. Fix: give the area's outline", boundary=area.boundary)
    return area.boundary.stem, polygons.to_crs("EPSG:4326").geometry.make_valid().union_all()


def _sources(endpoints: Endpoints, area: Area, pop: sources.PopulationFile, tile_urls: list[str]) -> list[Source]:
    osm_urls = [endpoints.overpass.url] + ([endpoints.nominatim.url] if area.place else [])
    return [
        Source(
            "roads.osm, settlements.geojson, facilities.geojson" + (", boundary.geojson" if area.place else ""),
            "OpenStreetMap highways, places (city … isolated_dwelling) and health facilities (amenity/healthcare = "
            "hospital, clinic, doctors, health_post, centre)",
            osm_urls,
            "Open Database License (ODbL) 1.0",
            "Roads, settlements, facilities © OpenStreetMap contributors (ODbL)",
            "Queried through the Overpass API"
            + (" and the boundary geocoded with Nominatim" if area.place else "")
            + "; roads are kept whole where any node lies in the area.",
        ),
        Source(
            "population.tif",
            f"WorldPop {pop.year} unconstrained population counts (100 m), cut to the area",
            [pop.url],
            "Creative Commons Attribution 4.0 International (CC BY 4.0)",
            f"Population: WorldPop {pop.year} (CC BY 4.0)",
            pop.citation,
        ),
        Source(
            "dem.tif",
            "SRTM elevation (metres) from the Terrain Tiles on AWS (skadi HGT tiles), mosaicked and cut to the area",
            tile_urls,
            "SRTM: public domain (NASA/USGS); Terrain Tiles: see https://github.com/tilezen/joerd/blob/master/docs/attribution.md",
            "Elevation: NASA SRTM via Terrain Tiles on AWS",
        ),
    ]
