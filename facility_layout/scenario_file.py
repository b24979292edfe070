"""Reading one scenario file: its bytes, its text encoding and its YAML, within fixed limits.

Planners edit scenarios in whatever their office has, and Windows editors save GBK, cp1252 or UTF-16
with a byte-order mark as readily as UTF-8. The text is read as, in order: the encoding the planner
names (``--encoding``), the one a byte-order mark names, the one a first-line comment declares
(``# encoding: gbk``), strict UTF-8, and else a guess between GB18030 and cp1252 (Windows Latin-1) by a
fixed rule (:func:`_guess_legacy`). What was used, and why, is returned for the CLI and the outputs.

The YAML is read by PyYAML's safe loader with two bounds, so that a hostile or broken file cannot take the
machine's memory: the file size (:data:`MAX_SCENARIO_BYTES`) and the number of values the document holds
once its aliases are expanded (:data:`MAX_EXPANDED_VALUES`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from facility_layout.errors import Message, ScenarioError, echo

# A scenario is a few kilobytes; a megabyte of YAML is a wrong file, not a scenario.
MAX_SCENARIO_BYTES = 1_000_000
# A scenario holds a few hundred values; aliases (*name) that expand past this are a "billion laughs" file.
MAX_EXPANDED_VALUES = 100_000

ENCODING_FIX = Message("save it as UTF-8, or pass --encoding gbk (or the encoding it was saved in)")

# UTF-32 first: its little-endian mark starts with UTF-16's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"),
)
# `# encoding: gbk`, `# -*- coding: gbk -*-` (as PEP 263) on the first or second line.
_DECLARED = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
# Characters besides letters that Latin-1 text commonly holds.
_LATIN_PUNCTUATION = frozenset("\u00a0«»–—‘’‚“”„…°€£¥§©®±·×÷¡¿´¨¦ªº¹²³¼½¾µ¶†‡•‰‹›™")


@dataclass(frozen=True)
class ReadAs:
    """How one scenario file was decoded: the codec and why it was chosen (for the CLI and the outputs)."""

    file: Path
    encoding: str
    how: Message

    @property
    def plain_utf8(self) -> bool:
        """UTF-8 without a byte-order mark, found by reading: nothing for the planner to know."""
        return self.encoding == "utf-8" and self.how.id == "valid UTF-8"

    def line(self) -> Message:
        """One line for the terminal."""
        return Message("{file}: read as {encoding} ({how})", file=self.file, encoding=self.encoding, how=self.how)


def read_scenario_file(path: Path, encoding: str | None = None) -> tuple[Any, ReadAs]:
    """The YAML document of a scenario file and how its text was decoded.

    Parameters
    ----------
    path : Path
        The file.
    encoding : str, optional
        The codec the planner names (``--encoding``); it overrides any mark, comment or guess.

    Raises
    ------
    ScenarioError
        Not a readable file, too large, not text in any encoding tried, not YAML, or aliases expanding
        beyond :data:`MAX_EXPANDED_VALUES`; the message names the file, the place and the fix.
    """
    data = _read_bytes(path)
    text, read_as = decode_scenario_text(path, data, encoding)
    return _parse_yaml(path, text), read_as


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ScenarioError(
            "{path}: is a folder, not a scenario file. Fix: give the scenario's YAML file, e.g. {path2}.",
            path=path,
            path2=path / "scenario.yaml",
        )
    if not path.is_file():
        raise ScenarioError(
            "{path}: scenario file not found. Fix: check the path (cwd is {cwd}).", path=path, cwd=Path.cwd()
        )
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(
            "{path}: cannot be read ({value}). Fix: check the file's permissions.", path=path, value=exc.strerror or exc
        ) from None
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(
            "{path}: larger than {MAX_SCENARIO_BYTES:,} bytes; a scenario is a few kilobytes of YAML. Fix: check "
            "that this is the scenario file (input data goes in its own files, named under `inputs`).",
            path=path,
            MAX_SCENARIO_BYTES=MAX_SCENARIO_BYTES,
        )
    if not data.strip():
        raise ScenarioError(
            "{path}: the file is empty. Fix: write the scenario's settings into it (see scenarios/demo.yaml).",
            path=path,
        )
    return data


def decode_scenario_text(path: Path, data: bytes, encoding: str | None = None) -> tuple[str, ReadAs]:
    """The text of a scenario file's bytes and how it was decoded (see the module docstring for the order)."""
    if encoding is not None:
        return _decode(path, data, _codec(path, encoding, "--encoding"), Message("given by --encoding"))
    for mark, codec, name in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decode(path, data, codec, Message("{name} byte-order mark", name=name))
    declared = next(filter(None, (_DECLARED.match(line) for line in data.split(b"\n", 2)[:2])), None)
    if declared is not None:
        name = declared.group(1).decode("ascii", "replace")
        return _decode(
            path, data, _codec(path, name, Message("the `# encoding:` comment")), Message("declared in its first lines")
        )
    if b"\x00" in data:
        return _decode_nul_bytes(path, data)
    try:
        return data.decode("utf-8"), ReadAs(path, "utf-8", Message("valid UTF-8"))
    except UnicodeDecodeError as exc:
        not_utf8 = exc
    guessed = _guess_legacy(data)
    if guessed is None:
        offset = not_utf8.start
        raise ScenarioError(
            "{path}: not UTF-8 (byte {offset}, 0x{data:02x}, starts no UTF-8 character), and neither GB18030 nor "
            "cp1252 (Windows Latin-1) reads it as text. Fix: {fix}.",
            path=path,
            offset=offset,
            data=data[offset],
            fix=ENCODING_FIX,
        )
    codec, how = guessed
    return data.decode(codec), ReadAs(path, codec, how)


