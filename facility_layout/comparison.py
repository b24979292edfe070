"""The tables of a comparison of layouts of one region, from the files each run wrote.

:mod:`facility_layout.compare` runs the scenarios and reads their layouts back (:class:`Layout`); the tables
here say how the layouts differ (headline, cumulative minutes, changed sites, remote people, areas), and
:mod:`facility_layout.report` and :mod:`facility_layout.brief` draw them. docs/compare.md explains each table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from facility_layout.figures import minutes_figures
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC, read_admin_areas
from facility_layout.scenario import Scenario

TIERS = (VILLAGE_CLINIC, TOWNSHIP_CENTRE)
# Scenario keys of each tier's travel standard in summary.json's `standards`.
STANDARD_KEYS = {VILLAGE_CLINIC: "village_clinic_max_minutes", TOWNSHIP_CENTRE: "township_centre_max_minutes"}
# The cumulative curves are tabulated every half minute: smooth on a chart, short in a spreadsheet.
CURVE_STEP_MINUTES = 0.5
# A site a layout does not list: a new candidate site that layout did not build.
NOT_BUILT = "not built"
OUTSIDE_AREAS = "(outside every area)"
# The headline's first row: today's layout, under the first scenario's conditions.
TODAY = "today"
# Today's objective: none, the existing facilities as they are.
TODAY_OBJECTIVE = "none: the existing facilities"


@dataclass(frozen=True)
class Layout:
    """One scenario's layout as its run wrote it.

    Attributes
    ----------
    name : str
        The scenario file's name without ``.yaml``; its outputs are in ``DIR/<name>/``.
    scenario : Scenario
        The scenario as loaded.
    summary : dict
        ``summary.json``.
    demand, facilities, boundary : geopandas.GeoDataFrame
        Layers of ``layout.gpkg`` (see :class:`facility_layout.evaluate.LayoutTables`).
    not_built_reasons : dict
        Why each new site the layout does not build is not built, by site id (the files list built sites only).
    """

    name: str
    scenario: Scenario
    summary: dict[str, Any]
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    not_built_reasons: dict[str, str] = field(default_factory=dict)

    def standard(self, tier: str) -> float:
        """The tier's travel standard in minutes, as the run applied it."""
        return float(self.summary["standards"][STANDARD_KEYS[tier]])


@dataclass(frozen=True)
class RemoteDefinition:
    """Who the remote people are: those in the first layout's demand cells with no township centre within
    the village clinic standard, measured the same way in every layout.

    Attributes
    ----------
    layout : str
        The first layout, whose cells and people define them.
    standard : float
        The village clinic standard, in minutes.
    people : float
        How many they are.
    cells : int
        In how many demand cells they live.
    """

    layout: str
    standard: float
    people: float
    cells: int


@dataclass(frozen=True)
class Comparison:
    """The tables of a comparison; each is also written as the CSV named after it.

    Attributes
    ----------
    layouts : list of Layout
        In the order given; the first one defines the remote people.
    headline : pandas.DataFrame
        One row per layout: decisions, cost, people within each standard, minutes, solver status and gap.
    cumulative : pandas.DataFrame
        ``minutes`` and, per layout and tier, the people within that many minutes (NaN beyond the tier's
        standard, where the run computed no trips).
    changes : pandas.DataFrame
        Sites whose decision differs between layouts: ``site_id``, ``name``, ``tier`` and per layout
        ``decision``, ``merged_into`` and ``reason``.
    remote : pandas.DataFrame
        One row per layout: the same remote people, how many reach a village clinic within the standard and
        their minutes.
    admin_areas : pandas.DataFrame or None
        One row per area and layout, when the scenario gives ``region.admin_areas``.
    remote_definition : RemoteDefinition
        Who the remote people are, for the report to say.
    cross_conditions : pandas.DataFrame or None
        Every layout under every scenario's conditions (:mod:`facility_layout.cross_conditions`); None when
        the comparison is built from files alone.
    kept : tuple of str
        Files found in the comparison's folder that the tool did not write; they stay untouched.
    """

    layouts: list[Layout]
    headline: pd.DataFrame
    cumulative: pd.DataFrame
    changes: pd.DataFrame
    remote: pd.DataFrame
    admin_areas: pd.DataFrame | None
    remote_definition: RemoteDefinition
    cross_conditions: pd.DataFrame | None = None
    kept: tuple[str, ...] = ()  # files in the comparison's folder the tool did not write, left untouched


