"""The Pulumi bootstrap's dependency graph and lifecycle options, as the engine would receive them.

The mock monitor of pulumi 3.272 (pulumi/runtime/mocks.py ``MockMonitor``) is the program's
resource monitor under ``set_mocks``; :class:`GraphMonitor` wraps its ``RegisterResource`` to keep
each ``RegisterResourceRequest`` as sent: its ``dependencies`` (every URN the engine waits for:
``depends_on`` and the resources whose outputs the inputs use), ``retainOnDelete`` and
``ignoreChanges``. The engine creates a resource only after each of its dependencies, so
"X after Y" here means Y is in the transitive closure of X's dependencies.

Which custom resource needs which release is not written down here: the CRDs each release
installs, and the custom resources its chart renders (ServiceMonitors, cert-manager Certificates),
come from the pinned charts through the GitOps simulation's chart model (``gitops_sim.ChartInstall``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import pytest
from pulumi.runtime.mocks import MockMonitor

import gitops_sim as sim
from conftest import EXAMPLE_PLAN, edit_yaml
from constructs_lib.plan import load_plan
from constructs_lib.resolve.bootstrap import resolve_bootstrap
from constructs_lib.resolve.environment import resolve_environment
from stacks.pulumi_preview import PROJECT, RecordingMocks, offline_program

ENVS = ("dev", "staging", "prod")
RELEASE = "kubernetes:helm.sh/v3:Release"
GROUP = "kubernetes:yaml/v2:ConfigGroup"
PROVIDER = "pulumi:providers:kubernetes"
STACK = "pulumi:pulumi:Stack"
SDK_CONSTANTS = {"compat"}  # pulumi_kubernetes/helm/v3/Release.py sets compat="true" on every Release itself


@dataclass
class Registration:
    """One RegisterResourceRequest, as the engine would receive it."""

    typ: str
    name: str
    urn: str
    dependencies: tuple[str, ...]  # resource names (URN tails)
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    provider: str  # provider resource name
    inputs: dict[str, Any] = field(default_factory=dict)


class GraphMonitor(MockMonitor):
    """pulumi's MockMonitor, keeping what each registration asks of the engine."""

    def __init__(self, mocks: RecordingMocks):
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}

    def RegisterResource(self, request):  # noqa: N802 (the gRPC method's name)
        response = super().RegisterResource(request)
        if request.type != STACK:
            self.registrations[request.name] = Registration(
                request.type,
                request.name,
                response.urn,
                tuple(urn.split("::")[-1] for urn in request.dependencies),
                request.retainOnDelete if request.HasField("retainOnDelete") else False,
                tuple(request.ignoreChanges),
                request.provider.split("::")[-2] if request.provider else "",
            )
        return response


def register(plan_dir: Path, env: str) -> dict[str, Registration]:
    """Run the program (offline, as ``infraplan preview`` does) against a :class:`GraphMonitor`."""
    mocks = RecordingMocks()
    monitor = GraphMonitor(mocks)
    pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=env, preview=True, monitor=monitor)

    @pulumi.runtime.test
    def run():
        return pulumi.Output.from_input(offline_program(plan_dir, env)()).apply(lambda _: None)

    run()
    for r in mocks.resources:
        monitor.registrations[r.name].inputs = r.inputs
    return monitor.registrations


def ancestors(regs: dict[str, Registration], name: str) -> set[str]:
    """Everything the engine finishes before it starts ``name``."""
    seen: set[str] = set()
    todo = list(regs[name].dependencies)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += regs[n].dependencies
    return seen


def chart_install(r: Registration) -> sim.ChartInstall:
    i = r.inputs
    return sim.ChartInstall(i["chart"], str(i["version"]), i["name"], i["namespace"], i.get("values") or {})


def objects_of(r: Registration) -> list[dict]:
    """The Kubernetes objects a registration creates (a ConfigGroup's objs; a typed resource's object)."""
    if r.typ == GROUP:
        return list(r.inputs.get("objs") or [])
    if r.typ.startswith("kubernetes:") and r.typ != RELEASE:
        _, gv, kind = r.typ.split(":")
        group, version = gv.split("/")
        return [{"apiVersion": version if group == "core" else f"{group}/{version}", "kind": kind, "metadata": r.inputs.get("metadata") or {}}]
    return []


