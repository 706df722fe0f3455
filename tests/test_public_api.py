"""The public API: every package of constructs_lib says what it exports (``__all__``), every
exported name imports, from a warm interpreter and from a cold one (no import cycle), the wheel
ships ``py.typed``, and docs/api.md names every package."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import constructs_lib
from conftest import ROOT

PACKAGES = sorted(["constructs_lib", *(m.name for m in pkgutil.walk_packages(constructs_lib.__path__, "constructs_lib.") if m.ispkg)])


def public(package: str) -> list[str]:
    exported = getattr(importlib.import_module(package), "__all__", None)
    assert isinstance(exported, list) and exported, f"{package} has no __all__"
    return exported


def test_the_packages_are_found() -> None:
    assert {"constructs_lib.plan", "constructs_lib.resolve", "constructs_lib.terraform", "constructs_lib.terraform.aws", "constructs_lib.kubernetes", "constructs_lib.addons"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_imports(package: str) -> None:
    names = public(package)
    assert names == sorted(set(names)), f"{package}.__all__: sorted, each name once"
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)  # noqa: S102 (a fixed package name)
    missing = [n for n in names if n not in namespace]
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"
    module = importlib.import_module(package)
    for name in names:
        assert getattr(module, name) is namespace[name]
    with pytest.raises(AttributeError):
        getattr(module, "no_such_name")


@pytest.mark.slow
def test_every_exported_name_imports_in_a_fresh_interpreter() -> None:
    """Each package first, alone: a lazy name must not hide an import cycle that only a cold start meets."""
    script = "import importlib, sys\np = sys.argv[1]\nm = importlib.import_module(p)\nfor n in m.__all__: getattr(m, n)\n"
    for package in PACKAGES:
        done = subprocess.run([sys.executable, "-c", script, package], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{package}: {done.stderr[-2000:]}"


@pytest.mark.slow
def test_the_wheel_ships_the_typing_marker(tmp_path: Path) -> None:
    """Built from a copy of the sources (setuptools writes build/ beside pyproject.toml)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "constructs_lib", "stacks"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, src / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(src), "-w", str(tmp_path / "wheel")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "wheel").glob("infraplan-*.whl")
    files = set(zipfile.ZipFile(wheel).namelist())
    assert "constructs_lib/py.typed" in files and "constructs_lib/_lazy.py" in files


def test_the_api_doc_names_every_package() -> None:
    doc = (ROOT / "docs" / "api.md").read_text()
    for package in PACKAGES:
        assert f"`{package}`" in doc, f"docs/api.md does not describe {package}"
