"""The Pulumi bootstrap program: a thin renderer of :mod:`constructs_lib.resolve.bootstrap`.

One stack per environment (stack name = environment name). For every cluster of
the environment (the shared one and each dedicated tenant cluster) it creates a
``kubernetes`` provider and then either

* ``argocd`` mode: ArgoCD as a ``helm.v3.Release``, the GitOps repository credential
  (a private repository: an ArgoCD repository Secret from secret stack config), then
  the tree's ``root/`` objects, the platform AppProject and the root app-of-apps
  Application (ArgoCD installs and owns the rest, the Helm repository Secrets
  included). Pulumi installs ArgoCD once and hands it over: the tree's ``argocd``
  Application upgrades it from Git, so the release ignores later version and values
  changes, and ``pulumi destroy`` or a replacement retains everything (docs/pulumi.md), or
* ``helm`` mode (``gitops.tool: none``): the tree's default StorageClass, every
  add-on as a ``helm.v3.Release``, then, as ``yaml.v2.ConfigGroup``s of the same
  objects the GitOps tree holds, the guarded tenant namespaces, the add-ons' cluster
  configuration (ClusterIssuer, ClusterSecretStores) and the tenant database bootstrap.

Names, chart versions and values all come from the resolved model; the
Kubernetes objects are built by the same functions that write them into the
GitOps tree (``constructs_lib.kubernetes``), so Pulumi applies exactly what the
tree holds, and no object is owned by both Pulumi and ArgoCD.

Entry point for ``pulumi``: ``stacks/pulumi_main.py`` (see Pulumi.yaml).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pulumi
import pulumi_kubernetes as k8s

from constructs_lib.kubernetes.argocd import git_repository_secret
from constructs_lib.kubernetes.tree import objects_without_gitops, phase_wave, root_objects
from constructs_lib.plan import load_plan
from constructs_lib.resolve.bootstrap import (
    CONFIG_NAMESPACE,
    DEFAULT_PLAN_DIR,
    ClusterBootstrap,
    ClusterConnection,
    EnvironmentBootstrap,
    HelmRelease,
    RepositoryCredential,
    resolve_bootstrap,
)
from constructs_lib.resolve.environment import resolve_environment


KubeconfigSource = Callable[[ClusterBootstrap], pulumi.Input[str]]
# The credential keys of the GitOps repository Secret (username/password or sshPrivateKey), as secret inputs.
RepositoryCredentialSource = Callable[[RepositoryCredential], dict[str, pulumi.Input[str]]]

# Once ArgoCD runs, its own Application (bootstrap/argocd/install) upgrades it from Git: a chart
# version or values change in the plan reaches the cluster through Git, never through `pulumi up`
# (Helm's record of the release stays at the first install; a Pulumi upgrade would fight ArgoCD).
# Every input is ignored: a change to any (a timeout, the name) would otherwise run `helm upgrade`
# with the first install's chart and values over what ArgoCD has upgraded since, or a replacement.
ARGOCD_HANDED_OVER = ["chart", "version", "repositoryOpts", "values", "name", "namespace", "createNamespace", "timeout", "atomic", "cleanupOnFail"]


class ClusterConnectionMissing(Exception):
    pass


class RepositoryCredentialMissing(pulumi.RunError):
    """A private GitOps repository, and no credential in the stack config: without it ArgoCD syncs nothing."""


def eks_kubeconfig(cluster_name: str, region: str, endpoint: str, certificate_authority: str, aws_profile: str | None = None) -> str:
    """A kubeconfig for an EKS cluster from its Terraform outputs, authenticating with ``aws eks get-token``."""
    exec_cfg: dict[str, Any] = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "aws",
        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
        "interactiveMode": "Never",
    }
    if aws_profile:
        exec_cfg["env"] = [{"name": "AWS_PROFILE", "value": aws_profile}]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority}}],
            "users": [{"name": cluster_name, "user": {"exec": exec_cfg}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        },
        sort_keys=True,
    )


def _missing(c: ClusterConnection) -> str:
    return (
        f"no connection for cluster {c.cluster_name}: set either the secret '{CONFIG_NAMESPACE}:{c.kubeconfig_key}' (a kubeconfig) or "
        f"'{CONFIG_NAMESPACE}:{c.endpoint_key}' and '{CONFIG_NAMESPACE}:{c.ca_key}' from the Terraform outputs of stack {c.terraform_stack}, e.g.\n"
        f"  pulumi config set {CONFIG_NAMESPACE}:{c.endpoint_key} \"$(terraform -chdir=dist/terraform/stacks/{c.terraform_stack} output -raw cluster_endpoint)\"\n"
        f"  pulumi config set {CONFIG_NAMESPACE}:{c.ca_key} \"$(terraform -chdir=dist/terraform/stacks/{c.terraform_stack} output -raw cluster_certificate_authority)\"\n"
        "(see docs/pulumi.md)"
    )


def kubeconfig_from_config(cb: ClusterBootstrap) -> pulumi.Input[str]:
    """The cluster connection from stack config (docs/pulumi.md): a secret kubeconfig wins over the EKS outputs."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    c = cb.connection
    kubeconfig = config.get_secret(c.kubeconfig_key)
    if kubeconfig is not None:
        return kubeconfig
    endpoint, ca = config.get(c.endpoint_key), config.get(c.ca_key)
    if not endpoint or not ca:
        raise ClusterConnectionMissing(_missing(c))
    return pulumi.Output.secret(eks_kubeconfig(c.cluster_name, c.region, endpoint, ca, config.get("awsProfile")))


