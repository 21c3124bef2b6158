"""Read a .jmx file into a tree of test elements, as JMeter's SaveService wrote it.

A JMeter plan is XML: every element (``<ThreadGroup testclass="ThreadGroup" testname="...">``)
carries typed properties (``stringProp``, ``intProp``, ``longProp``, ``boolProp``, ``floatProp``,
``doubleProp``, ``elementProp``, ``collectionProp``), and is followed by a ``<hashTree>`` holding
its children. Both the 3.x format and 5.6's sparse one (``enabled`` and empty properties left
out, numbers as ``intProp``/``longProp``) read the same way: every scalar property becomes text.

The file is untrusted input: a document type declaration (the way to entity-expansion and
external-entity attacks) is refused before the XML parser sees the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from surge.errors import UsageError

_SCALAR_PROPS = {"stringProp", "intProp", "longProp", "boolProp", "floatProp", "doubleProp"}
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
MAX_BYTES = 50 * 1024 * 1024  # real plans are at most a few MB


@dataclass
class Element:
    """One test element (or an ``elementProp``'s nested element): its class, name, properties, children.

    ``props`` maps a property name to its text, to a nested ``Element`` (elementProp) or to a list
    (collectionProp, whose items are texts or Elements). ``children`` are the elements of its
    hashTree, in file order. ``path`` is the element's position by names, for messages.
    """

    tag: str
    testclass: str
    name: str
    enabled: bool
    guiclass: str = ""
    props: dict[str, PropValue] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)
    line: int = 0

    def text(self, name: str, default: str = "") -> str:
        value = self.props.get(name)
        return value if isinstance(value, str) else default

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.props.get(name)
        if not isinstance(value, str) or not value.strip():
            return default
        return value.strip().lower() == "true"

    def element(self, name: str) -> Element | None:
        value = self.props.get(name)
        return value if isinstance(value, Element) else None

    def items(self, name: str) -> list[PropItem]:
        value = self.props.get(name)
        return value if isinstance(value, list) else []

    def strings(self) -> list[str]:
        """Every text of its properties, nested ones included (to look for functions in them)."""
        out: list[str] = []
        stack: list[object] = list(self.props.values())
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, Element):
                stack.extend(value.props.values())
            elif isinstance(value, list):
                stack.extend(value)
        return out

    @property
    def label(self) -> str:
        """How messages name it: ``ThreadGroup 'Users'``."""
        return f"{self.testclass} {self.name!r}"


PropItem = str | Element | list[Any]  # a collectionProp may hold collectionProps (User Parameters)
PropValue = str | Element | list[PropItem]


def read_jmx(path: Path) -> Element:
    """The plan's root ``TestPlan`` element, with everything under it; raises UsageError."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UsageError(f"{path}: {size:,} bytes is more than a JMeter plan holds (limit {MAX_BYTES:,})")
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read JMeter plan {path}: {exc.strerror or exc}") from exc
    if _DOCTYPE.search(data):
        raise UsageError(f"{path}: a document type or entity declaration is not allowed in a JMeter plan")
    try:
        root = _parse(data)
    except expat.ExpatError as exc:
        raise UsageError(
            f"{path}:{exc.lineno}: not a well-formed JMeter plan ({expat.ErrorString(exc.code)}, "
            f"column {exc.offset + 1})"
        ) from exc
    if root.tag != "jmeterTestPlan":
        raise UsageError(
            f"{path}: not a JMeter plan (the root element is <{root.tag}>, not <jmeterTestPlan>)"
        )
    top = root.find("hashTree")
    if top is None:
        raise UsageError(f"{path}: a JMeter plan without a <hashTree>")
    elements = _children(top, path)
    plans = [e for e in elements if e.testclass == "TestPlan"]
    if len(plans) != 1:
        raise UsageError(f"{path}: a JMeter plan needs exactly one TestPlan element (found {len(plans)})")
    return plans[0]


def _parse(data: bytes) -> ET.Element:
    """The document as ElementTree elements, each with its line number in ``_line`` (for messages)."""
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(tag, {**attrs, "_line": str(parser.CurrentLineNumber)})

    def end(tag: str) -> None:
        builder.end(tag)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.Parse(data, True)
    root: ET.Element = builder.close()
    return root


def _children(tree: ET.Element, path: Path) -> list[Element]:
    """The test elements of a ``<hashTree>``: each element, then the hashTree of its children."""
    out: list[Element] = []
    current: Element | None = None
    for node in tree:
        if node.tag == "hashTree":
            if current is None:
                raise UsageError(f"{path}:{node.get('_line')}: a <hashTree> that belongs to no element")
            current.children = _children(node, path)
            current = None
            continue
        current = _element(node, path)
        out.append(current)
    return out


def _element(node: ET.Element, path: Path) -> Element:
    testclass = node.get("testclass") or node.get("elementType") or node.tag
    enabled = (node.get("enabled") or "true").strip().lower() != "false"
    element = Element(
        tag=node.tag,
        testclass=testclass,
        name=node.get("testname") or node.get("name") or "",
        enabled=enabled,
        guiclass=node.get("guiclass") or "",
        line=int(node.get("_line") or 0),
    )
    for prop in node:
        name = prop.get("name")
        if name is None and prop.tag.endswith("Property"):
            # The old form: <FloatProperty><name>...</name><value>...</value></FloatProperty>
            name = prop.findtext("name")
            if name is not None:
                element.props[name] = prop.findtext("value") or ""
            continue
        if name is None or prop.tag == "hashTree":
            continue  # objProp (listener settings) and the like carry nothing a run needs
        value = _prop(prop, path)
        if value is not None:
            element.props[name] = value
    return element


def _prop(prop: ET.Element, path: Path) -> PropValue | None:
    if prop.tag in _SCALAR_PROPS:
        return prop.text or ""
    if prop.tag == "elementProp":
        return _element(prop, path)
    if prop.tag == "collectionProp":
        items: list[PropItem] = []
        for item in prop:
            value = _prop(item, path)
            if value is not None:
                items.append(value)
        return items
    return None
