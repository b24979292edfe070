"""What every location model shares: inputs over plain arrays, the result, and the error for a scenario
no layout can meet.

Every model takes a demand × site cost matrix (travel minutes, or any cost): an
:class:`~facility_layout.odmatrix.ODMatrix` or a dense array with ``inf`` for "out of reach". Pairs beyond
reach are never variables. Every model accepts demand ``weights`` (people, visits), ``required`` sites
(must be open) and ``forbidden`` sites (may not be), given as site indices or a boolean mask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from facility_layout.errors import InvalidValueError, Message, as_message
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import MilpBuilder, SolveReport

SitesArg = np.ndarray | Iterable[int] | None


class InfeasibleLayoutError(Exception):
    """No layout meets the hard rules; the message says which rule and by how much.

    Attributes
    ----------
    needed_budget : float or None
        The smallest budget that would make the rules feasible, when a budget is what is short.
    points : numpy.ndarray
        Demand points (row indices) that no allowed site can serve, when that is the cause.
    """

    def __init__(
        self,
        message: str | Message,
        /,
        needed_budget: float | None = None,
        points: np.ndarray | None = None,
        **values: object,
    ) -> None:
        self.message = as_message(message, **values)  # shown in the planner's language (facility_layout.errors)
        super().__init__(self.message.text())
        self.needed_budget = needed_budget
        self.points = np.zeros(0, dtype=np.int64) if points is None else np.asarray(points, dtype=np.int64)


@dataclass(frozen=True)
class LocationResult:
    """A solved location model.

    Attributes
    ----------
    open_sites : numpy.ndarray of bool, per site
        Open in the layout.
    assignment : numpy.ndarray of int, per demand point
        The site serving the point, -1 if none (beyond reach, or not covered). Uncapacitated models assign
        each point to its nearest open site (lowest index on ties), as patients choose; capacitated models
        give the solver's assignment (the largest share when demand may be split).
    assignment_cost : numpy.ndarray of float, per demand point
        Cost (minutes) to the assigned site, ``inf`` if none.
    objective : float or None
        The value the model optimised, in its own units (see each model); None without a solution.
    report : SolveReport
        What the solver proved: ``status``, ``bound``, ``gap``, seconds, model size.
    shares : scipy.sparse.csr_matrix or None
        Capacitated models that split demand: the share of each point's demand served by each site.
    figures : dict
        Other figures of the layout that a model reports (e.g. ``cost``, ``covered``).
    """

    open_sites: np.ndarray
    assignment: np.ndarray
    assignment_cost: np.ndarray
    objective: float | None
    report: SolveReport
    shares: sp.csr_matrix | None = None
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.report.status

    @property
    def proven_optimal(self) -> bool:
        return self.report.proven_optimal

    @property
    def bound(self) -> float | None:
        return self.report.bound

    @property
    def gap(self) -> float | None:
        return self.report.gap

    @property
    def open_indices(self) -> np.ndarray:
        """Indices of the open sites, ascending."""
        return np.flatnonzero(self.open_sites)


class LocationModel:
    """Inputs every model shares; subclasses add their parameters and build their MILP.

    Parameters
    ----------
    cost : ODMatrix or numpy.ndarray
        Demand × site cost (minutes); a dense array uses ``inf`` for pairs out of reach.
    weights : numpy.ndarray, optional
        Demand per point (people, visits); 1 each by default.
    required, forbidden : site indices or boolean mask, optional
        Sites that must be open / may not be open.

    Attributes
    ----------
    keep_one_of : list of numpy.ndarray
        Groups of sites of which at least one must be open, on top of the model's own rules (empty by
        default). The planning rules of the two-tier model — remote keep, the village merge rule — reach
        every classic model this way; see :func:`facility_layout.models.objectives.solve_layout`.
    """

    def __init__(
        self,
        cost: ODMatrix | np.ndarray,
        *,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> None:
        self.cost = as_od(cost)
        n_demand, n_sites = self.cost.shape
        self.weights = np.ones(n_demand) if weights is None else np.asarray(weights, dtype=float)
        if self.weights.shape != (n_demand,) or np.any(~np.isfinite(self.weights)) or np.any(self.weights < 0):
            raise ValueError(
                f"weights need one finite value >= 0 per demand point ({n_demand} rows of the cost matrix)"
            )
        self.required = site_mask(required, n_sites, "required")
        self.forbidden = site_mask(forbidden, n_sites, "forbidden")
        both = np.flatnonzero(self.required & self.forbidden)
        if len(both):
            raise ValueError(f"sites {both.tolist()} are both required and forbidden; a site can be only one")
        self.keep_one_of: list[np.ndarray] = []

    @property
    def n_demand(self) -> int:
        return self.cost.shape[0]

    @property
    def n_sites(self) -> int:
        return self.cost.shape[1]

    @property
    def allowed(self) -> np.ndarray:
        """Sites that may be open (not forbidden)."""
        return ~self.forbidden

    def unreachable_points(self, limit: float = np.inf) -> np.ndarray:
        """Demand points with weight > 0 that no allowed site reaches within ``limit``."""
        reach = self.cost.within(limit)
        reached = np.zeros(self.n_demand, dtype=bool)
        reached[reach.origin[self.allowed[reach.destination]]] = True
        return np.flatnonzero(~reached & (self.weights > 0))

    def checked_p(self, p: int) -> int:
        """``p`` as an int; ValueError unless it lies between the required and the allowed site counts."""
        if not self.required.sum() <= p <= self.allowed.sum():
            raise InvalidValueError(
                "p = {p} must be at least the {required} required sites and at most the {allowed} sites that are "
                "not forbidden",
                p=p,
                required=int(self.required.sum()),
                allowed=int(self.allowed.sum()),
            )
        return int(p)

    def raise_unreachable(self, limit: float = np.inf) -> None:
        """InfeasibleLayoutError naming the points with weight > 0 that no allowed site reaches within
        ``limit``, if any."""
        unreachable = self.unreachable_points(limit)
        if len(unreachable):
            where = Message("within reach") if np.isinf(limit) else Message("within {limit:g}", limit=limit)
            raise InfeasibleLayoutError(
                "{describe_points} have no allowed site {where}",
                points=unreachable,
                describe_points=describe_points(unreachable, self.weights),
                where=where,
            )

    def add_keep_rows(self, builder: MilpBuilder, site_column: np.ndarray) -> None:
        """Add ``Σ y ≥ 1`` over each group of :attr:`keep_one_of` to ``builder``.

        ``site_column`` maps each site to its ``y`` column (-1 for a site that is not a column). Groups met by a
        required site are left out; forbidden sites drop out of their group.

        Raises
        ------
        InfeasibleLayoutError
            A group of forbidden sites only.
        """
        rows, cols = [], []
        for group in self.keep_one_of:
            group = np.asarray(group, dtype=np.int64)
            if self.required[group].any():
                continue
            columns = site_column[group[~self.forbidden[group]]]
            columns = columns[columns >= 0]
            if not len(columns):
                raise InfeasibleLayoutError(
                    "sites {tolist} must keep one open, but all of them are forbidden", tolist=group.tolist()
                )
            rows.append(np.full(len(columns), len(rows)))
            cols.append(columns)
        if rows:
            builder.add_rows(np.concatenate(rows), np.concatenate(cols), 1.0, 1.0, np.inf, len(rows))

    def nearest_open(self, open_sites: np.ndarray, limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """Each point's nearest open site within ``limit`` (lowest index on ties) and its cost."""
        return self.cost.within(limit).nearest(allowed=open_sites)


