"""The Pulumi bootstrap program: a thin renderer of :mod:`constructs_lib.resolve.bootstrap`.

One stack per cluster (stack name = cluster key). For the cluster it creates a
:class:`constructs_lib.pulumi.cluster_bootstrap.ClusterBootstrap` component (type
``infraplan:index:ClusterBootstrap``), which parents a ``kubernetes`` provider and then either

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
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pulumi
import yaml
from pulumi.runtime.config import get_config

from constructs_lib.plan import Plan, load_plan
from constructs_lib.pulumi.cluster_bootstrap import (  # noqa: F401 (names the program's tests and docs use)
    ARGOCD_HANDED_OVER,
    PULUMI_AWAIT_ANNOTATIONS,
    STORAGE_PHASE,
    with_pulumi_awaits,
)
from constructs_lib.pulumi.cluster_bootstrap import ClusterBootstrap as ClusterBootstrapComponent
from constructs_lib.resolve.bootstrap import (
    CONFIG_NAMESPACE,
    DEFAULT_PLAN_DIR,
    ClusterBootstrap,
    ClusterConnection,
    EnvironmentBootstrap,
    RepositoryCredential,
    resolve_bootstrap,
)
from constructs_lib.resolve import names
from constructs_lib.resolve.environment import resolve_environment


KubeconfigSource = Callable[[ClusterBootstrap], pulumi.Input[str]]
# The credential keys of the GitOps repository Secret (username/password or sshPrivateKey), as secret inputs.
RepositoryCredentialSource = Callable[[RepositoryCredential], dict[str, pulumi.Input[str]]]

class ClusterConnectionMissing(pulumi.RunError):
    """The stack config names half a connection (an endpoint without its CA, or the reverse)."""


class ClusterLookupFailed(pulumi.RunError):
    """``eks:DescribeCluster`` of the cluster the plan names failed (no credentials, not found, access denied)."""


class ClusterUnreachable(pulumi.RunError):
    """``pulumi up`` against a cluster the runner cannot reach (no route to the endpoint, no ``aws`` CLI)."""


class ClusterSelectionMissing(pulumi.RunError):
    """The stack does not say which single cluster it bootstraps."""


class RepositoryCredentialMissing(pulumi.RunError):
    """A private GitOps repository, and no credential in the stack config: without it ArgoCD syncs nothing."""


class BootstrapByHand(pulumi.RunError):
    """The plan says ``iac.cluster_bootstrap: gitops-only``: a person bootstraps its clusters, not this program."""


def refuse_by_hand(plan: Plan) -> None:
    """Stop before anything is created when the plan bootstraps its clusters by hand: two owners
    (Pulumi's state and a person's helm release) of one ArgoCD would fight over it."""
    if plan.platform.iac.cluster_bootstrap == "gitops-only":
        raise BootstrapByHand(
            "this plan's iac.cluster_bootstrap is gitops-only: its clusters are bootstrapped by hand (helm install of ArgoCD, then "
            f"kubectl apply -k <tree>/<cluster>/root), following {names.MANUAL_BOOTSTRAP_DIR}/<cluster>/README.md that `infraplan synth` writes "
            "(docs/gitops.md, \"Bootstrap by hand\"); the Pulumi program does not run for it. Set iac.cluster_bootstrap: pulumi in platform.yaml to use it."
        )


def eks_kubeconfig(
    cluster_name: str, region: str, endpoint: str, certificate_authority: str, aws_profile: str | None = None, role_arn: str | None = None
) -> str:
    """A kubeconfig for an EKS cluster, authenticating with ``aws eks get-token``.

    The profile and role are arguments, never ``AWS_PROFILE``: the AWS CLI prefers ambient
    ``AWS_ACCESS_KEY_ID`` (a CI runner's OIDC credentials) to ``AWS_PROFILE``, but drops the
    environment's keys for an explicit ``--profile``. The names of the kubeconfig's cluster,
    user and context stay the cluster name, so the active cluster (server and CA, what
    pulumi-kubernetes compares) changes only when the endpoint or CA does."""
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if aws_profile:
        args += ["--profile", aws_profile]
    if role_arn:
        args += ["--role-arn", role_arn]
    exec_cfg: dict[str, Any] = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": args, "interactiveMode": "Never"}
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


@dataclass(frozen=True)
class EksCluster:
    endpoint: str
    certificate_authority: str
    arn: str


# (cluster name, region, profile, role ARN) -> the cluster; raises ClusterLookupFailed
DescribeCluster = Callable[[str, str, "str | None", "str | None"], EksCluster]
# (API server URL, exec command or None) -> what keeps the runner from the cluster (empty: reachable)
ConnectivityCheck = Callable[[str, "str | None"], list[str]]

CONNECT_TIMEOUT_S = 5.0


def _lookup_fix(c: ClusterConnection) -> str:
    return (
        f"Give the AWS credentials of account {c.cluster_arn.split(':')[4]} to `pulumi` (`pulumi config set {CONFIG_NAMESPACE}:awsProfile <profile>`, "
        f"optionally `{CONFIG_NAMESPACE}:awsRoleArn <role ARN>`, or the runner's AWS_* variables), or set the connection in the stack config instead:\n"
        f"  pulumi config set {CONFIG_NAMESPACE}:{c.endpoint_key} \"$(terraform -chdir=dist/terraform/stacks/{c.terraform_stack} output -raw cluster_endpoint)\"\n"
        f"  pulumi config set {CONFIG_NAMESPACE}:{c.ca_key} \"$(terraform -chdir=dist/terraform/stacks/{c.terraform_stack} output -raw cluster_certificate_authority)\"\n"
        "(see docs/pulumi.md, \"Cluster connection\")"
    )


def describe_eks_cluster(name: str, region: str, profile: str | None = None, role_arn: str | None = None) -> EksCluster:
    """``eks:DescribeCluster`` with the identity ``aws eks get-token`` will use (the profile, then the role)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if role_arn:
            creds = session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="infraplan-pulumi")["Credentials"]
            session = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"], region_name=region
            )
        cluster = session.client("eks").describe_cluster(name=name)["cluster"]
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise ClusterLookupFailed(f"{err.get('Code', 'ClientError')}: {err.get('Message', exc)}") from None
    except BotoCoreError as exc:
        raise ClusterLookupFailed(f"{type(exc).__name__}: {exc}") from None
    endpoint, ca = cluster.get("endpoint"), (cluster.get("certificateAuthority") or {}).get("data")
    if not endpoint or not ca:
        raise ClusterLookupFailed(f"the cluster has no endpoint or certificate authority yet (status {cluster.get('status')})")
    return EksCluster(endpoint, ca, cluster["arn"])


