"""Package structure: no import cycles, one place for each vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from geomap import merge
from geomap.models import (
    EVENT_TYPE_PRIORITY,
    EVENT_TYPE_SPECIFICITY,
    EVENT_TYPES,
    QUALIFIERS,
    Incident,
)
from geomap.outputs import html, tables

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geomap", "gazetteer")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(name: str, path: Path) -> set[str]:
    """Modules of ours that ``name`` imports anywhere (lazy imports included,
    ``if TYPE_CHECKING:`` blocks excluded).

    Importing ``a.b.c`` also runs the packages ``a`` and ``a.b``, except those
    that hold ``name`` itself: they are already running when ``name`` is."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            test = node.test
            if getattr(test, "id", getattr(test, "attr", None)) == "TYPE_CHECKING":
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = node.module or ""
            if node.level:
                here = name.split(".")
                if path.name != "__init__.py":
                    here = here[:-1]
                here = here[:len(here) - node.level + 1]
                base = ".".join([*here, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    out = set()
    for mod in found:
        while mod and mod not in MODULES:
            mod = mod.rpartition(".")[0]
        first = True
        while mod:  # importing a.b.c runs a and a.b first
            if mod != name and (first or not name.startswith(mod + ".")):
                out.add(mod)
            mod, first = mod.rpartition(".")[0], False
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_cycle(name):
    back = {m for m in _reachable(name) if name in _reachable(m)}
    assert not back, f"{name} imports itself back through {sorted(back)}"


def test_gazetteer_lookup_never_imports_the_build():
    reach = _reachable("gazetteer.lookup")
    assert "gazetteer.build" not in reach
    assert not any(m.startswith("gazetteer.sources") for m in reach)


def test_the_walk_sees_lazy_imports():
    # geomap.cli imports the runner inside a function
    assert "geomap.runner" in GRAPH["geomap.cli"]
    assert "geomap.results" not in GRAPH["geomap.runner"]  # typing only


def test_event_type_orders_are_permutations_of_the_vocabulary():
    assert sorted(EVENT_TYPE_PRIORITY) == sorted(EVENT_TYPES)
    assert sorted(EVENT_TYPE_SPECIFICITY) == sorted(EVENT_TYPES)
    assert Incident.__annotations__["event_type"] == "EventType"


def test_every_event_type_has_a_colour_and_acled_names_only_known_types():
    assert set(html.EVENT_COLORS) == set(EVENT_TYPES)
    assert set(tables._ACLED_EVENT_TYPE) <= set(EVENT_TYPES)
    assert set(tables._ACLED_SUB_EVENT) <= set(EVENT_TYPES)


def test_merge_ranks_come_from_the_models():
    assert list(merge._TYPE_PRIORITY) == list(EVENT_TYPE_SPECIFICITY)
    assert [q for q in merge._QUALIFIER_RANK if q] == list(QUALIFIERS)