def comparison_tables(layouts: list[Layout], cross: pd.DataFrame | None = None) -> Comparison:
    """Every table of the comparison, from layouts of one region (the first is the reference), with the
    cross-conditions table when the runs are at hand."""
    remote, definition = remote_people(layouts)
    return Comparison(
        layouts=layouts,
        headline=headline(layouts),
        cumulative=cumulative_minutes(layouts),
        changes=facility_changes(layouts),
        remote=remote,
        admin_areas=admin_area_figures(layouts),
        remote_definition=definition,
        cross_conditions=cross,
    )


# --- tables -------------------------------------------------------------------------------------------


def headline(layouts: list[Layout]) -> pd.DataFrame:
    """One row per layout: what it decides, what it costs, whom it serves within each standard, who loses
    access to its conditions, and how sure the solver is (``proven_optimal`` false means the layout may be off
    by up to ``gap``).

    ``cost_falls_as_people_leave_standard`` flags a layout that costs less than the first while its conditions
    put people beyond every possible site (they leave the clinic standard's rows, so the plan need not serve
    them): its saving is not a better plan.
    """
    first_cost = float(layouts[0].summary["cost"])
    rows = []
    for layout in layouts:
        s = layout.summary
        access = s["access"]
        newly = (access.get("newly_beyond_every_site") or {}).get("population", 0.0)
        lost = access.get("losing_access") or {}
        solver = s["solver"]
        rows.append(
            _headline_row(layout, layout.name, str(layout.scenario.source), s["objective"], s)
            | {
                "no_facility_reachable": s["travel"]["cut_off"]["population"],
                "reach_computed_clinic_minutes": access["computed_up_to_minutes"][VILLAGE_CLINIC],
                "reach_computed_centre_minutes": access["computed_up_to_minutes"][TOWNSHIP_CENTRE],
                "losing_access_village_clinic": lost.get(VILLAGE_CLINIC, 0.0),
                "losing_access_township_centre": lost.get(TOWNSHIP_CENTRE, 0.0),
                "beyond_every_site_in_conditions": newly,
                "cost_falls_as_people_leave_standard": bool(newly > 0 and float(s["cost"]) < first_cost),
                "solver": solver["name"],
                "solver_status": solver["status"],
                "proven_optimal": bool(solver["proven_optimal"]),
                "gap": solver["gap"],
            }
        )
    return pd.DataFrame(rows)


def today_headline(layout: Layout) -> dict[str, Any]:
    """The headline row of today's layout (every existing facility open, nothing upgraded or built) under the
    conditions and people of ``layout``'s scenario, as its run evaluated it."""
    return _headline_row(layout, TODAY, "", TODAY_OBJECTIVE, layout.summary["today"]) | {
        "solver": "none",
        "solver_status": "given",
        "proven_optimal": False,
        "gap": None,
    }


