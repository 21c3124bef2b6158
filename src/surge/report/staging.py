"""Write a report folder all at once: build it in a temporary folder next to the target, then move it in.

A report that fails half-way (a full disk, a file-size limit, an error in a late stage) then leaves
nothing behind and never touches what the target folder held. The temporary folder sits in the
target's parent so that moving it is a rename on the same file system: a single atomic rename when
the target does not exist yet; otherwise (an empty folder, or ``--force``) one rename per file, made
only once every one of them is known to be possible, so the user's other files are left alone.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from surge.errors import SurgeError


def _cannot_write(target: Path, exc: OSError) -> SurgeError:
    return SurgeError(f"cannot write the report into {target}: {exc.strerror or exc}")


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the folders created, outermost first."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    missing.reverse()
    for path in missing:
        path.mkdir()
    return missing


def _remove_if_empty(folders: list[Path]) -> None:
    for path in reversed(folders):
        try:
            path.rmdir()
        except OSError:
            return  # not empty (someone else's files) or already gone: leave it


def _new_folder(target: Path) -> Path:
    """``.<name>.surge-<random>`` beside ``target``, made with the umask's permissions (the report
    folder keeps them once renamed; tempfile.mkdtemp would make it private)."""
    for _ in range(100):
        stage = target.parent / f".{target.name}.surge-{secrets.token_hex(4)}"
        try:
            stage.mkdir()
        except FileExistsError:
            continue
        return stage
    raise FileExistsError(f"no free temporary folder name beside {target}")


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A new, empty temporary folder next to ``target``; it is removed on exit, whatever happens.

    On failure the parent folders made for it are removed too (when still empty), so a failed
    report leaves the file system as it was.
    """
    target = Path(os.path.abspath(target))  # "." and ".." have no name and no parent of their own
    created: list[Path] = []
    try:
        created = _make_parents(target.parent)
        stage = _new_folder(target)
    except OSError as exc:
        _remove_if_empty(created)
        raise _cannot_write(target, exc) from exc
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_if_empty(created)
        raise
    shutil.rmtree(stage, ignore_errors=True)


def publish(stage: Path, target: Path) -> None:
    """Move the report built in ``stage`` to ``target`` (see the module docstring)."""
    target = Path(os.path.abspath(target))
    try:
        if not os.path.lexists(target):
            os.rename(stage, target)
            return
        moves = _planned_moves(stage, target)
        for source, destination in moves:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, destination)
    except OSError as exc:
        raise _cannot_write(target, exc) from exc


def _planned_moves(stage: Path, target: Path) -> list[tuple[Path, Path]]:
    """Every (staged file, its place in ``target``), after checking that none is in the way."""
    if not target.is_dir():
        raise SurgeError(f"cannot write the report into {target}: it is not a folder")
    moves = []
    for source in sorted(stage.rglob("*")):
        destination = target / source.relative_to(stage)
        if source.is_dir():
            if os.path.lexists(destination) and not destination.is_dir():
                raise SurgeError(
                    f"cannot write the report into {target}: {destination} is a file where the report "
                    "needs a folder (nothing was changed)"
                )
        elif destination.is_dir():
            raise SurgeError(
                f"cannot write the report into {target}: {destination} is a folder where the report "
                "writes a file (nothing was changed)"
            )
        else:
            moves.append((source, destination))
    return moves
