"""The bad-input catalogue (issue 13): scenario files and the terminal, one test per case.

Each case ends with exit status 2 and one message naming the file, the key, the value and the fix, with no
traceback and no output folder; or, where the input is fine but unusual (an encoding, a bracket), with the
right result. docs/reliability.md lists the cases. Other topics add ``tests/test_bad_input_<topic>.py``.
"""

from __future__ import annotations

import codecs
import itertools
import json
import math
import time
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.errors import ScenarioError
from facility_layout.jsonio import dump_json
from facility_layout.scenario import Scenario, load_scenario
from facility_layout.scenario_file import MAX_SCENARIO_BYTES
from facility_layout.scenario_problems import NumberOf

from conftest import scenario_on_region

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"
runner = CliRunner()


def demo_raw() -> dict:
    """The demo scenario (a synthetic region: `validate` with its files absent reads nothing but the YAML)."""
    return yaml.safe_load(DEMO.read_text(encoding="utf-8"))


def invoke(*args: str | Path) -> tuple[int, str]:
    """Exit status and the output (stdout and stderr, on a terminal wide enough for table rows to stay whole),
    whitespace runs made single."""
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "1000"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def validate(path: Path, tmp_path: Path, *options: str) -> tuple[int, str]:
    return invoke("validate", path, "--data-root", tmp_path / "data", *options)


def refused(tmp_path: Path, path: Path, *expected: str, command: str = "validate", options=()) -> str:
    """``command`` on ``path`` exits 2 with every ``expected`` text in one message, no traceback, no outputs."""
    started = time.perf_counter()
    code, message = invoke(command, path, "--data-root", tmp_path / "data", *options)
    assert code == 2, message
    assert message.startswith("error:") or "\nerror:" in message or " error: " in message, message
    for text in expected:
        assert text in message, f"{text!r} not in {message!r}"
    assert "Traceback" not in message
    assert not (tmp_path / "out").exists()
    assert time.perf_counter() - started < 20
    return message


def write_yaml(path: Path, raw: dict, encoding: str = "utf-8") -> Path:
    path.write_bytes(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).encode(encoding))
    return path


# --- encodings ----------------------------------------------------------------------------------------------

CHINESE_NAME = "测试县 村卫生室规划"
LATIN_NAME = "Mohéli – Fomboni, île à côté"


@pytest.mark.parametrize(
    ("codec", "name", "said"),
    [
        ("gbk", CHINESE_NAME, "gb18030"),
        ("gb18030", CHINESE_NAME, "gb18030"),
        ("latin-1", LATIN_NAME.replace("–", "-"), "cp1252"),
        ("cp1252", LATIN_NAME, "cp1252"),
        ("utf-8-sig", CHINESE_NAME, "UTF-8 byte-order mark"),
        ("utf-16", CHINESE_NAME, "UTF-16 LE byte-order mark"),  # what Windows Notepad calls "Unicode"
        ("utf-32", LATIN_NAME, "UTF-32 LE byte-order mark"),
    ],
)
def test_scenario_in_a_windows_encoding_is_read(tmp_path: Path, codec: str, name: str, said: str) -> None:
    raw = demo_raw()
    raw["region"]["name"] = name
    path = write_yaml(tmp_path / "scenario.yaml", raw, codec)
    code, message = validate(path, tmp_path)
    assert code == 0, message
    assert said in message and "read as" in message, message  # one line says how it was read
    assert load_scenario(path, tmp_path / "data").region.name == name


def test_utf16_big_endian_with_mark(tmp_path: Path) -> None:
    raw = demo_raw()
    raw["region"]["name"] = CHINESE_NAME
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    path = tmp_path / "scenario.yaml"
    path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    code, message = validate(path, tmp_path)
    assert code == 0 and "UTF-16 BE byte-order mark" in message, message
    assert load_scenario(path, tmp_path / "data").region.name == CHINESE_NAME


