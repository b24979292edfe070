"""Run the counties of a partitioned region as tasks on ``dask.distributed``.

One task per county runs the ordinary pipeline (:func:`facility_layout.pipeline.run`) on the county's own
scenario and writes its outputs to ``<cache>/county-runs/<key>``, where ``key`` is the county's content
key (clipped inputs, rasters, settings, code): a county whose folder is complete is reused, not
recomputed. A county with bad input or no layout fails alone: its task returns the message instead of
raising, so the other counties finish. A worker that dies mid-task (killed, out of memory) has its task
rerun on another worker by the scheduler; ``retries`` reruns a task that raised something unexpected.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facility_layout.errors import FacilityLayoutError, InputError, ScenarioError
from facility_layout.i18n import translator
from facility_layout.partition import County
from facility_layout.scenario import Scenario

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
# Memory one county's run may need at the sizes measured in docs/benchmarks.md (a 150 km prefecture's
# county of ~25 townships peaks well below this); the default cluster gives each worker this much.
WORKER_MEMORY_BYTES = 2 * 1024**3
# Reruns of a task that raised an unexpected exception (a worker that dies is handled by the scheduler).
TASK_RETRIES = 2

# Told each county's outcome: progress(county, outcome, finished, unfinished, failed, total); unfinished
# counts the submitted counties still waiting or running.
Progress = Callable[[County, "CountyOutcome", int, int, int, int], None]


@dataclass(frozen=True)
class CountyOutcome:
    """How one county's run ended.

    Attributes
    ----------
    status : str
        ``done`` (computed now), ``reused`` (a complete earlier result with the same key) or ``failed``.
    folder : Path
        Its outputs (complete when not failed).
    error : str
        ``InputError``, ``ScenarioError`` or ``SolveError`` when failed, else ``""``.
    message : str
        The failure's message (file, key, value, fix) in the region's language, else ``""``.
    seconds : float
        Wall seconds of its task (0 when reused).
    worker : str
        Address of the worker that ran it ('' when reused).
    peak_rss_bytes : int
        The worker process's peak resident memory at the end of the task (0 when reused).
    """

    status: str
    folder: Path
    error: str = ""
    message: str = ""
    seconds: float = 0.0
    worker: str = ""
    peak_rss_bytes: int = 0


def result_folder(scenario: Scenario, county: County) -> Path:
    """Where a county's outputs are kept, by its content key."""
    return scenario.cache.folder() / "county-runs" / county.key


def run_county(county: County, folder: Path) -> CountyOutcome:
    """The task: run the pipeline on one county; a bad input or no layout becomes a failed outcome."""
    from distributed import get_worker

    from facility_layout.pipeline import run

    start = time.perf_counter()
    try:
        worker = get_worker().address
    except ValueError:  # run outside a worker (the sequential reference)
        worker = ""
    try:
        run(county.scenario, folder)
        status, error, message = "done", "", ""
    except FacilityLayoutError as exc:  # its message in the county's (the region's) language
        status, error, message = "failed", type(exc).__name__, exc.text(translator(county.scenario.outputs.language))
    return CountyOutcome(status, folder, error, message, time.perf_counter() - start, worker, peak_rss_bytes())


