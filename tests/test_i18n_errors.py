"""Every error and warning in the planner's language: the message ids are found in the code (never an f-string),
each is in both catalogues, and bad input given through the CLI with ``--lang zh-CN`` is reported in Chinese
naming the file, the key, the value and the fix."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from test_bad_input import demo_raw, with_raw_value, write_yaml
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.errors import InputError, Message, ScenarioError
from facility_layout.i18n import LANGUAGES, catalogue_path, translator

from conftest import scenario_on_region
from english import english_words

PACKAGE = Path(__file__).resolve().parent.parent / "facility_layout"
# Callables whose first argument is a message id (InputError: its problem and fix, the third and fourth;
# Table.fail: the second and fourth).
MESSAGE_TAKERS = {
    "Message",
    "N_",
    "FacilityLayoutError",
    "ScenarioError",
    "SolveError",
    "FetchError",
    "InitError",
    "InfeasibleLayoutError",
    "InvalidValueError",
}


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _ids(node: ast.expr, where: str, found: dict[str, str], bad: list[str]) -> None:
    """The message ids an argument can be: a literal, either branch of ``a if c else b`` (or of ``a or b``); an
    f-string or a sum of texts is refused (its words would never reach the catalogue); a name or a call holds a
    message made elsewhere (checked where it is made)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        found.setdefault(node.value, where)
    elif isinstance(node, ast.IfExp):
        _ids(node.body, where, found, bad)
        _ids(node.orelse, where, found, bad)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _ids(value, where, found, bad)
    elif isinstance(node, ast.JoinedStr | ast.BinOp):
        bad.append(f"{where}: {ast.unparse(node)[:100]}")


@cache
def message_ids() -> tuple[dict[str, str], list[str]]:
    """Every message id passed to an error, a warning or a :class:`Message` in facility_layout (id → where),
    and the places that pass an f-string or a sum of texts instead."""
    found: dict[str, str] = {}
    bad: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            arguments = {"InputError": node.args[2:4], "fail": node.args[1:4:2]}.get(
                name, node.args[:1] if name in MESSAGE_TAKERS else []
            )
            for argument in arguments:
                _ids(argument, f"{relative}:{node.lineno}", found, bad)
    return found, bad


def _catalogue(language: str) -> set[str]:
    with catalogue_path(language).open("rb") as po:
        return {message.id for message in read_po(po) if message.id}


def test_no_error_is_written_as_an_f_string() -> None:
    _, bad = message_ids()
    assert bad == [], "pass a message id and its values, not an f-string:\n" + "\n".join(bad)


def test_every_error_and_warning_is_in_every_catalogue() -> None:
    found, _ = message_ids()
    assert len(found) > 250
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        missing = {m: where for m, where in found.items() if m not in catalogue}
        assert missing == {}, f"{language}: {len(missing)} messages not in the catalogue: {missing}"


# --- what the planner sees: bad input through the CLI, in Chinese ----------------------------------------------

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "1000"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def refused_in(language: str, tmp_path: Path, path: Path, *expected: str, command: str = "validate", options=()):
    """``command`` exits 2 with one message holding every ``expected`` text; in Chinese, with no English word
    left but the literals (file names, keys, values) and the data's own words."""
    code, message = invoke(command, path, "--data-root", tmp_path / "data", *options)
    assert code == 2, message
    assert message.startswith("错误：" if language == "zh-CN" else "error:"), message
    for text in expected:
        assert text in message, f"{text!r} not in {message!r}"
    assert "Traceback" not in message
    if language == "zh-CN":
        # Paths are the planner's, and a value is shown as the scenario holds it (`key` = value：).
        assert english_words(re.sub(r"\S*/\S*|(?<=`) = [^：]*：", " ", message)) == set(), message
    return message


def test_a_message_is_english_as_str_and_chinese_when_shown() -> None:
    error = InputError(
        "inputs.population", "data/pop.tif", "has no coordinate reference system", "save the raster with a CRS"
    )
    assert (
        str(error)
        == "inputs.population (data/pop.tif): has no coordinate reference system. Fix: save the raster with a CRS"
    )
    assert error.problem == "has no coordinate reference system"
    assert error.text(translator("zh-CN")) == (
        "inputs.population（data/pop.tif）：没有坐标参考系。解决办法：保存栅格时请带上坐标参考系"
    )
    # Values are formatted as the id says, and a message among them is translated too.
    nested = ScenarioError(
        "{path}: cannot be read ({value}). Fix: check the file's permissions.", path="s.yaml", value=Message("the file")
    )
    assert str(nested) == "s.yaml: cannot be read (the file). Fix: check the file's permissions."
    assert nested.text(translator("zh-CN")) == "s.yaml：无法读取（该文件）。解决办法：检查文件权限。"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_key_is_named_with_its_fix(tmp_path: Path, language: str) -> None:
    raw = demo_raw()
    raw["objective"]["tpye"] = "min_cost"
    path = write_yaml(tmp_path / "scenario.yaml", raw)
    expected = {"en": ("unknown key", "did you mean `type`?"), "zh-CN": ("未知的键", "你是不是要写 `type`？")}
    refused_in(
        language, tmp_path, path, str(path), "`objective.tpye`", *expected[language], options=("--lang", language)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_yes_for_minutes_is_named_with_its_fix(tmp_path: Path, language: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "tiers.village_clinic.remote_keep_minutes", "yes"), encoding="utf-8")
    expected = {
        "en": ("a YAML yes/no value", "Fix: write a number of minutes (finite, > 0 and ≤ 10,080)"),
        "zh-CN": ("YAML 是/否值", "解决办法：请填写分钟数（有限值，> 0 且 ≤ 10,080），不要加引号"),
    }
    key = "`tiers.village_clinic.remote_keep_minutes` = True"
    refused_in(language, tmp_path, path, str(path), key, *expected[language], options=("--lang", language))