def check_connectivity(server: str, exec_command: str | None) -> list[str]:
    """What keeps this runner from the API server: the exec command not on PATH, no TCP connection
    to the server's port within ``CONNECT_TIMEOUT_S``. Neither proves the credentials are accepted."""
    problems = []
    if exec_command and shutil.which(exec_command) is None:
        problems.append(f"the kubeconfig authenticates with `{exec_command}`, which is not on PATH (install the AWS CLI v2)")
    url = urlsplit(server)
    host, port = url.hostname, url.port or (80 if url.scheme == "http" else 443)
    if not host:
        return [*problems, f"the API server address {server!r} has no host"]
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        problems.append(f"no TCP connection to {host}:{port} within {CONNECT_TIMEOUT_S:g} s ({exc})")
    return problems


def kubeconfig_target(kubeconfig: str) -> tuple[str, str | None]:
    """The API server of the kubeconfig's current context and the command its user execs (if any)."""
    cfg = yaml.safe_load(kubeconfig) or {}
    named = lambda kind, name: next((i.get(kind[:-1]) or {} for i in cfg.get(kind) or [] if i.get("name") == name), {})  # noqa: E731
    context = named("contexts", cfg.get("current-context"))
    server = named("clusters", context.get("cluster")).get("server", "")
    exec_cfg = named("users", context.get("user")).get("exec") or {}
    return server, exec_cfg.get("command")


def _require_reachable(c: ClusterConnection, kubeconfig: str, check: ConnectivityCheck) -> None:
    """``pulumi up`` stops before creating anything on an unreachable cluster; a preview warns that it
    proves nothing about the cluster (pulumi-kubernetes skips its dry runs silently when it cannot reach one)."""
    server, command = kubeconfig_target(kubeconfig)
    problems = check(server, command)
    if not problems:
        return
    what = f"cluster {c.cluster_name} ({c.region}, stack {c.stack}) at {server or '?'}: " + "; ".join(problems)
    fix = (
        "Run Pulumi where the endpoint is reachable (cluster.api_access admits the runner, docs/deploy.md \"Reaching the private API endpoint\") "
        "with the AWS CLI v2 on PATH; see docs/pulumi.md, \"Preview that tells the truth\"."
    )
    if pulumi.runtime.is_dry_run():
        pulumi.log.warn(
            f"UNREACHABLE {what}. This preview proves NOTHING about the cluster: pulumi-kubernetes skips every dry run against an unreachable "
            f"cluster and reports success, and `pulumi up` will fail. {fix}"
        )
        return
    raise ClusterUnreachable(f"cannot bootstrap {what}. {fix}")


