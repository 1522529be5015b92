"""The client as a package of its own: what it imports, and what it ships.

Its folder is both the integration's `api` package and the `bandwidth-voice`
distribution: it must import nothing but the standard library and the
dependencies its pyproject.toml declares, and never reach outside itself.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import bandwidth_voice

SOURCE = Path(bandwidth_voice.__file__).parent
PROJECT = tomllib.loads((SOURCE / "pyproject.toml").read_text(encoding="utf-8"))


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(relative level, module) of every import in a source file."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def test_imports_only_what_it_declares() -> None:
    """The standard library and the declared dependencies; relative imports stay inside."""
    declared = {
        re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].replace("-", "_")
        for requirement in PROJECT["project"]["dependencies"]
    }
    assert declared == {"aiohttp", "yarl"}
    modules = sorted(SOURCE.glob("*.py"))
    assert modules
    for path in modules:
        for level, module in _imported_modules(path):
            if level:
                assert level == 1, (path.name, module)
                assert (SOURCE / f"{module.split('.')[0]}.py").is_file(), module
                continue
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top in declared, (path, module)


def test_imports_without_home_assistant(tmp_path: Path) -> None:
    """Imported by its own name, in a fresh interpreter, nothing else comes along.

    Isolated (-I): neither the checkout nor PYTHONPATH is on the path.
    """
    (tmp_path / "bandwidth_voice").symlink_to(SOURCE, target_is_directory=True)
    check = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); "
        "import bandwidth_voice; "
        "assert bandwidth_voice.BandwidthClient; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'homeassistant', 'custom_components', 'sandbox', 'tests'}))"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-I", "-c", check],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout.strip() == "[]"


def test_typed_and_described() -> None:
    """It says it is typed; its README's example compiles and imports what exists."""
    assert (SOURCE / "py.typed").is_file()
    for name in bandwidth_voice.__all__:
        assert hasattr(bandwidth_voice, name), name
    readme = (SOURCE / PROJECT["project"]["readme"]).read_text(encoding="utf-8")
    (example,) = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    tree = ast.parse(example)
    compile(tree, "README.md", "exec")
    (imported,) = (
        node.names
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "bandwidth_voice"
    )
    assert {alias.name for alias in imported} <= set(bandwidth_voice.__all__)
