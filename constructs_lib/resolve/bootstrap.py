"""Bootstrap resolution: what the Pulumi program installs on each cluster of an environment.

Pure, like the rest of ``resolve``. The Pulumi program (``stacks/pulumi_program.py``)
is a thin renderer of :class:`EnvironmentBootstrap`; every name, chart version and
Helm value it uses comes from here, and here only from the resolved model:

* chart, version, namespace, release name, values: :class:`ResolvedAddon` (the
  same objects the GitOps tree renders into ArgoCD Applications);
* the platform AppProject, the ArgoCD namespace, the GitOps repo, revision and
  tree path: :func:`resolve_cluster_gitops` (the same object the GitOps renderer
  reads).

New decisions made here (each recorded as a :class:`Decision`):

* ``mode``: ``argocd`` (install ArgoCD, then the tree's ``root/`` objects: the
  platform AppProject and one root Application; ArgoCD installs the rest from Git)
  or ``helm`` (gitops.tool none: every add-on directly as a Helm release, ordered by
  the catalog's sync waves, then the tree's default StorageClass, guarded namespaces,
  cluster configuration and database bootstrap).
* the root Application: name ``root``, project ``platform``, source ``<tree>/argocd``
  (the ``bootstrap``, ``infrastructure`` and ``apps`` roots in sync waves, the
  Helm repository Secrets and the locked ``default`` project). The root and the
  platform project are the only objects of the tree the bootstrap creates; ArgoCD
  owns everything else, so no object has two owners.
* the cluster connection: one Pulumi stack per cluster (stack name = cluster key),
  the cluster's ARN (the provider's ``clusterIdentifier``), the endpoint and CA looked
  up by the cluster's name (``eks:DescribeCluster``), and which stack config keys
  override them (a kubeconfig, or the EKS outputs of which Terraform stack).
* the GitOps repository credential (``gitops.repository_auth`` https or ssh): one
  ArgoCD repository Secret per cluster, from secret stack config, owned by the
  bootstrap alone (never in the tree, so ArgoCD neither writes nor prunes it).
* the hand-off: in ``argocd`` mode the bootstrap installs ArgoCD once and ArgoCD
  then upgrades itself from Git (``bootstrap/argocd/install``); nothing the
  bootstrap creates is deleted by ``pulumi destroy`` (docs/pulumi.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from .addons import ResolvedAddon
from .gitops import PLATFORM_PROJECT, ROOT_APPLICATION, ROOT_SOURCE, ClusterGitOps, resolve_cluster_gitops
from .model import ResolvedCluster, ResolvedEnvironment, ResolvedTenant
from . import names
from .trace import Decision, Trace, plan, rule

CONFIG_NAMESPACE = "infraplan"  # pulumi config keys are "infraplan:<key>"
DEFAULT_PLAN_DIR = "environments"
GITOPS_REPO_SECRET = "gitops-repository"  # not repo-<host>: the tree's Helm repository Secrets use that prefix
# Stack config keys of the GitOps repository credential (one per stack: every cluster of it reads the same repo).
GITOPS_REPO_KEYS = {"https": ("gitopsRepoUsername", "gitopsRepoPassword"), "ssh": ("gitopsRepoSshPrivateKey",)}
# How long Helm waits for a release's workloads (pulumi-kubernetes' helm.v3.Release default: 300 s).
# On fresh nodes every image is pulled first, claims wait for new EBS volumes, and production runs
# more replicas on more nodes (ArgoCD with redis-ha: a StatefulSet of three Redis pods and HAProxy).
RELEASE_TIMEOUT_BY_TIER = {"development": 600, "staging": 600, "production": 900}


@dataclass(frozen=True)
class ClusterConnection:
    """Where the program finds the credentials of one cluster (see docs/pulumi.md).

    ``kubeconfig_key`` may hold a whole kubeconfig (secret config); else the program
    builds one with ``aws eks get-token`` exec authentication from the endpoint and CA
    in ``endpoint_key`` and ``ca_key`` (overrides, e.g. the Terraform outputs of
    ``terraform_stack``) or, by default, from ``eks:DescribeCluster`` of ``cluster_name``
    in ``region``. ``cluster_arn`` identifies the cluster whatever the kubeconfig holds
    (the provider's ``clusterIdentifier``); ``stack`` is the Pulumi stack that bootstraps it.
    """

    kubeconfig_key: str
    endpoint_key: str
    ca_key: str
    cluster_name: str
    region: str
    terraform_stack: str  # the cdktf stack whose outputs describe this cluster
    cluster_arn: str  # names.eks_cluster_arn: arn:<partition>:eks:<region>:<account>:cluster/<name>
    stack: str  # the Pulumi stack of this cluster (its key)


@dataclass(frozen=True)
class RepositoryCredential:
    """The ArgoCD repository Secret that lets ArgoCD read a private GitOps repository.

    ArgoCD cannot read the credential from the repository it unlocks, so the bootstrap
    creates it from secret stack config: ``config_keys`` maps each key of the Secret
    (``username``/``password`` for https, ``sshPrivateKey`` for ssh) to its config key.
    """

    secret_name: str
    namespace: str
    url: str
    auth: str  # https | ssh
    config_keys: dict[str, str]  # Secret key -> stack config key (without the namespace)


@dataclass(frozen=True)
class HelmRelease:
    resource_name: str  # Pulumi resource name (unique in the stack)
    addon: ResolvedAddon
    after: tuple[str, ...]  # resource names of the releases it waits for (earlier sync waves)
    # Helm's options (docs/pulumi.md, "Release options"): seconds Helm waits for the workloads; a failed
    # install is uninstalled and a failed upgrade rolled back (atomic); a failed upgrade's new objects deleted
    timeout_seconds: int = 300
    atomic: bool = False
    cleanup_on_fail: bool = False


@dataclass(frozen=True)
class RootApplication:
    name: str
    namespace: str
    project: str
    repo_url: str
    target_revision: str
    path: str  # in the GitOps repo


@dataclass(frozen=True)
class ClusterBootstrap:
    cluster: ResolvedCluster
    tenants: tuple[ResolvedTenant, ...]
    gitops: ClusterGitOps
    mode: str  # argocd | helm
    provider_name: str
    connection: ClusterConnection
    releases: tuple[HelmRelease, ...]
    root: RootApplication | None  # argocd mode only
    argocd_namespace: str | None
    decisions: tuple[Decision, ...]
    repository_credential: RepositoryCredential | None = None  # argocd mode with a private repository

    @property
    def key(self) -> str:
        return self.cluster.key

    @property
    def chart_versions(self) -> dict[str, str]:
        """The charts this program installs on the cluster, by component."""
        return {r.addon.component: r.addon.chart.version for r in self.releases}


@dataclass(frozen=True)
class EnvironmentBootstrap:
    environment: ResolvedEnvironment
    clusters: tuple[ClusterBootstrap, ...]  # the shared cluster first

    @property
    def shared(self) -> ClusterBootstrap:
        return self.clusters[0]

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return tuple(d for c in self.clusters for d in c.decisions)


def config_key(base: str, env: ResolvedEnvironment, cluster: ResolvedCluster) -> str:
    """``base`` for the environment's shared cluster, ``base-<cluster key>`` for a dedicated one."""
    return base if cluster is env.cluster else f"{base}-{cluster.key}"


def _releases(addons: tuple[ResolvedAddon, ...], key: str, tier: str, trace: Trace) -> tuple[HelmRelease, ...]:
    """In sync-wave order (stable), each waiting for the releases of earlier waves, with Helm's options for the tier."""
    timeout = RELEASE_TIMEOUT_BY_TIER[tier]
    trace.record(
        "release_options",
        {"timeout_seconds": timeout, "atomic": True, "cleanup_on_fail": True},
        rule(
            "release-options-by-tier",
            f"{tier}: Helm waits up to {timeout} s for each release's workloads (its default, 300 s, is short for fresh nodes pulling every image, "
            "new volumes and HA replicas); atomic: a failed install is uninstalled (the next `pulumi up` installs afresh instead of leaving a failed "
            "release in the state) and a failed upgrade rolled back; cleanup on fail: a failed upgrade's new objects are deleted (only those it created)",
        ),
    )
    out = []
    for a in sorted(addons, key=lambda a: a.chart.sync_wave):
        after = tuple(f"{key}-{b.component}" for b in addons if b.chart.sync_wave < a.chart.sync_wave)
        out.append(HelmRelease(f"{key}-{a.component}", a, after, timeout, atomic=True, cleanup_on_fail=True))
    return tuple(out)


def resolve_cluster_bootstrap(env: ResolvedEnvironment, cluster: ResolvedCluster, tenants: tuple[ResolvedTenant, ...]) -> ClusterBootstrap:
    trace = Trace(prefix=f"bootstrap.{cluster.key}.")
    _record_tool(env, cluster, trace)
    g = resolve_cluster_gitops(env, cluster, tenants)
    connection = _connection(env, cluster, trace)
    argocd = cluster.addon("argocd")
    if env.gitops.tool == "argocd" and argocd is not None:
        releases = _releases((argocd,), cluster.key, env.tier, trace)
        trace.record("mode", "argocd", plan("platform.yaml: gitops.tool", "Pulumi installs ArgoCD, the platform AppProject and one root Application; ArgoCD installs the rest from Git"))
        root = _root_application(g, trace)
        credential = _repository_credential(env, g.argocd_namespace, trace)
        return ClusterBootstrap(
            cluster, tenants, g, "argocd", f"{cluster.key}-cluster", connection, releases, root, g.argocd_namespace, tuple(trace.decisions), credential
        )
    releases = _releases(cluster.addons, cluster.key, env.tier, trace)
    trace.record(
        "mode",
        "helm",
        plan(
            "platform.yaml: gitops.tool",
            "gitops.tool none: every add-on as a Helm release with the values the GitOps tree would use, ordered by the catalog's sync waves; "
            "then the tree's guarded namespaces, cluster configuration and tenant database bootstrap; apps are the team's to deploy",
        ),
    )
    return ClusterBootstrap(cluster, tenants, g, "helm", f"{cluster.key}-cluster", connection, releases, None, None, tuple(trace.decisions))


def _record_tool(env: ResolvedEnvironment, cluster: ResolvedCluster, trace: Trace) -> None:
    """Who runs the bootstrap: the Pulumi program, or a person (iac.cluster_bootstrap: gitops-only)."""
    if env.gitops.bootstrap == "gitops-only":
        trace.record(
            "tool",
            f"by hand: helm install, then kubectl apply -k {cluster.key}/root ({names.manual_bootstrap_readme(cluster.key)})",
            plan(
                "platform.yaml: iac.cluster_bootstrap",
                "gitops-only: synth writes the steps and ArgoCD's values file; the Pulumi program refuses to run for this plan",
            ),
        )
        return
    trace.record("tool", f"pulumi (stack {cluster.key})", plan("platform.yaml: iac.cluster_bootstrap", "pulumi: the Pulumi program bootstraps the cluster"))


def _connection(env: ResolvedEnvironment, cluster: ResolvedCluster, trace: Trace) -> ClusterConnection:
    """How the cluster's Pulumi stack reaches it: the cluster ARN and the stack config keys that may override the lookup."""
    tf_stack = cluster.terraform_stack
    connection = ClusterConnection(
        kubeconfig_key=config_key("kubeconfig", env, cluster),
        endpoint_key=config_key("clusterEndpoint", env, cluster),
        ca_key=config_key("clusterCertificateAuthority", env, cluster),
        cluster_name=cluster.name,
        region=cluster.region,
        terraform_stack=tf_stack,
        cluster_arn=names.eks_cluster_arn(cluster.region, env.account_id, cluster.name),
        stack=cluster.key,
    )
    trace.record(
        "connection",
        {
            "stack": connection.stack,
            "cluster_identifier": connection.cluster_arn,
            "lookup": f"eks:DescribeCluster {cluster.name} in {cluster.region}",
            "overrides": {
                "kubeconfig": f"{CONFIG_NAMESPACE}:{connection.kubeconfig_key}",
                "endpoint": f"{CONFIG_NAMESPACE}:{connection.endpoint_key}",
                "ca": f"{CONFIG_NAMESPACE}:{connection.ca_key}",
            },
        },
        rule(
            "one stack per cluster",
            f"Pulumi stack {connection.stack} bootstraps this cluster alone (an unreachable cluster blocks no other); the endpoint and CA come from "
            f"eks:DescribeCluster of the name the plan gives (stack config, e.g. the outputs of Terraform stack {tf_stack}, overrides it); "
            "aws eks get-token authenticates with --profile/--role-arn from stack config; the provider's clusterIdentifier is the cluster ARN, "
            "so a new endpoint or token never replaces the provider and what it created",
        ),
    )
    return connection


def _root_application(g: ClusterGitOps, trace: Trace) -> RootApplication:
    """ArgoCD's one root Application (app of apps), and the handoff of ArgoCD itself to the tree."""
    root = RootApplication(ROOT_APPLICATION, g.argocd_namespace, PLATFORM_PROJECT, g.repo_url, g.target_revision, g.path(*ROOT_SOURCE))
    trace.record(
        "root",
        {"name": root.name, "project": root.project, "path": root.path, "repo": root.repo_url, "revision": root.target_revision},
        rule(
            "app-of-apps",
            "one root Application per cluster, in the platform project, over argocd/: the bootstrap, infrastructure and apps roots in sync waves 0, 1, 2 "
            "(each waits for the one before to be healthy), the Helm repository Secrets and the locked default project; "
            "the bootstrap creates only the root and the platform project (and a private repository's credential, which is not in the tree), "
            "so every object has one owner",
        ),
    )
    trace.record(
        "handoff",
        {"argocd": "installed once, then upgraded by ArgoCD from Git", "on_delete": "retained"},
        rule(
            "one owner for ArgoCD",
            "the tree's argocd Application (bootstrap/argocd/install) manages ArgoCD after the first sync; Pulumi ignores later chart version and "
            "values changes and retains ArgoCD, the root and the platform project on destroy or replacement, so it never uninstalls a running GitOps tree",
        ),
    )
    return root


def _repository_credential(env: ResolvedEnvironment, namespace: str, trace: Trace) -> RepositoryCredential | None:
    auth = env.gitops.repository_auth
    if auth == "none":
        trace.record("repository_credential", None, plan("platform.yaml: gitops.repository_auth", "a public repository: ArgoCD reads it without a credential"))
        return None
    keys = dict(zip(("username", "password") if auth == "https" else ("sshPrivateKey",), GITOPS_REPO_KEYS[auth]))
    credential = RepositoryCredential(GITOPS_REPO_SECRET, namespace, env.gitops.repo_url, auth, keys)
    trace.record(
        "repository_credential",
        {"secret": f"{namespace}/{GITOPS_REPO_SECRET}", "url": credential.url, "config": [f"{CONFIG_NAMESPACE}:{k}" for k in keys.values()]},
        plan(
            "platform.yaml: gitops.repository_auth",
            f"{auth}: an ArgoCD repository Secret from secret stack config, created before the root Application; never in Git, so ArgoCD does not own it",
        ),
    )
    return credential


def resolve_bootstrap(env: ResolvedEnvironment) -> EnvironmentBootstrap:
    """Every cluster of the environment (the shared one, then each dedicated tenant cluster)."""
    return EnvironmentBootstrap(env, tuple(resolve_cluster_bootstrap(env, c, ts) for c, ts in env.clusters))
