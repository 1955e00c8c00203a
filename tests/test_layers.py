"""The import graph of ``src/latentforge``: no circles, and no import that runs up the layers.

Every ``import`` and ``from ... import`` counts, wherever it stands: at the top of a module,
inside a function (a deferred import is still a dependency), and under ``TYPE_CHECKING`` (a
type a module names is part of what it must know). ``from latentforge.a import b`` is an arrow
to the module ``latentforge.a.b`` when that is a module, else to ``latentforge.a``. Importing a
submodule is not counted as importing its package's ``__init__`` too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE = "latentforge"
SOURCE_ROOT = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A part may import parts of its own layer and of the layers below it. "root" is
# ``latentforge/__init__.py`` (the version and the base error); ``__main__`` runs the CLI.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("root", "errors", "config", "registry", "utils"),
    ("data",),
    ("nn", "losses"),
    ("metrics", "viz"),
    ("steps",),
    ("models",),
    ("training",),
    ("evaluation", "apps"),
    ("explorer", "cli"),
    ("__main__",),
)
LAYER_OF = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def source_modules(root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """``module name -> file`` for every module of the package under ``root``."""
    modules = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> Iterable[str]:
    """Every module the code imports, anywhere in the file (relative imports resolved):
    ``from a import b`` names ``a.b`` (a submodule) or ``a`` (a name defined in ``a``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}", base


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """``module -> the modules of the package it imports``."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = set()
        for imported in imported_modules(tree, name, path.name == "__init__.py"):
            if isinstance(imported, tuple):  # (a.b, a): the submodule if there is one
                submodule, base = imported
                imported = submodule if submodule in modules else base
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def part_of(module: str) -> str:
    """The top-level part a module belongs to: ``latentforge.models.vae`` -> ``models``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "root"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each arrow from a part to a part on a higher layer, as ``a -> b (part -> part)``."""
    found = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            low, high = part_of(source), part_of(target)
            if LAYER_OF[high] > LAYER_OF[low]:
                found.append(f"{source} -> {target} ({low} -> {high})")
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(source_modules())


def test_every_part_has_a_layer(graph):
    unplaced = sorted({part_of(module) for module in graph} - set(LAYER_OF))
    assert not unplaced, f"add these parts of the package to LAYERS in {__file__}: {unplaced}"


def test_the_graph_sees_top_level_deferred_and_type_checking_imports(graph):
    assert "latentforge.errors" in graph["latentforge.config"]  # a top-level import
    assert "latentforge.models.base" in graph["latentforge.models.vae"]
    assert "latentforge.models" in graph["latentforge.cli.train"]
    assert len(graph) > 150


def test_no_import_circles(graph):
    cycles = find_cycles(graph)
    assert not cycles, "modules that import each other in a loop:\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_no_import_runs_up_the_layers(graph):
    found = upward_imports(graph)
    assert not found, "imports from a lower layer to a higher one:\n" + "\n".join(found)


def test_checks_catch_a_planted_circle_and_a_planted_upward_import(tmp_path):
    planted = {
        "latentforge.models.vae": {"latentforge.models.base", "latentforge.training.engine"},
        "latentforge.models.base": {"latentforge.errors"},
        "latentforge.training.engine": {"latentforge.models.vae"},
        "latentforge.errors": set(),
    }
    assert find_cycles(planted) == [["latentforge.models.vae", "latentforge.training.engine"]]
    assert upward_imports(planted) == [
        "latentforge.models.vae -> latentforge.training.engine (models -> training)"
    ]


def test_deferred_relative_and_type_checking_imports_are_read(tmp_path):
    package = tmp_path / PACKAGE
    (package / "models").mkdir(parents=True)
    (package / "training").mkdir()
    for folder in (package, package / "models", package / "training"):
        (folder / "__init__.py").write_text("")
    (package / "training" / "engine.py").write_text("")
    (package / "training" / "checkpoint.py").write_text("")
    (package / "models" / "vae.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from latentforge.training import engine\n"
        "def f():\n    from ..training.checkpoint import save\n"
    )
    graph = import_graph(source_modules(tmp_path))
    assert graph["latentforge.models.vae"] == {
        "latentforge.training.engine",
        "latentforge.training.checkpoint",
    }
    assert upward_imports(graph) == [
        "latentforge.models.vae -> latentforge.training.checkpoint (models -> training)",
        "latentforge.models.vae -> latentforge.training.engine (models -> training)",
    ]
