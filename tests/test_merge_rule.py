"""The village merge rule: crafted cases worked by hand, the rows against the rule stated directly on every
layout of small random instances, and the villages built from settlement points.

The brute force below re-states the rule from its definition (the module docstring of
``facility_layout.models.merge_rule``) over dense matrices; it shares no code with the row building.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility_layout.candidates import Sites
from facility_layout.demand import DemandPoints
from facility_layout.models.merge_rule import ROUND_OFF_MINUTES, VillageMerge, VillageMergeRule
from facility_layout.odmatrix import ODMatrix
from facility_layout.villages import adjacent_cells, administrative_villages, villages_from_region

INF = np.inf

# --- crafted: villages A, B, C, D, E ----------------------------------------------------------------------
# A (points 0, 1; site 0) borders B (point 2; site 1); B borders C (point 3; site 2). C's clinic is close to
# A's people but C is not adjacent to A. D (point 4) has nobody; E (point 5) has no site of its own.
# A's people: 2 and 4 min to their own clinic (mean 3), 6 and 10 min to B's (mean 8): +5 min.
MINUTES = np.array(
    [
        [2, 6, 3],
        [4, 10, 3],
        [INF, 1, INF],
        [INF, INF, 1],
        [INF, INF, INF],
        [INF, 2, INF],
    ],
    dtype=float,
)
PEOPLE = np.array([100.0, 100.0, 500.0, 300.0, 0.0, 50.0])
NAMES = np.array(["A", "B", "C", "D", "E"], dtype=object)


def crafted(max_added_minutes: float, village_of_site: tuple[int, ...] = (0, 1, 2)) -> VillageMergeRule:
    return VillageMergeRule(
        village_of_point=np.array([0, 0, 1, 2, 3, 4]),
        village_of_site=np.array(village_of_site),
        adjacent=np.array([[0, 1], [2, 1], [3, 0], [4, 1]]),
        max_added_minutes=max_added_minutes,
        village_names=NAMES,
    )


def test_a_village_may_merge_into_an_adjacent_one_within_the_allowance() -> None:
    rows = crafted(10.0).rows(ODMatrix.from_dense(MINUTES), PEOPLE, np.ones(3, dtype=bool))
    assert rows == {(0, 1): 0, (1,): 1, (2,): 2}


def test_no_merge_beyond_the_allowance() -> None:
    rows = crafted(3.0).rows(ODMatrix.from_dense(MINUTES), PEOPLE, np.ones(3, dtype=bool))
    assert rows == {(0,): 0, (1,): 1, (2,): 2}


def test_the_allowance_is_inclusive() -> None:
    assert crafted(5.0).rows(ODMatrix.from_dense(MINUTES), PEOPLE, np.ones(3, dtype=bool))[(0, 1)] == 0
    assert (0,) in crafted(4.99).rows(ODMatrix.from_dense(MINUTES), PEOPLE, np.ones(3, dtype=bool))


def test_a_village_that_is_not_adjacent_never_appears() -> None:
    # C's clinic is 3 min from both of A's people (0 added minutes), but C does not border A.
    rows = crafted(100.0).rows(ODMatrix.from_dense(MINUTES), PEOPLE, np.ones(3, dtype=bool))
    assert not any(2 in row and village == 0 for row, village in rows.items())


def test_no_row_without_people_or_without_an_own_site() -> None:
    # D has a site (3) but nobody lives there; E has people but no site; B's only site is not eligible.
    minutes = np.column_stack([MINUTES, [INF, INF, INF, INF, 0, INF]])
    rule = crafted(10.0, village_of_site=(0, 1, 2, 3))
    rows = rule.rows(ODMatrix.from_dense(minutes), PEOPLE, np.array([True, False, True, True]))
    assert set(rows.values()) == {0, 2}
    assert rows == {(0,): 0, (2,): 2}


def test_merges_are_explained_with_the_added_minutes() -> None:
    od = ODMatrix.from_dense(MINUTES)
    rule = crafted(10.0)
    merges = rule.explain(np.array([False, True, True]), od, PEOPLE)
    assert merges == [
        VillageMerge(village=0, village_name="A", into=1, into_name="B", people=200.0, added_minutes=5.0, served_by=1)
    ]
    assert rule.explain(np.ones(3, dtype=bool), od, PEOPLE) == []


def test_a_layout_that_breaks_the_rule_still_names_the_best_adjacent_clinic() -> None:
    od = ODMatrix.from_dense(MINUTES)
    merges = crafted(3.0).explain(np.array([False, True, False]), od, PEOPLE)
    # A uses B's clinic for 5 more minutes (beyond N = 3); no open clinic of C's only neighbour B reaches C.
    assert [(m.village, m.into, m.added_minutes) for m in merges] == [(0, 1, 5.0), (2, -1, INF)]
    assert merges[1].served_by == -1 and merges[1].into_name == ""


def test_the_least_added_minutes_win_then_the_lowest_village() -> None:
    # Village 0 (one point, own site 0 at 10 min) borders 1, 2 and 3: their clinics add 2, 1 and 1 minutes.
    minutes = np.array([[10, 12, 11, 11], [INF, 0, INF, INF], [INF, INF, 0, INF], [INF, INF, INF, 0]], dtype=float)
    rule = VillageMergeRule(
        village_of_point=np.arange(4),
        village_of_site=np.arange(4),
        adjacent=np.array([[0, 1], [0, 2], [3, 0]]),
        max_added_minutes=5.0,
        village_names=np.array(["w", "x", "y", "z"], dtype=object),
    )
    od = ODMatrix.from_dense(minutes)
    assert rule.rows(od, np.ones(4), np.ones(4, dtype=bool))[(0, 1, 2, 3)] == 0
    (merge,) = rule.explain(np.array([False, True, True, True]), od, np.ones(4))
    assert (merge.into, merge.into_name, merge.served_by, merge.added_minutes) == (2, "y", 2, 1.0)


def test_one_joint_clinic_must_reach_all_the_people() -> None:
    # Village 0's two people each reach only one of village 1's two clinics: no single clinic serves them both.
    minutes = np.array([[1, 2, INF], [1, INF, 2], [INF, 0, 0]], dtype=float)
    rule = VillageMergeRule(
        village_of_point=np.array([0, 0, 1]),
        village_of_site=np.array([0, 1, 1]),
        adjacent=np.array([[0, 1]]),
        max_added_minutes=60.0,
        village_names=np.array(["near", "far"], dtype=object),
    )
    od = ODMatrix.from_dense(minutes)
    assert rule.rows(od, np.ones(3), np.ones(3, dtype=bool)) == {(0,): 0, (1, 2): 1}
    (merge,) = rule.explain(np.array([False, True, True]), od, np.ones(3))
    assert merge.into == -1 and merge.added_minutes == INF


def test_people_beyond_their_own_clinic_may_merge_into_any_clinic_that_reaches_them() -> None:
    # Point 1 of village 0 reaches no own site: its own minutes are infinite, so 50 minutes more is no loss.
    minutes = np.array([[1, 50], [INF, 50], [INF, 0]], dtype=float)
    rule = VillageMergeRule(
        village_of_point=np.array([0, 0, 1]),
        village_of_site=np.array([0, 1]),
        adjacent=np.array([[1, 0]]),
        max_added_minutes=0.0,
        village_names=np.array(["P", "Q"], dtype=object),
    )
    od = ODMatrix.from_dense(minutes)
    assert rule.rows(od, np.ones(3), np.ones(2, dtype=bool))[(0, 1)] == 0
    (merge,) = rule.explain(np.array([False, True]), od, np.ones(3))
    assert merge.into == 1 and merge.added_minutes == -INF


def test_bad_village_indices_are_refused() -> None:
    with pytest.raises(ValueError, match="village_of_point"):
        VillageMergeRule(np.array([0, 2]), np.array([0]), np.zeros((0, 2)), 5.0, np.array(["a", "b"]))
    with pytest.raises(ValueError, match="adjacent"):
        VillageMergeRule(np.array([0, 1]), np.array([0]), np.array([[0, 2]]), 5.0, np.array(["a", "b"]))
    with pytest.raises(ValueError, match="one value per site"):
        crafted(5.0).rows(ODMatrix.from_dense(MINUTES), PEOPLE, np.ones(4, dtype=bool))


# --- brute force: the rule stated directly --------------------------------------------------------------


def mean_minutes(minutes: np.ndarray, people: np.ndarray) -> float:
    """Population-weighted mean; infinite if anyone is out of reach."""
    if np.isinf(minutes).any():
        return INF
    return float((people * minutes).sum() / people.sum())


def merge_options(
    minutes: np.ndarray, people: np.ndarray, eligible: np.ndarray, rule: VillageMergeRule, is_open: np.ndarray, v: int
) -> list[tuple[float, int, int]]:
    """(added minutes, adjacent village, site) for each open eligible clinic of a village adjacent to ``v`` that
    reaches all of ``v``'s people; added minutes against the nearest of ``v``'s own eligible sites."""
    mine = [i for i in range(len(people)) if rule.village_of_point[i] == v and people[i] > 0]
    own = [j for j in range(len(eligible)) if eligible[j] and rule.village_of_site[j] == v]
    w = people[mine]
    own_minutes = mean_minutes(minutes[np.ix_(mine, own)].min(axis=1), w)
    borders = {int(b) for a, b in rule.adjacent if a == v} | {int(a) for a, b in rule.adjacent if b == v}
    options = []
    for j in range(len(eligible)):
        u = int(rule.village_of_site[j])
        if eligible[j] and is_open[j] and u in borders - {v} and mean_minutes(minutes[mine, j], w) < INF:
            options.append((mean_minutes(minutes[mine, j], w) - own_minutes, u, j))
    return sorted(options)


def rule_met(
    minutes: np.ndarray,
    people: np.ndarray,
    eligible: np.ndarray,
    rule: VillageMergeRule,
    is_open: np.ndarray,
) -> bool:
    """Every village with people and an own eligible site keeps an open one, or uses one open eligible clinic
    of an adjacent village that reaches all its people for at most N minutes more than its own sites."""
    for v in range(rule.n_villages):
        mine = ((rule.village_of_point == v) & (people > 0)).any()
        own = (eligible & (rule.village_of_site == v)).any()
        if not mine or not own or (is_open & eligible & (rule.village_of_site == v)).any():
            continue
        options = merge_options(minutes, people, eligible, rule, is_open, v)
        if not any(added <= rule.max_added_minutes + ROUND_OFF_MINUTES for added, _, _ in options):
            return False
    return True


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, VillageMergeRule]:
    """Up to 4 villages, 7 points and 6 sites; mostly eligible sites, mostly finite minutes, so that merges
    within and just beyond N are common (boundary cases included: whole minutes, N whole)."""
    n_villages = draw(st.integers(2, 4))
    n_points = draw(st.integers(2, 7))
    n_sites = draw(st.integers(3, 6))
    # About one point or site in ten outside every village; one pair in eight beyond the cutoff.
    village = st.integers(0, 10 * n_villages - 1).map(lambda k: k % n_villages if k < 9 * n_villages else -1)
    # Whole minutes and people: every mean is then computed exactly enough to compare at the boundary.
    entry = st.integers(0, 15).map(lambda k: float(k) if k <= 13 else INF)
    minutes = np.array(draw(st.lists(entry, min_size=n_points * n_sites, max_size=n_points * n_sites)))
    people = np.array(draw(st.lists(st.integers(0, 4), min_size=n_points, max_size=n_points)), dtype=float)
    eligible = np.array(draw(st.lists(st.sampled_from([True, True, True, False]), min_size=n_sites, max_size=n_sites)))
    # Each pair of villages adjacent or not, drawn in either order, sometimes a village with itself.
    pairs = [
        (a, b) if draw(st.booleans()) else (b, a)
        for a, b in itertools.combinations_with_replacement(range(n_villages), 2)
        if draw(st.sampled_from([True, True, False]) if a != b else st.booleans())
    ]
    rule = VillageMergeRule(
        village_of_point=np.array(draw(st.lists(village, min_size=n_points, max_size=n_points))),
        village_of_site=np.array(draw(st.lists(village, min_size=n_sites, max_size=n_sites))),
        adjacent=np.array(pairs, dtype=np.int64).reshape(-1, 2),
        max_added_minutes=float(draw(st.integers(0, 8))),
        village_names=np.array([f"v{k}" for k in range(n_villages)], dtype=object),
    )
    return minutes.reshape(n_points, n_sites), people, eligible, rule


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_rows_hold_exactly_when_the_rule_does(instance: tuple) -> None:
    minutes, people, eligible, rule = instance
    od = ODMatrix.from_dense(minutes)
    rows = rule.rows(od, people, eligible)
    subject = {
        v
        for v in range(rule.n_villages)
        if ((rule.village_of_point == v) & (people > 0)).any() and ((rule.village_of_site == v) & eligible).any()
    }
    assert set(rows.values()) <= subject
    assert all(all(eligible[j] for j in row) for row in rows)
    for mask in itertools.product([False, True], repeat=len(eligible)):
        is_open = np.array(mask)
        rows_met = all(is_open[list(row)].any() for row in rows)
        assert rows_met == rule_met(minutes, people, eligible, rule, is_open), mask

        merges = rule.explain(is_open & eligible, od, people, eligible)
        without_own = {v for v in subject if not (is_open & eligible & (rule.village_of_site == v)).any()}
        assert [m.village for m in merges] == sorted(without_own)
        if rows_met:
            assert all(m.into >= 0 and m.added_minutes <= rule.max_added_minutes + ROUND_OFF_MINUTES for m in merges)
        for m in merges:
            mine = (rule.village_of_point == m.village) & (people > 0)
            assert m.people == people[mine].sum()
            options = merge_options(minutes, people, eligible, rule, is_open, m.village)
            best = options[0] if options else (INF, -1, -1)
            assert (m.added_minutes, m.into, m.served_by) == best


# --- villages from settlement points --------------------------------------------------------------------


def grid_of_settlements() -> tuple[np.ndarray, np.ndarray]:
    """A 3 × 3 block of settlements 1 km apart, numbered row by row from the south-west."""
    x, y = np.meshgrid(np.arange(3) * 1000.0, np.arange(3) * 1000.0)
    return x.ravel(), y.ravel()


def test_a_grid_of_settlements_borders_its_four_neighbours_not_the_diagonals() -> None:
    x, y = grid_of_settlements()
    expected = [(0, 1), (0, 3), (1, 2), (1, 4), (2, 5), (3, 4), (3, 6), (4, 5), (4, 7), (5, 8), (6, 7), (7, 8)]
    assert [tuple(p) for p in adjacent_cells(np.column_stack([x, y])).tolist()] == expected


def test_points_and_sites_belong_to_their_nearest_settlement() -> None:
    x, y = grid_of_settlements()
    names = np.array([f"village {k}" for k in range(9)], dtype=object)
    demand_x, demand_y = np.array([100.0, 1900.0, 1100.0, 2400.0]), np.array([-50.0, 2100.0, 900.0, 450.0])
    site_x, site_y = np.array([0.0, 2000.0, 990.0]), np.array([20.0, 1010.0, 1400.0])
    rule = administrative_villages(demand_x, demand_y, site_x, site_y, x, y, names, 7.5)
    assert rule.village_of_point.tolist() == [0, 8, 4, 2]
    assert rule.village_of_site.tolist() == [0, 5, 4]
    assert rule.max_added_minutes == 7.5 and list(rule.village_names) == list(names)
    assert [n.tolist() for n in rule.neighbours()][4] == [1, 3, 5, 7]


def test_settlements_on_a_line_border_the_next_one_along_it() -> None:
    # Given out of order along the diagonal line y = x.
    points = np.array([[2.0, 2.0], [0.0, 0.0], [3.0, 3.0], [1.0, 1.0]])
    assert adjacent_cells(points).tolist() == [[0, 2], [0, 3], [1, 3]]
    assert adjacent_cells(points[:2]).tolist() == [[0, 1]]
    assert adjacent_cells(points[:1]).shape == (0, 2)


def test_few_or_repeated_settlements() -> None:
    none = administrative_villages(
        np.array([1.0]), np.array([1.0]), np.array([0.0]), np.array([0.0]), [], [], np.array([], dtype=object), 5.0
    )
    assert none.village_of_point.tolist() == [-1] and none.village_of_site.tolist() == [-1]
    assert none.rows(ODMatrix.from_dense(np.array([[1.0]])), np.array([10.0]), np.array([True])) == {}
    # The second settlement stands where the first does: the first takes its people and borders.
    twice = administrative_villages(
        np.array([0.0, 900.0]), np.array([0.0, 0.0]), [], [], [0.0, 0.0, 1000.0], [0.0, 0.0, 0.0], ["a", "a2", "b"], 5
    )
    assert twice.village_of_point.tolist() == [0, 2]
    assert twice.adjacent.tolist() == [[0, 2]]


def test_villages_from_region_uses_the_pipeline_arrays() -> None:
    x, y = grid_of_settlements()
    settlements = gpd.GeoDataFrame(
        {"name": [f"v{k}" for k in range(9)], "place": ["village"] * 8 + ["hamlet"]},
        geometry=shapely.points(x, y),
        crs="EPSG:32650",
    )
    demand = DemandPoints(
        x=np.array([2000.0]),
        y=np.array([1900.0]),
        population=np.array([40.0]),
        cell_id=np.array(["c0_0"], dtype=object),
        cell_size_m=500.0,
        raw_total=40.0,
    )
    sites = Sites(
        site_id=np.array(["s1"], dtype=object),
        name=np.array(["clinic"], dtype=object),
        kind=np.array(["existing_clinic"], dtype=object),
        x=np.array([0.0]),
        y=np.array([0.0]),
        cost=np.array([1.0]),
        centre_index=np.array([-1]),
    )
    assert villages_from_region(settlements, demand, sites, 5.0).village_of_point.tolist() == [8]
    without_hamlets = villages_from_region(settlements, demand, sites, 5.0, places=["village"])
    assert without_hamlets.village_of_point.tolist() == [5] and len(without_hamlets.village_names) == 8
