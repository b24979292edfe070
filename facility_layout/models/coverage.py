"""Coverage models: reach every demand point within a radius at least cost, or reach the most demand with
``p`` sites or a budget; optionally with site capacities.

Notation: demand points ``i`` with weight ``w_i > 0``; allowed (not forbidden) sites ``j`` with cost ``c_j``
(1 each by default) and capacity ``Q_j``; ``N_i`` the allowed sites with ``d_ij <= R`` (the radius);
``y_j`` binary "site open", fixed to 1 for required sites. Both models also keep one site open in each
group of :attr:`~facility_layout.models.base.LocationModel.keep_one_of` (the planning rules).

Set cover — location set covering problem, LSCP (Toregas, Swain, ReVelle & Bergman 1971)::

    minimise    Σ_j c_j y_j
    subject to  Σ_{j ∈ N_i} y_j ≥ 1                     every i

With ``backup`` (backup coverage, Hogan & ReVelle 1986), a second stage keeps that least cost ``z*`` and
covers the most demand twice, where a point has two sites in reach at all (``|N_i| ≥ 2``)::

    maximise    Σ_i w_i u_i
    subject to  Σ_{j ∈ N_i} y_j ≥ 1 + u_i              i with |N_i| ≥ 2
                Σ_j c_j y_j ≤ z*,   u binary

Maximal covering — MCLP (Church & ReVelle 1974), with ``x_i`` binary "covered"::

    minimise    Σ_i w_i (1 − x_i)
    subject to  x_i ≤ Σ_{j ∈ N_i} y_j                  every i
                Σ_j y_j = p    or    Σ_j c_j y_j ≤ B

then, with that uncovered demand fixed (up to round-off), a second stage minimises ``Σ_j c_j y_j`` so the
layout buys nothing that covers nothing. ``x`` is binary, not relaxed to [0, 1]: with continuous coverage
variables CBC's preprocessing returned a worse layout as optimal in the cost stage.

Capacities (capacitated LSCP and MCLP, Current & Storbeck 1988) replace the coverage rows by an
assignment ``a_ij`` of the share of point ``i``'s demand served by site ``j ∈ N_i``, in [0, 1] when demand
may be split and binary (single source) when not::

    Σ_{j ∈ N_i} a_ij = 1 (set cover)   or   ≤ 1 (maximal covering, uncovered = Σ_i w_i (1 − Σ_j a_ij))
    Σ_i w_i a_ij ≤ Q_j y_j,     a_ij ≤ y_j

With split demand a maximal covering layout may cover part of a point (what capacity is left over).

Reductions before the solver sees a model:

* only pairs within the radius are variables, and points without demand are left out;
* without capacities, points covered by a required site are dropped from the coverage rows (with
  ``backup`` a point one required site covers needs only one more site to be covered twice);
* points with the same sites in reach become one row carrying their summed demand (with capacities, only
  when demand may be split);
* without capacities, for set cover without ``backup`` and for maximal covering with a budget, dominated
  sites are not columns: site ``a`` is dominated by ``b`` if ``b`` covers every row ``a`` covers at no
  greater cost (exact ties keep the lower index), or if ``a`` covers no row. Any layout with ``a`` can
  swap it for ``b`` (or drop it) and cover as much for no more. Not done for exactly ``p`` sites (the swap
  may have to open a costlier site to keep ``p``), nor with ``backup`` (``a`` and ``b`` together cover
  twice), nor with capacities (``a``'s capacity counts), nor for a site a ``keep_one_of`` group names.
  ``figures["dominated_sites_removed"]`` counts them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from facility_layout.errors import Message
from facility_layout.models.base import (
    InfeasibleLayoutError,
    LocationModel,
    LocationResult,
    SitesArg,
    describe_points,
    merge_rows,
)
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import Milp, MilpBuilder, SolveReport, solve_milp

Rows = dict[tuple[int, ...], float]


@dataclass(frozen=True)
class _Assignment:
    """The ``a`` columns of a capacitated model: one per (group of points, site in reach)."""

    columns: np.ndarray
    group: np.ndarray
    site: np.ndarray
    group_of_point: np.ndarray  # -1 for points without demand or without a site in reach
    group_weight: np.ndarray


@dataclass(frozen=True)
class _Formulation:
    """A model's MILP with its first stage's objective; the ``y`` columns come first, one per ``sites``."""

    milp: Milp
    sites: np.ndarray
    dominated: int
    second_cost: np.ndarray | None = None  # None: one stage
    second_constant: float = 0.0
    assignment: _Assignment | None = None


class _CoverageModel(LocationModel):
    """The inputs and steps both coverage models share: radius, site costs, capacities, two-stage solve."""

    def __init__(
        self,
        cost: ODMatrix | np.ndarray,
        radius: float,
        *,
        site_cost: float | np.ndarray | None,
        capacity: float | np.ndarray | None,
        split_demand: bool,
        weights: np.ndarray | None,
        required: SitesArg,
        forbidden: SitesArg,
    ) -> None:
        super().__init__(cost, weights=weights, required=required, forbidden=forbidden)
        self.radius = float(radius)
        if not self.radius >= 0:  # also refuses nan
            raise ValueError(f"radius = {radius} must be >= 0")
        self.site_cost = self._per_site(1.0 if site_cost is None else site_cost, "site_cost", allow_inf=False)
        self.capacity = None if capacity is None else self._per_site(capacity, "capacity", allow_inf=True)
        self.split_demand = bool(split_demand)

    def _per_site(self, value: float | np.ndarray, name: str, allow_inf: bool) -> np.ndarray:
        array = np.asarray(value, dtype=float)
        if (
            array.shape not in {(), (self.n_sites,)}
            or np.isnan(array).any()
            or (array < 0).any()
            or (not allow_inf and np.isinf(array).any())
        ):
            kind = "value" if allow_inf else "finite value"
            raise ValueError(f"{name} needs one {kind} >= 0 for all sites or one per site ({self.n_sites})")
        return np.broadcast_to(array, (self.n_sites,)).copy()

    def _reach(self) -> sp.csr_matrix:
        """Demand × site: the allowed sites within the radius of each point with demand."""
        within = self.cost.within(self.radius)
        keep = self.allowed[within.destination] & (self.weights[within.origin] > 0)
        reach = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.int64), (within.origin[keep], within.destination[keep])),
            shape=self.cost.shape,
        )
        reach.sort_indices()
        return reach

    def _cover_rows(self, lists: list[np.ndarray]) -> Rows:
        """Sites in reach of each point that no required site covers, identical rows merged."""
        return merge_rows(
            (tuple(sites.tolist()), float(w))
            for sites, w in zip(lists, self.weights, strict=True)
            if len(sites) and not self.required[sites].any()
        )

    def _dominated(self, cover: Rows) -> np.ndarray:
        """Sites that cover no row, or a subset of another's rows at no lower cost (see the module docstring)."""
        keys = list(cover)
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        sites = np.fromiter(itertools.chain.from_iterable(keys), dtype=np.int64, count=int(lengths.sum()))
        rows = sp.csc_matrix(
            (np.ones(len(sites)), (np.repeat(np.arange(len(keys)), lengths), sites)), shape=(len(keys), self.n_sites)
        )
        size = np.asarray(rows.sum(axis=0)).ravel()
        overlap = (rows.T @ rows).tocoo()
        a, b, c = overlap.row, overlap.col, self.site_cost
        inside = (a != b) & (overlap.data == size[a]) & (c[b] <= c[a])
        strictly = (size[b] > size[a]) | (c[b] < c[a]) | (b < a)
        dominated = size == 0
        dominated[a[inside & strictly]] = True
        # Required sites are in no row and must stay; a site a planning rule names may be the one it keeps.
        named = np.zeros(self.n_sites, dtype=bool)
        for group in self.keep_one_of:
            named[np.asarray(group, dtype=np.int64)] = True
        return dominated & self.allowed & ~self.required & ~named

    def _start(self, removed: np.ndarray) -> tuple[MilpBuilder, np.ndarray, np.ndarray]:
        """A builder with the ``y`` columns of the allowed sites not ``removed`` and the rows of
        :attr:`keep_one_of`; returns it, their sites and the column of each site (-1 if none)."""
        sites = np.flatnonzero(self.allowed & ~removed)
        column_of = np.full(self.n_sites, -1, dtype=np.int64)
        column_of[sites] = np.arange(len(sites))
        builder = MilpBuilder()
        # A required site is a y column fixed open.
        builder.add_columns(len(sites), 0.0, self.required[sites].astype(float), 1.0, integer=True)
        self.add_keep_rows(builder, column_of)
        return builder, sites, column_of

    def _add_assignment(
        self, builder: MilpBuilder, lists: list[np.ndarray], column_of: np.ndarray, must_cover: bool
    ) -> _Assignment:
        """The capacitated rows: assignment (= 1 if ``must_cover``, else ≤ 1), linking and capacity."""
        demand = np.flatnonzero(np.fromiter(map(len, lists), dtype=np.int64, count=len(lists)) > 0)
        group_of_point = np.full(self.n_demand, -1, dtype=np.int64)
        if self.split_demand:
            merged = merge_rows((tuple(lists[i].tolist()), float(self.weights[i])) for i in demand)
            index = {key: g for g, key in enumerate(merged)}
            group_of_point[demand] = [index[tuple(lists[i].tolist())] for i in demand]
            keys = [np.asarray(key, dtype=np.int64) for key in merged]
            group_weight = np.fromiter(merged.values(), dtype=float, count=len(merged))
        else:
            group_of_point[demand] = np.arange(len(demand))
            keys = [lists[i] for i in demand]
            group_weight = self.weights[demand]
        group = np.repeat(np.arange(len(keys)), [len(k) for k in keys]).astype(np.int64)
        site = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        a = builder.add_columns(len(site), 0.0, 0.0, 1.0, integer=not self.split_demand)
        y = column_of[site]
        builder.add_rows(group, a, 1.0, 1.0 if must_cover else -np.inf, 1.0, n_rows=len(keys))
        # a ≤ y: implied by the capacity row, but with a much weaker LP bound without it.
        link = np.arange(len(a))
        builder.add_rows(np.r_[link, link], np.r_[a, y], np.r_[np.ones(len(a)), -np.ones(len(a))], -np.inf, 0.0, len(a))
        n_y = int(np.count_nonzero(column_of >= 0))
        limited = np.isfinite(self.capacity[column_of >= 0])  # per y column; an infinite capacity needs no row
        row_of = np.cumsum(limited) - 1
        in_row = limited[y]
        builder.add_rows(
            np.r_[row_of[y[in_row]], row_of[limited]],
            np.r_[a[in_row], np.arange(n_y)[limited]],
            np.r_[group_weight[group[in_row]], -self.capacity[column_of >= 0][limited]],
            -np.inf,
            0.0,
            int(limited.sum()),
        )
        return _Assignment(a, group, site, group_of_point, group_weight)

    def _solve(
        self, form: _Formulation, solver: str, time_limit_s: float, mip_gap: float
    ) -> tuple[np.ndarray | None, SolveReport]:
        """Solve the first stage, then (if any) the second with the first's objective held (up to round-off).

        The report's objective, bound and gap are the first stage's, the model's headline; the status is
        ``optimal`` only if both stages were proven.
        """
        values, first = solve_milp(form.milp, solver, time_limit_s, mip_gap)
        if form.second_cost is None or values is None or not len(values):
            return values, first
        assert first.objective is not None
        milp = form.milp
        slack = 1e-9 * max(1.0, abs(first.objective))  # round-off only: the solvers' tolerances allow more
        held = replace(
            milp,
            cost=form.second_cost,
            constant=form.second_constant,
            matrix=sp.vstack([milp.matrix, sp.csr_matrix(milp.cost[None, :])], format="csc"),
            row_lower=np.r_[milp.row_lower, -np.inf],
            row_upper=np.r_[milp.row_upper, first.objective - milp.constant + slack],
        )
        second_values, second = solve_milp(held, solver, time_limit_s, mip_gap)
        proven = first.proven_optimal and second.proven_optimal
        both_within = {first.status, second.status} <= {"optimal", "within_gap"}
        report = replace(
            first,
            status="optimal" if proven else "within_gap" if both_within else "feasible",
            proven_optimal=proven,
            seconds=round(first.seconds + second.seconds, 3),
            variables=second.variables,
            constraints=second.constraints,
        )
        # Without a second-stage solution the first stage's layout stands, its cost not proven least.
        return (values if second_values is None else second_values), report

    def _layout(
        self, form: _Formulation, values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix | None]:
        """Open sites, assignment, its cost and (capacitated) shares of a solution."""
        open_sites = self.required.copy()
        open_sites[form.sites] = values[: len(form.sites)] > 0.5
        if form.assignment is None:
            assignment, assignment_cost = self.nearest_open(open_sites, self.radius)
            return open_sites, assignment, assignment_cost, None
        a = form.assignment
        points = np.flatnonzero(a.group_of_point >= 0)
        expand = sp.csr_matrix(
            (np.ones(len(points)), (points, a.group_of_point[points])), shape=(self.n_demand, len(a.group_weight))
        )
        # A closed site serves nothing, whatever round-off the solver left on its shares.
        served = np.where(open_sites[a.site], values[a.columns], 0.0)
        by_group = sp.csr_matrix((served, (a.group, a.site)), shape=(len(a.group_weight), self.n_sites))
        # Points without demand take no capacity: they go to the nearest open site in reach.
        idle_site, _ = self.nearest_open(open_sites, self.radius)
        idle = np.flatnonzero((self.weights == 0) & (idle_site >= 0))
        idle_shares = sp.csr_matrix((np.ones(len(idle)), (idle, idle_site[idle])), shape=self.cost.shape)
        shares = (expand @ by_group + idle_shares).tocsr()
        shares.data[shares.data < 1e-7] = 0.0  # within the solvers' feasibility tolerance: round-off, not demand
        shares.eliminate_zeros()
        largest = shares.tocoo()
        order = np.lexsort((largest.col, -largest.data, largest.row))
        row, col = largest.row[order], largest.col[order]
        first = np.r_[True, row[1:] != row[:-1]] if len(row) else np.zeros(0, dtype=bool)
        assignment = np.full(self.n_demand, -1, dtype=np.int64)
        assignment[row[first]] = col[first]
        assignment_cost = np.full(self.n_demand, np.inf)
        within = self.cost.within(self.radius)  # pairs sorted by (origin, destination)
        key = within.origin * self.n_sites + within.destination
        pair = np.searchsorted(key, row[first] * self.n_sites + col[first])
        assignment_cost[row[first]] = within.minutes[pair]
        return open_sites, assignment, assignment_cost, shares

    def _unsolved(self, report: SolveReport) -> LocationResult:
        """The result when the solver found no layout (e.g. the time limit came first)."""
        nobody = np.full(self.n_demand, -1, dtype=np.int64)
        return LocationResult(self.required.copy(), nobody, np.full(self.n_demand, np.inf), None, report)


