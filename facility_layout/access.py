"""Who really loses access under a scenario's travel conditions, read from the travel matrices alone.

The travel stage keeps trips only up to each tier's largest limit (see :func:`facility_layout.pipeline.travel_times`),
so "reachable" below means "within the minutes the run computes", which are at least the standard.

Definitions (docs/model.md, "Access under travel conditions"):

- *cut off*: no open facility of any tier (village clinic or township centre) is reachable at all.
- *unreachable*, per tier: no open facility of that tier is reachable at all.
- *losing access*, per tier: within the tier's standard of an open facility in the base conditions (no
  travel conditions) and no longer under the scenario's conditions, for the same layout and people.
- *newly beyond every site*: no possible clinic site (existing or candidate) reaches them within the clinic
  standard under the conditions, though one does in the base conditions; of them, those within the standard
  of today's clinics in the base conditions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.models.two_tier import CANDIDATE
from facility_layout.odmatrix import ODMatrix


@dataclass(frozen=True)
class Minutes:
    """The matrices of one set of travel conditions: people to any site (as a clinic) and to township centres,
    and the sites that may be open under them (:func:`eligible_sites`)."""

    demand_to_site: ODMatrix
    demand_to_centre: ODMatrix
    eligible: np.ndarray


def reached(od: ODMatrix, open_destinations: np.ndarray | None = None, limit: float = np.inf) -> np.ndarray:
    """Per origin: some (open) destination within ``limit`` minutes of the stored pairs."""
    within = od.within(limit)
    keep = np.ones(within.n_pairs, dtype=bool) if open_destinations is None else open_destinations[within.destination]
    out = np.zeros(od.shape[0], dtype=bool)
    out[within.origin[keep]] = True
    return out


def eligible_sites(
    site_kind: np.ndarray, site_to_centre: ODMatrix, referral_max_minutes: float, forbidden: np.ndarray
) -> np.ndarray:
    """Sites that may be open under these minutes: existing facilities, and candidate sites with a township
    centre within the referral limit (the referral roads change with the conditions too); never forbidden."""
    referable = np.zeros(len(site_kind), dtype=bool)
    referable[site_to_centre.within(referral_max_minutes).origin] = True
    return ((np.asarray(site_kind, dtype=object) != CANDIDATE) | referable) & ~forbidden


def cut_off(now: Minutes, open_sites: np.ndarray) -> np.ndarray:
    """Demand points no open facility of any tier reaches: no clinic (or centre as clinic), no township centre."""
    return ~reached(now.demand_to_site, open_sites) & ~reached(now.demand_to_centre)


def access_figures(
    population: np.ndarray,
    now: Minutes,
    base: Minutes | None,
    open_sites: np.ndarray,
    today_sites: np.ndarray,
    standards: tuple[float, float],
) -> dict[str, Any]:
    """The access figures of summary.json's ``access`` (see the module docstring), in people.

    Parameters
    ----------
    population : numpy.ndarray
        People per demand point.
    now, base : Minutes
        Minutes under the scenario's conditions and in the base conditions (None when the scenario has no
        conditions: then nobody loses access to them).
    open_sites, today_sites : numpy.ndarray of bool
        Per site: open in the layout, open today.
    standards : (float, float)
        Village clinic and township centre standards, minutes.
    """
    clinic_standard, centre_standard = standards

    def people(mask: np.ndarray) -> float:
        return round(float(population[mask].sum()), 2)

    figures: dict[str, Any] = {
        "unreachable": {
            VILLAGE_CLINIC: people(~reached(now.demand_to_site, open_sites)),
            TOWNSHIP_CENTRE: people(~reached(now.demand_to_centre)),
        },
        "losing_access": None,
        "newly_beyond_every_site": None,
    }
    if base is None:
        return figures
    figures["losing_access"] = {
        VILLAGE_CLINIC: people(
            reached(base.demand_to_site, open_sites, clinic_standard)
            & ~reached(now.demand_to_site, open_sites, clinic_standard)
        ),
        TOWNSHIP_CENTRE: people(
            reached(base.demand_to_centre, None, centre_standard)
            & ~reached(now.demand_to_centre, None, centre_standard)
        ),
    }
    newly = reached(base.demand_to_site, base.eligible, clinic_standard) & ~reached(
        now.demand_to_site, now.eligible, clinic_standard
    )
    figures["newly_beyond_every_site"] = {
        "population": people(newly),
        "within_standard_today": people(newly & reached(base.demand_to_site, today_sites, clinic_standard)),
    }
    return figures


def newly_beyond_words(figures: dict[str, Any]) -> str | None:
    """The headline sentence on people the conditions put beyond every possible site, None if there are none."""
    newly = figures.get("newly_beyond_every_site")
    if not newly or not newly["population"]:
        return None
    return (
        f"{newly['population']:,.0f} people no possible site reaches within the clinic standard in these conditions; "
        f"{newly['within_standard_today']:,.0f} of them are within the standard today"
    )
