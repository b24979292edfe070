"""Scenario YAML: the planner's interface, validated up front.

This is the only module that knows the YAML keys. Every later stage receives a validated, frozen
:class:`Scenario` whose input paths are already resolved against the data root.
"""

from __future__ import annotations

import builtins
import copy
import difflib
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from facility_layout.basemaps import basemap_for
from facility_layout.errors import N_, InvalidValueError, Message, ScenarioError, echo
from facility_layout.scenario_file import ReadAs, read_scenario_file

REPO_DATA_ROOT = Path(__file__).resolve().parents[1] / "data"
DATA_ROOT_ENV = "FACILITY_LAYOUT_DATA"

# km/h for motor traffic on each OSM highway class; classes not listed are walked (footway, path, steps…).
DEFAULT_MOTOR_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80,
    "motorway_link": 50,
    "trunk": 60,
    "trunk_link": 40,
    "primary": 50,
    "primary_link": 35,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 30,
    "tertiary_link": 25,
    "unclassified": 25,
    "residential": 20,
    "living_street": 10,
    "service": 15,
    "road": 20,
    "track": 12,
}


class _Settings(BaseModel):
    """Strict base: unknown keys are errors, numbers are finite, values are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


@dataclass(frozen=True)
class NumberOf:
    """What a number setting counts, for messages ("this key wants a number of minutes")."""

    words: str


def _plain_number(words: str, value: Any) -> Any:
    """Refuse what YAML typed as other than a number: yes/no (``yes`` would read as 1) and quoted text."""
    if isinstance(value, bool):
        raise InvalidValueError(
            "a YAML yes/no value (YAML reads yes, no, on, off, true, false as yes/no), not {words}",
            words=Message(words),
        )
    if isinstance(value, str):
        raise InvalidValueError("text, not {words} (write the number without quotes or units)", words=Message(words))
    return value


def _number(words: str, most: float, kind: type = float) -> Any:
    """The type of a setting holding ``words``: a finite number (``kind``) of at most ``most``, never a
    yes/no nor text. Fields add their own lower (and tighter upper) bounds."""
    return Annotated[kind, BeforeValidator(partial(_plain_number, words)), Field(le=most), NumberOf(words)]


# Every number setting has one of these types: finite, at most a physically sane bound (docs/reliability.md).
MAX_MINUTES = 7 * 24 * 60  # a week: no travel standard or added minutes is longer
Minutes = _number(N_("a number of minutes"), MAX_MINUTES)
Seconds = _number(N_("a number of seconds"), 7 * 24 * 3600)
Kmh = _number(N_("a speed in km/h"), 300)
Km = _number(N_("a length in km"), 40_000)
Metres = _number(N_("a length in metres"), 100_000)
Percent = _number(N_("a percentage"), 100)
Share = _number(N_("a share from 0 to 1"), 1)
Factor = _number(N_("a factor"), 100)
People = _number(N_("a number of people"), 1e10)
Cost = _number(N_("a cost"), 1e12)
Count = _number(N_("a whole number"), 1_000_000, int)
Seed = _number(N_("a whole number (a seed)"), 2**32 - 1, int)
OsmId = _number(N_("an OSM id"), 2**63 - 1, int)


def _not_yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        raise InvalidValueError("a YAML yes/no value; to mean the text, quote it (e.g. 'yes')")
    return value


# A value of the facility file's tier field: a number or text, never a YAML yes/no.
TierValue = Annotated[int | str, BeforeValidator(_not_yes_no)]


# A generated county smaller than this cannot hold a township seat with villages around it.
MIN_SYNTHETIC_SIDE_KM = 4.0
MAX_SYNTHETIC_SIDE_KM = 400.0


class SyntheticRegionSettings(_Settings):
    """Parameters of a generated region; its files are written where ``inputs`` expect them."""

    seed: Seed = Field(7, ge=0)
    width_km: Km = Field(30.0, ge=MIN_SYNTHETIC_SIDE_KM, le=MAX_SYNTHETIC_SIDE_KM)
    height_km: Km = Field(24.0, ge=MIN_SYNTHETIC_SIDE_KM, le=MAX_SYNTHETIC_SIDE_KM)
    population_total: People = Field(120_000, gt=0)


class VectorOptions(_Settings):
    """How to read a vector file as an office holds it (see :mod:`facility_layout.readers.vector`).

    ``encoding`` of a Shapefile's ``.dbf`` attribute table when it has no ``.cpg`` (e.g. ``gbk``); ``layer``
    of a GeoPackage (name or index); ``filter``: keep only features whose attributes equal these values,
    e.g. ``{name: 某某县}`` to pick one county from a file of many.
    """

    encoding: str | None = None
    layer: str | int | None = None
    filter: dict[str, str | int | float] | None = None


class VectorSource(VectorOptions):
    """A vector file given as a mapping ``{file, encoding, layer, filter}`` instead of a plain path."""

    file: Path


def source_file(source: Path | VectorOptions) -> Path:
    """The file of an input given as a path or as a mapping with ``file``."""
    return source if isinstance(source, Path) else source.file  # type: ignore[attr-defined]


# Tags of the two forms of a file input; they never reach the planner (see _explain).
_PATH_FORM, _MAPPING_FORM = "<path>", "<mapping>"


def _path_or(model: type[_Settings]) -> Any:
    """A file input given as a path or as a mapping of ``model``: only the form given is validated, so an
    error in the mapping is reported alone, not beside "not a valid path"."""
    return Annotated[
        Annotated[Path, Tag(_PATH_FORM)] | Annotated[model, Tag(_MAPPING_FORM)],
        Discriminator(lambda v: _MAPPING_FORM if isinstance(v, dict | BaseModel) else _PATH_FORM),
    ]


class AdminAreasSettings(VectorOptions):
    """Administrative areas (polygons) the comparison report gives figures for, one row per area."""

    file: Path
    name_field: str = "name"


class PartitionSettings(_Settings):
    """Plan each administrative area (county) as its own region, the counties run in parallel (docs/architecture.md).

    A county's people are counted in its own run only; within ``halo_km`` of its border its trips may use the
    roads and the existing village clinics of its neighbours (kept as they are, never decided by this county).
    ``areas``: the county polygons, when they are not ``region.admin_areas`` (which then stay the townships).
    """

    by: Literal["admin_areas"] = "admin_areas"
    halo_km: Km = Field(
        0.0, ge=0, le=100, description="roads and neighbours' village clinics within this distance are usable"
    )
    areas: _path_or(AdminAreasSettings) | None = Field(None, description="county polygons; default region.admin_areas")


class RegionSettings(_Settings):
    name: str = Field(min_length=1)
    boundary: _path_or(VectorSource)
    crs: str | None = Field(
        None, description="Projected metric CRS, e.g. 'EPSG:32738'. Omitted: the UTM zone of the data."
    )
    attribution: list[str] = Field(default_factory=list)
    synthetic: SyntheticRegionSettings | None = None
    admin_areas: AdminAreasSettings | None = None
    partition: PartitionSettings | None = None

    @model_validator(mode="after")
    def _partition_needs_areas(self) -> RegionSettings:
        if self.partition is not None and self.partition.areas is None and self.admin_areas is None:
            raise InvalidValueError(
                "region.partition: by admin_areas needs the county polygons: add region.partition.areas (or "
                "region.admin_areas) or remove region.partition"
            )
        return self


class FacilityTierValues(_Settings):
    village_clinic: list[TierValue] = Field(min_length=1)
    township_centre: list[TierValue] = Field(min_length=1)


# The facility types of Chinese rosters, used when `inputs.facilities.tiers` is omitted.
CHINESE_FACILITY_TIERS = FacilityTierValues(
    village_clinic=["村卫生室", "村卫生所", "村诊所"],
    township_centre=["乡镇卫生院", "乡卫生院", "镇卫生院", "中心卫生院", "社区卫生服务中心"],
)

# `crs` values of tables that are not EPSG codes: the offset datums of Chinese web maps.
OFFSET_DATUMS = ("gcj02", "bd09")


def _check_point_crs(crs: str) -> str:
    """A table's coordinate system: any CRS pyproj knows (EPSG:4326, 4490, …) or ``gcj02`` / ``bd09``."""
    if crs.strip().lower().replace("-", "") in OFFSET_DATUMS:
        return crs.strip().lower().replace("-", "")
    from pyproj import CRS

    try:
        CRS.from_user_input(crs)
    except Exception:
        raise InvalidValueError(
            "not a known coordinate system: give an EPSG code such as EPSG:4326, or gcj02 / bd09"
        ) from None
    return crs


