"""Scenario YAML: the planner's interface, validated up front.

This is the only module that knows the YAML keys. Every later stage receives a validated, frozen
:class:`Scenario` whose input paths are already resolved against the data root.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from facility_layout.basemaps import basemap_for
from facility_layout.errors import N_, InvalidValueError, Message, ScenarioError, echo
from facility_layout.scenario_file import ReadAs, read_scenario_file
from facility_layout.scenario_problems import explain
from facility_layout.settings_base import (
    Cost,
    Count,
    Factor,
    Km,
    Metres,
    Minutes,
    People,
    Seconds,
    Seed,
    Settings,
    Share,
    TierValue,
    VectorOptions,
    VectorSource,
    path_or,
    source_file,
)
from facility_layout.travel_settings import TravelCondition, TravelSettings

REPO_DATA_ROOT = Path(__file__).resolve().parents[1] / "data"
DATA_ROOT_ENV = "FACILITY_LAYOUT_DATA"

# A generated county smaller than this cannot hold a township seat with villages around it.
MIN_SYNTHETIC_SIDE_KM = 4.0
MAX_SYNTHETIC_SIDE_KM = 400.0


class SyntheticRegionSettings(Settings):
    """Parameters of a generated region; its files are written where ``inputs`` expect them."""

    seed: Seed = Field(7, ge=0)
    width_km: Km = Field(30.0, ge=MIN_SYNTHETIC_SIDE_KM, le=MAX_SYNTHETIC_SIDE_KM)
    height_km: Km = Field(24.0, ge=MIN_SYNTHETIC_SIDE_KM, le=MAX_SYNTHETIC_SIDE_KM)
    population_total: People = Field(120_000, gt=0)


class AdminAreasSettings(VectorOptions):
    """Administrative areas (polygons) the comparison report gives figures for, one row per area."""

    file: Path
    name_field: str = "name"


class PartitionSettings(Settings):
    """Plan each administrative area (county) as its own region, the counties run in parallel (docs/architecture.md).

    A county's people are counted in its own run only; within ``halo_km`` of its border its trips may use the
    roads and the existing village clinics of its neighbours (kept as they are, never decided by this county).
    ``areas``: the county polygons, when they are not ``region.admin_areas`` (which then stay the townships).
    """

    by: Literal["admin_areas"] = "admin_areas"
    halo_km: Km = Field(
        0.0, ge=0, le=100, description="roads and neighbours' village clinics within this distance are usable"
    )
    areas: path_or(AdminAreasSettings) | None = Field(None, description="county polygons; default region.admin_areas")


class RegionSettings(Settings):
    name: str = Field(min_length=1)
    boundary: path_or(VectorSource)
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


class FacilityTierValues(Settings):
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


class TablePoints(Settings):
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


class AgeGroup(Settings):
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


class InputsSettings(Settings):
    roads: path_or(RoadsSource)
    population: path_or(VillageCensus)
    # Optional: without a DEM the terrain is flat; without settlements a census's villages stand in for them.
    elevation: Path | None = None
    facilities: FacilitiesInput
    settlements: SettlementsInput | None = None


class PopulationSettings(Settings):
    scale_to_total: People | None = Field(None, gt=0)
    cell_size_m: Metres = Field(500.0, ge=1, le=10_000)  # below 1 m the cell index overflows; rasters are coarser


# Surfaces that count as unpaved (OSM `surface=*`): slower for vehicles, and what a rainy season hits.
class CandidateFile(VectorOptions):
    """Points the county could build a clinic on (a vector file), with an optional name attribute."""

    file: Path
    name_field: str | None = None


class PopulatedCells(Settings):
    """Every demand cell (or census village) with at least ``min_people`` people near a road is a candidate."""

    min_people: People = Field(gt=0)


class CandidateSettings(Settings):
    settlements: bool = True
    settlement_places: list[str] = Field(
        default_factory=lambda: ["city", "town", "village", "hamlet", "isolated_dwelling"]
    )
    min_distance_to_existing_m: Metres = Field(500.0, ge=0)
    file: path_or(CandidateFile) | None = None
    populated_cells: PopulatedCells | None = None


class MergeRuleSettings(Settings):
    """One clinic per administrative village (settlement), unless merged with an adjacent village."""

    max_added_minutes: Minutes = Field(
        ge=0, description="most mean minutes a merge may add for the people of the village that gives up its clinic"
    )


class VillageClinicTier(Settings):
    max_travel_minutes: Minutes = Field(30.0, gt=0)
    keep_cost: Cost = Field(1.0, ge=0)
    build_cost: Cost = Field(3.0, ge=0)
    close_cost: Cost = Field(0.0, ge=0, description="one-off cost of closing an existing clinic")
    candidates: CandidateSettings = Field(default_factory=CandidateSettings)
    remote_keep_minutes: Minutes | None = Field(45.0, gt=0)
    merge_rule: MergeRuleSettings | None = None


class TownshipCentreTier(Settings):
    max_travel_minutes: Minutes = Field(60.0, gt=0)
    referral_max_minutes: Minutes = Field(60.0, gt=0)
    central_count: Count = Field(1, ge=0)


class TiersSettings(Settings):
    village_clinic: VillageClinicTier = Field(default_factory=VillageClinicTier)
    township_centre: TownshipCentreTier = Field(default_factory=TownshipCentreTier)


class ObjectiveSettings(Settings):
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


class FutureSettings(Settings):
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


class SolverSettings(Settings):
    name: Literal["cbc", "highs"] = "cbc"
    time_limit_s: Seconds = Field(300.0, gt=0)
    mip_gap: Share = Field(0.0, ge=0, lt=1)


class BriefSettings(Settings):
    enabled: bool = Field(True, description="write brief.pdf (false saves the 1–4 s it takes)")
    paper: Literal["a4", "a3"] = Field("a4", description="paper of brief.pdf, landscape")


class OutputSettings(Settings):
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


class MapSettings(Settings):
    """How ``map.html`` is drawn. A synthetic region never gets a real-world basemap."""

    basemap: Literal["openstreetmap", "none", "tianditu", "autonavi"] = "openstreetmap"
    tianditu_key: str | None = Field(None, description="Tianditu developer key (tk); default $TIANDITU_KEY")
    relief: bool = Field(True, description="draw a hillshade of the DEM under the layout")

    @model_validator(mode="after")
    def _basemap_available(self) -> MapSettings:
        basemap_for(self.basemap, self.tianditu_key)  # raises naming the missing key
        return self


CACHE_DIR_ENV = "FACILITY_LAYOUT_CACHE"


class CacheSettings(Settings):
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


class SitesSettings(Settings):
    """Sites forced open or closed in the optimisation, by ``site_id`` (as in a run's facilities.csv): a list
    of ids, or a file of them (one per line, or a CSV with a ``site_id`` column) under the data root."""

    required: list[int | str] | Path = Field(default_factory=list, description="site ids kept or built")
    forbidden: list[int | str] | Path = Field(default_factory=list, description="site ids closed or not built")


class Scenario(Settings):
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
        raise ScenarioError(explain(path, exc, bases, Scenario)) from None
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
