"""Classes of travel minutes and of people per km², and their colours: shared by the map's cells, legend and
popups and by the comparison report."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from facility_layout import formatting as fmt
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC

# Within the first, second and last third of the clinic standard; beyond it; unreachable from any site: the
# colours every output shares.
from facility_layout.palette import BEYOND_STANDARD_COLOUR, UNCOVERABLE_COLOUR, WITHIN_STANDARD_COLOURS

TIER_NAMES = {VILLAGE_CLINIC: "village clinic", TOWNSHIP_CENTRE: "township centre"}


@dataclass(frozen=True)
class MinutesClass:
    """One class of travel minutes from a demand cell to its village clinic."""

    key: str
    label: str
    colour: str


CELL_STROKE = "#333333"

# People per km² of a demand cell: from empty hillside to a town's centre.
DENSITY_BREAKS = (25.0, 100.0, 250.0, 500.0, 1000.0, 2500.0)
DENSITY_COLOURS = ("#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04")
DENSITY_CLASSES = tuple(
    MinutesClass(f"density-{k}", label, colour)
    for k, (label, colour) in enumerate(
        zip(
            [f"< {DENSITY_BREAKS[0]:,.0f}"]
            + [f"{lo:,.0f}–{hi:,.0f}" for lo, hi in itertools.pairwise(DENSITY_BREAKS)]
            + [f"≥ {DENSITY_BREAKS[-1]:,.0f}"],
            DENSITY_COLOURS,
            strict=True,
        )
    )
)


def minutes_classes(standard: float, tier: str = VILLAGE_CLINIC, _: Translator = ENGLISH) -> tuple[MinutesClass, ...]:
    """Thirds of a tier's standard, then beyond it; for clinics also cells no possible site can reach.

    The map's legend, its layers and the comparison report all class minutes with these.
    """
    first, second = standard / 3, 2 * standard / 3
    classes = (
        MinutesClass("within-1", _("≤ {high} min", high=fmt.num(first)), WITHIN_STANDARD_COLOURS[0]),
        MinutesClass(
            "within-2", _("{low}–{high} min", low=fmt.num(first), high=fmt.num(second)), WITHIN_STANDARD_COLOURS[1]
        ),
        MinutesClass(
            "within-3",
            _("{low}–{high} min (the standard)", low=fmt.num(second), high=fmt.num(standard)),
            WITHIN_STANDARD_COLOURS[2],
        ),
        MinutesClass(
            "beyond",
            _("no {tier} within {standard} min", tier=_(TIER_NAMES[tier]), standard=fmt.num(standard)),
            BEYOND_STANDARD_COLOUR,
        ),
    )
    if tier != VILLAGE_CLINIC:
        return classes
    return (
        *classes,
        MinutesClass(
            "uncoverable",
            _("cannot be reached within {standard} min from any possible site", standard=fmt.num(standard)),
            UNCOVERABLE_COLOUR,
        ),
    )


def classify_minutes(minutes: np.ndarray, standard: float, uncoverable: np.ndarray | None = None) -> np.ndarray:
    """Index into :func:`minutes_classes` of each travel time (NaN: none within the standard)."""
    minutes = np.asarray(minutes, dtype=float)
    uncoverable = np.zeros(len(minutes), dtype=bool) if uncoverable is None else np.asarray(uncoverable, dtype=bool)
    return np.select(
        [uncoverable, ~(minutes <= standard), minutes <= standard / 3, minutes <= 2 * standard / 3],
        [4, 3, 0, 1],
        default=2,
    )


def classify_cells(demand: gpd.GeoDataFrame, standard: float) -> np.ndarray:
    """Index into :func:`minutes_classes` of each demand cell's minutes to its village clinic."""
    return classify_minutes(demand["clinic_minutes"].to_numpy(dtype=float), standard, demand["uncoverable"])