def repository_credential_from_config(rc: RepositoryCredential) -> dict[str, pulumi.Input[str]]:
    """The credential of the GitOps repository from secret stack config (docs/gitops.md); every key is required."""
    config = pulumi.Config(CONFIG_NAMESPACE)
    values = {key: config.get_secret(config_key) for key, config_key in rc.config_keys.items()}
    missing = [rc.config_keys[k] for k, v in values.items() if v is None]
    if missing:
        how = {"username": "<any non-empty name for a token, else the user>", "password": "<a token that can read the repository>", "sshPrivateKey": "< <the deploy key's private key file>"}
        lines = "\n".join(f"  pulumi config set --secret {CONFIG_NAMESPACE}:{k} {how[key]}" for key, k in rc.config_keys.items())
        raise RepositoryCredentialMissing(
            f"gitops.repository_auth is {rc.auth}, but the stack config lacks {', '.join(f'{CONFIG_NAMESPACE}:{k}' for k in missing)}: "
            f"ArgoCD could not read {rc.url}. Set the credential as secret config:\n{lines}\n(see docs/gitops.md)"
        )
    return {k: v for k, v in values.items() if v is not None}


def _release(release: HelmRelease, provider: k8s.Provider, depends_on: list[pulumi.Resource], handed_over: bool = False) -> k8s.helm.v3.Release:
    """``handed_over``: ArgoCD manages the release after the first sync; Pulumi installs it once and never deletes it."""
    a = release.addon
    c = a.chart
    return k8s.helm.v3.Release(
        release.resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=c.release,
            chart=c.chart,
            version=c.version,
            namespace=c.namespace,
            create_namespace=True,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=c.repo_url),
            values=a.values,
            # Helm waits for the workloads (skip_await stays off) up to the tier's timeout; a failed install is
            # uninstalled and a failed upgrade rolled back (atomic), its new objects deleted (docs/pulumi.md)
            timeout=release.timeout_seconds,
            atomic=release.atomic,
            cleanup_on_fail=release.cleanup_on_fail,
        ),
        opts=pulumi.ResourceOptions(
            provider=provider, depends_on=depends_on, retain_on_delete=handed_over or None, ignore_changes=ARGOCD_HANDED_OVER if handed_over else None
        ),
    )


