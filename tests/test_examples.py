"""The examples a developer copies from must run as shipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example: Path) -> None:
    done = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_matrix_example_shows_the_remote_rule_binding() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES[0].with_name("two_tier_on_a_matrix.py"))],
        capture_output=True,
        text=True,
    )
    without, with_rule = done.stdout.split("remote_keep_minutes = 20.0")
    assert "cost 2," in without and "closed, merged into Clinic A" in without
    assert "cost 3," in with_rule and "Clinic B                 kept by the remote-keep rule" in with_rule
