"""Click's own usage errors (a missing argument, an unknown option or command, a bad value, extra arguments) in
the planner's language, naming the option or argument, the value and the fix, with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_i18n_errors import invoke

from english import english_words

# command line → texts the message must hold (the option or argument, the value, the fix), in each language.
CASES = [
    (["bogus"], ["'bogus'", "'validate'", "--help"], ["No such command", "Fix: use one of"], ["没有命令", "解决办法"]),
    (["validate", "s.yaml", "--forc"], ["--forc", "validate --help"], ["No such option"], ["没有选项"]),
    (["validate"], ["'scenario'", "validate --help"], ["Missing argument"], ["缺少参数"]),
    (["evaluate", "s.yaml"], ["'--layout'", "evaluate --help"], ["Missing option"], ["缺少选项"]),
    (["generate", "out", "--seed", "abc"], ["'--seed'", "'abc'", "7"], ["not a whole number"], ["不是整数"]),
    (["generate", "out", "--width-km", "x"], ["'--width-km'", "'x'", "30.5"], ["not a number"], ["不是数字"]),
    (["fetch", "out", "--retries", "-1"], ["'--retries'", "'-1'", "0"], ["less than 0", "0 or more"], ["小于 0"]),
    (["compare", "s.yaml", "--out"], ["'--out'", "1", "compare --help"], ["requires 1 value(s)"], ["需要 1 个值"]),
    (
        ["run", "s.yaml", "--force=yes"],
        ["'--force'"],
        ["does not take a value", "--force alone"],
        ["不带值", "只写 --force"],
    ),
    (["validate", "s.yaml", "a", "b"], ["'a' 'b'", "validate --help"], ["unexpected extra argument"], ["多出了参数"]),
]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
@pytest.mark.parametrize(("argv", "texts", "english", "chinese"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_usage_error_names_what_and_the_fix(language, argv, texts, english, chinese) -> None:
    command, *rest = argv  # --lang right after the command, where the wrong part cannot take it for its own
    code, message = invoke(command, "--lang", language, *rest)
    assert code == 2, message
    assert message.startswith("错误：" if language == "zh-CN" else "error:"), message
    for text in [*texts, *(chinese if language == "zh-CN" else english)]:
        assert text in message, f"{text!r} not in {message!r}"
    assert "Traceback" not in message and "╭" not in message
    if language == "zh-CN":
        assert english_words(message) == set(), message


def test_a_bad_lang_is_refused_in_the_scenarios_language(tmp_path: Path) -> None:
    """``--lang`` that is wrong itself: the message is in English, or in the language the scenario sets."""
    code, message = invoke("validate", tmp_path / "s.yaml", "--lang", "fr")
    assert (code, message) == (2, "error: Invalid value for '--lang': 'fr'. Fix: use one of 'en', 'zh-CN'.")
    (tmp_path / "s.yaml").write_text("outputs:\n  language: zh-CN\n", encoding="utf-8")
    code, message = invoke("validate", tmp_path / "s.yaml", "--lang=fr")
    assert (code, message) == (2, "错误： 选项 '--lang' 的值 'fr' 无效。解决办法：可选 'en', 'zh-CN'。")


def test_no_arguments_still_shows_the_help_page() -> None:
    code, message = invoke()
    assert code == 2 and "validate" in message and "error" not in message, message


def test_the_installed_command_exits_2_with_the_message_alone(tmp_path: Path) -> None:
    """Through the console entry (the command line read from ``sys.argv``), as a planner runs it."""
    (tmp_path / "s.yaml").write_text("outputs:\n  language: zh-CN\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "facility_layout.cli", "validate", tmp_path / "s.yaml", "--encodng", "gbk"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "1000"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "错误： 没有选项 --encodng。解决办法：是否想用 --encoding？可用的选项见 "
        "`python -m facility_layout.cli validate --help`。"
    )
