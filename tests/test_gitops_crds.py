"""Custom resources and Helm values against the exact chart versions the tree pins.

Every custom resource the clusters would receive (the tree's objects, the ApplicationSet's
generated Applications, the Pulumi bootstrap's root) validates against the
openAPIV3Schema of the CRD that serves it in that cluster — read from the pinned chart in
``../shared/charts`` that installs it (cert-manager-v1.17.2-crds,
external-secrets-0.17.0-crds, kube-prometheus-stack-72.6.2 charts/crds/crds, argo-cd-8.1.3
templates/crds) — for the served version its apiVersion names, with unknown fields
rejected (the API server would prune them silently). Every Helm values key the tree sets
exists in its chart version (values.yaml, values.schema.json, templates, subcharts), and
the coalesced values pass the chart's values.schema.json as ``helm`` requires.

Not covered: CEL rules (none in these CRDs), admission webhooks (cert-manager's and
external-secrets' own validation), and what a template does with a value."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest

import gitops_sim as sim
from constructs_lib.gates.manifests import strict as _strict


@pytest.fixture(scope="module")
def sims(example_synth: Path, example_plan: Path) -> dict[tuple[str, str], sim.Simulation]:
    return sim.simulations(example_synth, example_plan.resolve())


@cache
def _validator(crd_json: str, version: str) -> jsonschema.protocols.Validator | None:
    schema = sim.crd_schema(json.loads(crd_json), version)
    if schema is None:
        return None
    strict = _strict(copy.deepcopy(schema))
    return jsonschema.validators.validator_for(strict, default=jsonschema.Draft7Validator)(strict)


def validate(obj: dict, crds: list[dict]) -> list[str]:
    """Errors of ``obj`` against every distinct CRD the cluster could serve its kind from."""
    version = sim.group_version(obj["apiVersion"])[1]
    errors = []
    for crd_json in sorted({json.dumps(c, sort_keys=True) for c in crds}):
        v = _validator(crd_json, version)
        if v is None:
            errors.append(f"{obj['apiVersion']} is not a served version of {json.loads(crd_json)['metadata']['name']}")
            continue
        errors += [f"{'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}" for e in v.iter_errors(obj)]
    return errors


def custom_resources(sims) -> list[tuple[str, dict, list[dict]]]:
    """(where, object, the CRDs serving it) for every custom resource applied in any simulation."""
    out, seen = [], set()
    for (key, path), s in sorted(sims.items()):
        objs = [(f"{key} via {path}: bootstrap", o) for o in s.bootstrap.objects]
        objs += [(f"{key}: {a.name}", t.obj) for a in s.apps.values() for t in a.tasks if "x-sim-chart" not in t.obj and t.key.group != sim.SIM_GROUP]
        for where, o in objs:
            group = sim.group_version(o.get("apiVersion", ""))[0]
            crds = s.crds.get((group, o.get("kind")))
            ident = (key, json.dumps(o, sort_keys=True))
            if crds and ident not in seen:
                seen.add(ident)
                out.append((where, o, crds))
    return out


def test_every_custom_resource_validates_against_its_pinned_crd(sims):
    found: dict[str, int] = {}
    problems = []
    for where, obj, crds in custom_resources(sims):
        found[obj["kind"]] = found.get(obj["kind"], 0) + 1
        problems += [f"{where}: {obj['kind']} {obj['metadata'].get('name')}: {e}" for e in validate(obj, crds)[:3]]
    assert not problems, "\n".join(problems[:30])
    # the kinds issue #11 names, and ArgoCD's own, are all checked
    assert {"ClusterIssuer", "ClusterSecretStore", "ExternalSecret", "Application", "AppProject", "ApplicationSet"} <= set(found), found


def test_crds_come_from_the_pinned_chart_versions(sims):
    """Each custom resource kind is served by the CRDs of the chart version its Application pins, and only those."""
    for (key, path), s in sims.items():
        pinned = {(a.install.chart, a.install.version) for a in s.apps.values() if a.install} | {(r.chart, r.version) for r in s.bootstrap.releases}
        for kind, group in (("ClusterIssuer", "cert-manager.io"), ("ExternalSecret", "external-secrets.io"), ("ServiceMonitor", "monitoring.coreos.com"), ("Application", "argoproj.io")):
            crds = s.crds.get((group, kind))
            assert crds, f"{key} via {path}: nothing installs the {kind} CRD"
            sources = {(c, v) for c, v in pinned for crd in sim.chart_crds(c, v) if crd["spec"]["names"]["kind"] == kind}
            assert sources, f"{key}: no pinned chart serves {kind}"
            assert all(json.dumps(c, sort_keys=True) in {json.dumps(d, sort_keys=True) for src in sources for d in sim.chart_crds(*src)} for c in crds), f"{key}: a {kind} CRD from outside the pinned charts"


def test_strict_crd_validation_catches_what_the_api_server_drops_or_refuses(sims):
    """The checks above can fail: an unknown field, a wrong type, a version no longer served."""
    issuer = next((o, crds) for _, o, crds in custom_resources(sims) if o["kind"] == "ClusterIssuer")
    obj, crds = copy.deepcopy(issuer[0]), issuer[1]
    assert not validate(obj, crds)
    obj["spec"]["acme"]["solverz"] = obj["spec"]["acme"].pop("solvers")
    assert any("solverz" in e for e in validate(obj, crds))
    es, es_crds = next((copy.deepcopy(o), crds) for _, o, crds in custom_resources(sims) if o["kind"] == "ExternalSecret")
    es["spec"]["refreshInterval"] = 3600
    assert any("refreshInterval" in e for e in validate(es, es_crds))
    es["apiVersion"] = "external-secrets.io/v1beta1"  # served: false in 0.17.0
    assert validate(es, es_crds) == ["external-secrets.io/v1beta1 is not a served version of externalsecrets.external-secrets.io"]


def helm_installs(sims) -> list[tuple[str, sim.ChartInstall]]:
    """Every Helm release the clusters get: the tree's Helm Applications and the bootstrap's releases."""
    out, seen = [], set()
    for (key, path), s in sorted(sims.items()):
        for where, inst in [(f"{key}: {a.name}", a.install) for a in s.apps.values() if a.install] + [(f"{key} via {path}: bootstrap {r.release}", r) for r in s.bootstrap.releases]:
            ident = (inst.chart, inst.version, json.dumps(inst.values, sort_keys=True))
            if ident not in seen:
                seen.add(ident)
                out.append((where, inst))
    return out


def test_every_helm_value_exists_in_its_chart_version(sims):
    installs = helm_installs(sims)
    assert {i.chart for _, i in installs} >= {"argo-cd", "cert-manager", "external-secrets", "ingress-nginx", "kube-prometheus-stack"}
    unknown = [f"{where} ({inst.chart} {inst.version}): {key}" for where, inst in installs for key in sim.unknown_values(inst)]
    assert not unknown, "values keys the pinned chart does not read:\n" + "\n".join(unknown)


def test_helm_values_pass_the_charts_values_schema(sims):
    errors = [f"{where} ({inst.chart} {inst.version}): {e}" for where, inst in helm_installs(sims) for e in sim.values_schema_errors(inst)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    "chart, version, key, known",
    [
        ("ingress-nginx", "4.12.3", "controller.replicaCount", True),
        ("ingress-nginx", "4.12.3", "controller.replicaCountt", False),
        ("ingress-nginx", "4.12.3", "controller.service.annotations.service.beta.kubernetes.io/aws-load-balancer-type", True),  # a free-form map
        ("argo-cd", "8.1.3", "configs.cm.resource.customizations.health.argoproj.io_Application", True),  # rendered wholesale
        ("argo-cd", "8.1.3", "server.replicaz", False),
        ("kube-prometheus-stack", "72.6.2", "grafana.replicas", True),  # the grafana-9.0.0 subchart
        ("kube-prometheus-stack", "72.6.2", "grafana.replicaz", False),
        ("kube-prometheus-stack", "72.6.2", "kube-state-metrics.anything", False),  # a subchart not pinned here cannot vouch for it
        ("cert-manager", "v1.17.2", "webhook.replicaCountt", False),
        ("external-secrets", "0.17.0", "leaderElect", True),
    ],
)
def test_values_check_can_fail(chart: str, version: str, key: str, known: bool):
    head, sep, rest = key.partition(".service.beta.kubernetes.io/")
    path = tuple(head.split(".")) + ((f"service.beta.kubernetes.io/{rest}",) if sep else ())
    if "resource.customizations" in key:
        path = ("configs", "cm", "resource.customizations.health.argoproj.io_Application")
    assert sim.values_key_known(chart, version, path) is known


def test_values_schema_check_can_fail():
    install = sim.ChartInstall("cert-manager", "v1.17.2", "cert-manager", "cert-manager", {"webhook": {"replicaCountt": 2}, "replicaCount": "two"})
    errors = sim.values_schema_errors(install)
    assert any("replicaCountt" in e for e in errors) and any(e.startswith("replicaCount:") for e in errors), errors
