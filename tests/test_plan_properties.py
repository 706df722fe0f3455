"""Property-based tests of the plan model (issue #10).

(a) Random mutations of the example plan (its YAML data, or its text) never make the loader
    fail with anything but a PlanError: no traceback, whatever a tenant's pull request holds.
(b) Every mutated plan the loader accepts also synthesizes: validate never accepts what synth
    would reject. The mutations keep plans mostly valid (numbers within ranges, other enum
    values, renamed tenants and environments, dedicated clusters, multi-region) so that synth
    is exercised, not just the loader's refusals.
Runs are deterministic (derandomized, no example database).
"""

from __future__ import annotations

import copy
import datetime
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from conftest import EXAMPLE_PLAN
from constructs_lib.plan import PlanError, load_plan


def _read_example() -> dict[str, Any]:
    return {str(p.relative_to(EXAMPLE_PLAN)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLE_PLAN.rglob("*.yaml"))}


EXAMPLE = _read_example()
EXAMPLE_TEXT = {rel: (EXAMPLE_PLAN / rel).read_text(encoding="utf-8") for rel in EXAMPLE}
FILES = sorted(EXAMPLE)

Path_ = tuple[Any, ...]


def _nodes(value: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _nodes(v, path + (i,))
    return found


def _keys(value: Any) -> set[str]:
    return {p[-1] for p, _ in _nodes(value) if p and isinstance(p[-1], str)}


KNOWN_KEYS = sorted(set().union(*(_keys(d) for d in EXAMPLE.values())) | {"vpc_cidr", "isolation", "flow_logs_retention_days", "public_access_cidrs", "endpoint_public_access", "multi_az", "engine_version", "auto_minor_version_upgrade", "region_vpc_cidrs", "taints", "labels", "memory", "cpu", "replicas", "uses_database", "cidrs", "security_group_ids", "release_version"})

HOSTILE_STRINGS = [
    '${file("/etc/passwd")}',
    "%{ if true }x%{ endif }",
    "$${x}",
    "NEEDS CLARIFICATION",
    "needs\u00a0clarification",
    "NEEDS\nCLARIFICATION",
    "\u043erg-a",
    "0.0.0.0/0",
    "0.0.0.0/1",
    "169.254.0.0/16",
    "10.10.0.0/16",
    "",
    " ",
    "1.33",
    "1.99",
    "-1",
    "010",
    "yes",
    "16G",
    "2k",
    "1e3",
    "eu-nowhere-9",
    "eu-west-\u0661",
    "\uff11" * 12,
    "a" * 300,
    "\t",
    "---",
    "*alias",
    "~",
    ".inf",
    "9.9",
    "db.x9.huge",
    "arn:aws:iam::",
    "../../etc/passwd",
    "\u202egnp.exe",
    "\x85",
    "org-b-admins",
    "platform-team",
    "prod-org-c",
    "kube-system",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(HOSTILE_STRINGS),
    st.dates(min_value=datetime.date(1970, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(HOSTILE_STRINGS), st.text(max_size=12), st.integers(0, 20), st.booleans(), st.none())
values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3)), max_leaves=8)

FAST = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def _write(docs: dict[str, Any], root: Path) -> None:
    for rel, doc in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _load_or_plan_error(root: Path) -> Any:
    """The loader's only failure is a PlanError; anything else is a traceback for the user."""
    try:
        return load_plan(root)
    except PlanError as exc:
        assert exc.issues, "a PlanError names at least one problem"
        for issue in exc.issues:
            assert issue.file and issue.message, issue
        return None


def _parent(doc: Any, path: Path_) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


