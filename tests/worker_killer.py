"""A Dask worker plugin that kills the worker process running the first county task it sees (test helper).

Shipped to the workers by value (tests/ is not importable there). The first worker to start a task writes
its process id to the marker file and dies half a second later, mid-task, as a worker killed by the
system would; every later task (the marker exists) runs normally.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from distributed import WorkerPlugin


class KillFirstTaskWorker(WorkerPlugin):
    def __init__(self, marker: Path) -> None:
        self.marker = Path(marker)

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        if finish != "executing" or not str(key).startswith("county-"):
            return
        try:
            with open(self.marker, "x") as handle:  # only one worker wins, once
                handle.write(f"{os.getpid()} {key}")
        except FileExistsError:
            return

        def die() -> None:
            time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=die, daemon=True).start()
