"""What a Chinese-reading planner sees: a small county run with ``--lang zh-CN`` through the CLI, and every
word the tool writes checked for English left over (words from the data, units and credits allowed)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from facility_layout.i18n import field_of, translator

from conftest import scenario_on_region

ZH = translator("zh-CN")
# Words a Chinese page may keep: units, scenario keys (configuration, not prose) and the tile credits.
ALLOWED = {"km", "min", "sites", "required", "forbidden", "Leaflet", "OpenStreetMap", "contributors", "CRS"}


def english_words(text: str, allowed: set[str] = ALLOWED) -> set[str]:
    """Words of two or more Latin letters in ``text`` that are not allowed."""
    return {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in allowed}


@pytest.fixture(scope="module")
def chinese_cli_run(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``facility-layout run --lang zh-CN`` on the small county: its output folder and what it printed."""
    base = tmp_path_factory.mktemp("zh")
    path = scenario_on_region(small_county, base / "county.yaml", base / "out")
    done = subprocess.run(
        [sys.executable, "-m", "facility_layout.cli", "run", str(path), "--lang", "zh-CN"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "COLUMNS": "160", "NO_COLOR": "1"},
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return base / "out", done.stdout


def _facilities(out: Path) -> list[dict[str, str]]:
    with (out / "facilities.csv").open(encoding="utf-8-sig", newline="") as f:
        return [{field_of(k): v for k, v in row.items()} for row in csv.DictReader(f)]


def test_every_decision_reason_is_in_chinese(chinese_cli_run: tuple[Path, str]) -> None:
    rows = _facilities(chinese_cli_run[0])
    names = {w for row in rows for w in re.findall(r"[A-Za-z]{2,}", row["name"] + row["merged_into"])}
    assert rows and all(row["reason"] for row in rows)
    for row in rows:
        assert english_words(row["reason"], ALLOWED | names) == set(), row["reason"]
    # Each decision's reason opens with the decision's word: 保留 / 关闭 / 新建 / 升级.
    openers = {"keep": ("保留",), "close": ("关闭",), "build": ("新建",), "upgrade": ("升级",)}
    for row in rows:
        decision = {ZH(code): code for code in openers}.get(row["decision"], row["decision"])
        reason = re.sub(r"^按 sites\.\w+ \S+；", "", row["reason"])
        assert reason.startswith(openers[decision]), (decision, row["reason"])
