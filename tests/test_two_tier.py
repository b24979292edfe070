"""The two-tier model against brute force on small random instances, and each rule binding on a crafted case.

The brute force below re-states the rules from their definitions (docs/model.md; the village merge rule from
the docstring of facility_layout/models/merge_rule.py) and enumerates every layout; it shares no code with the
model's constraint building.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from facility_layout.models.base import InfeasibleLayoutError
from facility_layout.models.merge_rule import VillageMergeRule
from facility_layout.models.two_tier import CANDIDATE, EXISTING_CLINIC, TOWNSHIP_CENTRE, Future, TwoTier

from conftest import on_each_solver

INF = np.inf


@dataclass
class Villages:
    of_point: np.ndarray  # village per demand point, -1 for none
    of_site: np.ndarray  # village per site, -1 for none
    adjacent: list[tuple[int, int]]
    max_added: float
    count: int

    def rule(self) -> VillageMergeRule:
        return VillageMergeRule(
            self.of_point,
            self.of_site,
            np.array(self.adjacent, dtype=np.int64).reshape(-1, 2),
            self.max_added,
            np.array([f"v{k}" for k in range(self.count)], dtype=object),
        )


@dataclass
class Later:
    """A future: other minutes and other people on the same points and sites."""

    to_site: np.ndarray
    population: np.ndarray
    probability: float | None = None


@dataclass
class Instance:
    to_site: np.ndarray  # demand × site minutes, inf = out of reach
    to_centre: np.ndarray  # site × centre minutes
    population: np.ndarray
    kind: np.ndarray
    cost: np.ndarray
    standard: float = 30.0
    referral: float = 40.0
    remote_keep: float | None = 20.0
    centre_standard: float = 45.0
    central_count: int = 1
    required: tuple[int, ...] = ()
    forbidden: tuple[int, ...] = ()
    close_cost: np.ndarray | None = None
    villages: Villages | None = None
    futures: tuple[Later, ...] = ()
    robust: str = "all"

    def closing(self) -> np.ndarray:
        return np.zeros(len(self.kind)) if self.close_cost is None else self.close_cost

    def model(self, **changes: object) -> TwoTier:
        settings_ = {
            "max_travel_minutes": self.standard,
            "referral_max_minutes": self.referral,
            "remote_keep_minutes": self.remote_keep,
            "centre_max_travel_minutes": self.centre_standard,
            "central_count": self.central_count,
            "required": list(self.required),
            "forbidden": list(self.forbidden),
            "close_cost": self.close_cost,
            "merge_rule": None if self.villages is None else self.villages.rule(),
            "futures": [Future(f"f{k}", f.to_site, f.population, f.probability) for k, f in enumerate(self.futures)],
            "robust": self.robust,
            **changes,
        }
        return TwoTier.from_cost_matrix(
            self.to_site, self.to_centre, self.population, self.kind, self.cost, **settings_
        )


# --- the rules, stated directly ------------------------------------------------------------------------


def layout_allowed(inst: Instance, is_open: np.ndarray) -> bool:
    """Centres open; new clinics only with a centre in referral reach; remote clinics kept where required."""
    centre = inst.kind == TOWNSHIP_CENTRE
    if not is_open[centre].all() or not is_open[list(inst.required)].all() or is_open[list(inst.forbidden)].any():
        return False
    referable = (inst.to_centre <= inst.referral).any(axis=1)
    if (is_open & (inst.kind == CANDIDATE) & ~referable).any():
        return False
    if not merge_rule_holds(inst, is_open):
        return False
    if inst.remote_keep is None:
        return True
    existing = inst.kind != CANDIDATE
    for i in range(len(inst.population)):
        minutes = np.where(existing, inst.to_site[i], INF)
        if not np.isfinite(minutes.min()):
            continue
        e = int(np.argmin(minutes))  # lowest index on ties
        if inst.kind[e] != EXISTING_CLINIC or minutes[e] > inst.remote_keep or is_open[e]:
            continue
        others = is_open.copy()
        others[e] = False
        if not (others & (inst.to_site[i] <= inst.remote_keep)).any():
            return False
    return True


def merge_rule_holds(inst: Instance, is_open: np.ndarray) -> bool:
    """Every village with people and an own site (forbidden or not) has an open site of its own, or an open
    site of an adjacent village that reaches all its people and adds at most N mean minutes."""
    v = inst.villages
    if v is None:
        return True
    sites = (inst.kind != CANDIDATE) | (inst.to_centre <= inst.referral).any(axis=1)

    def mean_minutes(points: np.ndarray, chosen: list[int]) -> float:
        nearest = inst.to_site[np.ix_(points, chosen)].min(axis=1)
        return float(np.average(nearest, weights=inst.population[points])) if np.isfinite(nearest).all() else INF

    for village in range(v.count):
        points = np.flatnonzero((v.of_point == village) & (inst.population > 0))
        own = [j for j in range(len(sites)) if sites[j] and v.of_site[j] == village]
        if not len(points) or not own:
            continue
        own_minutes = mean_minutes(points, own)
        neighbours = {b for a, b in v.adjacent if a == village} | {a for a, b in v.adjacent if b == village}
        shared = [
            j
            for j in range(len(sites))
            if sites[j]
            and v.of_site[j] in neighbours - {village}
            and np.isfinite(mean_minutes(points, [j]))
            and mean_minutes(points, [j]) - own_minutes <= v.max_added + 1e-9
        ]
        if not is_open[own + shared].any():
            return False
    return True


def eligible(inst: Instance) -> np.ndarray:
    allowed = np.ones(len(inst.kind), dtype=bool)
    allowed[list(inst.forbidden)] = False
    return ((inst.kind != CANDIDATE) | (inst.to_centre <= inst.referral).any(axis=1)) & allowed


def uncovered_people(inst: Instance, is_open: np.ndarray) -> float:
    coverable = ((inst.to_site <= inst.standard) & eligible(inst)).any(axis=1)
    covered = ((inst.to_site <= inst.standard) & is_open).any(axis=1)
    return float(inst.population[coverable & ~covered].sum())


def shortfalls(inst: Instance, is_open: np.ndarray) -> list[float]:
    """People beyond the standard today and in each future (each future's own uncoverable points left out)."""
    return [
        uncovered_people(dataclasses.replace(inst, to_site=f.to_site, population=f.population), is_open)
        for f in [Later(inst.to_site, inst.population), *inst.futures]
    ]


def shortfall(inst: Instance, is_open: np.ndarray) -> float:
    """What max_coverage minimises: over the futures summed, the worst one, or the probability-weighted sum."""
    people = shortfalls(inst, is_open)
    if inst.robust == "worst":
        return max(people)
    if inst.robust == "expected":
        chances = [f.probability for f in inst.futures]
        return float(np.dot([1 - sum(chances), *chances], people))
    return sum(people)


def layout_cost(inst: Instance, is_open: np.ndarray) -> float:
    closed = ~is_open & (inst.kind == EXISTING_CLINIC)
    return float(inst.cost[is_open & (inst.kind != TOWNSHIP_CENTRE)].sum() + inst.closing()[closed].sum())


def all_layouts(inst: Instance):
    closable = np.flatnonzero(inst.kind != TOWNSHIP_CENTRE)
    for bits in itertools.product([False, True], repeat=len(closable)):
        is_open = inst.kind == TOWNSHIP_CENTRE
        is_open[closable[list(bits)]] = True
        if layout_allowed(inst, is_open):
            yield is_open


def brute_min_cost(inst: Instance) -> float | None:
    costs = [layout_cost(inst, o) for o in all_layouts(inst) if not any(shortfalls(inst, o))]
    return min(costs) if costs else None


def brute_max_coverage(inst: Instance, budget: float) -> tuple[float, float] | None:
    options = [(shortfall(inst, o), layout_cost(inst, o)) for o in all_layouts(inst)]
    options = [o for o in options if o[1] <= budget + 1e-9]
    return min(options) if options else None


def brute_central(inst: Instance) -> tuple[float, float]:
    """(people beyond the township standard of any central centre, person-minutes of the others)."""
    centres = np.flatnonzero(inst.kind == TOWNSHIP_CENTRE)
    best = None
    for chosen in itertools.combinations(centres, inst.central_count):
        minutes = inst.to_site[:, list(chosen)].min(axis=1)
        within = minutes <= inst.centre_standard
        value = (
            float(inst.population[~within].sum()),
            float((inst.population[within] * minutes[within]).sum()),
        )
        best = value if best is None or value < best else best
    assert best is not None
    return best


# --- random instances ----------------------------------------------------------------------------------


@st.composite
def instances(draw) -> Instance:
    n_centres = draw(st.integers(1, 3))
    n_existing = draw(st.integers(0, 4))
    n_new = draw(st.integers(0, 3))
    n_demand = draw(st.integers(1, 8))
    kind = np.array([TOWNSHIP_CENTRE] * n_centres + [EXISTING_CLINIC] * n_existing + [CANDIDATE] * n_new, dtype=object)
    n_sites = len(kind)
    minutes = st.one_of(st.integers(0, 60).map(float), st.just(INF))
    to_site = np.array(draw(st.lists(minutes, min_size=n_demand * n_sites, max_size=n_demand * n_sites)))
    to_centre = np.array(draw(st.lists(minutes, min_size=n_sites * n_centres, max_size=n_sites * n_centres)))
    to_centre = to_centre.reshape(n_sites, n_centres)
    to_centre[np.arange(n_centres), np.arange(n_centres)] = 0.0  # a centre refers to itself
    population = np.array(draw(st.lists(st.integers(1, 500), min_size=n_demand, max_size=n_demand)), dtype=float)
    keep_cost = draw(st.sampled_from([0.5, 1.0, 2.0]))
    build_cost = draw(st.sampled_from([1.0, 1.5, 3.0]))
    cost = np.where(kind == CANDIDATE, build_cost, np.where(kind == EXISTING_CLINIC, keep_cost, 0.0))
    clinics = list(range(n_centres, n_sites))
    fixed = draw(st.lists(st.sampled_from(clinics), max_size=2, unique=True)) if clinics else []
    n_required = draw(st.integers(0, len(fixed)))
    close_cost = draw(st.sampled_from([None, 0.5, 1.5]))
    villages = draw(st.one_of(st.none(), village_rules(n_demand, n_sites)))
    return Instance(
        to_site=to_site.reshape(n_demand, n_sites),
        to_centre=to_centre,
        population=population,
        kind=kind,
        cost=cost,
        remote_keep=draw(st.sampled_from([None, 10.0, 20.0, 45.0])),
        central_count=draw(st.integers(0, n_centres)),
        required=tuple(fixed[:n_required]),
        forbidden=tuple(fixed[n_required:]),
        close_cost=None if close_cost is None else np.where(kind == EXISTING_CLINIC, close_cost, 0.0),
        villages=villages,
    )


@st.composite
def village_rules(draw, n_demand: int, n_sites: int) -> Villages:
    count = draw(st.integers(1, 3))
    village = st.integers(-1, count - 1)
    pairs = [(a, b) for a in range(count) for b in range(a + 1, count)]
    return Villages(
        of_point=np.array(draw(st.lists(village, min_size=n_demand, max_size=n_demand))),
        of_site=np.array(draw(st.lists(village, min_size=n_sites, max_size=n_sites))),
        adjacent=draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else [],
        max_added=draw(st.sampled_from([0.0, 5.0, 15.0, 40.0])),
        count=count,
    )


@st.composite
def with_futures(draw) -> Instance:
    """An instance with one or two futures besides today (random minutes, people and probabilities)."""
    inst = draw(instances())
    n_demand, n_sites = inst.to_site.shape
    minutes = st.one_of(st.integers(0, 60).map(float), st.just(INF))
    futures = []
    for _ in range(draw(st.integers(1, 2))):
        to_site = np.array(draw(st.lists(minutes, min_size=n_demand * n_sites, max_size=n_demand * n_sites)))
        people = draw(st.lists(st.integers(0, 500), min_size=n_demand, max_size=n_demand))
        futures.append(
            Later(
                to_site.reshape(n_demand, n_sites),
                np.array(people, dtype=float),
                draw(st.sampled_from([0.1, 0.3, 0.45])),
            )
        )
    return dataclasses.replace(inst, futures=tuple(futures), robust=draw(st.sampled_from(["all", "worst", "expected"])))


# Examples per test come from the hypothesis profile (tests/conftest.py): 60 by default,
# HYPOTHESIS_PROFILE=thorough for 1,000. HiGHS keeps the half it had when the solver was drawn at random;
# CBC checks its binding on a third of that (conftest.on_each_solver).
EXAMPLES = settings.default.max_examples // 2


@on_each_solver(EXAMPLES, inst=instances())
def test_min_cost_matches_brute_force(inst: Instance, solver: str) -> None:
    if not eligible(inst)[list(inst.required)].all():
        with pytest.raises(ValueError, match="no township centre within the referral"):
            inst.model()
        return
    truth = brute_min_cost(inst)
    if truth is None:  # a forbidden clinic that the remote-keep or the village merge rule protects
        with pytest.raises(InfeasibleLayoutError, match="forbidden"):
            inst.model().solve(solver=solver)
        return
    result = inst.model().solve(solver=solver)
    assert result.report.proven_optimal and result.report.status in {"optimal", "not_needed"}
    assert layout_allowed(inst, result.open_sites)
    assert not any(shortfalls(inst, result.open_sites))
    assert result.cost == pytest.approx(truth)
    if inst.villages is not None:  # every merge the result reports keeps within the allowance
        assert all(m.added_minutes <= inst.villages.max_added + 1e-9 for m in result.merges)
    # Nobody is assigned beyond the standard or to a closed site, and the uncoverable are exactly those
    # no eligible site reaches.
    served = result.assignment >= 0
    assert (result.assignment_minutes[served] <= inst.standard).all()
    assert result.open_sites[result.assignment[served]].all()
    coverable = ((inst.to_site <= inst.standard) & eligible(inst)).any(axis=1)
    np.testing.assert_array_equal(result.uncoverable, ~coverable)
    np.testing.assert_array_equal(served, coverable)
    # A clinic is reported as kept by the remote-keep rule exactly when closing it alone breaks that rule.
    unrequired = dataclasses.replace(inst, required=(), villages=None)
    for e in np.flatnonzero(result.open_sites & (inst.kind == EXISTING_CLINIC)):
        without = result.open_sites.copy()
        without[e] = False
        assert result.forced_open[e] == (not layout_allowed(unrequired, without))


@on_each_solver(EXAMPLES, inst=instances(), budget_share=st.floats(0.0, 1.0))
def test_max_coverage_matches_brute_force(inst: Instance, budget_share: float, solver: str) -> None:
    if not eligible(inst)[list(inst.required)].all():
        return  # refused when the model is built; test_min_cost_matches_brute_force checks that
    budget = round(budget_share * float(inst.cost.sum() + inst.closing().sum()), 2)
    truth = brute_max_coverage(inst, budget)
    model = inst.model(objective="max_coverage", budget=budget)
    if truth is None and brute_min_cost(inst) is None and not any(True for _ in all_layouts(inst)):
        with pytest.raises(InfeasibleLayoutError, match="forbidden"):
            model.solve(solver=solver)
        return
    if truth is None:
        with pytest.raises(InfeasibleLayoutError) as err:
            model.solve(solver=solver)
        assert err.value.needed_budget is not None and err.value.needed_budget > budget
        return
    result = model.solve(solver=solver)
    assert result.report.proven_optimal and result.report.gap == pytest.approx(0, abs=1e-6)
    assert layout_allowed(inst, result.open_sites)
    assert result.cost <= budget + 1e-9
    uncovered = shortfall(inst, result.open_sites)
    assert (uncovered, result.cost) == pytest.approx(truth)


@on_each_solver(EXAMPLES, inst=with_futures())
def test_min_cost_with_futures_matches_brute_force(inst: Instance, solver: str) -> None:
    if not eligible(inst)[list(inst.required)].all() or brute_min_cost(inst) is None:
        return  # refused, as test_min_cost_matches_brute_force checks
    result = inst.model().solve(solver=solver)
    assert result.report.proven_optimal
    assert layout_allowed(inst, result.open_sites) and not any(shortfalls(inst, result.open_sites))
    assert result.cost == pytest.approx(brute_min_cost(inst))
    # Adding futures never lowers the optimum: today's layout need not hold up in them.
    today = dataclasses.replace(inst, futures=())
    assert today.model().solve(solver=solver).cost <= result.cost + 1e-9
    figures = result.future_figures
    assert [f["name"] for f in figures] == ["today", *(f"f{k}" for k in range(len(inst.futures)))]
    assert all(f["uncovered"] == 0 for f in figures)
    assert [f["population"] for f in figures] == pytest.approx(
        [inst.population.sum(), *(f.population.sum() for f in inst.futures)]
    )


@on_each_solver(EXAMPLES, inst=with_futures(), budget_share=st.floats(0.0, 1.0))
def test_max_coverage_over_futures_matches_brute_force(inst: Instance, budget_share: float, solver: str) -> None:
    if not eligible(inst)[list(inst.required)].all() or brute_min_cost(inst) is None:
        return  # refused, as test_min_cost_matches_brute_force checks
    budget = round(budget_share * float(inst.cost.sum() + inst.closing().sum()), 2)
    truth = brute_max_coverage(inst, budget)
    model = inst.model(objective="max_coverage", budget=budget)
    if truth is None:
        with pytest.raises(InfeasibleLayoutError):
            model.solve(solver=solver)
        return
    result = model.solve(solver=solver)
    assert result.report.proven_optimal
    assert layout_allowed(inst, result.open_sites) and result.cost <= budget + 1e-9
    assert (shortfall(inst, result.open_sites), result.cost) == pytest.approx(truth)
    uncovered = [f["uncovered"] for f in result.future_figures]
    assert uncovered == pytest.approx(shortfalls(inst, result.open_sites), abs=0.01)


@on_each_solver(EXAMPLES, inst=instances())
def test_central_centres_match_brute_force(inst: Instance, solver: str) -> None:
    if not eligible(inst)[list(inst.required)].all() or brute_min_cost(inst) is None:
        return  # refused, as test_min_cost_matches_brute_force checks
    result = inst.model().solve(solver=solver)
    assert result.central_report.proven_optimal
    assert result.central.sum() == inst.central_count
    if inst.central_count == 0:
        return
    chosen = np.flatnonzero(inst.kind == TOWNSHIP_CENTRE)[result.central]
    minutes = inst.to_site[:, chosen].min(axis=1)
    within = minutes <= inst.centre_standard
    found = (float(inst.population[~within].sum()), float((inst.population[within] * minutes[within]).sum()))
    assert found == pytest.approx(brute_central(inst))


# --- each rule binds on a crafted case -----------------------------------------------------------------


def one_valley(remote_keep: float | None) -> Instance:
    """A village 5 min from its clinic and 25 min from the township centre (standard 30)."""
    return Instance(
        to_site=np.array([[25.0, 5.0]]),
        to_centre=np.array([[0.0], [30.0]]),
        population=np.array([800.0]),
        kind=np.array([TOWNSHIP_CENTRE, EXISTING_CLINIC], dtype=object),
        cost=np.array([0.0, 1.0]),
        remote_keep=remote_keep,
    )


def test_remote_keep_rule_binds() -> None:
    without = one_valley(None).model().solve()
    assert not without.open_sites[1] and without.cost == 0  # the centre is within the standard: merge
    assert without.merged_into[1] == 0
    kept = one_valley(20.0).model().solve()
    assert kept.open_sites[1] and kept.forced_open[1] and kept.cost == 1
    assert kept.remote_sole_clinic.tolist() == [1]  # the village's only clinic within 20 min
    relaxed = one_valley(30.0).model().solve()  # the centre is within 30 min: closing is allowed
    assert not relaxed.open_sites[1]


def two_villages(referral: float) -> Instance:
    """Two villages with their own clinics; a new site between them could serve both more cheaply,
    but it lies 50 min from the only township centre."""
    return Instance(
        to_site=np.array([[INF, 10.0, INF, 20.0], [INF, INF, 10.0, 20.0]]),
        to_centre=np.array([[0.0], [40.0], [40.0], [50.0]]),
        population=np.array([300.0, 400.0]),
        kind=np.array([TOWNSHIP_CENTRE, EXISTING_CLINIC, EXISTING_CLINIC, CANDIDATE], dtype=object),
        cost=np.array([0.0, 1.0, 1.0, 1.5]),
        referral=referral,
        remote_keep=None,
    )


def test_referral_rule_binds() -> None:
    loose = two_villages(referral=60).model().solve()
    assert loose.open_sites.tolist() == [True, False, False, True] and loose.cost == 1.5
    assert loose.referral[3] == 0 and loose.referral_minutes[3] == 50
    tight = two_villages(referral=45).model().solve()
    assert tight.open_sites.tolist() == [True, True, True, False] and tight.cost == 2
    assert (tight.referral_minutes[1:3] <= 45).all() and len(tight.referral_violations) == 0


def two_adjacent_villages(max_added: float) -> Instance:
    """Village v0 (300 people) 5 min from its clinic and 12 min from v1's; v1 (500 people) 4 min from its own
    and 20 min from v0's. v1's clinic alone meets the 30-min standard for both."""
    return Instance(
        to_site=np.array([[INF, 5.0, 12.0], [INF, 20.0, 4.0]]),
        to_centre=np.array([[0.0], [20.0], [20.0]]),
        population=np.array([300.0, 500.0]),
        kind=np.array([TOWNSHIP_CENTRE, EXISTING_CLINIC, EXISTING_CLINIC], dtype=object),
        cost=np.array([0.0, 1.0, 1.0]),
        remote_keep=None,
        central_count=0,
        villages=Villages(np.array([0, 1]), np.array([-1, 0, 1]), [(0, 1)], max_added, 2),
    )


def test_village_merge_rule_binds_and_explains_the_merge() -> None:
    strict = two_adjacent_villages(3.0).model()
    assert strict.solve().open_sites.tolist() == [True, True, True]  # +7 min > 3
    assert strict.planning_rows() == [(1,), (2,)]  # what the classic objectives get as keep_one_of
    assert two_adjacent_villages(10.0).model().planning_rows() == [(1, 2), (2,)]
    merged = two_adjacent_villages(10.0).model().solve()
    assert merged.open_sites.tolist() == [True, False, True] and merged.cost == 1
    (merge,) = merged.merges
    assert (merge.village_name, merge.into_name, merge.served_by) == ("v0", "v1", 2)
    assert merge.people == 300 and merge.added_minutes == pytest.approx(7.0)
    # Without the rule the same layout wins, with nothing to explain.
    assert dataclasses.replace(two_adjacent_villages(3.0), villages=None).model().solve().merges == []


def test_village_merge_rule_with_only_forbidden_clinics_names_the_village() -> None:
    inst = dataclasses.replace(two_adjacent_villages(3.0), forbidden=(1,))
    with pytest.raises(InfeasibleLayoutError, match="village v0: its clinics \\[1\\] are forbidden"):
        inst.model().solve()


def test_unreachable_village_is_reported_not_fatal() -> None:
    inst = one_valley(None)
    inst.to_site = np.array([[25.0, 5.0], [INF, 70.0]])
    inst.population = np.array([800.0, 120.0])
    result = inst.model().solve()
    assert result.uncoverable.tolist() == [False, True]
    assert result.assignment[1] == -1 and not np.isfinite(result.assignment_minutes[1])


def test_budget_too_small_says_by_how_much() -> None:
    inst = one_valley(20.0)  # the remote rule forces the clinic (cost 1) open
    with pytest.raises(InfeasibleLayoutError, match="short") as err:
        inst.model(objective="max_coverage", budget=0.5).solve()
    assert err.value.needed_budget == pytest.approx(1.0)


def test_same_inputs_same_layout() -> None:
    rng = np.random.default_rng(4)
    n_demand, kinds = 40, [TOWNSHIP_CENTRE] * 2 + [EXISTING_CLINIC] * 8 + [CANDIDATE] * 6
    to_site = np.where(rng.random((n_demand, len(kinds))) < 0.4, rng.integers(0, 40, (n_demand, len(kinds))), INF)
    inst = Instance(
        to_site=to_site.astype(float),
        to_centre=rng.integers(0, 50, (len(kinds), 2)).astype(float),
        population=rng.integers(10, 300, n_demand).astype(float),
        kind=np.array(kinds, dtype=object),
        cost=np.array([0.0 if k == TOWNSHIP_CENTRE else 1.0 if k == EXISTING_CLINIC else 2.0 for k in kinds]),
    )
    first = inst.model().solve()
    again = inst.model().solve()
    np.testing.assert_array_equal(first.open_sites, again.open_sites)
    np.testing.assert_array_equal(first.assignment, again.assignment)
    assert first.cost == pytest.approx(brute_min_cost(inst))


def test_cost_stage_of_max_coverage_finds_the_cheapest_layout() -> None:
    """Found by hypothesis: with continuous coverage variables, CBC's preprocessing called a layout of
    cost 1.5 optimal where 1.0 covers the same people."""
    inst = Instance(
        to_site=np.array([[INF, INF, 0.0, INF], [INF, 0.0, INF, 0.0]]),
        to_centre=np.array([[0.0], [INF], [INF], [0.0]]),
        population=np.array([1.0, 1.0]),
        kind=np.array([TOWNSHIP_CENTRE, EXISTING_CLINIC, EXISTING_CLINIC, CANDIDATE], dtype=object),
        cost=np.array([0.0, 0.5, 0.5, 1.0]),
        remote_keep=None,
        central_count=0,
    )
    for solver in ("cbc", "highs"):
        result = inst.model(objective="max_coverage", budget=4.5).solve(solver=solver)
        assert uncovered_people(inst, result.open_sites) == 0
        assert result.cost == pytest.approx(1.0) == pytest.approx(brute_max_coverage(inst, 4.5)[1])
