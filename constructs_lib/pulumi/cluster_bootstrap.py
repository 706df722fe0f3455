"""The cluster bootstrap as a Pulumi component: :class:`ClusterBootstrap`
(``infraplan:index:ClusterBootstrap``) parents everything it creates on one cluster: its
``kubernetes`` provider (from any cluster's kubeconfig) or the provider it is given, and either

* with ArgoCD: ArgoCD's Helm release (installed once, then handed over to the tree's own
  Application), a private GitOps repository's credential Secret, and the tree's ``root/``
  objects (the platform AppProject and the root Application); or
* without GitOps (a plan with ``gitops.tool: none``): the default StorageClass, every add-on
  as a Helm release and the tree's guarded namespaces, configuration and database bootstrap as
  ``yaml.v2.ConfigGroup``s, in the tree's sync-wave order.

Two front ends: the plan (``plan=``, a resolved :class:`constructs_lib.resolve.bootstrap.ClusterBootstrap`,
what ``stacks/pulumi_program.py`` passes) and Python (``tree=``, a
:class:`~constructs_lib.kubernetes.gitops_tree.GitOpsTree` with ArgoCD). The Kubernetes objects are
the tree's own (``constructs_lib.kubernetes``), so Pulumi applies what the tree holds.

Every child carries ``Alias(parent=ROOT_STACK_RESOURCE)``: before the component, the program created
the same resources at the stack's root, and a parent is part of a URN; the alias makes the engine
find each under its old URN instead of replacing it (docs/pulumi.md, "The ClusterBootstrap component").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..kubernetes.argocd import git_repository_secret
from ..kubernetes.argocd_bootstrap import ArgoCdBootstrap
from ..kubernetes.argocd_bootstrap import root_objects as tree_root_objects
from ..kubernetes.gitops_tree import GitOpsTree
from ..kubernetes.tree import objects_without_gitops, phase_wave, root_objects
from ..resolve.addons import ResolvedAddon
from ..resolve.bootstrap import ClusterBootstrap as ResolvedClusterBootstrap
from ..resolve.bootstrap import HelmRelease, RepositoryCredential

COMPONENT_TYPE = "infraplan:index:ClusterBootstrap"
OLD_PARENT = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]  # where each child was before the component

# Once ArgoCD runs, its own Application (bootstrap/argocd/install) upgrades it from Git: a chart
# version or values change in the plan reaches the cluster through Git, never through `pulumi up`
# (Helm's record of the release stays at the first install; a Pulumi upgrade would fight ArgoCD).
# Every input is ignored: a change to any (a timeout, the name) would otherwise run `helm upgrade`
# with the first install's chart and values over what ArgoCD has upgraded since, or a replacement.
ARGOCD_HANDED_OVER = ["chart", "version", "repositoryOpts", "values", "name", "namespace", "createNamespace", "timeout", "atomic", "cleanupOnFail"]


def child_options(parent: pulumi.Resource, provider: k8s.Provider | None, depends_on: list[pulumi.Resource] | None = None, **options: Any) -> pulumi.ResourceOptions:
    """A child of the component: under it, on its provider, aliased to its URN from before the component."""
    return pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on, aliases=list(OLD_PARENT), **options)


def _release(
    release: HelmRelease, provider: k8s.Provider, depends_on: list[pulumi.Resource], parent: pulumi.Resource, handed_over: bool = False
) -> k8s.helm.v3.Release:
    """``handed_over``: ArgoCD manages the release after the first sync; Pulumi installs it once and never deletes it."""
    a = release.addon
    c = a.chart
    return k8s.helm.v3.Release(
        release.resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=c.release,
            chart=f"{c.repo_url.rstrip('/')}/{c.chart}" if c.repo_url.startswith("oci://") else c.chart,  # Helm pulls an OCI chart by reference, without --repo
            version=c.version,
            namespace=c.namespace,
            create_namespace=True,
            repository_opts=None if c.repo_url.startswith("oci://") else k8s.helm.v3.RepositoryOptsArgs(repo=c.repo_url),
            values=a.values,
            # Helm waits for the workloads (skip_await stays off) up to the tier's timeout; a failed install is
            # uninstalled and a failed upgrade rolled back (atomic), its new objects deleted (docs/pulumi.md)
            timeout=release.timeout_seconds,
            atomic=release.atomic,
            cleanup_on_fail=release.cleanup_on_fail,
        ),
        opts=child_options(parent, provider, depends_on, retain_on_delete=handed_over or None, ignore_changes=ARGOCD_HANDED_OVER if handed_over else None),
    )


# What pulumi-kubernetes 4.34 waits for (provider/pkg/metadata/overrides.go): a custom resource only
# with `pulumi.com/waitFor` ("condition=Ready": its status condition Ready is True); a Job until it
# completes, for `pulumi.com/timeoutSeconds` (10 min by default); inside a ConfigGroup, an object
# after those named in `config.kubernetes.io/depends-on` (<group>/namespaces/<ns>/<kind>/<name>).
WAIT_FOR_READY = {("external-secrets.io", "ClusterSecretStore"), ("external-secrets.io", "ExternalSecret")}
PULUMI_AWAIT_ANNOTATIONS = ("pulumi.com/waitFor", "pulumi.com/timeoutSeconds", "config.kubernetes.io/depends-on")  # never in the tree
JOB_AWAIT_MARGIN_S = 120  # past the Job's own activeDeadlineSeconds: Pulumi reports the Job's failure, not its own timeout


def _secrets_of_pod(spec: dict) -> set[str]:
    """The Secrets a pod template reads (env, envFrom, volumes)."""
    names = {v["secret"]["secretName"] for v in spec.get("volumes") or [] if (v.get("secret") or {}).get("secretName")}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env") or [] if (e.get("valueFrom") or {}).get("secretKeyRef")}
        names |= {e["secretRef"]["name"] for e in c.get("envFrom") or [] if e.get("secretRef")}
    return names


def with_pulumi_awaits(objs: tuple[dict, ...]) -> list[dict]:
    """Copies of a ConfigGroup's objects (the tree's stay as they are) that make `pulumi up` wait for
    what matters: the stores and ExternalSecrets until Ready (so the groups and releases after them
    find their Secrets), each Job after the ExternalSecrets of the group making its Secrets, and
    awaited longer than its own deadline."""
    out = [json.loads(json.dumps(o)) for o in objs]
    made_by: dict[tuple[str, str], str] = {}  # (namespace, Secret) -> the ExternalSecret making it
    for o in out:
        if o["kind"] == "ExternalSecret":
            meta = o["metadata"]
            made_by[(meta.get("namespace", "default"), (o.get("spec", {}).get("target") or {}).get("name") or meta["name"])] = meta["name"]
    for o in out:
        group = o["apiVersion"].rsplit("/", 1)[0] if "/" in o["apiVersion"] else ""
        annotations = o["metadata"].setdefault("annotations", {})
        if (group, o["kind"]) in WAIT_FOR_READY:
            annotations["pulumi.com/waitFor"] = "condition=Ready"
        if o["kind"] == "Job":
            ns = o["metadata"].get("namespace", "default")
            deadline = o["spec"].get("activeDeadlineSeconds")
            if deadline:
                annotations["pulumi.com/timeoutSeconds"] = str(int(deadline) + JOB_AWAIT_MARGIN_S)
            needs = sorted(made_by[(ns, s)] for s in _secrets_of_pod(o["spec"]["template"].get("spec") or {}) if (ns, s) in made_by)
            if needs:
                annotations["config.kubernetes.io/depends-on"] = ",".join(f"external-secrets.io/namespaces/{ns}/ExternalSecret/{n}" for n in needs)
        if not annotations:
            del o["metadata"]["annotations"]
    return out


def _helm_in_wave_order(
    cb: ResolvedClusterBootstrap, provider: k8s.Provider, storage: list[pulumi.Resource], parent: pulumi.Resource
) -> tuple[dict[str, k8s.helm.v3.Release], list[str]]:
    """With no GitOps controller, the add-on releases and the tree's cluster objects (phases of
    ``objects_without_gitops``) in the tree's sync-wave order, each waiting for everything of
    earlier waves: the stores after external-secrets, Grafana's admin Secret before
    kube-prometheus-stack (whose release waits for its pods), the rest of the configuration
    after the charts that bring its CRDs. The guarded namespaces need no chart and come first.
    The bootstrap Jobs' ArgoCD hook annotations are inert here: Pulumi runs a Job when it
    creates it and replaces it (so runs it again) when its spec changes."""
    phases = [(phase, objs) for phase, objs in objects_without_gitops(cb.gitops) if phase != STORAGE_PHASE]  # storage: see storage_first
    steps: list[tuple[float, int, Any]] = [(float(r.addon.chart.sync_wave), 1, r) for r in cb.releases]
    for i, (phase, objs) in enumerate(phases):
        wave = phase_wave(cb.gitops, phase)
        steps.append((float("-inf") if wave is None else float(wave), 0, (i, phase, objs)))
    releases: dict[str, k8s.helm.v3.Release] = {}
    created: list[tuple[float, bool, pulumi.Resource]] = []  # (wave, a phase of namespaces, resource)
    names: list[str] = []
    for wave, _, item in sorted(steps, key=lambda s: (s[0], s[1], s[2][0] if s[1] == 0 else 0)):
        earlier = [res for w, guarded, res in created if w < wave]
        if isinstance(item, HelmRelease):
            after_guarded = [res for w, guarded, res in created if w < wave and not guarded]  # releases need no namespace of the tree
            releases[item.resource_name] = res = _release(item, provider, [*storage, *after_guarded], parent)
            created.append((wave, False, res))
            continue
        _, phase, objs = item
        name = f"{cb.key}-{phase}"
        group = k8s.yaml.v2.ConfigGroup(name, objs=with_pulumi_awaits(objs), opts=child_options(parent, provider, earlier))
        created.append((wave, phase == "namespaces", group))
        names.append(name)
    return releases, names


STORAGE_PHASE = "storage"


def storage_first(cb: ResolvedClusterBootstrap, provider: k8s.Provider, parent: pulumi.Resource) -> list[pulumi.Resource]:
    """The default StorageClass, before any chart claims a volume (a Helm release waits for
    its pods, and a claim without a class never binds on EKS 1.30+)."""
    for phase, objs in objects_without_gitops(cb.gitops):
        if phase == STORAGE_PHASE:
            return [k8s.yaml.v2.ConfigGroup(f"{cb.key}-{phase}", objs=[dict(o) for o in objs], opts=child_options(parent, provider))]
    return []



DEFAULT_RELEASE_TIMEOUT_S = 600
"""How long Helm waits for ArgoCD's workloads when the component is composed from a tree (the plan
sets it per tier: resolve/bootstrap.py); Helm's own 300 s is short for fresh nodes pulling images."""