def test_plain_utf8_says_nothing_about_encodings(tmp_path: Path) -> None:
    raw = demo_raw()
    raw["region"]["name"] = CHINESE_NAME
    code, message = validate(write_yaml(tmp_path / "scenario.yaml", raw), tmp_path)
    assert code == 0 and "read as" not in message, message


def test_encoding_comment_and_option_override_the_guess(tmp_path: Path) -> None:
    """Latin-1 bytes that GB18030 would read as common Chinese (é and é together make 殚): named, they are
    read as the planner says."""
    raw = demo_raw()
    raw["region"]["name"] = "Créée"
    path = write_yaml(tmp_path / "scenario.yaml", raw, "latin-1")
    assert load_scenario(path, tmp_path / "data").region.name != "Créée"  # the guess is wrong here …
    code, message = validate(path, tmp_path, "--encoding", "latin-1")
    assert code == 0 and "given by --encoding" in message, message
    assert load_scenario(path, tmp_path / "data", encoding="latin-1").region.name == "Créée"
    path.write_bytes(b"# encoding: latin-1\n" + path.read_bytes())
    code, message = validate(path, tmp_path)
    assert code == 0 and "declared in its first lines" in message, message
    assert load_scenario(path, tmp_path / "data").region.name == "Créée"


def test_base_scenario_in_gbk_is_read_through_extends(tmp_path: Path) -> None:
    raw = demo_raw()
    raw["region"]["name"] = CHINESE_NAME
    write_yaml(tmp_path / "base.yaml", raw, "gbk")
    variant = write_yaml(tmp_path / "variant.yaml", {"extends": "base.yaml", "solver": {"time_limit_s": 60}}, "utf-16")
    code, message = validate(variant, tmp_path)
    assert code == 0, message
    assert "base.yaml: read as gb18030" in message and "variant.yaml: read as utf-16" in message, message
    scenario = load_scenario(variant, tmp_path / "data")
    assert scenario.region.name == CHINESE_NAME and scenario.solver.time_limit_s == 60


def test_undecodable_scenario_names_the_byte_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(DEMO.read_bytes().replace(b"Synthetic", b"Synth\x81\x7f\x80tic"))
    offset = path.read_bytes().index(b"\x81")
    refused(tmp_path, path, str(path), f"byte {offset}", "0x81", "save it as UTF-8", "--encoding gbk")


def test_wrong_encoding_option_names_the_byte(tmp_path: Path) -> None:
    raw = demo_raw()
    raw["region"]["name"] = CHINESE_NAME
    path = write_yaml(tmp_path / "scenario.yaml", raw, "gbk")
    offset = path.read_bytes().index(CHINESE_NAME.encode("gbk"))
    refused(tmp_path, path, str(path), "utf-8", f"byte {offset}", "--encoding gbk", options=("--encoding", "utf-8"))


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "scenario.yaml", demo_raw())
    refused(tmp_path, path, str(path), "'klingon'", "--encoding", "gbk", options=("--encoding", "klingon"))


# --- numbers ------------------------------------------------------------------------------------------------

NUMBER_CASES = [
    # key, YAML text, shown value, what the message says is allowed
    ("tiers.village_clinic.remote_keep_minutes", "yes", "True", "a number of minutes"),
    ("tiers.village_clinic.max_travel_minutes", "on", "True", "a number of minutes"),
    ("tiers.village_clinic.max_travel_minutes", ".inf", "inf", "≤ 10,080"),
    ("tiers.township_centre.referral_max_minutes", "-.inf", "-inf", "> 0"),
    ("tiers.village_clinic.keep_cost", ".nan", "nan", "a cost"),
    ("solver.time_limit_s", "1e308", "1e+308", "≤ 604,800"),
    ("solver.time_limit_s", "1.0e400", "inf", "a number of seconds"),
    ("travel.walking_speed_kmh", "'4.5'", "'4.5'", "without quotes"),
    ("travel.max_offroad_m", "1e9", "1000000000.0", "≤ 100,000"),
    ("travel.motor_speeds_kmh.track", "1e6", "1000000.0", "a speed in km/h"),
    ("tiers.township_centre.central_count", "true", "True", "a whole number"),
    ("population.cell_size_m", "nan", "'nan'", "a length in metres"),
    ("region.synthetic.population_total", "1e400", "inf", "a number of people"),
]