def kubeconfig_from_config(cb: ClusterBootstrap, describe: DescribeCluster | None = None, check: ConnectivityCheck | None = None) -> pulumi.Input[str]:
    """The cluster connection (docs/pulumi.md): a secret kubeconfig from stack config wins; else
    ``aws eks get-token`` against the endpoint and CA of stack config, or, by default, of
    ``eks:DescribeCluster`` of the cluster the plan names. Checked for reachability first."""
    describe = describe or describe_eks_cluster
    check = check or check_connectivity
    config = pulumi.Config(CONFIG_NAMESPACE)
    c = cb.connection
    profile, role_arn = config.get("awsProfile"), config.get("awsRoleArn")
    if config.get_secret(c.kubeconfig_key) is not None:
        kubeconfig = str(get_config(f"{CONFIG_NAMESPACE}:{c.kubeconfig_key}"))  # the plain text, to check the server it names
    else:
        endpoint, ca = config.get(c.endpoint_key), config.get(c.ca_key)
        if bool(endpoint) != bool(ca):
            have, lacks = (c.endpoint_key, c.ca_key) if endpoint else (c.ca_key, c.endpoint_key)
            raise ClusterConnectionMissing(
                f"cluster {c.cluster_name}: the stack config sets {CONFIG_NAMESPACE}:{have} but not {CONFIG_NAMESPACE}:{lacks}; set both "
                f"(the outputs of Terraform stack {c.terraform_stack}) or neither (the program looks the cluster up).\n" + _lookup_fix(c)
            )
        if not endpoint:
            try:
                found = describe(c.cluster_name, c.region, profile, role_arn)
            except ClusterLookupFailed as exc:
                raise ClusterLookupFailed(f"eks:DescribeCluster of cluster {c.cluster_name} in {c.region} failed: {exc}.\n{_lookup_fix(c)}") from None
            if found.arn != c.cluster_arn:
                raise ClusterLookupFailed(
                    f"eks:DescribeCluster of cluster {c.cluster_name} in {c.region} answered {found.arn}, not {c.cluster_arn} (the plan's account): "
                    f"the credentials belong to another account.\n{_lookup_fix(c)}"
                )
            endpoint, ca = found.endpoint, found.certificate_authority
        kubeconfig = eks_kubeconfig(c.cluster_name, c.region, endpoint, ca, profile, role_arn)
    _require_reachable(c, kubeconfig, check)
    return pulumi.Output.secret(kubeconfig)


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


def bootstrap_cluster(cb: ClusterBootstrap, kubeconfig: pulumi.Input[str], credential: dict[str, pulumi.Input[str]] | None = None) -> dict[str, Any]:
    """The resources of one cluster, under its :class:`ClusterBootstrapComponent` (named after the
    cluster key); returns its exports."""
    return ClusterBootstrapComponent(cb.key, plan=cb, kubeconfig=kubeconfig, credential=credential).exports