def _headline_row(layout: Layout, name: str, file: str, objective: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Decisions, cost and people within each standard of a layout's ``figures`` (a summary or its today)."""
    s = layout.summary
    total = float(s["population_total"])
    clinics, centres = figures["facilities"][VILLAGE_CLINIC], figures["facilities"][TOWNSHIP_CENTRE]
    row: dict[str, Any] = {
        "scenario": name,
        "file": file,
        "objective": objective,
        "conditions": ", ".join(s["travel"]["conditions"]),
        "population_total": total,
        "clinics_kept": clinics["keep"],
        "clinics_closed": clinics["close"],
        "clinics_built": clinics["build"],
        "centres_kept": centres["keep"],
        "centres_upgraded": centres["upgrade"],
        "cost": figures["cost"],
    }
    for tier in TIERS:
        covered = float(figures["population_covered"][tier])
        minutes = figures["travel_minutes"][tier]
        row |= {
            f"{tier}_standard_minutes": layout.standard(tier),
            f"{tier}_within_standard": covered,
            f"{tier}_within_standard_share": round(covered / total, 4) if total else np.nan,
            f"{tier}_beyond_standard": round(total - covered, 2),
            f"{tier}_minutes_mean": minutes["mean"],
            f"{tier}_minutes_p95": minutes["p95"],
            f"{tier}_minutes_max": minutes["max"],
        }
    return row | {"uncoverable": figures["population_uncoverable"]}


def curve_minutes(layouts: list[Layout], tier: str) -> np.ndarray:
    """The minutes a tier's curves are tabulated at: every half minute up to the largest standard, which is
    always included, so that each curve ends on the people within its standard."""
    top = max(layout.standard(tier) for layout in layouts)
    return np.unique(np.append(np.arange(0.0, top, CURVE_STEP_MINUTES), top))


def cumulative_minutes(layouts: list[Layout]) -> pd.DataFrame:
    """People within each number of minutes of their village clinic (assigned) and of the nearest township
    centre, per layout: one column per layout and tier, named ``<layout>: <tier>``.

    The runs compute trips only up to each standard, so a curve stops (NaN) beyond its layout's standard and
    ends on the people within the standard.
    """
    grid = np.unique(np.concatenate([curve_minutes(layouts, tier) for tier in TIERS]))
    table = {"minutes": grid}
    for layout in layouts:
        people = layout.demand["population"].to_numpy(dtype=float)
        for tier, column in ((VILLAGE_CLINIC, "clinic_minutes"), (TOWNSHIP_CENTRE, "centre_minutes")):
            minutes = layout.demand[column].to_numpy(dtype=float)
            reached = np.isfinite(minutes)
            order = np.argsort(minutes[reached], kind="stable")
            sorted_minutes, within = minutes[reached][order], np.cumsum(people[reached][order])
            count = np.searchsorted(sorted_minutes, grid, side="right")
            curve = np.where(count > 0, within[np.maximum(count - 1, 0)], 0.0)
            table[curve_column(layout.name, tier)] = np.where(grid <= layout.standard(tier), np.round(curve, 2), np.nan)
    return pd.DataFrame(table)


def curve_column(name: str, tier: str) -> str:
    """Column of :func:`cumulative_minutes` holding a layout's curve for a tier."""
    return f"{name}: {tier}"


def facility_changes(layouts: list[Layout]) -> pd.DataFrame:
    """Sites whose decision is not the same in every layout, with each layout's decision, merge and reason.

    A new candidate site appears in a layout only if it is built there; elsewhere its decision is "not built".
    """
    by_site = {layout.name: layout.facilities.set_index("site_id") for layout in layouts}
    reasons = {layout.name: layout.not_built_reasons for layout in layouts}
    sites: dict[str, tuple[str, str]] = {}
    for frame in by_site.values():
        for site_id, name, tier in zip(frame.index, frame["name"], frame["tier"], strict=True):
            sites.setdefault(str(site_id), (str(name), str(tier)))
    rows = []
    for site_id, (name, tier) in sites.items():
        row: dict[str, Any] = {"site_id": site_id, "name": name, "tier": tier}
        for layout_name, frame in by_site.items():
            listed = site_id in frame.index
            row[f"decision: {layout_name}"] = frame.at[site_id, "decision"] if listed else NOT_BUILT
            row[f"merged_into: {layout_name}"] = frame.at[site_id, "merged_into"] if listed else ""
            row[f"reason: {layout_name}"] = (
                frame.at[site_id, "reason"] if listed else reasons[layout_name].get(site_id, "")
            )
        if len({row[f"decision: {n}"] for n in by_site}) > 1:
            rows.append(row)
    per_layout = [f"{key}: {name}" for name in by_site for key in ("decision", "merged_into", "reason")]
    columns = ["site_id", "name", "tier", *per_layout]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["tier", "name", "site_id"], ascending=[False, True, True], ignore_index=True)


