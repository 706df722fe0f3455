"""The checkov gate: every finding in the synthesized output is accepted on purpose, or the gate fails.

checkov runs in its own virtualenv (its dependencies clash with infraplan's), through
``checkov_run.py`` executed by that virtualenv's Python (it fixes checkov's reading of the
``terraform`` block). Which checkov: ``--checkov PATH``, else ``INFRAPLAN_CHECKOV``, else
``checkov`` on PATH, else ``.tools/checkov/bin/checkov`` (where ``./dev setup`` installs it).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml

RUNNER = Path(__file__).with_name("checkov_run.py")
INSTALL = "python -m venv .tools/checkov && .tools/checkov/bin/pip install checkov (or set INFRAPLAN_CHECKOV / --checkov to its checkov)"


def locate(option: str | None = None) -> Path | None:
    """The checkov executable to use, or None when there is none."""
    for candidate in (option, os.environ.get("INFRAPLAN_CHECKOV"), shutil.which("checkov"), ".tools/checkov/bin/checkov"):
        if candidate and Path(candidate).is_file():
            return Path(candidate).absolute()
    return None


def python_of(checkov: Path) -> Path:
    """The Python of checkov's virtualenv: beside the script, else the script's shebang."""
    beside = checkov.parent / "python"
    if beside.exists():
        return beside
    first = checkov.read_bytes()[:400].split(b"\n", 1)[0].decode(errors="replace")
    return Path(first[2:].strip().split()[0]) if first.startswith("#!") else beside


def run(checkov: Path, directory: Path, framework: str) -> list[tuple[str, str, str]]:
    """(check id, file relative to ``directory``, resource) of every failed check."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", LOG_LEVEL="ERROR")
    # -I: isolated, so this package's folder (which holds checkov.py) is not on its sys.path
    args = [str(python_of(checkov)), "-I", str(RUNNER), "-d", str(directory), "--framework", framework, "--skip-download", "-o", "json", "--soft-fail"]
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"checkov failed: {proc.stderr.strip()[-500:]}")
    reports = json.loads(proc.stdout)
    findings = []
    for report in reports if isinstance(reports, list) else [reports]:
        if report.get("summary", {}).get("parsing_errors"):
            raise RuntimeError(f"checkov could not parse {report['summary']['parsing_errors']} {framework} file(s)")
        for failed in report.get("results", {}).get("failed_checks", []):
            findings.append((failed["check_id"], failed["file_path"].lstrip("/"), failed["resource"]))
    return findings


def accepted_entries(path: Path | None) -> dict[str, list[dict]]:
    """The accepted-findings file (``{terraform: [...], kubernetes: [...]}``, each entry with check, where and reason)."""
    if path is None:
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not set(data) <= {"terraform", "kubernetes"}:
        raise ValueError(f"{path}: expected a mapping with terraform: and/or kubernetes: lists")
    for framework, section in data.items():
        for i, entry in enumerate(section if isinstance(section, list) else [None]):
            _check_entry(f"{path}: {framework}[{i}]", entry)
    return data


def _check_entry(where: str, entry: object) -> None:
    """An entry is exactly {check, where?, reason}: a ``where`` written as one string would be read
    character by character, and its ``*`` would accept the check in every file."""
    if not isinstance(entry, dict) or not isinstance(entry.get("check"), str) or not entry["check"].strip():
        raise ValueError(f"{where}: an entry is a mapping with check: (a checkov id), where: and reason:")
    if unknown := set(entry) - {"check", "where", "reason"}:
        raise ValueError(f"{where}: {entry['check']}: unknown keys {', '.join(sorted(map(str, unknown)))} (check, where, reason)")
    globs = entry.get("where", ["*"])
    if not isinstance(globs, list) or not globs or not all(isinstance(g, str) and g for g in globs):
        raise ValueError(f"{where}: {entry['check']}: where: is a list of file globs, e.g. where: [\"dev-*\"] (read {globs!r})")
    if not str(entry.get("reason", "")).strip():
        raise ValueError(f"{where}: {entry['check']}: every accepted finding needs a reason")


def unaccepted(findings: list[tuple[str, str, str]], entries: list[dict]) -> tuple[list[str], list[str]]:
    """Findings no entry accepts (by check and file glob), and entries that matched nothing."""
    used: set[int] = set()
    left = []
    for check, file, resource in findings:
        match = next(
            (i for i, e in enumerate(entries) if e["check"] == check and any(fnmatch.fnmatch(file, pattern) for pattern in e.get("where", ["*"]))),
            None,
        )
        if match is None:
            left.append(f"{check} {file} {resource}")
        else:
            used.add(match)
    stale = [f"{e['check']} where {e.get('where', ['*'])}" for i, e in enumerate(entries) if i not in used]
    return left, stale


def kubernetes_scan_folder(tree: Path, scan: Path) -> Path:
    """The tree as checkov scans it: the object files, and each app overlay as kustomize builds it
    (its base alone has no image tag, its kustomization is no object)."""
    for path in tree.rglob("*.yaml"):
        rel = path.relative_to(tree)
        if "apps" in rel.parts or path.name == "kustomization.yaml":
            continue
        (scan / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, scan / rel)
    for overlay in sorted(tree.glob("*/apps/*/overlays/*")):
        built = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True, timeout=300).stdout
        rel = overlay.relative_to(tree)
        target = scan / rel.parent / f"{rel.name}-built.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(built)
    return scan
