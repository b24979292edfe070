"""A synthetic mountainous county, written in the same file formats as real inputs.

The default scenario needs no download: this module generates a seeded county in south-west China
(centred near 104.0°E, 26.0°N, so its UTM zone is 48N) with river valleys and ridges, township seats,
villages and hamlets, roads routed over the terrain, a population raster and an existing health system.
Its files are the real formats (GeoJSON, an SRTM-like and a WorldPop-like GeoTIFF, OSM XML), so a run
goes through exactly the loaders of :mod:`facility_layout.inputs`. Nothing in it is a real place.

The steps, one function each in the package's modules by concern (:mod:`.geometry` for the frame and
grids, :mod:`.terrain`, :mod:`.lattice`, :mod:`.places`, :mod:`.roads`, :mod:`.population`,
:mod:`.counties`, :mod:`.writers`): county outline → terrain (drainage tree, valleys, ridges) → road
lattice over the terrain → settlements → roads → population → facilities → township areas and counties →
files. Every random draw comes from ``numpy.random.Generator(PCG64(...))`` seeded from ``seed``, one
independent stream per step (the counties draw none), and the writers add no timestamps, so the same
parameters give the same bytes.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facility_layout.errors import InvalidValueError, echo
from facility_layout.jsonio import dumps_json
from facility_layout.scenario import MAX_SYNTHETIC_SIDE_KM, MIN_SYNTHETIC_SIDE_KM
from facility_layout.synthetic.counties import townships_and_counties
from facility_layout.synthetic.geometry import CENTRE_LAT, CENTRE_LON, Frame
from facility_layout.synthetic.lattice import road_lattice
from facility_layout.synthetic.places import existing_facilities, place_settlements
from facility_layout.synthetic.population import POPULATION_ARCSEC, POPULATION_NODATA, spread_population
from facility_layout.synthetic.roads import build_roads
from facility_layout.synthetic.terrain import DEM_NODATA, carve_terrain, county_outline
from facility_layout.synthetic.writers import (
    write_boundary,
    write_counties,
    write_facilities,
    write_osm,
    write_raster,
    write_settlements,
    write_township_areas,
)

FILE_NAMES = (
    "boundary.geojson",
    "dem.tif",
    "population.tif",
    "settlements.geojson",
    "roads.osm",
    "facilities.geojson",
    "admin_areas.geojson",
    "counties.geojson",
    "region.json",  # last: its presence marks a complete region
)


@dataclass(frozen=True)
class GeneratedRegion:
    """What :func:`generate_region` wrote.

    Attributes
    ----------
    directory : Path
        The folder holding the region's files.
    seed, width_km, height_km, population_total
        The parameters it was generated with.
    towns, villages, hamlets : int
        Settlements by OSM ``place``.
    township_centres, village_clinics : int
        Existing facilities by tier.
    road_nodes, road_ways : int
        OSM nodes and ways in ``roads.osm``.
    counties : int
        Counties in ``counties.geojson`` (about one per 15 townships, at least one).
    county_km2 : float
        Area inside the boundary.
    dem_arcsec : int
        DEM pixel size (1″ unless the region is large).
    """

    directory: Path
    seed: int
    width_km: float
    height_km: float
    population_total: float
    towns: int
    villages: int
    hamlets: int
    township_centres: int
    village_clinics: int
    road_nodes: int
    road_ways: int
    counties: int
    county_km2: float
    dem_arcsec: int

    @property
    def township_areas_file(self) -> Path:
        """The townships (``name``, ``seat``, ``county``), one polygon each: ``admin_areas.geojson``."""
        return self.directory / "admin_areas.geojson"

    @property
    def counties_file(self) -> Path:
        """The counties (``name``, ``code``, ``townships``), each the union of whole townships."""
        return self.directory / "counties.geojson"


def generate_region(
    directory: str | Path,
    *,
    seed: int = 7,
    width_km: float = 30.0,
    height_km: float = 24.0,
    population_total: float = 120_000,
    force: bool = False,
) -> GeneratedRegion:
    """Generate a synthetic mountainous county and write its input files into ``directory``.

    Parameters
    ----------
    directory : str or Path
        Folder to write into; created if absent, files of an earlier generated region there are replaced.
    force : bool
        Also replace files of these names (:data:`FILE_NAMES`) that the generator did not write.
    seed : int
        Random seed (non-negative); the same parameters give byte-identical files.
    width_km, height_km : float
        Extent of the box holding the county, at least 4 km and at most 400 km each.
    population_total : float
        People living inside the county boundary (the population raster sums to this).

    Returns
    -------
    GeneratedRegion
        The folder and counts of what was generated.

    Raises
    ------
    InvalidValueError
        For a bad parameter, naming it, its value and the fix; a file where the folder should be; or, without
        ``force``, a folder holding files of the region's names that the generator did not write.
    OSError
        If the folder cannot be written; nothing half-written is left behind.
    """
    _check_parameters(seed, width_km, height_km, population_total)
    target = Path(directory).expanduser()
    if not force:
        _check_replaceable(target)
    if target.exists() and not target.is_dir():
        raise InvalidValueError(
            "{folder} is an existing file, not a folder. Fix: give the path of a new folder or of a region generated "
            "before",
            folder=target,
        )

    streams = iter(np.random.SeedSequence(seed).spawn(6))
    frame = Frame.around_centre(width_km * 1_000, height_km * 1_000)
    county = county_outline(_rng(streams), frame)
    terrain = carve_terrain(_rng(streams), frame)
    lattice = road_lattice(frame, terrain, county)
    places = place_settlements(_rng(streams), lattice, county)
    roads = build_roads(_rng(streams), lattice, places, terrain.outlet)
    population = spread_population(_rng(streams), frame, terrain, places, county, population_total)
    facilities = existing_facilities(_rng(streams), places, terrain, frame)
    townships = townships_and_counties(places, county)

    counts = {
        "towns": int(np.sum(places.place == "town")),
        "villages": int(np.sum(places.place == "village")),
        "hamlets": int(np.sum(places.place == "hamlet")),
        "township_centres": int(np.sum(facilities.tier == 2)),
        "village_clinics": int(np.sum(facilities.tier == 1)),
        "road_nodes": len(roads.node_ids),
        "road_ways": len(roads.ways),
        "counties": len(townships.name),
    }
    metadata = {
        "synthetic": True,
        "generator": "facility_layout.synthetic",
        "seed": int(seed),
        "width_km": float(width_km),
        "height_km": float(height_km),
        "population_total": float(population_total),
        "county_km2": round(county.area / 1e6, 3),
        "centre_lon_lat": [CENTRE_LON, CENTRE_LAT],
        "dem_arcsec": terrain.grid.arcsec,
        "population_arcsec": POPULATION_ARCSEC,
        "attribution_list": [f"Synthetic region generated by facility_layout (seed {seed}) — not a real place"],
        **counts,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        write_boundary(staging / "boundary.geojson", frame, county)
        write_raster(staging / "dem.tif", terrain.grid, terrain.dem(), DEM_NODATA)
        write_raster(staging / "population.tif", population.grid, population.people, POPULATION_NODATA)
        write_settlements(staging / "settlements.geojson", frame, places)
        write_osm(staging / "roads.osm", frame, roads)
        write_facilities(staging / "facilities.geojson", frame, facilities)
        write_township_areas(staging / "admin_areas.geojson", frame, places, townships)
        write_counties(staging / "counties.geojson", frame, townships)
        text = dumps_json(metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (staging / "region.json").write_text(text, encoding="utf-8")
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return GeneratedRegion(
        directory=target,
        seed=int(seed),
        width_km=float(width_km),
        height_km=float(height_km),
        population_total=float(population_total),
        county_km2=county.area / 1e6,
        dem_arcsec=terrain.grid.arcsec,
        **counts,
    )


def _check_parameters(seed: object, width_km: object, height_km: object, population_total: object) -> None:
    """Raise :class:`InvalidValueError` naming the parameter, its value and the fix."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidValueError(
            "{name} must be a non-negative integer, got {value}. Fix: give e.g. seed=7.", name="seed", value=echo(seed)
        )
    for name, value in (("width_km", width_km), ("height_km", height_km)):
        number = _as_number(name, value)
        if not number > 0:
            raise InvalidValueError(
                "{name} must be a positive number of kilometres, got {value}. Fix: give e.g. 30.",
                name=name,
                value=echo(value),
            )
        if number < MIN_SYNTHETIC_SIDE_KM:
            raise InvalidValueError(
                "{name}={value} km is too small to hold a township with villages around it. "
                "Fix: give at least {least:g} km.",
                name=name,
                value=echo(value),
                least=MIN_SYNTHETIC_SIDE_KM,
            )
        if number > MAX_SYNTHETIC_SIDE_KM:
            raise InvalidValueError(
                "{name}={value} km is larger than a region can be. Fix: give at most {most:g} km.",
                name=name,
                value=echo(value),
                most=MAX_SYNTHETIC_SIDE_KM,
            )
    if not _as_number("population_total", population_total) > 0:
        raise InvalidValueError(
            "{name} must be a positive number of people, got {value}. Fix: give the county's population, e.g. 120000.",
            name="population_total",
            value=echo(population_total),
        )