def _codec(path: Path, name: str, source: str | Message) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ScenarioError(
            "{path}: unknown text encoding {name} (from {source}). Fix: name a known one, e.g. utf-8, gbk, "
            "gb18030, cp1252, latin-1, utf-16.",
            path=path,
            name=echo(name),
            source=source,
        ) from None


def _decode(path: Path, data: bytes, codec: str, how: Message) -> tuple[str, ReadAs]:
    """``data`` decoded strictly; a UTF-8 or UTF-16/32 mark at the start is dropped."""
    codec = "utf-8-sig" if codec == "utf-8" else codec
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            "{path}: cannot be read as {codec} ({how}): byte {start} (0x{data:02x}) is not valid {codec}. Fix: {fix}.",
            path=path,
            codec=codec,
            how=how,
            start=exc.start,
            data=data[exc.start],
            fix=ENCODING_FIX,
        ) from None
    return text.removeprefix("\ufeff"), ReadAs(path, codec.removesuffix("-sig"), how)


def _decode_nul_bytes(path: Path, data: bytes) -> tuple[str, ReadAs]:
    """UTF-16 saved without a byte-order mark (ASCII text has every other byte 0), else a binary file."""
    even, odd = data[0::2], data[1::2]
    for codec, zeros, name in (("utf-16-le", odd, "UTF-16 LE"), ("utf-16-be", even, "UTF-16 BE")):
        if len(data) % 2 == 0 and zeros.count(0) >= 0.5 * len(zeros):
            try:
                return data.decode(codec), ReadAs(
                    path, codec, Message("no byte-order mark; every other byte 0, as {name}", name=name)
                )
            except UnicodeDecodeError:
                break
    raise ScenarioError(
        "{path}: not a text file (byte {index} is 0). Fix: give the scenario's YAML file, saved as text (UTF-8).",
        path=path,
        index=data.index(0),
    )


def _guess_legacy(data: bytes) -> tuple[str, Message] | None:
    """GB18030 or cp1252 for bytes that are not UTF-8, or None when neither reads as text.

    GB18030 decodes most byte strings, Latin-1 ones included (an accented letter and the ASCII letter after
    it make a rare character of its extension area), so it is chosen only when at least 80 % of the
    characters it reads outside ASCII are in GB2312, the set that everyday Chinese is written in. Else
    cp1252 when every character it reads outside ASCII is a letter or common punctuation.
    """
    chinese = _decoded(data, "gb18030")
    if chinese is not None:
        wide = [c for c in chinese if ord(c) > 0x7F]
        common = sum(1 for c in wide if _in_gb2312(c))
        if common >= 0.8 * len(wide):
            return "gb18030", Message("not UTF-8; guessed GB18030: its characters are common Chinese ones")
    latin = _decoded(data, "cp1252")
    if latin is not None and all(c.isalpha() or c in _LATIN_PUNCTUATION for c in latin if ord(c) > 0x7F):
        return "cp1252", Message("not UTF-8; guessed cp1252 (Windows Latin-1): its characters are accented letters")
    return None


def _decoded(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _in_gb2312(character: str) -> bool:
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing documents whose aliases expand beyond :data:`MAX_EXPANDED_VALUES`."""

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None:
            _count_expanded(node)
        return node


# Numbers in exponent form without a dot (`1e5`, `-2E-3`) are numbers in YAML 1.2; PyYAML (YAML 1.1) reads
# them as text, which the scenario's number fields would then refuse.
_BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class _TooLargeError(Exception):
    pass


class _CycleError(Exception):
    pass


def _count_expanded(root: yaml.Node) -> int:
    """Values in the document with every alias expanded; stops past the limit. Shared nodes count each time."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _CycleError
        open_nodes.add(key)
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_VALUES:
                raise _TooLargeError
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _parse_yaml(path: Path, text: str) -> Any:
    loader = _BoundedLoader(text)
    loader.name = str(path)  # marks in error messages name the file, not "<unicode string>"
    try:
        return loader.get_single_data()
    except _TooLargeError:
        raise ScenarioError(
            "{path}: its YAML aliases (*name) expand to more than {MAX_EXPANDED_VALUES:,} values; a scenario holds "
            "a few hundred. Fix: write the settings out instead of nesting aliases of aliases.",
            path=path,
            MAX_EXPANDED_VALUES=MAX_EXPANDED_VALUES,
        ) from None
    except _CycleError:
        raise ScenarioError(
            "{path}: a YAML alias (*name) refers to the list or mapping that contains it, which never ends. Fix: "
            "remove that alias.",
            path=path,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:  # where the parser stopped, and its words for why (PyYAML's, quoted)
            raise ScenarioError(
                "{path}: not valid YAML at line {line}, column {column}: {problem}. Fix: correct the YAML syntax.",
                path=path,
                line=mark.line + 1,
                column=mark.column + 1,
                problem=echo(" ".join(filter(None, (exc.context, exc.problem))), 200),
            ) from None
        raise ScenarioError(
            "{path}: not valid YAML ({exc}). Fix: correct the YAML syntax.", path=path, exc=echo(exc, 400)
        ) from None
    except RecursionError:
        raise ScenarioError(
            "{path}: its YAML lists or mappings nest too deep to read. Fix: a scenario nests a few levels; check "
            "that this is the scenario file.",
            path=path,
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ScenarioError(
            "{path}: a value cannot be read ({exc}). Fix: correct that value.", path=path, exc=echo(exc)
        ) from None
    finally:
        loader.dispose()