def put(raw: dict, key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def with_raw_value(raw: dict, key: str, text: str) -> str:
    """The scenario's YAML with ``text`` written as it is at ``key``."""
    put(raw, key, "__VALUE__")
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).replace("__VALUE__", text)


@pytest.mark.parametrize(("key", "text", "shown", "allowed"), NUMBER_CASES)
def test_number_settings_are_finite_numbers_in_range(
    tmp_path: Path, key: str, text: str, shown: str, allowed: str
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), key, text), encoding="utf-8")
    refused(tmp_path, path, str(path), f"`{key}` = {shown}", allowed, "Fix: write")


def test_inline_condition_errors_name_the_key_as_written(tmp_path: Path) -> None:
    """A number in a list of settings is named by its key as the planner wrote it (no pydantic union names)."""
    raw = demo_raw()
    raw["travel"]["conditions"] = [{"name": "flood", "unpaved_motor_factor": "__VALUE__", "clossed_way_ids": []}]
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False).replace("__VALUE__", "off"), encoding="utf-8")
    message = refused(
        tmp_path,
        path,
        "2 problem(s)",
        "`travel.conditions.0.unpaved_motor_factor` = False: a YAML yes/no value",
        "a share from 0 to 1 (finite, > 0 and ≤ 1)",
        "`travel.conditions.0.clossed_way_ids`: unknown key. Fix: did you mean `closed_way_ids`?",
    )
    assert "TravelCondition" not in message and ".str" not in message


def test_yes_is_not_one_minute(tmp_path: Path) -> None:
    """The reported case: `remote_keep_minutes: yes` ran as 1 minute; now refused, saying it wants minutes."""
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "tiers.village_clinic.remote_keep_minutes", "yes"), encoding="utf-8")
    message = refused(tmp_path, path, "remote_keep_minutes", "yes/no", "not a number of minutes")
    assert "1.0" not in message


def test_yes_as_a_tier_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "inputs.facilities.tiers.village_clinic", "[yes]"), encoding="utf-8")
    refused(tmp_path, path, "inputs.facilities.tiers.village_clinic.0", "yes/no", "quote it")


def test_exponent_without_a_dot_is_a_number(tmp_path: Path) -> None:
    """`1e5` is a number in YAML 1.2 (PyYAML alone would read it as text, which is now refused)."""
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "region.synthetic.population_total", "1.5e5"), encoding="utf-8")
    assert load_scenario(path, tmp_path / "data").region.synthetic.population_total == 150_000
    path.write_text(with_raw_value(demo_raw(), "region.synthetic.population_total", "1e5"), encoding="utf-8")
    assert load_scenario(path, tmp_path / "data").region.synthetic.population_total == 100_000