def _mutate_data(docs: dict[str, Any], data: st.DataObject) -> str:
    rel = data.draw(st.sampled_from(sorted(docs)), label="file")
    path, value = data.draw(st.sampled_from(_nodes(docs[rel])), label="node")
    op = data.draw(st.sampled_from(["replace", "delete", "duplicate", "insert"]), label="op")
    if op == "replace" and path:
        _parent(docs[rel], path)[path[-1]] = data.draw(values, label="value")
    elif op == "delete" and path:
        parent = _parent(docs[rel], path)
        del parent[path[-1]]
    elif op == "duplicate" and isinstance(value, list) and value:
        value.append(copy.deepcopy(data.draw(st.sampled_from(value))))
    elif op == "duplicate" and path and isinstance(_parent(docs[rel], path), list):
        _parent(docs[rel], path).insert(path[-1], copy.deepcopy(value))
    elif isinstance(value, dict):
        value[data.draw(keys, label="key")] = data.draw(values, label="value")
    elif isinstance(value, list):
        value.append(data.draw(values, label="value"))
    else:
        return f"{rel}: no-op"
    return f"{rel}: {op} at {path}"


@FAST
@given(data=st.data())
def test_mutated_plan_data_never_crashes_the_loader(data: st.DataObject) -> None:
    docs = copy.deepcopy(EXAMPLE)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        note(_mutate_data(docs, data))
    with tempfile.TemporaryDirectory() as tmp:
        _write(docs, Path(tmp))
        _load_or_plan_error(Path(tmp))


@FAST
@given(
    rel=st.sampled_from(FILES),
    where=st.floats(0, 1),
    cut=st.integers(0, 40),
    insert=st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).map(lambda t: t.encode("utf-8")),
        st.sampled_from(["&a ", "*a", "<<: *a\n", ": ", "- ", "\t", "'", '"', "{", "[", "---\n", "%YAML 1.1\n", "!!python/object:os.system ", "? ", "|\n", ">-\n"]).map(str.encode),
        st.binary(max_size=20),
    ),
)
def test_mutated_plan_text_never_crashes_the_loader(rel: str, where: float, cut: int, insert: bytes) -> None:
    raw = EXAMPLE_TEXT[rel].encode("utf-8")
    at = int(where * len(raw))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(EXAMPLE, root)
        (root / rel).write_bytes(raw[:at] + insert + raw[at + cut :])
        _load_or_plan_error(root)


# --- (b) accepted plans synthesize -------------------------------------------------------------

Mutation = Callable[[dict[str, Any], st.DataObject], str]
ENVS = ("dev", "staging", "prod")
TENANTS = ("org-a", "org-b", "org-c")
RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653]
QUOTA_CPU = ["8", "16", "24", "2k", "16000m", "12.5"]  # large enough for the example's apps in every environment
QUOTA_MEMORY = ["16G", "32Gi", "48Gi", "64Gi", "1Ti", "40000M"]
APP_CPU = ["100m", "250m", "0.5", "1"]
APP_MEMORY = ["128Mi", "256Mi", "500M", "1Gi"]


def _env(docs: dict[str, Any], data: st.DataObject) -> tuple[str, dict[str, Any]]:
    rel = data.draw(st.sampled_from(sorted(r for r in docs if "/" not in r and r != "platform.yaml")), label="env file")
    return rel, docs[rel]


def _tenant(docs: dict[str, Any], data: st.DataObject) -> tuple[str, dict[str, Any]]:
    rel = data.draw(st.sampled_from(sorted(r for r in docs if r.startswith("tenants/"))), label="tenant file")
    return rel, docs[rel]


def m_node_group_sizes(docs, data) -> str:
    rel, env = _env(docs, data)
    group = data.draw(st.sampled_from(env["cluster"]["node_groups"]))
    low = data.draw(st.integers(0, 3))
    high = data.draw(st.integers(max(low, 1), 8))
    group.update(min_size=low, max_size=high)
    if data.draw(st.booleans()):
        group["desired_size"] = data.draw(st.integers(low, high))
    else:
        group.pop("desired_size", None)
    group["capacity_type"] = data.draw(st.sampled_from(["ON_DEMAND", "SPOT"]))
    return f"{rel}: node group {group['name']} {low}..{high}"


def m_zones_and_logs(docs, data) -> str:
    rel, env = _env(docs, data)
    env["availability_zones"] = data.draw(st.sampled_from([2, 3]))
    env["flow_logs_retention_days"] = data.draw(st.sampled_from(RETENTION))
    env["nat"] = data.draw(st.sampled_from(["none", "single", "one-per-az"]))
    return f"{rel}: zones, flow logs, nat"


