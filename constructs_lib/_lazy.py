"""Lazy public names for a package's ``__init__`` (PEP 562 module ``__getattr__``).

Why lazy: importing every module from a package's ``__init__`` would close import cycles (the
plan model reads ``resolve/names.py``, whose package would then import resolution, which reads
the plan model) and would load cdktf's jsii runtime or the Pulumi SDK for anyone importing one
small module. So an ``__init__`` writes its public names once, as relative imports inside
``if TYPE_CHECKING:`` (what type checkers and readers see), lists them in ``__all__``, and
lets :func:`lazy_exports` read that block to import a name's module the first time it is used.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from typing import Any, Callable


def _type_checking_imports(init_file: str) -> dict[str, str]:
    """Public name -> the package's module defining it, from the ``if TYPE_CHECKING:`` block
    (``from .network import Network``; ``from . import names`` makes a module public)."""
    tree = ast.parse(Path(init_file).read_text(), init_file)
    out: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if not (isinstance(stmt, ast.ImportFrom) and stmt.level == 1) or any(a.asname for a in stmt.names):
                raise ValueError(f"{init_file}:{stmt.lineno}: only 'from .<module> import <name>' belongs in the TYPE_CHECKING block")
            for alias in stmt.names:
                out[alias.name] = alias.name if stmt.module is None else f"{stmt.module}:{alias.name}"
    return out


def lazy_exports(package: str, public: list[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose ``__all__`` is ``public``."""
    init_file = sys.modules[package].__file__
    assert init_file is not None
    where = _type_checking_imports(init_file)
    if sorted(where) != sorted(public) or len(public) != len(set(public)):
        raise ValueError(f"{package}: __all__ must list exactly the names imported under TYPE_CHECKING, each once")

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = where[name].partition(":")
        value = importlib.import_module(f"{package}.{module}")
        if attr:
            value = getattr(value, attr)
        setattr(sys.modules[package], name, value)  # later look-ups no longer come here
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return __getattr__, __dir__
