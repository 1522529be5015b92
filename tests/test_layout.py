"""How the tests, the benchmarks and the sandbox import one another.

A test module imports no other test module, nor conftest.py: what several
share is in helper modules (helpers.py, live_calls.py...) and
fixtures are found by pytest (conftest.py, the *_plugin.py modules). The
sandbox's modules import no circle: its parts never import the facade.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .metadata import ROOT

# The packages of the suite and of the benchmarks, and every module of them.
OURS = ("tests", "tests_api", "benchmarks")
SCAFFOLDING = sorted(path for folder in OURS for path in (ROOT / folder).glob("*.py"))


def imported(source: str) -> set[str]:
    """The suite's and the benchmarks' modules a module's source imports.

    Relative imports are named without their dots; `from . import x` and
    `from tests import x` import x, which may be a module.
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(
                alias.name for alias in node.names if alias.name.split(".")[0] in OURS
            )
        elif isinstance(node, ast.ImportFrom):
            ours = node.level > 0 or (node.module or "").split(".")[0] in OURS
            if ours and node.module is not None:
                names.add(node.module)
            if ours and node.module in (None, *OURS):
                names.update(alias.name for alias in node.names)
    return names


def test_modules_found() -> None:
    """The check below reads the suite's and the benchmarks' modules."""
    names = {path.name for path in SCAFFOLDING}
    assert {
        "conftest.py",
        "helpers.py",
        "test_layout.py",
        "test_benchmarks.py",
        "test_client.py",
    } <= names


@pytest.mark.parametrize(
    "path", SCAFFOLDING, ids=lambda path: str(path.relative_to(ROOT))
)
def test_no_test_module_imported(path: Path) -> None:
    """No module imports a test module or a conftest.py."""
    wrong = sorted(
        name
        for name in imported(path.read_text(encoding="utf-8"))
        if (last := name.rsplit(".", 1)[-1]).startswith("test_") or last == "conftest"
    )
    assert not wrong, (
        f"{path.name} imports {wrong}: move what is shared to a helper module"
    )


def test_imported_names() -> None:
    """Every spelling of an import of a test module is caught."""
    names = imported(
        "import tests.test_a\n"
        "from tests.test_b import x\n"
        "from .test_c import y\n"
        "from . import test_d\n"
        "from tests import conftest\n"
        "from .helpers import z\n"
        "import aiohttp.test_utils\n"
        "from pytest import fixture\n"
    )
    assert {"tests.test_a", "tests.test_b", "test_c", "test_d", "conftest"} <= names
    assert "helpers" in names
    assert not {"aiohttp.test_utils", "pytest", "fixture"} & names


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports in the graph, if there is one."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph.get(module, ())):
            if (found := visit(target, [*path, module])) is not None:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        if (found := visit(module, [])) is not None:
            return found
    return None


def test_sandbox_has_no_import_circle() -> None:
    """The sandbox's parts import neither the facade nor each other in a circle.

    Imports needed only for type checking count too: the parts declare what
    they read of the facade as Protocols of their own.
    """
    graph = {
        path.stem: {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
        }
        for path in (ROOT / "sandbox").glob("*.py")
    }
    assert _cycle(graph) is None, _cycle(graph)


def _runtime_imports(source: str) -> set[str]:
    """The sibling modules a module imports when it runs (not type checking)."""
    tree = ast.parse(source)
    typing_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 1
            and id(node) not in typing_only
        ):
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def test_integration_has_no_import_circle() -> None:
    """The integration's modules import one another in layers, never in a circle.

    data.py alone names, for type checking only, the objects an entry's
    runtime data holds, whose modules take the entry's type from it: a loop
    of names for the type checker, not of imports.
    """
    folder = ROOT / "custom_components" / "bandwidth"
    graph = {
        path.stem: _runtime_imports(path.read_text(encoding="utf-8"))
        for path in folder.glob("*.py")
    }
    assert _cycle(graph) is None, _cycle(graph)
    assert _runtime_imports(
        "from typing import TYPE_CHECKING\n"
        "from . import a\n"
        "from .b import x\n"
        "if TYPE_CHECKING:\n"
        "    from .c import y\n"
    ) == {"a", "b"}


def test_circle_found() -> None:
    """The circle search finds a circle, however long."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