def crd_sources(regs: dict[str, Registration], key: str) -> dict[tuple[str, str], str]:
    """(group, kind) -> the release on cluster ``key`` whose chart installs its CRD."""
    out: dict[tuple[str, str], str] = {}
    for r in regs.values():
        if r.typ == RELEASE and r.provider == f"{key}-cluster":
            for o in chart_install(r).objects():
                if o["kind"] == "CustomResourceDefinition":
                    out[(o["spec"]["group"], o["spec"]["names"]["kind"])] = r.name
    return out


def crd_needs(regs: dict[str, Registration], key: str, version: str) -> list[tuple[str, str, str]]:
    """(dependent, object, release bringing its CRD) for every custom resource Pulumi creates on
    cluster ``key`` or a chart of it renders. Fails for a kind that is neither built in nor brought
    by any release (the cluster would never serve it)."""
    builtin = sim.builtin_kinds(version)
    sources = crd_sources(regs, key)
    needs = []
    for r in regs.values():
        if r.provider != f"{key}-cluster":
            continue
        if r.typ == RELEASE:
            objs = [o for o in chart_install(r).objects() if o["kind"] != "CustomResourceDefinition" and not o.get("x-sim-capabilities")]
        else:
            objs = objects_of(r)
        for o in objs:
            group, _ = sim.group_version(o["apiVersion"])
            if (group, o["kind"]) in builtin or group == sim.SIM_GROUP:
                continue
            source = sources.get((group, o["kind"]))
            assert source, f"{r.name}: {o['kind']}.{group} {o['metadata'].get('name')}: no release on {key} installs its CRD"
            if source != r.name:  # a chart's own CRDs come with its own objects (Helm installs crds/ first)
                needs.append((r.name, f"{o['kind']}.{group}/{o['metadata'].get('name')}", source))
    return needs


def make_plan(tmp: Path, tool: str) -> Path:
    dest = tmp / f"plan-{tool}"
    shutil.copytree(EXAMPLE_PLAN, dest)
    edit_yaml(dest / "platform.yaml", lambda d: d["gitops"].update(tool=tool))
    return dest


@pytest.fixture(scope="module")
def argocd() -> dict[str, dict[str, Registration]]:
    return {env: register(EXAMPLE_PLAN, env) for env in ENVS}


@pytest.fixture(scope="module")
def helm_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plan(tmp_path_factory.mktemp("graph"), "none")


@pytest.fixture(scope="module")
def helm(helm_plan: Path) -> dict[str, dict[str, Registration]]:
    return {env: register(helm_plan, env) for env in ENVS}


def clusters(plan_dir: Path, env: str):
    return resolve_bootstrap(resolve_environment(load_plan(plan_dir), env)).clusters


# --- with ArgoCD ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_argocd_mode_creates_the_credential_and_the_root_after_argocd(argocd, env):
    """The repository Secret after the ArgoCD release (which brings the argocd namespace); the platform
    AppProject and the root Application after the release (their CRDs) and the Secret (ArgoCD must be able
    to read the repository when the root asks it to); the root after the project it names."""
    regs = argocd[env]
    for cb in clusters(EXAMPLE_PLAN, env):
        k = cb.key
        assert cb.mode == "argocd" and cb.repository_credential is not None
        secret, project, root = f"{k}-gitops-repository", f"{k}-platform-appproject", f"{k}-root"
        assert f"{k}-argocd" in ancestors(regs, secret)
        assert {f"{k}-argocd", secret} <= ancestors(regs, project)
        assert {f"{k}-argocd", secret, project} <= ancestors(regs, root)
        assert not ancestors(regs, f"{k}-argocd") - {f"{k}-cluster"}  # ArgoCD needs nothing of the bootstrap


@pytest.mark.slow  # parses the pinned charts' CRDs (about 10 s)
@pytest.mark.parametrize("env", ENVS)
def test_argocd_mode_custom_resources_wait_for_their_crds(argocd, env):
    regs = argocd[env]
    for cb in clusters(EXAMPLE_PLAN, env):
        needs = crd_needs(regs, cb.key, cb.cluster.version)
        assert {(d, src) for d, _, src in needs} >= {(f"{cb.key}-platform-appproject", f"{cb.key}-argocd"), (f"{cb.key}-root", f"{cb.key}-argocd")}
        late = [f"{d}: {o} before {src}" for d, o, src in needs if src not in ancestors(regs, d)]
        assert not late, late


# --- without GitOps (gitops.tool: none) ----------------------------------------------------------


