"""The command line's own usage errors (a missing argument, an unknown option or command, a bad option value,
extra arguments) in the planner's language, as the tool's other errors are (:mod:`facility_layout.errors`).

Click finds these before any command runs and prints them in English; :func:`usage_message` puts one into a
:class:`~facility_layout.errors.Message` naming the option or argument, the value and the fix, and
:func:`language_options` finds in the command line what decides its language: ``--lang`` (unless it is the
value that is wrong), the scenario files given and ``--encoding`` (their ``outputs.language``).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import typer

from facility_layout.errors import Joined, Message
from facility_layout.i18n import LANGUAGES

# click's exceptions, from the click Typer runs on (its own copy of click since Typer 0.2x, not the click package).
click = importlib.import_module(typer.BadParameter.__module__)
UsageError = click.UsageError
# The help page shown for a command line without arguments (click ≥ 8.2), not an error of the planner's.
HelpPage = getattr(click, "NoArgsIsHelpError", ())

# What the commands' context keeps for these messages: the whole command line (the language of its errors), the
# name of the command given, and its arguments (for :func:`_extra_arguments`).
COMMAND_LINE_KEY = "facility_layout.command_line"
COMMAND_KEY = "facility_layout.command"
ARGUMENTS_KEY = "facility_layout.arguments"


class NoSuchCommand(UsageError):  # noqa: N818 - click's name for it
    """A command name that is none of the tool's (click says so only in words)."""

    def __init__(self, command_name: str, ctx: typer.Context) -> None:
        super().__init__(f"No such command {command_name!r}.", ctx)
        self.command_name = command_name


def language_options(argv: list[str]) -> tuple[str | None, list[Path], str | None]:
    """``--lang`` if it names a language, the scenario files (``*.yaml``, ``*.yml``) and ``--encoding`` as they
    are written in ``argv``, read without parsing it (it is the command line that did not parse)."""
    found: dict[str, str] = {}
    for position, token in enumerate(argv):
        name, equals, value = token.partition("=")
        if name in ("--lang", "--encoding"):
            found[name] = value if equals else (argv[position + 1] if position + 1 < len(argv) else "")
    scenarios = [Path(token) for token in argv if token.lower().endswith((".yaml", ".yml"))]
    lang = found.get("--lang")
    return (lang if lang in LANGUAGES else None), scenarios, found.get("--encoding") or None


def usage_message(error: UsageError, commands: typer.Context | None = None) -> Message:
    """What was wrong with the command line and how to fix it, for any usage error click raises (``commands``:
    the context of the tool's commands, for an error that does not say which command it is about)."""
    ctx = error.ctx
    if ctx is None and commands is not None and commands.meta.get(COMMAND_KEY):
        ctx = typer.Context(commands.command.get_command(commands, commands.meta[COMMAND_KEY]), commands)
        ctx.info_name = commands.meta[COMMAND_KEY]
    help_command = f"{ctx.command_path} --help" if ctx is not None else "facility-layout --help"
    if isinstance(error, NoSuchCommand):
        names = sorted(ctx.command.list_commands(ctx)) if ctx is not None else []
        return Message(
            "No such command {name!r}. Fix: use one of {commands}; see `{help}`.",
            name=error.command_name,
            commands=", ".join(repr(command) for command in names),
            help=help_command,
        )
    if isinstance(error, click.NoSuchOption):
        if error.possibilities:
            return Message(
                "No such option: {name}. Fix: did you mean {possibilities}? See the options in `{help}`.",
                name=error.option_name,
                possibilities=Joined(sorted(error.possibilities)),
                help=help_command,
            )
        return Message(
            "No such option: {name}. Fix: see the options in `{help}`.", name=error.option_name, help=help_command
        )
    if isinstance(error, click.BadOptionUsage):
        return _option_usage(error, ctx, help_command)
    if isinstance(error, click.MissingParameter) and error.param is not None:
        name = error.param.get_error_hint()
        if error.param.param_type_name == "option":
            return Message("Missing option {name}. Fix: give it; see `{help}`.", name=name, help=help_command)
        return Message("Missing argument {name}. Fix: give it; see `{help}`.", name=name, help=help_command)
    if isinstance(error, click.BadParameter) and error.param is not None:
        return _bad_value(error, error.param.get_error_hint(), help_command)
    extra = _extra_arguments(error)
    if extra:
        return Message(
            "Got unexpected extra argument(s): {extra}. Fix: remove them (quote a path with spaces); see `{help}`.",
            extra=" ".join(repr(argument) for argument in extra),
            help=help_command,
        )
    return Message("{problem} Fix: see `{help}`.", problem=error.format_message(), help=help_command)


