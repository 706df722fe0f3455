"""The CRD schemas infraplan ships for `infraplan check` (constructs_lib/data/crd_schemas/) are a
fresh extraction of the pinned charts' sources in ../shared/charts: regenerate them with
`python scripts/extract_crd_schemas.py` after changing the charts or the kinds shipped."""

from __future__ import annotations

from importlib import resources

import pytest

from conftest import SHARED
from constructs_lib.gates.crd_schemas import FOLDER, PACKAGE, VERSIONS, extract, shipped

pytestmark = pytest.mark.slow  # parses about 10 MB of CRDs


def test_the_shipped_schemas_are_a_fresh_extraction_of_the_pinned_charts() -> None:
    charts = SHARED / "charts"
    if not charts.is_dir():
        pytest.skip(f"{charts} is not here: the chart sources are reference data of infraplan's own CI")
    fresh = extract(charts)
    folder = resources.files(PACKAGE).joinpath(FOLDER)
    committed = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".json")}
    assert sorted(committed) == sorted(fresh), "run python scripts/extract_crd_schemas.py"
    stale = [name for name, text in fresh.items() if committed[name] != text]
    assert not stale, f"{stale} differ from the charts: run python scripts/extract_crd_schemas.py"


def test_every_shipped_chart_version_serves_the_kinds_the_tree_uses() -> None:
    for chart, versions in VERSIONS.items():
        for version in versions:
            assert shipped(chart, version), (chart, version)
    assert "argoproj.io/v1alpha1/Application" in shipped("argo-cd", "8.1.3")
    assert "external-secrets.io/v1/ExternalSecret" in shipped("external-secrets", "0.17.0")
    assert "external-secrets.io/v1/ExternalSecret" not in shipped("external-secrets", "0.10.7")  # 0.10 serves v1beta1
    assert "external-secrets.io/v1beta1/ExternalSecret" in shipped("external-secrets", "0.10.7")
    assert "cert-manager.io/v1/ClusterIssuer" in shipped("cert-manager", "v1.17.2")
    assert "monitoring.coreos.com/v1/ServiceMonitor" in shipped("kube-prometheus-stack", "72.6.2")
    # a property called description stays; description texts go
    assert "description" in shipped("argo-cd", "8.1.3")["argoproj.io/v1alpha1/AppProject"]["properties"]["spec"]["properties"]
