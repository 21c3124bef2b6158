"""JMeter's ``${variable}`` and ``${__function(arg,...)}`` strings: parsed once, folded, rendered per use.

The syntax is JMeter's (its FunctionParser): ``${name}`` is a variable, left as written when
undefined; ``${__name(a,b)}`` (or ``${__name}``) calls a function whose arguments are such
strings themselves; a backslash escapes ``$``, ``,`` and ``\\`` (and ``)`` inside arguments).

Functions known here: ``__P``, ``__property``, ``__Random``, ``__RandomString``, ``__UUID``,
``__time``, ``__counter``, ``__threadNum`` and a few plain ones (``__V``, ``__intSum``,
``__longSum``, ``__urlencode``, ``__urldecode``, ``__threadGroupName``). Any other function
makes the element that holds it unsupported (``UnsupportedFunction``): the plan would not run
as written.

``Expr.fold`` replaces what is known before the run (properties, variables no element ever
changes) by its value, so most samplers' URLs and headers are plain text, built into request
bytes once.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote_plus, unquote_plus

from surge.results.date_format import java_to_strptime

SCRIPTING_FUNCTIONS = frozenset(("__BeanShell", "__groovy", "__javaScript", "__jexl", "__jexl2", "__jexl3"))


class UnsupportedFunction(Exception):
    """A string calls a function this module cannot run (a script, or one not implemented)."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"function {name}: {why}")
        self.name = name
        self.why = why


