"""The two-tier model on a bare travel-minute matrix, without any GIS.

    .venv/bin/python examples/two_tier_on_a_matrix.py

Five villages along a valley, one township centre at the valley mouth, three existing village clinics and
one place where a new clinic could be built. Minutes are what a planner would read off a travel-time
table; ``inf`` means "not reachable within any useful time".
"""

from __future__ import annotations

import numpy as np

from facility_layout.models.two_tier import CANDIDATE, EXISTING_CLINIC, TOWNSHIP_CENTRE, TwoTier

INF = np.inf
sites = ["Centre (valley mouth)", "Clinic A", "Clinic B", "Clinic C (upper valley)", "New site (mid valley)"]
kind = np.array([TOWNSHIP_CENTRE, EXISTING_CLINIC, EXISTING_CLINIC, EXISTING_CLINIC, CANDIDATE], dtype=object)
cost = np.array([0.0, 1.0, 1.0, 1.0, 2.5])  # keep cost 1, build cost 2.5
villages = ["Kou", "Linshan", "Pingba", "Shangzhai", "Gaoping"]
people = np.array([1200.0, 900.0, 650.0, 300.0, 180.0])
minutes = np.array(  # villages × sites
    [
        [8, 12, 30, INF, 25],
        [22, 6, 25, INF, 12],
        [INF, 28, 5, 40, 10],
        [INF, INF, 35, 9, 22],
        [INF, INF, INF, 16, INF],
    ],
    dtype=float,
)
to_centre = np.array([[0.0], [20.0], [35.0], [65.0], [28.0]])  # sites × township centres

for remote_keep in (None, 20.0):
    layout = TwoTier.from_cost_matrix(
        minutes,
        to_centre,
        people,
        kind,
        cost,
        max_travel_minutes=30,
        referral_max_minutes=60,
        remote_keep_minutes=remote_keep,
        centre_max_travel_minutes=60,
        central_count=1,
    ).solve(solver="cbc")
    print(f"\nremote_keep_minutes = {remote_keep}: cost {layout.cost:g}, solver {layout.report.status}")
    for j, name in enumerate(sites):
        if layout.open_sites[j]:
            decision = "built" if kind[j] == CANDIDATE else "kept"
        else:
            decision = "not built" if kind[j] == CANDIDATE else f"closed, merged into {sites[layout.merged_into[j]]}"
        remote = " by the remote-keep rule" if layout.forced_open[j] else ""
        late = " (no centre within the referral limit)" if j in layout.referral_violations else ""
        print(f"  {name:<24} {decision}{remote}{late}")
    for i, village in enumerate(villages):
        if layout.assignment[i] >= 0:
            print(f"  {village:<10} → {sites[layout.assignment[i]]} in {layout.assignment_minutes[i]:g} min")
        else:
            print(f"  {village:<10} → no clinic within 30 min" + (" (uncoverable)" if layout.uncoverable[i] else ""))