class TablePoints(_Settings):
    """Where a table (CSV or XLSX) keeps its points: longitude and latitude columns and their CRS."""

    sheet: str | int | None = Field(None, description="XLSX sheet name or 0-based index (default: the first)")
    lon_field: str = "lon"
    lat_field: str = "lat"
    crs: str = Field("EPSG:4326", description="EPSG code, or gcj02 (AutoNavi, Tencent) / bd09 (Baidu)")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, crs: str) -> str:
        return _check_point_crs(crs)


class FacilitiesInput(TablePoints, VectorOptions):
    """The facilities: a vector file, or a roster table (CSV/XLSX) with coordinate columns."""

    file: Path
    tier_field: str = "tier"
    tiers: FacilityTierValues = Field(default_factory=lambda: CHINESE_FACILITY_TIERS)
    name_field: str = "name"
    id_field: str | None = None


class SettlementsInput(VectorOptions):
    file: Path
    name_field: str = "name"
    place_field: str = "place"


class AgeGroup(_Settings):
    """One age-group column of a census table and how often its people visit a clinic."""

    field: str
    visits_per_person: Factor = Field(gt=0)


class VillageCensus(TablePoints):
    """People by village from a census table (CSV/XLSX): one demand point per village.

    Villages without coordinates are placed at the settlement of the same name (``inputs.settlements``).
    """

    file: Path
    encoding: str | None = Field(None, description="CSV text encoding (default: UTF-8, else GBK)")
    lon_field: str | None = None
    lat_field: str | None = None
    name_field: str = "name"
    population_field: str = "population"
    township_field: str | None = None
    age_groups: dict[str, AgeGroup] | None = Field(
        None, description="age-group columns; demand weight = Σ people of the group × its visits per person"
    )


class RoadsSource(VectorOptions):
    """Roads from a vector file (a transport bureau's Shapefile), or an OSM file given as a mapping.

    ``class_field`` holds the road grade (高速, 国道, … or OSM highway classes), ``surface_field`` the
    surface (沥青, 砂石, … or OSM surfaces).
    """

    file: Path
    class_field: str | None = None
    surface_field: str | None = None


class InputsSettings(_Settings):
    roads: _path_or(RoadsSource)
    population: _path_or(VillageCensus)
    # Optional: without a DEM the terrain is flat; without settlements a census's villages stand in for them.
    elevation: Path | None = None
    facilities: FacilitiesInput
    settlements: SettlementsInput | None = None


class PopulationSettings(_Settings):
    scale_to_total: People | None = Field(None, gt=0)
    cell_size_m: Metres = Field(500.0, ge=1, le=10_000)  # below 1 m the cell index overflows; rasters are coarser