class BootstrapPropsError(pulumi.RunError):
    """The component refused its props: the message names the value and the fix."""


@dataclass(frozen=True)
class _Spec:
    """What the component creates, whichever front end described it."""

    key: str  # prefix of every child's name (the plan's cluster key)
    mode: str  # argocd | helm
    provider_name: str
    releases: tuple[HelmRelease, ...]
    root_objects: Mapping[str, dict]  # argocd mode: root/
    exports: dict[str, Any]
    repository_credential: RepositoryCredential | None
    plan: ResolvedClusterBootstrap | None = None  # helm mode reads the tree's objects from it


def _from_plan(cb: ResolvedClusterBootstrap) -> _Spec:
    exports: dict[str, Any] = {"clusterName": cb.cluster.name, "mode": cb.mode, "chartVersions": cb.chart_versions}
    if cb.mode != "argocd":
        return _Spec(cb.key, cb.mode, cb.provider_name, cb.releases, {}, exports, None, cb)
    assert cb.root is not None
    exports.update({"argocdNamespace": cb.argocd_namespace, "rootApplication": cb.root.name, "rootPath": cb.root.path})
    return _Spec(cb.key, "argocd", cb.provider_name, cb.releases, root_objects(cb.gitops), exports, cb.repository_credential, cb)