def number_fields(model: type[BaseModel] = Scenario, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every number setting of the schema: (path, annotation), read from the pydantic models. A path step
    ``0`` is the first item of a list, ``"track"`` a key of a mapping."""
    found = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        found += _numbers_in(field.annotation, (*prefix, name), field.metadata)
    return found


def _numbers_in(annotation: Any, path: tuple, metadata: list) -> list[tuple[tuple, Any]]:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return _numbers_in(inner, path, [*metadata, *extra])
    if origin in (Union, UnionType):
        members = get_args(annotation)
        if str in members:  # a number or text is a value of a data field, not a number setting
            members = tuple(m for m in members if isinstance(m, type) and issubclass(m, BaseModel))
        return [hit for member in members for hit in _numbers_in(member, path, metadata)]
    if origin is list:
        return _numbers_in(get_args(annotation)[0], (*path, 0), [])
    if origin is dict:
        return _numbers_in(get_args(annotation)[1], (*path, "track"), [])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return number_fields(annotation, path)
    if annotation in (int, float):
        return [(path, metadata)]
    return []


NUMBER_FIELDS = sorted({path: metadata for path, metadata in number_fields()}.items(), key=str)


def test_schema_has_number_fields_in_every_part() -> None:
    """The walk finds the number settings where they live (guards the property test against finding none)."""
    paths = {".".join(map(str, p)) for p, _ in NUMBER_FIELDS}
    assert {
        "tiers.village_clinic.remote_keep_minutes",
        "travel.motor_speeds_kmh.track",
        "futures.0.population_factor",
        "travel.conditions.0.unpaved_motor_factor",
        "region.synthetic.seed",
    } <= paths
    assert len(paths) >= 35


@pytest.mark.parametrize("path", [p for p, _ in NUMBER_FIELDS], ids=lambda p: ".".join(map(str, p)))
def test_every_number_setting_has_a_unit_and_an_upper_bound(path: tuple) -> None:
    """A new number key must use one of scenario.py's number types (Minutes, Cost, …): finite, bounded,
    never a yes/no, with its unit in messages."""
    flat = [m for item in dict(NUMBER_FIELDS)[path] for m in getattr(item, "metadata", [item])]
    assert any(isinstance(m, NumberOf) for m in flat), f"{path}: plain float/int; use a number type of scenario.py"
    assert any(hasattr(m, "le") or hasattr(m, "lt") for m in flat), f"{path}: no upper bound"


def raw_with(path: tuple, text: str) -> str:
    """The demo scenario's YAML with ``text`` at ``path``; a list item (named ``x``) or mapping is made for it."""
    raw = demo_raw()
    node: Any = raw
    for step, following in itertools.pairwise(path):
        if step == 0:  # the first of a list of settings, e.g. futures[0]
            if not node:
                node.append({"name": "x"})
            node = node[0]
            continue
        # A setting given as a path where a mapping may go (inputs.population: a raster or a census table)
        # becomes a mapping, so that the nested number can be put in.
        if not isinstance(node.get(step), dict | list):
            node[step] = [] if following == 0 else {}
        node = node[step]
    if path[-1] == 0:
        node[:] = ["__VALUE__"]
    else:
        node[path[-1]] = "__VALUE__"
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).replace("__VALUE__", text)


# YAML texts of the kinds a planner (or a fuzzer) might put where a number goes.
# fmt: off
ODD_SCALARS = [
    "yes", "no", "on", "off", "true", "False", "null", "~", "''", ".inf", "-.inf", "+.inf", ".NaN", "nan", "inf",
    "1e308", "-1e308", "1e400", "1.0e-400", "0x1F", "0o17", "1_000", "1:30", "2024-01-01", "2024-01-01T10:00:00Z",
    "[]", "[1, 2]", "{}", "{a: 1}", "'30'", '"30"', "30 min", "!!float 1e999", "!!int '7'", "-0", "9" * 400,
    "!!binary aGVsbG8=", "[yes]", "&a 5", "0.0000001",
]
# fmt: on
YAML_SCALARS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: yaml.safe_dump(x).split("\n")[0]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(ODD_SCALARS),
    st.text(max_size=20).map(json.dumps),
    st.lists(st.integers(-(10**6), 10**6), max_size=3).map(str),
)


@settings(max_examples=80, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from([p for p, _ in NUMBER_FIELDS]), text=YAML_SCALARS)
def test_any_yaml_scalar_in_any_number_setting_never_crashes(tmp_path: Path, field: tuple, text: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(raw_with(field, text), encoding="utf-8")
    started = time.perf_counter()
    code, message = validate(path, tmp_path)
    assert code in (0, 2), message
    assert "Traceback" not in message
    assert time.perf_counter() - started < 5
    if code == 2:
        assert len(message) < 3000, message  # no value is echoed at length


# --- YAML structure and the file itself ----------------------------------------------------------------------

BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
    + ["region:", "  name: *i"]
)


