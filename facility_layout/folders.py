"""Output folders: which folders the tool may write into, one run at a time, and how a finished output moves in.

The rules (docs/reliability.md, "Output folders and locks"):

- Every output folder the tool writes carries :data:`MARKER`, a JSON file naming the tool, its version, the
  command and every file and folder the tool wrote there.
- A new folder, or an empty one, is used as is. An existing folder is replaced only when it carries the marker,
  and then only the entries the marker lists and the names this command writes are replaced or removed; any
  other file in it is kept (and reported as kept).
- An existing folder without the marker is refused, unless the planner says ``--force``: then only the
  command's own output names are replaced and nothing else is touched.
- Always refused, even with ``--force``: an existing file, and a folder that is or holds the data root, the
  scenario file, an input file, the travel-time cache, the home folder or the working directory (``/``
  holds them all).
- One run at a time per folder: an exclusive ``flock`` on ``.<name>.lock`` beside it, held for the whole run;
  a second run fails at once with a message (the kernel releases the lock of a killed run).
- Outputs are assembled in a staging folder ``.<name>.<8 characters>.partial`` beside the output folder,
  marked as staging; the next run into the same folder removes staging folders left by killed runs.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from facility_layout import __version__
from facility_layout.errors import N_, InputError, Message

if TYPE_CHECKING:
    from facility_layout.scenario import Scenario

MARKER = ".facility-layout-output"
TOOL = "facility-layout"
# An output's names: a file (None) or a nested output folder with names of its own (a compare's layouts).
Names = Mapping[str, "Names | None"]


@dataclass(frozen=True)
class OutputFolder:
    """A folder this run has checked and locked.

    Attributes
    ----------
    path : Path
        The folder, absolute.
    command : str
        ``run`` or ``compare``, written into the marker.
    names : mapping
        Every name the command may write there (see :data:`Names`).
    force : bool
        ``--force``: a folder without the marker may be written; only ``names`` are replaced there.
    kept : tuple of str
        Files and folders found there that the tool did not write; they stay untouched.
    """

    path: Path
    command: str
    names: Names
    force: bool
    kept: tuple[str, ...] = ()

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh staging folder beside the output folder; moved into place when the block ends without an
        error, removed when it ends with one."""
        staged = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent))
        try:
            _write_marker(staged, self.command, [], state="staging")
            yield staged
            written = sorted(p.name for p in staged.iterdir() if p.name != MARKER)
            unknown = [name for name in written if name not in self.names]
            if unknown:  # a name the claim did not check against the planner's files
                raise RuntimeError(f"{self.command} wrote {unknown}, not among its output names {sorted(self.names)}")
            _write_marker(staged, self.command, written)
            if not self.path.exists():
                staged.rename(self.path)
            else:
                _install(staged, self.path, self.command)
        finally:
            shutil.rmtree(staged, ignore_errors=True)