# Surfaces that count as unpaved (OSM `surface=*`): slower for vehicles, and what a rainy season hits.
UNPAVED_SURFACES = frozenset(
    {
        "unpaved",
        "compacted",
        "fine_gravel",
        "gravel",
        "pebblestone",
        "rock",
        "dirt",
        "earth",
        "ground",
        "grass",
        "mud",
        "sand",
        "soil",
        "woodchips",
        "clay",
    }
)

# Vehicle speed × factor on a tagged unpaved surface (the class speed is for the usual surface of the class).
DEFAULT_SURFACE_SPEED_FACTORS: dict[str, float] = {
    "compacted": 0.8,
    "fine_gravel": 0.75,
    "gravel": 0.7,
    "unpaved": 0.6,
    "pebblestone": 0.6,
    "rock": 0.5,
    "dirt": 0.5,
    "earth": 0.5,
    "ground": 0.5,
    "soil": 0.5,
    "clay": 0.5,
    "grass": 0.4,
    "sand": 0.4,
    "woodchips": 0.4,
    "mud": 0.3,
}

TravelMode = Literal["walk", "motor", "walk_then_motor"]
# How each mode reads in maps and messages.
MODE_WORDS: dict[str, str] = {"walk": "on foot", "motor": "by road", "walk_then_motor": "walking, then by road"}


class TravelModes(_Settings):
    """How people reach each tier: ``walk``; ``motor`` (ride from the motor road nearest to the door);
    ``walk_then_motor`` (walk along paths to a road that carries motor traffic, then ride; the road that
    makes the trip fastest, usually the nearest; or walk all the way where that is faster)."""

    village_clinic: TravelMode = "walk"
    township_centre: TravelMode = "walk_then_motor"
    referral: TravelMode = "motor"


class MotorSlopePenalty(_Settings):
    """Vehicles slow down on steep grades, uphill and downhill alike."""

    free_grade_percent: Percent = Field(6.0, ge=0, le=100)
    loss_per_grade_percent: Share = Field(0.04, ge=0, le=1)
    min_factor: Share = Field(0.3, gt=0, le=1)


class TravelCondition(_Settings):
    """A named condition that can only slow or cut roads (a season, a flood, a landslide)."""

    name: str = Field(min_length=1)
    unpaved_motor_factor: Share = Field(1.0, gt=0, le=1, description="vehicle speed × this on unpaved roads")
    unpaved_walking_factor: Share = Field(1.0, gt=0, le=1, description="walking speed × this on unpaved ways")
    closed_to_vehicles: list[str] = Field(default_factory=list, description="highway classes closed to vehicles")
    closed_way_ids: list[OsmId] = Field(default_factory=list, description="OSM way ids closed to everyone")
    closed_area: _path_or(VectorSource) | None = Field(
        None, description="polygon file; every road segment crossing it is cut"
    )


BUILTIN_CONDITIONS: dict[str, TravelCondition] = {
    "rainy_season": TravelCondition(
        name="rainy_season", unpaved_motor_factor=0.5, unpaved_walking_factor=0.8, closed_to_vehicles=["track"]
    ),
}


class TravelSettings(_Settings):
    motor_speeds_kmh: dict[str, Kmh] = Field(default_factory=lambda: dict(DEFAULT_MOTOR_SPEEDS_KMH))
    surface_speed_factors: dict[str, Share] = Field(default_factory=lambda: dict(DEFAULT_SURFACE_SPEED_FACTORS))
    motor_slope_penalty: MotorSlopePenalty | None = Field(default_factory=MotorSlopePenalty)
    walking_speed_kmh: Kmh = Field(4.5, ge=0.5, le=15, description="on flat ground")
    walking_slope: Literal["tobler", "flat"] = "tobler"
    max_offroad_m: Metres = Field(2_000.0, ge=0)
    offroad_detour_factor: Factor = Field(1.3, ge=1, le=5)
    elevation_sample_m: Metres = Field(30.0, gt=0, le=1_000)
    modes: TravelModes = Field(default_factory=TravelModes)
    conditions: list[str | TravelCondition] = Field(default_factory=list)
    road_classes: dict[str, str] = Field(
        default_factory=dict,
        description="road file's class value → OSM highway class, over the built-in Chinese grades (高速, 国道, …)",
    )
    road_surfaces: dict[str, str] = Field(
        default_factory=dict, description="road file's surface value → OSM surface, over the built-in 沥青, 砂石, …"
    )

    @model_validator(mode="after")
    def _check(self) -> TravelSettings:
        for highway, kmh in self.motor_speeds_kmh.items():
            if not kmh > 0:
                raise InvalidValueError(
                    "motor_speeds_kmh.{highway} must be > 0 km/h, got {kmh}", highway=highway, kmh=kmh
                )
        for surface, factor in self.surface_speed_factors.items():
            if not 0 < factor <= 1:
                raise InvalidValueError(
                    "surface_speed_factors.{surface} must be in (0, 1], got {factor}", surface=surface, factor=factor
                )
        return self

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, conditions: list[str | TravelCondition]) -> list[str | TravelCondition]:
        for condition in conditions:
            if isinstance(condition, str) and condition not in BUILTIN_CONDITIONS:
                known = ", ".join(sorted(BUILTIN_CONDITIONS))
                raise InvalidValueError(
                    "unknown condition {condition!r}: use a built-in one ({known}) or define it inline with "
                    "`name:` and its factors/closures",
                    condition=condition,
                    known=known,
                )
        return conditions

    def resolved_conditions(self) -> list[TravelCondition]:
        """The conditions in force, built-in names replaced by their definitions."""
        return [BUILTIN_CONDITIONS[c] if isinstance(c, str) else c for c in self.conditions]


class CandidateFile(VectorOptions):
    """Points the county could build a clinic on (a vector file), with an optional name attribute."""

    file: Path
    name_field: str | None = None