def test_alias_bomb_is_refused_quickly_with_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")  # 10⁹ values once expanded, 600 bytes
    message = refused(tmp_path, path, str(path), "aliases", "100,000 values", "Fix:")
    assert len(message) < 500 and "lol, lol, lol" not in message


def test_alias_bomb_below_the_limit_echoes_no_huge_value(tmp_path: Path) -> None:
    """Four levels (10,000 values) pass the alias limit; the error for the wrong type shows 80 characters."""
    raw = demo_raw()
    text = yaml.safe_dump(raw, sort_keys=False).replace("name: Synthetic mountain county", "name: *d")
    bomb = "\n".join(
        ["x0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"x{i + 1}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(3)]
    )
    path = tmp_path / "scenario.yaml"
    path.write_text(bomb + "\n" + text, encoding="utf-8")
    message = refused(tmp_path, path, "`region.name`", "…")
    assert len(message) < 2000, message


def test_alias_inside_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("region: &r\n  name: x\n  again: *r\n", encoding="utf-8")
    refused(tmp_path, path, str(path), "refers to the list or mapping that contains it", "Fix: remove that alias")


def test_huge_file_is_refused_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(DEMO.read_bytes() + b"# " + b"x" * MAX_SCENARIO_BYTES + b"\n")
    refused(tmp_path, path, str(path), "larger than 1,000,000 bytes", "Fix:")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("region: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    refused(tmp_path, path, str(path), "nest too deep", "Fix:")


def test_integer_of_thousands_of_digits(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "solver.time_limit_s", "9" * 5000), encoding="utf-8")
    message = refused(tmp_path, path, str(path), "Fix:")
    assert len(message) < 1000


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"# only a comment\n", "got nothing (only comments)"),
        (b"- region\n- inputs\n", "got a list"),
        (b"just some words\n", "got a single text"),
        (b"42\n", "got a single int"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file (byte 8 is 0)"),
        (b"region: [unclosed\n", "not valid YAML"),
        (b"region: !!python/object:os.system {}\n", "not valid YAML"),
    ],
    ids=["empty", "blank", "comment", "list", "text", "number", "binary", "syntax", "unsafe-tag"],
)
def test_file_that_is_not_a_scenario_mapping(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(content)
    refused(tmp_path, path, str(path), expected, "Fix:")


def test_folder_instead_of_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    refused(tmp_path, folder, str(folder), "is a folder, not a scenario file", "Fix:")
    refused(tmp_path, folder, str(folder), "is a folder, not a scenario file", command="run")


def test_missing_file(tmp_path: Path) -> None:
    refused(tmp_path, tmp_path / "nope.yaml", "nope.yaml", "not found", "Fix: check the path")


def test_long_unknown_values_are_cut_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "solver.name", "x" * 5000), encoding="utf-8")
    message = refused(tmp_path, path, "`solver.name`", "…")
    assert "x" * 100 not in message


# --- square brackets and other markup in names and paths ------------------------------------------------------

MARKUP_NAME = "Mwali [draft] [/] [bold red]x[/bold red] :smile:"


def test_brackets_in_a_path_do_not_hide_the_error(tmp_path: Path) -> None:
    """The reported case: rich read `[v2]` / `[bold]` as markup, even in the error handler."""
    folder = tmp_path / "in [v2] [bold]"
    folder.mkdir()
    path = folder / "bad [draft].yaml"
    path.write_text(with_raw_value(demo_raw(), "solver.time_limit_s", ".inf"), encoding="utf-8")
    refused(tmp_path, path, str(path), "`solver.time_limit_s` = inf")
    refused(tmp_path, path, str(path), "`solver.time_limit_s` = inf", command="run")


