"""The two text files ``fetch`` writes beside the data: a commented starter ``scenario.yaml`` and ``SOURCES.md``."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from facility_layout.i18n import ENGLISH, Translator

# OSM health-facility kinds from the most to the least equipped: the best one present is the township tier.
KIND_LEVELS = ("hospital", "centre", "clinic", "health_post", "doctors")


@dataclass(frozen=True)
class Source:
    """One downloaded input, for SOURCES.md and the scenario's attribution."""

    files: str
    what: str
    urls: list[str]
    licence: str
    attribution: str
    notes: str = ""


@dataclass(frozen=True)
class Starter:
    """What the starter scenario needs to know about the fetched files."""

    name: str
    folder: Path
    facility_kinds: Counter = field(default_factory=Counter)
    population_total: float = 0.0
    settlements: int = 0
    roads: int = 0


def tiers_from_kinds(kinds: Counter) -> tuple[list[str], list[str]]:
    """(village clinic kinds, township centre kinds): the best-equipped kind present leads, the rest serve villages.

    With a single kind, it stands for both tiers' existing facilities being unknown: it becomes the township tier
    and villages get no existing clinic (the model proposes where to build them).
    """
    present = [k for k in KIND_LEVELS if kinds.get(k)]
    if not present:
        return [], []
    return present[1:], present[:1]


def scenario_yaml(starter: Starter, sources: list[Source], _: Translator = ENGLISH) -> str:
    """A scenario that validates and runs on the fetched files as they are, with comments on what to check
    (in ``_``'s language; keys and values stay as YAML reads them)."""
    village, township = tiers_from_kinds(starter.facility_kinds)
    found = ", ".join(f"{k} ×{n}" for k, n in sorted(starter.facility_kinds.items())) or _("none")

    def q(value: object) -> str:  # a JSON string is a valid YAML string, whatever the name holds
        return json.dumps(value, ensure_ascii=False)

    folder = starter.folder
    scenario = folder / "scenario.yaml"
    todo_tiers = (
        []
        if township
        else [
            "    # TODO: "
            + _("OpenStreetMap has no health facility here: add yours to facilities.geojson (field `kind`)")
        ]
    )
    lines = [
        "# " + _("Starter scenario for {name}, written by `facility-layout fetch`.", name=starter.name),
        "# " + _("Check every line marked CHECK, then:"),
        f"#   facility-layout validate {scenario}",
        f"#   facility-layout run {scenario}",
        "# " + _("Paths are absolute: move the folder and they must be edited (or made relative to --data-root)."),
        "region:",
        f"  name: {q(starter.name)}",
        f"  boundary: {q(str(folder / 'boundary.geojson'))}",
        "  # " + _("crs omitted: the UTM zone is picked from the data"),
        "  attribution:",
        *[f"    - {q(s.attribution)}" for s in sources],
        "",
        "inputs:",
        f"  roads: {q(str(folder / 'roads.osm'))}            # " + _("{count} OSM ways", count=f"{starter.roads:,}"),
        f"  population: {q(str(folder / 'population.tif'))}  # "
        + _("WorldPop, {people} people in the box", people=f"{starter.population_total:,.0f}"),
        f"  elevation: {q(str(folder / 'dem.tif'))}",
        "  facilities:",
        f"    file: {q(str(folder / 'facilities.geojson'))}",
        "    id_field: osm_id",
        "    name_field: name",
        "    tier_field: kind",
        "    # "
        + _("OSM kinds found: {found}. CHECK which kind is which tier in this country's health system.", found=found),
        *todo_tiers,
        "    tiers:",
        f"      village_clinic: {q(village or ['clinic'])}",
        f"      township_centre: {q(township or ['hospital'])}",
        "  settlements:",
        f"    file: {q(str(folder / 'settlements.geojson'))}  # " + _("{count} OSM places", count=starter.settlements),
        "    name_field: name",
        "    place_field: place",
        "",
        "population:",
        "  # " + _("CHECK the WorldPop total against the census: set scale_to_total to rescale it."),
        "  cell_size_m: 500",
        "",
        *planning_sections(folder / "out", _),
    ]
    return "\n".join(lines)


def planning_sections(out_dir: Path, _: Translator = ENGLISH) -> list[str]:
    """The YAML lines after the inputs of a starter scenario: travel, standards, objective, solver, outputs.

    Shared by ``fetch`` and ``init``: defaults a county can run as they are, with the lines to check marked
    (comments in ``_``'s language).
    """
    return [
        "travel:",
        "  # "
        + _(
            "OSM roads are often thin in rural areas: tracks and paths missing from the map count as off-road walking."
        ),
        "  max_offroad_m: 2500",
        "  modes:",
        "    village_clinic: walk",
        "    township_centre: walk_then_motor",
        "    referral: motor",
        "",
        "tiers:",
        "  village_clinic:",
        "    max_travel_minutes: 30   # " + _("CHECK: the national standard"),
        "    keep_cost: 1",
        "    build_cost: 3",
        "  township_centre:",
        "    max_travel_minutes: 60",
        "    referral_max_minutes: 60",
        "    central_count: 1",
        "",
        "objective:",
        "  type: min_cost",
        "",
        "solver:",
        "  name: cbc",
        "  time_limit_s: 300",
        "",
        "outputs:",
        f"  dir: {json.dumps(str(out_dir), ensure_ascii=False)}",
        "",
    ]


def sources_md(starter: Starter, sources: list[Source], retrieved: str, area: str) -> str:
    """SOURCES.md: for each file, where it came from (URLs), when, and under which licence."""
    parts = [
        f"# {starter.name}: input data",
        "",
        f"Written by `facility-layout fetch` on {retrieved} (UTC). Area: {area}. All files are in WGS 84 (EPSG:4326).",
        "",
        "| file(s) | content | licence |",
        "|---|---|---|",
        *[f"| {s.files} | {s.what} | {s.licence} |" for s in sources],
        "",
    ]
    for s in sources:
        parts += [f"## {s.files}", "", s.what + ".", "", f"Licence: {s.licence}. Attribution: {s.attribution}.", ""]
        if s.notes:
            parts += [s.notes, ""]
        parts += ["Downloaded from:", "", *[f"- <{u}>" for u in s.urls], ""]
    return "\n".join(parts)
