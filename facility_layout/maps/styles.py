"""How the map draws things: facility symbols, roads, lines and areas, layer names."""

from __future__ import annotations

from dataclasses import dataclass

from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.maps.classes import BEYOND_STANDARD_COLOUR, UNCOVERABLE_COLOUR
from facility_layout.palette import (
    CATCHMENT_FILL,
    CATCHMENT_OUTLINE,
    FACILITY_STYLES,
    REFERRAL_COLOUR,
)
from facility_layout.scenario import TownshipCentreTier, VillageClinicTier

WGS84 = "EPSG:4326"
COORDINATE_DECIMALS = 5  # about 1 m on the ground
# The scenario's default, used if the summary lacks the standard.
DEFAULT_CLINIC_STANDARD_MINUTES = VillageClinicTier.model_fields["max_travel_minutes"].default
DEFAULT_CENTRE_STANDARD_MINUTES = TownshipCentreTier.model_fields["max_travel_minutes"].default


@dataclass(frozen=True)
class FacilitySymbol:
    """How one (tier, decision) pair is drawn, named in the layer control and explained in the legend."""

    tier: str
    decision: str
    label: str
    svg: str
    size: int


def svg(size: int, body: str) -> str:
    return f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">{body}</svg>'


_FILL = {pair: style[0] for pair, style in FACILITY_STYLES.items()}  # one colour per facility in every output
_FILL = {pair: style[0] for pair, style in FACILITY_STYLES.items()}  # one colour per facility in every output
_STAR = "12,4.5 13.9,9.4 19.1,9.7 15,13 16.4,18.1 12,15.2 7.6,18.1 9,13 4.9,9.7 10.1,9.4"

# Circles and a triangle for village clinics, squares for township centres; closed clinics stay visible.
FACILITY_SYMBOLS: tuple[FacilitySymbol, ...] = (
    FacilitySymbol(
        VILLAGE_CLINIC,
        "keep",
        "Village clinic kept",
        svg(
            16,
            f'<circle cx="8" cy="8" r="6.5" fill="{_FILL[VILLAGE_CLINIC, "keep"]}" '
            'stroke="#ffffff" stroke-width="1.5"/>',
        ),
        16,
    ),
    FacilitySymbol(
        VILLAGE_CLINIC,
        "close",
        "Village clinic closed (people merged into another)",
        svg(
            16,
            f'<circle cx="8" cy="8" r="6.5" fill="{_FILL[VILLAGE_CLINIC, "close"]}" stroke="#616161" stroke-width="1"/>'
            '<path d="M4 4L12 12M12 4L4 12" stroke="#c62828" stroke-width="2.4"/>',
        ),
        16,
    ),
    FacilitySymbol(
        VILLAGE_CLINIC,
        "build",
        "Village clinic built (new)",
        svg(
            18,
            f'<path d="M9 1.5L16.8 16H1.2Z" fill="{_FILL[VILLAGE_CLINIC, "build"]}" '
            'stroke="#ffffff" stroke-width="1.5"/>',
        ),
        18,
    ),
    FacilitySymbol(
        TOWNSHIP_CENTRE,
        "keep",
        "Township centre kept",
        svg(
            18,
            f'<rect x="1.5" y="1.5" width="15" height="15" fill="{_FILL[TOWNSHIP_CENTRE, "keep"]}" '
            'stroke="#ffffff" stroke-width="1.5"/>',
        ),
        18,
    ),
    FacilitySymbol(
        TOWNSHIP_CENTRE,
        "upgrade",
        "Township centre upgraded to central township centre",
        svg(
            24,
            f'<rect x="1.5" y="1.5" width="21" height="21" fill="{_FILL[TOWNSHIP_CENTRE, "upgrade"]}" stroke="#ffd54f" '
            'stroke-width="2"/>'
            f'<polygon points="{_STAR}" fill="#ffd54f"/>',
        ),
        24,
    ),
)
# Today's facilities, before any decision: hollow shapes of the same kind as the decision symbols.
EXISTING_SYMBOLS = {
    VILLAGE_CLINIC: FacilitySymbol(
        VILLAGE_CLINIC,
        "existing",
        "Existing village clinic (today, before the layout)",
        svg(16, '<circle cx="8" cy="8" r="5.5" fill="none" stroke="#212121" stroke-width="2"/>'),
        16,
    ),
    TOWNSHIP_CENTRE: FacilitySymbol(
        TOWNSHIP_CENTRE,
        "existing",
        "Existing township centre (today, before the layout)",
        svg(18, '<rect x="3" y="3" width="12" height="12" fill="none" stroke="#212121" stroke-width="2"/>'),
        18,
    ),
}