@contextmanager
def claim_output_folder(
    path: Path,
    *,
    command: str,
    names: Names,
    force: bool,
    field: str,
    protected: Iterable[tuple[str, Path]],
) -> Iterator[OutputFolder]:
    """Check that the tool may write ``path``, lock it for this run and clean up what killed runs left there.

    Parameters
    ----------
    path : Path
        The output folder.
    command : str
        ``run`` or ``compare``.
    names : mapping
        Every name the command may write (see :data:`Names`).
    force : bool
        Write into an existing folder without the marker, replacing only ``names``.
    field : str
        How the planner named the folder (``--out`` or ``outputs.dir``), for messages.
    protected : iterable of (str, Path)
        Places the folder must never be or hold, with what they are, e.g. ("the data root", path).

    Raises
    ------
    InputError
        The folder is protected, is a file, is not the tool's (without ``force``), holds a file of the planner's
        under a name the command writes (without ``force``), cannot be written, or another run holds it.
    """
    target = Path(path).expanduser().resolve()
    for what, place in protected:
        place = Path(place).expanduser().resolve()
        if target == place or target in place.parents:
            raise InputError(
                field,
                target,
                N_("this folder is {what} ({place}); facility-layout never writes its outputs there, even with --force")
                if target == place
                else N_(
                    "this folder holds {what} ({place}); facility-layout never writes its outputs there, even with "
                    "--force"
                ),
                "give a new or empty folder of its own for the outputs, e.g. out/<scenario name>",
                what=what,
                place=place,
            )
    if target.exists() and not target.is_dir():
        raise InputError(
            field, target, "is an existing file, not a folder", "give the path of a new or empty folder for the outputs"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(target, field)
    except OSError as exc:
        raise _not_writable(field, target, exc) from None
    try:
        # Checked under the lock: no other run changes the folder from here to the end.
        kept = _check_replaceable(target, names, force, field)
        try:
            if target.exists():
                _probe(target)
        except OSError as exc:
            raise _not_writable(field, target, exc) from None
        _remove_stale_staging(target)
        yield OutputFolder(target, command, names, force, tuple(kept))
    finally:
        _unlock(target, lock)


def _not_writable(field: str, target: Path, exc: OSError) -> InputError:
    return InputError(
        field,
        target,
        "cannot be written ({strerror}: {filename})",
        "choose an output folder in a place you can write to",
        strerror=exc.strerror,
        filename=exc.filename,
    )


def _check_replaceable(target: Path, names: Names, force: bool, field: str, prefix: str = "") -> list[str]:
    """Refuse ``target`` unless the tool may write ``names`` there; returns what it holds that stays untouched."""
    if not target.is_dir():
        return []
    entries = sorted(p.name for p in target.iterdir())
    marker = read_marker(target)
    if marker is None and entries and not force:
        shown = ", ".join(entries[:5])
        shown = (
            Message("{entries} and {count} more", entries=shown, count=len(entries) - 5) if len(entries) > 5 else shown
        )
        raise InputError(
            field,
            target,
            "is an existing folder that facility-layout did not write (it has no {MARKER} file) and is not empty "
            "(it holds {shown})",
            "give a new or empty folder, or add --force to replace only facility-layout's own output files there "
            "({names}) and keep everything else",
            MARKER=MARKER,
            shown=shown,
            names=", ".join(sorted(names)),
        )
    listed = set(marker["files"]) if marker else set()
    kept = []
    for name in entries:
        entry = target / name
        if name.startswith(MARKER):  # the marker, or its next version a killed run did not finish writing
            continue
        if name not in names:
            if name not in listed:
                kept.append(prefix + name)
            continue
        nested = names[name]
        if (nested is not None) != entry.is_dir() or entry.is_symlink():
            kind = Message("a folder") if nested is not None else Message("a file")
            raise InputError(
                field,
                entry,
                "facility-layout writes {kind} named {name} here, and this is not one",
                "move or rename it, or give another output folder",
                kind=kind,
                name=name,
            )
        if name not in listed and not force:
            raise InputError(
                field,
                entry,
                N_("facility-layout did not write this folder, but its outputs include one of this name")
                if nested is not None
                else N_("facility-layout did not write this file, but its outputs include one of this name"),
                "move or rename it, give another output folder, or add --force to replace it",
            )
        if nested is not None:
            kept += _check_replaceable(entry, nested, force, field, f"{prefix}{name}/")
    return kept


def read_marker(folder: Path) -> dict | None:
    """The folder's marker, or None when it has none (or one the tool cannot have written)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("tool") != TOOL or not isinstance(marker.get("files"), list):
        return None
    return marker


def _write_marker(folder: Path, command: str, files: list[str], state: str = "complete") -> None:
    """Write the marker whole or not at all (a temporary file renamed over it)."""
    text = json.dumps(
        {"tool": TOOL, "version": __version__, "command": command, "state": state, "files": sorted(files)},
        indent=2,
    )
    partial = folder / f"{MARKER}.partial"
    partial.write_text(text + "\n", encoding="utf-8")
    os.replace(partial, folder / MARKER)


def _install(staged: Path, target: Path, command: str) -> None:
    """Move the finished entries of ``staged`` into the existing ``target`` one by one; remove the tool's
    entries of an earlier output that this one no longer has; leave every other entry alone.

    The marker is updated first to list both the old and the new entries, so that a run killed half-way
    leaves a folder the next run still recognises as its own.
    """
    old = read_marker(target)
    listed = set(old["files"]) if old else set()
    new = set(read_marker(staged)["files"])  # type: ignore[index]  # OutputFolder.staging wrote it
    _write_marker(target, command, sorted(listed | new), state="replacing")
    for name in sorted(new):
        source, destination = staged / name, target / name
        if source.is_dir() and destination.is_dir():
            _install(source, destination, (read_marker(source) or {}).get("command", command))
        else:
            os.replace(source, destination)
    for name in sorted(listed - new):
        _remove_own(target / name)
    _write_marker(target, command, sorted(new))


def _remove_own(path: Path) -> None:
    """Remove an entry the tool wrote; of a folder, only what its marker lists (and the folder, once empty)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    marker = read_marker(path) if path.is_dir() else None
    if marker is None:
        return
    for name in marker["files"]:
        _remove_own(path / name)
    (path / MARKER).unlink(missing_ok=True)
    try:
        path.rmdir()
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise


def _staging_pattern(target: Path) -> re.Pattern[str]:
    # tempfile.mkdtemp's random part is 8 characters of [a-z0-9_].
    return re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.partial")


def _remove_stale_staging(target: Path) -> None:
    """Remove staging folders of this output folder left by killed runs (the caller holds the lock)."""
    pattern = _staging_pattern(target)
    for entry in target.parent.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink() and read_marker(entry):
            shutil.rmtree(entry, ignore_errors=True)


def _probe(folder: Path) -> None:
    """Raise OSError now, not after the whole run, when files cannot be created in ``folder``."""
    probe = folder / f".facility-layout-probe-{os.getpid()}"
    probe.touch()
    probe.unlink()


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _lock(target: Path, field: str) -> int:
    """Hold ``.<name>.lock`` beside ``target`` exclusively (returns its descriptor), or fail at once naming the
    run that holds it.

    :func:`_unlock` removes the lock file when the run ends. A run that opened it before the removal finds the
    file it locked gone from the folder and locks the new one instead.
    """
    lock = _lock_path(target)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or Message("unknown")
            os.close(fd)
            raise InputError(
                field,
                target,
                "another facility-layout run (process {holder}) is writing this folder right now (lock {lock})",
                "wait for that run to end, or give another output folder",
                holder=holder,
                lock=lock,
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)


def _unlock(target: Path, fd: int) -> None:
    _lock_path(target).unlink(missing_ok=True)
    os.close(fd)


def protected_places(scenario: Scenario) -> list[tuple[str, Path]]:
    """The places an output folder of ``scenario`` must never be or hold, with what they are."""
    places = [(Message("your home folder"), Path.home()), (Message("the working directory"), Path.cwd())]
    if scenario.data_root is not None:
        places.append((Message("the data root"), scenario.data_root))
    if scenario.source is not None:
        places.append((Message("the scenario file"), scenario.source))
    places += [(Message("the input file {key}", key=key), path) for key, path in scenario.input_files().items()]
    if scenario.cache.enabled:
        places.append((Message("the travel-time cache"), scenario.cache.folder()))
    return places
