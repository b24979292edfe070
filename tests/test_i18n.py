"""The message catalogues: same ids in every language, every id translated, placeholders kept."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from facility_layout.i18n import (
    CATALOGUES,
    FIELD_LABELS,
    LANGUAGES,
    VALUE_LABELS,
    catalogue_path,
    code_of,
    field_of,
    translator,
)

from english import english_words

PACKAGE = Path(__file__).resolve().parent.parent / "facility_layout"
# Modules whose words go through the catalogue (a later change adds the report and the errors).
TRANSLATED_MODULES = (
    "workbook.py",
    "gpkg_styles.py",
    "brief/__init__.py",
    "brief/map_figure.py",
    "palette.py",
    "evaluate.py",
    *(f"maps/{name}.py" for name in ("__init__", "cells", "classes", "facilities", "geojson", "labels", "layers")),
    *(f"maps/{name}.py" for name in ("page", "panel", "overview", "zoom_gate")),
    "cli.py",
    "cli_report.py",
    "report.py",
    "report_chart.py",
    "province_page.py",
    "distributed.py",
    "init_scenario.py",
    "fetch/starter.py",
)


def _catalogue(language: str) -> dict:
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po)
    return {message.id: message.string for message in catalog if message.id}


def _placeholders(text: str | tuple) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {name for t in texts for name in re.findall(r"\{(\w+)\}", t or "")}


def test_catalogues_have_the_same_ids_all_translated_with_the_same_placeholders() -> None:
    catalogues = {language: _catalogue(language) for language in LANGUAGES}
    ids = set(catalogues["en"])
    assert len(ids) > 100
    for language, messages in catalogues.items():
        assert set(messages) == ids, f"{CATALOGUES[language]} differs from en.po"
        for message_id, text in messages.items():
            forms = text if isinstance(text, tuple) else (text,)
            assert all(forms), f"{CATALOGUES[language]}: {message_id!r} has no translation"
            assert _placeholders(text) == _placeholders(message_id), f"{language}: {message_id!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_message_is_in_its_catalogue_once(language: str) -> None:
    # Babel keeps one of two entries with the same id silently: a later edit to the other would be lost.
    text = catalogue_path(language).read_text(encoding="utf-8")
    ids = re.findall(r'^msgid ("(?:[^"\\]|\\.)*"(?:\n"(?:[^"\\]|\\.)*")*)', text, flags=re.M)
    repeated = {i for i in ids if ids.count(i) > 1 and i != '""'}
    assert not repeated, repeated


def test_chinese_catalogue_is_chinese() -> None:
    # No English word is left in a Chinese message: placeholders, units, names of formats and standards, and the
    # literals a message quotes (scenario keys, options, file names, values) aside.
    for message_id, text in _catalogue("zh-CN").items():
        forms = text if isinstance(text, tuple) else (text,)
        if any(english_words(form) for form in forms):
            pytest.fail(f"zh_CN.po: {message_id!r} → {text!r} keeps English words {english_words(' '.join(forms))}")


def _message_ids_in_code() -> set[str]:
    """String literals passed to ``_(…)`` (or to ``cli._announce``, which passes its heading on), ``_.ngettext(…)``
    or kept in the label tables of the modules."""
    found = set()
    for name in TRANSLATED_MODULES:
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                # cli._announce passes its heading on to `_`.
                (isinstance(node.func, ast.Name) and node.func.id in ("_", "_announce"))
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "ngettext")
            ):
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def _all_ids() -> set[str]:
    """Every message id, both forms of a plural one."""
    return {form for key in _catalogue("en") for form in (key if isinstance(key, tuple) else (key,))}


def test_every_message_the_code_writes_is_in_the_catalogue() -> None:
    ids = _all_ids()
    used = _message_ids_in_code() | set(FIELD_LABELS.values()) | set(VALUE_LABELS.values())
    assert len(used) > 40
    assert used - ids == set()


def test_headline_and_change_labels_of_the_workbook_are_in_the_catalogue() -> None:
    # The workbook's and brief's messages given as literals in tuples (not direct _ calls).
    ids = _all_ids()
    for name in ("workbook.py", "brief/__init__.py", "palette.py"):
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.match(
                    r"^(People|Share|Mean|95th|Longest|Village clinic|Township|Central|Closed|Built|Upgraded)\b",
                    node.value,
                )
            ):
                assert node.value in ids, f"{name}: {node.value!r} not in the catalogue"


def test_numbers_and_minutes_follow_the_locale() -> None:
    en, zh = translator("en"), translator("zh-CN")
    assert en.minutes(12.34) == "12.3 min"
    assert zh.minutes(12.34) == "12.3 分钟"
    assert en.people(1234567.4) == "1,234,567" == zh.people(1234567.4)
    assert zh.percent(0.256) == "25.6%"
    assert zh.minutes(float("nan")) == "–"
    assert en.ngettext("{count} change", "{count} changes", 1, count=1) == "1 change"
    assert en.ngettext("{count} change", "{count} changes", 2, count=2) == "2 changes"
    assert zh.ngettext("{count} change", "{count} changes", 2, count=2) == "2 处调整"


def test_headers_and_decisions_read_back_in_either_language() -> None:
    zh = translator("zh-CN")
    assert zh("keep") == "保留" and zh("Decision") == "决策"
    assert field_of("决策") == "decision" == field_of("Decision") == field_of("decision")
    assert field_of("站点编号") == "site_id"
    assert code_of("保留") == "keep" and code_of("新建") == "build" and code_of("close") == "close"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="zh-CN"):
        translator("fr")


def test_the_words_kept_in_tables_are_in_the_catalogue() -> None:
    # The map and CLI translate these by value (_(symbol.label), _(stage)): the scan of literals cannot see them.
    from facility_layout import cli, cli_report
    from facility_layout.maps import classes, panel, styles
    from facility_layout.travel_settings import MODE_WORDS

    words = {s.label for s in (*styles.FACILITY_SYMBOLS, *styles.EXISTING_SYMBOLS.values())}
    words |= {s.label for s in styles.ROAD_STYLES.values()} | set(classes.TIER_NAMES.values())
    words |= set(styles.CELL_LAYERS.values()) | {
        n.removeprefix("Demand cells: ").capitalize() for n in styles.CELL_LAYERS.values()
    }
    words |= {styles.CELLS_OFF_LAYER, styles.ASSIGNMENTS_LAYER, styles.RELIEF_LAYER, styles.CATCHMENT_LAYER}
    words |= {styles.BEYOND_LAYER, styles.MERGE_LAYER, styles.SYNTHETIC_BANNER, "people in the cell ÷ its area"}
    words |= {"mean", "p95", "max", "open", "central", "Demand cells coloured by (one at a time)"}
    words |= set(MODE_WORDS.values()) | set(panel.SOLVER_STATUSES) | set(cli.STAGE_NAMES) | set(cli_report.CACHE_WORDS)
    words |= {"layout", "clinic standard met", "beyond it", "cost", "solver"}  # the comparison's columns
    words |= {"within the village clinic standard", "within the township centre standard"}
    assert words - _all_ids() == set()
