#!/usr/bin/env python3
"""Write the hash-locked requirement files that `./dev setup` installs from (`./dev lock` runs this).

    requirements.lock           infraplan's dependencies with the test extra, resolved with -c constraints.txt
    requirements-checkov.lock   the checkov virtualenv's (requirements-checkov.txt)

Why a script: pip-tools and uv are not part of the toolchain, and pip alone can resolve and report
but not write a lock. Each set is resolved in a fresh virtualenv (`pip install --dry-run
--ignore-installed --report`, so nothing already installed leaks in), then every pinned release gets
the sha256 of each of its files on the index (from the index's simple API), so the lock installs on
any platform the release has files for, not only on the machine that wrote it.

The resolution runs on this machine's Python and platform: a dependency that only another platform
or Python version needs (an environment marker) is not in the lock; write the lock again there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

# pip's own copy of packaging: the script runs on any Python with pip, before .venv exists.
from pip._vendor.packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
from pip._vendor.packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# {what}: every package with its exact version and the sha256 of each of its files
# on the index. Do not edit: `./dev lock` writes it (scripts/lock.py; README, "Dependencies and the lock").
# Resolved on Python {python} ({platform}) from: {inputs}.
"""
LOCKS = {
    "requirements.lock": ("infraplan's dependencies with the test extra", ["-e", ".[test]", "-c", "constraints.txt"], "pyproject.toml [test], constraints.txt"),
    "requirements-checkov.lock": ("The checkov scanner's virtualenv (.tools/checkov)", ["-r", "requirements-checkov.txt"], "requirements-checkov.txt"),
}
# CPython wheels for versions infraplan cannot run on (requires-python >= 3.11) only bloat the lock.
OLD_CPYTHON = re.compile(r"-cp(2\d|3[0-9]|310)-cp(2\d|3[0-9]|310)m?u?-")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve(args: list[str], venv: Path) -> list[dict]:
    """What pip would install from ``args`` into an empty environment, per pip's installation report."""
    report = venv / "report.json"
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "--quiet", "--dry-run", "--ignore-installed", "--report", str(report), *args], cwd=ROOT, check=True)
    return json.loads(report.read_text())["install"]


def index_hashes(name: str, version: str, index: str, context: ssl.SSLContext) -> list[str]:
    """sha256 of every file of one release on the index (its simple API, as pip reads it), except
    CPython wheels older than 3.11."""
    url = f"{index}/simple/{name}/"
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=120, context=context) as response:
            files = json.load(response)["files"]
    except OSError as exc:
        raise SystemExit(f"{name}=={version}: cannot list its files ({url}: {exc})") from None
    wanted, hashes = Version(version), []
    for f in files:
        filename = f["filename"]
        try:
            found = parse_wheel_filename(filename)[1] if filename.endswith(".whl") else parse_sdist_filename(filename)[1]
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue  # eggs, .exe installers and misnamed uploads: pip would not take them either
        if found == wanted and "sha256" in f["hashes"] and not (filename.endswith(".whl") and OLD_CPYTHON.search(filename)):
            hashes.append(f["hashes"]["sha256"])
    return hashes


def lock(filename: str, what: str, args: list[str], inputs: str, index: str, context: ssl.SSLContext) -> int:
    with tempfile.TemporaryDirectory(prefix="infraplan-lock-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        items = resolve(args, venv)
    entries = []
    for item in items:
        if item["download_info"].get("dir_info", {}).get("editable"):
            continue  # infraplan itself: `./dev setup` installs it with --no-deps -e .
        name, version = normalize(item["metadata"]["name"]), item["metadata"]["version"]
        chosen = item["download_info"].get("archive_info", {}).get("hashes", {}).get("sha256")
        hashes = set(index_hashes(name, version, index, context))
        if chosen:
            hashes.add(chosen)  # the file pip took here, whichever index or local mirror it came from
        if not hashes:
            raise SystemExit(f"{name}=={version}: the index lists no file to hash")
        entries.append((name, version, sorted(hashes)))
    text = HEADER.format(what=what, python=".".join(map(str, sys.version_info[:2])), platform=sys.platform, inputs=inputs)
    for name, version, hashes in sorted(entries):
        text += f"{name}=={version} \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in hashes) + "\n"
    (ROOT / filename).write_text(text)
    return len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default="https://pypi.org", help="index whose simple API lists each release's files (default: %(default)s)")
    parser.add_argument("only", nargs="*", help=f"lock files to write: {', '.join(LOCKS)} (default: all)")
    ns = parser.parse_args()
    if unknown := set(ns.only) - set(LOCKS):
        parser.error(f"unknown lock file {', '.join(sorted(unknown))}: choose from {', '.join(LOCKS)}")
    context = ssl.create_default_context(cafile=os.environ.get("PIP_CERT") or None)
    for filename in ns.only or LOCKS:
        what, args, inputs = LOCKS[filename]
        count = lock(filename, what, args, inputs, ns.index.rstrip("/"), context)
        print(f"{filename}: {count} packages")


if __name__ == "__main__":
    main()