def m_database(docs, data) -> str:
    rel, env = _env(docs, data)
    db = env.setdefault("database", {})
    allocated = data.draw(st.integers(20, 200))
    db.update(allocated_storage_gb=allocated, max_allocated_storage_gb=allocated + allocated // 10 + 1 + data.draw(st.integers(0, 300)))
    db["multi_az"] = data.draw(st.booleans())
    db["backup_retention_days"] = data.draw(st.integers(1, 35))
    db["deletion_protection"] = data.draw(st.booleans())
    if data.draw(st.booleans()):
        db["engine_version"] = data.draw(st.sampled_from(["16", "17", "16.9", "15.14", "17.5", "16.3"]))
        db["auto_minor_version_upgrade"] = data.draw(st.booleans())  # a pinned minor needs false
    return f"{rel}: database {db}"


def m_quotas(docs, data) -> str:
    rel, tenant = _tenant(docs, data)
    tenant["quotas"] = {"cpu": data.draw(st.sampled_from(QUOTA_CPU)), "memory": data.draw(st.sampled_from(QUOTA_MEMORY)), "pods": data.draw(st.integers(50, 500))}
    return f"{rel}: quotas {tenant['quotas']}"


def m_platform_choices(docs, data) -> str:
    p = docs["platform.yaml"]
    p["deployment_strategy"] = data.draw(st.sampled_from(["helm-first", "kustomize-only", "raw-manifests"]))
    p["kubernetes"]["version"] = data.draw(st.sampled_from(["1.32", "1.33", "1.34", "1.35"]))
    p["components"] = data.draw(st.lists(st.sampled_from(["ingress-nginx", "cert-manager", "external-secrets", "kube-prometheus-stack"]), unique=True))
    p["secrets"]["operator"] = data.draw(st.sampled_from(["external-secrets", "none"]))
    p["gitops"]["tool"] = data.draw(st.sampled_from(["argocd", "none"]))
    p["performance"]["uptime_percent"] = data.draw(st.sampled_from([99.0, 99.5, 99.9, 99.95, 99.99]))
    return f"platform: {p['deployment_strategy']}, k8s {p['kubernetes']['version']}, {p['components']}, gitops {p['gitops']['tool']}"


def m_text(docs, data) -> str:
    """Free text where it is allowed: display names (any text), tags (AWS's tag characters)."""
    text = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30), st.sampled_from(['${file("/etc/passwd")}', "%{ if x }y%{ endif }", "$${x}", "Åsa — 店舗 🚀"]))
    tag = st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.:/=+@-]{0,20}[A-Za-z0-9]", fullmatch=True), st.sampled_from(["Åsa", "店舗", "a b", "x=y"]))
    rel, tenant = _tenant(docs, data)
    tenant["display_name"] = data.draw(text)
    rel_env, env = _env(docs, data)
    env.setdefault("tags", {})[data.draw(st.sampled_from(["team", "purpose", "note"]))] = data.draw(tag)
    return f"{rel}: display_name; {rel_env}: a tag"


def m_dedicated(docs, data) -> str:
    rel, tenant = _tenant(docs, data)
    env = data.draw(st.sampled_from(ENVS))
    override = tenant.setdefault("environments", {}).setdefault(env, {})
    override["isolation"] = "dedicated"
    override["vpc_cidr"] = f"10.{data.draw(st.integers(100, 250))}.0.0/16"
    if tenant.get("database", {}).get("mode", "none") != "none":
        override["database"] = {"mode": "dedicated", "name": tenant["database"].get("name") or tenant["name"].replace("-", "_")}
    return f"{rel}: dedicated in {env} ({override['vpc_cidr']})"


def m_rename_tenant(docs, data) -> str:
    rel, tenant = _tenant(docs, data)
    old = tenant["name"]
    new = data.draw(st.sampled_from(["team-blue", "payments-eu", "x", "analytics2", "org-q"]))
    if any(d.get("name") == new for r, d in docs.items() if r.startswith("tenants/")):
        return "rename: name taken"
    tenant["name"] = new
    tenant["namespaces"] = [new + ns[len(old) :] for ns in tenant["namespaces"]]
    for app in tenant.get("apps", []):
        app["namespace"] = new + app["namespace"][len(old) :]
    for role, groups in tenant.get("groups", {}).items():
        tenant["groups"][role] = [new + g[len(old) :] if g.startswith(old) else g for g in groups]
    docs[f"tenants/{new}.yaml"] = docs.pop(rel)
    return f"{rel}: renamed to {new}"


