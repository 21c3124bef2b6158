"""Resolve a JMeter plan's element tree into surge's model: groups, scopes, modules, what is unsupported.

JMeter's scoping rules, as applied here:

- Disabled elements are skipped with everything under them. A Test Fragment (saved disabled by
  JMeter's GUI) runs only where a Module Controller points at it, in the Module Controller's
  scope.
- HTTP Request Defaults, Header Managers, timers, pre- and post-processors and assertions apply
  to every sampler at their level and below, whatever their position among their siblings;
  a sampler's own children apply to it alone. Several apply outermost first.
- User Defined Variables are read once, before the run, wherever they are, in file order; a
  variable no element ever sets at run time is folded into the strings that use it.
- Cookie Managers, CSV Data Sets, Random Variables and Counters apply to the thread group they
  sit in (or to every group, at the plan's top level).

Elements surge does not run are collected as ``Unsupported`` (see ``elements``): the caller
warns about the ignored ones and refuses the plan when one is refused.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from surge.errors import UsageError
from surge.scenario.jmx import components, config
from surge.scenario.jmx.conditions import Condition, ConditionError
from surge.scenario.jmx.elements import CONTROLLERS, GLOBAL, SAMPLERS, SCOPED, Unsupported, classify
from surge.scenario.jmx.expressions import BeforeRun, Expr, UnsupportedFunction, parse, variables_set_by
from surge.scenario.jmx.model import (
    Assertion,
    Controller,
    CookieSpec,
    Counter,
    DataSet,
    Extractor,
    FlowAction,
    JmxGroup,
    JmxPlan,
    Node,
    RandomVariable,
    RequestListing,
    Scoped,
    Timer,
    UserParameters,
)
from surge.scenario.jmx.samplers import build_http
from surge.scenario.jmx.xml_tree import Element, read_jmx

_PHASES = {"SetupThreadGroup": "setup", "PostThreadGroup": "teardown"}
_MAX_MODULE_DEPTH = 20


@dataclass
class _Scope:
    defaults: list[Element] = field(default_factory=list)
    headers: list[Element] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    pre: list[UserParameters] = field(default_factory=list)
    post: list[Extractor] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)

    def child(self) -> _Scope:
        return _Scope(list(self.defaults), list(self.headers), list(self.timers), list(self.pre),
                      list(self.post), list(self.assertions))  # fmt: skip

    def scoped(self) -> Scoped:
        return Scoped(tuple(self.pre), tuple(self.timers), tuple(self.post), tuple(self.assertions))


@dataclass
class _GroupParts:
    """What a group collects while its tree is walked."""

    listings: list[RequestListing] = field(default_factory=list)
    cookies: CookieSpec | None = None
    data_sets: list[DataSet] = field(default_factory=list)
    random_variables: list[RandomVariable] = field(default_factory=list)
    counters: list[Counter] = field(default_factory=list)


def load_jmx(path: Path, properties: Mapping[str, str], data_dir: Path | None = None) -> JmxPlan:
    """Read and resolve ``path``; raises UsageError for a plan that cannot be read or resolved."""
    root = read_jmx(path)
    return _Resolver(path, root, dict(properties), config.DataFiles(path, data_dir)).resolve()


class _Resolver:
    def __init__(self, path: Path, root: Element, props: dict[str, str], files: config.DataFiles) -> None:
        self.path = path
        self.root = root
        self.props = props
        self.files = files
        self.text = path.read_text(encoding="utf-8", errors="replace")
        self.unsupported: dict[tuple[str, str, int], Unsupported] = {}
        self.targets: dict[tuple[str, ...], Element] = {}
        self.written: set[str] = set()
        self.udvs: list[tuple[str, str, Element]] = []
        self.constants: dict[str, str] = {}
        self.initial: dict[str, str] = {}
        self.modules: list[tuple[str, ...]] = []
        self.parts = _GroupParts()
        self.same_user = True

    # -- entry ---------------------------------------------------------------------------------------

    def resolve(self) -> JmxPlan:
        root = self.root
        self._index(root, (root.name,), fragment_ok=True)
        self._scan(root)
        self._evaluate_variables()
        plan_scope = self._scope(root.children, _Scope())
        groups: list[JmxGroup] = []
        listings: list[tuple[RequestListing, ...]] = []
        for element in root.children:
            if not element.enabled:
                continue
            kind, reason = classify(element.testclass)
            if kind == "group":
                group, listing = self._group(element, plan_scope)
                groups.append(group)
                listings.append(listing)
            elif kind == "refuse":
                self._note(element, "refuse", reason)
                if element.children:  # a plugin thread group: what it would run may hold more
                    self._walk_refused(element, plan_scope)
            elif kind == "ignore" and reason:
                self._note(element, "ignore", reason)
            elif kind == "extractor":
                self._extractor_note(element, reason)
        if not groups and not any(u.action == "refuse" for u in self.unsupported.values()):
            raise UsageError(f"{self.path}: the plan has no enabled Thread Group: nothing would run")
        return JmxPlan(
            path=self.path,
            name=root.name,
            groups=tuple(groups),
            listings=tuple(listings),
            unsupported=tuple(self.unsupported.values()),
            serialize=root.flag("TestPlan.serialize_threadgroups"),
            properties=dict(self.props),
        )

    # -- indexing and variables -----------------------------------------------------------------------

    def _index(self, element: Element, names: tuple[str, ...], fragment_ok: bool) -> None:
        """Module Controller targets by the names from the TestPlan down (disabled trees left out)."""
        self.targets.setdefault(names, element)
        for child in element.children:
            if child.enabled or child.testclass == "TestFragmentController":
                self._index(child, (*names, child.name), fragment_ok)

    def _enabled_tree(self, element: Element) -> list[Element]:
        out = [element]
        for child in element.children:
            if child.enabled or child.testclass == "TestFragmentController":
                out.extend(self._enabled_tree(child))
        return out

    def _scan(self, root: Element) -> None:
        """Every variable some element may set at run time, and the User Defined Variables in order."""
        udv = root.element("TestPlan.user_defined_variables")
        if udv is not None:
            self._collect_udvs(udv)
        for element in self._enabled_tree(root):
            kind, _ = classify(element.testclass)
            if kind == "variables" and element is not root:
                self._collect_udvs(element)
            elif kind == "csv":
                names = element.text("variableNames").strip()
                if names:
                    self.written.update(n.strip() for n in names.split(","))
                else:
                    self.written.add("*")  # the file's header names them: fold nothing
            elif kind in ("regex", "boundary"):
                prefix = "RegexExtractor" if kind == "regex" else "BoundaryExtractor"
                self.written.add(element.text(f"{prefix}.refname").strip() + "*")
            elif kind == "json":
                for name in element.text("JSONPostProcessor.referenceNames").split(";"):
                    self.written.add(name.strip() + "*")
            elif kind == "user_parameters":
                self.written.update(i for i in element.items("UserParameters.names") if isinstance(i, str))
            elif kind == "random_variable":
                self.written.add(element.text("variableName").strip())
            elif kind == "counter":
                self.written.add(element.text("CounterConfig.name").strip())
            elif kind in ("refuse", "extractor"):
                self.written.add("*")  # a script or an unknown element may set anything
            for text in element.strings():
                if "${__" in text:
                    with contextlib.suppress(UnsupportedFunction):
                        self.written |= variables_set_by(parse(text))
        self.written.add("JMeterThread.last_sample_ok")

    def _collect_udvs(self, element: Element) -> None:
        for argument in element.items("Arguments.arguments"):
            if isinstance(argument, Element) and argument.text("Argument.name").strip():
                self.udvs.append(
                    (argument.text("Argument.name").strip(), argument.text("Argument.value"), element)
                )

    def _may_change(self, name: str) -> bool:
        if "*" in self.written or name in self.written:
            return True
        return any(w.endswith("*") and name.startswith(w[:-1]) for w in self.written)

    def _evaluate_variables(self) -> None:
        """User Defined Variables, read once before the run (as JMeter does at the test's start)."""
        context = BeforeRun(self.props)
        for name, text, element in self.udvs:
            try:
                value = parse(text).render(context)
            except UnsupportedFunction as exc:
                self._note(element, "refuse", f"{exc} (in variable {name!r})")
                value = text
            except (ValueError, IndexError) as exc:
                raise UsageError(f"{self.path}:{element.line}: variable {name!r}: {text!r}: {exc}") from exc
            context.vars[name] = value
        self.initial = dict(context.vars)
        self.constants = {k: v for k, v in self.initial.items() if not self._may_change(k)}

    def compile(self, text: str) -> Expr:
        return parse(text).fold(self.constants, self.props)

    # -- groups ---------------------------------------------------------------------------------------

    def _group(self, element: Element, plan_scope: _Scope) -> tuple[JmxGroup, tuple[RequestListing, ...]]:
        where = f"{self.path}:{element.line}: {element.label}"
        users = self._whole(element.text("ThreadGroup.num_threads", "1"), f"{where}: number of threads")
        ramp_up = self._whole(element.text("ThreadGroup.ramp_time", "0") or "0", f"{where}: ramp-up period")
        main = element.element("ThreadGroup.main_controller")
        loops = self._whole(main.text("LoopController.loops", "1") if main else "1", f"{where}: loop count")
        scheduler = element.flag("ThreadGroup.scheduler")
        duration = delay = 0
        if scheduler:
            duration = self._whole(element.text("ThreadGroup.duration") or "0", f"{where}: duration")
            delay = self._whole(element.text("ThreadGroup.delay") or "0", f"{where}: startup delay")
        if users < 1:
            raise UsageError(f"{where}: {users} threads: a thread group needs at least one")
        self.same_user = element.flag("ThreadGroup.same_user_on_next_iteration", True)
        self.parts = _GroupParts()
        plan_level = [c for c in self.root.children if c.enabled]
        self._globals(plan_level)
        nodes = self._level(element.children, plan_scope)
        parts = self.parts
        on_error = element.text("ThreadGroup.on_sample_error", "continue").strip() or "continue"
        group = JmxGroup(
            name=element.name,
            phase=_PHASES.get(element.testclass, "main"),
            users=users,
            ramp_up_s=float(ramp_up),
            delay_s=float(delay),
            duration_s=float(duration) if duration > 0 else None,
            iterations=None if loops < 0 else loops,
            on_error=on_error,
            new_user_each_iteration=not self.same_user,
            root=tuple(nodes),
            cookies=parts.cookies,
            data_sets=tuple(parts.data_sets),
            random_variables=tuple(parts.random_variables),
            counters=tuple(parts.counters),
            variables=tuple((k, v) for k, v in self.initial.items() if k not in self.constants),
        )
        return group, tuple(parts.listings)

    def _walk_refused(self, element: Element, plan_scope: _Scope) -> None:
        saved = self.parts
        self.parts = _GroupParts()
        self._level(element.children, plan_scope)
        self.parts = saved

    def _whole(self, text: str, what: str) -> int:
        value = self.compile(text).static
        try:
            return int((value or "").strip())
        except ValueError:
            raise UsageError(
                f"{what} {text!r} is not a whole number"
                + (" (set the property with -J NAME=VALUE)" if "${" in text else "")
            ) from None

    def _globals(self, elements: list[Element]) -> None:
        for element in elements:
            if element.enabled:
                kind, _ = classify(element.testclass)
                if kind in GLOBAL:
                    self._global(element, kind)

    def _global(self, element: Element, kind: str) -> None:
        parts = self.parts
        try:
            if kind == "cookies":
                if parts.cookies is None:
                    parts.cookies = config.cookie_spec_from(element, self.same_user)
            elif kind == "csv":
                parts.data_sets.append(config.data_set_from(element, self.compile, self.files))
            elif kind == "random_variable":
                parts.random_variables.append(config.random_variable_from(element, self.compile))
            elif kind == "counter":
                parts.counters.append(config.counter_from(element, self.compile))
        except UnsupportedFunction as exc:
            self._note(element, "refuse", str(exc))
        except UsageError as exc:
            raise UsageError(f"{self.path}:{element.line}: {exc}") from exc

    # -- levels, scopes, nodes ------------------------------------------------------------------------------

    def _scope(self, children: list[Element], parent: _Scope) -> _Scope:
        scope = parent.child()
        for element in children:
            if not element.enabled:
                continue
            kind, _ = classify(element.testclass)
            if kind not in SCOPED:
                continue
            try:
                if kind == "defaults":
                    if _is_http_defaults(element):
                        scope.defaults.append(element)
                    else:
                        self._note(element, "ignore", "defaults of another kind of sampler than HTTP")
                elif kind == "headers":
                    scope.headers.append(element)
                elif kind == "user_parameters":
                    scope.pre.append(components.user_parameters_from(element, self.compile))
                elif kind in ("regex", "json", "boundary"):
                    scope.post.append(components.extractor_from(element, kind, self.compile))
                elif kind.endswith("_assertion"):
                    scope.assertions.append(components.assertion_from(element, kind, self.compile))
                else:
                    scope.timers.append(components.timer_from(element, kind, self.compile))
            except (components.ComponentError, UnsupportedFunction) as exc:
                self._note(element, "refuse", str(exc))
        return scope

    def _level(self, children: list[Element], parent: _Scope) -> list[Node]:
        scope = self._scope(children, parent)
        nodes: list[Node] = []
        for element in children:
            if not element.enabled:
                continue
            kind, reason = classify(element.testclass)
            node: Node | None = None
            if kind in SAMPLERS:
                node = self._sampler(element, kind, scope)
            elif kind in CONTROLLERS:
                node = self._controller(element, kind, scope)
            elif kind in GLOBAL:
                self._global(element, kind)
            elif kind == "ignore" and reason:
                self._note(element, "ignore", reason)
            elif kind == "extractor":
                self._extractor_note(element, reason)
            elif kind == "refuse":
                self._note(element, "refuse", reason)
            if node is not None:
                nodes.append(node)
        return nodes

    def _sampler(self, element: Element, kind: str, parent: _Scope) -> Node | None:
        scope = self._scope(element.children, parent)
        for child in element.children:
            if child.enabled:
                child_kind, reason = classify(child.testclass)
                if child_kind in GLOBAL:
                    self._global(child, child_kind)
                elif child_kind in ("refuse", "ignore") and reason:
                    self._note(child, child_kind, reason)
                elif child_kind == "extractor":
                    self._extractor_note(child, reason)
        try:
            if kind == "action":
                duration = self.compile(element.text("ActionProcessor.duration", "0") or "0")
                action = int(element.text("ActionProcessor.action", "1").strip() or "1")
                return FlowAction(element.name, action, duration, scope.scoped())
            sampler, listing = build_http(
                element, scope.defaults, scope.headers, self.compile, scope.scoped(), self.files.read
            )
        except (components.ComponentError, UnsupportedFunction) as exc:
            self._note(element, "refuse", str(exc))
            return None
        self.parts.listings.append(listing)
        return sampler

    def _controller(self, element: Element, kind: str, scope: _Scope) -> Node | None:
        if kind == "module":
            return self._module(element, scope)
        try:
            if kind == "loop":
                loops = self.compile(element.text("LoopController.loops", "1") or "1")
                return Controller("loop", element.name, self._children(element, scope), loops=loops)
            if kind == "transaction":
                return Controller(
                    "transaction", element.name, self._children(element, scope),
                    parent_sample=element.flag("TransactionController.parent"),
                    include_timers=element.flag("TransactionController.includeTimers", True),
                )  # fmt: skip
            if kind == "if":
                test = Condition(
                    element.text("IfController.condition"),
                    element.flag("IfController.useExpression"),
                    self.compile,
                )
                return Controller("if", element.name, self._children(element, scope), condition=test,
                                  evaluate_all=element.flag("IfController.evaluateAll"))  # fmt: skip
            if kind == "throughput":
                by_number = element.text("ThroughputController.style", "0").strip() == "0"
                value_key = (
                    "ThroughputController.maxThroughput"
                    if by_number
                    else "ThroughputController.percentThroughput"
                )
                return Controller(
                    "throughput", element.name, self._children(element, scope), by_number=by_number,
                    per_user=element.flag("ThroughputController.perThread"),
                    value=self.compile(element.text(value_key, "1") or "1"),
                )  # fmt: skip
        except (ConditionError, UnsupportedFunction) as exc:
            condition = element.text("IfController.condition")
            self._note(element, "refuse", f"condition {condition!r}: {exc}" if kind == "if" else str(exc))
            return None
        return Controller(kind, element.name, self._children(element, scope))

    def _children(self, element: Element, scope: _Scope) -> tuple[Node, ...]:
        return tuple(self._level(element.children, scope))

    def _module(self, element: Element, scope: _Scope) -> Node | None:
        names = [n for n in element.items("ModuleController.node_path") if isinstance(n, str)]
        target_path = tuple(names[1:])  # the first name is the GUI tree's root ("Test Plan")
        target = self.targets.get(target_path)
        shown = " > ".join(names[1:]) or "(nothing)"
        if target is None or (not target.enabled and target.testclass != "TestFragmentController"):
            raise UsageError(
                f"{self.path}:{element.line}: Module Controller {element.name!r} runs {shown}, which is not "
                f"in the plan (no enabled Test Fragment or controller by that path)"
            )
        if target_path in self.modules or len(self.modules) >= _MAX_MODULE_DEPTH:
            raise UsageError(f"{self.path}:{element.line}: Module Controller {element.name!r} runs {shown}, "
                             "which runs itself again: a loop")  # fmt: skip
        kind, _ = classify(target.testclass)
        self.modules.append(target_path)
        try:
            if kind == "fragment":
                return Controller("simple", target.name, self._children(target, scope))
            if kind in CONTROLLERS:
                return self._controller(target, kind, scope)
        finally:
            self.modules.pop()
        raise UsageError(
            f"{self.path}:{element.line}: Module Controller {element.name!r} runs {shown}, "
            f"a {target.testclass}: only a Test Fragment or a controller can be run"
        )

    # -- unsupported elements ----------------------------------------------------------------------------

    def _note(self, element: Element, action: str, reason: str) -> None:
        key = (element.testclass, element.name, element.line)
        if key not in self.unsupported:
            self.unsupported[key] = Unsupported(element.testclass, element.name, action, reason, element.line)

    def _extractor_note(self, element: Element, reason: str) -> None:
        names = _extracted_names(element)
        used = [n for n in names if n and re.search(r"\$\{" + re.escape(n) + r"[}_]", self.text)]
        if used:
            self._note(element, "refuse", f"{reason}, and the plan uses ${{{used[0]}}}")
        else:
            self._note(element, "ignore", f"{reason}; nothing in the plan uses what it extracts")


def _extracted_names(element: Element) -> list[str]:
    return [
        v.strip()
        for k, v in element.props.items()
        if isinstance(v, str) and k.endswith(("refname", "referenceNames"))
    ]


def _is_http_defaults(element: Element) -> bool:
    return element.guiclass == "HttpDefaultsGui" or any(k.startswith("HTTPSampler.") for k in element.props)