class PopulatedCells(_Settings):
    """Every demand cell (or census village) with at least ``min_people`` people near a road is a candidate."""

    min_people: People = Field(gt=0)


class CandidateSettings(_Settings):
    settlements: bool = True
    settlement_places: list[str] = Field(
        default_factory=lambda: ["city", "town", "village", "hamlet", "isolated_dwelling"]
    )
    min_distance_to_existing_m: Metres = Field(500.0, ge=0)
    file: _path_or(CandidateFile) | None = None
    populated_cells: PopulatedCells | None = None


class MergeRuleSettings(_Settings):
    """One clinic per administrative village (settlement), unless merged with an adjacent village."""

    max_added_minutes: Minutes = Field(
        ge=0, description="most mean minutes a merge may add for the people of the village that gives up its clinic"
    )


class VillageClinicTier(_Settings):
    max_travel_minutes: Minutes = Field(30.0, gt=0)
    keep_cost: Cost = Field(1.0, ge=0)
    build_cost: Cost = Field(3.0, ge=0)
    close_cost: Cost = Field(0.0, ge=0, description="one-off cost of closing an existing clinic")
    candidates: CandidateSettings = Field(default_factory=CandidateSettings)
    remote_keep_minutes: Minutes | None = Field(45.0, gt=0)
    merge_rule: MergeRuleSettings | None = None


class TownshipCentreTier(_Settings):
    max_travel_minutes: Minutes = Field(60.0, gt=0)
    referral_max_minutes: Minutes = Field(60.0, gt=0)
    central_count: Count = Field(1, ge=0)


class TiersSettings(_Settings):
    village_clinic: VillageClinicTier = Field(default_factory=VillageClinicTier)
    township_centre: TownshipCentreTier = Field(default_factory=TownshipCentreTier)


class ObjectiveSettings(_Settings):
    """What the layout optimises; docs/models.md states each model.

    ``min_cost`` and ``max_coverage`` with ``budget`` are the two-tier policy model; ``set_cover``,
    ``max_coverage`` with ``clinics``, ``p_median`` and ``p_center`` are the classic models, chosen within
    the same rules (township centres open, referral limit, remote keep).
    """

    type: Literal["min_cost", "max_coverage", "set_cover", "p_median", "p_center"] = "min_cost"
    budget: Cost | None = Field(None, ge=0)
    clinics: Count | None = Field(None, ge=0, description="village clinics to open; township centres come on top")
    capacity: People | None = Field(None, gt=0, description="people one clinic can serve")
    split_demand: bool = False
    backup: bool = False
    robust: Literal["all", "worst", "expected"] = Field(
        "all", description="with futures and a budget: people beyond the standard summed, in the worst, or expected"
    )

    @model_validator(mode="after")
    def _robust_needs_a_budget(self) -> ObjectiveSettings:
        if self.robust != "all" and self.budget is None:
            raise InvalidValueError(
                "objective.robust: {robust} applies to max_coverage with a budget (min_cost meets the standard in "
                "every future): remove it or set objective.type: max_coverage with a budget",
                robust=self.robust,
            )
        return self

    @model_validator(mode="after")
    def _parameters_fit_the_type(self) -> ObjectiveSettings:
        kind = self.type
        if kind == "max_coverage" and (self.budget is None) == (self.clinics is None):
            raise InvalidValueError(
                "objective max_coverage needs either `budget: <cost units>` (least people beyond the standard for "
                "that money) or `clinics: <count>` (for that many clinics), not both or neither"
            )
        if kind in ("p_median", "p_center") and self.clinics is None:
            raise InvalidValueError(
                "objective {kind} needs `clinics: <count>`: the number of village clinics to open", kind=kind
            )
        if self.budget is not None and kind != "max_coverage":
            raise InvalidValueError("objective.budget applies to max_coverage only, not {kind}: remove it", kind=kind)
        if self.clinics is not None and kind not in ("max_coverage", "p_median", "p_center"):
            raise InvalidValueError(
                "objective.clinics applies to max_coverage, p_median and p_center, not {kind}: remove it", kind=kind
            )
        if self.capacity is not None and (kind == "min_cost" or self.budget is not None):
            raise InvalidValueError(
                "objective.capacity applies to set_cover, max_coverage with clinics, p_median and p_center: remove "
                "it or change objective.type (now {kind})",
                kind=kind,
            )
        if self.split_demand and self.capacity is None:
            raise InvalidValueError(
                "objective.split_demand needs objective.capacity: add a capacity or remove split_demand"
            )
        if self.backup and kind != "set_cover":
            raise InvalidValueError("objective.backup applies to set_cover only, not {kind}: remove it", kind=kind)
        return self


class FutureSettings(_Settings):
    """A future the layout must hold up in, besides today: other people on today's cells, other roads."""

    name: str = Field(min_length=1)
    population_factor: Factor = Field(1.0, gt=0, description="growth (> 1) or decline (< 1) in every cell")
    population: Path | None = Field(None, description="a population raster of this future, instead of today's")
    visits_per_person: Factor = Field(
        1.0, gt=0, description="demand per person, e.g. Σ age-group share × visits per person of that group"
    )
    conditions: list[str | TravelCondition] = Field(default_factory=list, description="as travel.conditions")
    probability: Share | None = Field(None, ge=0, le=1, description="for objective.robust: expected")

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, conditions: list[str | TravelCondition]) -> list[str | TravelCondition]:
        return TravelSettings._known_conditions(conditions)


class SolverSettings(_Settings):
    name: Literal["cbc", "highs"] = "cbc"
    time_limit_s: Seconds = Field(300.0, gt=0)
    mip_gap: Share = Field(0.0, ge=0, lt=1)


