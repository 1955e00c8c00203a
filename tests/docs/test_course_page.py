"""docs/course.md answers every card of the course deck, and every reference on it resolves.

The page has one section per card, headed ``### N. title`` for N = 1..74. What it names in
backticks is checked: a test node id (``tests/x.py::test_name``, a parametrized id such as
``test_name[a-b]`` allowed) must name a file and a test function in it; a repository path
(``src/...``, ``tests/...``, ``docs/...``, ``benchmarks/...``) must exist; a dotted
``latentforge.module.name`` must import. Markdown links and images must point at files. Each
error names the card and the reference exactly, so a moved module or a renamed test is found.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "course.md"
CARDS = range(1, 75)

HEADING = re.compile(r"^### (\d+)\. ", re.MULTILINE)
CODE = re.compile(r"`([^`\n]+)`")
NODE_ID = re.compile(r"^(tests/[\w/]+\.py)::(\w+)(?:::(\w+))?(\[[^\]]*\])?$")
REPO_PATH = re.compile(r"^(?:src|tests|docs|benchmarks)/[\w./-]+$")
DOTTED = re.compile(r"^latentforge(?:\.\w+)+$")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#([^)]*))?\)")


def card_numbers(text: str) -> list[int]:
    return [int(n) for n in HEADING.findall(text)]


def card_errors(text: str) -> list[str]:
    """Missing, repeated or out-of-order card sections."""
    numbers = card_numbers(text)
    errors = [f"card {n}: no section '### {n}. ...'" for n in CARDS if n not in numbers]
    errors += [
        f"card {n}: more than one section" for n in sorted(set(numbers)) if numbers.count(n) > 1
    ]
    errors += [f"card {n}: not a card of the deck (1..74)" for n in numbers if n not in CARDS]
    if not errors and numbers != sorted(numbers):
        errors.append("cards are not in order 1..74")
    return errors


def sections(text: str) -> list[tuple[str, str]]:
    """(label, body) per part of the page: 'intro' before the first card, then 'card N'."""
    starts = [(m.start(), f"card {m.group(1)}") for m in HEADING.finditer(text)]
    bounds = [(0, "intro"), *starts, (len(text), "")]
    return [(label, text[a:b]) for (a, label), (b, _) in zip(bounds, bounds[1:])]


def defined_tests(path: Path) -> set[str]:
    """Names of test functions in a test file, methods as ``Class::method``."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return names


def node_error(reference: str) -> str | None:
    match = NODE_ID.match(reference)
    if match is None:
        return f"test node id {reference!r} is not of the form tests/file.py::test_name"
    file, first, second, _ = match.groups()
    path = ROOT / file
    if not path.is_file():
        return f"test node id {reference!r}: file {file} does not exist"
    name = first if second is None else f"{first}::{second}"
    if name not in defined_tests(path):
        return f"test node id {reference!r}: {file} has no test {name}"
    return None


def dotted_error(reference: str) -> str | None:
    parts = reference.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                module = ".".join(parts[:cut])
                return f"{reference!r}: {module} has no attribute {attribute!r}"
            target = getattr(target, attribute)
        return None
    return f"{reference!r}: no such module"


def reference_errors(text: str, page_dir: Path = PAGE.parent) -> list[str]:
    """Every backticked node id, path or dotted name and every link that does not resolve."""
    errors = []
    for label, body in sections(text):
        for reference in CODE.findall(body):
            reference = reference.strip()
            first = reference.split()[0] if reference.split() else ""
            if "::" in reference and first.startswith("tests/"):
                error = node_error(first)
            elif REPO_PATH.match(first) and not first.endswith("/") and "*" not in first:
                error = None if (ROOT / first).exists() else f"path {first} does not exist"
            elif DOTTED.match(reference):
                error = dotted_error(reference)
            else:
                continue
            if error:
                errors.append(f"{label}: {error}")
        for target, anchor in LINK.findall(body):
            if "://" in target:
                continue
            path = page_dir / target
            if not path.exists():
                errors.append(f"{label}: link {target} does not exist (relative to docs/)")
            elif anchor and anchor not in heading_anchors(path):
                errors.append(f"{label}: link {target}#{anchor}: no such heading in {target}")
    return errors