def test_the_scenario_language_is_used_when_the_scenario_does_not_load(tmp_path: Path) -> None:
    raw = demo_raw()
    raw["outputs"]["language"] = "zh-CN"
    raw["objective"]["type"] = "cheapest"
    path = write_yaml(tmp_path / "scenario.yaml", raw)
    refused_in(
        "zh-CN", tmp_path, path, str(path), "`objective.type` = 'cheapest'", "应为 'min_cost'", "或", "请更正该值"
    )
    # --lang overrides it.
    refused_in(
        "en", tmp_path, path, str(path), "`objective.type` = 'cheapest'", "Input should be", options=("--lang", "en")
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"- region\n- inputs\n", "实际为一个列表"),
        (b"region: [unclosed\n", "不是有效的 YAML"),
        (b"region: Synth\x81\x7f\x80tic\n", "不是 UTF-8（第 13 字节 0x81"),
    ],
    ids=["list", "syntax", "undecodable"],
)
def test_a_file_that_is_no_scenario_is_refused_in_chinese(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(content)
    refused_in("zh-CN", tmp_path, path, str(path), expected, "解决办法：", options=("--lang", "zh-CN"))


def test_a_missing_scenario_and_too_few_to_compare_in_chinese(tmp_path: Path) -> None:
    refused_in(
        "zh-CN",
        tmp_path,
        tmp_path / "nope.yaml",
        "nope.yaml",
        "找不到情景文件",
        "解决办法：检查路径",
        options=("--lang", "zh-CN"),
    )
    path = write_yaml(tmp_path / "scenario.yaml", demo_raw())
    refused_in(
        "zh-CN",
        tmp_path,
        path,
        "`compare` 至少需要两个情景",
        command="compare",
        options=("--out", tmp_path / "out", "--lang", "zh-CN"),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_input_file_names_key_file_and_fix(small_county: Path, tmp_path: Path, language: str) -> None:
    def edit(raw: dict) -> None:
        raw["inputs"]["facilities"]["file"] = str(tmp_path / "no_such_roster.geojson")

    path = scenario_on_region(small_county, tmp_path / "county.yaml", tmp_path / "out", edit)
    expected = {"en": ("file does not exist", "Fix: check the path"), "zh-CN": ("文件不存在", "解决办法：请检查")}
    refused_in(
        language,
        tmp_path,
        path,
        "inputs.facilities.file",
        "no_such_roster.geojson",
        *expected[language],
        options=("--lang", language),
    )


def test_validate_and_its_warnings_in_chinese(small_county: Path, tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        raw["inputs"].pop("elevation")
        raw["outputs"]["language"] = "zh-CN"

    path = scenario_on_region(small_county, tmp_path / "county.yaml", tmp_path / "out", edit)
    code, printed = invoke("validate", path)
    assert code == 0, printed
    assert "警告： inputs.elevation：未给出 DEM" in printed and "：有效。" in printed, printed
    assert "村卫生室" in printed and "乡镇卫生院" in printed, printed  # the facilities counted by tier
    data_words = {w for name in ("settlements.geojson", "facilities.geojson") for w in _names(small_county / name)}
    assert english_words(re.sub(r"\S*/\S*", " ", printed), data_words) == set(), printed


def _names(path: Path) -> set[str]:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return {w for f in features for w in re.findall("[A-Za-z]{2,}", str(f["properties"].get("name", "")))}


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [("--width-km", "2", "width_km=2.0 公里太小"), ("--seed", "-1", "`seed` 必须是非负整数，实际为 -1")],
    ids=["too-small", "negative-seed"],
)
def test_a_bad_generator_parameter_in_chinese(tmp_path: Path, option: str, value: str, expected: str) -> None:
    code, message = invoke("generate", tmp_path / "region", option, value, "--lang", "zh-CN")
    assert code == 2 and message.startswith("错误：") and expected in message and "解决办法：" in message, message
    assert english_words(message) == set(), message
    assert not (tmp_path / "region").exists()


def test_generating_onto_a_file_is_refused_in_chinese(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("the planner's notes\n", encoding="utf-8")
    code, message = invoke("generate", notes, "--lang", "zh-CN")
    assert code == 2 and message.startswith("错误：") and "是一个已有的文件，而不是文件夹" in message, message
    assert "Traceback" not in message and english_words(re.sub(r"\S*/\S*", " ", message)) == set(), message
    assert notes.read_text(encoding="utf-8") == "the planner's notes\n"
