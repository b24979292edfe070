"""Capacitated p-median and p-center: each open site serves at most its capacity of demand.

Both models share the assignment part (a site's capacity is in demand units; ``w_i`` is the demand of point
``i``; only points with ``w_i > 0`` are assigned; ``x_ij`` exists only for pairs in reach):

    Σ_j y_j = p
    Σ_j x_ij = 1                each point i with w_i > 0
    x_ij ≤ y_j                  (not written for required sites, which are fixed open)
    Σ_i w_i x_ij ≤ Q_j y_j      Q_j = min(capacity_j, total demand), so an infinite capacity is allowed
    y binary; x binary (single source, the default) or 0 ≤ x ≤ 1 (``split_demand=True``)

A pair whose site cannot hold any of the point's demand (single source: ``capacity_j < w_i``; split:
``capacity_j = 0``) is left out.

:class:`CapacitatedPMedian` minimises Σ w_i d_ij x_ij (the capacitated p-median, e.g. Mulvey & Beck 1984).

:class:`CapacitatedPCenter` minimises the worst trip of any used pair (Özsoy & Pınar 2006; Albareda-Sambola
et al. 2010), on sorted distinct distances like :class:`~facility_layout.models.center.PCenter`: with
``D1 < … < DK`` the distances of usable pairs from the lower bound up (``D1`` = the largest distance from a
point to its nearest usable site) and binary ``u_k`` = "the worst trip is longer than ``Dk``",

    minimise    D1 + Σ_{k<K} (D(k+1) − Dk) u_k
    subject to  the assignment part above
                x_ij ≤ u_k      for each pair with d_ij > D1, k the level just below d_ij
                u_k ≥ u_(k+1)

A pair may carry any demand at all, however small a share, only once the worst trip is allowed to reach its
distance: the point then travels that far. (``W ≥ d_ij x_ij`` would be wrong for split demand, where a small
share would count as a short trip.) Stage 2 fixes the worst trip at stage 1's value and solves the
capacitated p-median on the pairs within it (least total weighted cost among equally fair layouts). The result
is proven optimal only when both stages are; its bound and gap are stage 1's.

Results give ``shares`` (demand × site) for every point with weight > 0; ``assignment`` is the site serving
the largest share (lowest index on ties). Points with weight 0 carry no demand: they have no shares and are
assigned to their nearest open site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
import scipy.sparse as sp

from facility_layout.errors import Message
from facility_layout.models.base import InfeasibleLayoutError, LocationModel, LocationResult, SitesArg, describe_points
from facility_layout.models.center import (
    add_levels,
    assign_idle,
    least_total_at_worst,
)
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import MilpBuilder, SolveReport, solve_milp

# Shares below this are the solver's round-off, not demand sent to a site.
_SHARE_NOISE = 1e-6


@dataclass(frozen=True)
class _Pairs:
    """The usable (point, site) pairs, sorted by point, cost, site, and the columns they map to."""

    origin: np.ndarray
    site: np.ndarray
    minutes: np.ndarray
    site_columns: np.ndarray  # the site of each y column
    y_of_pair: np.ndarray  # y column of each pair's site


class CapacitatedModel(LocationModel):
    """Inputs and assignment part shared by the capacitated models (see the module docstring).

    Parameters
    ----------
    cost : ODMatrix or numpy.ndarray
        Demand × site cost; pairs out of reach may not be used.
    p : int
        Sites to open, required ones included.
    capacity : numpy.ndarray
        Demand each site can serve, one value >= 0 per site (``inf`` for no limit).
    split_demand : bool
        False: each point is served by one site. True: a point's demand may be shared between sites.
    weights, required, forbidden
        See :class:`~facility_layout.models.base.LocationModel`.
    """

    def __init__(
        self,
        cost: ODMatrix | np.ndarray,
        p: int,
        capacity: np.ndarray,
        *,
        split_demand: bool = False,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> None:
        super().__init__(cost, weights=weights, required=required, forbidden=forbidden)
        self.p = self.checked_p(p)
        self.capacity = np.asarray(capacity, dtype=float)
        if self.capacity.shape != (self.n_sites,) or np.any(np.isnan(self.capacity)) or np.any(self.capacity < 0):
            raise ValueError(f"capacity needs one value >= 0 per site ({self.n_sites} columns of the cost matrix)")
        self.split_demand = bool(split_demand)

    @classmethod
    def from_cost_matrix(
        cls,
        cost: ODMatrix | np.ndarray,
        p: int,
        capacity: np.ndarray,
        *,
        split_demand: bool = False,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> Self:
        """Build the model; parameters as for the class."""
        return cls(
            cost, p, capacity, split_demand=split_demand, weights=weights, required=required, forbidden=forbidden
        )

    def _pairs(self) -> _Pairs:
        """Pairs from points with weight > 0 to allowed sites that can hold some of the point's demand."""
        od = self.cost
        weight = self.weights[od.origin]
        room = self.capacity[od.destination]
        fits = room > 0 if self.split_demand else room >= weight
        keep = self.allowed[od.destination] & (weight > 0) & fits
        origin, site, minutes = od.origin[keep], od.destination[keep], od.minutes[keep]
        order = np.lexsort((site, minutes, origin))
        site_columns = np.flatnonzero(self.allowed)
        return _Pairs(
            origin[order], site[order], minutes[order], site_columns, np.searchsorted(site_columns, site[order])
        )

    def _check_feasible(self, pairs: _Pairs) -> None:
        """InfeasibleLayoutError for the causes that can be named before solving."""
        self.raise_unreachable()
        total = float(self.weights.sum())
        others = np.sort(self.capacity[self.allowed & ~self.required])[::-1]
        most = float(self.capacity[self.required].sum() + others[: self.p - int(self.required.sum())].sum())
        if total > most:
            raise InfeasibleLayoutError(
                "total demand {total:,.6g} exceeds by {total2:,.6g} the {most:,.6g} that the {p} largest "
                "capacities of allowed sites (required ones included) can serve; raise p or the capacities",
                total=total,
                total2=total - most,
                most=most,
                p=self.p,
            )
        stranded = np.setdiff1d(np.flatnonzero(self.weights > 0), pairs.origin)
        if len(stranded):
            why = Message(
                "every allowed site in reach has capacity 0"
                if self.split_demand
                else "each needs one allowed site in reach with capacity at least its demand; none has it"
            )
            raise InfeasibleLayoutError(
                "{describe_points} cannot be served: {why}; raise those sites' capacities{value}",
                points=stranded,
                describe_points=describe_points(stranded, self.weights),
                why=why,
                value="" if self.split_demand else Message(" or allow split demand"),
            )

    def _infeasible(self) -> InfeasibleLayoutError:
        single = "" if self.split_demand else Message(", each point from a single site,")
        groups = (
            Message(", keeping one site of each of the {count} groups,", count=len(self.keep_one_of))
            if self.keep_one_of
            else ""
        )
        return InfeasibleLayoutError(
            "no {p} sites{groups} can serve all demand{single} within their capacities and the cost matrix's "
            "reach; raise p or the capacities{value}",
            p=self.p,
            groups=groups,
            single=single,
            value="" if self.split_demand else Message(", or allow split demand"),
        )

    def _assignment(self, pairs: _Pairs, pair_cost: np.ndarray) -> tuple[MilpBuilder, np.ndarray]:
        """Builder holding ``y`` (first), ``x`` (one column per pair, costing ``pair_cost``) and the assignment
        rows; returns it and the ``x`` columns."""
        n_y = len(pairs.site_columns)
        builder = MilpBuilder()
        y = builder.add_columns(n_y, 0.0, self.required[pairs.site_columns].astype(float), 1.0, integer=True)
        builder.add_rows(np.zeros(n_y, dtype=np.int64), y, 1.0, self.p, self.p, n_rows=1)
        column_of = np.full(self.n_sites, -1, dtype=np.int64)
        column_of[pairs.site_columns] = y
        self.add_keep_rows(builder, column_of)
        x = builder.add_columns(len(pairs.origin), pair_cost, 0.0, 1.0, integer=not self.split_demand)
        served = np.unique(pairs.origin)
        builder.add_rows(np.searchsorted(served, pairs.origin), x, 1.0, 1.0, 1.0, len(served))
        linked = np.flatnonzero(~self.required[pairs.site])
        if len(linked):
            builder.add_rows(
                np.repeat(np.arange(len(linked)), 2),
                np.c_[x[linked], y[pairs.y_of_pair[linked]]].ravel(),
                np.tile([1.0, -1.0], len(linked)),
                -np.inf,
                0.0,
                len(linked),
            )
        room = np.minimum(self.capacity[pairs.site_columns], self.weights.sum())
        builder.add_rows(
            np.r_[pairs.y_of_pair, np.arange(n_y)],
            np.r_[x, y],
            np.r_[self.weights[pairs.origin], -room],
            -np.inf,
            0.0,
            n_y,
        )
        return builder, x

    def _result(
        self, pairs: _Pairs, values: np.ndarray | None, x: np.ndarray, report: SolveReport, objective: str
    ) -> LocationResult:
        """The layout, shares and figures from the solver's values; ``objective`` names the figure that is
        the result's objective (``total_weighted_cost`` or ``worst``)."""
        if values is None:
            assignment, assignment_cost = self.nearest_open(self.required)
            return LocationResult(self.required.copy(), assignment, assignment_cost, None, report)
        open_sites = self.required.copy()
        open_sites[pairs.site_columns] = values[: len(pairs.site_columns)] > 0.5
        share = np.where(values[x] > _SHARE_NOISE, values[x], 0.0)
        share /= np.bincount(pairs.origin, share, self.n_demand)[pairs.origin]
        used = share > 0
        origin, site, minutes, share = pairs.origin[used], pairs.site[used], pairs.minutes[used], share[used]
        shares = sp.csr_matrix((share, (origin, site)), shape=self.cost.shape)

        assignment, assignment_cost = self.nearest_open(open_sites)
        # Largest share first, lowest site on ties (shares compared at a precision above round-off).
        order = np.lexsort((site, -np.round(share, 9), origin))
        first = order[np.r_[True, origin[order][1:] != origin[order][:-1]]] if len(order) else order
        assignment[origin[first]] = site[first]
        assignment_cost[origin[first]] = minutes[first]
        figures = {
            "worst": float(minutes.max(initial=0.0)),
            "total_weighted_cost": float(self.weights[origin] @ (minutes * share)),
        }
        return LocationResult(open_sites, assignment, assignment_cost, figures[objective], report, shares, figures)