def bootstrap_environment(
    bootstrap: EnvironmentBootstrap,
    kubeconfig_for: KubeconfigSource = kubeconfig_from_config,
    credential_for: RepositoryCredentialSource = repository_credential_from_config,
    cluster: str | None = None,
) -> dict[str, Any]:
    """The clusters of the environment (``cluster``: that one alone, as a stack does); returns the
    stack exports. Every connection and credential is looked up, and every cluster checked, before
    the first resource, so a missing one fails before anything is created."""
    selected = [cb for cb in bootstrap.clusters if cluster is None or cb.key == cluster]
    if not selected:
        raise ClusterSelectionMissing(f"environment {bootstrap.environment.name} has no cluster {cluster} (clusters: {', '.join(cb.key for cb in bootstrap.clusters)})")
    inputs = {cb.key: (kubeconfig_for(cb), credential_for(cb.repository_credential) if cb.repository_credential else None) for cb in selected}
    clusters = {cb.key: bootstrap_cluster(cb, *inputs[cb.key]) for cb in selected}
    first = clusters[selected[0].key]
    return {
        "environment": bootstrap.environment.name,
        "gitopsTool": bootstrap.environment.gitops.tool,
        "argocdNamespace": first.get("argocdNamespace"),
        "rootApplication": first.get("rootApplication"),
        "chartVersions": first["chartVersions"],
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


def cluster_from_stack(bootstrap: EnvironmentBootstrap) -> str:
    """The one cluster this stack bootstraps: ``infraplan:cluster``, else the stack name when it is a
    cluster key, else the environment's only cluster. Never a guess between several: a stack that
    used to span them (before one stack per cluster) still holds the others' resources, and
    leaving them out of the program would delete them (docs/pulumi.md, "One stack per cluster")."""
    keys = [cb.key for cb in bootstrap.clusters]
    stack = pulumi.get_stack()
    chosen = pulumi.Config(CONFIG_NAMESPACE).get("cluster") or (stack if stack in keys and stack != bootstrap.environment.name else None)
    if chosen is None and len(keys) == 1:
        return keys[0]
    if chosen is None:
        others = [k for k in keys if k != stack]
        moves = "\n".join(
            f"  pulumi stack init {k}\n"
            f"  pulumi state move --source {stack} --dest {k} $(pulumi stack --stack {stack} --show-urns | grep -o 'urn:pulumi:{stack}::[^ ]*::{k}-[^ ]*' | sort -u)"
            for k in others
        )
        raise ClusterSelectionMissing(
            f"stack {stack} (environment {bootstrap.environment.name}) would bootstrap {len(keys)} clusters ({', '.join(keys)}); each cluster has its own "
            f"stack, so an unreachable one blocks no other. Name this stack's cluster:\n  pulumi config set --stack {stack} {CONFIG_NAMESPACE}:cluster {keys[0]}\n"
            f"and, if this stack bootstrapped the others before, move their resources to their own stacks first (else `pulumi up` deletes them here):\n{moves}\n"
            "(see docs/pulumi.md, \"One stack per cluster\")"
        )
    if chosen not in keys:
        raise ClusterSelectionMissing(f"{CONFIG_NAMESPACE}:cluster is {chosen}, not a cluster of environment {bootstrap.environment.name} ({', '.join(keys)})")
    return chosen


def stack_environment(plan_dir: Path) -> str:
    """``infraplan:environment``, else the stack name when it is an environment, else the environment
    with a cluster whose key is the stack name (stack ``prod-org-c``: org-c's dedicated cluster in prod)."""
    configured = pulumi.Config(CONFIG_NAMESPACE).get("environment")
    stack = pulumi.get_stack()
    if configured:
        return configured
    plan = load_plan(plan_dir)
    if stack in plan.environments:
        return stack
    for name in plan.environments:
        if any(c.key == stack for c, _ in resolve_environment(plan, name).clusters):
            return name
    raise ClusterSelectionMissing(
        f"stack {stack} is neither an environment ({', '.join(plan.environments)}) nor a cluster of one: name the stack after a cluster key "
        f"(`infraplan explain` lists them) or set {CONFIG_NAMESPACE}:environment and {CONFIG_NAMESPACE}:cluster"
    )


def program(
    plan_dir: Path | None = None,
    env_name: str | None = None,
    kubeconfig_for: KubeconfigSource = kubeconfig_from_config,
    credential_for: RepositoryCredentialSource = repository_credential_from_config,
    cluster: str | None = None,
) -> dict[str, Any]:
    """The whole program (without ``pulumi.export``): used by ``pulumi_main``, the offline preview and the tests.

    Run as a stack (no ``env_name``) it bootstraps the stack's one cluster (:func:`cluster_from_stack`);
    given an environment, all its clusters unless ``cluster`` names one (the offline preview)."""
    plan_dir = plan_dir or plan_dir_from_config()
    refuse_by_hand(load_plan(plan_dir))
    from_stack = env_name is None
    bootstrap = load_bootstrap(plan_dir, env_name or stack_environment(plan_dir))
    if from_stack and cluster is None:
        cluster = cluster_from_stack(bootstrap)
    return bootstrap_environment(bootstrap, kubeconfig_for, credential_for, cluster)


def main() -> None:
    for name, value in program().items():
        pulumi.export(name, value)