def as_od(cost: ODMatrix | np.ndarray) -> ODMatrix:
    """A cost matrix as :class:`ODMatrix`; a dense array keeps its finite entries."""
    return cost if isinstance(cost, ODMatrix) else ODMatrix.from_dense(np.asarray(cost, dtype=float))


def site_mask(sites: SitesArg, n_sites: int, name: str) -> np.ndarray:
    """A boolean mask per site from indices or a mask; ``name`` is used in the error message."""
    if sites is None:
        return np.zeros(n_sites, dtype=bool)
    array = np.asarray(list(sites) if not isinstance(sites, np.ndarray) else sites)
    if array.dtype == bool:
        if array.shape != (n_sites,):
            raise ValueError(f"{name} as a mask needs one value per site ({n_sites})")
        return array.copy()
    array = array.astype(np.int64)
    outside = array[(array < 0) | (array >= n_sites)]
    if len(outside):
        raise ValueError(f"{name} sites {outside.tolist()} are not sites (0..{n_sites - 1})")
    mask = np.zeros(n_sites, dtype=bool)
    mask[array] = True
    return mask


def describe_points(points: np.ndarray, weights: np.ndarray, limit: int = 8) -> Message:
    """``"3 demand points (rows 4, 17, 22) carrying 1,240 of demand"`` for error messages."""
    shown = ", ".join(str(int(i)) for i in points[:limit]) + (", …" if len(points) > limit else "")
    return Message(
        "{count} demand point (rows {rows}) carrying {demand:,.6g} of demand"
        if len(points) == 1
        else "{count} demand points (rows {rows}) carrying {demand:,.6g} of demand",
        count=len(points),
        rows=shown,
        demand=weights[points].sum(),
    )


def merge_rows(rows: Iterable[tuple[tuple[int, ...], float]]) -> dict[tuple[int, ...], float]:
    """Merge constraint rows that name the same sites, adding up their weights.

    Thousands of demand points in one valley are covered by the same few sites; the solver needs
    each distinct set of sites only once.
    """
    merged: dict[tuple[int, ...], float] = {}
    for sites, weight in rows:
        merged[sites] = merged.get(sites, 0.0) + weight
    return merged


def weighted_mode(labels: np.ndarray, weights: np.ndarray) -> int:
    """The label carrying most weight (lowest label on ties); -1 if there is none."""
    keep = labels >= 0
    if not keep.any():
        return -1
    totals = np.bincount(labels[keep], weights=weights[keep])
    return int(np.argmax(totals))