class CapacitatedPMedian(CapacitatedModel):
    """Open ``p`` sites and assign demand within capacities to minimise Σ weight × cost.

    ``objective`` of the result is that total (also ``figures["total_weighted_cost"]``; ``figures["worst"]``
    is the longest trip of any used pair).
    """

    def solve(self, solver: str = "highs", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> LocationResult:
        """Solve exactly (up to ``mip_gap``) within ``time_limit_s``.

        Raises
        ------
        InfeasibleLayoutError
            Points no allowed site reaches, total demand above the largest capacities, a single-source point
            no site in reach can hold, or no layout meeting the capacities.
        """
        pairs = self._pairs()
        self._check_feasible(pairs)
        builder, x = self._assignment(pairs, self.weights[pairs.origin] * pairs.minutes)
        values, report = solve_milp(builder.build(), solver, time_limit_s, mip_gap)
        if report.status == "infeasible":
            raise self._infeasible()
        return self._result(pairs, values, x, report, "total_weighted_cost")


class CapacitatedPCenter(CapacitatedModel):
    """Open ``p`` sites and assign demand within capacities to minimise the worst trip, then the total.

    ``objective`` of the result is the worst trip of any used pair; ``figures`` holds ``worst`` and
    ``total_weighted_cost`` (and ``total_weighted_cost_gap`` when stage 2 reports one).
    """

    def solve(self, solver: str = "highs", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> LocationResult:
        """Solve both stages exactly (up to ``mip_gap``); stage 2 gets the time stage 1 left (at least 10 %).

        Raises
        ------
        InfeasibleLayoutError
            As :meth:`CapacitatedPMedian.solve`.
        """
        pairs = self._pairs()
        self._check_feasible(pairs)
        builder, x = self._assignment(pairs, np.zeros(len(pairs.origin)))
        # The first pair of a point is its nearest usable site: no layout has a shorter worst trip than theirs.
        starts = np.r_[True, pairs.origin[1:] != pairs.origin[:-1]] if len(pairs.origin) else np.zeros(0, bool)
        lower = float(pairs.minutes[starts].max(initial=0.0))
        levels = np.unique(np.r_[lower, pairs.minutes[pairs.minutes >= lower]])
        u = add_levels(builder, levels)
        far = np.flatnonzero(pairs.minutes > levels[0])
        if len(far):
            below = np.searchsorted(levels, pairs.minutes[far]) - 1
            builder.add_rows(
                np.repeat(np.arange(len(far)), 2),
                np.c_[x[far], u[below]].ravel(),
                np.tile([1.0, -1.0], len(far)),
                -np.inf,
                0.0,
                len(far),
            )
        values, report = solve_milp(builder.build(), solver, time_limit_s, mip_gap)
        if report.status == "infeasible":
            raise self._infeasible()
        first = self._result(pairs, values, x, report, "worst")
        if first.objective is None:
            return first

        def least_total(time_left: float) -> LocationResult:
            model = CapacitatedPMedian(
                self.cost.within(first.objective),
                self.p,
                self.capacity,
                split_demand=self.split_demand,
                weights=self.weights,
                required=self.required,
                forbidden=self.forbidden,
            )
            model.keep_one_of = self.keep_one_of
            return assign_idle(self, model.solve(solver, time_left, mip_gap))

        return least_total_at_worst(first, least_total, lambda result: dict(result.figures), time_limit_s)
