"""Effective permissions of every tenant (issue #11, "Isolation that holds").

From the synthesized example (``dist/kubernetes/<cluster>/`` and
``dist/terraform/stacks/*/cdk.tf.json``) this computes what each tenant can do, through
every channel it has into a cluster, and asserts it cannot weaken a guardrail or reach
another principal's secrets:

- Kubernetes RBAC: the RoleBindings and ClusterRoleBindings of the tree, resolved to their
  Roles and ClusterRoles; the built-in ``admin``/``edit``/``view`` with their aggregation
  (Kubernetes 1.31 bootstrap policy) plus the ClusterRoles the pinned external-secrets
  chart aggregates into them, rendered from ``../shared/charts/`` with the values the
  tree's Application gives it;
- EKS access entries: the groups each tenant IAM role is mapped to, and the access policies
  associated with it (AmazonEKSEditPolicy etc., whose rules AWS publishes);
- ArgoCD: the kinds and destinations a tenant's AppProject admits, for the groups whose
  project role (or global ArgoCD RBAC) lets them create or sync Applications;
- IAM: every role a tenant can reach (its access roles, web identities of service accounts in
  its namespaces, the ClusterSecretStores open to its namespaces, and external-secrets' own
  identity if it could create a SecretStore), the trust and permission chain followed from
  the Terraform JSON.

Findings that need a change outside the tenant renderers are strict xfails naming it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable

import pytest
import yaml

from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan

from conftest import EXAMPLE_PLAN, SHARED

CHARTS = SHARED / "charts"
READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
ARGOCD_DEPLOY_ACTIONS = ("create", "update", "sync", "override", "*")  # what lets a group put its own manifests in the cluster

# ---------------------------------------------------------------------------------------
# Reference data. Kubernetes 1.31 bootstrap policy (plugin/pkg/auth/authorizer/rbac/
# bootstrappolicy): the user-facing roles are empty aggregating roles; their rules come from
# the system:aggregate-to-* roles and from any ClusterRole carrying the aggregation labels.
# ---------------------------------------------------------------------------------------
_AGG = "rbac.authorization.k8s.io/aggregate-to-"
_K8S_VIEW = (
    ("", ("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers",
          "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"), READ),
    ("", ("bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status",
          "resourcequotas", "resourcequotas/status"), READ),
    ("", ("namespaces",), READ),
    ("discovery.k8s.io", ("endpointslices",), READ),
    ("apps", ("controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
              "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"), READ),
    ("autoscaling", ("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ),
    ("batch", ("cronjobs", "cronjobs/status", "jobs", "jobs/status"), READ),
    ("extensions", ("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
                    "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status",
                    "replicationcontrollers/scale"), READ),
    ("policy", ("poddisruptionbudgets", "poddisruptionbudgets/status"), READ),
    ("networking.k8s.io", ("ingresses", "ingresses/status", "networkpolicies"), READ),
)
_EDIT_WRITES = (
    ("", ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"), READ),
    ("", ("serviceaccounts",), ("impersonate",)),
    ("", ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"), WRITE),
    ("", ("configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets",
          "serviceaccounts", "services", "services/proxy"), WRITE),
    ("apps", ("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
              "statefulsets", "statefulsets/scale"), WRITE),
    ("autoscaling", ("horizontalpodautoscalers",), WRITE),
    ("batch", ("cronjobs", "jobs"), WRITE),
    ("extensions", ("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies",
                    "replicasets", "replicasets/scale", "replicationcontrollers/scale"), WRITE),
    ("policy", ("poddisruptionbudgets",), WRITE),
    ("networking.k8s.io", ("ingresses", "networkpolicies"), WRITE),
)
_K8S_EDIT = (*_EDIT_WRITES, ("", ("pods/eviction",), ("create",)), ("", ("serviceaccounts/token",), ("create",)))
_ADMIN_EXTRA = (
    ("authorization.k8s.io", ("localsubjectaccessreviews",), ("create",)),
    ("rbac.authorization.k8s.io", ("rolebindings", "roles"), (*READ, *WRITE)),
)


def _rules(table) -> list[dict]:
    return [{"apiGroups": [g], "resources": list(r), "verbs": list(v)} for g, r, v in table]


BUILTIN_CLUSTER_ROLES = [
    {"metadata": {"name": "cluster-admin"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
    {"metadata": {"name": "admin"}, "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {f"{_AGG}admin": "true"}}]}},
    {"metadata": {"name": "edit", "labels": {f"{_AGG}admin": "true"}},
     "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {f"{_AGG}edit": "true"}}]}},
    {"metadata": {"name": "view", "labels": {f"{_AGG}edit": "true"}},
     "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {f"{_AGG}view": "true"}}]}},
    {"metadata": {"name": "system:aggregate-to-admin", "labels": {f"{_AGG}admin": "true"}}, "rules": _rules(_ADMIN_EXTRA)},
    {"metadata": {"name": "system:aggregate-to-edit", "labels": {f"{_AGG}edit": "true"}}, "rules": _rules(_K8S_EDIT)},
    {"metadata": {"name": "system:aggregate-to-view", "labels": {f"{_AGG}view": "true"}}, "rules": _rules(_K8S_VIEW)},
]

# EKS access policies (Amazon EKS user guide, "Review access policy permissions"): fixed rule
# lists, evaluated by EKS's authorizer beside RBAC; charts cannot aggregate into them.
_EKS_EDIT = (*_K8S_VIEW, *_EDIT_WRITES)
EKS_ACCESS_POLICIES = {
    "AmazonEKSClusterAdminPolicy": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    "AmazonEKSAdminViewPolicy": [{"apiGroups": ["*"], "resources": ["*"], "verbs": list(READ)}],
    "AmazonEKSAdminPolicy": _rules((*_EKS_EDIT, *_ADMIN_EXTRA)),
    "AmazonEKSEditPolicy": _rules(_EKS_EDIT),
    "AmazonEKSViewPolicy": _rules(_K8S_VIEW),
    "AmazonEKSSecretReaderPolicy": _rules((("", ("secrets",), READ),)),
}
# AWS managed IAM policies the stacks attach: none of them lets a principal assume a role or read a secret.
HARMLESS_MANAGED_POLICIES = {
    "AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore", "AmazonEBSCSIDriverPolicy", "AmazonRDSEnhancedMonitoringRole",
}


@dataclass(frozen=True)
class Kind:
    group: str
    resource: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = WRITE


RBAC = "rbac.authorization.k8s.io"
NETWORK_POLICIES = (Kind("networking.k8s.io", "networkpolicies", "NetworkPolicy", True),)
RBAC_KINDS = (
    Kind(RBAC, "roles", "Role", True, (*WRITE, "bind", "escalate")),
    Kind(RBAC, "rolebindings", "RoleBinding", True),
    Kind(RBAC, "clusterroles", "ClusterRole", False, (*WRITE, "bind", "escalate")),
    Kind(RBAC, "clusterrolebindings", "ClusterRoleBinding", False),
    Kind("", "users", "User", False, ("impersonate",)),
    Kind("", "groups", "Group", False, ("impersonate",)),
)
QUOTA_KINDS = (
    Kind("", "resourcequotas", "ResourceQuota", True),
    Kind("", "limitranges", "LimitRange", True),
    Kind("", "namespaces", "Namespace", False),  # labels carry Pod Security and the tenant (secret store conditions)
)


# ---------------------------------------------------------------------------------------
# Loading the synthesized tree and the pinned charts
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envs():
    return resolve_plan(load_plan(EXAMPLE_PLAN))


def _clusters(envs):
    for env in envs:
        for cluster, tenants in env.clusters:
            yield env, cluster, tenants


def _objects(root: Path) -> list[dict]:
    out = []
    for path in sorted(root.rglob("*.yaml")):
        if path.name == "kustomization.yaml" and "/chart/" not in str(path):
            continue
        out.extend(d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict))
    return out


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _truthy(v) -> bool:
    return v not in (None, False, 0, "", [], {})


def _lookup(values: dict, expr: str):
    assert expr.startswith(".Values."), f"unsupported template expression {expr!r}"
    v = values
    for part in expr[len(".Values."):].split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v


def _condition(values: dict, expr: str) -> bool:
    tokens = expr.split()
    if tokens[0] in ("and", "or"):
        results = [_truthy(_lookup(values, t)) for t in tokens[1:]]
        return all(results) if tokens[0] == "and" else any(results)
    if tokens[0] == "not":
        return not _truthy(_lookup(values, tokens[1]))
    assert len(tokens) == 1, f"unsupported template condition {expr!r}"
    return _truthy(_lookup(values, tokens[0]))


def eso_names(values: dict, release: str, namespace: str) -> tuple[str, str, str]:
    """(fullname, namespace, controller service account) as the chart's helpers compute them."""
    fullname = values.get("fullnameOverride") or (release if "external-secrets" in release else f"{release}-external-secrets")
    sa_values = values.get("serviceAccount") or {}
    sa = sa_values.get("name") or (fullname if sa_values.get("create", True) else "default")
    return fullname, values.get("namespaceOverride") or namespace, sa


