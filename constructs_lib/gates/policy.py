"""The plan-level rules, pure Python over what ``synth`` wrote and the resolved model.

They read the synthesized output, not only the resolved model, where the output is what gets
deployed: the constructs hard-code encryption and private access, and an ``--extension`` may add
resources the model never saw. Each function returns the problems found, one line each.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterable

from ..resolve.model import ResolvedCluster, ResolvedEnvironment, ResolvedNetwork

Stacks = dict[str, dict]  # stack name -> its cdk.tf.json
Tree = list[tuple[str, dict]]  # (file, object) of one cluster's tree

_TRUE = (True, "true")


def _resources(stacks: Stacks, type_: str) -> Iterable[tuple[str, str, dict]]:
    for name, stack in sorted(stacks.items()):
        for logical, values in sorted((stack.get("resource", {}).get(type_) or {}).items()):
            yield name, logical, values


def _refers_to(value: Any, type_: str, logical: str) -> bool:
    return isinstance(value, str) and re.search(rf"\$\{{{re.escape(type_)}\.{re.escape(logical)}\.(id|bucket)\}}", value) is not None


def _first(values: dict, key: str) -> dict:
    block = values.get(key)
    if isinstance(block, list):
        return block[0] if block and isinstance(block[0], dict) else {}
    return block if isinstance(block, dict) else {}


# --- encryption-at-rest -----------------------------------------------------------------------


KMS_SSE = ("aws:kms", "aws:kms:dsse")  # AES256 is S3's own key, which every bucket gets anyway since 2023


def _bucket_encrypted(stacks: Stacks, stack: str, logical: str, values: dict) -> bool:
    configs = stacks[stack].get("resource", {}).get("aws_s3_bucket_server_side_encryption_configuration") or {}
    return any(
        (_refers_to(c.get("bucket"), "aws_s3_bucket", logical) or c.get("bucket") == values.get("bucket"))
        and any(_first(rule, "apply_server_side_encryption_by_default").get("sse_algorithm") in KMS_SSE for rule in c.get("rule") or [] if isinstance(rule, dict))
        for c in configs.values()
    )


def encryption_problems(stacks: Stacks, trees: dict[str, Tree]) -> list[str]:
    """Storage that AWS does not encrypt unless asked, or encrypts only with its own key where the plan's promise is a key of the account's."""
    problems = []
    for s, r, v in _resources(stacks, "aws_db_instance"):
        if v.get("storage_encrypted") not in _TRUE and not v.get("replicate_source_db"):
            problems.append(f"{s}: aws_db_instance.{r}: storage_encrypted is not true")
    for s, r, v in _resources(stacks, "aws_rds_cluster"):
        if v.get("storage_encrypted") not in _TRUE:
            problems.append(f"{s}: aws_rds_cluster.{r}: storage_encrypted is not true")
    for s, r, v in _resources(stacks, "aws_eks_cluster"):
        if "secrets" not in (_first(v, "encryption_config").get("resources") or []):
            problems.append(f"{s}: aws_eks_cluster.{r}: Kubernetes secrets are not envelope-encrypted (encryption_config)")
    for s, r, v in _resources(stacks, "aws_launch_template"):
        if not v.get("block_device_mappings"):
            problems.append(f"{s}: aws_launch_template.{r}: no block_device_mappings (the root volume is encrypted only if the AMI's snapshot or the account's EBS default is)")
        for m in v.get("block_device_mappings") or []:
            if _first(m, "ebs").get("encrypted") not in _TRUE:
                problems.append(f"{s}: aws_launch_template.{r}: volume {m.get('device_name')} is not encrypted")
    for s, r, v in _resources(stacks, "aws_eks_node_group"):
        if not _first(v, "launch_template"):
            problems.append(f"{s}: aws_eks_node_group.{r}: no launch_template (EKS's own leaves the node volumes to the account's EBS default)")
    for s, r, v in _resources(stacks, "aws_ebs_volume"):
        if v.get("encrypted") not in _TRUE:
            problems.append(f"{s}: aws_ebs_volume.{r}: not encrypted")
    for s, r, v in _resources(stacks, "aws_efs_file_system"):
        if v.get("encrypted") not in _TRUE:
            problems.append(f"{s}: aws_efs_file_system.{r}: not encrypted")
    for s, r, v in _resources(stacks, "aws_s3_bucket"):
        if not _bucket_encrypted(stacks, s, r, v):
            problems.append(f"{s}: aws_s3_bucket.{r}: no server-side encryption configuration with the account's key")
    for s, r, v in _resources(stacks, "aws_dynamodb_table"):
        if _first(v, "server_side_encryption").get("enabled") not in _TRUE:
            problems.append(f"{s}: aws_dynamodb_table.{r}: server_side_encryption is not enabled (only AWS's owned key)")
    for type_, key in (("aws_cloudwatch_log_group", "kms_key_id"), ("aws_secretsmanager_secret", "kms_key_id"), ("aws_sns_topic", "kms_master_key_id"), ("aws_sqs_queue", "kms_master_key_id")):
        for s, r, v in _resources(stacks, type_):
            if not v.get(key) and not (type_ == "aws_sqs_queue" and v.get("sqs_managed_sse_enabled") in _TRUE):
                problems.append(f"{s}: {type_}.{r}: no {key} (not encrypted with the account's key)")
    for key, tree in sorted(trees.items()):
        for file, obj in tree:
            if obj.get("kind") == "StorageClass" and obj.get("provisioner") == "ebs.csi.aws.com":
                if str((obj.get("parameters") or {}).get("encrypted", "")).lower() != "true":
                    problems.append(f"{key}/{file}: StorageClass {obj['metadata'].get('name')}: EBS volumes it provisions are not encrypted")
    return problems


# --- no-public-endpoints ----------------------------------------------------------------------

_ANYWHERE = ("0.0.0.0/0", "::/0")


def public_endpoint_problems(stacks: Stacks) -> list[str]:
    problems = []
    for type_ in ("aws_db_instance", "aws_rds_cluster_instance"):
        for s, r, v in _resources(stacks, type_):
            if v.get("publicly_accessible") in _TRUE:
                problems.append(f"{s}: {type_}.{r}: publicly_accessible is true (a public IP address reachable from the internet)")
    for s, r, v in _resources(stacks, "aws_eks_cluster"):
        # The provider's default is a public endpoint: only an explicit false makes it private.
        if _first(v, "vpc_config").get("endpoint_public_access", True) not in (False, "false"):
            cidrs = _first(v, "vpc_config").get("public_access_cidrs") or ["0.0.0.0/0"]
            problems.append(f"{s}: aws_eks_cluster.{r}: the Kubernetes API endpoint is public (from {', '.join(cidrs)})")
    for s, r, v in _resources(stacks, "aws_s3_bucket"):
        blocks = [b for b in (stacks[s].get("resource", {}).get("aws_s3_bucket_public_access_block") or {}).values() if _refers_to(b.get("bucket"), "aws_s3_bucket", r) or b.get("bucket") == v.get("bucket")]
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        if not any(all(b.get(f) in _TRUE for f in flags) for b in blocks):
            problems.append(f"{s}: aws_s3_bucket.{r}: no public access block with all four settings true")
    for s, r, v in _resources(stacks, "aws_vpc_security_group_ingress_rule"):
        if v.get("cidr_ipv4") in _ANYWHERE or v.get("cidr_ipv6") in _ANYWHERE:
            problems.append(f"{s}: aws_vpc_security_group_ingress_rule.{r}: admits the whole internet")
    for s, r, v in _resources(stacks, "aws_security_group_rule"):
        if v.get("type") == "ingress" and set(_ANYWHERE) & set((v.get("cidr_blocks") or []) + (v.get("ipv6_cidr_blocks") or [])):
            problems.append(f"{s}: aws_security_group_rule.{r}: admits the whole internet")
    for s, r, v in _resources(stacks, "aws_security_group"):
        for rule in v.get("ingress") or []:
            if set(_ANYWHERE) & set((rule.get("cidr_blocks") or []) + (rule.get("ipv6_cidr_blocks") or [])):
                problems.append(f"{s}: aws_security_group.{r}: an ingress rule admits the whole internet")
    return problems


# --- min-azs ----------------------------------------------------------------------------------


def networks(env: ResolvedEnvironment) -> list[ResolvedNetwork]:
    """Every network of an environment: its own, its secondary regions', its dedicated tenants'."""
    return [env.network, *(r.network for r in env.secondary_regions), *(t.network for t in env.tenants if t.network is not None)]


def clusters(env: ResolvedEnvironment) -> list[ResolvedCluster]:
    return [env.cluster, *(r.cluster for r in env.secondary_regions), *(t.cluster for t in env.tenants if t.cluster is not None)]


def az_problems(env: ResolvedEnvironment, minimum: int) -> list[str]:
    problems = []
    for net in networks(env):
        for tier, subnets in (("public", net.public_subnets), ("private", net.private_subnets), ("database", net.database_subnets)):
            azs = sorted({s.az for s in subnets})
            if subnets and len(azs) < minimum:
                problems.append(f"{net.name}: the {tier} subnets span {len(azs)} availability zone(s) ({', '.join(azs)}), fewer than {minimum}")
    return problems


# --- data-residency ---------------------------------------------------------------------------


def residency_problems(env: ResolvedEnvironment, stacks: Stacks, prefixes: list[str]) -> list[str]:
    used: dict[str, str] = {}
    for c in clusters(env):
        used.setdefault(c.region, f"cluster {c.name}")
        used.setdefault(c.secrets_region, f"the secrets of cluster {c.name}")
    used.setdefault(env.state.region, f"the state bucket {env.state.bucket}")
    for name, stack in sorted(stacks.items()):
        for provider in (stack.get("provider") or {}).get("aws") or []:
            if isinstance(provider.get("region"), str):
                used.setdefault(provider["region"], f"stack {name}'s provider")
    return [f"{what}: region {region} is outside {', '.join(prefixes)}" for region, what in sorted(used.items()) if not region.startswith(tuple(prefixes))]


# --- tenant-isolation -------------------------------------------------------------------------

# What a tenant's AppProject must not let it deploy: each would weaken its own guardrails.
GUARDRAIL_KINDS = (("networking.k8s.io", "NetworkPolicy"), ("", "ResourceQuota"), ("", "LimitRange"), ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"))
IN_CLUSTER = ("https://kubernetes.default.svc", "in-cluster")


def _default_deny(obj: dict) -> bool:
    spec = obj.get("spec") or {}
    return spec.get("podSelector") == {} and {"Ingress", "Egress"} <= set(spec.get("policyTypes") or []) and not spec.get("ingress") and not spec.get("egress")


def _project_problems(project: dict | None, tenant: str, namespaces: tuple[str, ...]) -> list[str]:
    if project is None:
        return [f"tenant {tenant}: no AppProject {tenant}"]
    spec = project.get("spec") or {}
    problems = []
    for d in spec.get("destinations") or []:
        if d.get("namespace") not in namespaces or (d.get("server") or d.get("name")) not in IN_CLUSTER:
            problems.append(f"AppProject {tenant}: destination {d.get('server') or d.get('name')} namespace {d.get('namespace')} is not one of the tenant's namespaces on this cluster")
    if spec.get("clusterResourceWhitelist"):
        problems.append(f"AppProject {tenant}: admits cluster-scoped kinds {spec['clusterResourceWhitelist']}")
    allowed, denied = spec.get("namespaceResourceWhitelist"), spec.get("namespaceResourceBlacklist") or []
    for group, kind in GUARDRAIL_KINDS:
        # ArgoCD matches these lists by glob (filepath.Match of kind, then group): "*Policy" admits NetworkPolicy
        in_list = lambda entries: any(fnmatch.fnmatchcase(kind, str(e.get("kind", ""))) and fnmatch.fnmatchcase(group, str(e.get("group", ""))) for e in entries)  # noqa: E731
        if not in_list(denied) and (allowed is None or in_list(allowed)):
            problems.append(f"AppProject {tenant}: lets the tenant deploy {kind} (a guardrail of its namespaces)")
    return problems


def isolation_problems(cluster_key: str, tree: Tree, tenants: Iterable[Any], argocd: bool) -> list[str]:
    """Each tenant on the cluster: its namespaces guarded (restricted Pod Security, default-deny
    NetworkPolicy, ResourceQuota, LimitRange), its AppProject (with ArgoCD) confined to them."""
    by_ns: dict[str, list[dict]] = {}
    projects: dict[str, dict] = {}
    for _, obj in tree:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "Namespace":
            by_ns.setdefault(meta.get("name"), []).append(obj)
        elif obj.get("kind") == "AppProject":
            projects[meta.get("name")] = obj
        elif meta.get("namespace"):
            by_ns.setdefault(meta["namespace"], []).append(obj)
    problems = []
    for tenant in tenants:
        for ns in tenant.namespaces:
            objs = by_ns.get(ns, [])
            kinds = {o.get("kind") for o in objs}
            namespace = next((o for o in objs if o.get("kind") == "Namespace"), None)
            if namespace is None:
                problems.append(f"{cluster_key}: namespace {ns} of tenant {tenant.name} is not in the tree")
                continue
            if ((namespace.get("metadata") or {}).get("labels") or {}).get("pod-security.kubernetes.io/enforce") != "restricted":
                problems.append(f"{cluster_key}: namespace {ns}: Pod Security is not enforced at restricted")
            if not any(o.get("kind") == "NetworkPolicy" and _default_deny(o) for o in objs):
                problems.append(f"{cluster_key}: namespace {ns}: no default-deny NetworkPolicy (ingress and egress)")
            for kind in ("ResourceQuota", "LimitRange"):
                if kind not in kinds:
                    problems.append(f"{cluster_key}: namespace {ns}: no {kind}")
        if argocd:
            problems += [f"{cluster_key}: {p}" for p in _project_problems(projects.get(tenant.name), tenant.name, tenant.namespaces)]
    return problems


# --- pinned-versions --------------------------------------------------------------------------

EXACT_CHART = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
EXACT_GIT = re.compile(r"^([0-9a-f]{40}|v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)$")
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


def _sources(obj: dict) -> list[dict]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "ApplicationSet":
        spec = ((spec.get("template") or {}).get("spec")) or {}
    return [s for s in [spec.get("source"), *(spec.get("sources") or [])] if isinstance(s, dict)]


def _pod_spec(obj: dict) -> dict:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def image_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "has no tag (the registry's latest)"
    tag = name.split(":", 1)[1]
    if tag == "latest" or not tag:
        return f"is tagged '{tag}'"
    return None


def _kustomize_images(kustomizations: Iterable[tuple[str, dict]]) -> tuple[dict[str, list[str]], list[str]]:
    """Image name -> the tags or digests kustomizations give it; and the entries that pin nothing."""
    pins: dict[str, list[str]] = {}
    problems = []
    for where, k in kustomizations:
        for entry in k.get("images") or []:
            pin = entry.get("digest") or entry.get("newTag")
            if not pin or pin == "latest":
                problems.append(f"{where}: images: {entry.get('name')} is given {'tag latest' if pin else 'no tag or digest'}")
            pins.setdefault(str(entry.get("newName") or entry.get("name")), []).append(str(pin))
            pins.setdefault(str(entry.get("name")), []).append(str(pin))
        for chart in k.get("helmCharts") or []:  # kustomize-only: the chart is inflated here, the Application names the Git repository
            version = str(chart.get("version") or "") if isinstance(chart, dict) else ""
            if not EXACT_CHART.match(version):
                name = chart.get("name") if isinstance(chart, dict) else chart
                problems.append(f"{where}: helmCharts: {name} at '{version}', not an exact version" + (" (kustomize takes the repository's latest)" if not version else ""))
    return pins, problems


def pinning_problems(cluster_key: str, objects: Iterable[tuple[str, dict]], kustomizations: Iterable[tuple[str, dict]], gitops_repo: str | None, stacks: Stacks) -> list[str]:
    """Charts at exact versions (an Application's or a kustomization's helmCharts); Git sources at a tag or commit, but for the plan's own GitOps
    repository (it follows gitops.target_revision by design); images with a tag other than latest
    or a digest (a base's untagged image counts when the kustomizations naming it pin it);
    the stacks' providers and EKS add-ons at exact versions."""
    pins, problems = _kustomize_images(kustomizations)
    problems = [f"{cluster_key}/{p}" for p in problems]
    for where, obj in objects:
        name = (obj.get("metadata") or {}).get("name")
        for src in _sources(obj) if obj.get("kind") in ("Application", "ApplicationSet") else []:
            rev = str(src.get("targetRevision", ""))
            if src.get("chart"):
                if not EXACT_CHART.match(rev):
                    problems.append(f"{cluster_key}/{where}: {obj['kind']} {name}: chart {src['chart']} at '{rev}', not an exact version")
            elif src.get("repoURL") != gitops_repo and not EXACT_GIT.match(rev):
                problems.append(f"{cluster_key}/{where}: {obj['kind']} {name}: {src.get('repoURL')} at '{rev}', not a tag or commit")
        if obj.get("kind") in WORKLOADS:
            pod = _pod_spec(obj)
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                image = str(c.get("image", ""))
                if image_problem(image) == "has no tag (the registry's latest)" and pins.get(image):
                    continue  # the overlays set its tag (their entries are checked above)
                if (p := image_problem(image)) is not None:
                    problems.append(f"{cluster_key}/{where}: {obj['kind']} {name}: image {c.get('image')} {p}")
    for s, stack in sorted(stacks.items()):
        for provider, req in sorted(((stack.get("terraform") or {}).get("required_providers") or {}).items()):
            version = str(req.get("version", "")).removeprefix("=").strip() if isinstance(req, dict) else ""
            if not EXACT_CHART.match(version):
                problems.append(f"{s}: provider {provider} at '{req.get('version') if isinstance(req, dict) else req}', not an exact version")
        for _, r, v in _resources({s: stack}, "aws_eks_addon"):
            if not v.get("addon_version"):
                problems.append(f"{s}: aws_eks_addon.{r}: no addon_version (EKS picks one)")
    return problems
