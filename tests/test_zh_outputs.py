"""What a Chinese-reading planner sees: a small county run with ``--lang zh-CN`` through the CLI, and every
word the tool writes checked for English left over (words from the data, units and credits allowed)."""

from __future__ import annotations

import csv
import html
import json
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
    """Words of two or more Latin letters in ``text`` that are not allowed ({placeholders} the page fills in
    are not words)."""
    return {w for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", text)) if w not in allowed}


@pytest.fixture(scope="module")
def chinese_cli_run(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``facility-layout run --lang zh-CN`` on the small county: its output folder and what it printed (on
    stdout and stderr, where the stage progress goes)."""
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
    return base / "out", done.stdout + done.stderr


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


def _read_on_the_map(page: str) -> list[str]:
    """What a user reads on map.html: the visible text outside scripts and styles, the CSS headings, the
    layer names, the words the cells' script fills in, and every tooltip and popup part (JSON strings)."""
    visible = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    # CSS strings as CSS reads them: characters as they are (a JSON "\\u4eba" escape would show as "u4eba").
    css = [text[1:-1] for text in re.findall(r'content: ("(?:[^"\\]|\\.)*")', page)]
    texts = []
    texts += re.findall(r'^\s*("(?:[^"\\]|\\.)*") : \w+,$', page, flags=re.M)  # the layer control's names
    # (the facilities' table, columns of indexes, is read below)
    scanned = re.sub(r'<script type="application/json".*?</script>', " ", page, flags=re.S)
    for match in re.finditer(
        r'"(tooltip|title|status|reason|rows|text|note)": ?("(?:[^"\\]|\\.)*"|\[.*?\]\])', scanned
    ):
        texts.append(match.group(2))
    cells = re.search(r'\}\)\(JSON\.parse\(".*?"\), (\{"centre_mode".*?\})\)\);\n', page)
    assert cells is not None, "the cells' words are where the page passes them to its script"
    texts.append(cells.group(1))
    # The facilities' table (its distinct strings) and the words its script puts around them.
    table = re.search(r'<script type="application/json" id="fl-facility-data">(.*?)</script>', page, re.S)
    words = json.loads(re.search(r'\.textContent\), (\{"chart_title".*?\})\);\n', page).group(1))
    read = [*json.loads(table.group(1))["strings"], words["chart_title"], words["referral"]]
    read += (
        [c[0] for c in words["classes"]] + [s[0] for s in words["symbols"]] + [e["words"] for e in words["existing"]]
    )
    # The areas' tooltips, and the township overview's names, tooltips and popups.
    for area in re.findall(r'const data = JSON\.parse\(("(?:[^"\\]|\\.)*")\);', page):
        read += json.loads(json.loads(area))["tooltip"]
    for overview in re.findall(r'const data = (\{"at".*?\});\n', page):
        data = json.loads(overview)
        read += data["names"] + data["tooltips"] + [_strings(popup) for popup in data["popups"]]
    texts += [json.dumps(text, ensure_ascii=False) for text in read]
    words = [json.loads(t) if t.startswith('"') else _strings(json.loads(t)) for t in texts]
    # Markup inside popups (the bar chart's SVG) is not read; its text and titles are.
    return [html.unescape(re.sub(r"<[^>]+>", " ", text)) for text in (visible, *css, *words)]


def _strings(value) -> str:
    """The strings inside a JSON value (not its keys), one a line."""
    if isinstance(value, dict):
        return _strings(list(value.values()))
    if isinstance(value, list):
        return "\n".join(_strings(v) for v in value)
    return str(value) if isinstance(value, str) else ""


def _data_words(region: Path) -> set[str]:
    """Latin words of the input data's names (the synthetic county's places have pinyin names)."""
    words = {"Synthetic", "mountain", "county", "cbc", "highs"}  # the region's name, the solver's
    for name in ("facilities.geojson", "settlements.geojson", "admin_areas.geojson"):
        for feature in json.loads((region / name).read_text(encoding="utf-8"))["features"]:
            words |= set(re.findall(r"[A-Za-z]{2,}", str(feature["properties"].get("name", ""))))
    return words


def test_the_map_has_no_english_left(chinese_cli_run: tuple[Path, str], small_county: Path) -> None:
    out = chinese_cli_run[0]
    page = (out / "map.html").read_text(encoding="utf-8")
    # Site ids are identifiers (the data's, and new-0001 … for candidate sites), not words.
    data_words = _data_words(small_county) | {
        w for row in _facilities(out) for w in re.findall("[A-Za-z]{2,}", row["site_id"])
    }
    texts = _read_on_the_map(page)
    assert len(texts) > 50
    left = {w for text in texts for w in english_words(text, ALLOWED | data_words)}
    assert left == set(), left
    # The words that matter are there, in Chinese.
    joined = "\n".join(texts)
    for words in ("图例", "图层", "保留的村卫生室", "人口网格：到村卫生室的分钟数", "服务人口", "转诊"):
        assert words in joined, words


def test_the_english_map_keeps_its_words(demo_run) -> None:
    # The default language's page is as before: English layer names and legend.
    page = (demo_run.out / "map.html").read_text(encoding="utf-8")
    assert "Demand cells: minutes to village clinic" in page and "Legend" in page
    assert not re.search("[\u4e00-\u9fff]", re.sub(r"<script.*?</script>", "", page, flags=re.S))


def test_the_cli_output_has_no_english_left(chinese_cli_run: tuple[Path, str], small_county: Path) -> None:
    out, printed = chinese_cli_run
    # Paths are the user's own; the region's and places' names come from the data.
    words = re.sub(r"\S*/\S*", " ", printed)
    ids = {w for row in _facilities(out) for w in re.findall("[A-Za-z]{2,}", row["site_id"])}
    assert english_words(words, ALLOWED | _data_words(small_county) | ids) == set(), printed
    for chinese in ("读取输入", "通行时间", "村卫生室服务半径内", "决策", "求解器", "输出："):
        assert chinese in printed, chinese