_CONTROL = re.compile(r"\s*\{\{-?\s*(if|else|end)\b(.*?)\s*-?\}\}\s*")


def render_eso_rbac(version: str, values_override: dict, release: str, namespace: str) -> list[dict]:
    """The RBAC objects of the pinned external-secrets chart, rendered from its own template
    (``if``/``else``/``end`` on values, its name and label helpers); anything else in an
    emitted line fails the test, so a chart change cannot slip past this reading."""
    chart = CHARTS / f"external-secrets-{version}"
    if not chart.is_dir():
        pytest.fail(f"external-secrets {version} is not in {CHARTS}: add the pinned chart there")
    values = _deep_merge(yaml.safe_load((chart / "values.yaml").read_text()), values_override)
    fullname, sa_namespace, sa = eso_names(values, release, namespace)
    subst = {
        '{{ include "external-secrets.fullname" . }}': fullname,
        '{{ include "external-secrets.serviceAccountName" . }}': sa,
        '{{ template "external-secrets.namespace" . }}': sa_namespace,
    }
    lines, stack, active = [], [], True
    for line in (chart / "templates" / "rbac.yaml").read_text().splitlines():
        m = _CONTROL.fullmatch(line)
        if m:
            kw, expr = m.group(1), m.group(2).strip()
            if kw == "if":
                taken = _condition(values, expr)
                stack.append((active, taken))
                active = active and taken
            elif kw == "else":
                parent, taken = stack[-1]
                active = parent and not taken
            else:
                active = stack.pop()[0]
            continue
        if not active or "external-secrets.labels" in line:
            continue
        for k, v in subst.items():
            line = line.replace(k, v)
        assert "{{" not in line, f"external-secrets {version} rbac.yaml: template construct this test does not read: {line.strip()}"
        lines.append(line)
    docs = [d for d in yaml.safe_load_all("\n".join(lines)) if isinstance(d, dict)]
    for d in docs:  # commonLabels reach every object through the labels helper
        meta = d.setdefault("metadata", {})
        meta["labels"] = {**(meta.get("labels") or {}), **(values.get("commonLabels") or {})}
    return docs


@cache
def eso_kinds(version: str) -> tuple[Kind, ...]:
    """Every external-secrets custom resource but ExternalSecret: each can make the controller act
    with its own identity or a store's (a SecretStore, PushSecret, generator...)."""
    bundle = CHARTS / f"external-secrets-{version}-crds" / "bundle.yaml"
    if not bundle.is_file():
        pytest.fail(f"{bundle} is missing: add the pinned chart's CRDs to {CHARTS}")
    out = []
    for crd in yaml.safe_load_all(bundle.read_text()):
        if isinstance(crd, dict) and crd.get("kind") == "CustomResourceDefinition":
            s = crd["spec"]
            if s["names"]["kind"] != "ExternalSecret":
                out.append(Kind(s["group"], s["names"]["plural"], s["names"]["kind"], s["scope"] == "Namespaced"))
    return tuple(out)


class ClusterTree:
    """One cluster's synthesized tree, with the chart-rendered ClusterRoles that aggregate."""

    def __init__(self, root: Path):
        self.root = root
        self.objects = _objects(root)
        self.of_kind = lambda kind: [o for o in self.objects if o.get("kind") == kind]
        self.namespaces = {o["metadata"]["name"]: o["metadata"].get("labels", {}) for o in self.of_kind("Namespace")}
        self.projects = {o["metadata"]["name"]: o for o in self.of_kind("AppProject")}
        self.eso = self._eso()
        chart_roles = render_eso_rbac(*self.eso) if self.eso else []
        self.cluster_roles = {r["metadata"]["name"]: r for r in [*BUILTIN_CLUSTER_ROLES, *chart_roles, *self.of_kind("ClusterRole")]
                              if r.get("kind", "ClusterRole") == "ClusterRole"}
        self.roles = {(r["metadata"]["namespace"], r["metadata"]["name"]): r for r in self.of_kind("Role")}
        platform_apps = [o for o in self.objects if o.get("kind") == "Application"]
        self.probe_namespaces = sorted({*self.namespaces, "argocd", "default", "kube-system",
                                        *(a["spec"]["destination"].get("namespace", "") for a in platform_apps)} - {""})

    def _eso(self) -> tuple[str, dict, str, str] | None:
        """(chart version, values, release, namespace) of external-secrets, from its Application or its inflated chart."""
        for o in self.objects:
            src = (o.get("spec") or {}).get("source") or {}
            if o.get("kind") == "Application" and src.get("chart") == "external-secrets":
                helm = src.get("helm", {})
                return src["targetRevision"], helm.get("valuesObject", {}), helm.get("releaseName", o["metadata"]["name"]), o["spec"]["destination"]["namespace"]
            if o.get("kind") == "Kustomization":
                for c in o.get("helmCharts", []):
                    if c["name"] == "external-secrets":
                        return c["version"], c.get("valuesInline", {}), c["releaseName"], c["namespace"]
        return None

    @cache
    def cluster_role_rules(self, name: str) -> tuple[dict, ...]:
        """A ClusterRole's rules, aggregation followed to a fixed point as the controller does."""
        role = self.cluster_roles.get(name)
        if role is None:
            return ()
        rules = list(role.get("rules") or [])
        agg = role.get("aggregationRule")
        if agg:
            seen = {name}
            frontier = [name]
            while frontier:
                current = self.cluster_roles[frontier.pop()]
                for sel in (current.get("aggregationRule") or {}).get("clusterRoleSelectors", []):
                    for other in self.cluster_roles.values():
                        labels = other["metadata"].get("labels") or {}
                        if all(labels.get(k) == v for k, v in sel.get("matchLabels", {}).items()) and other["metadata"]["name"] not in seen:
                            seen.add(other["metadata"]["name"])
                            rules.extend(other.get("rules") or [])
                            frontier.append(other["metadata"]["name"])
        return tuple(rules)