def _add_set_rows(
    builder: MilpBuilder, keys: list[tuple[int, ...]], column_of: np.ndarray, lower: float, minus: np.ndarray | None
) -> None:
    """One row per key: Σ_{j in key} y_j − minus_k ≥ lower (``minus`` one column per key, or none)."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    row = np.repeat(np.arange(len(keys)), lengths)
    column = column_of[np.fromiter(itertools.chain.from_iterable(keys), dtype=np.int64, count=int(lengths.sum()))]
    value = np.ones(len(column))
    if minus is not None:
        row, column, value = np.r_[row, np.arange(len(keys))], np.r_[column, minus], np.r_[value, -np.ones(len(keys))]
    builder.add_rows(row, column, value, lower, np.inf, len(keys))


def _without(rows: Rows, removed: np.ndarray) -> Rows:
    """The rows with the ``removed`` sites left out, merged again (every row keeps the site dominating
    the ones it loses)."""
    return merge_rows((tuple(j for j in key if not removed[j]), w) for key, w in rows.items())


def _no_removal(n_sites: int) -> np.ndarray:
    return np.zeros(n_sites, dtype=bool)


class SetCover(_CoverageModel):
    """Open the cheapest set of sites that reaches every demand point within the radius (see the module
    docstring for the formulation, ``backup`` and capacities).

    ``objective`` of the result is the cost of the layout; ``figures`` holds ``cost``, ``sites`` (open),
    ``dominated_sites_removed`` and, with ``backup``, ``backup_covered`` (demand with two open sites in reach).
    """

    def __init__(
        self,
        cost: ODMatrix | np.ndarray,
        radius: float,
        *,
        site_cost: float | np.ndarray | None = None,
        backup: bool = False,
        capacity: float | np.ndarray | None = None,
        split_demand: bool = True,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> None:
        super().__init__(
            cost,
            radius,
            site_cost=site_cost,
            capacity=capacity,
            split_demand=split_demand,
            weights=weights,
            required=required,
            forbidden=forbidden,
        )
        self.backup = bool(backup)

    @classmethod
    def from_cost_matrix(
        cls,
        cost: ODMatrix | np.ndarray,
        radius: float,
        *,
        site_cost: float | np.ndarray | None = None,
        backup: bool = False,
        capacity: float | np.ndarray | None = None,
        split_demand: bool = True,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> SetCover:
        """Build the model.

        Parameters
        ----------
        cost : ODMatrix or numpy.ndarray
            Demand × site cost (minutes); a dense array uses ``inf`` for pairs out of reach.
        radius : float
            A point is covered by an open site with cost <= ``radius``.
        site_cost : float or numpy.ndarray, optional
            Cost of opening each site; 1 each by default (fewest sites).
        backup : bool
            Then, at that least cost, cover the most demand twice (Hogan & ReVelle 1986).
        capacity : float or numpy.ndarray, optional
            Demand each site can serve (``inf`` for no limit); None for uncapacitated.
        split_demand : bool
            With capacities, whether a point's demand may be served by several sites.
        weights, required, forbidden
            See :class:`~facility_layout.models.base.LocationModel`.
        """
        return cls(
            cost,
            radius,
            site_cost=site_cost,
            backup=backup,
            capacity=capacity,
            split_demand=split_demand,
            weights=weights,
            required=required,
            forbidden=forbidden,
        )

    def solve(self, solver: str = "highs", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> LocationResult:
        """Solve exactly (up to ``mip_gap``) within ``time_limit_s``.

        Raises
        ------
        InfeasibleLayoutError
            Points no allowed site reaches within the radius; with capacities, too little capacity in all,
            a point (single source) larger than any site in reach can serve, or no layout that fits.
        """
        reach = self._reach()
        self._check_feasible(reach)
        form = self._build(reach)
        values, report = self._solve(form, solver, time_limit_s, mip_gap)
        if report.status == "infeasible":
            raise InfeasibleLayoutError(
                "no layout serves every demand point within {radius:g} without exceeding the sites' capacities; "
                "add capacity, allow more sites or lengthen the radius",
                radius=self.radius,
            )
        if values is None:
            return self._unsolved(report)
        open_sites, assignment, assignment_cost, shares = self._layout(form, values)
        cost = float(self.site_cost[open_sites].sum())
        figures = {"cost": cost, "sites": float(open_sites.sum()), "dominated_sites_removed": float(form.dominated)}
        if self.backup:
            twice = reach @ open_sites.astype(np.int64) >= 2
            figures["backup_covered"] = float(self.weights[twice].sum())
        return LocationResult(open_sites, assignment, assignment_cost, cost, report, shares, figures)

    def _check_feasible(self, reach: sp.csr_matrix) -> None:
        """Explain in plain words the infeasibility that is plain before solving."""
        self.raise_unreachable(self.radius)
        if self.capacity is None:
            return
        total, available = float(self.weights.sum()), float(self.capacity[self.allowed].sum())
        if available < total:
            raise InfeasibleLayoutError(
                "the sites that may open can serve {available:,.6g} of demand in all, short by {total:,.6g} of the "
                "{total2:,.6g} to cover; add capacity or allow more sites",
                available=available,
                total=total - available,
                total2=total,
            )
        if not self.split_demand:
            lists = np.split(reach.indices, reach.indptr[1:-1])
            largest = np.array([self.capacity[sites].max(initial=0.0) for sites in lists])
            too_big = np.flatnonzero(self.weights > largest)
            if len(too_big):
                raise InfeasibleLayoutError(
                    "{describe_points} need more than any site within {radius:g} can serve alone; let demand be "
                    "split or add capacity",
                    points=too_big,
                    describe_points=describe_points(too_big, self.weights),
                    radius=self.radius,
                )

    def _build(self, reach: sp.csr_matrix) -> _Formulation:
        lists = np.split(reach.indices, reach.indptr[1:-1])
        cover = self._cover_rows(lists)
        reduce = self.capacity is None and not self.backup
        removed = self._dominated(cover) if reduce else _no_removal(self.n_sites)
        cover = _without(cover, removed)
        builder, sites, column_of = self._start(removed)
        assignment = None
        if self.capacity is None:
            _add_set_rows(builder, list(cover), column_of, 1.0, None)
        else:
            assignment = self._add_assignment(builder, lists, column_of, must_cover=True)
        backup_columns, backup_weight = [], []
        if self.backup:
            n_required = np.array([self.required[sites].sum() for sites in lists])
            # A point one required site covers needs one more site to be covered twice; two cover it already.
            for already in (0, 1):
                rows = merge_rows(
                    (tuple(s[~self.required[s]].tolist()), float(w))
                    for s, w, r in zip(lists, self.weights, n_required, strict=True)
                    if r == already and len(s) >= 2
                )
                u = builder.add_columns(len(rows), 0.0, 0.0, 1.0, integer=True)
                _add_set_rows(builder, list(rows), column_of, 1.0 - already, u)
                backup_columns.append(u)
                backup_weight.append(np.fromiter(rows.values(), dtype=float, count=len(rows)))
        milp = builder.build()
        first_cost = np.zeros(milp.shape[1])
        first_cost[: len(sites)] = self.site_cost[sites]
        second_cost = None
        if self.backup:
            # Demand that could be covered twice but is not: minimised.
            second_cost = np.zeros(milp.shape[1])
            second_cost[np.concatenate(backup_columns)] = -np.concatenate(backup_weight)
        return _Formulation(
            replace(milp, cost=first_cost),
            sites,
            int(removed.sum()),
            second_cost,
            float(sum(w.sum() for w in backup_weight)),
            assignment,
        )


class MaxCoverage(_CoverageModel):
    """Leave the least demand beyond the radius with exactly ``p`` sites or within a ``budget``, then spend
    the least on it (see the module docstring for the formulation and capacities).

    ``objective`` of the result is the demand left uncovered; ``figures`` holds ``covered``, ``uncovered``,
    ``cost`` and ``dominated_sites_removed``.
    """

    def __init__(
        self,
        cost: ODMatrix | np.ndarray,
        radius: float,
        *,
        p: int | None = None,
        budget: float | None = None,
        site_cost: float | np.ndarray | None = None,
        capacity: float | np.ndarray | None = None,
        split_demand: bool = True,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> None:
        super().__init__(
            cost,
            radius,
            site_cost=site_cost,
            capacity=capacity,
            split_demand=split_demand,
            weights=weights,
            required=required,
            forbidden=forbidden,
        )
        if (p is None) == (budget is None):
            raise ValueError("give exactly one of p (sites to open) or budget (most to spend on sites)")
        self.p = None if p is None else self.checked_p(p)
        self.budget = None if budget is None else float(budget)
        if self.budget is not None and not 0 <= self.budget < np.inf:
            raise ValueError(f"budget = {budget} must be finite and >= 0")

    @classmethod
    def from_cost_matrix(
        cls,
        cost: ODMatrix | np.ndarray,
        radius: float,
        *,
        p: int | None = None,
        budget: float | None = None,
        site_cost: float | np.ndarray | None = None,
        capacity: float | np.ndarray | None = None,
        split_demand: bool = True,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> MaxCoverage:
        """Build the model.

        Parameters
        ----------
        cost : ODMatrix or numpy.ndarray
            Demand × site cost (minutes); a dense array uses ``inf`` for pairs out of reach.
        radius : float
            A point is covered by an open site with cost <= ``radius``.
        p : int, optional
            Sites to open, required ones included.
        budget : float, optional
            Most to spend on open sites (their ``site_cost``, required ones included). Give ``p`` or
            ``budget``, not both.
        site_cost : float or numpy.ndarray, optional
            Cost of opening each site; 1 each by default.
        capacity : float or numpy.ndarray, optional
            Demand each site can serve (``inf`` for no limit); None for uncapacitated.
        split_demand : bool
            With capacities, whether a point's demand may be served by several sites.
        weights, required, forbidden
            See :class:`~facility_layout.models.base.LocationModel`.
        """
        return cls(
            cost,
            radius,
            p=p,
            budget=budget,
            site_cost=site_cost,
            capacity=capacity,
            split_demand=split_demand,
            weights=weights,
            required=required,
            forbidden=forbidden,
        )

    def solve(self, solver: str = "highs", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> LocationResult:
        """Solve exactly (up to ``mip_gap``) within ``time_limit_s``.

        Raises
        ------
        InfeasibleLayoutError
            A budget below what the required sites (and one site of each ``keep_one_of`` group) cost
            (``needed_budget`` says what they cost), or no ``p`` sites that meet the ``keep_one_of`` groups.
        """
        if self.budget is not None:
            needed = self._forced_cost(solver, time_limit_s)
            if needed > self.budget:
                what = Message(
                    "the required sites and the planning rules' sites" if self.keep_one_of else "the required sites"
                )
                raise InfeasibleLayoutError(
                    "the budget of {budget:,.6g} is below the {needed:,.6g} that {what} cost at least; short by "
                    "{needed2:,.6g}",
                    needed_budget=needed,
                    budget=self.budget,
                    needed=needed,
                    what=what,
                    needed2=needed - self.budget,
                )
        form = self._build()
        values, report = self._solve(form, solver, time_limit_s, mip_gap)
        if report.status == "infeasible":
            limit = f"{self.p} sites" if self.p is not None else f"a budget of {self.budget:,.6g}"
            raise InfeasibleLayoutError(
                "no layout of {limit} keeps one site open in each of the {n_keep_one_of} groups the planning rules "
                "name; raise p or the budget",
                limit=limit,
                n_keep_one_of=len(self.keep_one_of),
            )
        if values is None:
            return self._unsolved(report)
        open_sites, assignment, assignment_cost, shares = self._layout(form, values)
        served = (assignment >= 0).astype(float) if shares is None else np.asarray(shares.sum(axis=1)).ravel()
        uncovered = float(self.weights @ (1.0 - served))
        figures = {
            "covered": float(self.weights @ served),
            "uncovered": uncovered,
            "cost": float(self.site_cost[open_sites].sum()),
            "dominated_sites_removed": float(form.dominated),
        }
        return LocationResult(open_sites, assignment, assignment_cost, uncovered, report, shares, figures)

    def _forced_cost(self, solver: str, time_limit_s: float) -> float:
        """Least cost of what the rules force open: the required sites and one site of each
        :attr:`keep_one_of` group."""
        if not self.keep_one_of:
            return float(self.site_cost[self.required].sum())
        builder, sites, _ = self._start(_no_removal(self.n_sites))
        values, report = solve_milp(replace(builder.build(), cost=self.site_cost[sites]), solver, time_limit_s, 0.0)
        # Without a solution (time limit), what the required sites cost is still a true lower bound.
        return float(self.site_cost[self.required].sum()) if values is None else float(report.objective)

    def _build(self) -> _Formulation:
        reach = self._reach()
        lists = np.split(reach.indices, reach.indptr[1:-1])
        beyond = float(self.weights[np.diff(reach.indptr) == 0].sum())  # no allowed site in reach, whatever opens
        assignment = None
        if self.capacity is None:
            cover = self._cover_rows(lists)
            removed = self._dominated(cover) if self.p is None else _no_removal(self.n_sites)
            cover = _without(cover, removed)
            builder, sites, column_of = self._start(removed)
            # Binary: see the module docstring.
            x = builder.add_columns(len(cover), 0.0, 0.0, 1.0, integer=True)
            _add_set_rows(builder, list(cover), column_of, 0.0, x)
            x_weight = np.fromiter(cover.values(), dtype=float, count=len(cover))
            coverable = float(x_weight.sum())
        else:
            removed = _no_removal(self.n_sites)
            builder, sites, column_of = self._start(removed)
            assignment = self._add_assignment(builder, lists, column_of, must_cover=False)
            x, x_weight = assignment.columns, assignment.group_weight[assignment.group]
            coverable = float(assignment.group_weight.sum())
        y = np.arange(len(sites))
        # Without sites the limit is met (p = 0, budget >= 0), and a row without columns is not a model HiGHS runs.
        if self.p is not None and len(y):
            builder.add_rows(np.zeros(len(y)), y, 1.0, self.p, self.p, n_rows=1)
        elif len(y):
            builder.add_rows(np.zeros(len(y)), y, self.site_cost[sites], -np.inf, self.budget, n_rows=1)
        milp = builder.build()
        first_cost = np.zeros(milp.shape[1])
        first_cost[x] = -x_weight
        second_cost = np.zeros(milp.shape[1])
        second_cost[y] = self.site_cost[sites]
        return _Formulation(
            replace(milp, cost=first_cost, constant=beyond + coverable),
            sites,
            int(removed.sum()),
            second_cost,
            0.0,
            assignment,
        )
