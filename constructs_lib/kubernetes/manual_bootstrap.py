"""The by-hand bootstrap of each cluster (``iac.cluster_bootstrap: gitops-only``): what a person
needs to do what the Pulumi program would, with helm and kubectl.

Per cluster, ``bootstrap/<cluster key>/`` beside the GitOps tree holds ``argocd-values.yaml`` (the
values of the tree's ``argocd`` Application, so ArgoCD adopts the release at its first sync) and a
``README.md`` with the commands, every name and version filled in from the resolved bootstrap:
connect, install ArgoCD once with the pinned chart, create the GitOps repository credential (a
kubectl command reading the token from the shell; never in Git), ``kubectl apply -k`` the tree's
``root/`` (the platform AppProject and the root Application, the objects Pulumi would create).
Nothing here holds a secret. Pure: returns ``{relative path: text}``.
"""

from __future__ import annotations

from ..resolve import names
from ..resolve.bootstrap import ClusterBootstrap, HelmRelease, resolve_cluster_bootstrap
from ..resolve.model import ResolvedCluster, ResolvedEnvironment, ResolvedTenant
from .yaml_out import dump

VALUES_FILE = "argocd-values.yaml"


def render_manual_bootstrap(env: ResolvedEnvironment, clusters: list[tuple[ResolvedCluster, tuple[ResolvedTenant, ...]]]) -> dict[str, str]:
    """The by-hand bootstrap of ``clusters`` (of ``env``), or nothing when the Pulumi program bootstraps them."""
    if env.gitops.bootstrap != "gitops-only":
        return {}
    files: dict[str, str] = {}
    for cluster, tenants in clusters:
        cb = resolve_cluster_bootstrap(env, cluster, tenants)
        assert cb.mode == "argocd" and cb.root is not None, "validate refuses gitops-only without ArgoCD"
        (release,) = cb.releases
        files[names.manual_bootstrap_values(cb.key)] = "# ArgoCD's Helm values for the by-hand install (README.md); the same as the tree's argocd Application's. Written by infraplan synth.\n" + dump(release.addon.values)
        files[names.manual_bootstrap_readme(cb.key)] = _readme(env, cb, release)
    return files


def _helm_install(release: HelmRelease) -> str:
    c = release.addon.chart
    source = f"{c.repo_url.rstrip('/')}/{c.chart}" if c.repo_url.startswith("oci://") else f"{c.chart} --repo {c.repo_url}"
    return (
        f"helm install {c.release} {source} --version {c.version} \\\n"
        f"  --namespace {c.namespace} --create-namespace --values {VALUES_FILE} \\\n"
        f"  --kube-context \"$CONTEXT\" --wait --timeout {release.timeout_seconds}s"
    )


def _credential(cb: ClusterBootstrap) -> str:
    rc = cb.repository_credential
    if rc is None:
        return "The GitOps repository is public (`gitops.repository_auth: none`): ArgoCD needs no credential; go on with step 4.\n"
    keys = (
        "  --from-literal=username=\"$GITOPS_USERNAME\" --from-literal=password=\"$GITOPS_TOKEN\""
        if rc.auth == "https"
        else "  --from-file=sshPrivateKey=\"$GITOPS_DEPLOY_KEY_FILE\""
    )
    given = "`GITOPS_USERNAME` and a read-only token in `GITOPS_TOKEN`" if rc.auth == "https" else "the path of the deploy key's private key in `GITOPS_DEPLOY_KEY_FILE`"
    return (
        f"The GitOps repository is private (`gitops.repository_auth: {rc.auth}`). ArgoCD cannot read the credential from the repository it\n"
        f"unlocks, and a credential never goes into Git: create it on the cluster, before the root Application. With {given}\n"
        "(read from your secret store into the shell, not typed into the history):\n\n"
        "```sh\n"
        f"kubectl --context \"$CONTEXT\" -n {rc.namespace} create secret generic {rc.secret_name} \\\n"
        f"  --from-literal=type=git --from-literal=url={rc.url} \\\n"
        f"{keys}\n"
        f"kubectl --context \"$CONTEXT\" -n {rc.namespace} label secret {rc.secret_name} argocd.argoproj.io/secret-type=repository\n"
        "```\n\n"
        f"To rotate it: `kubectl --context \"$CONTEXT\" -n {rc.namespace} delete secret {rc.secret_name}` and create it again the same way.\n"
    )


def _readme(env: ResolvedEnvironment, cb: ClusterBootstrap, release: HelmRelease) -> str:
    c = cb.connection
    root = cb.root
    assert root is not None
    tree_root = f"../../kubernetes/{cb.key}/root"
    return (
        f"# Bootstrap of cluster {c.cluster_name} (`{cb.key}`), by hand\n\n"
        "Written by `infraplan synth` because `iac.cluster_bootstrap` is `gitops-only`: no Pulumi program runs for this plan.\n"
        "These steps do once what it would do: install ArgoCD, give it the GitOps repository's credential, apply the tree's `root/`.\n"
        "ArgoCD then owns everything else, ArgoCD itself included (docs/gitops.md, \"Bootstrap by hand\").\n\n"
        f"Needs: Terraform has applied `{c.terraform_stack}` (the cluster exists); the AWS CLI with credentials of account {env.account_id};\n"
        "a route to the cluster's private API endpoint (docs/deploy.md); kubectl and Helm 3. Run the commands in this folder.\n\n"
        "## 1. Connect\n\n"
        "```sh\n"
        f"CONTEXT={cb.key}\n"
        f"aws eks update-kubeconfig --name {c.cluster_name} --region {c.region} --alias \"$CONTEXT\"\n"
        "```\n\n"
        "## 2. Install ArgoCD, once\n\n"
        f"The pinned chart with the values of the tree's `argocd` Application (`{VALUES_FILE}`), under its release name, so that\n"
        "the Application adopts this release at its first sync and upgrades it from Git afterwards (never run this again):\n\n"
        "```sh\n"
        f"{_helm_install(release)}\n"
        "```\n\n"
        "## 3. The GitOps repository's credential\n\n"
        f"{_credential(cb)}\n"
        "## 4. The platform project and the root Application\n\n"
        f"From the synthesized tree (or `{cb.gitops.tree_path}/root` of a checkout of {root.repo_url} at `{root.target_revision}`):\n\n"
        "```sh\n"
        f"kubectl --context \"$CONTEXT\" apply -k {tree_root}\n"
        f"kubectl --context \"$CONTEXT\" -n {root.namespace} get applications   # {root.name}, then bootstrap, infrastructure, apps\n"
        "```\n\n"
        f"Nothing syncs `root/`: when it changes in a later synth, apply it again the same way. `{root.name}` syncs `{root.path}` of\n"
        f"{root.repo_url} at `{root.target_revision}`, which must hold this tree before step 4.\n"
    )