@cache
def _tree(root: Path) -> ClusterTree:
    return ClusterTree(root)


# ---------------------------------------------------------------------------------------
# Who a tenant is in a cluster, and what each of its identities may do
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One identity a tenant controls in a cluster."""

    label: str
    groups: frozenset[str]
    service_account_namespace: str | None = None  # any service account of this namespace (its pods)
    eks_policies: tuple[tuple[str, tuple[str, ...] | None], ...] = ()  # (policy name, namespaces; None = cluster)


def _rule_allows(rule: dict, verb: str, group: str, resource: str) -> bool:
    return (
        ("*" in rule.get("apiGroups", []) or group in rule.get("apiGroups", []))
        and ("*" in rule.get("resources", []) or resource in rule.get("resources", []))
        and ("*" in rule.get("verbs", []) or verb in rule.get("verbs", []))
    )


def _subject_matches(s: dict, m: Member, binding_ns: str | None) -> bool:
    if s["kind"] == "Group":
        return s["name"] in m.groups
    if s["kind"] == "ServiceAccount":
        return m.service_account_namespace is not None and s.get("namespace", binding_ns) == m.service_account_namespace
    return False  # User: no tenant identity is a named user


def rbac_grants(tree: ClusterTree, m: Member, verb: str, group: str, resource: str, namespace: str | None) -> list[str]:
    """Which bindings of the tree let ``m`` do this (namespace None: cluster-scoped; for ``namespaces`` a
    RoleBinding of namespace N covers the Namespace object N itself)."""
    out = []
    for b in tree.of_kind("ClusterRoleBinding") + (tree.of_kind("RoleBinding") if namespace else []):
        ns = b["metadata"].get("namespace")
        if b["kind"] == "RoleBinding" and ns != namespace:
            continue
        if not any(_subject_matches(s, m, ns) for s in b.get("subjects") or []):
            continue
        ref = b["roleRef"]
        rules = tree.roles.get((ns, ref["name"]), {}).get("rules", []) if ref["kind"] == "Role" else tree.cluster_role_rules(ref["name"])
        if any(_rule_allows(r, verb, group, resource) for r in rules):
            out.append(f"RBAC {b['kind']} {ns + '/' if ns else ''}{b['metadata']['name']} -> {ref['kind']} {ref['name']}")
    return out


def eks_grants(m: Member, verb: str, group: str, resource: str, namespace: str | None) -> list[str]:
    out = []
    for policy, scope in m.eks_policies:
        if scope is not None and (namespace is None or not any(fnmatch.fnmatchcase(namespace, s) for s in scope)):
            continue
        rules = EKS_ACCESS_POLICIES.get(policy)
        assert rules is not None, f"EKS access policy {policy} unknown to this test: add its published rules"
        if any(_rule_allows(r, verb, group, resource) for r in rules):
            out.append(f"EKS access policy {policy} ({'cluster' if scope is None else ', '.join(scope)})")
    return out


def _group_kind_permitted(spec: dict, group: str, kind: str, namespaced: bool) -> bool:
    """ArgoCD 3.0 AppProject.IsGroupKindPermitted: a namespaced kind needs the whitelist to be absent or
    to list it, and the blacklist not to; a cluster-scoped kind needs clusterResourceWhitelist."""

    def listed(items) -> bool:
        return any(fnmatch.fnmatchcase(kind, i["kind"]) and fnmatch.fnmatchcase(group, i["group"]) for i in items or [])

    if namespaced:
        white = spec.get("namespaceResourceWhitelist")
        return (white is None or (len(white) > 0 and listed(white))) and not listed(spec.get("namespaceResourceBlacklist"))
    return listed(spec.get("clusterResourceWhitelist")) and not listed(spec.get("clusterResourceBlacklist"))


def _destination_permitted(spec: dict, namespace: str) -> bool:
    dests = spec.get("destinations") or []
    assert not any(d.get("namespace", "").startswith("!") for d in dests), "negated destinations are not modelled"
    return any(fnmatch.fnmatchcase(namespace, d.get("namespace", "")) for d in dests)


def _argocd_rbac(tree: ClusterTree) -> tuple[str, list[list[str]]]:
    """(policy.default, policy.csv lines) of the ArgoCD the tree installs."""
    for o in tree.objects:
        src = (o.get("spec") or {}).get("source") or {}
        if o.get("kind") == "Application" and src.get("chart") == "argo-cd":
            rbac = ((src.get("helm", {}).get("valuesObject") or {}).get("configs") or {}).get("rbac") or {}
            lines = [[c.strip() for c in ln.split(",")] for ln in (rbac.get("policy.csv") or "").splitlines() if ln.strip() and not ln.startswith("#")]
            return rbac.get("policy.default", ""), lines
    return "", []


@cache
def deploying_projects(tree: ClusterTree, m: Member) -> dict[str, str]:
    """Projects into which ``m`` can put manifests of its choosing (create/update/sync an Application), with why."""
    out = {}
    for name, p in tree.projects.items():
        for role in p["spec"].get("roles") or []:
            if m.groups & set(role.get("groups") or []):
                for pol in role.get("policies") or []:
                    _, _, res, act, obj, eft = [c.strip() for c in pol.split(",")]
                    if res == "applications" and act in ARGOCD_DEPLOY_ACTIONS and eft == "allow":
                        out[name] = f"ArgoCD project {name} role {role['name']}: {act}"
    default, csv = _argocd_rbac(tree)
    roles = {default} if default else set()
    roles |= {ln[2] for ln in csv if ln[0] == "g" and ln[1] in m.groups}
    grants = [ln for ln in csv if ln[0] == "p" and (ln[1] in roles or ln[1] in m.groups)]
    if "role:admin" in roles:
        grants.append(["p", "role:admin", "applications", "*", "*/*", "allow"])
    for _, sub, res, act, obj, eft in grants:
        if res in ("applications", "*") and act in ARGOCD_DEPLOY_ACTIONS and eft == "allow":
            for name in tree.projects:
                if fnmatch.fnmatchcase(f"{name}/x", obj):
                    out.setdefault(name, f"ArgoCD global RBAC {sub}: {res}, {act}, {obj}")
    return out


def argocd_grants(tree: ClusterTree, m: Member, k: Kind, namespace: str | None) -> list[str]:
    out = []
    for name, why in deploying_projects(tree, m).items():
        spec = tree.projects[name]["spec"]
        if _group_kind_permitted(spec, k.group, k.kind, k.namespaced) and (not k.namespaced or _destination_permitted(spec, namespace)):
            out.append(why)
    return out


def grants(tree: ClusterTree, m: Member, k: Kind, namespace: str | None, *, channels=("rbac", "eks", "argocd")) -> list[str]:
    """Every channel through which ``m`` may write ``k`` (in ``namespace``)."""
    out = []
    for verb in k.verbs:
        if "rbac" in channels:
            out += [f"{verb}: {g}" for g in rbac_grants(tree, m, verb, k.group, k.resource, namespace)]
        if "eks" in channels:
            out += [f"{verb}: {g}" for g in eks_grants(m, verb, k.group, k.resource, namespace)]
    if "argocd" in channels and "create" in k.verbs:
        out += [f"create: {g}" for g in argocd_grants(tree, m, k, namespace)]
    return sorted(set(out))


# ---------------------------------------------------------------------------------------
# Terraform: access entries and the IAM graph
# ---------------------------------------------------------------------------------------


class Account:
    """Every stack of one AWS account, resolved enough to follow trust and permissions."""

    def __init__(self, stacks: list[dict]):
        self.stacks = stacks
        self.account = stacks[0]["provider"]["aws"][0]["allowed_account_ids"][0]
        self.roles: dict[str, dict] = {}  # arn -> {"name", "trust": [...], "allow": [...]}
        self.secrets: list[tuple[str, str]] = []  # (ARN as AWS writes it, stack)
        self.access_entries: list[tuple[str, str, frozenset[str], tuple]] = []  # (stack, cluster ref, groups, policies)
        for st in stacks:
            self._read(st)

    def _token(self, st: dict, s: str) -> str:
        def repl(m: re.Match) -> str:
            kind, rid, attr = m.group(1), m.group(2), m.group(3)
            res = st.get("resource", {}).get(kind, {}).get(rid)
            if kind == "aws_iam_role" and res is not None:
                return self.arn(res["name"]) if attr == "arn" else res["name"]
            return m.group(0)

        return re.sub(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}", repl, s)

    def arn(self, role_name: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{role_name}"

    def _doc(self, st: dict, raw: str) -> list[dict]:
        m = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}", raw)
        if m:
            data = st["data"]["aws_iam_policy_document"][m.group(1)]
            statements = []
            for s in data["statement"]:
                cond: dict = {}
                for c in s.get("condition", []):
                    cond.setdefault(c["test"], {})[c["variable"]] = c["values"]
                statements.append({
                    "Effect": s.get("effect", "Allow"),
                    "Action": s.get("actions", []),
                    "Resource": s.get("resources", []),
                    "Principal": {p["type"]: p["identifiers"] for p in s.get("principals", [])},
                    "Condition": cond,
                })
            return json.loads(self._token(st, json.dumps(statements)))
        doc = json.loads(self._token(st, raw))
        sts = doc["Statement"]
        return sts if isinstance(sts, list) else [sts]

    def _read(self, st: dict) -> None:
        res = st.get("resource", {})
        region = st["provider"]["aws"][0]["region"]
        for r in res.get("aws_iam_role", {}).values():
            self.roles[self.arn(r["name"])] = {"name": r["name"], "trust": self._doc(st, r["assume_role_policy"]), "allow": [], "stack": st["//"]["metadata"]["stackName"]}
        managed = {self._token(st, "${aws_iam_policy.%s.arn}" % rid): p["policy"] for rid, p in res.get("aws_iam_policy", {}).items()}
        for p in res.get("aws_iam_role_policy", {}).values():
            self._role(st, p["role"])["allow"].extend(self._doc(st, p["policy"]))
        for a in res.get("aws_iam_role_policy_attachment", {}).values():
            if a["policy_arn"] in managed:
                self._role(st, a["role"])["allow"].extend(self._doc(st, managed[a["policy_arn"]]))
            else:
                assert a["policy_arn"].rsplit("/", 1)[-1] in HARMLESS_MANAGED_POLICIES, f"managed policy {a['policy_arn']} unknown to this test"
        for s in res.get("aws_secretsmanager_secret", {}).values():
            self.secrets.append((f"arn:aws:secretsmanager:{region}:{self.account}:secret:{s['name']}-AbCdEf", st["//"]["metadata"]["stackName"]))
        assoc: dict[str, list] = {}
        for a in res.get("aws_eks_access_policy_association", {}).values():
            scope = a["access_scope"][0]
            assoc.setdefault(a["principal_arn"], []).append((a["policy_arn"].rsplit("/", 1)[-1], tuple(scope["namespaces"]) if scope["type"] == "namespace" else None))
        for e in res.get("aws_eks_access_entry", {}).values():
            self.access_entries.append((self._token(st, e["principal_arn"]), e["cluster_name"], frozenset(e.get("kubernetes_groups", [])), tuple(assoc.get(e["principal_arn"], []))))

    def _role(self, st: dict, ref: str) -> dict:
        name = self._token(st, ref)
        return self.roles[self.arn(name)]

    @staticmethod
    def _actions(s: dict) -> list[str]:
        a = s.get("Action", [])
        return [x.lower() for x in ([a] if isinstance(a, str) else a)]

    @staticmethod
    def _list(v) -> list[str]:
        return [v] if isinstance(v, str) else list(v or [])

    def allows(self, statements: list[dict], action: str, resource: str) -> bool:
        return any(
            s.get("Effect") == "Allow"
            and any(fnmatch.fnmatchcase(action.lower(), a) for a in self._actions(s))
            and any(fnmatch.fnmatchcase(resource, r) for r in self._list(s.get("Resource")))
            for s in statements
        )

    def assumable_by_role(self, principal_arn: str) -> set[str]:
        """Roles ``principal_arn`` can assume: named in their trust, or trusted through the account and allowed by its own policy."""
        out = set()
        mine = self.roles.get(principal_arn, {}).get("allow", [])
        for arn, role in self.roles.items():
            for s in role["trust"]:
                if s.get("Effect") != "Allow" or not any(fnmatch.fnmatchcase("sts:assumerole", a) for a in self._actions(s)):
                    continue
                aws = self._list((s.get("Principal") or {}).get("AWS")) if isinstance(s.get("Principal"), dict) else self._list(s.get("Principal"))
                if principal_arn in aws or "*" in aws:
                    out.add(arn)
                elif any(p in (f"arn:aws:iam::{self.account}:root", self.account) for p in aws) and self.allows(mine, "sts:AssumeRole", arn):
                    out.add(arn)
        return out

    def assumable_by_web_identity(self, sub_matches) -> set[str]:
        """Roles whose trust admits a Kubernetes service account token whose subject satisfies ``sub_matches(test, value)``."""
        out = set()
        for arn, role in self.roles.items():
            for s in role["trust"]:
                if s.get("Effect") != "Allow" or not any(fnmatch.fnmatchcase("sts:assumerolewithwebidentity", a) for a in self._actions(s)):
                    continue
                subs = [(test, v) for test, conds in (s.get("Condition") or {}).items() for var, vals in conds.items() if var.endswith(":sub") for v in self._list(vals)]
                if not subs or any(sub_matches(test, v) for test, v in subs):
                    out.add(arn)
        return out

    def closure(self, start: set[str]) -> set[str]:
        seen, frontier = set(start), list(start)
        while frontier:
            for nxt in self.assumable_by_role(frontier.pop()) - seen:
                seen.add(nxt)
                frontier.append(nxt)
        return seen

    def readable_secret_patterns(self, roles: Iterable[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for arn in roles:
            for s in self.roles.get(arn, {}).get("allow", []):
                if s.get("Effect") == "Allow" and any(fnmatch.fnmatchcase("secretsmanager:getsecretvalue", a) for a in self._actions(s)):
                    out.setdefault(arn, []).extend(self._list(s.get("Resource")))
        return out


def _sa_sub(namespace: str, name: str):
    """A matcher for the token subject of one service account (name '*': any in the namespace)."""
    subject = f"system:serviceaccount:{namespace}:"

    def match(test: str, value: str) -> bool:
        if name == "*":
            parts = value.split(":")
            if len(parts) != 4 or parts[:2] != ["system", "serviceaccount"]:
                return True  # a pattern this test cannot place: assume it admits the tenant
            return fnmatch.fnmatchcase(namespace, parts[2]) if "Like" in test else parts[2] == namespace
        return fnmatch.fnmatchcase(subject + name, value) if "Like" in test else value == subject + name

    return match


@cache
def _account(dist: Path, account: str) -> Account:
    stacks = [json.loads(p.read_text()) for p in sorted((dist / "terraform" / "stacks").glob("*/cdk.tf.json"))]
    return Account([s for s in stacks if s["provider"]["aws"][0]["allowed_account_ids"][0] == account])


# ---------------------------------------------------------------------------------------
# Putting it together per (cluster, tenant)
# ---------------------------------------------------------------------------------------


@dataclass
class TenantView:
    key: str
    tenant: object
    tree: ClusterTree
    account: Account
    members: list[Member]
    cluster: object
    env: object


def _eks_cluster_refs(account: Account, cluster_name: str) -> set[str]:
    refs = set()
    for st in account.stacks:
        for rid, c in st.get("resource", {}).get("aws_eks_cluster", {}).items():
            if c["name"] == cluster_name:
                refs.add("${aws_eks_cluster.%s.name}" % rid)
    return refs


def tenant_views(dist: Path, envs) -> list[TenantView]:
    out = []
    for env, cluster, tenants in _clusters(envs):
        tree = _tree(dist / "kubernetes" / cluster.key)
        account = _account(dist, env.account_id)
        refs = _eks_cluster_refs(account, cluster.name)
        assert refs, f"no aws_eks_cluster named {cluster.name} in the stacks of account {env.account_id}"
        for t in tenants:
            groups = frozenset({*t.access.admin_groups, *t.access.developer_groups, *t.access.viewer_groups})
            members = [Member(f"{t.name} groups (identity provider)", groups | {"system:authenticated"})]
            members += [Member(f"service accounts of {ns}", frozenset({"system:authenticated", "system:serviceaccounts", f"system:serviceaccounts:{ns}"}), ns)
                        for ns in t.namespaces]
            for principal, ref, entry_groups, policies in account.access_entries:
                if ref in refs and entry_groups & groups:
                    members.append(Member(f"EKS access entry {principal}", entry_groups | {"system:authenticated"}, None, policies))
            assert len(members) > 1 + len(t.namespaces), f"{cluster.key}/{t.name}: no EKS access entry found for its groups"
            out.append(TenantView(cluster.key, t, tree, account, members, cluster, env))
    return out


@pytest.fixture(scope="module")
def views(example_synth: Path, envs) -> list[TenantView]:
    return tenant_views(example_synth, envs)


def _findings(v: TenantView, kinds: Iterable[Kind], channels=("rbac", "eks", "argocd")) -> list[str]:
    found = []
    for m in v.members:
        for k in kinds:
            for ns in (v.tree.probe_namespaces if k.namespaced or k.resource == "namespaces" else [None]):
                for g in grants(v.tree, m, k, ns, channels=channels):
                    found.append(f"{v.key}/{v.tenant.name}: {m.label} may {g} on {k.kind}{' in ' + ns if ns else ''}")
    for k in kinds:
        if k.resource == "namespaces":  # cluster-wide too (ClusterRoleBindings)
            for m in v.members:
                found += [f"{v.key}/{v.tenant.name}: {m.label} may {g} on Namespace (cluster)" for g in grants(v.tree, m, k, None, channels=channels)]
    return found


def _eso_version(v: TenantView) -> str:
    assert v.tree.eso, f"{v.key}: no external-secrets Application in the tree"
    return v.tree.eso[0]


# ---------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------


def test_projects_admit_no_guardrail_kind(views):
    """A tenant's AppProject admits none of the kinds that act with the controller's identity or
    weaken a guardrail, nothing cluster-scoped, and only its own namespaces."""
    bad = []
    for v in views:
        spec = v.tree.projects[v.tenant.name]["spec"]
        assert spec["clusterResourceWhitelist"] == [], f"{v.key}/{v.tenant.name}: cluster-scoped kinds admitted"
        assert {d["namespace"] for d in spec["destinations"]} == set(v.tenant.namespaces)
        for k in (*eso_kinds(_eso_version(v)), *NETWORK_POLICIES, *RBAC_KINDS[:4], *QUOTA_KINDS,
                  Kind("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", False),
                  Kind("admissionregistration.k8s.io", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False)):
            if _group_kind_permitted(spec, k.group, k.kind, k.namespaced):
                bad.append(f"{v.key}/{v.tenant.name}: project admits {k.group or 'core'}/{k.kind}")
    assert not bad, "\n".join(bad)


def test_tenant_apps_fit_their_project(example_synth: Path, views):
    """The whitelist is not wider than needed and not narrower: every object of the tenant's apps is admitted."""
    for v in views:
        spec = v.tree.projects[v.tenant.name]["spec"]
        for app in v.tenant.apps:
            folder = v.tree.root / "apps" / app.name
            for obj in _objects(folder / "base") + _objects(folder / "overlays" / v.tenant.environment):
                if obj.get("kind") == "Kustomization":
                    continue
                group = obj["apiVersion"].rpartition("/")[0]
                assert _group_kind_permitted(spec, group, obj["kind"], True), f"{v.key}: {app.name}'s {obj['kind']} is not admitted by project {v.tenant.name}"
                assert _destination_permitted(spec, obj["metadata"]["namespace"])