def test_error_text_with_markup_is_printed_literally(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "solver.name", "'[/] [bold]:smile:'"), encoding="utf-8")
    refused(tmp_path, path, "'[/] [bold]:smile:'")


# --- a run on a small county: brackets, an encoding, referral violations, strict JSON --------------------------


@pytest.fixture(scope="module")
def odd_run(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run of a scenario saved in GBK, named with markup, writing into `out [v2]`, with a referral limit of
    3 minutes that most clinics cannot meet. Returns the output folder and what the CLI printed."""
    base = tmp_path_factory.mktemp("odd run [x]")
    out = base / "out [v2]" / "run [1]"

    def edit(raw: dict) -> None:
        raw["region"]["name"] = f"{MARKUP_NAME} {CHINESE_NAME}"
        raw["tiers"]["township_centre"]["referral_max_minutes"] = 3

    path = scenario_on_region(small_county, base / "scenario [gbk].yaml", out, edit)
    write_yaml(path, yaml.safe_load(path.read_text(encoding="utf-8")), "gbk")
    assert CHINESE_NAME.encode("gbk") in path.read_bytes()
    code, message = invoke("run", path)
    assert code == 0, message
    return out, message


def test_names_and_folders_with_markup_print_literally(odd_run: tuple[Path, str]) -> None:
    out, message = odd_run
    assert f"{MARKUP_NAME} {CHINESE_NAME}" in message  # the title and the headline line
    assert f"outputs: {out}" in message
    assert "😄" not in message


def test_run_says_and_records_the_encoding(odd_run: tuple[Path, str]) -> None:
    out, message = odd_run
    assert "scenario [gbk].yaml: read as gb18030 (not UTF-8; guessed GB18030" in message
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    assert resolved["region"]["name"] == f"{MARKUP_NAME} {CHINESE_NAME}"
    assert [(Path(r["file"]).name, r["encoding"]) for r in resolved["read_as"]] == [("scenario [gbk].yaml", "gb18030")]


def test_referral_violations_reach_the_terminal(odd_run: tuple[Path, str]) -> None:
    out, message = odd_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    violations = summary["referral_violations"]
    assert violations, "a 3-minute referral limit should leave clinics without a centre"
    facilities = (out / "facilities.csv").read_text(encoding="utf-8")
    header, *rows = [r.split(",") for r in facilities.splitlines()]
    names = {row[header.index("site_id")]: row[header.index("name")] for row in rows}
    first = violations[0]
    assert "referral limit not met" in message
    assert f"{len(violations)} open clinic(s) with no township centre within 3 min: " in message
    assert f"{names[first]} ({first})" in message


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_every_json_output_is_strict(odd_run: tuple[Path, str], compared: tuple[Path, str]) -> None:
    written = [*odd_run[0].rglob("*.json"), *compared[0].rglob("*.json")]
    assert len(written) >= 3  # the run's summary and the compared layouts' summaries
    for path in written:
        strict_json(path.read_text(encoding="utf-8"))


def test_dump_json_writes_non_finite_figures_as_null(tmp_path: Path) -> None:
    """The reported case: `Infinity` in summary.json. Any non-finite figure becomes null, never `Infinity`."""
    import numpy as np

    figures = {"max": math.inf, "p95": -math.inf, "mean": math.nan, "n": np.float64("nan"), "ok": [1.5, np.int64(2)]}
    dump_json(figures, tmp_path / "summary.json")
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    assert strict_json(text) == {"max": None, "p95": None, "mean": None, "n": None, "ok": [1.5, 2]}
    assert "Infinity" not in text and "NaN" not in text


def test_scenario_error_from_the_api_is_the_same_message(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(with_raw_value(demo_raw(), "solver.mip_gap", "yes"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"`solver.mip_gap` = True: a YAML yes/no value"):
        load_scenario(path, tmp_path / "data")
