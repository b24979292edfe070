"""``facility-layout init``: a commented starter scenario for a folder of the planner's own files.

It surveys the folder (:mod:`facility_layout.survey`), picks a file for each input by what its header holds
and what it is called, guesses the fields (经度/纬度, 人口, 名称, 类型, 编号 and their English names) and the
facility types of each tier, and writes every guess as a comment beside the key, and every input it could
not find as a ``# TODO``; its comments and the lines it prints are in the planner's language (the keys stay
English). It never overwrites a scenario: an existing ``scenario.yaml`` gets a
``scenario.new.yaml`` beside it, and if that exists too it stops.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from facility_layout.errors import N_, FacilityLayoutError
from facility_layout.fetch.starter import planning_sections
from facility_layout.gcj02 import in_china
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.survey import Found, survey

# Field names, best first; matched exactly (ignoring case), then as a part of a longer name (e.g. 经度(GCJ)).
LON_FIELDS = ("经度", "lon", "lng", "long", "longitude", "x", "东经")
LAT_FIELDS = ("纬度", "lat", "latitude", "y", "北纬")
POPULATION_FIELDS = ("人口", "总人口", "常住人口", "户籍人口", "人口数", "population", "pop", "people")
NAME_FIELDS = ("名称", "name", "村名", "机构名称", "单位名称", "村庄名称", "名字", "村")
TIER_FIELDS = ("类型", "type", "tier", "机构类型", "类别", "级别", "kind", "level")
ID_FIELDS = ("编号", "id", "代码", "code", "机构编码", "编码", "fid")
ROAD_CLASS_FIELDS = ("highway", "等级", "行政等级", "技术等级", "道路等级", "fclass", "grade", "class", "类型", "type")
ROAD_SURFACE_FIELDS = ("surface", "路面", "路面类型", "路面材料")
# Words in file names that say what a file is.
BOUNDARY_WORDS = ("boundary", "border", "county", "outline", "边界", "县界", "界线", "行政", "区划")
ROAD_WORDS = ("road", "street", "highway", "路", "道", "交通")
FACILITY_WORDS = ("facilit", "clinic", "health", "hospital", "roster", "卫生", "医", "机构")
CENSUS_WORDS = ("census", "population", "village", "人口", "统计", "村", "户籍")
SETTLEMENT_WORDS = ("settlement", "village", "place", "村", "居民点", "聚落")
DEM_WORDS = ("dem", "srtm", "elev", "dtm", "terrain", "高程", "地形")
POPULATION_RASTER_WORDS = ("pop", "ppp", "worldpop", "人口")
# Facility types, by the words that mark them (Chinese health system first).
TOWNSHIP_WORDS = ("卫生院", "中心", "centre", "center", "township")
VILLAGE_WORDS = ("卫生室", "村", "站", "clinic", "post", "poste", "village")

# Geometry types as the planner's GIS names them.
GEOMETRY_WORDS = {
    "Point": N_("Point"),
    "MultiPoint": N_("MultiPoint"),
    "LineString": N_("LineString"),
    "MultiLineString": N_("MultiLineString"),
    "Polygon": N_("Polygon"),
    "MultiPolygon": N_("MultiPolygon"),
}


class InitError(FacilityLayoutError):
    """``init`` cannot write a scenario (folder missing, a scenario already there twice)."""


@dataclass
class Guess:
    """What ``init`` chose for the scenario, and what it could not find."""

    lines: list[str] = field(default_factory=list)  # the YAML, with comments
    report: list[str] = field(default_factory=list)  # one line per choice, for the terminal
    missing: list[str] = field(default_factory=list)
    words: Translator = ENGLISH  # the language of the comments and the report


def init_folder(folder: Path, _: Translator = ENGLISH) -> tuple[Path, Guess]:
    """Write a starter scenario for the files in ``folder``, its comments in ``_``'s language; returns its
    path and what was guessed.

    Raises
    ------
    InitError
        When ``folder`` is not a folder, or both ``scenario.yaml`` and ``scenario.new.yaml`` exist.
    """
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise InitError("{folder} is not a folder. Fix: give the folder that holds your files", folder=folder)
    target = folder / "scenario.yaml"
    if target.exists():
        target = folder / "scenario.new.yaml"
        if target.exists():
            raise InitError(
                "{folder} already holds scenario.yaml and scenario.new.yaml. Fix: rename or remove "
                "scenario.new.yaml (init never overwrites a scenario)",
                folder=folder,
            )
    found, unreadable = survey(folder)
    guess = guess_scenario(folder, found, _)
    for path, why in unreadable:
        guess.report.append(_("could not read {file}: {problem}", file=path.relative_to(folder), problem=why))
    with target.open("x", encoding="utf-8") as out:  # "x": fails rather than replace a file made meanwhile
        out.write("\n".join(guess.lines))
    return target, guess


def guess_scenario(folder: Path, found: list[Found], _: Translator = ENGLISH) -> Guess:
    """The scenario's YAML lines for the surveyed files, commented in ``_``'s language."""
    guess = Guess(words=_)
    rel = _relative(folder)
    boundary = _best([f for f in found if f.kind == "vector" and _is_polygon(f)], BOUNDARY_WORDS)
    roads = _best([f for f in found if f.kind == "osm" or (f.kind == "vector" and _is_line(f))], ROAD_WORDS)
    rasters = [f for f in found if f.kind == "raster"]
    # A raster named for what it holds wins; else elevation is the integer one, population the floating-point one.
    elevation = _best(rasters, DEM_WORDS, named=True) or _best([r for r in rasters if _is_int(r)], ())
    others = [r for r in rasters if r is not elevation]
    population_raster = _best(others, POPULATION_RASTER_WORDS, named=True) or _best(
        [r for r in others if not _is_int(r)], ()
    )
    tables = [f for f in found if f.kind == "table" or (f.kind == "vector" and _is_point(f))]
    facilities = _best([t for t in tables if _field(t, TIER_FIELDS)], FACILITY_WORDS)
    census = _best(
        [t for t in tables if t.kind == "table" and t is not facilities and _field(t, POPULATION_FIELDS)], CENSUS_WORDS
    )
    settlements = _best([t for t in tables if t.kind == "vector" and t is not facilities], SETTLEMENT_WORDS)

    name = _region_name(folder, boundary)
    q = _quote
    guess.lines += [
        "# " + _("Starter scenario written by `facility-layout init {folder}`. Paths are absolute.", folder=folder),
        "# " + _("Every guess is marked GUESS and every gap TODO: check them, then"),
        f"#   facility-layout validate {folder / 'scenario.yaml'}",
        "region:",
        f"  name: {q(name)}",
    ]
    if boundary is None:
        _missing(guess, "region.boundary", _("a polygon file of the county (Shapefile, GeoPackage or GeoJSON)"))
    else:
        guess.lines += [
            f"  boundary:  # {_count(boundary, _)}",
            f"    file: {q(str(boundary.path))}",
        ]
        if boundary.encoding:
            guess.lines.append(
                f"    encoding: {boundary.encoding}  # GUESS: " + _("the .dbf has no .cpg and its text is GBK")
            )
        guess.report.append(
            f"region.boundary ← {rel(boundary)}"
            + (_(" (encoding {encoding})", encoding=boundary.encoding) if boundary.encoding else "")
        )
        _boundary_filter(guess, boundary)
    guess.lines += ["", "inputs:"]
    if roads is not None and roads.kind == "vector":
        _roads_file(guess, roads, rel)
    else:
        wanted = _("an OSM extract (.osm, .osm.pbf) or a roads Shapefile; or `facility-layout fetch`")
        _path_input(guess, "roads", roads, rel, wanted)
    _population(guess, population_raster, census, rel)
    wanted = _("a DEM GeoTIFF (SRTM); `facility-layout fetch` downloads one")
    _path_input(guess, "elevation", elevation, rel, wanted)
    _facilities(guess, facilities, rel)
    _settlements(guess, settlements, census, rel)
    guess.lines += ["", "population:", "  cell_size_m: 500", "", *planning_sections(folder / "out", _)]
    if guess.missing:
        guess.lines.append("# TODO " + _("before this scenario runs: {keys}", keys="; ".join(guess.missing)))
    return guess


def _path_input(guess: Guess, key: str, chosen: Found | None, rel, wanted: str) -> None:
    if chosen is None:
        _missing(guess, f"inputs.{key}", wanted)
        return
    guess.lines.append(f"  {key}: {_quote(str(chosen.path))}")
    guess.report.append(f"inputs.{key} ← {rel(chosen)}")


def _roads_file(guess: Guess, roads: Found, rel) -> None:
    """A roads Shapefile/GeoPackage: its grade and surface fields, mapped to speeds by travel.road_classes."""
    grade, surface = _field(roads, ROAD_CLASS_FIELDS), _field(roads, ROAD_SURFACE_FIELDS)
    grades = sorted({str(r.get(grade)) for r in roads.rows if r.get(grade) not in (None, "")}) if grade else []
    _ = guess.words
    guess.lines += [
        f"  roads:  # {_count(roads, _)}"
        + (_("; grades seen: {grades}", grades=", ".join(grades[:12])) if grades else ""),
        f"    file: {_quote(str(roads.path))}",
        _key("class_field", grade, _, _("the road grade column (高速/国道/省道/县道/乡道/村道 or OSM highway)")),
        *([_key("surface_field", surface, _, "")] if surface else []),
        *([f"    encoding: {roads.encoding}  # GUESS: " + _("no .cpg and GBK text")] if roads.encoding else []),
    ]
    guess.report.append(
        f"inputs.roads ← {rel(roads)}: "
        + _("grade {grade}, surface {surface}", grade=_shown(grade, _), surface=_shown(surface, _))
    )


def _population(guess: Guess, raster: Found | None, census: Found | None, rel) -> None:
    _ = guess.words
    if census is not None:
        lon, lat = _field(census, LON_FIELDS), _field(census, LAT_FIELDS)
        people, name = _field(census, POPULATION_FIELDS), _field(census, NAME_FIELDS)
        guess.lines += [
            "  population:  # "
            + _("village census table, {count}", count=_count(census, _))
            + (_(" (the raster {file} is not used)", file=rel(raster)) if raster else ""),
            f"    file: {_quote(str(census.path))}",
            *([f"    sheet: {_quote(census.sheet)}"] if census.sheet else []),
            _key("population_field", people, _, _("the column of people per village")),
            _key("name_field", name, _, _("the village name column")),
            *_coordinates(census, lon, lat, _),
        ]
        guess.report.append(
            f"inputs.population ← {rel(census)}{_sheet(census, _)}: "
            + _(
                "people {people}, name {name}, lon/lat {lon}/{lat}",
                people=_shown(people, _),
                name=_shown(name, _),
                lon=_shown(lon, _),
                lat=_shown(lat, _),
            )
        )
    elif raster is not None:
        guess.lines.append(
            f"  population: {_quote(str(raster.path))}  # GUESS: "
            + _("a {dtype} raster of people per pixel", dtype=raster.dtype)
        )
        guess.report.append(f"inputs.population ← {rel(raster)} " + _("(raster)"))
    else:
        wanted = _("a population raster (WorldPop) or a village census table with 人口")
        _missing(guess, "inputs.population", wanted)


def _facilities(guess: Guess, table: Found | None, rel) -> None:
    _ = guess.words
    if table is None:
        _missing(guess, "inputs.facilities", _("the facility roster (编号, 名称, 类型, 经度, 纬度)"))
        return
    tier, name, ident = _field(table, TIER_FIELDS), _field(table, NAME_FIELDS), _field(table, ID_FIELDS)
    values = Counter(str(r.get(tier)).strip() for r in table.rows if r.get(tier) not in (None, ""))
    township = sorted(v for v in values if any(w in v.lower() for w in TOWNSHIP_WORDS))
    village = sorted(v for v in values if v not in township and any(w in v.lower() for w in VILLAGE_WORDS))
    other = sorted(v for v in values if v not in township and v not in village)
    found = ", ".join(f"{v} ×{n}" for v, n in sorted(values.items()))
    guess.lines += [
        "  facilities:  # " + _("{count}; types found: {types}", count=_count(table, _), types=found),
        f"    file: {_quote(str(table.path))}",
        *([f"    sheet: {_quote(table.sheet)}"] if table.sheet else []),
        _key("id_field", ident, _, _("the facility code column")),
        _key("name_field", name, _, _("the facility name column")),
        _key("tier_field", tier, _, _("the facility type column")),
    ]
    if table.kind == "table":
        guess.lines += _coordinates(table, _field(table, LON_FIELDS), _field(table, LAT_FIELDS), _)
    if table.encoding:
        guess.lines.append("    # " + _("the file's text is {encoding}, not UTF-8", encoding=table.encoding.upper()))
    guess.lines.append("    tiers:  # GUESS " + _("from the type names: check them"))
    if other:
        guess.lines.append(
            "      # " + _("not mapped to a tier (reported, not planned): {types}", types=", ".join(other))
        )
    guess.lines += [
        f"      village_clinic: {_quote(village)}"
        + ("" if village else "  # TODO: " + _("the type(s) of village clinics")),
        f"      township_centre: {_quote(township)}"
        + ("" if township else "  # TODO: " + _("the type(s) of township centres")),
    ]
    guess.report.append(
        f"inputs.facilities ← {rel(table)}{_sheet(table, _)}: "
        + _(
            "type {tier}, name {name}, id {id}; village clinics {village}, township centres {township}",
            tier=_shown(tier, _),
            name=_shown(name, _),
            id=_shown(ident, _),
            village=village,
            township=township,
        )
        + (_(", not mapped {types}", types=other) if other else "")
    )


def _settlements(guess: Guess, chosen: Found | None, census: Found | None, rel) -> None:
    _ = guess.words
    if chosen is None and census is not None:
        guess.lines.append("  # settlements: TODO " + _("if the scenario asks for them: no village point file found"))
        guess.report.append(
            "inputs.settlements: " + _("no village point file found (the census table lists the villages)")
        )
        return
    if chosen is None:
        _missing(guess, "inputs.settlements", _("village points (Shapefile/GeoJSON) with a name field"))
        return
    name = _field(chosen, NAME_FIELDS)
    place = _field(chosen, ("place", "类型", "type"))
    guess.lines += [
        "  settlements:",
        f"    file: {_quote(str(chosen.path))}",
        _key("name_field", name, _, _("the village name field")),
        _key("place_field", place, _, _("a field with the kind of place (village, hamlet)")),
    ]
    guess.report.append(f"inputs.settlements ← {rel(chosen)}: " + _("name {name}", name=_shown(name, _)))


def _coordinates(table: Found, lon: str | None, lat: str | None, _: Translator) -> list[str]:
    """``lon_field``, ``lat_field`` and ``crs`` of a table, the datum guessed from its header and values."""
    lines = [
        _key("lon_field", lon, _, _("the longitude column")),
        _key("lat_field", lat, _, _("the latitude column")),
    ]
    xs, ys = _numbers(table, lon), _numbers(table, lat)
    if not xs or not ys:
        return [*lines, "    crs: EPSG:4326  # TODO: " + _("no coordinates read: check the columns")]
    if max(map(abs, xs)) > 180 or max(map(abs, ys)) > 90:
        return [
            *lines,
            "    crs: TODO  # " + _("the coordinates are not degrees: give their EPSG code (e.g. EPSG:4547)"),
        ]
    chinese = any(re.search(r"[\u4e00-\u9fff]", c) for c in table.columns)
    if chinese and bool(in_china(xs[0], ys[0])):
        return [
            *lines,
            "    crs: gcj02  # GUESS: " + _("copied from AMap/Tencent maps = GCJ-02; from Baidu: bd09; GPS: EPSG:4326"),
        ]
    return [*lines, "    crs: EPSG:4326  # GUESS: " + _("WGS 84 degrees; AMap/Tencent copies are gcj02, Baidu bd09")]


def _numbers(table: Found, column: str | None) -> list[float]:
    out = []
    for row in table.rows if column else []:
        try:
            out.append(float(row.get(column)))
        except (TypeError, ValueError):
            continue
    return out


def _field(found: Found, names: tuple[str, ...]) -> str | None:
    """The column that best matches ``names``: an exact name first, then one containing a (non-trivial) name."""
    lowered = {c.lower().strip(): c for c in found.columns}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    for name in names:
        if len(name) >= (2 if re.search(r"[\u4e00-\u9fff]", name) else 4):
            for low, column in lowered.items():
                if name.lower() in low:
                    return column
    return None


def _best(candidates: list[Found], words: tuple[str, ...], named: bool = False) -> Found | None:
    """The candidate whose file (or sheet) name holds the most of ``words`` (the first on a tie).

    With ``named``, only a candidate whose name holds one of them; None if none does.
    """

    def score(f: Found) -> int:
        text = f"{f.path.name} {f.sheet or ''}".lower()
        return sum(w in text for w in words)

    if named:
        candidates = [c for c in candidates if score(c) > 0]
    return max(candidates, key=score, default=None)


def _is_int(f: Found) -> bool:
    return (f.dtype or "").startswith(("int", "uint"))


def _is_polygon(f: Found) -> bool:
    return "polygon" in (f.geometry_type or "").lower()


def _is_line(f: Found) -> bool:
    return "linestring" in (f.geometry_type or "").lower()


def _is_point(f: Found) -> bool:
    return "point" in (f.geometry_type or "").lower()


def _boundary_filter(guess: Guess, boundary: Found) -> None:
    """A file of several named areas (a prefecture's counties) would be planned as their union under the
    first one's name: keep only that one, and name the others so the planner can pick."""
    name_field = _field(boundary, NAME_FIELDS)
    names = list(dict.fromkeys(str(r[name_field]) for r in boundary.rows if name_field and r.get(name_field)))
    if len(names) < 2:
        return
    others = ", ".join(names[1:6]) + (" …" if len(names) > 6 else "")
    _ = guess.words
    guess.lines.append(
        f"    filter: {{{_quote(name_field)}: {_quote(names[0])}}}  # GUESS: "
        + _("the file holds several areas ({others} too); keep the one to plan", others=others)
    )
    guess.report.append(
        "region.boundary: " + _("several areas in the file; filter keeps {name} (GUESS)", name=names[0])
    )


def _region_name(folder: Path, boundary: Found | None) -> str:
    if boundary is not None:
        name_field = _field(boundary, NAME_FIELDS)
        if name_field and boundary.rows and boundary.rows[0].get(name_field):
            return str(boundary.rows[0][name_field])
    return folder.name


def _shown(column: str | None, _: Translator) -> str:
    """A guessed column as the report names it: quoted, or 'none' when no column looked like it."""
    return repr(column) if column is not None else _("none")


def _key(key: str, value: str | None, _: Translator, wanted: str) -> str:
    """A guessed column as a key marked GUESS, or a TODO comment saying what was ``wanted``."""
    if value is None:
        return f"    # {key}: TODO " + _("{wanted}: no column looked like it", wanted=wanted)
    return f"    {key}: {_quote(value)}  # GUESS"


def _missing(guess: Guess, key: str, wanted: str) -> None:
    _ = guess.words
    guess.lines.append(f"  # {key.split('.')[-1]}: TODO: " + _("no file found: {wanted}", wanted=wanted))
    guess.missing.append(key)
    guess.report.append(f"{key}: " + _("NOT FOUND ({wanted})", wanted=wanted))


def _count(f: Found, _: Translator) -> str:
    if f.kind != "table":
        kind = f.geometry_type or ""
        return _("{geometry} features", geometry=_(GEOMETRY_WORDS[kind]) if kind in GEOMETRY_WORDS else kind)
    rows = len(f.rows)
    return _("{rows} rows read", rows=f"{rows}{'+' if rows >= 200 else ''}")


def _sheet(f: Found, _: Translator) -> str:
    return _(" [sheet {sheet}]", sheet=f.sheet) if f.sheet else ""


def _relative(folder: Path):
    def rel(f: Found) -> str:
        return str(f.path.relative_to(folder)) if f.path.is_relative_to(folder) else str(f.path)

    return rel


def _quote(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