def test_rbac_of_the_tree_grants_no_guardrail_writes(views):
    """Through the tree's RoleBindings (built-in roles resolved with chart aggregation), no tenant identity
    may create secret stores or generators, change NetworkPolicies, RBAC, quota, limits or its Namespace."""
    bad = []
    for v in views:
        bad += _findings(v, (*eso_kinds(_eso_version(v)), *NETWORK_POLICIES, *RBAC_KINDS, *QUOTA_KINDS), channels=("rbac",))
    assert not bad, "\n".join(bad)


def test_tenants_cannot_create_secret_stores(views):
    """Through every channel (RBAC, EKS access policies, ArgoCD), no tenant identity may create a
    SecretStore, ClusterSecretStore, PushSecret or generator: each would run with external-secrets' identity."""
    bad = []
    for v in views:
        bad += _findings(v, eso_kinds(_eso_version(v)))
    assert not bad, "\n".join(bad)


def test_tenants_cannot_change_quota_limits_or_namespaces(views):
    bad = []
    for v in views:
        bad += _findings(v, QUOTA_KINDS)
    assert not bad, "\n".join(bad)


def test_tenants_cannot_change_network_policies_or_rbac(views):
    """Through every channel, no tenant identity may change a NetworkPolicy, write Roles or RoleBindings,
    bind or escalate a role, or impersonate users and groups."""
    bad = []
    for v in views:
        bad += _findings(v, (*NETWORK_POLICIES, *RBAC_KINDS))
    assert not bad, "\n".join(bad)