@dataclass(frozen=True)
class RoadStyle:
    """How one group of OSM highway classes is drawn."""

    label: str
    colour: str
    weight: float
    dash: str | None


MAIN_ROADS = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link"}
)
TRACKS = frozenset({"track"})
PATHS = frozenset({"path", "footway", "steps", "bridleway", "pedestrian", "cycleway", "corridor"})
ROAD_STYLES = {
    "main": RoadStyle("Main road (trunk, primary, secondary)", "#4d4d4d", 2.6, None),
    "minor": RoadStyle("Other road or street", "#8a8a8a", 1.3, None),
    "track": RoadStyle("Track (unpaved)", "#9c6b30", 1.4, "6 4"),
    "path": RoadStyle("Footpath or steps", "#9c6b30", 1.1, "1 4"),
}
# Road vertices closer than this to the simplified line are dropped: about 10 m, a pixel at zoom 14.
ROAD_SIMPLIFY_DEGREES = 1e-4
# Main roads at every zoom; the others from zoom 11 on (a township's roads across the window), where they
# can be told apart: a prefecture's hundreds of thousands of minor road vertices made the map slow to open.
ROAD_MIN_ZOOM = {"main": 0, "minor": 11, "track": 11, "path": 11}
AREA_SIMPLIFY_DEGREES = 2e-4  # about 20 m, a small share of a demand cell's side (500 m by default)
LAND_COLOUR = "#fbfaf5"  # the region's fill where there is no basemap
CATCHMENT_STYLE = {
    "color": CATCHMENT_OUTLINE,
    "weight": 1.6,
    "opacity": 0.8,
    "fillColor": CATCHMENT_FILL,
    "fillOpacity": 0.12,
}
BEYOND_AREA_STYLE = {
    "color": BEYOND_STANDARD_COLOUR,
    "weight": 1.5,
    "opacity": 0.9,
    "dashArray": "4 3",
    "fillColor": BEYOND_STANDARD_COLOUR,
    "fillOpacity": 0.22,
}
UNCOVERABLE_AREA_STYLE = {**BEYOND_AREA_STYLE, "color": UNCOVERABLE_COLOUR, "fillColor": UNCOVERABLE_COLOUR}
MERGE_STYLE = {"color": "#c62828", "weight": 2.4, "opacity": 0.9, "dashArray": "2 5"}
MERGE_LAYER = "Merges: closed clinic → the clinic its people use"
# The demand cells' layers, by theme key.
CELL_LAYERS = {
    "minutes": "Demand cells: minutes to village clinic",
    "centre-minutes": "Demand cells: minutes to township centre",
    "density": "Demand cells: people per km²",
}
CELLS_OFF_LAYER = "Demand cells: none"
ASSIGNMENTS_LAYER = "Assignments: demand cell → village clinic"
# Zoom 10 shows about 40 km across a phone, zoom 12 about 10 km: townships, then villages, can be told apart.
LABEL_MIN_ZOOM = {"centre": 10, "settlement": 12}
LABELS_LAYER = (
    f"Labels: township centres (from zoom {LABEL_MIN_ZOOM['centre']}) and settlements "
    f"(from zoom {LABEL_MIN_ZOOM['settlement']})"
)
CATCHMENT_LAYER = "Catchments: the area each village clinic serves"
BEYOND_LAYER = "Areas beyond the village clinic standard"
RELIEF_LAYER = "Relief: hillshade of the elevation model"
RELIEF_OPACITY_OVER_BASEMAP = 0.35
RELIEF_PANE, RELIEF_PANE_Z = "relief", 350  # above basemap tiles (200), below the layout (400)
RELIEF_SWATCH = (
    '<svg width="26" height="14" viewBox="0 0 26 14"><defs><linearGradient id="fl-relief" x1="0" x2="1">'
    '<stop offset="0" stop-color="#f2efe6"/><stop offset="1" stop-color="#6b6358"/></linearGradient></defs>'
    '<rect width="26" height="14" fill="url(#fl-relief)"/></svg>'
)
ASSIGNMENT_STYLE = {"color": "#555555", "weight": 0.8, "opacity": 0.55}
REFERRAL_STYLE = {"color": REFERRAL_COLOUR, "weight": 2.2, "opacity": 0.85, "dashArray": "7 5"}

SYNTHETIC_BANNER = "SYNTHETIC REGION — generated data, not a real place"
