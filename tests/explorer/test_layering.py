"""The explorer sits above models, apps and evaluation: only the CLI imports it, and it never
imports the CLI (an import-graph check over the source files)."""

from __future__ import annotations

import ast
from pathlib import Path

import latentforge

SRC = Path(latentforge.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_cli_imports_the_explorer_and_the_explorer_not_the_cli():
    importers, upward = [], []
    for path in SRC.rglob("*.py"):
        part = path.relative_to(SRC).parts[0]
        names = imported_modules(path)
        if part not in ("explorer", "cli") and any(
            n.startswith("latentforge.explorer") for n in names
        ):  # noqa: E501
            importers.append(str(path.relative_to(SRC)))
        if part == "explorer" and any(n.startswith("latentforge.cli") for n in names):
            upward.append(str(path.relative_to(SRC)))
    assert importers == [] and upward == []
    assert any(
        n.startswith("latentforge.explorer") for n in imported_modules(SRC / "cli" / "explore.py")
    )


def test_the_page_ships_in_the_package_and_names_no_other_host():
    static = SRC / "explorer" / "static"
    assert {p.name for p in static.iterdir()} >= {"index.html", "app.js", "style.css"}
    for page in static.iterdir():
        text = page.read_text()
        assert "http://" not in text and "https://" not in text, page.name  # no CDN