def heading_anchors(path: Path) -> set[str]:
    """The anchors a markdown viewer gives the headings of ``path`` (GitHub's rule: lower case,
    punctuation dropped, spaces to hyphens)."""
    anchors = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_every_card_of_the_deck_has_a_section() -> None:
    errors = card_errors(PAGE.read_text(encoding="utf-8"))
    assert not errors, "docs/course.md:\n" + "\n".join(errors)


def test_every_test_file_image_and_name_the_page_gives_exists() -> None:
    errors = reference_errors(PAGE.read_text(encoding="utf-8"))
    assert not errors, "docs/course.md:\n" + "\n".join(errors)


def evidence_errors(text: str) -> list[str]:
    """Cards without an evidence line naming a test node id, a page or an image."""
    errors = []
    for label, body in sections(text):
        evidence = body.partition("**Evidence:**")[2]
        if label != "intro" and not ("::" in evidence or LINK.search(evidence)):
            errors.append(f"{label}: no **Evidence:** with a test node id, a page or an image")
    return errors


def test_every_card_names_its_evidence() -> None:
    errors = evidence_errors(PAGE.read_text(encoding="utf-8"))
    assert not errors, "docs/course.md:\n" + "\n".join(errors)


# The checks themselves must be able to fail: plant errors into a copy of the page.


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_a_missing_card_is_named(page: str) -> None:
    planted = page.replace("### 37. ", "### removed. ")
    assert card_errors(planted) == ["card 37: no section '### 37. ...'"]


def test_a_repeated_card_is_named(page: str) -> None:
    planted = page.replace("### 38. ", "### 37. ")
    assert "card 37: more than one section" in card_errors(planted)
    assert "card 38: no section '### 38. ...'" in card_errors(planted)


def test_a_card_without_evidence_is_named() -> None:
    text = "### 1. x\n- **Evidence:** `tests/a.py::test_b`\n### 2. y\n- **Evidence:** none\n"
    assert evidence_errors(text) == [
        "card 2: no **Evidence:** with a test node id, a page or an image"
    ]


def test_a_bad_node_id_is_named_with_its_card() -> None:
    text = (
        "### 1. x\n`tests/losses/test_divergence.py::test_no_such_test`\n"
        "### 2. y\n`tests/no_such_file.py::test_x`\n"
        "### 3. z\n`tests/losses/test_divergence.py::test_kl_standard_normal_by_hand[a-b]`\n"
    )
    assert reference_errors(text) == [
        "card 1: test node id 'tests/losses/test_divergence.py::test_no_such_test': "
        "tests/losses/test_divergence.py has no test test_no_such_test",
        "card 2: test node id 'tests/no_such_file.py::test_x': "
        "file tests/no_such_file.py does not exist",
    ]


def test_bad_paths_names_and_images_are_named_with_their_card() -> None:
    text = (
        "intro\n### 5. x\n`src/latentforge/nn/no_such.py` `docs/scripts/no_such.py --flag`\n"
        "`latentforge.nn.gaussian.no_such_function` `latentforge.no_such_module`\n"
        "![figure](images/no-such.png) [page](concepts/vae.md) [web](https://example.org)\n"
        "[ok](concepts/vae.md#variational-autoencoder) [bad](concepts/vae.md#no-such-part)\n"
        "`latentforge.nn.gaussian.reparameterize` `docs/course.md` `latentforge train vae`\n"
    )
    assert reference_errors(text) == [
        "card 5: path src/latentforge/nn/no_such.py does not exist",
        "card 5: path docs/scripts/no_such.py does not exist",
        "card 5: 'latentforge.nn.gaussian.no_such_function': latentforge.nn.gaussian has no "
        "attribute 'no_such_function'",
        "card 5: 'latentforge.no_such_module': latentforge has no attribute 'no_such_module'",
        "card 5: link images/no-such.png does not exist (relative to docs/)",
        "card 5: link concepts/vae.md#no-such-part: no such heading in concepts/vae.md",
    ]
