"""p-center: open ``p`` sites so that the worst trip from a demand point to its nearest open site is as short
as possible (Hakimi 1965; Minieka 1970); among layouts with that worst trip, the least total weighted trip.

Stage 1, the worst trip, is formulated on sorted distinct distances (Elloumi, Labbé & Pochet 2004; Calik &
Tansel 2013). With ``D1 < D2 < … < DK`` the candidate values of the worst trip and ``u_k`` = "the worst
trip is longer than ``Dk``":

    minimise    D1 + Σ_{k<K} (D(k+1) − Dk) u_k
    subject to  Σ_j y_j = p
                u_k + Σ_{j: d_ij ≤ Dk} y_j ≥ 1      each counted point i, level k < K
                      Σ_{j: d_ij ≤ DK} y_j ≥ 1      each counted point i
                u_k ≥ u_(k+1)                       k < K − 1
                y, u binary

Counted points are those with weight > 0; in stage 1 weights decide nothing else.

Reductions before the solver:

* Each point ``i`` has a distance ``c_i`` within which an open site is certain: its nearest required site,
  or its ``(m − p + 1)``-th nearest of the ``m`` allowed sites (any ``p`` open sites include one of those).
  Pairs farther than ``c_i`` can never be its nearest open site and are dropped, and its rows at levels
  ``Dk ≥ c_i`` hold for every layout and are not written.
* Levels run from a lower bound, the largest distance from a point to its nearest allowed site, to an upper
  bound, the worst trip of a heuristic layout, or ``max c_i`` if smaller. The heuristic is farthest-first
  (from the required sites and one more, open the allowed site nearest to the worst-served point until ``p``
  are open; Gonzalez 1985) from up to 16 starts, each improved by alternation (Maranzana 1964, for the worst
  trip): each open site's points move to the allowed site that serves them all with the shortest worst trip,
  while that helps. The worst trip of an optimal layout is the distance of a remaining pair in that range, so
  those distances are the levels.
* Row ``(i, k)`` naming the same sites as row ``(i, k+1)`` is implied by it (``u_k ≥ u_(k+1)``): each point
  keeps one row per distinct distance in range, at the level just below it, and the row at ``DK``.
* Rows naming the same sites at the same level are merged, and a row is dropped when another row at its level
  names a subset of its sites.

Stage 2 fixes the worst trip at stage 1's value ``W`` and solves a p-median
(:class:`~facility_layout.models.median.PMedian`) on the pairs within ``W``: planners want the shortest
trips among equally fair layouts. The result is proven optimal only when both stages are; its bound and gap
are stage 1's (on the worst trip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from facility_layout.errors import Message
from facility_layout.models.base import (
    InfeasibleLayoutError,
    LocationModel,
    LocationResult,
    SitesArg,
)
from facility_layout.models.median import PMedian
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import Milp, MilpBuilder, SolveReport, relative_gap, solve_milp

# How sure each status is, best first; a status outside this list (no solution from a stage) counts as
# "feasible" because a layout from the other stage, or the greedy one, is in hand.
_STATUS_RANK = ("optimal", "within_gap", "feasible")
# Starts of the heuristic that bounds the worst trip from above: each is a greedy and a few alternations.
_STARTS = 16


class PCenter(LocationModel):
    """Open ``p`` sites to minimise the worst trip to the nearest open site, then the total weighted trip.

    ``objective`` of the result is the worst trip over points with weight > 0; ``figures`` holds ``worst``
    and ``total_weighted_cost`` (and ``total_weighted_cost_gap`` when stage 2 reports one). Each point is
    assigned to its nearest open site. See the module docstring for the formulation.
    """

    def __init__(
        self,
        cost: ODMatrix | np.ndarray,
        p: int,
        *,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> None:
        super().__init__(cost, weights=weights, required=required, forbidden=forbidden)
        self.p = self.checked_p(p)

    @classmethod
    def from_cost_matrix(
        cls,
        cost: ODMatrix | np.ndarray,
        p: int,
        *,
        weights: np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
    ) -> PCenter:
        """Build the model.

        Parameters
        ----------
        cost : ODMatrix or numpy.ndarray
            Demand × site cost; pairs out of reach (absent, or ``inf`` in a dense array) may not be used,
            so every point with weight > 0 must be served within reach.
        p : int
            Sites to open, required ones included.
        weights : numpy.ndarray, optional
            Points with weight 0 are ignored by the worst trip; the total of stage 2 is weighted.
        required, forbidden
            See :class:`~facility_layout.models.base.LocationModel`.
        """
        return cls(cost, p, weights=weights, required=required, forbidden=forbidden)

    def solve(self, solver: str = "highs", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> LocationResult:
        """Solve both stages exactly (up to ``mip_gap``); stage 2 gets the time stage 1 left (at least 10 %).

        Raises
        ------
        InfeasibleLayoutError
            Points that no allowed site reaches, or no ``p`` sites that reach every point.
        """
        self.raise_unreachable()
        milp, site_columns, greedy_open, greedy_worst = self._first_stage()
        values, report = solve_milp(milp, solver, time_limit_s, mip_gap)
        if report.status == "infeasible":
            groups = (
                Message(" and keep one site of each of the {count} groups", count=len(self.keep_one_of))
                if self.keep_one_of
                else ""
            )
            raise InfeasibleLayoutError(
                "no {p} sites reach every demand point within the cost matrix's cutoff{groups}; open more sites "
                "(raise p) or allow longer trips",
                p=self.p,
                groups=groups,
            )
        if values is not None:
            open_sites = self.required.copy()
            open_sites[site_columns] = values[: len(site_columns)] > 0.5
        elif np.isfinite(greedy_worst):
            open_sites = greedy_open
        else:
            assignment, assignment_cost = self.nearest_open(self.required)
            return LocationResult(self.required.copy(), assignment, assignment_cost, None, report)
        assignment, assignment_cost = self.nearest_open(open_sites)
        first = LocationResult(open_sites, assignment, assignment_cost, self._worst(assignment_cost), report)

        def least_total(time_left: float) -> LocationResult:
            model = PMedian(
                self.cost.within(first.objective),
                self.p,
                weights=self.weights,
                required=self.required,
                forbidden=self.forbidden,
            )
            model.keep_one_of = self.keep_one_of
            return assign_idle(self, model.solve(solver, time_left, mip_gap))

        return least_total_at_worst(first, least_total, self._figures, time_limit_s)

    def _worst(self, assignment_cost: np.ndarray) -> float:
        return float(assignment_cost[self.weights > 0].max(initial=0.0))

    def _figures(self, result: LocationResult) -> dict[str, float]:
        counted = self.weights > 0
        return {
            "worst": self._worst(result.assignment_cost),
            "total_weighted_cost": float(self.weights[counted] @ result.assignment_cost[counted]),
        }

    def _first_stage(self) -> tuple[Milp, np.ndarray, np.ndarray, float]:
        """Stage 1 as arrays: the MILP, the site of each ``y`` column, and the greedy layout and its worst trip."""
        site_columns = np.flatnonzero(self.allowed)
        column_of = np.full(self.n_sites, -1, dtype=np.int64)
        column_of[site_columns] = np.arange(len(site_columns))
        pairs = self.cost
        keep = self.allowed[pairs.destination] & (self.weights[pairs.origin] > 0)
        origin, site, minutes = pairs.origin[keep], pairs.destination[keep], pairs.minutes[keep]
        order = np.lexsort((site, minutes, origin))
        origin, site, minutes = origin[order], site[order], minutes[order]
        starts = np.searchsorted(origin, np.arange(self.n_demand + 1))
        points = np.flatnonzero(starts[1:] > starts[:-1])

        certain = np.full(self.n_demand, np.inf)
        sure_rank = len(site_columns) - self.p  # 0-based rank of the (m − p + 1)-th nearest
        sure = points[starts[points + 1] - starts[points] > sure_rank]
        certain[sure] = minutes[starts[sure] + sure_rank]
        certain = np.minimum(certain, self.nearest_open(self.required)[1])
        # Beyond c_i a pair is never the nearest open site of its point.
        useful = minutes <= certain[origin]
        origin, site, minutes = origin[useful], site[useful], minutes[useful]
        starts = np.searchsorted(origin, np.arange(self.n_demand + 1))

        lower = float(minutes[starts[points]].max(initial=0.0))
        if self.keep_one_of:
            # The greedy layout ignores the groups, so its worst trip bounds nothing here.
            greedy_open, greedy_worst = self.required.copy(), np.inf
        else:
            greedy_open, greedy_worst = self._heuristic(origin, site, minutes)
        upper = min(greedy_worst, float(certain[points].max(initial=0.0)))
        levels = np.unique(minutes[(minutes >= lower) & (minutes <= upper)])
        if len(levels) == 0:  # no point counts: any layout has worst trip 0
            levels = np.zeros(1)

        rows: dict[tuple[int, tuple[int, ...]], None] = {}
        top = len(levels) - 1
        for i in points:
            d = minutes[starts[i] : starts[i + 1]]
            j = column_of[site[starts[i] : starts[i + 1]]]
            distinct, first = np.unique(d, return_index=True)
            inner = (distinct > levels[0]) & (distinct <= levels[-1])
            for level, n_nearer in zip(
                np.searchsorted(levels, distinct[inner]) - 1, first[inner].tolist(), strict=True
            ):
                rows[(int(level), tuple(np.sort(j[:n_nearer]).tolist()))] = None
            if levels[-1] < certain[i]:
                rows[(top, tuple(np.sort(j[d <= levels[-1]]).tolist()))] = None
        level, sites = undominated(list(rows), len(levels), len(site_columns))

        builder = MilpBuilder()
        # A required site is a y column fixed open.
        y = builder.add_columns(len(site_columns), 0.0, self.required[site_columns].astype(float), 1.0, integer=True)
        builder.add_rows(np.zeros(len(y), dtype=np.int64), y, 1.0, self.p, self.p, n_rows=1)
        self.add_keep_rows(builder, column_of)
        u = add_levels(builder, levels)
        if len(level):
            below_top = np.flatnonzero(level < top)
            row_of_site = np.repeat(np.arange(len(level)), [len(s) for s in sites])
            builder.add_rows(
                np.r_[row_of_site, below_top],
                np.r_[np.concatenate([np.asarray(s, dtype=np.int64) for s in sites]), u[level[below_top]]],
                1.0,
                1.0,
                np.inf,
                len(level),
            )
        return builder.build(), site_columns, greedy_open, greedy_worst

    def _heuristic(self, origin: np.ndarray, site: np.ndarray, minutes: np.ndarray) -> tuple[np.ndarray, float]:
        """A good layout and its worst trip: farthest-first then alternation, from the required sites plus each
        of up to ``_STARTS`` allowed sites spread over the index range (the greedy depends much on its start)."""
        extra = np.flatnonzero(self.allowed & ~self.required)
        if self.p == self.required.sum() or not len(extra):
            starts = [self.required]
        else:
            picks = extra[np.unique(np.linspace(0, len(extra) - 1, min(len(extra), _STARTS)).astype(np.int64))]
            starts = [self.required | (np.arange(self.n_sites) == j) for j in picks]
        found = [
            self._alternate(origin, site, minutes, *self._farthest_first(origin, site, minutes, s)) for s in starts
        ]
        return min(found, key=lambda layout: layout[1])

    def _farthest_first(
        self, origin: np.ndarray, site: np.ndarray, minutes: np.ndarray, first: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """A greedy layout and its worst trip: from the ``first`` open sites, open the allowed site nearest to
        the worst-served counted point until ``p`` are open (Gonzalez 1985, here on a bipartite matrix)."""
        by_site = np.lexsort((origin, site))
        site_starts = np.searchsorted(site[by_site], np.arange(self.n_sites + 1))
        counted = self.weights > 0
        open_sites = first.copy()
        near = np.where(counted, self.nearest_open(open_sites)[1], -np.inf)
        starts = np.searchsorted(origin, np.arange(self.n_demand + 1))
        while open_sites.sum() < self.p:
            worst = int(np.argmax(near))
            closed = np.flatnonzero(~open_sites[site[starts[worst] : starts[worst + 1]]])
            if not len(closed):
                break  # the worst-served point has every site it could use open: more sites cannot help it
            j = site[starts[worst] + closed[0]]
            open_sites[j] = True
            column = by_site[site_starts[j] : site_starts[j + 1]]
            near[origin[column]] = np.minimum(near[origin[column]], minutes[column])
        return self._filled(open_sites), float(near.max(initial=0.0))

    def _alternate(
        self, origin: np.ndarray, site: np.ndarray, minutes: np.ndarray, open_sites: np.ndarray, worst: float
    ) -> tuple[np.ndarray, float]:
        """Improve a layout while it helps: each open site's counted points (those nearest to it) move to the
        allowed site that reaches them all with the shortest worst trip; required sites stay."""
        counted = self.weights > 0
        while True:
            nearest, _ = self.nearest_open(open_sites)
            nearest = np.where(counted, nearest, -1)
            members = np.bincount(nearest[nearest >= 0], minlength=self.n_sites)
            label = nearest[origin]
            # Per (open site, candidate site): how many of its points the candidate reaches, and the farthest.
            key = np.unique(label * self.n_sites + site, return_inverse=True)
            reached = np.bincount(key[1], minlength=len(key[0]))
            farthest = np.full(len(key[0]), -np.inf)
            np.maximum.at(farthest, key[1], minutes)
            cluster, candidate = np.divmod(key[0], self.n_sites)
            fits = (cluster >= 0) & (reached == members[np.maximum(cluster, 0)]) & ~self.required[cluster]
            order = np.lexsort((candidate[fits], farthest[fits], cluster[fits]))
            best = np.r_[True, cluster[fits][order][1:] != cluster[fits][order][:-1]] if len(order) else order
            moved = self.required.copy()
            moved[candidate[fits][order][best.astype(bool)]] = True
            moved = self._filled(moved)
            moved_worst = self._worst(self.nearest_open(moved)[1])
            if moved_worst >= worst:
                return open_sites, worst
            open_sites, worst = moved, moved_worst

    def _filled(self, open_sites: np.ndarray) -> np.ndarray:
        """``open_sites`` with the lowest allowed closed sites opened until ``p`` are open: more open sites never
        lengthen a trip."""
        filled = open_sites.copy()
        filled[np.flatnonzero(self.allowed & ~open_sites)[: self.p - int(open_sites.sum())]] = True
        return filled


def assign_idle(model: LocationModel, result: LocationResult) -> LocationResult:
    """``result`` with points of weight 0 assigned to their nearest open site over ``model``'s whole matrix:
    a stage 2 sees only the pairs within the worst trip, and such points may lie beyond it."""
    idle = model.weights == 0
    nearest, nearest_cost = model.nearest_open(result.open_sites)
    return replace(
        result,
        assignment=np.where(idle, nearest, result.assignment),
        assignment_cost=np.where(idle, nearest_cost, result.assignment_cost),
    )


def add_levels(builder: MilpBuilder, levels: np.ndarray) -> np.ndarray:
    """The worst-trip levels of a center model: binary ``u_k`` = "worst trip > levels[k]" for every level but
    the last, costing the step to the next level, chained ``u_k ≥ u_(k+1)``; returns the ``u`` columns."""
    builder.constant += float(levels[0])
    u = builder.add_columns(len(levels) - 1, np.diff(levels), 0.0, 1.0, integer=True)
    if len(u) > 1:
        chain = np.arange(len(u) - 1)
        builder.add_rows(
            np.repeat(chain, 2), np.c_[u[:-1], u[1:]].ravel(), np.tile([1.0, -1.0], len(chain)), 0.0, np.inf
        )
    return u


def undominated(
    rows: list[tuple[int, tuple[int, ...]]], n_levels: int, n_columns: int
) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Distinct (level, sites) rows without those whose sites include another row's at the same level.

    One sparse product finds the subsets: a row's columns are shifted by ``level × n_columns`` so that rows
    of different levels share none.
    """
    if not rows:
        return np.zeros(0, dtype=np.int64), []
    level = np.array([r[0] for r in rows], dtype=np.int64)
    size = np.array([len(r[1]) for r in rows])
    columns = np.concatenate([np.asarray(r[1], dtype=np.int64) for r in rows]) + np.repeat(level * n_columns, size)
    incidence = sp.csr_matrix(
        (np.ones(len(columns)), columns, np.r_[0, np.cumsum(size)]), shape=(len(rows), n_levels * n_columns)
    )
    shared = (incidence @ incidence.T).tocoo()
    # Row a is implied by row b when b's sites are a strict subset of a's (identical rows were merged already).
    implied = (shared.data == size[shared.col]) & (size[shared.col] < size[shared.row])
    keep = np.ones(len(rows), dtype=bool)
    keep[shared.row[implied]] = False
    return level[keep], [r[1] for r, k in zip(rows, keep, strict=True) if k]


