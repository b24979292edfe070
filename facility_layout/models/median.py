"""p-median: least total weighted travel with ``p`` open sites (Hakimi 1964; ReVelle & Swain 1970).

Formulated on sorted distinct distances — the radius formulation of Elloumi (2010), with each row
chained to the previous one — instead of one assignment variable per pair. For a demand point ``i``
with distinct distances ``D1 < D2 < … < DK`` to the sites in reach, ``z_k`` says "the nearest open site
is farther than ``Dk``":

    minimise    Σ_i w_i [D1 + Σ_k (D(k+1) − Dk) z_ik]
    subject to  Σ_j y_j = p
                z_i1 + Σ_{j: d_ij = D1} y_j ≥ 1
                z_ik + Σ_{j: d_ij = Dk} y_j ≥ z_i(k−1)        k = 2..K−1
                       Σ_{j: d_ij = DK} y_j ≥ z_i(K−1)
                y binary, z ≥ 0

A chained row names only the sites at exactly that distance, so the model has about as many nonzeros
as pairs in reach (the unchained form has one per pair and distance), with the same LP bound. The list
of distances of a point stops early where an open site is certain to be at least that close: at its
``(m − p + 1)``-th nearest of the ``m`` allowed sites (one of any ``p`` open sites is that close), and at
its nearest required site. Pairs beyond the cost matrix's cutoff are not in the list, so with a cutoff
every point must be served within it.

Before the solver sees the model, two steps make the hard instances (few sites among many) smaller:

1. a starting layout: greedy adding, then best-improvement swaps (Teitz & Bart 1968, in the vectorised
   form of Whitaker 1983's fast interchange), whose total ``U`` is an upper bound;
2. reduced-cost fixing (e.g. Nemhauser & Wolsey 1988, I.2.1): the LP relaxation's optimum ``L`` and each
   closed site's reduced cost ``r_j`` bound every layout that opens ``j`` from below by ``L + r_j``; a site
   with ``L + r_j > U`` cannot be in a layout better than the start and is dropped. When at least a fifth
   of the sites go, the model is rebuilt without them: fewer allowed sites also move every point's
   "certain" rank closer, so its list of distances shrinks.

The MILP is then solved over the remaining sites with the starting layout as HiGHS's first incumbent.
Its bound holds for the whole problem, since every dropped site's layouts cost more than the start.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from facility_layout.models.base import (
    InfeasibleLayoutError,
    LocationModel,
    LocationResult,
    SitesArg,
)
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import Milp, MilpBuilder, lp_relaxation, solve_milp

# The starting layout works on a dense demand × site array; above this many cells the model goes to the
# solver without one (the array and its temporaries would take hundreds of MB).
MAX_START_CELLS = 10_000_000
# Reduced-cost fixing drops a site only when its bound beats the start by more than this relative margin,
# far above the LP's round-off, so that no site of an optimal layout is dropped.
FIXING_MARGIN = 1e-6
# The model is rebuilt without the dropped sites only when they are at least this share of the allowed ones.
# With fewer, the smaller model did not pay for itself: on OR-Library pmed36, 13 % dropped, HiGHS took 240 s
# on the rebuilt model against about 160 s on the whole one, which it reduces itself after its first LP.
REBUILD_SHARE = 0.2


class PMedian(LocationModel):
    """Open ``p`` sites to minimise Σ weight × cost to the nearest open site (see the module docstring).

    ``objective`` of the result is that total; each point is assigned to its nearest open site.
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
    ) -> PMedian:
        """Build the model.

        Parameters
        ----------
        cost : ODMatrix or numpy.ndarray
            Demand × site cost; pairs out of reach (absent, or ``inf`` in a dense array) may not be used,
            so every point with weight > 0 must be served within reach.
        p : int
            Sites to open, required ones included.
        weights, required, forbidden
            See :class:`~facility_layout.models.base.LocationModel`.
        """
        return cls(cost, p, weights=weights, required=required, forbidden=forbidden)

    def solve(self, solver: str = "highs", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> LocationResult:
        """Solve exactly (up to ``mip_gap``) within ``time_limit_s``, all steps included (and counted in the
        report's ``seconds``).

        Raises
        ------
        InfeasibleLayoutError
            Points that no allowed site reaches, or no ``p`` sites that reach every point.
        """
        started = time.perf_counter()
        self.raise_unreachable()
        start = self.starting_layout()
        dropped = np.zeros(self.n_sites, dtype=bool)
        milp, site_columns, z_point, z_minutes = self._build(dropped)
        incumbent, lower = None, None
        if start is not None:
            incumbent = self._start_values(start, site_columns, z_point, z_minutes)
            relaxed = lp_relaxation(milp, time_limit_s)
            if relaxed is not None:
                lower, reduced = relaxed
                upper = float(milp.cost @ incumbent + milp.constant)
                beyond = lower + reduced[: len(site_columns)] > upper + FIXING_MARGIN * max(1.0, abs(upper))
                dropped[site_columns[beyond & ~start[site_columns]]] = True
            if dropped.any() and dropped.sum() >= REBUILD_SHARE * len(site_columns):
                milp, site_columns, z_point, z_minutes = self._build(dropped)
                incumbent = self._start_values(start, site_columns, z_point, z_minutes)
        remaining = max(time_limit_s - (time.perf_counter() - started), 0.0)
        values, report = solve_milp(milp, solver, remaining, mip_gap, start=incumbent)
        report = replace(report, seconds=round(time.perf_counter() - started, 3))
        if lower is not None:  # a solver stopped early (e.g. in its own first LP) may have a lower bound or none
            report = report.with_bound(lower)
        if report.status == "infeasible":
            raise InfeasibleLayoutError(
                "no {p} sites reach every demand point within the cost matrix's cutoff; open more sites (raise p) "
                "or allow longer trips",
                p=self.p,
            )
        open_sites = self.required.copy()
        if values is not None:
            open_sites[site_columns] = values[: len(site_columns)] > 0.5
        assignment, assignment_cost = self.nearest_open(open_sites)
        served = assignment >= 0
        objective = float(self.weights[served] @ assignment_cost[served]) if values is not None else None
        return LocationResult(open_sites, assignment, assignment_cost, objective, report)

    def starting_layout(self) -> np.ndarray | None:
        """A good layout of ``p`` sites (mask over sites) by greedy adding and best-improvement swaps, or None
        when there is none to offer: a point left beyond reach, a :attr:`keep_one_of` group left closed, or
        a matrix too large to hold densely (:data:`MAX_START_CELLS`)."""
        rows = np.flatnonzero(self.weights > 0)
        columns = np.flatnonzero(self.allowed)
        if len(rows) * len(columns) > MAX_START_CELLS or not len(rows):
            return None
        dense = self.cost.to_dense()[np.ix_(rows, columns)]
        opened = swap_layout(dense, self.weights[rows], self.p, self.required[columns])
        if opened is None:
            return None
        layout = np.zeros(self.n_sites, dtype=bool)
        layout[columns[opened]] = True
        if not all(layout[np.asarray(group, dtype=np.int64)].any() for group in self.keep_one_of):
            return None
        return layout

    def _start_values(
        self, layout: np.ndarray, site_columns: np.ndarray, z_point: np.ndarray, z_minutes: np.ndarray
    ) -> np.ndarray:
        """The MILP's columns for ``layout``: its ``y``, and each ``z``, 1 where the point's nearest open site is
        farther than the ``z``'s distance."""
        _, nearest = self.nearest_open(layout)
        return np.r_[layout[site_columns], nearest[z_point] > z_minutes].astype(float)

    def _build(self, dropped: np.ndarray) -> tuple[Milp, np.ndarray, np.ndarray, np.ndarray]:
        """The radius formulation over the allowed sites not ``dropped``, as arrays.

        Returns the MILP, the site of each ``y`` column, and the point and distance of each ``z`` column.
        """
        site_columns = np.flatnonzero(self.allowed & ~dropped)
        column_of = np.full(self.n_sites, -1, dtype=np.int64)
        column_of[site_columns] = np.arange(len(site_columns))
        builder = MilpBuilder()
        # A required site is a y column fixed open.
        y = builder.add_columns(len(site_columns), 0.0, self.required[site_columns].astype(float), 1.0, integer=True)
        builder.add_rows(np.zeros(len(y), dtype=np.int64), y, 1.0, self.p, self.p, n_rows=1)
        self.add_keep_rows(builder, column_of)

        # Each demand point's sites in reach, sorted by cost then site.
        pairs = self.cost
        keep = (column_of[pairs.destination] >= 0) & (self.weights[pairs.origin] > 0)
        origin, site, minutes = pairs.origin[keep], pairs.destination[keep], pairs.minutes[keep]
        order = np.lexsort((site, minutes, origin))
        origin, site, minutes = origin[order], site[order], minutes[order]
        starts = np.searchsorted(origin, np.arange(self.n_demand + 1))
        sure_rank = len(site_columns) - self.p  # 0-based rank of the (m − p + 1)-th nearest

        z_cost, z_point, z_minutes, rows, cols, vals, lower = [], [], [], [], [], [], []
        n_rows = 0
        for i in np.flatnonzero(starts[1:] > starts[:-1]):
            d = minutes[starts[i] : starts[i + 1]]
            j = column_of[site[starts[i] : starts[i + 1]]]
            # Where an open site is certain to be at least this close, the list stops and its last row is
            # implied; where the cutoff ends it, the last row says "served within the cutoff".
            certain = len(d) > sure_rank
            limit = d[sure_rank] if certain else d[-1]
            required_here = self.required[site[starts[i] : starts[i + 1]]]
            if required_here.any() and d[np.argmax(required_here)] <= limit:
                limit, certain = d[np.argmax(required_here)], True
            within = d <= limit
            d, j = d[within], j[within]
            distinct, first = np.unique(d, return_index=True)
            builder.constant += self.weights[i] * distinct[0]
            n_groups = len(distinct)
            n_row = n_groups - 1 if certain else n_groups
            if n_row == 0:
                continue
            z = builder.n_cols + len(z_cost) + np.arange(n_groups - 1)  # z_1 .. z_(K−1)
            z_cost.extend((self.weights[i] * np.diff(distinct)).tolist())
            z_point.append(np.full(n_groups - 1, i))
            z_minutes.append(distinct[:-1])
            group = np.repeat(np.arange(n_groups), np.diff(np.r_[first, len(d)]))
            in_rows = group < n_row
            # Row k holds the sites at exactly D_k, +z_k (k < K) and −z_(k−1) (k ≥ 2).
            rows += [n_rows + group[in_rows], n_rows + np.arange(n_groups - 1), n_rows + np.arange(1, n_row)]
            cols += [j[in_rows], z, z[: n_row - 1]]
            vals += [np.ones(int(in_rows.sum())), np.ones(n_groups - 1), -np.ones(n_row - 1)]
            lower.append(np.r_[1.0, np.zeros(n_row - 1)])
            n_rows += n_row
        builder.add_columns(len(z_cost), np.asarray(z_cost), 0.0, np.inf)
        if n_rows:
            builder.add_rows(
                np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.concatenate(lower), np.inf, n_rows
            )
        joined = [np.concatenate(part) if part else np.zeros(0) for part in (z_point, z_minutes)]
        return builder.build(), site_columns, joined[0].astype(np.int64), joined[1]


def swap_layout(cost: np.ndarray, weights: np.ndarray, p: int, required: np.ndarray) -> np.ndarray | None:
    """Open ``p`` columns of a dense demand × site ``cost`` (``inf`` out of reach) by greedy adding, then
    best-improvement swaps until none lowers the weighted total; ``required`` columns stay open.

    Each round prices every (open ``k``, closed ``j``) swap at once from each point's nearest and second
    nearest open site: opening ``j`` gains ``Σ w·max(0, d1 − c_j)``, and closing ``k`` as well costs, for the
    points whose nearest is ``k``, ``Σ w·(min(c_j, d2) − min(c_j, d1))``.

    Returns
    -------
    numpy.ndarray of bool or None
        The open columns; None if some point is left with no open site in reach.
    """
    n = cost.shape[0]
    # Out of reach costs more than any point's whole trip, so that swaps serve every point first.
    far = (np.max(cost[np.isfinite(cost)], initial=0.0) + 1.0) * (1.0 + weights.sum())
    cost = np.where(np.isfinite(cost), cost, far)
    opened = required.copy()

    def nearest_two() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        columns = np.flatnonzero(opened)
        if not len(columns):
            return np.full(n, far), np.full(n, far), np.full(n, -1)
        if len(columns) == 1:
            return cost[:, columns[0]], np.full(n, far), np.full(n, columns[0])
        part = np.argpartition(cost[:, columns], 1, axis=1)[:, :2]
        pair = np.take_along_axis(cost[:, columns], part, axis=1)
        first = np.argmin(pair, axis=1)
        rows = np.arange(n)
        return pair[rows, first], pair[rows, 1 - first], columns[part[rows, first]]

    def opening_gain() -> np.ndarray:
        return weights @ np.maximum(d1[:, None] - cost, 0.0)

    d1, d2, nearest = nearest_two()
    while opened.sum() < p:
        gain = opening_gain()
        gain[opened] = -np.inf
        opened[int(np.argmax(gain))] = True
        d1, d2, nearest = nearest_two()
    total = float(weights @ d1)
    while (opened & ~required).any() and not opened.all():  # a site to close and one to open
        closable = np.flatnonzero(opened & ~required)
        gain = opening_gain()
        extra = weights[:, None] * (np.minimum(cost, d2[:, None]) - np.minimum(cost, d1[:, None]))
        # change[k, j]: closing closable[k] and opening j; points nearest a required site sum into a last row.
        row = np.minimum(np.searchsorted(closable, nearest), len(closable) - 1)
        row[closable[row] != nearest] = len(closable)
        owner = sp.csr_matrix((np.ones(n), (row, np.arange(n))), shape=(len(closable) + 1, n))
        change = np.asarray((owner @ extra)[: len(closable)]) - gain[None, :]
        change[:, opened] = np.inf
        k, j = np.unravel_index(int(np.argmin(change)), change.shape)
        if change[k, j] >= -1e-9 * max(1.0, total):
            break
        opened[closable[k]], opened[j] = False, True
        d1, d2, nearest = nearest_two()
        total = float(weights @ d1)
    return None if np.any((d1 >= far) & (weights > 0)) else opened
