"""Build every kustomization under a folder with `kubectl kustomize` and validate the core kinds
with kubernetes-validate (ArgoCD's kinds are checked against their CRDs in test_gitops_validate)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

KUBERNETES_VERSION = "1.33.0"  # the newest schema set kubernetes-validate ships


def build_and_validate(root: Path) -> set[str]:
    """The kinds of every object the kustomizations under ``root`` build; fails on any build or schema error."""
    import kubernetes_validate

    dirs = sorted(p.parent for p in root.rglob("kustomization.yaml"))
    assert dirs, f"no kustomization under {root}"
    kinds: set[str] = set()
    for d in dirs:
        proc = subprocess.run(["kubectl", "kustomize", str(d)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{d.relative_to(root)}: {proc.stderr}"
        for obj in (o for o in yaml.safe_load_all(proc.stdout) if o):
            kinds.add(obj["kind"])
            if not obj["apiVersion"].startswith("argoproj.io"):
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    return kinds