def least_total_at_worst(
    first: LocationResult,
    least_total: Callable[[float], LocationResult],
    figures_of: Callable[[LocationResult], dict[str, float]],
    time_limit_s: float,
) -> LocationResult:
    """Stage 2 of a center model and the combined result.

    Parameters
    ----------
    first : LocationResult
        Stage 1's layout, its worst trip as ``objective`` and stage 1's report.
    least_total : callable
        Solves stage 2 (least total weighted cost with the worst trip fixed) within the given seconds;
        its result has ``objective`` None when it found no layout, and stage 1's layout is kept.
    figures_of : callable
        ``worst`` and ``total_weighted_cost`` of a layout.
    time_limit_s : float
        The whole solve's limit; stage 2 gets what stage 1 left, at least 10 % of it.
    """
    second = least_total(max(time_limit_s - first.report.seconds, 0.1 * time_limit_s))
    best = second if second.objective is not None else first
    figures = figures_of(best)
    if second.objective is not None and second.gap is not None:
        figures["total_weighted_cost_gap"] = float(second.gap)
    statuses = (first.status, second.status if second.objective is not None else "feasible")
    status = _STATUS_RANK[max(_STATUS_RANK.index(s) if s in _STATUS_RANK else 2 for s in statuses)]
    worst, bound = figures["worst"], first.bound
    report = SolveReport(
        name=first.report.name,
        status=status,
        proven_optimal=status == "optimal",
        objective=worst,
        bound=bound,
        gap=relative_gap(worst, bound),
        seconds=round(first.report.seconds + second.report.seconds, 3),
        variables=first.report.variables,
        constraints=first.report.constraints,
    )
    return LocationResult(best.open_sites, best.assignment, best.assignment_cost, worst, report, best.shares, figures)
