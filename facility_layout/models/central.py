"""Central township centres: which ``count`` of the township centres to upgrade.

Two objectives, in this order (lexicographic):

1. most people within the township standard (``limit`` minutes) of a central centre — a maximal covering
   over the centres;
2. among those choices (people reached equal up to ``1e-7`` × everyone, round-off), fewest person-minutes
   from each person reached to the nearest central centre — a p-median restricted to the optima of 1.
   People no central centre reaches count in 1 only.

The choice is small (a prefecture has ~150 centres), the demand large (tens of thousands of points), so
the demand is reduced first, exactly:

* points nobody lives in, and points no centre reaches, are left out (they count the same in every choice);
* points with the same centres at the same minutes are one *profile* (their weights add up); profiles with
  the same centres are one *coverage set* for objective 1;
* a profile that one centre alone reaches costs ``w·d`` if that centre is chosen and leaves ``w`` people
  out otherwise: a term on that centre's variable, with no variable of its own.

Then the choice is made exactly, by the first of three methods that finishes:

* **enumeration** when every combination of ``count`` centres can be priced quickly
  (:data:`ENUMERATION_WORK`): objective 1 for every combination as one sparse product (coverage sets ×
  combinations), then objective 2 for the combinations that tie on it;
* **branch and bound** over the combinations (at most :data:`NODE_LIMIT` nodes): centres sorted by the
  people each would add, a branch cut when the people reached plus the largest additions still possible
  (a valid bound: coverage is submodular) fall short of the best choice found; its first leaf is the greedy
  choice; choices that tie on people are compared on person-minutes;
* otherwise a **greedy + swap** starting choice (:func:`~facility_layout.models.median.swap_layout` on the
  people-first cost) and two MILPs built as arrays (:class:`~facility_layout.solve.MilpBuilder`): a maximal
  covering over the coverage sets, then the radius formulation of the p-median (Elloumi 2010, chained as in
  :mod:`facility_layout.models.median`) with one more distance per point, "no central centre within the
  standard", and the first stage's optimum as a constraint. The starting choice is HiGHS's first incumbent
  and the fallback if a solve finds nothing in the time left (then labelled in the report's ``note``, never
  called proven).

Enumeration and branch and bound prove their choice (status ``optimal``, no solver involved: ``variables``
0); the MILPs report what the solver proved.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from facility_layout.models.median import swap_layout
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import Milp, MilpBuilder, SolveReport, honest_status, lexicographic, solve_milp, time_left

# Enumeration prices every combination when (combinations × count × coverage sets per centre) stays below
# this many sparse entries (about a second); ties on objective 1 are priced over the profiles, the same bound.
# Beyond it the branch and bound is faster: at prefecture size, 3 of 142 centres took 15–40 s to enumerate.
ENUMERATION_WORK = 20_000_000
# Nodes the branch and bound may visit (each a sparse product over the coverage sets, ~0.1 ms) before the
# MILPs take over.
NODE_LIMIT = 100_000
# At most this many combinations are listed (their array takes 8 bytes × count each).
MAX_COMBINATIONS = 1_000_000
# Combinations priced at once (bounds the temporary arrays).
CHUNK_CELLS = 4_000_000
# The starting choice needs a dense profile × centre array; above this many cells the MILPs start without one.
MAX_START_CELLS = 10_000_000
# "Same people reached" up to this share of everyone (round-off in sums of weights).
TIE_SHARE = 1e-7


@dataclass(frozen=True)
class Profiles:
    """The demand reduced to distinct profiles (see the module docstring).

    Attributes
    ----------
    weight : float, per profile
    centre, minutes : int / float, per (profile, centre in reach) pair, sorted by profile then minutes
    start : int, per profile + 1
        Offsets of each profile's pairs.
    left_out : float
        People that no centre reaches (beyond the standard whatever the choice).
    n_centres : int
    """

    weight: np.ndarray
    centre: np.ndarray
    minutes: np.ndarray
    start: np.ndarray
    left_out: float
    n_centres: int

    @classmethod
    def from_minutes(cls, minutes: ODMatrix, population: np.ndarray, limit: float) -> Profiles:
        within = minutes.within(limit)
        keep = population[within.origin] > 0
        origin, centre, mins = within.origin[keep], within.destination[keep], within.minutes[keep].astype(float)
        order = np.lexsort((centre, mins, origin))
        origin, centre, mins = origin[order], centre[order], mins[order]
        reached = np.zeros(len(population), dtype=bool)
        reached[origin] = True
        left_out = float(population[~reached].sum())
        points, first = np.unique(origin, return_index=True)
        bounds = np.r_[first, len(origin)]
        by_key: dict[tuple[bytes, bytes], int] = {}
        profile_of = np.empty(len(points), dtype=np.int64)
        for n, (a, b) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)):
            key = (centre[a:b].tobytes(), mins[a:b].tobytes())
            profile_of[n] = by_key.setdefault(key, len(by_key))
        leader = np.full(len(by_key), -1, dtype=np.int64)
        leader[profile_of[::-1]] = np.arange(len(points))[::-1]  # first point of each profile
        weight = np.bincount(profile_of, weights=population[points], minlength=len(by_key))
        take = (
            np.concatenate([np.arange(bounds[n], bounds[n + 1]) for n in leader]) if len(leader) else np.zeros(0, int)
        )
        counts = bounds[leader + 1] - bounds[leader]
        return cls(
            weight=weight,
            centre=centre[take].astype(np.int64),
            minutes=mins[take],
            start=np.r_[0, np.cumsum(counts)].astype(np.int64),
            left_out=left_out,
            n_centres=minutes.shape[1],
        )

    @property
    def n(self) -> int:
        return len(self.weight)

    @property
    def owner(self) -> np.ndarray:
        """The profile of each pair."""
        return np.repeat(np.arange(self.n), np.diff(self.start))

    def dense(self) -> np.ndarray:
        """Profile × centre minutes, ``inf`` beyond the standard."""
        out = np.full((self.n, self.n_centres), np.inf)
        out[self.owner, self.centre] = self.minutes
        return out

    def coverage_sets(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Distinct sets of centres in reach (boolean set × centre) and the people of each."""
        reach = sp.csr_matrix(
            (np.ones(len(self.centre), dtype=bool), (self.owner, self.centre)), shape=(self.n, self.n_centres)
        )
        reach.sort_indices()
        by_key: dict[bytes, int] = {}
        set_of = np.array(
            [
                by_key.setdefault(reach.indices[a:b].tobytes(), len(by_key))
                for a, b in zip(reach.indptr[:-1], reach.indptr[1:], strict=True)
            ],
            dtype=np.int64,
        )
        weight = np.bincount(set_of, weights=self.weight, minlength=len(by_key))
        first = np.full(len(by_key), -1, dtype=np.int64)
        first[set_of[::-1]] = np.arange(self.n)[::-1]
        return reach[first], weight

    def evaluate(self, chosen: np.ndarray) -> tuple[float, float]:
        """(people beyond the standard of every chosen centre, person-minutes of the others) for a choice."""
        near = np.full(self.n, np.inf)
        on = chosen[self.centre]
        np.minimum.at(near, self.owner[on], self.minutes[on])
        reached = np.isfinite(near)
        return self.left_out + float(self.weight[~reached].sum()), float(self.weight[reached] @ near[reached])


