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
"""

from __future__ import annotations

import numpy as np

from facility_layout.models.base import (
    InfeasibleLayoutError,
    LocationModel,
    LocationResult,
    SitesArg,
)
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import Milp, MilpBuilder, solve_milp


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
        """Solve exactly (up to ``mip_gap``) within ``time_limit_s``.

        Raises
        ------
        InfeasibleLayoutError
            Points that no allowed site reaches, or no ``p`` sites that reach every point.
        """
        self.raise_unreachable()
        milp, site_columns = self._build()
        values, report = solve_milp(milp, solver, time_limit_s, mip_gap)
        if report.status == "infeasible":
            raise InfeasibleLayoutError(
                f"no {self.p} sites reach every demand point within the cost matrix's cutoff; open more sites "
                "(raise p) or allow longer trips"
            )
        open_sites = self.required.copy()
        if values is not None:
            open_sites[site_columns] = values[: len(site_columns)] > 0.5
        assignment, assignment_cost = self.nearest_open(open_sites)
        served = assignment >= 0
        objective = float(self.weights[served] @ assignment_cost[served]) if values is not None else None
        return LocationResult(open_sites, assignment, assignment_cost, objective, report)

    def _build(self) -> tuple[Milp, np.ndarray]:
        """The radius formulation as arrays; returns the MILP and the site of each ``y`` column."""
        site_columns = np.flatnonzero(self.allowed)
        column_of = np.full(self.n_sites, -1, dtype=np.int64)
        column_of[site_columns] = np.arange(len(site_columns))
        builder = MilpBuilder()
        # A required site is a y column fixed open.
        y = builder.add_columns(len(site_columns), 0.0, self.required[site_columns].astype(float), 1.0, integer=True)
        builder.add_rows(np.zeros(len(y), dtype=np.int64), y, 1.0, self.p, self.p, n_rows=1)
        self.add_keep_rows(builder, column_of)

        # Each demand point's sites in reach, sorted by cost then site.
        pairs = self.cost
        keep = self.allowed[pairs.destination] & (self.weights[pairs.origin] > 0)
        origin, site, minutes = pairs.origin[keep], pairs.destination[keep], pairs.minutes[keep]
        order = np.lexsort((site, minutes, origin))
        origin, site, minutes = origin[order], site[order], minutes[order]
        starts = np.searchsorted(origin, np.arange(self.n_demand + 1))
        sure_rank = len(site_columns) - self.p  # 0-based rank of the (m − p + 1)-th nearest

        z_cost, rows, cols, vals, lower = [], [], [], [], []
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
        return builder.build(), site_columns
