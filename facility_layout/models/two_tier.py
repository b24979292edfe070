"""The two-tier policy model: village clinics referred to township health centres.

Decisions
    keep or close each existing village clinic, build a new clinic at candidate sites, and upgrade
    ``central_count`` existing township centres to central township centres. Township centres are
    always kept and also serve the people around them as their village clinic.

Rules (hard)
    * Clinic standard: every demand point that some eligible site reaches within
      ``max_travel_minutes`` is served by an open clinic (or centre) within it. Points no eligible site
      reaches are *uncoverable*: reported, and left out of the rule instead of making it infeasible.
    * Referral: a new clinic may be built only where a township centre is within
      ``referral_max_minutes``. An existing clinic beyond that limit may still be kept (closing it would
      not bring its people any closer to a centre); it is then listed in ``referral_violations``.
    * Remote keep: an existing clinic may close only if every person who today has it as the nearest
      facility, within ``remote_keep_minutes``, keeps another open clinic within ``remote_keep_minutes``.
      Closing a clinic never pushes someone who has care nearby today beyond that limit — the policy
      "keep and strengthen clinics in remote and mountainous areas".
    * Village merge (optional, :mod:`facility_layout.models.merge_rule`): one clinic per administrative
      village unless its people can use one clinic of an adjacent village for at most ``N`` minutes more.

Remote keep and village merge are defined on today's travel and people (the model's own matrices).

Objectives
    ``min_cost``: least keep + build cost under the rules. ``max_coverage``: fewest people left beyond the
    clinic standard for a ``budget`` (then, among those layouts, the cheapest).

Futures
    Today (the model's own matrices) and each :class:`Future` (other minutes, e.g. in the rainy season, and
    other demand on the same points and sites). ``min_cost`` meets the clinic standard in every future.
    ``max_coverage`` counts the people beyond the standard summed over the futures (``robust="all"``), in
    the worst future (``"worst"``) or weighted by the futures' probabilities (``"expected"``; today has
    the probability the futures leave).

Central township centres are chosen by a second, separate model (they do not interact with clinic
costs): most people within the township standard of a central centre, then fewest person-minutes.
People may reach township centres another way than clinics (e.g. walking, then riding): the township
standard reads ``demand_to_centre``, which defaults to the centres' columns of ``demand_to_site``.

Every model is a minimisation solved exactly by :func:`facility_layout.solve.solve_problem`, which
reports whether optimality was proven.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pulp
import scipy.sparse as sp

from facility_layout.figures import minutes_figures
from facility_layout.models.base import InfeasibleLayoutError, SitesArg, as_od, merge_rows, site_mask, weighted_mode
from facility_layout.models.central import choose_central
from facility_layout.models.merge_rule import VillageMerge, VillageMergeRule
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import NoLayoutError, SolveReport, least_proven, lexicographic, solve_problem, time_left

TOWNSHIP_CENTRE = "township_centre"
EXISTING_CLINIC = "existing_clinic"
CANDIDATE = "candidate"
SITE_KINDS = (TOWNSHIP_CENTRE, EXISTING_CLINIC, CANDIDATE)
OBJECTIVES = ("min_cost", "max_coverage")
ROBUST = ("all", "worst", "expected")
TODAY = "today"
# The stages of a solve, as named in summary.json's solver.stages.
CLINIC_STAGE = "clinic_layout"
CENTRAL_STAGE = "central_centres"


@dataclass(frozen=True)
class Future:
    """A future the layout must hold up in: other minutes and other demand on today's points and sites.

    Attributes
    ----------
    name : str
    demand_to_site : ODMatrix
        Minutes from each demand point to each site in this future (e.g. with the rainy season's roads).
    population : numpy.ndarray
        Demand weight per point: people × growth factor × visits per person.
    probability : float, optional
        Weight in ``robust="expected"``.
    """

    name: str
    demand_to_site: ODMatrix
    population: np.ndarray
    probability: float | None = None


@dataclass(frozen=True)
class TwoTierResult:
    """A solved two-tier layout; arrays are per demand point, per site or per township centre.

    Attributes
    ----------
    open_sites : bool, per site
        Open in the layout (township centres always are).
    assignment : int, per demand point
        Site of the nearest open clinic within the standard, -1 if none.
    assignment_minutes : float, per demand point
        Minutes to it, ``inf`` if none.
    uncoverable : bool, per demand point
        No eligible site reaches the point within the standard, whatever the layout.
    centre_assignment : int, per demand point
        Index (among centres) of the nearest township centre within the township standard, -1 if none.
    centre_minutes : float, per demand point
        Minutes to it, ``inf`` if none.
    referral : int, per site
        Township centre (index among centres) each open site refers to, -1 if closed or none in reach.
    referral_minutes : float, per site
        Minutes to it, ``nan`` if none.
    referral_violations : int array
        Open sites with no township centre within the referral limit.
    central : bool, per township centre
        Upgraded to central township centre.
    forced_open : bool, per site
        Kept because the remote-keep rule forbids closing it in this layout.
    remote_sole_clinic : int, per demand point
        For a person the remote-keep rule protects, the one open clinic within ``remote_keep_minutes``
        when there is exactly one (closing it would break the rule); else -1.
    catchment : int, per demand point
        Today's nearest existing facility (centre or clinic), -1 if none in reach.
    catchment_minutes : float, per demand point
        Minutes to it, ``inf`` if none.
    merged_into : int, per site
        For a closed clinic, the open site that now serves most of its people; else -1.
    merges : list of VillageMerge
        Villages without an open clinic of their own under the village merge rule (empty without it).
    village_merge : int, per site
        Index in ``merges`` of the merge of the site's village, -1 if the village keeps a clinic or has no rule.
    future_figures : list of dict
        With futures, one dict per future, today first: ``name``, ``population`` (demand weight),
        ``covered`` (within the clinic standard of an open site), ``uncovered``, ``uncoverable`` and
        ``clinic_minutes`` (mean, p95, max to the assigned clinic); empty without futures.
    cost : float
        Keep + build cost of the layout.
    report, central_report : SolveReport
        What the solver proved for the clinic layout and for the choice of central centres.
    """

    open_sites: np.ndarray
    assignment: np.ndarray
    assignment_minutes: np.ndarray
    uncoverable: np.ndarray
    centre_assignment: np.ndarray
    centre_minutes: np.ndarray
    referral: np.ndarray
    referral_minutes: np.ndarray
    referral_violations: np.ndarray
    central: np.ndarray
    forced_open: np.ndarray
    remote_sole_clinic: np.ndarray
    catchment: np.ndarray
    catchment_minutes: np.ndarray
    merged_into: np.ndarray
    merges: list[VillageMerge]
    village_merge: np.ndarray
    future_figures: list[dict]
    cost: float
    report: SolveReport
    central_report: SolveReport

    @property
    def stages(self) -> dict[str, SolveReport]:
        """What was proven per stage, clinic layout first."""
        return {CLINIC_STAGE: self.report, CENTRAL_STAGE: self.central_report}

    @property
    def headline(self) -> SolveReport:
        """The run's status: its least proven stage (:func:`facility_layout.solve.least_proven`)."""
        return least_proven(self.stages)


@dataclass
class TwoTier:
    """The two-tier location model over travel-minute matrices (see the module docstring).

    Build it with :meth:`from_cost_matrix`, then call :meth:`solve`.
    """

    demand_to_site: ODMatrix
    site_to_centre: ODMatrix
    population: np.ndarray
    site_kind: np.ndarray
    site_cost: np.ndarray
    max_travel_minutes: float
    referral_max_minutes: float
    remote_keep_minutes: float | None
    centre_max_travel_minutes: float
    central_count: int
    objective: str = "min_cost"
    budget: float | None = None
    demand_to_centre: ODMatrix | None = None
    required: SitesArg = None
    forbidden: SitesArg = None
    close_cost: np.ndarray | None = None
    merge_rule: VillageMergeRule | None = None
    futures: list[Future] | None = None
    robust: str = "all"
    site_ids: np.ndarray | None = None
    centres: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n_demand, n_sites = self.demand_to_site.shape
        self.population = np.asarray(self.population, dtype=float)
        self.site_kind = np.asarray(self.site_kind, dtype=object)
        self.site_cost = np.asarray(self.site_cost, dtype=float)
        if len(self.population) != n_demand or np.any(self.population < 0):
            raise ValueError("population needs one non-negative value per demand point (row of demand_to_site)")
        if len(self.site_kind) != n_sites or len(self.site_cost) != n_sites:
            raise ValueError("site_kind and site_cost need one value per site (column of demand_to_site)")
        if not set(self.site_kind) <= set(SITE_KINDS):
            raise ValueError(f"site_kind values must be among {SITE_KINDS}")
        if np.any(self.site_cost < 0):
            raise ValueError("site_cost must be >= 0")
        self.centres = np.flatnonzero(self.site_kind == TOWNSHIP_CENTRE)
        self.required = site_mask(self.required, n_sites, "required") | (self.site_kind == TOWNSHIP_CENTRE)
        self.forbidden = site_mask(self.forbidden, n_sites, "forbidden")
        if (self.forbidden & (self.site_kind == TOWNSHIP_CENTRE)).any():
            raise ValueError("township centres are always kept; they cannot be forbidden")
        if (self.required & self.forbidden).any():
            raise ValueError(
                f"sites {np.flatnonzero(self.required & self.forbidden).tolist()} are both required and forbidden"
            )
        self.close_cost = (
            np.zeros(n_sites) if self.close_cost is None else np.asarray(self.close_cost, dtype=float).copy()
        )
        if self.close_cost.shape != (n_sites,) or np.any(self.close_cost < 0):
            raise ValueError("close_cost needs one value >= 0 per site")
        # Only existing clinics can be closed; a candidate that is not built costs nothing.
        self.close_cost[self.site_kind != EXISTING_CLINIC] = 0.0
        unreferable = np.flatnonzero(self.required & ~self.eligible_sites())
        if len(unreferable):
            raise ValueError(
                f"required sites {unreferable.tolist()} are new sites with no township centre within the referral "
                f"limit of {self.referral_max_minutes:g} min, so they may not be built"
            )
        if self.site_to_centre.shape != (n_sites, len(self.centres)):
            raise ValueError("site_to_centre must be sites × township centres (in site order)")
        if self.demand_to_centre is None:
            self.demand_to_centre = self.demand_to_site.select_destinations(self.centres)
        if self.demand_to_centre.shape != (n_demand, len(self.centres)):
            raise ValueError("demand_to_centre must be demand points × township centres (in site order)")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}")
        if self.objective == "max_coverage" and self.budget is None:
            raise ValueError("max_coverage needs a budget")
        if not 0 <= self.central_count <= len(self.centres):
            raise ValueError(f"central_count must be between 0 and the {len(self.centres)} township centres")
        self._check_futures()

    def _check_futures(self) -> None:
        self.futures = list(self.futures or [])
        today = (self.demand_to_site.shape, self.population.shape)
        for future in self.futures:
            if (future.demand_to_site.shape, np.shape(future.population)) != today or np.any(future.population < 0):
                raise ValueError(f"future {future.name!r} needs today's demand points × sites and a weight >= 0 each")
        if self.robust not in ROBUST:
            raise ValueError(f"robust must be one of {ROBUST}")
        if self.robust == "expected":
            given = [f.probability for f in self.futures]
            if None in given or sum(given) > 1 + 1e-9:
                raise ValueError("robust='expected' needs a probability for every future, summing to at most 1")

    @classmethod
    def from_cost_matrix(
        cls,
        demand_to_site: ODMatrix | np.ndarray,
        site_to_centre: ODMatrix | np.ndarray,
        population: np.ndarray,
        site_kind: np.ndarray,
        site_cost: np.ndarray,
        *,
        max_travel_minutes: float,
        referral_max_minutes: float,
        remote_keep_minutes: float | None,
        centre_max_travel_minutes: float,
        central_count: int = 0,
        objective: str = "min_cost",
        budget: float | None = None,
        demand_to_centre: ODMatrix | np.ndarray | None = None,
        required: SitesArg = None,
        forbidden: SitesArg = None,
        close_cost: np.ndarray | None = None,
        merge_rule: VillageMergeRule | None = None,
        futures: list[Future] | None = None,
        robust: str = "all",
        site_ids: np.ndarray | None = None,
    ) -> TwoTier:
        """Build the model from travel minutes.

        Parameters
        ----------
        demand_to_site : ODMatrix or numpy.ndarray
            Minutes from each demand point to each site; a dense array uses ``inf`` for "out of reach".
        site_to_centre : ODMatrix or numpy.ndarray
            Minutes from each site to each township centre (centres in site order).
        population : numpy.ndarray
            People (or visits) per demand point.
        site_kind : numpy.ndarray of str
            ``township_centre`` | ``existing_clinic`` | ``candidate`` per site.
        site_cost : numpy.ndarray
            Cost of the site if open: keep cost for existing clinics, build cost for candidates
            (ignored for centres, which stay open).
        max_travel_minutes, referral_max_minutes, remote_keep_minutes, centre_max_travel_minutes : float
            The standards; ``remote_keep_minutes=None`` turns the remote-keep rule off.
        central_count : int
            Township centres to upgrade to central township centres.
        objective : {"min_cost", "max_coverage"}
            What to optimise; ``max_coverage`` needs ``budget``.
        demand_to_centre : ODMatrix or numpy.ndarray, optional
            Minutes from each demand point to each township centre when people reach centres another way
            (e.g. walking then riding) than clinics; by default the centres' columns of ``demand_to_site``.
        required, forbidden : site indices or boolean mask, optional
            Sites that must stay open / may not be open (an existing clinic forbidden is closed). Township
            centres are always open.
        close_cost : numpy.ndarray, optional
            One-off cost of closing each existing clinic (0 by default); a clinic that costs no more to keep
            than to close is kept.
        merge_rule : VillageMergeRule, optional
            Administrative villages keep a clinic unless merged with an adjacent village (off by default).
        futures : list of Future, optional
            Futures besides today that the clinic standard must hold up in (see the module docstring); their
            ``demand_to_site`` may be dense arrays as above.
        robust : {"all", "worst", "expected"}
            How ``max_coverage`` weighs the futures.
        site_ids : numpy.ndarray of str, optional
            The planner's id of each site, to name sites in error messages (default: their indices).
        """
        return cls(
            demand_to_site=as_od(demand_to_site),
            site_to_centre=as_od(site_to_centre),
            population=population,
            site_kind=site_kind,
            site_cost=site_cost,
            max_travel_minutes=max_travel_minutes,
            referral_max_minutes=referral_max_minutes,
            remote_keep_minutes=remote_keep_minutes,
            centre_max_travel_minutes=centre_max_travel_minutes,
            central_count=central_count,
            objective=objective,
            budget=budget,
            demand_to_centre=None if demand_to_centre is None else as_od(demand_to_centre),
            required=required,
            forbidden=forbidden,
            close_cost=close_cost,
            merge_rule=merge_rule,
            futures=[
                replace(f, demand_to_site=as_od(f.demand_to_site), population=np.asarray(f.population, dtype=float))
                for f in futures or []
            ],
            robust=robust,
            site_ids=site_ids,
        )

    def _named(self, sites: list[int] | np.ndarray) -> list:
        """Sites by their ids when the model has them, else by index, for messages."""
        indices = [int(j) for j in sites]
        return indices if self.site_ids is None else [str(self.site_ids[j]) for j in indices]

    # --- the rules, as sets of sites -------------------------------------------------------------------

    def eligible_sites(self) -> np.ndarray:
        """Sites that may be open: centres, existing clinics, candidates with a centre within referral reach;
        never a forbidden site."""
        return self._referable_sites() & ~self.forbidden

    def _referable_sites(self) -> np.ndarray:
        """Centres, existing clinics and candidates with a centre within referral reach, forbidden or not."""
        referable = np.zeros(len(self.site_kind), dtype=bool)
        within = self.site_to_centre.within(self.referral_max_minutes)
        referable[within.origin] = True
        return (self.site_kind != CANDIDATE) | referable

    def existing_catchment(self) -> tuple[np.ndarray, np.ndarray]:
        """Today's nearest existing facility of each demand point and its minutes."""
        return self.demand_to_site.nearest(allowed=self.site_kind != CANDIDATE)

    def remote_protected(self) -> np.ndarray:
        """People the remote-keep rule protects: today's nearest facility is an existing clinic within
        ``remote_keep_minutes`` (none when the rule is off)."""
        if self.remote_keep_minutes is None:
            return np.zeros(self.demand_to_site.shape[0], dtype=bool)
        catchment, minutes = self.existing_catchment()
        protected = (catchment >= 0) & (minutes <= self.remote_keep_minutes)
        return protected & np.isin(catchment, np.flatnonzero(self.site_kind == EXISTING_CLINIC))

    def _reach(self, limit: float, allowed: np.ndarray, demand_to_site: ODMatrix | None = None) -> sp.csr_matrix:
        """Boolean demand × site matrix of allowed sites within ``limit`` minutes (today's, or a future's)."""
        od = self.demand_to_site if demand_to_site is None else demand_to_site
        within = od.within(limit)
        keep = allowed[within.destination]
        return sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), (within.origin[keep], within.destination[keep])),
            shape=od.shape,
        )

    def all_futures(self) -> list[Future]:
        """Today (the model's own minutes and people, with the probability the futures leave), then the futures."""
        rest = 1.0 - sum(f.probability or 0.0 for f in self.futures)
        return [Future(TODAY, self.demand_to_site, self.population, max(rest, 0.0)), *self.futures]

    def _rows(self) -> tuple[list[dict[tuple[int, ...], float]], list[tuple[int, ...]]]:
        """Clinic-standard rows per future, today first (sites → people), and the planning rows.

        A row lists the closable sites of which at least one must be open; rows already met by a
        township centre are dropped, and identical rows merged.
        """
        return [self._coverage_rows(f.demand_to_site, f.population) for f in self.all_futures()], self.planning_rows()

    def _coverage_rows(self, demand_to_site: ODMatrix, population: np.ndarray) -> dict[tuple[int, ...], float]:
        """The clinic standard's rows in one future; its uncoverable points, and points nobody lives in (a
        future may empty some), are left out."""
        eligible = self.eligible_sites()
        is_centre = self.site_kind == TOWNSHIP_CENTRE
        within_standard = self._reach(self.max_travel_minutes, eligible, demand_to_site)
        uncoverable = np.diff(within_standard.indptr) == 0
        by_centre = np.asarray(within_standard[:, is_centre].sum(axis=1)).ravel() > 0
        closable = eligible & ~is_centre
        return merge_rows(
            (tuple(_row_sites(within_standard, i, closable)), float(population[i]))
            for i in np.flatnonzero(~uncoverable & ~by_centre & (population > 0))
        )

    def planning_rows(self) -> list[tuple[int, ...]]:
        """The hard planning rules as groups of sites of which one must stay open: the remote-keep rule, then
        the village merge rule (rows met by a township centre dropped, identical rows once).

        Raises
        ------
        InfeasibleLayoutError
            A row of forbidden sites only: the rule keeps a clinic the scenario forbids.
        """
        return list(dict.fromkeys([*self._remote_rows(), *self._village_rows()]))

    def _remote_rows(self) -> list[tuple[int, ...]]:
        if self.remote_keep_minutes is None:
            return []
        eligible = self.eligible_sites()
        is_centre = self.site_kind == TOWNSHIP_CENTRE
        closable = eligible & ~is_centre
        near = self._reach(self.remote_keep_minutes, eligible)
        near_centre = np.asarray(near[:, is_centre].sum(axis=1)).ravel() > 0
        catchment, _ = self.existing_catchment()
        protected = self.remote_protected() & ~near_centre
        # A forbidden clinic is not in its own row: its people then need another clinic within the limit.
        rows = {
            int(i): tuple(
                sorted({*([int(catchment[i])] if eligible[catchment[i]] else []), *_row_sites(near, i, closable)})
            )
            for i in np.flatnonzero(protected)
        }
        stranded = np.array([i for i, row in rows.items() if not row])
        if len(stranded):
            raise InfeasibleLayoutError(
                "forbidden clinics {clinics} are the only clinic within {remote_keep_minutes:g} min for {sum:,.0f} "
                "people, so the remote-keep rule cannot let them close",
                clinics=self._named(sorted(set(catchment[stranded].tolist()))),
                remote_keep_minutes=self.remote_keep_minutes,
                sum=self.population[stranded].sum(),
            )
        return list(dict.fromkeys(rows.values()))

    def _village_rows(self) -> list[tuple[int, ...]]:
        if self.merge_rule is None:
            return []
        rule = self.merge_rule
        # Forbidden sites count as the village's own (the rule is about the villages), but may not be open.
        rows = rule.rows(self.demand_to_site, self.population, self._referable_sites())
        out = []
        for row, village in rows.items():
            if (self.site_kind[list(row)] == TOWNSHIP_CENTRE).any():
                continue
            allowed = tuple(j for j in row if not self.forbidden[j])
            if not allowed:
                raise InfeasibleLayoutError(
                    "village {village_names}: its clinics {clinics} are forbidden and no clinic of an adjacent "
                    "village serves its people within {max_added_minutes:g} added minutes, so the village merge "
                    "rule cannot let them all close",
                    village_names=rule.village_names[village],
                    clinics=self._named(row),
                    max_added_minutes=rule.max_added_minutes,
                )
            out.append(allowed)
        return out

    # --- solving ---------------------------------------------------------------------------------------

    def solve(self, solver: str = "cbc", time_limit_s: float = 300.0, mip_gap: float = 0.0) -> TwoTierResult:
        """Choose the layout and the central centres; see :class:`TwoTierResult`. ``time_limit_s`` is one budget
        for both stages: the central centres get what the clinic layout leaves.

        Raises
        ------
        NoLayoutError
            A stage's solve ended without a layout to read (e.g. no solution within the time limit).
        InfeasibleLayoutError
            ``max_coverage`` with a budget below what the hard rules alone cost; a planning rule that keeps
            only forbidden sites.
        """
        started = time.perf_counter()
        coverage, hard = self._rows()
        open_sites, report = self._solve_clinics(coverage, hard, solver, time_limit_s, mip_gap)
        return self.result_for(open_sites, report, solver, time_left(time_limit_s, started), mip_gap)

    def result_for(
        self,
        open_sites: np.ndarray,
        report: SolveReport,
        solver: str = "cbc",
        time_limit_s: float = 300.0,
        mip_gap: float = 0.0,
    ) -> TwoTierResult:
        """The full two-tier result of a clinic layout chosen elsewhere (e.g. by a classic model): assignment,
        referral, merges and reasons, and the central centres chosen as in :meth:`solve` within ``time_limit_s``.

        Raises
        ------
        NoLayoutError
            ``report`` has no layout (the clinic stage found none), or the central centres' solve found none.
        """
        if not report.has_solution:
            raise NoLayoutError(CLINIC_STAGE, report, time_limit_s)
        open_sites = np.asarray(open_sites, dtype=bool) | (self.site_kind == TOWNSHIP_CENTRE)
        central, central_report = self._solve_central(solver, time_limit_s, mip_gap)
        return self._result(open_sites, self.uncoverable_points(), central, report, central_report)

    def result_given(self, open_sites: np.ndarray, central: np.ndarray, report: SolveReport) -> TwoTierResult:
        """The full result of a layout given whole, clinics and central centres (today's, or one edited by
        hand): nothing is chosen, and ``report`` stands for both decisions."""
        open_sites = np.asarray(open_sites, dtype=bool) | (self.site_kind == TOWNSHIP_CENTRE)
        return self._result(open_sites, self.uncoverable_points(), np.asarray(central, dtype=bool), report, report)

    def uncoverable_points(self, demand_to_site: ODMatrix | None = None) -> np.ndarray:
        """Demand points that no eligible site reaches within the clinic standard, whatever the layout (today,
        or with a future's minutes)."""
        within_standard = self._reach(self.max_travel_minutes, self.eligible_sites(), demand_to_site)
        return np.diff(within_standard.indptr) == 0

    def _solve_clinics(
        self,
        coverage: list[dict[tuple[int, ...], float]],
        hard: list[tuple[int, ...]],
        solver: str,
        time_limit_s: float,
        mip_gap: float,
    ) -> tuple[np.ndarray, SolveReport]:
        open_sites = self.fixed_open()
        coverage = [{row: w for row, w in rows.items() if not open_sites[list(row)].any()} for rows in coverage]
        hard = [row for row in hard if not open_sites[list(row)].any()]
        used = sorted({j for row in (*hard, *(row for rows in coverage for row in rows)) for j in row})
        if not used:
            if (
                self.budget is not None
                and self.objective == "max_coverage"
                and self.layout_cost(open_sites) > self.budget
            ):
                raise self._budget_too_small([], solver, time_limit_s)
            return open_sites, SolveReport.not_needed(solver)

        problem = pulp.LpProblem("village_clinics", pulp.LpMinimize)
        is_open = {j: pulp.LpVariable(f"open_{j}", cat=pulp.LpBinary) for j in used}
        cost = self._cost_expression(is_open, open_sites)
        for k, row in enumerate(hard):
            problem += pulp.lpSum(is_open[j] for j in row) >= 1, f"planning_rule_{k}"

        if self.objective == "min_cost":
            problem += cost
            # One layout that meets the standard in every future: the union of their rows.
            for k, row in enumerate(dict.fromkeys(row for rows in coverage for row in rows)):
                problem += pulp.lpSum(is_open[j] for j in row) >= 1, f"clinic_standard_{k}"
            report = solve_problem(problem, solver, time_limit_s, mip_gap)
        else:
            report = self._max_coverage(problem, is_open, cost, coverage, hard, solver, time_limit_s, mip_gap)
        if not report.has_solution:
            raise NoLayoutError(CLINIC_STAGE, report, time_limit_s)
        for j in used:
            open_sites[j] = (is_open[j].value() or 0.0) > 0.5
        return open_sites, report

    def fixed_open(self) -> np.ndarray:
        """Sites open before any choice: township centres, required sites, and existing clinics that cost
        no more to keep than to close (closing saves nothing and loses care), unless forbidden."""
        cheap_to_keep = (self.site_kind == EXISTING_CLINIC) & (self.site_cost <= self.close_cost) & ~self.forbidden
        return self.required | cheap_to_keep

    def layout_cost(self, open_sites: np.ndarray) -> float:
        """Keep and build cost of the open sites plus the close cost of the closed existing clinics."""
        clinics = self.site_kind != TOWNSHIP_CENTRE
        closed = ~open_sites & (self.site_kind == EXISTING_CLINIC)
        return float(self.site_cost[open_sites & clinics].sum() + self.close_cost[closed].sum())

    def _cost_expression(self, is_open: dict[int, pulp.LpVariable], fixed: np.ndarray) -> pulp.LpAffineExpression:
        """:meth:`layout_cost` in the decision variables; sites without one are open if ``fixed``, else closed."""
        decided = np.array(sorted(is_open), dtype=np.int64)
        settled = np.ones(len(fixed), dtype=bool)
        settled[decided] = False
        # Every decided site closed: its close cost is in the constant, and opening it adds keep − close.
        constant = self.layout_cost(fixed & settled)
        return pulp.lpSum(float(self.site_cost[j] - self.close_cost[j]) * is_open[j] for j in is_open) + constant

    def _max_coverage(
        self,
        problem: pulp.LpProblem,
        is_open: dict[int, pulp.LpVariable],
        cost: pulp.LpAffineExpression,
        coverage: list[dict[tuple[int, ...], float]],
        hard: list[tuple[int, ...]],
        solver: str,
        time_limit_s: float,
        mip_gap: float,
    ) -> SolveReport:
        """Fewest people beyond the standard within the budget (over the futures as ``robust`` says); then the
        cheapest such layout."""
        assert self.budget is not None
        rows = dict.fromkeys(row for future in coverage for row in future)
        # Binary, not continuous in [0, 1]: with continuous ones CBC's preprocessing returned a worse layout
        # as "optimal" in the cost stage (a 3-variable case in tests/test_two_tier.py). "Missed" rather than
        # 1 − "covered": no constant in the objective, whose round-off (1e-14 with probabilities) read as a gap.
        missed = {row: pulp.LpVariable(f"missed_{k}", cat=pulp.LpBinary) for k, row in enumerate(rows)}
        for k, row in enumerate(rows):
            problem += missed[row] + pulp.lpSum(is_open[j] for j in row) >= 1, f"missed_unless_open_{k}"
        problem += cost <= self.budget, "budget"
        shortfall = [pulp.lpSum(w * missed[row] for row, w in future.items()) for future in coverage]
        if self.robust == "worst":
            uncovered = pulp.LpVariable("worst_future_uncovered", lowBound=0)
            for f, people in enumerate(shortfall):
                problem += uncovered >= people, f"worst_future_{f}"
        elif self.robust == "expected":
            chance = [f.probability for f in self.all_futures()]
            uncovered = pulp.lpSum(p * people for p, people in zip(chance, shortfall, strict=True))
        else:
            uncovered = pulp.lpSum(shortfall)
        problem += uncovered
        first = solve_problem(problem, solver, time_limit_s, mip_gap)
        if first.status == "infeasible":
            raise self._budget_too_small(hard, solver, time_limit_s)
        if not first.has_solution or first.objective is None:
            return first
        first_layout = {j: v.value() for j, v in is_open.items()}
        # Second stage: the same coverage (up to round-off), least cost, in the time the first one left.
        slack = 1e-7 * max(1.0, float(sum(sum(future.values()) for future in coverage)))
        problem += uncovered <= first.objective + slack, "coverage_of_first_stage"
        problem.setObjective(cost)
        second = solve_problem(problem, solver, max(time_limit_s - first.seconds, 0.0), mip_gap)
        if second.has_solution:
            # The headline objective is the people left beyond the standard; the cost stage only breaks ties.
            return lexicographic(first, second)
        for j, v in is_open.items():  # never read a layout from the failed cost stage
            v.varValue = first_layout[j]
        return lexicographic(
            first,
            None,
            "least cost not searched to the end: the cost stage found no layout in the time left; "
            "the layout is the coverage stage's",
        )

    def _budget_too_small(self, hard: list[tuple[int, ...]], solver: str, time_limit_s: float) -> InfeasibleLayoutError:
        """Explain an infeasible budget: the least that the sites kept anyway (centres aside: required sites,
        clinics cheaper to keep than to close), the close costs and the planning rules cost together."""
        fixed = self.fixed_open()
        sites = sorted({j for row in hard for j in row})
        if sites:
            problem = pulp.LpProblem("least_cost_of_the_hard_rules", pulp.LpMinimize)
            is_open = {j: pulp.LpVariable(f"open_{j}", cat=pulp.LpBinary) for j in sites}
            problem += self._cost_expression(is_open, fixed)
            for row in hard:
                problem += pulp.lpSum(is_open[j] for j in row) >= 1
            report = solve_problem(problem, solver, time_limit_s, 0.0)
            needed = report.objective if report.objective is not None else float("nan")
        else:
            needed = self.layout_cost(fixed)
        assert self.budget is not None
        return InfeasibleLayoutError(
            "the budget {budget:g} is below the {needed:g} that the hard rules alone need (required sites, close "
            "costs, remote-keep and village merge rules) ({needed2:g} short)",
            needed_budget=needed,
            budget=self.budget,
            needed=needed,
            needed2=needed - self.budget,
        )

    def _solve_central(self, solver: str, time_limit_s: float, mip_gap: float) -> tuple[np.ndarray, SolveReport]:
        """Pick ``central_count`` centres: most people within the township standard, then fewest person-minutes
        (:func:`facility_layout.models.central.choose_central`).

        Raises
        ------
        NoLayoutError
            The solve ended without a choice to read (stage ``central_centres``).
        """
        central, report = choose_central(
            self.demand_to_centre,
            self.population,
            self.centre_max_travel_minutes,
            self.central_count,
            solver,
            time_limit_s,
            mip_gap,
        )
        if not report.has_solution:
            raise NoLayoutError(CENTRAL_STAGE, report, time_limit_s)
        return central, report

    # --- reading the layout back -----------------------------------------------------------------------

    def _result(
        self,
        open_sites: np.ndarray,
        uncoverable: np.ndarray,
        central: np.ndarray,
        report: SolveReport,
        central_report: SolveReport,
    ) -> TwoTierResult:
        assignment, assignment_minutes = self.demand_to_site.within(self.max_travel_minutes).nearest(open_sites)
        centre_assignment, centre_minutes = self.demand_to_centre.within(self.centre_max_travel_minutes).nearest()
        referral, referral_minutes = self.site_to_centre.within(self.referral_max_minutes).nearest()
        referral = np.where(open_sites, referral, -1)
        referral_minutes = np.where(referral >= 0, referral_minutes, np.nan)
        catchment, catchment_minutes = self.existing_catchment()
        sole = self._remote_sole_clinic(open_sites)
        merges, village_merge = self._village_merges(open_sites)
        return TwoTierResult(
            open_sites=open_sites,
            assignment=assignment,
            assignment_minutes=assignment_minutes,
            uncoverable=uncoverable,
            centre_assignment=centre_assignment,
            centre_minutes=centre_minutes,
            referral=referral,
            referral_minutes=referral_minutes,
            referral_violations=np.flatnonzero(open_sites & (referral < 0)),
            central=central,
            forced_open=np.isin(np.arange(len(open_sites)), sole[sole >= 0]),
            remote_sole_clinic=sole,
            catchment=catchment,
            catchment_minutes=catchment_minutes,
            merged_into=self._merged_into(open_sites, assignment, catchment),
            merges=merges,
            village_merge=village_merge,
            future_figures=self.future_figures(open_sites) if self.futures else [],
            cost=self.layout_cost(open_sites),
            report=report,
            central_report=central_report,
        )

    def _remote_sole_clinic(self, open_sites: np.ndarray) -> np.ndarray:
        """For each person the remote-keep rule protects, the only open site within the limit if there is
        exactly one and it is a clinic (closing it would break the rule); else -1."""
        n_demand = self.demand_to_site.shape[0]
        sole = np.full(n_demand, -1, dtype=np.int64)
        if self.remote_keep_minutes is None:
            return sole
        protected = self.remote_protected()
        near = self.demand_to_site.within(self.remote_keep_minutes)
        keep = open_sites[near.destination] & protected[near.origin]
        origin, site = near.origin[keep], near.destination[keep]
        count = np.bincount(origin, minlength=n_demand)
        alone = count[origin] == 1
        sole[origin[alone]] = site[alone]
        sole[sole >= 0] = np.where(self.site_kind[sole[sole >= 0]] == TOWNSHIP_CENTRE, -1, sole[sole >= 0])
        return sole

    def _village_merges(self, open_sites: np.ndarray) -> tuple[list[VillageMerge], np.ndarray]:
        """The merges of the layout and, per site, which of them is its village's (-1 if none)."""
        village_merge = np.full(len(open_sites), -1, dtype=np.int64)
        if self.merge_rule is None:
            return [], village_merge
        merges = self.merge_rule.explain(open_sites, self.demand_to_site, self.population, self._referable_sites())
        for k, merge in enumerate(merges):
            village_merge[self.merge_rule.village_of_site == merge.village] = k
        return merges, village_merge

    def future_figures(self, open_sites: np.ndarray) -> list[dict]:
        """How the layout serves each future, today first (see :class:`TwoTierResult`), in demand weight."""
        figures = []
        for future in self.all_futures():
            _, minutes = future.demand_to_site.within(self.max_travel_minutes).nearest(open_sites)
            weight = future.population
            covered = np.isfinite(minutes)
            uncoverable = self.uncoverable_points(future.demand_to_site)
            figures.append(
                {
                    "name": future.name,
                    "population": round(float(weight.sum()), 2),
                    "covered": round(float(weight[covered].sum()), 2),
                    "uncovered": round(float(weight[~covered & ~uncoverable].sum()), 2),
                    "uncoverable": round(float(weight[uncoverable].sum()), 2),
                    "clinic_minutes": minutes_figures(minutes, weight),
                }
            )
        return figures

    def _merged_into(self, open_sites: np.ndarray, assignment: np.ndarray, catchment: np.ndarray) -> np.ndarray:
        """For each closed existing clinic, the open site serving most of its former people."""
        merged = np.full(len(open_sites), -1, dtype=np.int64)
        for e in np.flatnonzero(~open_sites & (self.site_kind == EXISTING_CLINIC)):
            mine = catchment == e
            merged[e] = weighted_mode(assignment[mine], self.population[mine])
        return merged


def _row_sites(reach: sp.csr_matrix, i: int, allowed: np.ndarray) -> list[int]:
    """The ``allowed`` sites in row ``i`` of a reach matrix, ascending."""
    sites = reach.indices[reach.indptr[i] : reach.indptr[i + 1]]
    return np.sort(sites[allowed[sites]]).tolist()