def _as_number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidValueError(
            "{name} must be a number, got {value}. Fix: give a number.", name=name, value=echo(value)
        ) from None
    if not math.isfinite(number):
        raise InvalidValueError(
            "{name} must be a finite number, got {value}. Fix: give a number.", name=name, value=echo(value)
        )
    return number


def _rng(streams: Iterator[np.random.SeedSequence]) -> np.random.Generator:
    """The next step's own random stream, so a change in one step leaves the others' draws alone."""
    return np.random.Generator(np.random.PCG64(next(streams)))


def _check_replaceable(target: Path) -> None:
    """Refuse to replace files of the region's names that are not an earlier generated region's."""
    existing = [name for name in FILE_NAMES if (target / name).exists()]
    if not existing:
        return
    try:
        earlier = json.loads((target / "region.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = None
    if isinstance(earlier, dict) and earlier.get("generator") == "facility_layout.synthetic":
        return
    raise InvalidValueError(
        "{folder} holds {files}, which the generator did not write (no region.json of a generated region there); "
        "generating would replace them. Fix: give a new or empty folder, or add --force to replace those files",
        folder=target,
        files=", ".join(existing),
    )


def _publish(staging: Path, target: Path) -> None:
    """Move the complete region into place: rename the folder, or replace the files of an earlier region."""
    if not target.exists():
        staging.rename(target)
        return
    for name in FILE_NAMES:  # region.json last
        os.replace(staging / name, target / name)
    staging.rmdir()