@pytest.mark.slow  # parses the pinned charts' CRDs (about 10 s)
@pytest.mark.parametrize("env", ENVS)
def test_helm_mode_custom_resources_wait_for_the_releases_that_bring_their_crds(helm, helm_plan, env):
    """Every custom resource of a ConfigGroup after the release installing its CRD (ClusterSecretStores and
    ExternalSecrets after external-secrets, the ClusterIssuer after cert-manager), and every release whose
    chart renders custom resources after the release installing theirs (ServiceMonitors after
    kube-prometheus-stack, the load balancer controller's Certificate after cert-manager)."""
    regs = helm[env]
    for cb in clusters(helm_plan, env):
        k = cb.key
        assert cb.mode == "helm"
        needs = crd_needs(regs, k, cb.cluster.version)
        pairs = {(d, src) for d, _, src in needs}
        assert {
            (f"{k}-secret-stores", f"{k}-external-secrets"),
            (f"{k}-platform-secrets", f"{k}-external-secrets"),
            (f"{k}-cluster-config", f"{k}-cert-manager"),
            (f"{k}-database-bootstrap", f"{k}-external-secrets"),
            (f"{k}-ingress-nginx", f"{k}-kube-prometheus-stack"),
            (f"{k}-cert-manager", f"{k}-kube-prometheus-stack"),
            (f"{k}-aws-load-balancer-controller", f"{k}-cert-manager"),
        } <= pairs, "the chart model no longer sees what this test is about"
        late = [f"{d}: {o} before {src}" for d, o, src in needs if src not in ancestors(regs, d)]
        assert not late, late


@pytest.mark.parametrize("env", ENVS)
def test_helm_mode_releases_come_after_the_storage_class(helm, helm_plan, env):
    """A release waits for its pods, and a claim without a class never binds (EKS 1.30+): the default
    StorageClass before every release."""
    regs = helm[env]
    for cb in clusters(helm_plan, env):
        storage = f"{cb.key}-storage"
        assert any(o["kind"] == "StorageClass" for o in regs[storage].inputs["objs"])
        releases = [r.name for r in regs.values() if r.typ == RELEASE and r.provider == f"{cb.key}-cluster"]
        assert releases and all(storage in ancestors(regs, n) for n in releases), [n for n in releases if storage not in ancestors(regs, n)]


@pytest.mark.parametrize("tool", ["argocd", "none"])
@pytest.mark.parametrize("env", ENVS)
def test_namespaces_exist_before_their_objects(argocd, helm, helm_plan, tool, env):
    """An object Pulumi creates lands in a namespace that exists by then: an initial one, one of the same
    ConfigGroup (yaml/v2 creates a group's Namespaces first), one of an earlier group, or a release's
    (create_namespace: the repository Secret and the root objects in argocd, after ArgoCD's release)."""
    regs, plan_dir = (argocd[env], EXAMPLE_PLAN) if tool == "argocd" else (helm[env], helm_plan)
    for cb in clusters(plan_dir, env):
        mine = [r for r in regs.values() if r.provider == f"{cb.key}-cluster"]

        def namespaces_of(r: Registration) -> set[str]:
            if r.typ == RELEASE:
                return {r.inputs["namespace"]} if r.inputs.get("createNamespace") else set()
            return {o["metadata"]["name"] for o in objects_of(r) if o["kind"] == "Namespace"}

        checked = 0
        for r in mine:
            if r.typ in (RELEASE, PROVIDER):
                continue
            checked += 1
            available = set(sim.INITIAL_NAMESPACES) | namespaces_of(r) | {ns for a in ancestors(regs, r.name) for ns in namespaces_of(regs[a])}
            missing = {o["metadata"]["namespace"] for o in objects_of(r) if o["metadata"].get("namespace")} - available
            assert not missing, f"{r.name}: namespaces {sorted(missing)} are not created before it"
        assert checked >= 3


# --- lifecycle: where ownership passes to ArgoCD -------------------------------------------------