def remote_people(layouts: list[Layout]) -> tuple[pd.DataFrame, RemoteDefinition]:
    """How each layout serves the same remote people, and the definition of who they are.

    Remote people live in the first layout's demand cells that have no township centre within the village
    clinic standard in that layout (farther than the standard, or beyond the township standard). Every layout
    is measured on these same cells and the first layout's people in them, so the rows compare like with like.
    """
    first = layouts[0]
    standard = first.standard(VILLAGE_CLINIC)
    d = first.demand
    centre = d["centre_minutes"].to_numpy(dtype=float)
    remote = ~(centre <= standard) & (d["population"].to_numpy(dtype=float) > 0)
    cells = d["cell_id"].to_numpy()[remote]
    people = d["population"].to_numpy(dtype=float)[remote]
    total = float(people.sum())
    definition = RemoteDefinition(layout=first.name, standard=standard, people=total, cells=len(cells))
    rows = []
    for layout in layouts:
        own = layout.demand.set_index("cell_id").reindex(cells)  # cells the layout lacks count as unreached
        minutes = own["clinic_minutes"].to_numpy(dtype=float)
        within = float(people[minutes <= layout.standard(VILLAGE_CLINIC)].sum())
        uncoverable = own["uncoverable"].fillna(False).to_numpy(dtype=bool)
        figures = minutes_figures(minutes, people)
        rows.append(
            {
                "scenario": layout.name,
                "remote_people": round(total, 2),
                "within_clinic_standard": round(within, 2),
                "within_clinic_standard_share": round(within / total, 4) if total else np.nan,
                "beyond_clinic_standard": round(total - within, 2),
                "uncoverable": round(float(people[uncoverable].sum()), 2),
                "clinic_minutes_mean": figures["mean"],
                "clinic_minutes_p95": figures["p95"],
                "clinic_minutes_max": figures["max"],
            }
        )
    return pd.DataFrame(rows), definition


def admin_area_figures(layouts: list[Layout]) -> pd.DataFrame | None:
    """Per administrative area (``region.admin_areas`` of the first scenario) and layout: people, people within
    the village clinic standard and their mean minutes. Cells outside every area are a row of their own."""
    first = layouts[0]
    areas = read_admin_areas(first.scenario, first.demand.crs)
    if areas is None:
        return None
    rows = []
    for layout in layouts:
        joined = layout.demand.sjoin(areas, how="left", predicate="within")
        # A cell on the line between two areas joins both: it counts in the first only.
        joined = joined[~joined.index.duplicated(keep="first")]
        area = joined["name"].fillna(OUTSIDE_AREAS)
        for name in [*areas["name"].drop_duplicates(), OUTSIDE_AREAS]:
            inside = (area == name).to_numpy()
            if name == OUTSIDE_AREAS and not inside.any():
                continue
            people = joined["population"].to_numpy(dtype=float)[inside]
            minutes = joined["clinic_minutes"].to_numpy(dtype=float)[inside]
            within = float(people[minutes <= layout.standard(VILLAGE_CLINIC)].sum())
            total = float(people.sum())
            rows.append(
                {
                    "area": name,
                    "scenario": layout.name,
                    "people": round(total, 2),
                    "within_clinic_standard": round(within, 2),
                    "within_clinic_standard_share": round(within / total, 4) if total else np.nan,
                    "clinic_minutes_mean": minutes_figures(minutes, people)["mean"],
                }
            )
    return pd.DataFrame(rows)