def _from_tree(name: str, tree: GitOpsTree, timeout_seconds: int, rc: RepositoryCredential | None) -> _Spec:
    found = tree.constructs_of(ArgoCdBootstrap)
    if not found:
        raise BootstrapPropsError(f"ClusterBootstrap {name!r}: tree {tree.key!r} has no ArgoCD; call tree.add_argocd(...) first (the component installs it and the root)")
    argo: ArgoCdBootstrap = found[0]
    release = HelmRelease(f"{name}-argocd", ResolvedAddon("argocd", "helm", "", argo.chart, argo.values), (), timeout_seconds, atomic=True, cleanup_on_fail=True)
    objs = tree_root_objects(tree, argo.platform_project())
    root = objs["application-root.yaml"]
    exports = {
        "clusterName": tree.key,
        "mode": "argocd",
        "chartVersions": {"argocd": argo.chart.version},
        "argocdNamespace": tree.argocd_namespace,
        "rootApplication": root["metadata"]["name"],
        "rootPath": root["spec"]["source"]["path"],
    }
    return _Spec(name, "argocd", f"{name}-cluster", (release,), objs, exports, rc)


def _check(name: str, plan: Any, tree: Any, kubeconfig: Any, provider: Any, cluster_identifier: Any, rc: Any, credential: Any, timeout: int) -> None:
    label = f"ClusterBootstrap {name!r}"
    if (plan is None) == (tree is None):
        raise BootstrapPropsError(f"{label}: give either plan= (a resolved cluster bootstrap) or tree= (a GitOpsTree with ArgoCD), not {'both' if plan else 'neither'}")
    if (kubeconfig is None) == (provider is None):
        raise BootstrapPropsError(f"{label}: give either kubeconfig= (any cluster's kubeconfig) or provider= (a kubernetes.Provider), not {'both' if provider else 'neither'}")
    if provider is not None and cluster_identifier is not None:
        raise BootstrapPropsError(f"{label}: cluster_identifier is the component's provider's; set it on the provider you pass instead")
    if plan is not None and (cluster_identifier is not None or rc is not None):
        raise BootstrapPropsError(f"{label}: the plan gives the cluster identifier and the repository credential; leave cluster_identifier= and repository_credential= out")
    rc = rc if rc is not None else getattr(plan, "repository_credential", None)
    if rc is not None and (credential is None or set(credential) != set(rc.config_keys)):
        raise BootstrapPropsError(f"{label}: the private repository {rc.url} needs credential= with exactly the keys {sorted(rc.config_keys)}, got {sorted(credential or {})}")
    if rc is None and credential is not None:
        raise BootstrapPropsError(f"{label}: credential= without a private repository; give repository_credential= (tree=) or leave credential= out")
    if not isinstance(timeout, int) or timeout < 60:
        raise BootstrapPropsError(f"{label}: release_timeout_seconds={timeout!r}; give at least 60 (Helm waits this long for ArgoCD's pods)")