class BriefSettings(_Settings):
    enabled: bool = Field(True, description="write brief.pdf (false saves the 1–4 s it takes)")
    paper: Literal["a4", "a3"] = Field("a4", description="paper of brief.pdf, landscape")


class OutputSettings(_Settings):
    dir: Path | None = None
    language: Literal["en", "zh-CN"] = Field("en", description="language of the words the tool writes")
    csv_bom: bool | None = Field(
        None, description="start CSVs with a UTF-8 byte-order mark (for Excel); default on under zh-CN"
    )
    brief: BriefSettings = Field(default_factory=BriefSettings)
    workbook: bool = Field(True, description="write layout.xlsx")

    @field_validator("brief", mode="before")
    @classmethod
    def _brief_on_or_off(cls, value: object) -> object:
        """``outputs.brief: false`` is short for ``outputs.brief.enabled: false`` (and ``true`` for the default)."""
        if isinstance(value, bool):
            return {"enabled": value}
        if not isinstance(value, dict | BriefSettings):
            raise ValueError("write true, false, or the brief's settings, e.g. {enabled: true, paper: a3}")
        return value

    @property
    def bom(self) -> bool:
        """Whether CSVs start with a byte-order mark: ``csv_bom``, else on for Chinese."""
        return self.language == "zh-CN" if self.csv_bom is None else self.csv_bom


class MapSettings(_Settings):
    """How ``map.html`` is drawn. A synthetic region never gets a real-world basemap."""

    basemap: Literal["openstreetmap", "none", "tianditu", "autonavi"] = "openstreetmap"
    tianditu_key: str | None = Field(None, description="Tianditu developer key (tk); default $TIANDITU_KEY")
    relief: bool = Field(True, description="draw a hillshade of the DEM under the layout")

    @model_validator(mode="after")
    def _basemap_available(self) -> MapSettings:
        basemap_for(self.basemap, self.tianditu_key)  # raises naming the missing key
        return self


CACHE_DIR_ENV = "FACILITY_LAYOUT_CACHE"


class CacheSettings(_Settings):
    """On-disk cache of travel-time matrices, keyed by everything that produced them."""

    enabled: bool = True
    dir: Path | None = Field(None, description="default: $FACILITY_LAYOUT_CACHE, else ~/.cache/facility_layout")

    def folder(self) -> Path:
        if self.dir is not None:
            return self.dir
        env = os.environ.get(CACHE_DIR_ENV)
        if env:
            return Path(env).expanduser()
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(base) / "facility_layout"


class SitesSettings(_Settings):
    """Sites forced open or closed in the optimisation, by ``site_id`` (as in a run's facilities.csv): a list
    of ids, or a file of them (one per line, or a CSV with a ``site_id`` column) under the data root."""

    required: list[int | str] | Path = Field(default_factory=list, description="site ids kept or built")
    forbidden: list[int | str] | Path = Field(default_factory=list, description="site ids closed or not built")


