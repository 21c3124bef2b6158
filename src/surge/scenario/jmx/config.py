"""A plan's configuration elements: data files, CSV Data Sets, Cookie Managers, random variables, counters.

Data files are looked up as JMeter does (a relative path is relative to the plan's folder), then,
when that fails, by their file name in ``--data-dir``: plans carry paths from their author's
machine (``E:/tests/users.csv``, ``/home/someone/...``), which a copy of the file in one local
folder then stands in for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

from surge.errors import UsageError
from surge.scenario.jmx.expressions import Expr
from surge.scenario.jmx.model import CookieSpec, Counter, DataSet, RandomVariable
from surge.scenario.jmx.xml_tree import Element

_SHARE_MODES = {"shareMode.all": "all", "shareMode.group": "group", "shareMode.thread": "user"}


class DataFiles:
    """Finds the files a plan names: beside the plan, or by name in ``data_dir``."""

    def __init__(self, plan_path: Path, data_dir: Path | None) -> None:
        self.base = plan_path.resolve().parent
        self.data_dir = data_dir

    def locate(self, written: str) -> Path | None:
        """The local file for a path as the plan writes it, or None when there is none."""
        text = written.strip()
        if not text:
            return None
        windows = "\\" in text or (len(text) > 1 and text[1] == ":")
        pure = PureWindowsPath(text) if windows else PurePosixPath(text)
        candidates: list[Path] = []
        if not pure.is_absolute() and not windows:
            candidates.append(self.base / text)
        elif not windows:
            candidates.append(Path(text))
        if self.data_dir is not None and pure.name:
            candidates.append(self.data_dir / pure.name)
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return None

    def read(self, written: str, what: str) -> bytes:
        """The bytes of a file the plan needs now (a file sent as a body); UsageError if missing."""
        found = self.locate(written)
        if found is None:
            raise UsageError(self.missing_message(written, what))
        try:
            return found.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {what} {found}: {exc.strerror or exc}") from exc

    def missing_message(self, written: str, what: str) -> str:
        where = f" nor in {self.data_dir}" if self.data_dir is not None else ""
        return (
            f"{what}: data file {written!r} not found (looked beside the plan{where}); copy it into a "
            f"folder and give --data-dir FOLDER (files are found there by name), or set its path with -J "
            f"when the plan reads it from a property"
        )


def data_set_from(element: Element, compile_: Callable[[str], Expr], files: DataFiles) -> DataSet:
    written_expr = compile_(element.text("filename"))
    written = written_expr.display()
    path = files.locate(written) if written_expr.static is not None else None
    delimiter = element.text("delimiter")
    if delimiter == "\\t":
        delimiter = "\t"
    elif delimiter == "":
        delimiter = ","
    share_text = element.text("shareMode", "shareMode.all").strip() or "shareMode.all"
    share = _SHARE_MODES.get(share_text, "key:" + share_text)
    names = (
        tuple(n.strip() for n in element.text("variableNames").split(","))
        if element.text("variableNames").strip()
        else ()
    )
    return DataSet(
        name=element.name,
        written=written,
        path=path,
        names=names,
        delimiter=delimiter,
        quoted=element.flag("quotedData"),
        recycle=element.flag("recycle", True),
        stop_user=element.flag("stopThread"),
        share=share,
        ignore_first_line=element.flag("ignoreFirstLine"),
        encoding=element.text("fileEncoding").strip() or "utf-8",
    )


def csv_header_names(data_set: DataSet) -> tuple[str, ...]:
    """A data set without variable names takes them from its file's first line."""
    if data_set.names or data_set.path is None:
        return data_set.names
    try:
        with open(data_set.path, encoding=data_set.encoding, errors="replace") as f:
            first = f.readline().rstrip("\r\n")
    except OSError:
        return ()
    return tuple(name.strip() for name in first.split(data_set.delimiter))


def cookie_spec_from(element: Element, same_user: bool) -> CookieSpec:
    cookies = []
    for item in element.items("CookieManager.cookies"):
        if isinstance(item, Element) and item.name:
            cookies.append(
                (
                    item.name,
                    item.text("Cookie.value"),
                    item.text("Cookie.domain").strip().lstrip(".").lower(),
                    item.text("Cookie.path").strip() or "/",
                    item.flag("Cookie.secure"),
                )
            )
    clear = element.flag("CookieManager.clearEachIteration") or not same_user
    return CookieSpec(clear, tuple(cookies))


def _int(text: str, what: str, default: int | None = None) -> int | None:
    text = text.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise UsageError(f"{what} {text!r} is not a whole number") from exc


def random_variable_from(element: Element, compile_: Callable[[str], Expr]) -> RandomVariable:
    what = f"Random Variable {element.name!r}:"
    low = _int(compile_(element.text("minimumValue", "1")).display(), f"{what} minimum", 1)
    high = _int(compile_(element.text("maximumValue")).display(), f"{what} maximum", 2**31 - 1)
    assert low is not None and high is not None
    return RandomVariable(
        element.text("variableName").strip(),
        low,
        high,
        element.text("outputFormat"),
        element.flag("perThread"),
    )


def counter_from(element: Element, compile_: Callable[[str], Expr]) -> Counter:
    what = f"Counter {element.name!r}:"
    start = _int(compile_(element.text("CounterConfig.start")).display(), f"{what} start", 0)
    increment = _int(compile_(element.text("CounterConfig.incr")).display(), f"{what} increment", 1)
    end = _int(compile_(element.text("CounterConfig.end")).display(), f"{what} maximum")
    assert start is not None and increment is not None
    return Counter(
        element.text("CounterConfig.name").strip(),
        start,
        end,
        increment,
        element.flag("CounterConfig.per_user"),
        element.text("CounterConfig.format"),
        element.flag("CounterConfig.reset_on_tg_iteration"),
    )


def format_number(value: int, pattern: str) -> str:
    """A number in a Java DecimalFormat-like pattern: zero padding (``000``) and literal text around."""
    if not pattern:
        return str(value)
    digits = sum(1 for ch in pattern if ch in "0#")
    zeros = pattern.count("0")
    start = min((pattern.index(ch) for ch in "0#" if ch in pattern), default=len(pattern))
    end = start + digits
    return f"{pattern[:start]}{value:0{zeros}d}{pattern[end:]}"
