"""The village merge rule: one clinic per administrative village, unless merged with an adjacent village.

National guidelines let adjacent villages with a small service radius and good roads build one clinic
together. The rule keeps a clinic in every village unless its people can use a clinic of an adjacent
village for at most ``N`` minutes more than their own, and every merge is reported with the minutes it
adds.

Notation (plain arrays; no GIS types here)

* ``t_ij``: minutes from demand point ``i`` to site ``j`` (absent pair = beyond the cutoff, ``∞``);
  ``w_i``: people at ``i``.
* ``P(v)``: the demand points of village ``v`` with ``w_i > 0``; ``W(v) = Σ_{i∈P(v)} w_i``.
* ``S(v)``: the eligible sites lying in village ``v`` (its own sites).
* Minutes of ``v`` to a site set ``S``: ``m(v, S) = Σ_{i∈P(v)} w_i min_{j∈S} t_ij / W(v)``, the
  population-weighted mean minutes to the nearest site of ``S``; ``∞`` if some ``i ∈ P(v)`` has no site of
  ``S`` within the cutoff (those people could not use ``S``).
* A merge is into **one** site, the clinic the two villages share: the added minutes of ``v`` at site
  ``j`` of another village are ``a(v, j) = m(v, {j}) − m(v, S(v))``. If some of ``v``'s people reach none
  of ``v``'s own sites, ``m(v, S(v)) = ∞`` and every site that reaches all of them qualifies
  (``a = −∞``: the merge brings them within reach).
* ``Q(v)``: the eligible sites ``j`` of villages ``u`` adjacent to ``v`` (adjacency is symmetric) with
  ``m(v, {j}) < ∞`` and ``a(v, j) ≤ N`` (``N`` = ``max_added_minutes``, with 1e-9 min of round-off).

Rule (hard)
    For every village ``v`` with ``S(v) ≠ ∅`` and ``W(v) > 0``: ``Σ_{j ∈ S(v) ∪ Q(v)} open_j ≥ 1``.
    A village with no own eligible site has nothing to keep and is not subject to the rule (the clinic
    standard still serves its people); nor is a village where nobody lives. Points and sites outside
    every village (index -1) play no part.

A merge is one site, not the nearest of several, because the guideline is about a clinic the villages
build together; it also makes the row exact: the rule holds in a layout if and only if the row does.

Reading a layout back (:meth:`VillageMergeRule.explain`)
    Every village subject to the rule with no open own site is *merged*: into the open site ``j`` of an
    adjacent village that reaches all its people with the least ``a(v, j)`` (ties: lowest village index,
    then lowest site index), reported with ``W(v)`` and ``a(v, j)``. A layout that meets the rule always
    has ``a ≤ N``; in one that does not, the best such site is still reported (``a > N``), or none
    (``into = -1``, ``a = ∞``) when no open site of an adjacent village reaches all the village's people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facility_layout.odmatrix import ODMatrix

ROUND_OFF_MINUTES = 1e-9


@dataclass(frozen=True)
class VillageMerge:
    """One village without a clinic of its own in the layout, and the adjacent village's clinic it uses.

    Attributes
    ----------
    village, village_name : int, str
        The village that has no open clinic of its own.
    into, into_name : int, str
        The adjacent village whose clinic its people use; -1 and "" if no open clinic of an adjacent village
        reaches all of them (the layout breaks the rule).
    people : float
        People of the village, ``W(v)``.
    added_minutes : float
        ``a(v, served_by)``: mean minutes to the shared clinic minus mean minutes to the nearest own site;
        ``inf`` when ``into == -1``.
    served_by : int
        The shared clinic (site index), -1 if none.
    """

    village: int
    village_name: str
    into: int
    into_name: str
    people: float
    added_minutes: float
    served_by: int


@dataclass(frozen=True)
class VillageMergeRule:
    """Administrative villages, their adjacency and the merge allowance ``N`` (see the module docstring).

    Attributes
    ----------
    village_of_point : numpy.ndarray of int, per demand point
        The administrative village of the point, -1 if none.
    village_of_site : numpy.ndarray of int, per site
        The village the site lies in, -1 if none.
    adjacent : numpy.ndarray of int, shape (k, 2)
        Pairs of adjacent villages, in either order (treated as symmetric; pairs of a village with itself
        are ignored).
    max_added_minutes : float
        ``N``: the most mean minutes a merge may add for the people of the village that gives up its clinic.
    village_names : numpy.ndarray of str, per village
        Names for the report; their number is the number of villages.
    """

    village_of_point: np.ndarray
    village_of_site: np.ndarray
    adjacent: np.ndarray
    max_added_minutes: float
    village_names: np.ndarray

    def __post_init__(self) -> None:
        n_villages = len(self.village_names)
        object.__setattr__(self, "village_of_point", np.asarray(self.village_of_point, dtype=np.int64))
        object.__setattr__(self, "village_of_site", np.asarray(self.village_of_site, dtype=np.int64))
        object.__setattr__(self, "adjacent", np.asarray(self.adjacent, dtype=np.int64).reshape(-1, 2))
        object.__setattr__(self, "village_names", np.asarray(self.village_names, dtype=object))
        for name in ("village_of_point", "village_of_site"):
            values = getattr(self, name)
            if values.ndim != 1 or np.any((values < -1) | (values >= n_villages)):
                raise ValueError(f"{name} needs one village index in -1..{n_villages - 1} per entry")
        if np.any((self.adjacent < 0) | (self.adjacent >= n_villages)):
            raise ValueError(f"adjacent holds village indices outside 0..{n_villages - 1}")
        if not np.isfinite(self.max_added_minutes) or self.max_added_minutes < 0:
            raise ValueError("max_added_minutes must be finite and >= 0")

    @property
    def n_villages(self) -> int:
        return len(self.village_names)

    def neighbours(self) -> list[np.ndarray]:
        """Adjacent villages of each village, ascending, without itself."""
        pairs = self.adjacent[self.adjacent[:, 0] != self.adjacent[:, 1]]
        both = np.concatenate([pairs, pairs[:, ::-1]])
        return [np.unique(both[both[:, 0] == v, 1]) for v in range(self.n_villages)]

    # --- the rule ----------------------------------------------------------------------------------------

    def rows(
        self, demand_to_site: ODMatrix, population: np.ndarray, eligible: np.ndarray
    ) -> dict[tuple[int, ...], int]:
        """The hard rows ``S(v) ∪ Q(v)`` ("at least one of these sites open"), each with its village.

        Parameters
        ----------
        demand_to_site : ODMatrix
            Demand points × sites minutes.
        population : numpy.ndarray
            People per demand point.
        eligible : numpy.ndarray of bool, per site
            Sites a layout may open.

        Returns
        -------
        dict
            ``{sorted site indices: village index}``; where two villages give the same row, the lower
            village is kept. Rows already met by an always-open site (a township centre) are included:
            dropping them is the model's business.
        """
        population, eligible = self._check(demand_to_site, population, eligible)
        own, subject = self._own_minutes(demand_to_site, population, eligible)
        village, site, added = self._merge_options(demand_to_site, population, eligible, own)
        allowed = added <= self.max_added_minutes + ROUND_OFF_MINUTES
        row_sites: dict[int, set[int]] = {}
        in_village = np.flatnonzero(eligible & (self.village_of_site >= 0))
        for v, j in zip(
            [*self.village_of_site[in_village].tolist(), *village[allowed].tolist()],
            [*in_village.tolist(), *site[allowed].tolist()],
            strict=True,
        ):
            row_sites.setdefault(v, set()).add(j)
        out: dict[tuple[int, ...], int] = {}
        for v in np.flatnonzero(subject).tolist():
            out.setdefault(tuple(sorted(row_sites[v])), v)
        return out

    def explain(
        self,
        open_sites: np.ndarray,
        demand_to_site: ODMatrix,
        population: np.ndarray,
        eligible: np.ndarray | None = None,
    ) -> list[VillageMerge]:
        """The merges of a layout: each village subject to the rule with no open own site, in village order.

        Parameters
        ----------
        open_sites : numpy.ndarray of bool, per site
            The layout.
        demand_to_site, population
            As for :meth:`rows`.
        eligible : numpy.ndarray of bool, per site, optional
            As for :meth:`rows` (which villages are subject, and their own minutes); all sites by default.
        """
        n_sites = demand_to_site.shape[1]
        eligible = np.ones(n_sites, dtype=bool) if eligible is None else eligible
        population, eligible = self._check(demand_to_site, population, eligible)
        open_sites = np.asarray(open_sites, dtype=bool)
        if open_sites.shape != (n_sites,):
            raise ValueError(f"open_sites needs one value per site ({n_sites})")
        own, subject = self._own_minutes(demand_to_site, population, eligible)
        has_open = np.zeros(self.n_villages, dtype=bool)
        in_village = open_sites & eligible & (self.village_of_site >= 0)
        has_open[self.village_of_site[in_village]] = True
        village, site, added = self._merge_options(demand_to_site, population, open_sites & eligible, own)
        # Best option per village: least added minutes, then lowest adjacent village, then lowest site.
        order = np.lexsort((site, self.village_of_site[site], added, village))
        village, site, added = village[order], site[order], added[order]
        first = np.ones(len(village), dtype=bool)
        first[1:] = village[1:] != village[:-1]
        best = {
            v: (j, a)
            for v, j, a in zip(village[first].tolist(), site[first].tolist(), added[first].tolist(), strict=True)
        }
        people = self._people(population)
        merges = []
        for v in np.flatnonzero(subject & ~has_open).tolist():
            j, a = best.get(v, (-1, np.inf))
            into = int(self.village_of_site[j]) if j >= 0 else -1
            merges.append(
                VillageMerge(
                    village=v,
                    village_name=str(self.village_names[v]),
                    into=into,
                    into_name=str(self.village_names[into]) if into >= 0 else "",
                    people=float(people[v]),
                    added_minutes=float(a),
                    served_by=int(j),
                )
            )
        return merges

    # --- figures per village -----------------------------------------------------------------------------

    def _check(
        self, demand_to_site: ODMatrix, population: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n_demand, n_sites = demand_to_site.shape
        population = np.asarray(population, dtype=float)
        eligible = np.asarray(eligible, dtype=bool)
        if population.shape != (n_demand,) or len(self.village_of_point) != n_demand:
            raise ValueError(f"population and village_of_point need one value per demand point ({n_demand})")
        if eligible.shape != (n_sites,) or len(self.village_of_site) != n_sites:
            raise ValueError(f"eligible and village_of_site need one value per site ({n_sites})")
        return population, eligible

    def _counted(self, population: np.ndarray) -> np.ndarray:
        """Demand points that count for their village: in one, with people."""
        return (self.village_of_point >= 0) & (population > 0)

    def _people(self, population: np.ndarray) -> np.ndarray:
        """``W(v)`` per village."""
        counted = self._counted(population)
        return np.bincount(self.village_of_point[counted], weights=population[counted], minlength=self.n_villages)

    def _own_minutes(
        self, demand_to_site: ODMatrix, population: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``m(v, S(v))`` per village (``inf`` without own sites or where some people reach none), and
        whether the village is subject to the rule (own sites and people)."""
        counted = self._counted(population)
        point_village = self.village_of_point
        site_village = np.where(eligible, self.village_of_site, -1)
        o, d, m = demand_to_site.origin, demand_to_site.destination, demand_to_site.minutes
        own_pair = counted[o] & (site_village[d] >= 0) & (site_village[d] == point_village[o])
        nearest_own = np.full(len(population), np.inf)
        np.minimum.at(nearest_own, o[own_pair], m[own_pair])

        people = self._people(population)
        reached = counted & np.isfinite(nearest_own)
        points = np.bincount(point_village[counted], minlength=self.n_villages)
        points_reached = np.bincount(point_village[reached], minlength=self.n_villages)
        minutes_sum = np.bincount(
            point_village[reached], weights=population[reached] * nearest_own[reached], minlength=self.n_villages
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where((points > 0) & (points_reached == points), minutes_sum / people, np.inf)
        has_own = np.bincount(site_village[site_village >= 0], minlength=self.n_villages) > 0
        return own, has_own & (people > 0)

    def _merge_options(
        self, demand_to_site: ODMatrix, population: np.ndarray, usable: np.ndarray, own: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (village ``v``, ``usable`` site ``j`` of an adjacent village) where ``j`` reaches all of
        ``v``'s people, with ``a(v, j)``; sorted by village, then site."""
        n_sites = demand_to_site.shape[1]
        counted = self._counted(population)
        pairs = self.adjacent[self.adjacent[:, 0] != self.adjacent[:, 1]]
        neighbour_keys = np.unique(
            np.concatenate([pairs[:, 0] * self.n_villages + pairs[:, 1], pairs[:, 1] * self.n_villages + pairs[:, 0]])
        )

        o, d, m = demand_to_site.origin, demand_to_site.destination, demand_to_site.minutes
        v, u = self.village_of_point[o], self.village_of_site[d]
        keep = counted[o] & usable[d] & (u >= 0)
        keep[keep] = np.isin(v[keep] * self.n_villages + u[keep], neighbour_keys)
        o, d, m, v = o[keep], d[keep], m[keep], v[keep]

        keys, inverse = np.unique(v * n_sites + d, return_inverse=True)
        points_reached = np.bincount(inverse, minlength=len(keys))
        minutes_sum = np.bincount(inverse, weights=population[o] * m, minlength=len(keys))
        village, site = keys // n_sites, keys % n_sites
        points = np.bincount(self.village_of_point[counted], minlength=self.n_villages)
        reaches_all = points_reached == points[village]
        people = self._people(population)
        mean = minutes_sum[reaches_all] / people[village[reaches_all]]
        return village[reaches_all], site[reaches_all], mean - own[village[reaches_all]]