class Scenario(_Settings):
    """A validated scenario. Paths in ``region`` and ``inputs`` are absolute after :func:`load_scenario`."""

    region: RegionSettings
    inputs: InputsSettings
    population: PopulationSettings = Field(default_factory=PopulationSettings)
    travel: TravelSettings = Field(default_factory=TravelSettings)
    tiers: TiersSettings = Field(default_factory=TiersSettings)
    objective: ObjectiveSettings = Field(default_factory=ObjectiveSettings)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    outputs: OutputSettings = Field(default_factory=OutputSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    futures: list[FutureSettings] = Field(default_factory=list)
    sites: SitesSettings = Field(default_factory=SitesSettings)

    # Set by load_scenario, not by the YAML.
    source: Path | None = Field(None, exclude=True)
    data_root: Path | None = Field(None, exclude=True)
    read_as: tuple[ReadAs, ...] = Field((), exclude=True, description="how each file (and its bases) was decoded")
    # Set by region.partition for a county with a halo (never by the YAML): its neighbours' village clinics
    # within the halo, which its people may use (facility_layout.partition).
    neighbour_clinics: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _synthetic_layout(self) -> Scenario:
        if self.region.synthetic is None:
            return self
        folder = source_file(self.region.boundary).parent
        settlements = self.inputs.settlements.file if self.inputs.settlements else None
        expected = {
            "region.boundary": (self.region.boundary, "boundary.geojson"),
            "inputs.roads": (self.inputs.roads, "roads.osm"),
            "inputs.population": (self.inputs.population, "population.tif"),
            "inputs.elevation": (self.inputs.elevation, "dem.tif"),
            "inputs.facilities.file": (self.inputs.facilities.file, "facilities.geojson"),
            "inputs.settlements.file": (settlements, "settlements.geojson"),
        }
        if self.region.admin_areas is not None:
            expected["region.admin_areas.file"] = (self.region.admin_areas.file, "admin_areas.geojson")
        for key, (path, name) in expected.items():
            if path != folder / name:
                raise InvalidValueError(
                    "with region.synthetic the generated files live together: {key} must be {expected}, got {path}",
                    key=key,
                    expected=folder / name,
                    path=path,
                )
        return self

    @model_validator(mode="after")
    def _merge_rule_has_villages(self) -> Scenario:
        if self.tiers.village_clinic.merge_rule is None or self.inputs.settlements is not None:
            return self
        census = self.inputs.population
        if not isinstance(census, VillageCensus) or census.lon_field is None:
            raise InvalidValueError(
                "tiers.village_clinic.merge_rule needs villages: give inputs.settlements (village points) or "
                "inputs.population as a village census with lon_field / lat_field, or remove the merge rule"
            )
        return self

    @model_validator(mode="after")
    def _futures_fit_the_objective(self) -> Scenario:
        names = [f.name for f in self.futures]
        if "today" in names or len(set(names)) != len(names):
            raise InvalidValueError("futures need distinct names other than `today` (today is always the first future)")
        kind = self.objective.type
        two_tier = kind == "min_cost" or (kind == "max_coverage" and self.objective.budget is not None)
        if self.futures and not two_tier:
            # The classic models choose clinics on today's minutes alone.
            raise InvalidValueError(
                "futures apply to the two-tier objectives (min_cost, max_coverage with a budget), not "
                "{objective}: remove `futures` or change the objective",
                objective=Message("{kind} with clinics", kind=kind) if kind == "max_coverage" else kind,
            )
        if self.objective.robust != "all" and not self.futures:
            raise InvalidValueError(
                "objective.robust: {robust} needs `futures`: add them or remove it", robust=self.objective.robust
            )
        if self.objective.robust == "expected":
            missing = [f"futures[{i}].probability" for i, f in enumerate(self.futures) if f.probability is None]
            if missing:
                raise InvalidValueError(
                    "objective.robust: expected needs {missing}: add each one's probability", missing=", ".join(missing)
                )
            total = sum(f.probability or 0.0 for f in self.futures)
            if total > 1 + 1e-9:
                raise InvalidValueError(
                    "futures[*].probability sum to {total:g}: with today they must sum to 1 (today takes 1 − their "
                    "sum), so lower them to a sum of at most 1",
                    total=total,
                )
        return self

    def in_language(self, language: str | None) -> Scenario:
        """This scenario with ``outputs.language`` set to ``language`` (the ``--lang`` option); as is if None."""
        if language is None:
            return self
        languages = OutputSettings.model_fields["language"].annotation.__args__
        if language not in languages:
            raise ScenarioError(
                "--lang {language!r} (outputs.language): not a language of the outputs. Fix: use one of {languages}.",
                language=language,
                languages=", ".join(languages),
            )
        outputs = self.outputs.model_copy(update={"language": language})
        return self.model_copy(update={"outputs": outputs})

    @property
    def output_dir(self) -> Path:
        """Where outputs go: ``outputs.dir``, else ``out/<scenario file name>``."""
        if self.outputs.dir is not None:
            return self.outputs.dir
        stem = self.source.stem if self.source else self.region.name
        return Path("out") / stem

    def input_files(self) -> dict[str, Path]:
        """Every input file by its scenario key, for checks and error messages."""
        candidates = self.tiers.village_clinic.candidates.file
        return {
            "region.boundary": source_file(self.region.boundary),
            "inputs.roads": source_file(self.inputs.roads),
            "inputs.population": source_file(self.inputs.population),
            **({"inputs.elevation": self.inputs.elevation} if self.inputs.elevation else {}),
            "inputs.facilities.file": self.inputs.facilities.file,
            **({"inputs.settlements.file": self.inputs.settlements.file} if self.inputs.settlements else {}),
            **({"region.admin_areas.file": self.region.admin_areas.file} if self.region.admin_areas else {}),
            **(
                {"region.partition.areas": source_file(self.region.partition.areas)}
                if self.region.partition is not None and self.region.partition.areas is not None
                else {}
            ),
            **{
                f"travel.conditions[{i}].closed_area": source_file(c.closed_area)
                for i, c in enumerate(self.travel.conditions)
                if isinstance(c, TravelCondition) and c.closed_area is not None
            },
            **{f"futures[{i}].population": f.population for i, f in enumerate(self.futures) if f.population},
            **{
                f"futures[{i}].conditions[{k}].closed_area": source_file(c.closed_area)
                for i, f in enumerate(self.futures)
                for k, c in enumerate(f.conditions)
                if isinstance(c, TravelCondition) and c.closed_area is not None
            },
            **({"tiers.village_clinic.candidates.file": source_file(candidates)} if candidates else {}),
        }


def resolve_data_root(data_root: str | Path | None = None) -> Path:
    """The folder relative input paths resolve against: argument, else $FACILITY_LAYOUT_DATA, else data/."""
    if data_root is None:
        data_root = os.environ.get(DATA_ROOT_ENV) or REPO_DATA_ROOT
    return Path(data_root).expanduser().resolve()


def load_scenario(path: str | Path, data_root: str | Path | None = None, encoding: str | None = None) -> Scenario:
    """Read, validate and resolve a scenario YAML file.

    A file may start from another with ``extends: base.yaml`` (relative to the file; the base may extend
    another in turn) and give only what differs: mappings merge key by key, lists and scalars replace.

    Parameters
    ----------
    path : str or Path
        The scenario file.
    data_root : str or Path, optional
        Folder that relative input paths resolve against; see :func:`resolve_data_root`.
    encoding : str, optional
        Text encoding of the file and its bases; default: detected (see :mod:`facility_layout.scenario_file`).

    Raises
    ------
    ScenarioError
        Naming the file, the key, the value and the fix.
    """
    path = Path(path)
    raw, bases, read_as = _read_extended(path, (), encoding)
    root = resolve_data_root(data_root)
    try:
        scenario = Scenario.model_validate(_resolve_paths(raw, root))
    except ValidationError as exc:
        raise ScenarioError(_explain(path, exc, bases)) from None
    return scenario.model_copy(update={"source": path.resolve(), "data_root": root, "read_as": read_as})


def scenario_language(path: str | Path, encoding: str | None = None) -> str | None:
    """``outputs.language`` as a scenario file (or a base it extends) sets it, read without validating the rest:
    the language of the messages about a scenario that does not load. None if unset, unknown or unreadable."""
    try:
        raw, _bases, _read_as = _read_extended(Path(path), (), encoding)
    except ScenarioError:
        return None
    outputs = raw.get("outputs")
    language = outputs.get("language") if isinstance(outputs, dict) else None
    return language if language in get_args(OutputSettings.model_fields["language"].annotation) else None


def _read_yaml(path: Path, encoding: str | None) -> tuple[dict[str, Any], ReadAs]:
    """The top-level mapping of one scenario file, and how its text was decoded."""
    raw, read_as = read_scenario_file(path, encoding)
    if not isinstance(raw, dict):
        kind = {type(None): N_("nothing (only comments)"), list: N_("a list"), str: N_("a single text")}.get(type(raw))
        raise ScenarioError(
            "{path}: expected a mapping of settings (`key: value` lines) at the top level, got {value} ({raw}). "
            "Fix: write the settings as in scenarios/demo.yaml.",
            path=path,
            value=Message(kind) if kind else Message("a single {type}", type=type(raw).__name__),
            raw=echo(raw),
        )
    return raw, read_as


def _read_extended(
    path: Path, extending: tuple[Path, ...], encoding: str | None
) -> tuple[dict[str, Any], list[Path], tuple[ReadAs, ...]]:
    """The settings of ``path`` merged over those of the file it ``extends`` (and its bases, in turn).

    ``extending`` holds the files that extend ``path``, nearest last, to name a cycle. Returns the merged
    settings, the base files, nearest first, for error messages, and how each file was decoded.
    """
    raw, read_as = _read_yaml(path, encoding)
    base = raw.pop("extends", None)
    if base is None:
        return raw, [], (read_as,)
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(
            "{path}: `extends` = {base} is not a file name. Fix: give the base scenario's path relative to this "
            "file, e.g. `extends: demo.yaml`.",
            path=path,
            base=echo(base),
        )
    base_path = (path.parent / Path(base).expanduser()).resolve()
    chain = (*extending, path.resolve())
    if base_path in chain:
        loop = " → ".join(str(p) for p in (*chain[chain.index(base_path) :], base_path))
        raise ScenarioError(
            "{path}: `extends` = {base} makes a cycle ({loop}). Fix: let the base scenario extend none of the "
            "files that extend it.",
            path=path,
            base=echo(base),
            loop=loop,
        )
    if not base_path.is_file():
        raise ScenarioError(
            "{path}: `extends` = {base}: base scenario {base_path} not found. Fix: give its path relative to "
            "{resolve}.",
            path=path,
            base=echo(base),
            base_path=base_path,
            resolve=path.parent.resolve(),
        )
    base_raw, bases, base_read_as = _read_extended(base_path, chain, encoding)
    return _merged(base_raw, raw), [base_path, *bases], (read_as, *base_read_as)


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge key by key, lists and scalars (and null) replace."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_PATH_KEYS = (
    ("region", "boundary"),
    ("region", "boundary", "file"),
    ("region", "admin_areas", "file"),
    ("region", "partition", "areas"),
    ("region", "partition", "areas", "file"),
    ("inputs", "roads"),
    ("inputs", "roads", "file"),
    ("inputs", "population"),
    ("inputs", "population", "file"),
    ("inputs", "elevation"),
    ("inputs", "facilities", "file"),
    ("inputs", "settlements", "file"),
    ("sites", "required"),
    ("sites", "forbidden"),
    ("tiers", "village_clinic", "candidates", "file"),
    ("tiers", "village_clinic", "candidates", "file", "file"),
)