def _helm_in_wave_order(cb: ClusterBootstrap, provider: k8s.Provider, storage: list[pulumi.Resource]) -> tuple[dict[str, k8s.helm.v3.Release], list[str]]:
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
            releases[item.resource_name] = res = _release(item, provider, [*storage, *after_guarded], handed_over=False)
            created.append((wave, False, res))
            continue
        _, phase, objs = item
        name = f"{cb.key}-{phase}"
        group = k8s.yaml.v2.ConfigGroup(name, objs=[dict(o) for o in objs], opts=pulumi.ResourceOptions(provider=provider, depends_on=earlier))
        created.append((wave, phase == "namespaces", group))
        names.append(name)
    return releases, names


STORAGE_PHASE = "storage"


def storage_first(cb: ClusterBootstrap, provider: k8s.Provider) -> list[pulumi.Resource]:
    """The default StorageClass, before any chart claims a volume (a Helm release waits for
    its pods, and a claim without a class never binds on EKS 1.30+)."""
    for phase, objs in objects_without_gitops(cb.gitops):
        if phase == STORAGE_PHASE:
            return [k8s.yaml.v2.ConfigGroup(f"{cb.key}-{phase}", objs=[dict(o) for o in objs], opts=pulumi.ResourceOptions(provider=provider))]
    return []


def bootstrap_cluster(cb: ClusterBootstrap, kubeconfig: pulumi.Input[str], credential: dict[str, pulumi.Input[str]] | None = None) -> dict[str, Any]:
    """The resources of one cluster; returns its exports."""
    # enable_secret_mutable: a new repository credential updates its Secret in place instead of the
    # default delete-then-create of a named Secret (pulumi-kubernetes forceNewProperties), which would
    # leave ArgoCD without a credential in between.
    provider = k8s.Provider(cb.provider_name, kubeconfig=kubeconfig, enable_secret_mutable=True)
    releases: dict[str, k8s.helm.v3.Release] = {}
    storage = storage_first(cb, provider) if cb.mode == "helm" else []  # with ArgoCD, the bootstrap root applies it
    groups: list[str] = []
    if cb.mode == "helm":
        releases, groups = _helm_in_wave_order(cb, provider, storage)
    for r in cb.releases:  # in catalog order; every release waits for those of earlier sync waves
        if r.resource_name not in releases:
            releases[r.resource_name] = _release(r, provider, [*storage, *(releases[n] for n in r.after)], handed_over=cb.mode == "argocd")

    exports: dict[str, Any] = {
        "clusterName": cb.cluster.name,
        "mode": cb.mode,
        "chartVersions": cb.chart_versions,
    }
    if cb.mode == "helm":
        exports["manifestGroups"] = [f"{cb.key}-{STORAGE_PHASE}"] * bool(storage) + groups
    if cb.mode == "argocd":
        assert cb.root is not None
        # Exactly the tree's root/ objects (the platform AppProject, then the root Application);
        # everything else, the Helm repository Secrets included, belongs to ArgoCD through the root.
        # All are retained on delete: `pulumi destroy` must not take the root and the platform
        # project from a running GitOps tree (nothing would sync argocd/ any more, and every
        # Application of the platform project, ArgoCD's own included, would be refused).
        created: list[pulumi.Resource] = list(releases.values())
        rc = cb.repository_credential
        if rc is not None:
            # The bootstrap's alone (not in the tree): ArgoCD needs it before it can read the
            # repository, and must neither overwrite nor prune it.
            assert credential is not None
            secret = git_repository_secret(rc.namespace, rc.secret_name, rc.url, {})
            created.append(
                k8s.core.v1.Secret(
                    f"{cb.key}-{rc.secret_name}",
                    metadata=secret["metadata"],
                    type=secret["type"],
                    string_data={**secret["stringData"], **{k: pulumi.Output.secret(v) for k, v in credential.items()}},
                    opts=pulumi.ResourceOptions(provider=provider, depends_on=list(created), retain_on_delete=True),
                )
            )
            exports["repositorySecret"] = f"{rc.namespace}/{rc.secret_name}"
        for name, obj in root_objects(cb.gitops).items():
            created.append(
                k8s.apiextensions.CustomResource(
                    f"{cb.key}-{obj['metadata']['name']}-{obj['kind'].lower()}" if obj["kind"] == "AppProject" else f"{cb.key}-{obj['metadata']['name']}",
                    api_version=obj["apiVersion"],
                    kind=obj["kind"],
                    metadata=obj["metadata"],
                    spec=obj["spec"],
                    opts=pulumi.ResourceOptions(provider=provider, depends_on=list(created), retain_on_delete=True),
                )
            )
        root = cb.root
        exports.update({"argocdNamespace": cb.argocd_namespace, "rootApplication": root.name, "rootPath": root.path})
    return exports


