"""Errors a planner can act on: each names the file, the field, the value and the fix, in the planner's language.

An error holds a message id (its English text with ``{named}`` placeholders, a key of ``locales/*.po``) and the
values; it is put into words when shown: ``str(error)`` in English (logs, tests), ``error.text(_)`` in the
language of the translator ``_`` (the CLI: ``--lang``, else the scenario's ``outputs.language``, else English).
A value that is words itself is a :class:`Message` (a list of them shows one per line, :class:`Joined` on one
line); file names, keys and values stay as they are. Warnings are Messages too, shown with :func:`in_words`.
Never pass an f-string or a sum of texts: ``tests/test_i18n_errors.py`` finds every id given to an error,
``Message``, ``N_`` (a word kept in a table) or ``Table.fail`` and fails on one missing from ``en.po`` (msgstr =
msgid) or ``zh_CN.po``. Example::

    raise InputError("inputs.population", path, "has no CRS ({found})", "save it with one", found=crs)
    raise ScenarioError("{path}: `extends` = {base} is not a file name. Fix: …", path=path, base=echo(base))

The CLI prints the message of a :class:`FacilityLayoutError` as one paragraph and exits non-zero;
anything else escaping the pipeline is a bug in facility_layout, not bad input.
"""

from __future__ import annotations

from pathlib import Path

from facility_layout.i18n import ENGLISH, Translator


def N_(words: str) -> str:  # noqa: N802 - gettext's name for it
    """Mark ``words`` as a message id translated later, where shown (gettext's ``N_``): returns them as they are."""
    return words


class Message:
    """Words to show the planner: a message id and the values of its placeholders, translated when shown.

    Parameters
    ----------
    id : str
        The English text, with ``{named}`` placeholders (str.format syntax: ``{n:,}``, ``{value!r}``).
    **values
        The placeholders' values; a :class:`Message`, an error or a list of them is put into words too.
    """

    __slots__ = ("id", "values")

    def __init__(self, id: str, /, **values: object) -> None:
        self.id, self.values = id, values

    def text(self, _: Translator = ENGLISH) -> str:
        """The message in ``_``'s language."""
        return _(self.id, **{name: in_words(value, _) for name, value in self.values.items()})

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Message({self.id!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.id, self.values) == (other.id, other.values)

    def __hash__(self) -> int:
        return hash(self.id)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: object) -> object:
        """A setting may hold a message as it is (e.g. how a scenario file was decoded)."""
        from pydantic_core import core_schema

        return core_schema.is_instance_schema(cls)


def in_words(value: object, _: Translator = ENGLISH) -> object:
    """``value`` as a message shows it in ``_``'s language: messages and errors translated, a list of them one
    per line; any other value as it is."""
    if isinstance(value, Message):
        return value.text(_)
    if isinstance(getattr(value, "message", None), Message):  # an error of ours, or one a model raised
        return value.message.text(_)
    if isinstance(value, Joined):
        return value.separator.join(str(in_words(item, _)) for item in value.items)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Message) for v in value):
        return "\n".join(v.text(_) for v in value)
    return value


class Joined:
    """Values (messages among them) shown one after another, ``separator`` between them."""

    __slots__ = ("items", "separator")

    def __init__(self, items: list[object], separator: str = ", ") -> None:
        self.items, self.separator = list(items), separator

    def __str__(self) -> str:
        return str(in_words(self))


def as_message(words: str | Message, /, **values: object) -> Message:
    """``words`` as a :class:`Message` (a message id with ``values``, or a message already)."""
    return words if isinstance(words, Message) else Message(words, **values)


class FacilityLayoutError(Exception):
    """Base class: the message is complete and meant for the planner.

    Parameters
    ----------
    message : str or Message
        The message id (or a :class:`Message`).
    **values
        Its placeholders' values.
    """

    def __init__(self, message: str | Message, /, **values: object) -> None:
        self.message = as_message(message, **values)
        super().__init__(self.message.text())

    def text(self, _: Translator = ENGLISH) -> str:
        """The message in ``_``'s language."""
        return self.message.text(_)


class ScenarioError(FacilityLayoutError):
    """The scenario YAML is malformed or inconsistent."""


class InputError(FacilityLayoutError):
    """An input file is missing, unreadable or does not fit the region.

    Parameters
    ----------
    field : str
        The scenario key that names the file, e.g. ``inputs.population``.
    path : Path
        The file.
    problem : str or Message
        What is wrong, in words (a message id).
    fix : str or Message
        What the planner should do (a message id).
    **values
        The placeholders' values of ``problem`` and ``fix``.
    """

    def __init__(
        self, field: str, path: Path | str, problem: str | Message, fix: str | Message, /, **values: object
    ) -> None:
        self.field, self.path = field, Path(path)
        problem_words, fix_words = as_message(problem, **values), as_message(fix, **values)
        self.problem, self.fix = problem_words.text(), fix_words.text()
        super().__init__(
            N_("{field} ({path}): {problem}. Fix: {fix}"), field=field, path=path, problem=problem_words, fix=fix_words
        )


class SolveError(FacilityLayoutError):
    """The solver could not give a layout: not installed, time limit without a solution, infeasible."""


class InvalidValueError(ValueError):
    """A scenario value a validator refuses: pydantic reports it as a value error, and
    :func:`scenario_problems.explain` shows its message in the planner's language."""

    def __init__(self, message: str | Message, /, **values: object) -> None:
        self.message = as_message(message, **values)
        super().__init__(self.message.text())


def echo(value: object, limit: int = 80) -> str:
    """``value`` as a message shows it: its repr (an error: its message), cut to ``limit`` characters.

    A message must stay short whatever the input held (a huge list, an expanded YAML alias, a
    5,000-digit number whose repr Python refuses).
    """
    try:
        shown = str(value) if isinstance(value, BaseException) else repr(value)
    except ValueError:  # an integer too long to print
        shown = f"<a number of more than {limit} digits>"
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