def _resolve_paths(raw: dict[str, Any], root: Path) -> dict[str, Any]:
    """Copy of ``raw`` with input paths made absolute against the data root."""
    raw = copy.deepcopy(raw)
    for keys in _PATH_KEYS:
        node: Any = raw
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(keys[-1]), str):
            node[keys[-1]] = str(root / Path(node[keys[-1]]).expanduser())
    conditions = raw.get("travel", {}).get("conditions") if isinstance(raw.get("travel"), dict) else None
    futures = raw.get("futures") if isinstance(raw.get("futures"), list) else []
    for future in futures:
        if isinstance(future, dict) and isinstance(future.get("population"), str):
            future["population"] = str(root / Path(future["population"]).expanduser())
    future_conditions = [f.get("conditions") for f in futures if isinstance(f, dict)]
    for group in [conditions, *future_conditions]:
        for condition in group if isinstance(group, list) else []:
            if isinstance(condition, dict) and isinstance(condition.get("closed_area"), str):
                condition["closed_area"] = str(root / Path(condition["closed_area"]).expanduser())
            area = condition.get("closed_area") if isinstance(condition, dict) else None
            if isinstance(area, dict) and isinstance(area.get("file"), str):
                area["file"] = str(root / Path(area["file"]).expanduser())
    return raw


def _explain(path: Path, exc: ValidationError, bases: list[Path]) -> Message:
    """One paragraph per problem: file, key, value, and the fix ('did you mean …' for typos)."""
    # A key may come from a base file: name them all, as the planner must look in each.
    merged_from = (
        Message(" (merged with the scenarios it extends: {bases})", bases=", ".join(map(str, bases))) if bases else ""
    )
    # A mapping where a name or a mapping may go (travel.conditions) fails both ways; the mapping's reason is the one.
    errors = [e for e in exc.errors() if not (isinstance(e.get("input"), dict) and "str" in e["loc"][-1:])]
    lines = [
        Message(
            "{path}{merged_from}: the scenario has {count} problem(s):",
            path=path,
            merged_from=merged_from,
            count=len(errors),
        )
    ]
    for error in errors:
        # Without the tags of a file input's two forms (path or mapping) and the names pydantic gives the
        # members of a union (`travel.conditions.0.TravelCondition.name`).
        loc = [str(p) for p in error["loc"] if p not in (_PATH_FORM, _MAPPING_FORM)]
        key = ".".join(p for p in loc if not _is_settings_name(p)) or "(top level)"
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = difflib.get_close_matches(loc[-1], allowed, n=1, cutoff=0.6)
            fix = (
                Message("did you mean `{hint}`?", hint=hint[0])
                if hint
                else Message("allowed keys here: {allowed}.", allowed=", ".join(allowed))
            )
            lines.append(Message("  - `{key}`: unknown key. Fix: {fix}", key=key, fix=fix))
        elif error["type"] == "missing":
            lines.append(Message("  - `{key}`: required but missing. Fix: add it.", key=key))
        else:
            value = error.get("input")
            shown = echo(value) if not isinstance(value, dict) else "{…}"
            fix = _number_fix(loc) or Message("correct this value.")
            lines.append(
                Message(
                    "  - `{key}` = {shown}: {problem}. Fix: {fix}",
                    key=key,
                    shown=shown,
                    problem=_problem(error),
                    fix=fix,
                )
            )
    return Message("{lines}", lines=lines)