@pytest.mark.parametrize("tool", ["argocd", "none"])
@pytest.mark.parametrize("env", ENVS)
def test_retain_and_ignore_changes_exactly_where_argocd_takes_over(argocd, helm, helm_plan, tool, env):
    """With ArgoCD: the ArgoCD release is handed over, so `pulumi up` ignores every one of its inputs (any
    input change would run `helm upgrade` with the first install's chart and values over what ArgoCD
    upgraded) and `pulumi destroy` retains it; the bootstrap's own objects (repository Secret, platform
    AppProject, root) stay Pulumi's to update but are retained, a running tree must keep its root.
    Without GitOps nothing is handed over: nothing retained, nothing ignored. Providers: neither."""
    regs, plan_dir = (argocd[env], EXAMPLE_PLAN) if tool == "argocd" else (helm[env], helm_plan)
    for cb in clusters(plan_dir, env):
        argocd_release = f"{cb.key}-argocd" if cb.mode == "argocd" else None
        for r in regs.values():
            if r.provider != f"{cb.key}-cluster" and r.name != f"{cb.key}-cluster":
                continue
            if r.typ == PROVIDER:
                assert (r.retain_on_delete, r.ignore_changes) == (False, ()), r.name
            elif r.name == argocd_release:
                assert r.retain_on_delete, r.name
                program_inputs = set(r.inputs) - SDK_CONSTANTS
                assert set(r.ignore_changes) == program_inputs, f"{r.name} would be upgraded by Pulumi on a change of {sorted(program_inputs - set(r.ignore_changes))}"
            else:
                assert r.ignore_changes == (), r.name
                assert r.retain_on_delete is (cb.mode == "argocd"), r.name


# --- Helm's release options ----------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["argocd", "none"])
def test_releases_wait_long_enough_and_clean_up_after_a_failure(argocd, helm, helm_plan, tool):
    """pulumi-kubernetes 4.34 (provider/pkg/provider/helm_release.go): Helm waits for the workloads unless
    skipAwait, for `timeout` seconds, 300 by default; `atomic` uninstalls a failed install (else the state
    keeps a failed release) and rolls back a failed upgrade; `cleanupOnFail` (upgrades only) deletes what a
    failed upgrade created. Every release waits, longer than the default, longest in production (HA
    ArgoCD, more replicas on fresh nodes), and is atomic; the reason is an `explain` Decision."""
    regs, plan_dir = (argocd, EXAMPLE_PLAN) if tool == "argocd" else (helm, helm_plan)
    timeouts: dict[str, set[int]] = {}
    for env in ENVS:
        tier = resolve_environment(load_plan(plan_dir), env).tier
        for cb in clusters(plan_dir, env):
            decision = next(d for d in cb.decisions if d.path == f"bootstrap.{cb.key}.release_options")
            assert decision.source.kind == "rule" and "300 s" in decision.source.reason
            releases = [r for r in regs[env].values() if r.typ == RELEASE and r.provider == f"{cb.key}-cluster"]
            assert releases
            for r in releases:
                assert not r.inputs.get("skipAwait"), r.name  # Helm waits for the release's workloads
                assert r.inputs["timeout"] == decision.value["timeout_seconds"] > 300, r.name
                assert r.inputs["atomic"] is True and r.inputs["cleanupOnFail"] is True, r.name
                timeouts.setdefault(tier, set()).add(r.inputs["timeout"])
    assert min(timeouts["production"]) > max(timeouts["development"]), timeouts


# --- without GitOps: what `pulumi up` waits for --------------------------------------------------

PULUMI_ANNOTATIONS = ("pulumi.com/waitFor", "pulumi.com/timeoutSeconds", "config.kubernetes.io/depends-on")


def _annotations(o: dict) -> dict:
    return o["metadata"].get("annotations") or {}


@pytest.mark.parametrize("env", ENVS)
def test_helm_mode_waits_for_stores_and_external_secrets_before_the_bootstrap_jobs(helm, helm_plan, env):
    """pulumi-kubernetes 4.34 waits for a custom resource only with `pulumi.com/waitFor` (overrides.go
    ReadyCondition; "condition=Ready" as `kubectl wait`), orders a ConfigGroup's objects by
    `config.kubernetes.io/depends-on`, and gives up on a Job after `pulumi.com/timeoutSeconds` (10 min by
    default, job.go). So: every ClusterSecretStore and ExternalSecret is awaited Ready (what comes after its
    group finds the store usable and the Secret made); each bootstrap Job waits for the ExternalSecrets making
    the Secrets it reads, in its own group (references across groups are not supported); and Pulumi waits
    for a Job longer than the Job's activeDeadlineSeconds, so it reports the Job's own failure."""
    regs = helm[env]
    for cb in clusters(helm_plan, env):
        groups = [r for r in regs.values() if r.typ == GROUP and r.provider == f"{cb.key}-cluster"]
        kinds = {o["kind"] for g in groups for o in g.inputs["objs"]}
        assert {"ClusterSecretStore", "ExternalSecret", "Job"} <= kinds
        for g in groups:
            made_by = {(o["metadata"]["namespace"], (o["spec"].get("target") or {}).get("name") or o["metadata"]["name"]): o["metadata"]["name"] for o in g.inputs["objs"] if o["kind"] == "ExternalSecret"}
            for o in g.inputs["objs"]:
                a = _annotations(o)
                if o["kind"] in ("ClusterSecretStore", "ExternalSecret"):
                    assert a.get("pulumi.com/waitFor") == "condition=Ready", (g.name, o["metadata"]["name"])
                if o["kind"] != "Job":
                    continue
                ns, spec = o["metadata"]["namespace"], o["spec"]
                assert int(a["pulumi.com/timeoutSeconds"]) > spec["activeDeadlineSeconds"], o["metadata"]["name"]
                pod = spec["template"]["spec"]
                reads = {e["valueFrom"]["secretKeyRef"]["name"] for c in pod["containers"] for e in c.get("env") or [] if (e.get("valueFrom") or {}).get("secretKeyRef")}
                assert reads and reads <= {s for n, s in made_by if n == ns}, f"{o['metadata']['name']} reads Secrets no ExternalSecret of {g.name} makes"
                deps = set(a["config.kubernetes.io/depends-on"].split(","))
                assert deps == {f"external-secrets.io/namespaces/{ns}/ExternalSecret/{made_by[(ns, s)]}" for s in reads}, o["metadata"]["name"]