def _writes_anything(tree: ClusterTree, m: Member, namespace: str) -> list[str]:
    """Any write verb on any resource in ``namespace`` through RBAC or an EKS access policy."""
    out = []
    for verb in WRITE:
        for b in tree.of_kind("ClusterRoleBinding") + tree.of_kind("RoleBinding"):
            ns = b["metadata"].get("namespace")
            if (b["kind"] == "RoleBinding" and ns != namespace) or not any(_subject_matches(s, m, ns) for s in b.get("subjects") or []):
                continue
            ref = b["roleRef"]
            rules = tree.roles.get((ns, ref["name"]), {}).get("rules", []) if ref["kind"] == "Role" else tree.cluster_role_rules(ref["name"])
            if any(verb in r.get("verbs", []) or "*" in r.get("verbs", []) for r in rules):
                out.append(f"{verb}: RBAC {b['kind']} {b['metadata']['name']} -> {ref['name']}")
        for policy, scope in m.eks_policies:
            if scope is None or any(fnmatch.fnmatchcase(namespace, x) for x in scope):
                if any(verb in r["verbs"] or "*" in r["verbs"] for r in EKS_ACCESS_POLICIES[policy]):
                    out.append(f"{verb}: EKS access policy {policy}")
    for why in deploying_projects(tree, m).values():
        if _destination_permitted(tree.projects[why.split()[2]]["spec"], namespace):
            out.append(f"deploy: {why}")
    return out


