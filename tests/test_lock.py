"""Reproducible installs: requirements.lock and requirements-checkov.lock pin every package with its
hashes, agree with what they were resolved from, and are what `./dev setup` installs and these tests run on."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

ENTRY = re.compile(r"^([a-z0-9-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\\n|\n))+)", re.M)


def read_lock(name: str) -> dict[str, tuple[str, list[str]]]:
    text = (ROOT / name).read_text()
    entries = {m[1]: (m[2], re.findall(r"sha256:([0-9a-f]{64})", m[3])) for m in ENTRY.finditer(text)}
    requirement_lines = [line for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert len(requirement_lines) == len(entries), f"{name}: a line that is not 'name==version' followed by its hashes"
    return entries


def pins(name: str) -> dict[str, str]:
    out = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            req, version = line.split("==")
            out[canonicalize_name(req)] = version.strip()
    return out


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-checkov.lock"])
def test_every_package_is_pinned_with_hashes(lock: str) -> None:
    entries = read_lock(lock)
    assert len(entries) > 50
    for name, (version, hashes) in entries.items():
        assert canonicalize_name(name) == name and hashes, f"{lock}: {name}=={version}"
    assert "infraplan" not in entries  # installed editable, without a hash


def test_the_lock_agrees_with_pyproject_and_constraints() -> None:
    locked = {name: version for name, (version, _) in read_lock("requirements.lock").items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} (pyproject.toml) is not in requirements.lock: run ./dev lock"
        assert req.specifier.contains(locked[name], prereleases=True), f"requirements.lock has {name}=={locked[name]}, pyproject.toml asks {req.specifier}: run ./dev lock"
    for name, version in pins("constraints.txt").items():
        assert locked.get(name) == version, f"constraints.txt pins {name}=={version}, requirements.lock has {locked.get(name)}: run ./dev lock"
    for name, version in pins("requirements-checkov.txt").items():
        assert read_lock("requirements-checkov.lock")[name][0] == version, f"{name}: run ./dev lock"


def test_the_tests_run_on_the_locked_versions() -> None:
    for name, (version, _) in read_lock("requirements.lock").items():
        assert importlib.metadata.version(name) == version, f"{name} {importlib.metadata.version(name)} is installed, the lock says {version}: ./dev setup"


def test_dev_installs_from_the_locks() -> None:
    dev = (ROOT / "dev").read_text()
    assert "pip install --quiet --require-hashes -r requirements.lock\n" in dev
    assert "pip install --quiet --no-deps -e .\n" in dev
    assert "pip install --quiet --require-hashes -r requirements-checkov.lock\n" in dev
    stamp = next(line for line in dev.splitlines() if "sha256sum" in line)
    assert "requirements.lock" in stamp and "requirements-checkov.lock" in stamp  # a new lock sets up again


def test_the_lock_script_keeps_the_wheels_python_3_11_can_use() -> None:
    spec = importlib.util.spec_from_file_location("lock_script", ROOT / "scripts" / "lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old = ["grpcio-1.85.3-cp310-cp310-manylinux_2_17_x86_64.whl", "pyyaml-6.0.3-cp39-cp39-win_amd64.whl", "x-1.0-cp27-cp27mu-linux_x86_64.whl"]
    kept = [
        "grpcio-1.85.3-cp311-cp311-manylinux_2_17_x86_64.whl",
        "grpcio-1.85.3-cp314-cp314t-macosx_11_0_universal2.whl",
        "protobuf-6.33.6-cp39-abi3-manylinux2014_x86_64.whl",
        "pyyaml-6.0.3.tar.gz",
        "rich-14.0.0-py3-none-any.whl",
    ]
    assert [f for f in old + kept if not module.OLD_CPYTHON.search(f)] == kept