class RenderContext(Protocol):
    """What rendering needs at run time: one user's variables and the run's properties."""

    @property
    def vars(self) -> dict[str, str]: ...
    @property
    def props(self) -> Mapping[str, str]: ...
    @property
    def thread_num(self) -> int: ...
    @property
    def group_name(self) -> str: ...
    @property
    def rng(self) -> random.Random: ...
    @property
    def user_counters(self) -> dict[str, int]: ...
    @property
    def shared_counters(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    text: str  # as written, ${__name(...)}


Part = str | Var | Call


class Expr:
    """A compiled JMeter string; ``static`` is its text when it holds nothing to evaluate."""

    __slots__ = ("parts", "static")

    def __init__(self, parts: tuple[Part, ...]) -> None:
        merged: list[Part] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] = merged[-1] + part
            elif part != "":
                merged.append(part)
        self.parts = tuple(merged)
        if not self.parts:
            self.static: str | None = ""
        elif len(self.parts) == 1 and isinstance(self.parts[0], str):
            self.static = self.parts[0]
        else:
            self.static = None

    def __repr__(self) -> str:
        return f"Expr({self.parts!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and other.parts == self.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    @property
    def variables(self) -> set[str]:
        """Names of the variables referred to (in function arguments too)."""
        names: set[str] = set()
        for part in self.parts:
            if isinstance(part, Var):
                names.add(part.name)
            elif isinstance(part, Call):
                for arg in part.args:
                    names |= arg.variables
        return names

    @property
    def calls(self) -> list[Call]:
        found: list[Call] = []
        for part in self.parts:
            if isinstance(part, Call):
                found.append(part)
                for arg in part.args:
                    found.extend(arg.calls)
        return found

    def render(self, ctx: RenderContext) -> str:
        if self.static is not None:
            return self.static
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Var):
                value = ctx.vars.get(part.name)
                out.append(f"${{{part.name}}}" if value is None else value)
            else:
                out.append(FUNCTIONS[part.name].run(ctx, part.args))
        return "".join(out)

    def display(self) -> str:
        """The text with what could not be folded shown as written (``${name}``)."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Var):
                out.append(f"${{{part.name}}}")
            else:
                out.append(part.text)
        return "".join(out)

    def fold(self, constants: Mapping[str, str], props: Mapping[str, str]) -> Expr:
        """Replace known variables, and functions whose value is fixed before the run, by text."""
        if self.static is not None:
            return self
        parts: list[Part] = []
        for part in self.parts:
            if isinstance(part, Var):
                value = constants.get(part.name)
                parts.append(part if value is None else value)
            elif isinstance(part, Call):
                args = tuple(arg.fold(constants, props) for arg in part.args)
                function = FUNCTIONS[part.name]
                # __property(name,,default) sets no variable: it reads properties alone.
                fixed = function.fixed or (
                    part.name == "__property" and (len(args) < 2 or args[1].static == "")
                )
                if fixed and all(arg.static is not None for arg in args):
                    parts.append(function.run(BeforeRun(props), args))
                else:
                    parts.append(Call(part.name, args, part.text))
            else:
                parts.append(part)
        return Expr(tuple(parts))


def literal(text: str) -> Expr:
    return Expr((text,))


# -- parsing -----------------------------------------------------------------------------------------


def parse(text: str) -> Expr:
    """Compile a JMeter string; raises UnsupportedFunction for a function it cannot run."""
    parts, _ = _compound(text, 0, in_argument=False)
    return Expr(tuple(parts))


def _compound(text: str, i: int, in_argument: bool) -> tuple[list[Part], int]:
    """Parts from ``i`` up to the end, or (in an argument) to a top-level ``,`` or ``)``."""
    parts: list[Part] = []
    buffer: list[str] = []
    depth = 0
    n = len(text)
    escapable = ",$\\)(" if in_argument else ",$\\"
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            buffer.append(nxt if nxt in escapable else ch + nxt)
            i += 2
            continue
        if ch == "$" and text.startswith("${", i):
            reference = _reference(text, i)
            if reference is not None:
                part, i = reference
                parts.append("".join(buffer))
                buffer = []
                parts.append(part)
                continue
        if in_argument:
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
        buffer.append(ch)
        i += 1
    parts.append("".join(buffer))
    return parts, i


def _reference(text: str, start: int) -> tuple[Part, int] | None:
    """``${...}`` at ``start``: the variable or call and the index after it; None if not closed."""
    i = start + 2
    n = len(text)
    name_end = i
    while name_end < n and text[name_end] not in "(}":
        if text.startswith("${", name_end):
            return None  # JMeter reads "${a${b}}" as text then a reference: keep it simple
        name_end += 1
    if name_end >= n:
        return None
    name = text[i:name_end]
    if text[name_end] == "}":
        if name.startswith("__"):
            return _call(name, (), text[start : name_end + 1]), name_end + 1
        return Var(name), name_end + 1
    if not name.startswith("__"):
        return None
    args: list[Expr] = []
    i = name_end + 1
    while True:
        parts, i = _compound(text, i, in_argument=True)
        args.append(Expr(tuple(parts)))
        if i >= n:
            return None
        if text[i] == ",":
            i += 1
            continue
        break  # at ")"
    if not text.startswith(")}", i):
        return None
    if len(args) == 1 and args[0].static == "":
        args = []
    return _call(name, tuple(args), text[start : i + 2]), i + 2


def _call(name: str, args: tuple[Expr, ...], written: str) -> Call:
    function = FUNCTIONS.get(name)
    if function is None:
        if name in SCRIPTING_FUNCTIONS:
            raise UnsupportedFunction(name, "a script (surge runs no JMeter scripts)")
        raise UnsupportedFunction(name, "not supported")
    if not function.min_args <= len(args) <= function.max_args:
        raise UnsupportedFunction(
            name, f"takes {function.min_args} to {function.max_args} arguments, not {len(args)}"
        )
    if name == "__time" and args and args[0].static is not None:
        _time_format(args[0].static)  # an unreadable format is an error now, not at run time
    return Call(name, args, written)


# -- functions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    """A JMeter function: its argument count, its code, and whether its value is fixed before the run."""

    min_args: int
    max_args: int
    run: Callable[[RenderContext, tuple[Expr, ...]], str]
    fixed: bool = False  # depends on properties alone: folded before the run
    sets_variable_arg: int | None = None  # index of the argument naming a variable it sets


def _arg(ctx: RenderContext, args: tuple[Expr, ...], index: int, default: str = "") -> str:
    return args[index].render(ctx) if index < len(args) else default


def _store(ctx: RenderContext, args: tuple[Expr, ...], index: int, value: str) -> str:
    name = _arg(ctx, args, index).strip()
    if name:
        ctx.vars[name] = value
    return value


def _p(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    return ctx.props.get(_arg(ctx, args, 0).strip(), _arg(ctx, args, 1, "1"))


def _property(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    name = _arg(ctx, args, 0).strip()
    value = ctx.props.get(name, _arg(ctx, args, 2, name))
    if len(args) > 1:
        _store(ctx, args, 1, value)
    return value


def _random(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    low = int(_arg(ctx, args, 0).strip())
    high = int(_arg(ctx, args, 1).strip())
    return _store(ctx, args, 2, str(ctx.rng.randint(low, high)))


def _random_string(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    length = int(_arg(ctx, args, 0).strip())
    chars = _arg(ctx, args, 1).strip() or "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return _store(ctx, args, 2, "".join(ctx.rng.choice(chars) for _ in range(length)))


def _uuid(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


_TIME_ALIASES = {"YMD": "yyyyMMdd", "HMS": "HHmmss", "YMDHMS": "yyyyMMdd-HHmmss"}


def _time_format(pattern: str) -> Callable[[float], str]:
    """``__time``'s format: empty for epoch ms, ``/N`` for epoch ms divided by N, else a Java pattern."""
    pattern = _TIME_ALIASES.get(pattern, pattern)
    if not pattern:
        return lambda now: str(int(now * 1000))
    if pattern.startswith("/") and pattern[1:].isdigit() and int(pattern[1:]) > 0:
        divisor = int(pattern[1:])
        return lambda now: str(int(now * 1000) // divisor)
    try:
        directives = java_to_strptime(pattern)
    except ValueError as exc:
        raise UnsupportedFunction("__time", f"format {pattern!r}: {exc}") from exc

    def render(now: float) -> str:
        stamp = datetime.fromtimestamp(now)
        # strftime has no milliseconds: a placeholder (strftime stops at a NUL) takes their place.
        text = stamp.strftime(directives.replace("%g", "\ue000"))
        return text.replace("\ue000", f"{stamp.microsecond // 1000:03d}")

    return render


def _time(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    return _store(ctx, args, 1, _time_format(_arg(ctx, args, 0))(time.time()))


def _counter(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    per_user = _arg(ctx, args, 0).strip().lower() == "true"
    counters = ctx.user_counters if per_user else ctx.shared_counters
    key = "__counter"  # one counter per user (TRUE) or one per process (FALSE), as JMeter's
    counters[key] = counters.get(key, 0) + 1
    return _store(ctx, args, 1, str(counters[key]))


def _int_sum(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    # The last argument names a variable when it is not a number (JMeter's rule).
    values = [_arg(ctx, args, i).strip() for i in range(len(args))]
    name = ""
    if values and not _is_int(values[-1]):
        name = values.pop()
    total = str(sum(int(v) for v in values))
    if name:
        ctx.vars[name] = total
    return total


def _is_int(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def _v(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    name = _arg(ctx, args, 0)
    value = ctx.vars.get(name)
    return value if value is not None else _arg(ctx, args, 1, f"${{{name}}}")


def _surge_url(ctx: RenderContext, args: tuple[Expr, ...]) -> str:
    """An HTTP sampler's URL whose path is known at run time only (see ``samplers``)."""
    host, path, query = (arg.render(ctx) for arg in args)
    if path.startswith(("http://", "https://")):
        url = path
    else:
        url = host + (path if path.startswith("/") else "/" + path)
    if query:
        url += ("&" if "?" in url else "?") + query
    return url


class BeforeRun:
    """Rendering before the run: properties, and the variables read so far (User Defined Variables)."""

    def __init__(self, props: Mapping[str, str]) -> None:
        self.props = props
        self.vars: dict[str, str] = {}
        self.thread_num = 0
        self.group_name = ""
        self.rng = random.Random()
        self.user_counters: dict[str, int] = {}
        self.shared_counters: dict[str, int] = {}


FUNCTIONS: dict[str, Function] = {
    "__P": Function(1, 2, _p, fixed=True),
    "__property": Function(1, 3, _property, sets_variable_arg=1),
    "__Random": Function(2, 3, _random, sets_variable_arg=2),
    "__RandomString": Function(1, 3, _random_string, sets_variable_arg=2),
    "__UUID": Function(0, 0, _uuid),
    "__time": Function(0, 2, _time, sets_variable_arg=1),
    "__counter": Function(1, 2, _counter, sets_variable_arg=1),
    "__threadNum": Function(0, 0, lambda ctx, args: str(ctx.thread_num)),
    "__threadGroupName": Function(0, 0, lambda ctx, args: ctx.group_name),
    "__V": Function(1, 2, _v),
    "__intSum": Function(2, 64, _int_sum),
    "__longSum": Function(2, 64, _int_sum),
    "__urlencode": Function(1, 1, lambda ctx, args: quote_plus(_arg(ctx, args, 0), safe="*"), fixed=True),
    "__urldecode": Function(1, 1, lambda ctx, args: unquote_plus(_arg(ctx, args, 0)), fixed=True),
    "__surge_url": Function(3, 3, _surge_url, fixed=True),
}


def variables_set_by(expr: Expr) -> set[str]:
    """Names of the variables an expression's functions set (``${__Random(1,9,pick)}`` sets pick)."""
    names: set[str] = set()
    for call in expr.calls:
        index = FUNCTIONS[call.name].sets_variable_arg
        if index is not None and index < len(call.args):
            names.add(call.args[index].display().strip())
    return names