def test_tenants_write_only_in_their_own_namespaces(views):
    """No channel gives a tenant identity any write in another tenant's or a platform namespace."""
    bad = []
    for v in views:
        for m in v.members:
            for ns in set(v.tree.probe_namespaces) - set(v.tenant.namespaces):
                bad += [f"{v.key}/{v.tenant.name}: {m.label} may write in {ns}: {g}" for g in _writes_anything(v.tree, m, ns)]
    assert not bad, "\n".join(bad)


def test_tenant_roles_keep_what_each_group_needs(views):
    """The Roles still let developers ship (workloads, Services, Ingresses, ExternalSecrets, pod logs and
    exec) and viewers read everything but Secrets, through the tree's RBAC alone."""
    need_developer = [("create", "apps", "deployments"), ("patch", "apps", "deployments/scale"), ("create", "", "services"),
                      ("create", "networking.k8s.io", "ingresses"), ("create", "external-secrets.io", "externalsecrets"),
                      ("create", "batch", "jobs"), ("get", "", "pods/log"), ("create", "", "pods/exec"), ("get", "", "secrets")]
    for v in views:
        t = v.tenant
        for ns in t.namespaces:
            for groups, needs, denied in (
                (t.access.admin_groups, [*need_developer, ("create", "", "secrets")], []),
                (t.access.developer_groups, need_developer, [("create", "", "secrets")]),
                (t.access.viewer_groups, [("get", "", "pods"), ("get", "", "pods/log"), ("list", "networking.k8s.io", "networkpolicies")],
                 [("get", "", "secrets"), ("list", "", "secrets"), ("create", "", "pods/exec"), ("create", "apps", "deployments")]),
            ):
                if not groups:
                    continue
                m = Member(f"{t.name} {groups}", frozenset(groups))
                for verb, group, resource in needs:
                    assert rbac_grants(v.tree, m, verb, group, resource, ns), f"{v.key}/{ns}: {groups} cannot {verb} {resource}"
                for verb, group, resource in denied:
                    assert not rbac_grants(v.tree, m, verb, group, resource, ns), f"{v.key}/{ns}: {groups} may {verb} {resource}"


def test_builtin_edit_role_grants_no_secret_store_writes(views):
    """The cluster's ``edit`` role, as aggregated with the pinned chart's ClusterRoles, grants no
    external-secrets writes (defence in depth: no tenant is bound to it)."""
    bad = set()
    for v in views:
        for k in eso_kinds(_eso_version(v)):
            for verb in k.verbs:
                if any(_rule_allows(r, verb, k.group, k.resource) for r in v.tree.cluster_role_rules("edit")):
                    bad.add(f"{v.key}: edit may {verb} {k.resource}")
    assert not bad, "\n".join(sorted(bad))


def _reachable_roles(v: TenantView) -> dict[str, str]:
    """Every IAM role a tenant can act as or make external-secrets use for it (role ARN -> how)."""
    acct, tree, ns_set = v.account, v.tree, set(v.tenant.namespaces)
    held: dict[str, str] = {}
    for principal, _, groups, _ in acct.access_entries:
        if principal in acct.roles and groups & {g for m in v.members for g in m.groups} - {"system:authenticated"}:
            held[principal] = "its EKS access role"
    for ns in ns_set:
        for arn in acct.assumable_by_web_identity(_sa_sub(ns, "*")):
            held.setdefault(arn, f"web identity of a service account in {ns}")
    reach = {arn: held.get(arn, "assumed from a role it holds") for arn in acct.closure(set(held))}

    eso_version, values, release, eso_ns = tree.eso
    _, controller_ns, controller_sa = eso_names(values, release, eso_ns)
    controller = acct.assumable_by_web_identity(_sa_sub(controller_ns, controller_sa))
    for store in tree.of_kind("ClusterSecretStore"):
        conditions = store["spec"].get("conditions")
        if conditions and not any(_condition_admits(c, ns, tree.namespaces.get(ns, {})) for c in conditions for ns in ns_set):
            continue
        aws = store["spec"]["provider"].get("aws")
        assert aws is not None, f"{v.key}: ClusterSecretStore {store['metadata']['name']} is not AWS: not modelled"
        auth = aws.get("auth") or {}
        assert "secretRef" not in auth, f"{v.key}: store {store['metadata']['name']} uses static keys: cannot be followed"
        if "jwt" in auth:
            ref = auth["jwt"]["serviceAccountRef"]
            identity = acct.assumable_by_web_identity(_sa_sub(ref.get("namespace", ""), ref["name"]))
        else:
            identity = controller
        name = store["metadata"]["name"]
        if aws.get("role"):
            if any(aws["role"] in acct.assumable_by_role(i) for i in identity):
                reach.setdefault(aws["role"], f"ClusterSecretStore {name}")
        else:
            for arn in identity:
                reach.setdefault(arn, f"ClusterSecretStore {name} (its own identity)")
    # A tenant that can create a SecretStore or generator anywhere borrows the controller's identity.
    store_makers = _findings(v, eso_kinds(eso_version))
    if store_makers:
        for arn in acct.closure(controller):
            reach.setdefault(arn, f"external-secrets' identity, through a SecretStore it may create ({store_makers[0]})")
    return reach


def _condition_admits(c: dict, ns: str, labels: dict) -> bool:
    """ESO ClusterSecretStore condition: any of its namespace list, regexes or selector (read as an OR: wider, so safer here)."""
    if ns in (c.get("namespaces") or []) or any(re.search(r, ns) for r in c.get("namespaceRegexes") or []):
        return True
    sel = c.get("namespaceSelector")
    if sel is None:
        return False
    labels = {**labels, "kubernetes.io/metadata.name": ns}
    ok = all(labels.get(k) == val for k, val in (sel.get("matchLabels") or {}).items())
    for e in sel.get("matchExpressions") or []:
        op, key, vals = e["operator"], e["key"], e.get("values") or []
        ok &= {"In": key in labels and labels[key] in vals, "NotIn": labels.get(key) not in vals,
               "Exists": key in labels, "DoesNotExist": key not in labels}[op]
    return ok


