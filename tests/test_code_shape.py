"""The house rules that keep the code readable, checked so they hold: no function over 60 lines
in the library or the composition, and no ARN written outside resolve/names.py (test_partition)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

MAX_FUNCTION_LINES = 60
PACKAGES = ("constructs_lib", "stacks")


def long_functions(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} is {lines} lines")
    return found


def test_no_function_is_over_60_lines() -> None:
    assert long_functions(ROOT) == [], "split these by concern (docs/architecture.md)"


def test_the_check_finds_a_long_function(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "constructs_lib").mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "stacks" / "long.py").write_text(f"def too_long():\n{body}\n")
    assert long_functions(tmp_path) == [f"stacks/long.py:1 too_long is {MAX_FUNCTION_LINES + 1} lines"]