def choose_central(
    minutes: ODMatrix,
    population: np.ndarray,
    limit: float,
    count: int,
    solver: str,
    time_limit_s: float,
    mip_gap: float = 0.0,
    enumeration_work: int = ENUMERATION_WORK,
    node_limit: int = NODE_LIMIT,
) -> tuple[np.ndarray, SolveReport]:
    """Choose ``count`` central centres (see the module docstring).

    Parameters
    ----------
    minutes : ODMatrix
        Demand points × township centres.
    population : numpy.ndarray
        People per demand point.
    limit : float
        The township standard, minutes.
    count : int
        Centres to choose, 0 to all.
    solver : str
        ``cbc`` or ``highs`` (for the MILPs; enumeration needs none).
    time_limit_s : float
        Time for the whole choice, all steps included.
    mip_gap : float
        Relative gap at which the MILPs may stop.
    enumeration_work : int
        Enumerate when it takes at most this much work (0: never).
    node_limit : int
        Nodes of the branch and bound before the MILPs take over (0: straight to the MILPs).

    Returns
    -------
    numpy.ndarray of bool, SolveReport
        The choice (per centre) and what was proven: the objective is the people beyond the standard of
        every central centre; ``variables``/``constraints`` 0 for an enumeration.
    """
    started = time.perf_counter()
    population = np.asarray(population, dtype=float)
    n_centres = minutes.shape[1]
    if not 0 <= count <= n_centres:
        raise ValueError(f"central_count must be between 0 and the {n_centres} township centres")
    if count in (0, n_centres):
        return np.full(n_centres, count == n_centres), SolveReport.not_needed(solver)
    profiles = Profiles.from_minutes(minutes, population, limit)
    tie = TIE_SHARE * max(1.0, float(population.sum()))
    chosen = _enumerate(profiles, count, tie, enumeration_work)
    if chosen is None:
        # Half the time left, so that the MILPs still have time if the search does not finish.
        deadline = time.perf_counter() + time_left(time_limit_s, started) / 2
        chosen = _branch_and_bound(profiles, count, tie, node_limit, deadline)
    if chosen is not None:
        people, _ = profiles.evaluate(chosen)
        seconds = round(time.perf_counter() - started, 3)
        return chosen, SolveReport(solver, "optimal", True, people, people, 0.0, seconds)
    chosen, report = _solve_milps(profiles, count, tie, solver, time_limit_s, mip_gap, started)
    return chosen, replace(report, seconds=round(time.perf_counter() - started, 3))