def test_iam_chain_reaches_no_other_principals_secrets(views):
    """Following trust and permissions from every identity a tenant has (and every store it can use or
    create), it reads only secrets under its own path: never another tenant's, the platform's, or the
    RDS master secret (the database-admin role is out of reach)."""
    bad = []
    for v in views:
        own = f"arn:aws:secretsmanager:{v.cluster.secrets_region}:{v.account.account}:secret:{v.tenant.secrets_path}/"
        others = [arn for arn, stack in v.account.secrets if stack != v.tenant.stack_name]
        others += [f"arn:aws:secretsmanager:{v.cluster.secrets_region}:{v.account.account}:secret:{c.platform_secrets_path}/probe-AbCdEf"
                   for c, _ in v.env.clusters]
        others += [f"arn:aws:secretsmanager:{v.cluster.secrets_region}:{v.account.account}:secret:{t.secrets_path}/probe-AbCdEf"
                   for _, ts in v.env.clusters for t in ts if t.name != v.tenant.name]
        reach = _reachable_roles(v)
        for role, patterns in v.account.readable_secret_patterns(reach).items():
            for p in patterns:
                if "${" in p or not p.startswith(own):  # a computed ARN (the RDS master secret) or outside its own path
                    bad.append(f"{v.key}/{v.tenant.name}: reaches {role} ({reach[role]}), which reads {p}")
                for arn in others:
                    if fnmatch.fnmatchcase(arn, p):
                        bad.append(f"{v.key}/{v.tenant.name}: reaches {role} ({reach[role]}), which reads {arn}")
    assert not bad, "\n".join(sorted(set(bad)))


def _controller_sa(tree: ClusterTree) -> tuple[str, str, dict]:
    """(namespace, name, values) of external-secrets' controller service account."""
    _, values, release, eso_ns = tree.eso
    _, ns, sa = eso_names(values, release, eso_ns)
    return ns, sa, values


def test_external_secrets_controller_has_no_aws_identity(views):
    """#11 isolation 2: the controller's own service account carries no IRSA role and no role
    trusts it, so a SecretStore without auth, or naming any store's role, gets no credentials
    (and the nodes' role is out of reach: IMDSv2 with a hop limit of 1)."""
    bad = []
    for v in views:
        ns, sa, values = _controller_sa(v.tree)
        annotation = ((values.get("serviceAccount") or {}).get("annotations") or {}).get("eks.amazonaws.com/role-arn")
        if annotation:
            bad.append(f"{v.key}: external-secrets' service account {ns}/{sa} is annotated with {annotation}")
        held = v.account.assumable_by_web_identity(_sa_sub(ns, sa))
        for arn in sorted(v.account.closure(held)):
            bad.append(f"{v.key}: external-secrets' controller ({ns}/{sa}) can act as {arn}")
    assert not bad, "\n".join(sorted(set(bad)))


def _trust_problems(account: Account, role_arn: str, namespace: str, service_account: str) -> list[str]:
    """Why the role's trust admits anything but the web identity of ``namespace/service_account``."""
    role = account.roles.get(role_arn)
    if role is None:
        return [f"{role_arn} is not created by the stacks of account {account.account}"]
    out = []
    want = f"system:serviceaccount:{namespace}:{service_account}"
    for s in role["trust"]:
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal") or {}
        if set(principal) != {"Federated"} or account._actions(s) != ["sts:assumerolewithwebidentity"]:
            out.append(f"{role['name']} trusts {principal} for {s.get('Action')}")
            continue
        cond = s.get("Condition") or {}
        subs = {v for test, c in cond.items() for var, vals in c.items() if var.endswith(":sub") for v in account._list(vals) if test == "StringEquals"}
        auds = {v for test, c in cond.items() for var, vals in c.items() if var.endswith(":aud") for v in account._list(vals) if test == "StringEquals"}
        loose = [test for test, c in cond.items() if test != "StringEquals" and any(var.endswith((":sub", ":aud")) for var in c)]
        if subs != {want} or auds != {"sts.amazonaws.com"} or loose:
            out.append(f"{role['name']} admits subjects {sorted(subs)} (audiences {sorted(auds)}{', ' + str(loose) if loose else ''}), not {want} alone")
    return out


def test_each_secret_store_authenticates_as_its_own_service_account(views):
    """#11 isolation 2: every ClusterSecretStore names its own service account in external-secrets'
    namespace (none shared, no `role` to assume); that account's IRSA role trusts it alone
    (StringEquals on sub and aud, on the cluster's OIDC provider), no other identity in the cluster
    reaches that role, and no tenant may create tokens for, or change, those service accounts."""
    bad = []
    seen: set[str] = set()
    for v in views:
        tree, acct = v.tree, v.account
        sas = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in tree.of_kind("ServiceAccount")}
        ctl_ns, _, _ = _controller_sa(tree)
        (stack,) = {st["//"]["metadata"]["stackName"] for st in acct.stacks for c in st.get("resource", {}).get("aws_eks_cluster", {}).values() if c["name"] == v.cluster.name}
        assert len([p for st in acct.stacks if st["//"]["metadata"]["stackName"] == stack for p in st["resource"].get("aws_iam_openid_connect_provider", {})]) == 1
        used: dict[tuple[str, str], str] = {}
        for store in tree.of_kind("ClusterSecretStore"):
            name, aws = store["metadata"]["name"], store["spec"]["provider"]["aws"]
            ref = ((aws.get("auth") or {}).get("jwt") or {}).get("serviceAccountRef")
            if not ref or aws.get("role"):
                bad.append(f"{v.key}: store {name} does not authenticate as a service account of its own (auth {aws.get('auth')}, role {aws.get('role')})")
                continue
            key = (ref.get("namespace", ""), ref["name"])
            if key in used:
                bad.append(f"{v.key}: stores {used[key]} and {name} share service account {key}")
            used[key] = name
            if key[0] != ctl_ns or key not in sas:
                bad.append(f"{v.key}: store {name}'s service account {key} is not one the tree creates in {ctl_ns}")
                continue
            role = (sas[key]["metadata"].get("annotations") or {}).get("eks.amazonaws.com/role-arn")
            if f"{v.key}/{name}" in seen:
                continue
            seen.add(f"{v.key}/{name}")
            bad += [f"{v.key}: store {name}: {p}" for p in _trust_problems(acct, role, *key)]
            # Web identities are per cluster: a role trusts the OIDC provider of the stack that made it,
            # so only the roles of this cluster's stack can admit this cluster's service accounts.
            reached = {arn for arn in acct.assumable_by_web_identity(_sa_sub(*key)) if acct.roles[arn]["stack"] == stack}
            if reached != {role}:
                bad.append(f"{v.key}: service account {key} reaches {sorted(reached)}, not its role alone")
        for m in v.members:
            for verb, resource in (("create", "serviceaccounts/token"), ("create", "serviceaccounts"), ("patch", "serviceaccounts"), ("update", "serviceaccounts")):
                for g in rbac_grants(tree, m, verb, "", resource, ctl_ns) + eks_grants(m, verb, "", resource, ctl_ns):
                    bad.append(f"{v.key}/{v.tenant.name}: {m.label} may {verb} {resource} in {ctl_ns}: {g}")
        for arn in acct.closure(set().union(*(acct.assumable_by_web_identity(_sa_sub(ns, "*")) for ns in v.tenant.namespaces))):
            if any(arn == (sas[k]["metadata"].get("annotations") or {}).get("eks.amazonaws.com/role-arn") for k in used if k in sas):
                bad.append(f"{v.key}/{v.tenant.name}: a service account of its namespaces reaches store role {arn}")
    assert not bad, "\n".join(sorted(set(bad)))