# pydantic's error types, in the planner's words (message ids; ``ctx`` fills the placeholders); any other
# type keeps pydantic's English message.
_PROBLEMS = {
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "finite_number": N_("Input should be a finite number"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "bool_type": N_("Input should be a valid boolean"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} character(s)"),
    "too_short": N_("List should have at least {min_length} item(s) after validation, not {actual_length}"),
    "too_long": N_("List should have at most {max_length} item(s) after validation, not {actual_length}"),
    "literal_error": N_("Input should be {expected}"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "path_type": N_("Input is not a valid path"),
    "union_tag_invalid": N_(
        "Input tag {tag} found using {discriminator} does not match any of the expected tags: {expected_tags}"
    ),
}


def _problem(error: dict[str, Any]) -> Message | str:
    """What pydantic found wrong with a value, in the planner's words (its own message if it has none)."""
    raised = error.get("ctx", {}).get("error")
    if isinstance(raised, InvalidValueError):  # a validator's own message
        return raised.message
    if error["type"] in _PROBLEMS:
        ctx = dict(error.get("ctx", {}))
        if " or " in str(ctx.get("expected", "")):  # "'a', 'b' or 'c'": the "or" in the planner's language
            choices, last = ctx["expected"].rsplit(" or ", 1)
            ctx["expected"] = Message("{choices} or {last}", choices=choices, last=last)
        return Message(_PROBLEMS[error["type"]], **ctx)
    return error["msg"].removeprefix("Value error, ")


def _is_settings_name(part: str) -> bool:
    """Whether a part of an error's location names a member of a union (a settings model, or str, int …)."""
    found = globals().get(part, getattr(builtins, part, None))
    return isinstance(found, type) and (issubclass(found, BaseModel) or found in (str, int, float))


_BOUND_SIGNS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))


def _number_fix(loc: list[str]) -> Message | None:
    """'write a number of minutes > 0 and ≤ 10080' for a number setting at ``loc``, else None."""
    metadata = _metadata_at(loc)
    unit = next((m.words for m in metadata if isinstance(m, NumberOf)), None)
    if unit is None:
        return None
    bounds = [f"{sign} {_plain(getattr(m, name))}" for name, sign in _BOUND_SIGNS for m in metadata if hasattr(m, name)]
    upper = [b for b in bounds if b.startswith(("<", "≤"))]
    bounds = [b for b in bounds if b not in upper][:1] + upper[:1]  # the field's own bounds come first
    if len(bounds) == 2:
        bounds = [Message("{lower} and {upper}", lower=bounds[0], upper=bounds[1])]
    return Message(
        "write {unit} (finite, {bounds}), without quotes.", unit=Message(unit), bounds=bounds[0] if bounds else ""
    )


def _plain(bound: float) -> str:
    """10080 as '10,080', 0.5 as '0.5'."""
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"


def _metadata_at(loc: list[str]) -> list[Any]:
    """Constraints and markers (pydantic field metadata) of the setting at a location, outermost first."""
    return _setting_at(loc)[1]


def _setting_at(loc: list[str]) -> tuple[Any, list[Any]]:
    """The type of the setting at a location (a settings model, or e.g. float) and its field metadata."""
    annotation: Any = Scenario
    metadata: list[Any] = []
    for part in loc:
        annotation = _unwrapped(annotation, metadata, part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:  # a union member's name in the location
                continue
            metadata = list(field.metadata)
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict, tuple):
            annotation = get_args(annotation)[-1]
    return _unwrapped(annotation, metadata, None), metadata


def _unwrapped(annotation: Any, metadata: list[Any], member: str | None) -> Any:
    """``annotation`` without Optional, the union member named ``member`` and Annotated (whose metadata,
    pydantic's nested FieldInfo constraints included, is added to ``metadata``)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if hasattr(item, "metadata") else [item])
        elif origin in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            # A file input's forms are tagged members (Annotated[VectorSource, Tag(...)]): judged without the tag,
            # kept with it so that its metadata is read on the next turn.
            bare = [get_args(a)[0] if get_origin(a) is Annotated else a for a in members]
            named = [a for a, b in zip(members, bare, strict=True) if getattr(b, "__name__", None) == member]
            models = [a for a, b in zip(members, bare, strict=True) if isinstance(b, type) and issubclass(b, BaseModel)]
            annotation = (named or models or members)[0]
        else:
            return annotation


def _allowed_keys(loc: list[str]) -> list[str]:
    """Field names of the settings model at a location such as ['tiers', 'village_clinic']."""
    model = _setting_at(loc)[0]
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    top_level = ["extends"] if not loc else []  # read before validation, so not a field
    return [name for name, f in model.model_fields.items() if not f.exclude] + top_level
