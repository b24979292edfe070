"""A scenario file that does not validate, explained: one line per problem naming the key, the value, what is
wrong in the planner's words and the fix ('did you mean …' for a typo, the unit and bounds of a number).

pydantic reports where each problem is (a path of keys, with the names of union members in it); the fix of a
number setting is read from the field's metadata: its :class:`NumberOf` marker and its bounds.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from facility_layout.errors import N_, InvalidValueError, Message, echo

# Tags of a file input's two forms (a path, or a mapping with its options), left out of the keys shown.
PATH_FORM, MAPPING_FORM = "<path>", "<mapping>"


@dataclass(frozen=True)
class NumberOf:
    """What a number setting counts, for messages ("this key wants a number of minutes")."""

    words: str


def explain(path: Path, exc: ValidationError, bases: list[Path], scenario: type[BaseModel]) -> Message:
    """One paragraph per problem of a scenario file at ``path`` (extending ``bases``) that does not validate
    as ``scenario``: file, key, value, and the fix ('did you mean …' for typos)."""
    # A key may come from a base file: name them all, as the planner must look in each.
    merged_from = (
        Message(" (merged with the scenarios it extends: {bases})", bases=", ".join(map(str, bases))) if bases else ""
    )
    # A mapping where a name or a mapping may go (travel.conditions) fails both ways; the mapping's reason is the one.
    errors = [e for e in exc.errors() if not (isinstance(e.get("input"), dict) and "str" in e["loc"][-1:])]
    lines = [
        Message(
            "{path}{merged_from}: the scenario has {count} problem(s):",
            path=path,
            merged_from=merged_from,
            count=len(errors),
        )
    ]
    for error in errors:
        # Without the tags of a file input's two forms (path or mapping) and the names pydantic gives the
        # members of a union (`travel.conditions.0.TravelCondition.name`).
        loc = [str(p) for p in error["loc"] if p not in (PATH_FORM, MAPPING_FORM)]
        key = ".".join(p for p in loc if not _is_settings_name(p)) or "(top level)"
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(scenario, loc[:-1])
            hint = difflib.get_close_matches(loc[-1], allowed, n=1, cutoff=0.6)
            fix = (
                Message("did you mean `{hint}`?", hint=hint[0])
                if hint
                else Message("allowed keys here: {allowed}.", allowed=", ".join(allowed))
            )
            lines.append(Message("  - `{key}`: unknown key. Fix: {fix}", key=key, fix=fix))
        elif error["type"] == "missing":
            lines.append(Message("  - `{key}`: required but missing. Fix: add it.", key=key))
        else:
            value = error.get("input")
            shown = echo(value) if not isinstance(value, dict) else "{…}"
            fix = _number_fix(scenario, loc) or Message("correct this value.")
            lines.append(
                Message(
                    "  - `{key}` = {shown}: {problem}. Fix: {fix}",
                    key=key,
                    shown=shown,
                    problem=_problem(error),
                    fix=fix,
                )
            )
    return Message("{lines}", lines=lines)


# pydantic's error types, in the planner's words (message ids; ``ctx`` fills the placeholders); any other
# type keeps pydantic's English message.
_PROBLEMS = {
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "finite_number": N_("Input should be a finite number"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "bool_type": N_("Input should be a valid boolean"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} character(s)"),
    "too_short": N_("List should have at least {min_length} item(s) after validation, not {actual_length}"),
    "too_long": N_("List should have at most {max_length} item(s) after validation, not {actual_length}"),
    "literal_error": N_("Input should be {expected}"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_("Input should be a valid dictionary or object to extract fields from"),
    "path_type": N_("Input is not a valid path"),
    "union_tag_invalid": N_(
        "Input tag {tag} found using {discriminator} does not match any of the expected tags: {expected_tags}"
    ),
}


def _problem(error: dict[str, Any]) -> Message | str:
    """What pydantic found wrong with a value, in the planner's words (its own message if it has none)."""
    raised = error.get("ctx", {}).get("error")
    if isinstance(raised, InvalidValueError):  # a validator's own message
        return raised.message
    if error["type"] in _PROBLEMS:
        ctx = dict(error.get("ctx", {}))
        if " or " in str(ctx.get("expected", "")):  # "'a', 'b' or 'c'": the "or" in the planner's language
            choices, last = ctx["expected"].rsplit(" or ", 1)
            ctx["expected"] = Message("{choices} or {last}", choices=choices, last=last)
        return Message(_PROBLEMS[error["type"]], **ctx)
    return error["msg"].removeprefix("Value error, ")