class ClusterBootstrap(pulumi.ComponentResource):
    """One cluster's bootstrap as a Pulumi component (type ``infraplan:index:ClusterBootstrap``).

    Keyword-only props:

    - ``plan``: the cluster as the plan resolved it (``resolve/bootstrap.py``); or
    - ``tree``: a :class:`GitOpsTree` with :class:`ArgoCdBootstrap`, composed in Python: the
      component installs that ArgoCD (its chart and values), a repository credential and ``root/``.
    - ``kubeconfig``: any cluster's kubeconfig (a secret input, e.g. an EKS, GKE or kind cluster's);
      the component makes its own provider. Or ``provider``: a ``kubernetes.Provider`` you made.
    - ``cluster_identifier``: with ``kubeconfig``, a stable name of the cluster (the EKS cluster ARN):
      pulumi-kubernetes replaces the provider, and everything under it, when the kubeconfig's active
      cluster changes unless this is set and unchanged. Default none (the plan gives the cluster ARN).
    - ``repository_credential`` and ``credential``: a private GitOps repository and its secret keys
      (``username``/``password`` or ``sshPrivateKey``). Default none: a public repository.
    - ``release_timeout_seconds``: with ``tree``, how long Helm waits for ArgoCD. Default 600.

    Outputs: ``provider``, ``releases`` (resource name -> Release), ``root`` (the root objects' resources),
    ``exports`` (the plain values the stack exports), registered as the component's outputs."""

    def __init__(
        self,
        name: str,
        *,
        plan: ResolvedClusterBootstrap | None = None,
        tree: GitOpsTree | None = None,
        kubeconfig: pulumi.Input[str] | None = None,
        provider: k8s.Provider | None = None,
        cluster_identifier: pulumi.Input[str] | None = None,
        repository_credential: RepositoryCredential | None = None,
        credential: Mapping[str, pulumi.Input[str]] | None = None,
        release_timeout_seconds: int = DEFAULT_RELEASE_TIMEOUT_S,
        opts: pulumi.ResourceOptions | None = None,
    ):
        _check(name, plan, tree, kubeconfig, provider, cluster_identifier, repository_credential, credential, release_timeout_seconds)
        spec = _from_plan(plan) if plan is not None else _from_tree(name, tree, release_timeout_seconds, repository_credential)  # type: ignore[arg-type]
        super().__init__(COMPONENT_TYPE, name, None, opts)
        if plan is not None:
            cluster_identifier = plan.connection.cluster_arn
        # enable_secret_mutable: a new repository credential updates its Secret in place instead of the
        # default delete-then-create of a named Secret (pulumi-kubernetes forceNewProperties), which would
        # leave ArgoCD without a credential in between.
        # cluster_identifier: pulumi-kubernetes replaces a provider (and so every resource under it) when the
        # kubeconfig's active cluster changes, unless a clusterIdentifier is set and unchanged (provider.go
        # DiffConfig); the cluster ARN changes only with the cluster, not with a new endpoint, CA or token.
        self.provider = provider or k8s.Provider(
            spec.provider_name, kubeconfig=kubeconfig, enable_secret_mutable=True, cluster_identifier=cluster_identifier, opts=child_options(self, None)
        )
        self.releases: dict[str, k8s.helm.v3.Release] = {}
        self.root: list[pulumi.Resource] = []
        self.exports = dict(spec.exports)
        if spec.mode == "helm":
            self._without_gitops(spec)
        else:
            self._with_argocd(spec, dict(credential or {}))
        self.register_outputs({"exports": self.exports, "provider": self.provider, "releases": self.releases, "root": self.root})

    def _without_gitops(self, spec: _Spec) -> None:
        """The storage class, the add-on releases and the tree's objects, in sync-wave order."""
        cb = spec.plan
        assert cb is not None
        storage = storage_first(cb, self.provider, self)
        self.releases, groups = _helm_in_wave_order(cb, self.provider, storage, self)
        self.exports["manifestGroups"] = [f"{cb.key}-{STORAGE_PHASE}"] * bool(storage) + groups

    def _with_argocd(self, spec: _Spec, credential: dict[str, pulumi.Input[str]]) -> None:
        """ArgoCD (handed over), the repository credential, then exactly the tree's root/ objects (the
        platform AppProject, then the root Application); everything else, the Helm repository Secrets
        included, belongs to ArgoCD through the root. All are retained on delete: `pulumi destroy` must
        not take the root and the platform project from a running GitOps tree (nothing would sync
        argocd/ any more, and every Application of the platform project, ArgoCD's own included, would be refused)."""
        for r in spec.releases:  # every release waits for those of earlier sync waves
            self.releases[r.resource_name] = _release(r, self.provider, [self.releases[n] for n in r.after], self, handed_over=True)
        created: list[pulumi.Resource] = list(self.releases.values())
        rc = spec.repository_credential
        if rc is not None:
            # The bootstrap's alone (not in the tree): ArgoCD needs it before it can read the
            # repository, and must neither overwrite nor prune it.
            secret = git_repository_secret(rc.namespace, rc.secret_name, rc.url, {})
            created.append(
                k8s.core.v1.Secret(
                    f"{spec.key}-{rc.secret_name}",
                    metadata=secret["metadata"],
                    type=secret["type"],
                    string_data={**secret["stringData"], **{k: pulumi.Output.secret(v) for k, v in credential.items()}},
                    opts=child_options(self, self.provider, list(created), retain_on_delete=True),
                )
            )
            self.exports["repositorySecret"] = f"{rc.namespace}/{rc.secret_name}"
        for obj in spec.root_objects.values():
            name = f"{spec.key}-{obj['metadata']['name']}-{obj['kind'].lower()}" if obj["kind"] == "AppProject" else f"{spec.key}-{obj['metadata']['name']}"
            res = k8s.apiextensions.CustomResource(
                name,
                api_version=obj["apiVersion"],
                kind=obj["kind"],
                metadata=obj["metadata"],
                spec=obj["spec"],
                opts=child_options(self, self.provider, list(created), retain_on_delete=True),
            )
            created.append(res)
            self.root.append(res)
