"""Every scenario objective through the two-tier frame: brute force over the layouts the planning rules
allow (township centres open, referral limit, remote keep), and through a real run of a generated county.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from facility_layout.errors import ScenarioError
from facility_layout.models.base import InfeasibleLayoutError
from facility_layout.models.objectives import Objective, solve_layout
from facility_layout.models.two_tier import CANDIDATE, EXISTING_CLINIC, TOWNSHIP_CENTRE
from facility_layout.pipeline import run
from facility_layout.scenario import load_scenario

from conftest import on_each_solver, scenario_on_region
from test_two_tier import EXAMPLES, INF, Instance, all_layouts, eligible, instances, layout_cost


def nearest(inst: Instance, is_open: np.ndarray) -> np.ndarray:
    return np.where(is_open[None, :], inst.to_site, INF).min(axis=1)


def cheap_to_keep(inst: Instance) -> np.ndarray:
    keep_anyway = (inst.kind == EXISTING_CLINIC) & (inst.cost <= inst.closing())
    keep_anyway[list(inst.forbidden)] = False
    return keep_anyway


def frame_layouts(inst: Instance, clinics: int | None = None):
    """Layouts the planning rules allow, with clinics kept anyway open, and ``clinics`` village clinics."""
    for is_open in all_layouts(inst):
        if (is_open | ~cheap_to_keep(inst)).all() and (
            clinics is None or (is_open & (inst.kind != TOWNSHIP_CENTRE)).sum() == clinics
        ):
            yield is_open


def reached(inst: Instance) -> np.ndarray:
    return (np.isfinite(inst.to_site) & eligible(inst)).any(axis=1)


def truth(inst: Instance, objective: Objective) -> float | None:
    """The best objective value over the allowed layouts, from the definitions (None: no layout)."""
    coverable = ((inst.to_site <= inst.standard) & eligible(inst)).any(axis=1)
    values = []
    for is_open in frame_layouts(inst, objective.clinics):
        near = nearest(inst, is_open)
        if objective.type == "set_cover":
            if (near[coverable] <= inst.standard).all():
                values.append(layout_cost(inst, is_open))
        elif objective.type == "max_coverage":
            values.append(float(inst.population[coverable & (near > inst.standard)].sum()))
        else:
            served = reached(inst)
            if np.isfinite(near[served]).all():
                if objective.type == "p_median":
                    values.append(float(inst.population[served] @ near[served]))
                else:
                    values.append(float(near[served].max(initial=0.0)))
    return min(values) if values else None


def _plain(inst: Instance) -> bool:
    """Instances the frame accepts as built (required candidates must be referable)."""
    return bool(eligible(inst)[list(inst.required)].all())


@on_each_solver(
    EXAMPLES,
    inst=instances(),
    kind=st.sampled_from(["set_cover", "max_coverage", "p_median", "p_center"]),
    clinics=st.integers(0, 4),
)
def test_classic_objectives_in_the_two_tier_frame(inst: Instance, kind: str, clinics: int, solver: str) -> None:
    if not _plain(inst):
        return
    objective = Objective(type=kind, clinics=None if kind == "set_cover" else clinics)
    best = truth(inst, objective)
    if best is None:
        with pytest.raises((ValueError, InfeasibleLayoutError)):
            solve_layout(inst.model(), objective, solver)
        return
    result, chosen = solve_layout(inst.model(), objective, solver)
    assert chosen is not None and chosen.proven_optimal
    is_open = result.open_sites
    assert any(np.array_equal(is_open, o) for o in frame_layouts(inst, objective.clinics))
    near = nearest(inst, is_open)
    if kind == "set_cover":
        assert result.cost == pytest.approx(best)
    elif kind == "max_coverage":
        coverable = ((inst.to_site <= inst.standard) & eligible(inst)).any(axis=1)
        assert float(inst.population[coverable & (near > inst.standard)].sum()) == pytest.approx(best)
    elif kind == "p_median":
        assert float(inst.population[reached(inst)] @ near[reached(inst)]) == pytest.approx(best)
    else:
        assert float(near[reached(inst)].max(initial=0.0)) == pytest.approx(best)


def test_p_median_and_min_cost_differ_where_they_should() -> None:
    """Two villages, one far: min_cost keeps the one clinic the standard needs, p_median with two clinics
    also opens the clinic that shortens the long trips."""
    inst = Instance(
        to_site=np.array([[5.0, 25.0, 28.0], [29.0, INF, 3.0]]),
        to_centre=np.array([[0.0], [10.0], [10.0]]),
        population=np.array([100.0, 400.0]),
        kind=np.array([TOWNSHIP_CENTRE, EXISTING_CLINIC, CANDIDATE], dtype=object),
        cost=np.array([0.0, 1.0, 3.0]),
        remote_keep=None,
    )
    cheapest, _ = solve_layout(inst.model(), Objective())
    assert cheapest.open_sites.tolist() == [True, False, False] and cheapest.cost == 0
    shortest, chosen = solve_layout(inst.model(), Objective(type="p_median", clinics=1))
    assert shortest.open_sites.tolist() == [True, False, True]
    assert chosen is not None and chosen.objective == pytest.approx(100 * 5 + 400 * 3)


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ({"type": "p_median"}, "needs `clinics: <count>`"),
        ({"type": "max_coverage", "budget": 5, "clinics": 3}, "not both or neither"),
        ({"type": "min_cost", "budget": 5}, "budget applies to max_coverage only"),
        ({"type": "set_cover", "clinics": 3}, "clinics applies to"),
        ({"type": "min_cost", "capacity": 500}, "capacity applies to"),
        ({"type": "p_median", "clinics": 3, "split_demand": True}, "split_demand needs objective.capacity"),
        ({"type": "p_center", "clinics": 3, "backup": True}, "backup applies to set_cover only"),
    ],
)
def test_objective_settings_name_the_field_and_the_fix(
    small_county: Path, tmp_path: Path, objective: dict, message: str
) -> None:
    path = scenario_on_region(
        small_county, tmp_path / "s.yaml", tmp_path / "out", lambda raw: raw.__setitem__("objective", objective)
    )
    with pytest.raises(ScenarioError, match=message):
        load_scenario(path)


@pytest.mark.parametrize("objective", [{"type": "max_coverage", "clinics": 10}, {"type": "set_cover", "backup": True}])
def test_classic_objective_end_to_end(small_county: Path, tmp_path: Path, objective: dict) -> None:
    out = tmp_path / "out"
    path = scenario_on_region(
        small_county, tmp_path / "s.yaml", out, lambda raw: raw.__setitem__("objective", objective)
    )
    result = run(load_scenario(path))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == objective["type"] == result.summary["objective"]
    assert summary["solver"]["proven_optimal"] and summary["solver"]["status"] == "optimal"
    clinics = summary["facilities"]["village_clinic"]
    if "clinics" in objective:
        assert clinics["keep"] + clinics["build"] == objective["clinics"]


def set_objective(objective: dict):
    return lambda raw: raw.__setitem__("objective", objective)


def test_too_few_clinics_names_the_setting(small_county: Path, tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["objective"] = {"type": "p_median", "clinics": 0}
        raw["tiers"]["village_clinic"]["keep_cost"] = 0  # every existing clinic is then kept anyway

    path = scenario_on_region(small_county, tmp_path / "s.yaml", tmp_path / "out", edit)
    with pytest.raises(Exception, match=r"objective.clinics = 0.*Fix: set objective.clinics between"):
        run(load_scenario(path))
    assert not (tmp_path / "out").exists()