def bootstrap_environment(
    bootstrap: EnvironmentBootstrap, kubeconfig_for: KubeconfigSource = kubeconfig_from_config, credential_for: RepositoryCredentialSource = repository_credential_from_config
) -> dict[str, Any]:
    """Every cluster of the environment; returns the stack exports. Every connection and credential
    is looked up before the first resource, so a missing one fails before anything is created."""
    inputs = {
        cb.key: (kubeconfig_for(cb), credential_for(cb.repository_credential) if cb.repository_credential else None) for cb in bootstrap.clusters
    }
    clusters = {cb.key: bootstrap_cluster(cb, *inputs[cb.key]) for cb in bootstrap.clusters}
    shared = clusters[bootstrap.shared.key]
    return {
        "environment": bootstrap.environment.name,
        "gitopsTool": bootstrap.environment.gitops.tool,
        "argocdNamespace": shared.get("argocdNamespace"),
        "rootApplication": shared.get("rootApplication"),
        "chartVersions": shared["chartVersions"],
        "clusters": clusters,
    }


def load_bootstrap(plan_dir: Path, env_name: str) -> EnvironmentBootstrap:
    return resolve_bootstrap(resolve_environment(load_plan(plan_dir), env_name))


def project_root() -> Path:
    """The folder holding the stack's Pulumi.yaml (the user's project, e.g. one made by
    ``infraplan init --pulumi``), never the folder infraplan is installed in. The CLI tells the
    program (``pulumi.get_root_directory()``); without it (mocks), the current folder."""
    root = pulumi.get_root_directory()
    if root and (Path(root) / "Pulumi.yaml").is_file():
        return Path(root)
    return Path.cwd()


def plan_dir_from_config() -> Path:
    """``infraplan:plan``, relative to the project root."""
    configured = Path(pulumi.Config(CONFIG_NAMESPACE).get("plan") or DEFAULT_PLAN_DIR)
    return configured if configured.is_absolute() else project_root() / configured


def environment_from_stack() -> str:
    """The stack name is the environment (``infraplan:environment`` overrides it, e.g. for a stack called ``acme/dev``)."""
    return pulumi.Config(CONFIG_NAMESPACE).get("environment") or pulumi.get_stack()


def program(
    plan_dir: Path | None = None,
    env_name: str | None = None,
    kubeconfig_for: KubeconfigSource = kubeconfig_from_config,
    credential_for: RepositoryCredentialSource = repository_credential_from_config,
) -> dict[str, Any]:
    """The whole program (without ``pulumi.export``): used by ``pulumi_main``, the offline preview and the tests."""
    bootstrap = load_bootstrap(plan_dir or plan_dir_from_config(), env_name or environment_from_stack())
    return bootstrap_environment(bootstrap, kubeconfig_for, credential_for)


def main() -> None:
    for name, value in program().items():
        pulumi.export(name, value)