def peak_rss_bytes() -> int:
    """This process's own peak resident memory. Not ``ru_maxrss``: a worker process is spawned (fork, then
    exec) from its nanny, and Linux carries the forking process's peak across the exec into ``ru_maxrss``, so
    every worker would report at least its parent's size. ``VmHWM`` belongs to the process's own memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    import resource  # Unix only

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # no /proc: Linux reports KiB


@contextmanager
def dask_client(scheduler: str | None, n_tasks: int) -> Iterator[Any]:
    """A client of the cluster at ``scheduler`` (else ``$DASK_SCHEDULER_ADDRESS``), else of a LocalCluster
    sized to this machine: one single-threaded worker process per core, as many as memory allows
    (:data:`WORKER_MEMORY_BYTES` each), never more than there are counties to run."""
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        try:
            client = Client(address, timeout="20s")
        except OSError as exc:
            raise InputError(
                "--scheduler",
                address,
                "no Dask scheduler answers there ({problem})",
                "start one (`dask scheduler`) or give its address, or unset {variable} to use this machine",
                problem=exc,
                variable=SCHEDULER_ENV,
            ) from None
        with client:
            yield client
        return
    with LocalCluster(**local_cluster_size(n_tasks), dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


class Engine:
    """One Dask client shared by several partitioned runs (``compare``): the cluster of :func:`dask_client`,
    started when the first county needs computing and closed when the engine is left.

    Parameters
    ----------
    scheduler : str, optional
        As for :func:`dask_client`.
    n_tasks : int
        Counties of all the runs together: the LocalCluster is sized for them.
    """

    def __init__(self, scheduler: str | None, n_tasks: int) -> None:
        self.scheduler, self.n_tasks = scheduler, n_tasks
        self._stack = ExitStack()
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            self._client = self._stack.enter_context(dask_client(self.scheduler, self.n_tasks))
        return self._client

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def local_cluster_size(n_tasks: int) -> dict[str, Any]:
    """Workers for this machine: processes, one thread each, ``min(cores, memory / 2 GiB, tasks)``."""
    import psutil

    cores = os.cpu_count() or 1
    memory = psutil.virtual_memory().total
    workers = max(1, min(cores, memory // WORKER_MEMORY_BYTES, max(n_tasks, 1)))
    return {
        "n_workers": int(workers),
        "threads_per_worker": 1,
        "processes": True,
        "memory_limit": int(memory // workers),
    }


def run_counties(
    scenario: Scenario,
    counties: list[County],
    scheduler: str | None = None,
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> tuple[dict[str, CountyOutcome], dict[str, Any]]:
    """Run every county not already complete in the cache, on ``engine`` if given, else on the cluster of
    :func:`dask_client` (started only when a county needs computing).

    Returns the outcomes by county slug, and the engine used (scheduler address, number of workers).
    """
    tell = progress or (lambda *args: None)
    _ = translator(scenario.outputs.language)
    outcomes: dict[str, CountyOutcome] = {}
    total = len(counties)
    pending = []
    for county in counties:
        folder = result_folder(scenario, county)
        if (folder / "summary.json").is_file():
            outcomes[county.slug] = CountyOutcome("reused", folder)
            tell(county, outcomes[county.slug], len(outcomes), 0, 0, total)
        else:
            pending.append(county)
    if not pending:
        return outcomes, {"scheduler": None, "workers": 0}
    from distributed import as_completed

    with nullcontext(engine.client()) if engine is not None else dask_client(scheduler, len(pending)) as client:
        used = {"scheduler": client.scheduler.address, "workers": len(client.scheduler_info()["workers"])}
        futures = {
            client.submit(
                run_county,
                county,
                result_folder(scenario, county),
                key=f"county-{county.slug}-{county.key[:12]}",
                retries=TASK_RETRIES,
            ): county
            for county in pending
        }
        unfinished = len(futures)
        failed = 0
        for future in as_completed(futures):
            county = futures[future]
            unfinished -= 1
            try:
                outcome = future.result()
            except Exception as exc:  # the task kept failing after its retries: report it, finish the rest
                outcome = CountyOutcome(
                    "failed",
                    result_folder(scenario, county),
                    type(exc).__name__,
                    _("the run stopped unexpectedly: {problem}", problem=exc),
                )
            failed += outcome.status == "failed"
            outcomes[county.slug] = outcome
            tell(county, outcome, len(outcomes), unfinished, failed, total)
    return outcomes, used


def exit_error(outcomes: dict[str, CountyOutcome]) -> type[FacilityLayoutError] | None:
    """The error class the CLI exits with: bad input (2) before no layout (3); None when all succeeded."""
    errors = {o.error for o in outcomes.values() if o.status == "failed"}
    if not errors:
        return None
    if errors & {"InputError", "ScenarioError"}:
        return InputError if "InputError" in errors else ScenarioError
    from facility_layout.errors import SolveError

    return SolveError
