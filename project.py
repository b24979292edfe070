#!/usr/bin/env python3
"""Set up and run facility_layout from a fresh clone, with nothing but Python 3.11 and pip.

    python3.11 project.py demo    # create .venv, install, generate the demo county, run it, write the map
    python3.11 project.py test    # create .venv, install, run the test suite on every core (extra args go to pytest)

The virtual environment is (re)installed only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-pyproject.sha256"


def _ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv, under any Python
        sys.exit(f"facility_layout needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing facility_layout and its dependencies into .venv (first run only)", flush=True)
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    commands = {
        "demo": [BIN / "facility-layout", "run", str(ROOT / "scenarios" / "demo.yaml")],
        # One test process per core (at most 4: each builds the session's demo county and browser), a test
        # file per process at a time so module fixtures run once; `-n 0` after `test` runs them in this one.
        "test": [BIN / "python", "-m", "pytest", "-n", "auto", "--maxprocesses", "4", "--dist", "loadfile"],
    }
    if not argv or argv[0] not in commands:
        print(__doc__.strip())
        return 2
    _ensure_venv()
    return subprocess.run([*commands[argv[0]], *argv[1:]], cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
