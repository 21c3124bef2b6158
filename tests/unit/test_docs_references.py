"""Every reference to a document points at one in this repository, and at a section it has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEARCHED = ("src", "tests", "docs", "benchmarks", "README.md")
TEXT_SUFFIXES = {".py", ".md", ".js", ".html", ".css", ".toml", ".txt"}

# A path under docs/ (with an optional "#section") in code and prose; Markdown links to a .md file
# and/or a "#section".
DOC_PATH = re.compile(r"\b(docs/[\w.-]+\.md)(?:#([\w-]+))?")
MD_LINK = re.compile(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)")


def _files() -> list[Path]:
    found: list[Path] = []
    for name in SEARCHED:
        path = ROOT / name
        if path.is_file():
            found.append(path)
        else:
            found += [p for p in path.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    return [p for p in found if "fixtures" not in p.parts]


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    return {anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", doc.read_text(encoding="utf-8"), re.M)}


def test_anchor_follows_githubs_rule() -> None:
    assert anchor("Many labels: the top labels one by one, the others as one series") == (
        "many-labels-the-top-labels-one-by-one-the-others-as-one-series"
    )
    assert anchor("statistics.json") == "statisticsjson"
    assert anchor("Top 5 Errors by sampler") == "top-5-errors-by-sampler"


def _references() -> list[tuple[Path, Path, str | None]]:
    refs: list[tuple[Path, Path, str | None]] = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in DOC_PATH.finditer(text):
            refs.append((path, ROOT / m.group(1), m.group(2)))
        if path.suffix == ".md":
            for m in MD_LINK.finditer(text):
                target = (path.parent / m.group(1)).resolve() if m.group(1) else path
                refs.append((path, target, m.group(2)))
    return refs


def test_every_document_reference_resolves() -> None:
    refs = _references()
    assert any(target.name == "jmeter-semantics.md" for _, target, _ in refs)
    broken = []
    for source, target, section in refs:
        where = f"{source.relative_to(ROOT)} -> {target.relative_to(ROOT)}"
        if not target.is_file():
            broken.append(f"{where}: no such file")
        elif section is not None and section not in _anchors(target):
            broken.append(f"{where}#{section}: no such section")
    assert broken == []


@pytest.mark.parametrize(
    "outside", ["spec" + " §", "spec" + "/jmeter", "../" + "shared", "/work/" + "shared"]
)
def test_nothing_refers_to_documents_outside_the_repository(outside: str) -> None:
    hits = [
        str(path.relative_to(ROOT))
        for path in _files()
        if outside in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert hits == []