def _is_settings_name(part: str) -> bool:
    """Whether a part of an error's location names a member of a union (a settings model, or str, int …):
    keys are snake_case, models CamelCase."""
    return part in ("str", "int", "float") or part in {model.__name__ for model in _models(BaseModel)}


def _models(base: type) -> Iterator[type]:
    for model in base.__subclasses__():
        yield model
        yield from _models(model)


_BOUND_SIGNS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))


def _number_fix(scenario: type[BaseModel], loc: list[str]) -> Message | None:
    """'write a number of minutes > 0 and ≤ 10080' for a number setting at ``loc``, else None."""
    metadata = _setting_at(scenario, loc)[1]
    unit = next((m.words for m in metadata if isinstance(m, NumberOf)), None)
    if unit is None:
        return None
    bounds = [f"{sign} {_plain(getattr(m, name))}" for name, sign in _BOUND_SIGNS for m in metadata if hasattr(m, name)]
    upper = [b for b in bounds if b.startswith(("<", "≤"))]
    bounds = [b for b in bounds if b not in upper][:1] + upper[:1]  # the field's own bounds come first
    if len(bounds) == 2:
        bounds = [Message("{lower} and {upper}", lower=bounds[0], upper=bounds[1])]
    return Message(
        "write {unit} (finite, {bounds}), without quotes.", unit=Message(unit), bounds=bounds[0] if bounds else ""
    )


def _plain(bound: float) -> str:
    """10080 as '10,080', 0.5 as '0.5'."""
    return f"{int(bound):,}" if float(bound).is_integer() else f"{bound:g}"


def _setting_at(scenario: type[BaseModel], loc: list[str]) -> tuple[Any, list[Any]]:
    """The type of the setting at a location (a settings model, or e.g. float) and its field metadata
    (constraints and markers, outermost first)."""
    annotation: Any = scenario
    metadata: list[Any] = []
    for part in loc:
        annotation = _unwrapped(annotation, metadata, part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:  # a union member's name in the location
                continue
            metadata = list(field.metadata)
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict, tuple):
            annotation = get_args(annotation)[-1]
    return _unwrapped(annotation, metadata, None), metadata


def _unwrapped(annotation: Any, metadata: list[Any], member: str | None) -> Any:
    """``annotation`` without Optional, the union member named ``member`` and Annotated (whose metadata,
    pydantic's nested FieldInfo constraints included, is added to ``metadata``)."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if hasattr(item, "metadata") else [item])
        elif origin in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            # A file input's forms are tagged members (Annotated[VectorSource, Tag(...)]): judged without the tag,
            # kept with it so that its metadata is read on the next turn.
            bare = [get_args(a)[0] if get_origin(a) is Annotated else a for a in members]
            named = [a for a, b in zip(members, bare, strict=True) if getattr(b, "__name__", None) == member]
            models = [a for a, b in zip(members, bare, strict=True) if isinstance(b, type) and issubclass(b, BaseModel)]
            annotation = (named or models or members)[0]
        else:
            return annotation


def _allowed_keys(scenario: type[BaseModel], loc: list[str]) -> list[str]:
    """Field names of the settings model at a location such as ['tiers', 'village_clinic']."""
    model = _setting_at(scenario, loc)[0]
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    top_level = ["extends"] if not loc else []  # read before validation, so not a field
    return [name for name, f in model.model_fields.items() if not f.exclude] + top_level