def _option_usage(error: click.BadOptionUsage, ctx: typer.Context | None, help_command: str) -> Message:
    """An option written without the value(s) it takes, or a switch given a value."""
    option = _option_named(ctx, error.option_name)
    if option is not None and getattr(option, "is_flag", False):
        return Message("Option {name!r} does not take a value. Fix: write {name} alone.", name=error.option_name)
    if option is not None:
        return Message(
            "Option {name!r} requires {count} value(s) after it. Fix: write them; see `{help}`.",
            name=error.option_name,
            count=max(option.nargs, 1),
            help=help_command,
        )
    return Message("{problem} Fix: see `{help}`.", problem=error.format_message(), help=help_command)


def _option_named(ctx: typer.Context | None, name: str) -> object | None:
    options = ctx.command.params if ctx is not None else []
    return next((o for o in options if o.param_type_name == "option" and name in o.opts + o.secondary_opts), None)


def _bad_value(error: click.BadParameter, name: str, help_command: str) -> Message:
    """A value of the wrong type or out of range: Typer checks values with pydantic, whose error holds the value
    and the rule it breaks."""
    cause = error.__cause__
    problems = cause.errors() if hasattr(cause, "errors") else []
    if not problems:
        return Message(
            "Invalid value for {name}: {problem} Fix: see `{help}`.",
            name=name,
            problem=error.format_message().partition(": ")[2] or error.message,
            help=help_command,
        )
    problem = problems[0]
    value, kind, rule = problem.get("input"), problem.get("type"), problem.get("ctx") or {}
    # Typer checks a choice in a function of its own, whose error lists the choices in words.
    _value, one_of, choices = str(problem.get("msg", "")).partition(" is not one of ")
    if one_of:
        choices = re.findall(r"'([^']*)'", choices)
        return Message(
            "Invalid value for {name}: {value!r}. Fix: use one of {choices}.",
            name=name,
            value=value,
            choices=", ".join(repr(choice) for choice in choices),
        )
    if kind == "int_parsing":
        return Message(
            "Invalid value for {name}: {value!r} is not a whole number. Fix: write one, e.g. 7.", name=name, value=value
        )
    if kind == "float_parsing":
        return Message(
            "Invalid value for {name}: {value!r} is not a number. Fix: write one, e.g. 30.5.", name=name, value=value
        )
    if "ge" in rule:
        return Message(
            "Invalid value for {name}: {value!r} is less than {limit}. Fix: write {limit} or more.",
            name=name,
            value=value,
            limit=rule["ge"],
        )
    return Message(
        "Invalid value for {name}: {value!r} ({problem}). Fix: see `{help}`.",
        name=name,
        value=value,
        problem=problem.get("msg"),
        help=help_command,
    )


def _extra_arguments(error: UsageError) -> list[str]:
    """The arguments a command was given beyond those it takes (click says so only in words): the command line
    parsed again leniently, which keeps them aside instead of failing."""
    ctx = error.ctx
    given = ctx.meta.get(ARGUMENTS_KEY) if ctx is not None and ctx.parent is not None else None
    if given is None or type(error) is not UsageError:
        return []
    try:
        lenient = ctx.command.make_context(ctx.info_name, list(given), parent=ctx.parent, resilient_parsing=True)
    except UsageError:
        return []
    return list(lenient.args)