def test_a_secret_store_a_tenant_might_create_reaches_only_its_own_path(views):
    """#11 isolation 2, defence in depth: were RBAC or a project ever to let a tenant create a
    SecretStore, it could authenticate only as the controller (no identity) or as a service account
    of its own namespaces (its own web identities, already followed): never another tenant's path
    or the RDS master secret."""
    bad = []
    for v in views:
        ns, sa, _ = _controller_sa(v.tree)
        borrowed = v.account.closure(v.account.assumable_by_web_identity(_sa_sub(ns, sa)))
        own = set().union(*(v.account.assumable_by_web_identity(_sa_sub(n, "*")) for n in v.tenant.namespaces))
        prefix = f"arn:aws:secretsmanager:{v.cluster.secrets_region}:{v.account.account}:secret:{v.tenant.secrets_path}/"
        for role, patterns in v.account.readable_secret_patterns(borrowed | v.account.closure(own)).items():
            bad += [f"{v.key}/{v.tenant.name}: a SecretStore of its own reaches {role}, which reads {p}" for p in patterns if "${" in p or not p.startswith(prefix)]
    assert not bad, "\n".join(sorted(set(bad)))


# ArgoCD 3.0.11 pkg/apis/application/v1alpha1 validatePolicy and util/rbac ProjectScoped.
PROJECT_RESOURCES = {"applications", "applicationsets", "logs", "exec", "clusters", "repositories"}
PROJECT_ACTIONS = {"get", "create", "update", "delete", "sync", "override", "*"}
PROJECT_ACTION_PATTERNS = (re.compile("action/.*"), re.compile("update/.*"), re.compile("delete/.*"))


def test_project_policies_use_argocd_3_vocabulary(example_synth: Path):
    """Every AppProject role policy is one ArgoCD 3.0 accepts, and every role that may read
    applications may read their logs (``logs, get``: enforced since 3.0)."""
    projects = [o for p in (example_synth / "kubernetes").glob("*/bootstrap/argocd/projects/*.yaml") for o in _objects_of(p) if o.get("kind") == "AppProject"]
    assert projects
    for proj in projects:
        name = proj["metadata"]["name"]
        for role in proj["spec"].get("roles") or []:
            assert re.fullmatch(r"[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?", role["name"])
            parsed = []
            for pol in role["policies"]:
                parts = [c.strip() for c in pol.split(",")]
                assert len(parts) == 6 and parts[0] == "p", pol
                _, subject, resource, action, obj, effect = parts
                assert subject == f"proj:{name}:{role['name']}", pol
                assert resource in PROJECT_RESOURCES, pol
                assert action in PROJECT_ACTIONS or any(p.fullmatch(action) for p in PROJECT_ACTION_PATTERNS), pol
                assert re.fullmatch(rf"{re.escape(name)}(/[*\w\-.]+)?/[*\w\-.]+", obj), pol
                assert effect in ("allow", "deny"), pol
                parsed.append((resource, action))
            if any(r == "applications" and a in ("get", "*") for r, a in parsed):
                assert ("logs", "get") in parsed, f"project {name} role {role['name']} reads applications but not their logs"


def _objects_of(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


KEEP = {"Prune=false", "Delete=false"}


def _sync_options(obj: dict) -> set[str]:
    raw = (obj["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-options", "")
    return {o.strip() for o in raw.split(",") if o.strip()}


def test_namespaces_guardrails_and_projects_are_never_pruned(example_synth: Path):
    """Namespaces, their quota, limit range and default-deny policy, and every AppProject carry
    Prune=false and Delete=false; access (Roles, RoleBindings, allow-* policies) stays prunable."""
    k8s = example_synth / "kubernetes"
    kept = [*k8s.glob("*/bootstrap/namespaces/*/namespace.yaml"), *k8s.glob("*/bootstrap/namespaces/*/resourcequota.yaml"),
            *k8s.glob("*/bootstrap/namespaces/*/limitrange.yaml"), *k8s.glob("*/bootstrap/namespaces/*/networkpolicy-default-deny.yaml"),
            *k8s.glob("*/bootstrap/argocd/projects/*.yaml")]
    assert len(kept) > 20
    for path in kept:
        for obj in _objects_of(path):
            if obj.get("kind") != "Kustomization":
                assert KEEP <= _sync_options(obj), f"{path.relative_to(k8s)}: {obj['kind']} may be pruned or cascade-deleted"
    for path in [*k8s.glob("*/bootstrap/namespaces/*/role*.yaml"), *k8s.glob("*/bootstrap/namespaces/*/networkpolicy-allow-*.yaml")]:
        assert not KEEP & _sync_options(_objects_of(path)[0]), f"{path.relative_to(k8s)}: access must stay prunable"


def test_roots_use_the_platform_project(example_synth: Path):
    for path in (example_synth / "kubernetes").glob("*/argocd/applications/*.yaml"):
        for obj in _objects_of(path):
            if obj.get("kind") == "Application":
                assert obj["spec"]["project"] != "default", f"{path}: root in the default project"


def test_argocd_sso_secret_is_read_by_its_own_store_alone(example_synth: Path, envs):
    """ArgoCD's SSO client secret comes through a store of its own: usable from the argocd namespace
    only (no other platform namespace, no tenant's), authenticating as a service account whose role
    reads exactly that secret (its name and the 6 characters Secrets Manager appends); no other role of
    the account reads it (not the platform store's, whose path it lies outside, nor a tenant's)."""
    checked = 0
    for env, cluster, _ in _clusters(envs):
        tree, acct = _tree(example_synth / "kubernetes" / cluster.key), _account(example_synth, env.account_id)
        es = next((o for o in tree.of_kind("ExternalSecret") if o["metadata"]["name"] == "argocd-sso"), None)
        if es is None:
            continue
        checked += 1
        key = es["spec"]["dataFrom"][0]["extract"]["key"]
        secret = f"arn:aws:secretsmanager:{cluster.secrets_region}:{acct.account}:secret:{key}-AbCdEf"
        store = next(s for s in tree.of_kind("ClusterSecretStore") if s["metadata"]["name"] == es["spec"]["secretStoreRef"]["name"])
        admitted = {ns for ns in tree.probe_namespaces if any(_condition_admits(c, ns, tree.namespaces.get(ns, {})) for c in store["spec"].get("conditions") or [{}])}
        assert admitted == {es["metadata"]["namespace"]} == {"argocd"}, f"{cluster.key}: store {store['metadata']['name']} is usable from {sorted(admitted)}"
        ref = store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]
        sa = next(o for o in tree.of_kind("ServiceAccount") if (o["metadata"]["namespace"], o["metadata"]["name"]) == (ref["namespace"], ref["name"]))
        role = sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        assert not _trust_problems(acct, role, ref["namespace"], ref["name"])
        patterns = acct.readable_secret_patterns([role])[role]
        assert patterns == [f"arn:aws:secretsmanager:{cluster.secrets_region}:{acct.account}:secret:{key}-??????"], f"{cluster.key}: {role} reads {patterns}"
        near = [f"{key}2-AbCdEf", f"{key}/x-AbCdEf", f"{key}-AbCdEfG", f"{key.rsplit('/', 1)[0]}/other-AbCdEf"]
        assert fnmatch.fnmatchcase(secret, patterns[0]) and not any(fnmatch.fnmatchcase(secret.replace(f"{key}-AbCdEf", n), patterns[0]) for n in near)
        readers = sorted(arn for arn, ps in acct.readable_secret_patterns(acct.roles).items() if any(fnmatch.fnmatchcase(secret, p) for p in ps))
        assert readers == [role], f"{cluster.key}: {secret} is read by {readers}"
    assert checked >= 4, "the example plan's clusters have SSO"