def _all_combinations(n: int, p: int) -> np.ndarray:
    """Every combination of ``p`` out of ``n``, one per row, lexicographic."""
    from itertools import combinations

    return np.fromiter((c for combo in combinations(range(n), p) for c in combo), dtype=np.int64).reshape(-1, p)


def _enumerate(profiles: Profiles, count: int, tie: float, work: int) -> np.ndarray | None:
    """The exact choice by pricing every combination, or None when that is too much work.

    The people a combination reaches are ``w @ [sets × combinations product > 0]``, a sparse product whose
    work is the coverage sets each centre is in, per centre of each combination.
    """
    n_combos = math.comb(profiles.n_centres, count)
    sets, set_weight = profiles.coverage_sets()
    per_centre = max(1.0, sets.nnz / profiles.n_centres)
    if n_combos > MAX_COMBINATIONS or n_combos * count * per_centre > work:
        return None
    combos = _all_combinations(profiles.n_centres, count)
    members = sets.astype(float).tocsr()
    step = max(1, CHUNK_CELLS // max(1, int(count * per_centre)))
    reached = np.zeros(n_combos)
    for a in range(0, n_combos, step):
        chunk = combos[a : a + step]
        pick = sp.csc_matrix(
            (np.ones(chunk.size), (chunk.ravel(), np.repeat(np.arange(len(chunk)), count))),
            shape=(profiles.n_centres, len(chunk)),
        )
        hits = (members @ pick).tocsc()
        hits.data[:] = 1.0
        reached[a : a + len(chunk)] = hits.T @ set_weight
    best = combos[reached >= reached.max(initial=0.0) - tie]
    if len(best) == 1:
        return _mask(best[0], profiles.n_centres)
    if len(best) * profiles.n * count > work:
        return None
    dense = profiles.dense()
    step = max(1, CHUNK_CELLS // max(1, profiles.n * count))
    person_minutes = []
    for a in range(0, len(best), step):
        near = dense[:, best[a : a + step]].min(axis=2)
        person_minutes.append(profiles.weight @ np.where(np.isfinite(near), near, 0.0))
    return _mask(best[int(np.argmin(np.concatenate(person_minutes)))], profiles.n_centres)


class _NodeLimitError(Exception):
    """The branch and bound reached its node limit."""


def _branch_and_bound(
    profiles: Profiles, count: int, tie: float, node_limit: int, deadline: float
) -> np.ndarray | None:
    """The exact choice by a depth-first search over the combinations, or None past ``node_limit`` nodes or
    the ``perf_counter()`` time ``deadline``.

    At each node the centres still allowed are sorted by the people each would add; by submodularity the
    people a completion reaches are at most those reached plus the ``r`` largest additions (``r`` centres
    still to choose), so a branch whose bound falls short of the best choice found (minus round-off) is cut.
    The first leaf is the greedy choice. Leaves that tie on people are compared on person-minutes.
    """
    sets, set_weight = profiles.coverage_sets()
    sets_of = sets.T.tocsr().astype(float)  # centre × coverage set
    best: list = [-np.inf, np.inf, None]  # people reached, person-minutes, choice
    nodes = 0

    def leaf(chosen: list[int], reached: float) -> None:
        if reached < best[0] - tie:
            return
        mask = _mask(np.array(chosen, dtype=np.int64), profiles.n_centres)
        minutes = profiles.evaluate(mask)[1]
        if reached > best[0] + tie:
            best[:] = [reached, minutes, mask]
        elif minutes < best[1]:  # as many people reached (up to round-off), fewer person-minutes
            best[:] = [max(reached, best[0]), minutes, mask]

    def visit(chosen: list[int], allowed: np.ndarray, open_weight: np.ndarray, reached: float) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > node_limit or time.perf_counter() > deadline:
            raise _NodeLimitError
        r = count - len(chosen)
        if r == 0:
            leaf(chosen, reached)
            return
        gain = sets_of[allowed] @ open_weight
        order = np.argsort(-gain, kind="stable")
        allowed, gain = allowed[order], gain[order]
        for at in range(len(allowed) - r + 1):
            if reached + gain[at : at + r].sum() < best[0] - tie:
                break  # later branches add less: sorted
            k = allowed[at]
            rest = open_weight.copy()
            rest[sets_of.indices[sets_of.indptr[k] : sets_of.indptr[k + 1]]] = 0.0
            visit([*chosen, int(k)], allowed[at + 1 :], rest, reached + gain[at])

    try:
        visit([], np.arange(profiles.n_centres), set_weight.astype(float), 0.0)
    except _NodeLimitError:
        return None
    return best[2]


def _mask(columns: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[columns] = True
    return out


def _start(profiles: Profiles, count: int) -> np.ndarray | None:
    """A good choice by greedy adding and swaps on a people-first cost (someone left out costs more than all the
    person-minutes together), or None when the dense array would be too large."""
    if profiles.n * profiles.n_centres > MAX_START_CELLS:
        return None
    if profiles.n == 0:
        return _mask(np.arange(count), profiles.n_centres)
    dense = profiles.dense()
    out_of_reach = (np.max(profiles.minutes) + 1.0) * (1.0 + profiles.weight.sum())
    cost = np.where(np.isfinite(dense), dense, out_of_reach)
    return swap_layout(cost, profiles.weight, count, np.zeros(profiles.n_centres, dtype=bool))


def _solve_milps(
    profiles: Profiles, count: int, tie: float, solver: str, time_limit_s: float, mip_gap: float, started: float
) -> tuple[np.ndarray, SolveReport]:
    start = _start(profiles, count)
    fallback = "the greedy + swap starting choice: the solver found no choice in the time left"
    coverage_milp = _coverage_milp(profiles, count)
    incumbent = None if start is None else _coverage_values(profiles, start)
    values, first = solve_milp(coverage_milp, solver, time_left(time_limit_s, started), mip_gap, start=incumbent)
    if values is None and (start is None or first.status != "no_solution"):
        return np.zeros(profiles.n_centres, dtype=bool), first  # no choice to read: the caller stops the run
    # The better of the solver's choice and the start (fewest people left out, then person-minutes): the
    # start may be better when the solver stopped early, and is as good with swaps already made when tied.
    options = [c for c in (None if values is None else values[: profiles.n_centres] > 0.5, start) if c is not None]
    chosen = min(options, key=profiles.evaluate)
    people, _ = profiles.evaluate(chosen)
    first = _with_objective(first, people, mip_gap, None if values is not None else fallback)
    median_milp, z_point, z_minutes = _median_milp(profiles, count, people + tie)
    incumbent = _median_values(profiles, chosen, z_point, z_minutes)
    values, second = solve_milp(median_milp, solver, time_left(time_limit_s, started), mip_gap, start=incumbent)
    if values is None:
        note = "the fewest person-minutes stage found no choice in the time left; the choice is the first stage's"
        return chosen, lexicographic(first, None, note)
    # CBC starts without the incumbent: keep whichever of the two has fewer person-minutes.
    solved = values[: profiles.n_centres] > 0.5
    if profiles.evaluate(solved)[0] <= people + tie and profiles.evaluate(solved)[1] < profiles.evaluate(chosen)[1]:
        chosen = solved
    return chosen, lexicographic(first, second)


def _with_objective(report: SolveReport, objective: float, mip_gap: float, note: str | None) -> SolveReport:
    """``report`` for a choice whose objective is ``objective`` (recomputed exactly, or the fallback's): its
    status and gap re-read against the solver's bound alone."""
    status, gap = honest_status("feasible", objective, report.bound, mip_gap)
    return replace(report, status=status, proven_optimal=status == "optimal", objective=objective, gap=gap, note=note)


def _coverage_milp(profiles: Profiles, count: int) -> Milp:
    """Fewest people beyond the standard: ``y`` per centre, ``r`` per coverage set of two or more centres
    (reached ≤ Σ y of its centres); a one-centre set is its centre's ``y``."""
    sets, weight = profiles.coverage_sets()
    size = np.diff(sets.indptr)
    single = size == 1
    builder = MilpBuilder()
    builder.constant = profiles.left_out + float(weight.sum())
    y_cost = -np.bincount(sets.indices[sets.indptr[:-1][single]], weights=weight[single], minlength=profiles.n_centres)
    y = builder.add_columns(profiles.n_centres, y_cost, 0.0, 1.0, integer=True)
    builder.add_rows(np.zeros(len(y), dtype=np.int64), y, 1.0, count, count, n_rows=1)
    multi = np.flatnonzero(~single)
    if len(multi):
        r = builder.add_columns(len(multi), -weight[multi], 0.0, 1.0)
        part = sets[multi]
        rows = np.repeat(np.arange(len(multi)), np.diff(part.indptr))
        builder.add_rows(
            np.r_[np.arange(len(multi)), rows],
            np.r_[r, y[part.indices]],
            np.r_[np.ones(len(multi)), -np.ones(len(rows))],
            -np.inf,
            0.0,
            n_rows=len(multi),
        )
    return builder.build()


def _coverage_values(profiles: Profiles, chosen: np.ndarray) -> np.ndarray:
    sets, _ = profiles.coverage_sets()
    multi = np.diff(sets.indptr) > 1
    hit = np.asarray(sets[multi] @ chosen.astype(float)).ravel() > 0
    return np.r_[chosen.astype(float), hit.astype(float)]


def _median_milp(profiles: Profiles, count: int, most_left_out: float) -> tuple[Milp, np.ndarray, np.ndarray]:
    """Fewest person-minutes with at most ``most_left_out`` people beyond the standard.

    A profile ``i`` with distinct minutes ``D1 < … < DK`` to two or more centres has ``z_ik`` ("the nearest
    central centre is farther than ``Dk``", ``z_iK``: none within the standard), in chained rows; its
    person-minutes are ``w (D1 + Σ_k<K (D(k+1) − Dk) z_ik − DK z_iK)`` (0 when none reaches it). A one-centre
    profile is a term on its centre's ``y``.

    Returns the MILP and the profile and minutes of each ``z`` column.
    """
    n = profiles.n_centres
    builder = MilpBuilder()
    counts = np.diff(profiles.start)
    single = np.flatnonzero(counts == 1)
    single_centre = profiles.centre[profiles.start[single]]
    y_minutes = np.bincount(
        single_centre, weights=profiles.weight[single] * profiles.minutes[profiles.start[single]], minlength=n
    )
    y_people = np.bincount(single_centre, weights=profiles.weight[single], minlength=n)
    y = builder.add_columns(n, y_minutes, 0.0, 1.0, integer=True)
    builder.add_rows(np.zeros(n, dtype=np.int64), y, 1.0, count, count, n_rows=1)

    z_cost, z_point, z_minutes, last, rows, cols, vals, lower = [], [], [], [], [], [], [], []
    n_rows, n_z = 0, 0
    for i in np.flatnonzero(counts > 1):
        d = profiles.minutes[profiles.start[i] : profiles.start[i + 1]]
        j = profiles.centre[profiles.start[i] : profiles.start[i + 1]]
        distinct, first = np.unique(d, return_index=True)
        k = len(distinct)
        w = profiles.weight[i]
        builder.constant += w * distinct[0]
        z = n + n_z + np.arange(k)
        z_cost.append(w * np.r_[np.diff(distinct), -distinct[-1]])
        z_point.append(np.full(k, i))
        z_minutes.append(distinct)
        last.append((z[-1], w))
        group = np.repeat(np.arange(k), np.diff(np.r_[first, len(d)]))
        # Row g: the centres at exactly D_g, + z_g, − z_(g−1) (g ≥ 1); ≥ 1 for the first row, ≥ 0 after.
        rows += [n_rows + group, n_rows + np.arange(k), n_rows + np.arange(1, k)]
        cols += [y[j], z, z[:-1]]
        vals += [np.ones(len(j)), np.ones(k), -np.ones(k - 1)]
        lower.append(np.r_[1.0, np.zeros(k - 1)])
        n_rows += k
        n_z += k
    builder.add_columns(n_z, np.concatenate(z_cost) if z_cost else 0.0, 0.0, 1.0)
    if n_rows:
        builder.add_rows(
            np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.concatenate(lower), np.inf, n_rows
        )
    # People beyond the standard: left out anyway + one-centre profiles whose centre is not chosen + z_iK.
    fixed_people = profiles.left_out + float(y_people.sum())
    last_columns = np.array([c for c, _ in last], dtype=np.int64)
    last_weights = np.array([w for _, w in last], dtype=float)
    builder.add_rows(
        np.zeros(n + len(last_columns), dtype=np.int64),
        np.r_[y, last_columns],
        np.r_[-y_people, last_weights],
        -np.inf,
        most_left_out - fixed_people,
        n_rows=1,
    )
    joined = [np.concatenate(part) if part else np.zeros(0) for part in (z_point, z_minutes)]
    return builder.build(), joined[0].astype(np.int64), joined[1]


def _median_values(profiles: Profiles, chosen: np.ndarray, z_point: np.ndarray, z_minutes: np.ndarray) -> np.ndarray:
    """The second MILP's columns for a choice: its ``y``, and each ``z``, 1 where the profile's nearest chosen
    centre is farther than the ``z``'s minutes (or none reaches it)."""
    near = np.full(profiles.n, np.inf)
    on = chosen[profiles.centre]
    np.minimum.at(near, profiles.owner[on], profiles.minutes[on])
    return np.r_[chosen.astype(float), (near[z_point] > z_minutes).astype(float)]
