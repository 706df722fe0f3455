"""Tenant namespaces pass kubernetes-validate (strict) for the plan's Kubernetes version."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import yaml

from constructs_lib.plan import load_plan


def test_every_namespace_validates(example_synth: Path, example_plan: Path) -> None:
    version = load_plan(example_plan).platform.kubernetes.version
    files = sorted((example_synth / "kubernetes").glob("*/bootstrap/namespaces/*/namespace.yaml"))
    # 4 tenant namespaces in each of dev, staging, prod (org-c's in prod-org-c), plus database-bootstrap
    # in each cluster whose tenants have a database: dev, staging, prod, prod-org-c
    assert len(files) == 3 * 4 + 4
    assert len([f for f in files if f.parent.name == "database-bootstrap"]) == 4
    for path in files:
        obj = yaml.safe_load(path.read_text())
        kubernetes_validate.validate(obj, f"{version}.0", strict=True)
        assert obj["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
