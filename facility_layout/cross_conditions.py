"""Every layout of a comparison under every compared scenario's travel conditions and people.

A layout chosen for the dry season is a set of sites; the rainy season's run has the minutes from the same
demand cells to the same sites under its own conditions. Each layout is therefore measured on each run's
model (its travel matrices, people and rules, as computed by that run: nothing is recomputed), with the
sites matched by ``site_id``. The diagonal repeats each run's own figures.

``people_losing_access``: people (of the conditions' run) in cells the layout serves within the clinic
standard under its own scenario's conditions and no longer under these (cells matched by ``cell_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from facility_layout.baseline import given_report
from facility_layout.figures import minutes_figures
from facility_layout.pipeline import RunResult


def cross_conditions(runs: Mapping[str, RunResult]) -> pd.DataFrame:
    """One row per (layout, conditions of) pair, layouts and conditions in the order of ``runs``.

    Columns: ``layout``, ``conditions_of``, ``conditions`` (their names), ``population_total``,
    ``population_covered_village_clinic``, ``population_covered_township_centre``,
    ``people_beyond_clinic_standard`` (some possible site could serve them within it), ``uncoverable`` (beyond
    it, and no site that may open under these conditions reaches them; the layout's own sites may still serve
    others such, so covered + beyond + uncoverable = total),
    ``people_losing_access``, ``clinic_minutes_mean``, ``cost``, ``open_sites_missing`` (sites the layout
    opens that the conditions' run does not have: they count as closed).
    """
    rows = []
    for layout_name, own in runs.items():
        assert own.sites is not None and own.result is not None and own.demand is not None
        open_ids = set(map(str, own.sites.site_id[own.result.open_sites]))
        central_ids = set(map(str, own.sites.site_id[own.sites.centres[own.result.central]]))
        served_own = dict(zip(own.demand.cell_id, own.result.assignment >= 0, strict=True))
        for conditions_name, then in runs.items():
            assert then.model is not None and then.sites is not None and then.demand is not None
            site_ids = then.sites.site_id.astype(str)
            result = then.model.result_given(
                np.isin(site_ids, list(open_ids)),
                np.isin(site_ids[then.sites.centres], list(central_ids)),
                given_report(),
            )
            rows.append(
                _figures(result, then, served_own)
                | {
                    "layout": layout_name,
                    "conditions_of": conditions_name,
                    "open_sites_missing": len(open_ids - set(site_ids)),
                }
            )
    columns = [
        "layout",
        "conditions_of",
        "conditions",
        "population_total",
        "population_covered_village_clinic",
        "population_covered_township_centre",
        "people_beyond_clinic_standard",
        "uncoverable",
        "people_losing_access",
        "clinic_minutes_mean",
        "cost",
        "open_sites_missing",
    ]
    return pd.DataFrame(rows, columns=columns)


def _figures(result: Any, then: RunResult, served_own: dict[str, bool]) -> dict[str, Any]:
    """The figures of a layout's result on the model of run ``then``, in the people of that run."""
    assert then.demand is not None
    # Rounded per cell as the demand tables are, so that the diagonal equals each run's summary.
    people = np.round(then.demand.population, 2)
    served = result.assignment >= 0
    served_before = np.array([served_own.get(cell, False) for cell in then.demand.cell_id], dtype=bool)

    def total(mask: np.ndarray) -> float:
        return round(float(people[mask].sum()), 2)

    return {
        "conditions": ", ".join(then.summary["travel"]["conditions"]) or "none",
        "population_total": total(np.ones(len(people), dtype=bool)),
        "population_covered_village_clinic": total(served),
        "population_covered_township_centre": total(result.centre_assignment >= 0),
        "people_beyond_clinic_standard": total(~served & ~result.uncoverable),
        "uncoverable": total(result.uncoverable & ~served),
        "people_losing_access": total(served_before & ~served),
        "clinic_minutes_mean": minutes_figures(result.assignment_minutes, people)["mean"],
        "cost": round(float(result.cost), 4),
    }


def cross_words(table: pd.DataFrame, names: list[str]) -> list[str]:
    """Sentences answering "does the first plan hold under the others' conditions, and what do the others' plans
    give under the first's conditions?" (people within the clinic standard and cost)."""
    by = table.set_index(["layout", "conditions_of"])
    first = names[0]
    words = []
    for other in names[1:]:
        at_home, away = by.loc[(first, first)], by.loc[(first, other)]
        theirs = by.loc[(other, other)]
        words.append(
            f"The {first} plan under the conditions of {other}: {away['population_covered_village_clinic']:,.0f} "
            f"people within the clinic standard ({at_home['population_covered_village_clinic']:,.0f} under its own), "
            f"{away['people_losing_access']:,.0f} lose access; {other}'s own plan reaches "
            f"{theirs['population_covered_village_clinic']:,.0f} there."
        )
        back, mine = by.loc[(other, first)], by.loc[(first, first)]
        words.append(
            f"The {other} plan under the conditions of {first}: {back['population_covered_village_clinic']:,.0f} "
            f"people within the clinic standard against {mine['population_covered_village_clinic']:,.0f} for the "
            f"{first} plan, for a cost of {back['cost']:g} against {mine['cost']:g}."
        )
    return words