def m_rename_environment(docs, data) -> str:
    rel = data.draw(st.sampled_from(sorted(r for r in docs if "/" not in r and r != "platform.yaml")))
    old = docs[rel]["name"]
    new = data.draw(st.sampled_from(["qa", "perf", "sandbox", "prd"]))
    if f"{new}.yaml" in docs:
        return "rename: name taken"
    docs[rel]["name"] = new
    docs[f"{new}.yaml"] = docs.pop(rel)
    for r, d in docs.items():
        if r.startswith("tenants/") and old in d.get("environments", {}):
            d["environments"][new] = d["environments"].pop(old)
    return f"{rel}: renamed to {new}"


def m_multi_region(docs, data) -> str:
    docs["platform.yaml"]["deployment_type"] = "multi-region"
    prod = docs["prod.yaml"] if "prod.yaml" in docs else None
    if prod is None:
        return "multi-region: no prod"
    second = data.draw(st.sampled_from(["eu-central-1", "eu-west-2", "eu-north-1"]))
    prod["regions"] = [prod["regions"][0], second]
    prod["region_vpc_cidrs"] = {second: f"10.{data.draw(st.integers(100, 250))}.0.0/16"}
    # What a multi-region environment cannot have yet (validate refuses it): database apps and dedicated tenants.
    for rel, tenant in docs.items():
        if rel.startswith("tenants/"):
            for app in tenant.get("apps", []):
                app["uses_database"] = False
            override = tenant.get("environments", {}).get("prod", {})
            if override.get("isolation") == "dedicated":
                for key in ("isolation", "vpc_cidr", "database"):
                    override.pop(key, None)
    return f"multi-region: prod also in {second}"


def m_apps(docs, data) -> str:
    rel, tenant = _tenant(docs, data)
    if not tenant.get("apps"):
        return "apps: none"
    app = data.draw(st.sampled_from(tenant["apps"]))
    app["replicas"] = data.draw(st.integers(1, 3))
    app["port"] = data.draw(st.integers(1, 65535))
    app["tag"] = data.draw(st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(-rc\.[0-9])?", fullmatch=True))
    app["cpu"] = data.draw(st.sampled_from(APP_CPU))
    app["memory"] = data.draw(st.sampled_from(APP_MEMORY))
    return f"{rel}: app {app['name']}"


MUTATIONS: list[Mutation] = [
    m_node_group_sizes,
    m_zones_and_logs,
    m_database,
    m_quotas,
    m_platform_choices,
    m_text,
    m_dedicated,
    m_rename_tenant,
    m_rename_environment,
    m_multi_region,
    m_apps,
]


@pytest.mark.slow
def test_every_plan_the_loader_accepts_synthesizes() -> None:
    from stacks.synth import synthesize

    accepted: list[str] = []

    # No shrinking: each attempt would synthesize again; the notes name the mutations instead.
    @settings(max_examples=15, derandomize=True, deadline=None, database=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def accepted_plans_synthesize(data: st.DataObject) -> None:
        docs = copy.deepcopy(EXAMPLE)
        steps = data.draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4), label="mutations")
        done = [step(docs, data) for step in steps]
        note("; ".join(done))
        with tempfile.TemporaryDirectory() as tmp:
            plan_dir = Path(tmp) / "plan"
            _write(docs, plan_dir)
            if _load_or_plan_error(plan_dir) is None:
                return
            synthesize(plan_dir, Path(tmp) / "dist")  # any exception here: validate accepted what synth rejects
            assert (Path(tmp) / "dist" / "terraform").is_dir()
            accepted.append("; ".join(done))

    accepted_plans_synthesize()
    assert len(accepted) >= 8, f"only {len(accepted)} of 15 mutated plans were valid; the property barely ran synth: {accepted}"
