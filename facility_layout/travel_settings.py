"""The ``travel`` section of a scenario: speeds by road class and surface, walking, how each tier is reached,
and the conditions (a season, a flood, a landslide) that can only slow or cut roads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from facility_layout.errors import InvalidValueError
from facility_layout.settings_base import Factor, Kmh, Metres, OsmId, Percent, Settings, Share, VectorSource, path_or

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


class TravelModes(Settings):
    """How people reach each tier: ``walk``; ``motor`` (ride from the motor road nearest to the door);
    ``walk_then_motor`` (walk along paths to a road that carries motor traffic, then ride; the road that
    makes the trip fastest, usually the nearest; or walk all the way where that is faster)."""

    village_clinic: TravelMode = "walk"
    township_centre: TravelMode = "walk_then_motor"
    referral: TravelMode = "motor"


class MotorSlopePenalty(Settings):
    """Vehicles slow down on steep grades, uphill and downhill alike."""

    free_grade_percent: Percent = Field(6.0, ge=0, le=100)
    loss_per_grade_percent: Share = Field(0.04, ge=0, le=1)
    min_factor: Share = Field(0.3, gt=0, le=1)


class TravelCondition(Settings):
    """A named condition that can only slow or cut roads (a season, a flood, a landslide)."""

    name: str = Field(min_length=1)
    unpaved_motor_factor: Share = Field(1.0, gt=0, le=1, description="vehicle speed × this on unpaved roads")
    unpaved_walking_factor: Share = Field(1.0, gt=0, le=1, description="walking speed × this on unpaved ways")
    closed_to_vehicles: list[str] = Field(default_factory=list, description="highway classes closed to vehicles")
    closed_way_ids: list[OsmId] = Field(default_factory=list, description="OSM way ids closed to everyone")
    closed_area: path_or(VectorSource) | None = Field(
        None, description="polygon file; every road segment crossing it is cut"
    )


BUILTIN_CONDITIONS: dict[str, TravelCondition] = {
    "rainy_season": TravelCondition(
        name="rainy_season", unpaved_motor_factor=0.5, unpaved_walking_factor=0.8, closed_to_vehicles=["track"]
    ),
}


class TravelSettings(Settings):
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