@pytest.mark.parametrize("env", ENVS)
def test_the_await_annotations_are_the_pulumi_paths_alone(helm, helm_plan, env):
    """The tree's objects (what ArgoCD would sync) carry none of them; Pulumi's copies differ from them by these annotations alone."""
    from constructs_lib.kubernetes.tree import objects_without_gitops

    regs = helm[env]
    for cb in clusters(helm_plan, env):
        for phase, objs in objects_without_gitops(cb.gitops):
            assert not [o["metadata"]["name"] for o in objs if set(_annotations(o)) & set(PULUMI_ANNOTATIONS)], phase

            def bare(o: dict) -> dict:
                o = {**o, "metadata": {**o["metadata"], "annotations": {k: v for k, v in _annotations(o).items() if k not in PULUMI_ANNOTATIONS}}}
                if not o["metadata"]["annotations"]:
                    del o["metadata"]["annotations"]
                return o

            assert [bare(o) for o in regs[f"{cb.key}-{phase}"].inputs["objs"]] == list(objs), phase


# --- versions ------------------------------------------------------------------------------------


def test_the_pulumi_versions_are_a_tested_range_and_locked():
    """pulumi-kubernetes' minor releases change what this program relies on (CHANGELOG: 4.29.0 creates
    objects client-side, AlreadyExists instead of adoption; 4.32.0 resolves CRDs a Helm release installs
    during preview), so pyproject.toml admits the tested minor only, constraints.txt locks the exact
    versions, `./dev setup` installs with it (and sets up again when it changes), and these tests ran on them."""
    import importlib.metadata
    import tomllib

    from packaging.requirements import Requirement

    from conftest import ROOT

    deps = {r.name: r.specifier for r in map(Requirement, tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])}
    lock = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#"))
    for name in ("pulumi", "pulumi-kubernetes"):
        assert lock[name] in deps[name], f"constraints.txt pins {name} {lock[name]} outside pyproject.toml's {deps[name]}"
        assert importlib.metadata.version(name) == lock[name], f"the tests run on {name} {importlib.metadata.version(name)}, not the locked {lock[name]}"
    k8s_range = deps["pulumi-kubernetes"]
    assert not any(v in k8s_range for v in ("4.18.0", "4.28.0", "4.31.1", "4.35.0", "5.0.0")), k8s_range
    setup = (ROOT / "dev").read_text()
    assert "--require-hashes -r requirements.lock" in setup  # resolved with -c constraints.txt (scripts/lock.py; tests/test_lock.py compares them)
    assert "cat pyproject.toml constraints.txt " in setup  # the setup stamp's hash: a new lock sets up again


def test_the_docs_name_every_chart_repository_a_preview_downloads_from(argocd, helm):
    """helm.v3.Release's check loads the chart on every preview (helm_release.go Check): the egress a
    preview needs is every chart repository of the stack's releases, which docs/pulumi.md must list."""
    from conftest import ROOT

    egress = (ROOT / "docs" / "pulumi.md").read_text().split("## Chart downloads (egress)", 1)[1].split("\n## ", 1)[0]
    repos = {r.inputs["repositoryOpts"]["repo"] for regs in (*argocd.values(), *helm.values()) for r in regs.values() if r.typ == RELEASE}
    assert len(repos) == 7
    assert not [repo for repo in repos if f"`{repo}`" not in egress], sorted(repos)
