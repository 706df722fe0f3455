"""The Cluster construct: EKS with envelope encryption, private API, access
entries, managed node groups on IMDSv2 launch templates, OIDC for IRSA,
pinned managed add-ons and least-privilege IRSA roles."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from constructs import Construct

from ..addons import EKS_ADDONS
from ..addons.base import SystemNodes
from ..addons.external_secrets import SECRETS_READ
from ..plan.errors import FieldValueError
from ..resolve import names
from ..resolve.cluster import eks_addon_versions, irsa_role
from ..resolve.model import ArgocdSso, ClusterDns, GrafanaAdmin, IrsaRole, PlatformSecretsRole, Taint, TenantAccess, TenantSecretsRole
from ..value_checks.aws import API_ACCESS_RULES_MAX, LOG_RETENTION_DAYS, SECURITY_GROUP_ID, check_principal_arns
from ..value_checks.ipv4 import check_private_cidr, check_public_cidrs
from . import policy
from .aws import eks, iam, vpc
from .engine import cdktf
from .kms_key import EncryptionKey
from .log_group import EncryptedLogGroup
from .props import ClusterNetworkSource, ConstructPropsError, SecurityGroupSource, account_and_region, construct_path, props_from
from .secret_checks import ROLE_ARN

EKS_ADMIN_POLICY = names.arn("eks", "", "aws", "cluster-access-policy/AmazonEKSClusterAdminPolicy")
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""The control-plane log types EKS can send to CloudWatch Logs."""
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_NODE_GROUP = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # as the plan's DnsLabel
ADDON_NAME = re.compile(r"^[a-z0-9]+([-_][a-z0-9]+)*$")
"""An EKS add-on name as DescribeAddonVersions lists them: lowercase words joined by hyphens (``vpc-cni``,
``metrics-server``), a marketplace add-on's ``<vendor>_<product>`` (``kubecost_kubecost``)."""
ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
"""An EKS add-on version: ``v<major>.<minor>.<patch>`` and its build (``v1.14.2-eksbuild.4``)."""
NODE_AGENTS = ("vpc-cni", "kube-proxy")
"""The managed add-ons whose DaemonSets nodes need to become Ready: they must not wait for the node groups."""


def managed_addon_defaults(kubernetes_version: str) -> tuple[tuple[str, str, str], ...]:
    """(add-on, version, why) of each EKS managed add-on a Cluster of ``kubernetes_version`` installs
    by itself, as ``infraplan explain`` shows them: the pin of data/eks_addons.yaml, or EKS's default."""
    v = kubernetes_version
    out = []
    for addon, version in eks_addon_versions(v).items():
        if version:
            out.append((addon, version, f"pinned for Kubernetes {v} in constructs_lib/data/eks_addons.yaml (a version AWS publishes for it)"))
        else:
            out.append((
                addon, f"EKS default for Kubernetes {v}",
                f"no version in data/eks_addons.yaml for Kubernetes {v}: the one EKS marks default for it (data.aws_eks_addon_version at plan time), "
                "so raising the cluster's version upgrades the add-on too",
            ))  # fmt: skip
    return tuple(out)


def _condition(conditions: tuple[tuple[str, str, tuple[str, ...]], ...]) -> dict | None:
    """An IAM Condition block from a statement's (operator, key, values) triples."""
    out: dict[str, dict[str, list[str] | str]] = {}
    for operator, key, values in conditions:
        out.setdefault(operator, {})[key] = list(values) if len(values) > 1 else values[0]
    return out or None


@dataclass(frozen=True, kw_only=True)
class NodeGroup:
    """A managed node group on a launch template of this construct (IMDSv2 only, hop limit 1,
    encrypted gp3 root volume: not props). Its Kubernetes version is always the cluster's."""

    name: str = "default"
    """@default "default"."""
    instance_types: tuple[str, ...] = ("m6i.large",)
    """@default m6i.large: 2 vCPU, 8 GiB, enough for the add-ons and a few workloads."""
    capacity_type: str = "ON_DEMAND"
    """ON_DEMAND or SPOT. @default ON_DEMAND: no interruptions."""
    min_size: int = 2
    """@default 2, so one node can drain during an upgrade."""
    max_size: int = 4
    """@default 4."""
    desired_size: int = 2
    """At creation only: afterwards whoever scales the group owns it (infraplan renders no autoscaler). @default 2."""
    disk_size_gb: int = 50
    """@default 50 GiB: images and logs of a few dozen pods."""
    labels: tuple[tuple[str, str], ...] = ()
    """Kubernetes labels of the nodes. @default none."""
    taints: tuple[Taint, ...] = ()
    """@default none."""
    release_version: str | None = None
    """An EKS optimized AMI release of the cluster's version (``<version>.<patch>-<date>``).
    @default none: EKS picks the latest of the cluster's version."""


@dataclass(frozen=True, kw_only=True)
class ClusterProps:
    """An EKS cluster. Required: ``network`` and ``admin_principal_arns`` (access is declared, never
    inherited from whoever ran apply). Not props, so no build drops them: envelope encryption of
    Secrets with the cluster's own key, the private endpoint, API authentication (access entries),
    IMDSv2 with hop limit 1 on every node, encrypted node volumes, all add-ons pinned."""

    network: ClusterNetworkSource
    """Where the cluster runs: a :class:`Network` (its private subnets; the cluster tags its subnets
    for the load balancer controllers), or an :class:`ExistingNetwork` with ``private_subnet_ids``."""
    admin_principal_arns: tuple[str, ...]
    """IAM roles or users that get cluster admin (an access entry with AmazonEKSClusterAdminPolicy).
    Required, at least one: the creator gets no admin rights."""
    name: str | None = None
    """The EKS cluster name, which also names its roles, keys and log group. @default the construct's id."""
    version: str = "1.35"
    """The Kubernetes version; node groups and managed add-ons follow it. Needs add-on pins in
    ``constructs_lib/data/eks_addons.yaml``. @default 1.35, the plan's default."""
    public_access_cidrs: tuple[str, ...] = ()
    """Internet ranges that may reach a public API endpoint; the endpoint is public only when some
    are given. Refused: private ranges, prefixes under /8, more than one /8 in all (0.0.0.0/0 is never
    accepted). @default none: the API endpoint is private."""
    api_access_vpc: bool = True
    """The VPC's own CIDR may reach the private endpoint (443): a bastion or CI runner in it can run
    kubectl and pulumi. @default on: without any source nothing but the nodes reaches the API."""
    api_access_cidrs: tuple[str, ...] = ()
    """Private ranges (RFC 1918, 100.64.0.0/10: a peered VPC, a VPN) admitted to the private endpoint. @default none."""
    api_access_security_groups: tuple[str | SecurityGroupSource, ...] = ()
    """Security groups (``sg-...`` or a construct with a security group) admitted to the private endpoint. @default none."""
    node_groups: tuple[NodeGroup, ...] = (NodeGroup(),)
    """@default one group ``default`` (see :class:`NodeGroup`)."""
    log_types: tuple[str, ...] = LOG_TYPES
    """Control-plane logs sent to CloudWatch Logs. @default all five: audit and authenticator logs are
    where incidents are investigated."""
    log_retention_days: int = 90
    """Retention of the control-plane logs, a value CloudWatch Logs accepts. @default 90 days."""
    tenant_access: tuple[TenantAccess, ...] = ()
    """Per tenant, IAM roles for its admins, developers and viewers with access entries carrying only
    their Kubernetes groups (the GitOps tree's Roles decide). @default none."""
    irsa_roles: tuple[IrsaRole, ...] = ()
    """IAM roles for add-on service accounts (from the add-on registry), each with its least-privilege
    policy. An EKS managed add-on's role (aws-ebs-csi-driver) must be among them. @default none."""
    tenant_secrets_roles: tuple[TenantSecretsRole, ...] = ()
    """Each tenant's ClusterSecretStore role, reading only that tenant's secrets path. @default none."""
    platform_secrets_role: PlatformSecretsRole | None = None
    """The platform ClusterSecretStore's role. @default none (no external-secrets)."""
    grafana_admin: GrafanaAdmin | None = None
    """The role reading Grafana's admin secret. @default none."""
    argocd_sso: ArgocdSso | None = None
    """The role reading ArgoCD's SSO client secret. @default none."""
    secrets_region: str | None = None
    """Where the cluster's Secrets Manager secrets live. @default the cluster's region."""
    system: SystemNodes | None = None
    """The node groups add-on pods run on (tainted CriticalAddonsOnly); managed add-ons are placed
    there. @default none: add-ons run on any node."""
    dns: ClusterDns | None = None
    """The environment's domain and zone, which cert-manager's and external-dns's policies name. @default none."""
    hosted_zone_id: str | None = None
    """A reference to the zone Terraform creates (when ``dns`` is managed). @default none."""
    account_id: str | None = None
    """@default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """@default the stack's aws provider's region."""


_Refuse = Callable[..., NoReturn]
"""refuse(prop, problem, fix, value=None): raises ConstructPropsError naming the construct."""


def _refuser(p: Any, construct: str) -> _Refuse:
    def refuse(prop: str, problem: str, fix: str, value: Any = None) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop, None) if value is None else value, problem, fix)

    return refuse


def check_node_group(ng: NodeGroup, version: str, construct: str) -> None:
    refuse = _refuser(ng, f"{construct} node group '{ng.name}'")
    if not _NODE_GROUP.match(ng.name) or len(ng.name) > 63:
        refuse("name", "not a node group name (a DNS-1123 label: lowercase letters, digits and hyphens, at most 63)", "e.g. 'general'")
    if not ng.instance_types or isinstance(ng.instance_types, str) or not all(re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", t) for t in ng.instance_types):
        refuse("instance_types", "needs one or more EC2 instance types", "e.g. ('m6i.large',)")
    if ng.capacity_type not in ("ON_DEMAND", "SPOT"):
        refuse("capacity_type", "ON_DEMAND or SPOT", "'ON_DEMAND'")
    if not (0 <= ng.min_size <= ng.desired_size <= ng.max_size and ng.max_size >= 1):
        refuse("desired_size", f"needs 0 <= min_size ({ng.min_size}) <= desired_size <= max_size ({ng.max_size}), max_size >= 1", "raise max_size or lower min_size")
    if not 20 <= ng.disk_size_gb <= 16384:
        refuse("disk_size_gb", "a root volume of 20 to 16384 GiB", "50")
    for t in ng.taints:
        if t.effect not in TAINT_EFFECTS:
            refuse("taints", f"taint effect '{t.effect}' is none of {', '.join(TAINT_EFFECTS)}", "use EKS's spelling, e.g. NO_SCHEDULE", t)
    if ng.release_version is not None and not ng.release_version.startswith(f"{version}."):
        refuse("release_version", f"not an AMI release of Kubernetes {version} (EKS refuses it)", f"a {version}.<patch>-<date> release, or None for the latest")


def check_cluster_props(p: ClusterProps, construct: str) -> None:
    """Every value EKS, IAM or the security floor would refuse, with the fix."""
    refuse = _refuser(p, construct)
    if not isinstance(p.network, ClusterNetworkSource) or not p.network.private_subnet_ids:
        refuse("network", "needs a VPC and its private subnets", "pass network=Network(...) or ExistingNetwork(vpc_id=..., vpc_cidr=..., private_subnet_ids=(...))")
    if p.name is not None and (not _NAME.match(p.name) or len(p.name) > 40):
        refuse("name", "names IAM roles and KMS aliases: lowercase letters, digits and single hyphens, at most 40", "e.g. 'acme-dev'")
    try:
        eks_addon_versions(p.version)
    except ValueError as e:
        refuse("version", str(e), "a Kubernetes version listed in constructs_lib/data/eks_addons.yaml")
    if isinstance(p.admin_principal_arns, str) or not p.admin_principal_arns:
        refuse("admin_principal_arns", "nobody would administer the cluster (the creator gets no admin rights)", "pass the IAM role ARNs of your platform admins")
    try:
        check_principal_arns(list(p.admin_principal_arns), "EKS takes one access entry per principal")
    except FieldValueError as e:
        refuse("admin_principal_arns", e.message, e.hint or "IAM role ARNs, each once")
    _check_api_access(p, refuse)
    _check_node_groups(p, refuse, construct)
    if isinstance(p.log_types, str) or set(p.log_types) - set(LOG_TYPES):
        refuse("log_types", f"log types are {', '.join(LOG_TYPES)}", "a tuple of those")
    if p.log_retention_days not in LOG_RETENTION_DAYS:
        refuse("log_retention_days", "not a retention CloudWatch Logs accepts", f"one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    _check_irsa_roles(p, refuse)


def _check_api_access(p: ClusterProps, refuse: _Refuse) -> None:
    """The public endpoint's internet ranges and the private endpoint's sources: some must reach the
    API, and no more than one security group holds."""
    if isinstance(p.public_access_cidrs, str):
        refuse("public_access_cidrs", "a tuple of ranges, not one string", f"({p.public_access_cidrs!r},)")
    if p.public_access_cidrs:
        try:
            check_public_cidrs(list(p.public_access_cidrs))
        except FieldValueError as e:
            refuse("public_access_cidrs", e.message, e.hint or "list your office or VPN ranges")
    for i, cidr in enumerate(p.api_access_cidrs):
        try:
            check_private_cidr(i, cidr)
        except FieldValueError as e:
            refuse("api_access_cidrs", e.message, e.hint or "list private ranges")
    for group in p.api_access_security_groups:
        if isinstance(group, str) and not SECURITY_GROUP_ID.fullmatch(group):
            refuse("api_access_security_groups", f"'{group}' is not a security group id", "sg- and 8 or 17 lowercase hex digits, or a construct with a security group")
        if not isinstance(group, (str, SecurityGroupSource)):
            refuse("api_access_security_groups", f"{group!r} has no security group", "pass 'sg-...' or a construct with a security group")
    sources = int(p.api_access_vpc) + len(p.api_access_cidrs) + len(p.api_access_security_groups)
    if not p.public_access_cidrs and sources == 0:
        refuse("api_access_vpc", "the API endpoint is private and nothing may reach it but the nodes: kubectl and pulumi would time out", "api_access_vpc=True, api_access_cidrs or api_access_security_groups, or public_access_cidrs", False)
    if sources > API_ACCESS_RULES_MAX:
        refuse("api_access_cidrs", f"{sources} sources, one rule each: over the {API_ACCESS_RULES_MAX} a security group holds", "merge adjacent ranges")


def _check_node_groups(p: ClusterProps, refuse: _Refuse, construct: str) -> None:
    """At least one node group, each valid and named once; the system groups among them."""
    if not p.node_groups:
        refuse("node_groups", "a cluster without nodes runs none of its add-ons", "pass at least one NodeGroup")
    for ng in p.node_groups:
        check_node_group(ng, p.version, construct)
    if len({ng.name for ng in p.node_groups}) != len(p.node_groups):
        refuse("node_groups", "two node groups share a name", "name each group once")
    if p.system is not None and set(p.system.node_groups) - {ng.name for ng in p.node_groups}:
        refuse("system", f"names node groups {sorted(set(p.system.node_groups) - {ng.name for ng in p.node_groups})} the cluster does not have", "name the cluster's own groups")


def _check_irsa_roles(p: ClusterProps, refuse: _Refuse) -> None:
    """A managed add-on whose policy needs the plan's inputs must have its role given; every role has a policy."""
    components = {r.component for r in p.irsa_roles}
    for name in eks_addon_versions(p.version):
        registered = EKS_ADDONS.get(name)
        if registered and registered.irsa and registered.irsa.statements is not None and registered.irsa.component not in components:
            refuse("irsa_roles", f"the managed add-on {name} needs the IRSA role of {registered.irsa.component}", f"add an IrsaRole for {registered.irsa.component} (resolve.cluster.irsa_role)")
    for r in p.irsa_roles:
        if not (r.statements or r.managed_policies):
            refuse("irsa_roles", f"IRSA role {r.role_name} has no policy", "its add-on must declare statements or managed policies", r.role_name)


class Cluster(Construct):
    """An EKS cluster on a network: ``Cluster(stack, "eks", network=net, admin_principal_arns=(...,))``,
    or ``Cluster(stack, "eks", props)``. See :class:`ClusterProps`; a Database takes it as a client."""

    def __init__(self, scope: Construct, id: str, props: ClusterProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "Cluster")
        p = props_from(ClusterProps, props, kwargs, where)
        check_cluster_props(p, where)
        super().__init__(scope, id)
        self._where = where  # its path and id, known in Python (asking node.path is two jsii round trips)
        account_id, region = account_and_region(self, where, p.account_id, p.region)
        name = p.name or id
        if p.name is None and (not _NAME.match(name) or len(name) > 40):
            raise ConstructPropsError(where, "name", None, f"the construct id '{id}' is the default name, and it is not lowercase letters, digits and single hyphens", "pass name='...'")
        self.props, self.name, self.account_id, self.region = p, name, account_id, region
        self.secrets_region = p.secrets_region or region
        if hasattr(p.network, "add_cluster"):
            p.network.add_cluster(name)  # the load balancer controllers find the subnets by this tag
        subnet_ids = list(p.network.private_subnet_ids)
        self.kms = EncryptionKey(self, "kms", alias=names.eks_secrets_key_alias(name), description=f"EKS secrets envelope encryption for {name}", account_id=account_id)
        log_group = EncryptedLogGroup(
            self,
            "control_plane_logs",
            name=names.eks_log_group(name),
            retention_days=p.log_retention_days,
            key_alias=names.eks_logs_key_alias(name),
            description=f"EKS control-plane logs of {name}",
            account_id=account_id,
            region=region,
            adopt_existing=True,  # EKS re-creates it with late logs when a destroy deleted it: a rebuild adopts it
        )
        cluster_role, role_policies = self._cluster_role()
        self.api_access = self._api_access(name, p)
        self.eks = self._control_plane(cluster_role, subnet_ids, depends_on=[log_group.group, *role_policies])
        self.name_ref = self.eks.ref("name")
        self.issuer = self.eks.ref("identity[0].oidc[0].issuer")
        self.cluster_security_group_id = self.eks.ref("vpc_config[0].cluster_security_group_id")

        # IRSA: the cluster's OIDC issuer as an IAM identity provider.
        self.oidc = iam.IamOpenidConnectProvider(self, "oidc", url=self.issuer, client_id_list=[names.service_principal("sts")], tags={"Name": f"{name}-irsa"})
        self.irsa_roles: dict[str, iam.IamRole] = {r.component: self._irsa_role(r) for r in (*p.irsa_roles, *self._managed_addon_roles(p, name, account_id))}
        self.secret_store_roles = self._secret_store_roles(p)

        self.node_groups = self._node_groups(subnet_ids)
        self.addons: dict[str, eks.EksAddon] = {}
        """The EKS managed add-ons, by name: the constructor's and those of :meth:`add_addon`."""
        self._managed_addons()
        self._admin_access()
        self.tenant_roles: dict[tuple[str, str], iam.IamRole] = {}
        for access in p.tenant_access:
            self._tenant_access(access)

    def _cluster_role(self) -> tuple[iam.IamRole, list[Any]]:
        """The control plane's role and the policies it needs before the cluster is created."""
        name = self.name
        role = iam.IamRole(self, "cluster_role", name=names.cluster_role(name), assume_role_policy=policy.assume_by_service(names.service_principal("eks")), tags={"Name": names.cluster_role(name)})
        attach = iam.IamRolePolicyAttachment(self, "cluster_policy", role=role.ref("name"), policy_arn=f"{policy.AWS_MANAGED}/AmazonEKSClusterPolicy")
        # The managed policy has no rights on our key: envelope encryption needs these.
        key_policy = iam.IamRolePolicy(
            self,
            "cluster_kms",
            name="envelope-encryption",
            role=role.id_ref,
            policy=policy.document(policy.allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants", "kms:CreateGrant"], [self.kms.arn], sid="SecretsEnvelopeEncryption")),
        )
        return role, [attach, key_policy]

    def _control_plane(self, role: iam.IamRole, subnet_ids: list[str], depends_on: list[Any]) -> eks.EksCluster:
        """The EKS cluster: Secrets encrypted with our key, API authentication only, a private endpoint
        (public only for ``public_access_cidrs``), every chosen log type."""
        p = self.props
        public = bool(p.public_access_cidrs)
        vpc_config = {
            "subnet_ids": subnet_ids,
            # Ours, beside the EKS-managed cluster security group (which also guards the nodes): it
            # admits the api_access sources to the private endpoint only. Always attached, so adding
            # or removing a source changes rules, never the cluster.
            "security_group_ids": [self.api_access.id_ref],
            "endpoint_private_access": True,
            "endpoint_public_access": public,
            "public_access_cidrs": list(p.public_access_cidrs) if public else None,
        }
        return eks.EksCluster(
            self,
            "eks",
            name=self.name,
            version=p.version,
            role_arn=role.arn,
            vpc_config=[vpc_config],
            encryption_config=[{"provider": [{"key_arn": self.kms.arn}], "resources": ["secrets"]}],
            enabled_cluster_log_types=list(p.log_types),
            access_config=[{"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}],
            # STANDARD, written rather than left to AWS's default (EXTENDED): at the end of
            # standard support AWS upgrades the control plane to the next version instead of
            # billing extended support per cluster hour; the node groups follow, as their
            # version is the cluster's. validate warns before that, on a version in extended support.
            upgrade_policy=[{"support_type": "STANDARD"}],
            tags={"Name": self.name},
            depends_on=depends_on,
        )

    def _node_groups(self, subnet_ids: list[str]) -> list[eks.EksNodeGroup]:
        """The node role with the policies nodes need, and each node group on its launch template."""
        name = self.name
        node_role = iam.IamRole(self, "node_role", name=names.node_role(name), assume_role_policy=policy.assume_by_service(names.service_principal("ec2")), tags={"Name": names.node_role(name)})
        attachments = [
            iam.IamRolePolicyAttachment(self, f"node_{policy_name}", role=node_role.ref("name"), policy_arn=f"{policy.AWS_MANAGED}/{policy_name}") for policy_name in NODE_POLICIES
        ]
        return [self._node_group(ng, self._launch_template(ng), node_role, subnet_ids, attachments) for ng in self.props.node_groups]

    def _launch_template(self, ng: NodeGroup) -> eks.LaunchTemplate:
        """The floor of every node: IMDSv2 only with a hop limit of 1 (pods, on IRSA, cannot reach the
        node's credentials) and an encrypted gp3 root volume. No image_id: EKS picks the AMI."""
        tag = f"{self.name}-{ng.name}"
        return eks.LaunchTemplate(
            self,
            f"lt_{ng.name}",
            name=names.node_launch_template(self.name, ng.name),
            description=f"Nodes of {self.name}/{ng.name}: IMDSv2 only (hop limit 1), encrypted gp3 root volume",
            update_default_version=True,
            metadata_options=[{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1, "instance_metadata_tags": "disabled"}],
            block_device_mappings=[
                {"device_name": "/dev/xvda", "ebs": [{"volume_size": ng.disk_size_gb, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"}]}
            ],
            tag_specifications=[{"resource_type": "instance", "tags": {"Name": tag}}, {"resource_type": "volume", "tags": {"Name": tag}}],
            tags={"Name": tag},
        )

    def _node_group(self, ng: NodeGroup, lt: eks.LaunchTemplate, node_role: iam.IamRole, subnet_ids: list[str], attachments: list[Any]) -> eks.EksNodeGroup:
        return eks.EksNodeGroup(
            self,
            f"ng_{ng.name}",
            cluster_name=self.name_ref,
            node_group_name=ng.name,
            # The cluster's version: raising the version upgrades the control plane, then
            # the nodes (allowed: the launch template sets no image_id).
            version=self.eks.ref("version"),
            release_version=ng.release_version,
            node_role_arn=node_role.arn,
            subnet_ids=subnet_ids,
            instance_types=list(ng.instance_types),
            capacity_type=ng.capacity_type,
            scaling_config=[{"min_size": ng.min_size, "max_size": ng.max_size, "desired_size": ng.desired_size}],
            update_config=[{"max_unavailable": 1}],
            launch_template=[{"id": lt.id_ref, "version": lt.ref("latest_version")}],
            labels=dict(ng.labels) or None,
            taint=[{"key": t.key, "value": t.value or None, "effect": t.effect} for t in ng.taints] or None,
            tags={"Name": f"{self.name}-{ng.name}"},
            depends_on=attachments,
            # Whoever scales the group (an autoscaler, an operator) owns the size after creation; a re-apply never resets it.
            lifecycle=cdktf.TerraformResourceLifecycle(ignore_changes=["scaling_config[0].desired_size"]),
        )

    def _managed_addons(self) -> None:
        """The EKS managed add-ons every cluster gets (:func:`managed_addon_defaults`), pinned where
        data/eks_addons.yaml has the version AWS publishes for the cluster's Kubernetes version,
        otherwise at the version EKS marks default for it (:meth:`add_addon`'s default); the registry's
        IRSA role and configuration where it has them (``constructs_lib/addons/``)."""
        p = self.props
        for addon, version in eks_addon_versions(p.version).items():
            registered = EKS_ADDONS.get(addon)
            irsa = registered.irsa if registered else None
            self.add_addon(
                addon,
                version=version,
                service_account_role=self.irsa_roles[irsa.component] if irsa else None,
                configuration=registered.configuration_for(p.system) if registered else None,
                after_node_groups=addon not in NODE_AGENTS,
            )

    def add_addon(
        self,
        name: str,
        *,
        version: str | None = None,
        service_account_role: iam.IamRole | str | None = None,
        configuration: Mapping[str, Any] | None = None,
        after_node_groups: bool = True,
    ) -> eks.EksAddon:
        """An EKS managed add-on on this cluster (aws-cdk's ``eks.Addon``); returns its ``aws_eks_addon``.

        - ``name``: the add-on as ``aws eks describe-addon-versions`` lists it (``metrics-server``,
          ``eks-pod-identity-agent``, a marketplace ``<vendor>_<product>``), once per cluster. The
          cluster already has vpc-cni, coredns, kube-proxy and aws-ebs-csi-driver.
        - ``version``: ``v<major>.<minor>.<patch>-eksbuild.<n>``, one DescribeAddonVersions lists for the
          cluster's Kubernetes version. @default the version EKS marks default for the cluster's
          Kubernetes version (``data.aws_eks_addon_version``, ``most_recent = false``, read at plan
          time): raising the cluster's version upgrades the add-on with it, where an add-on without a
          version would stay at the one installed first.
        - ``service_account_role``: the IAM role (an ``IamRole``, e.g. from ``cluster.irsa_roles``, or
          its ARN) the add-on's service account assumes through the cluster's OIDC provider.
          @default none: the add-on gets the node role's rights.
        - ``configuration``: its ``configuration_values`` in that add-on version's own schema
          (``aws eks describe-addon-configuration``), a mapping the construct writes as JSON.
          @default none: the add-on's own defaults.
        - ``after_node_groups``: created once the node groups exist, as an add-on with a Deployment
          only becomes ACTIVE when nodes run its pods. @default True; False for node agents (the
          DaemonSets nodes need to become Ready, such as vpc-cni and kube-proxy).

        Not arguments: a self-managed copy of the add-on is overwritten on create (EKS bootstraps
        some), and changes made in the cluster are preserved on update."""
        where = f"{self._where} add-on {name!r}"
        config = self._check_addon(where, name, version, service_account_role, configuration, after_node_groups)
        key = name.replace("-", "_")
        if version is None:
            published = eks.DataEksAddonVersion(self, f"addon_{key}_default", addon_name=name, kubernetes_version=self.props.version, most_recent=False)
            version = published.ref("version")
        role = service_account_role.arn if isinstance(service_account_role, iam.IamRole) else service_account_role
        addon = eks.EksAddon(
            self,
            f"addon_{key}",
            cluster_name=self.name_ref,
            addon_name=name,
            addon_version=version,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            service_account_role_arn=role,
            configuration_values=json.dumps(config, sort_keys=True, allow_nan=False) if config else None,
            tags={"Name": f"{self.name}-{name}"},
            depends_on=self.node_groups if after_node_groups else None,
        )
        self.addons[name] = addon
        return addon

    def _check_addon(self, where: str, name: str, version: Any, role: Any, configuration: Any, after_node_groups: Any) -> dict[str, Any] | None:
        """What EKS would refuse of :meth:`add_addon`'s arguments, with the fix; the configuration as a dict."""
        if not isinstance(name, str) or not ADDON_NAME.fullmatch(name):
            raise ConstructPropsError(where, "name", name, "not an EKS add-on name (lowercase words joined by - or _)", "a name aws eks describe-addon-versions lists, e.g. 'metrics-server'")
        if name in self.addons:
            raise ConstructPropsError(where, "name", name, "the cluster already has this add-on (EKS installs each once per cluster)", "add it once; the constructor adds " + ", ".join(eks_addon_versions(self.props.version)))
        taken = next((other for other in self.addons if other.replace("-", "_") == name.replace("-", "_")), None)
        if taken is not None:
            raise ConstructPropsError(where, "name", name, f"its construct id addon_{name.replace('-', '_')} is that of add-on {taken!r}", "check the add-on's name")
        if version is not None and not (isinstance(version, str) and (cdktf.Token.is_unresolved(version) or ADDON_VERSION.fullmatch(version))):
            raise ConstructPropsError(where, "version", version, "not an EKS add-on version (EKS takes an exact one, never a range or 'latest')", "e.g. 'v1.2.3-eksbuild.1' from aws eks describe-addon-versions, or None for EKS's default")
        if role is not None and not isinstance(role, iam.IamRole) and not (isinstance(role, str) and (cdktf.Token.is_unresolved(role) or ROLE_ARN.fullmatch(role))):
            raise ConstructPropsError(where, "service_account_role", role, f"not an IAM role (arn:{names.PARTITION}:iam::<account>:role/<name>)", "pass an IamRole such as cluster.irsa_roles[...] or its ARN")
        if configuration is not None and (not isinstance(configuration, Mapping) or not all(isinstance(k, str) for k in configuration)):
            raise ConstructPropsError(where, "configuration", configuration, "not a mapping of configuration values (the construct writes the JSON)", "pass a dict in the add-on version's schema, e.g. {'replicaCount': 2}")
        try:
            config = json.loads(json.dumps(configuration, allow_nan=False)) if configuration else None
        except (TypeError, ValueError) as e:
            raise ConstructPropsError(where, "configuration", configuration, f"not JSON ({e})", "use strings, numbers, booleans, lists and dicts only") from None
        if not isinstance(after_node_groups, bool):
            raise ConstructPropsError(where, "after_node_groups", after_node_groups, "not a bool", "True, or False for a node agent")
        return config

    def _admin_access(self) -> None:
        """Platform admins: an access entry each with AmazonEKSClusterAdminPolicy, cluster-wide."""
        for i, arn in enumerate(self.props.admin_principal_arns):
            entry = eks.EksAccessEntry(self, f"admin_{i}", cluster_name=self.name_ref, principal_arn=arn, type="STANDARD", tags={"Name": f"{self.name}-admin-{i}"})
            eks.EksAccessPolicyAssociation(
                self, f"admin_{i}_policy", cluster_name=self.name_ref, principal_arn=arn, policy_arn=EKS_ADMIN_POLICY, access_scope=[{"type": "cluster"}], depends_on=[entry]
            )

    def _tenant_access(self, access: TenantAccess) -> None:
        """Per kind (admins, developers, viewers) with groups: a role for the tenant's principals and an
        access entry carrying only its Kubernetes groups. No EKS access policy: the GitOps tree's
        namespaced Roles decide what each group may do. AmazonEKSEditPolicy would let developers change
        NetworkPolicies and AmazonEKSAdminPolicy would let admins write RBAC, both of which the tenant
        Roles leave out."""
        for kind, groups in (("admins", access.admin_groups), ("developers", access.developer_groups), ("viewers", access.viewer_groups)):
            if not groups:
                continue
            role_name = names.tenant_role(self.name, access.tenant, kind)
            # The principals the plan names (validate requires them, in this account), or the
            # account root only where the plan says access_trust: account.
            principals = [names.account_root_arn(self.account_id)] if access.trust_account else sorted(access.principals_of(kind))
            assert principals, f"validate requires access_principals.{kind} of tenant {access.tenant}"
            trust = policy.document({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
            role = iam.IamRole(self, f"tenant_{access.tenant}_{kind}", name=role_name, assume_role_policy=trust, tags={"Name": role_name, "infraplan:tenant": access.tenant})
            self.tenant_roles[(access.tenant, kind)] = role
            eks.EksAccessEntry(
                self,
                f"tenant_{access.tenant}_{kind}_entry",
                cluster_name=self.name_ref,
                principal_arn=role.arn,
                type="STANDARD",
                kubernetes_groups=sorted(groups),
                tags={"Name": role_name},
            )

    # A Cluster as a client of another construct (props.SecurityGroupSource): its nodes use the
    # EKS cluster security group, so admitting that group admits the nodes.
    @property
    def security_group_id(self) -> str:
        return self.cluster_security_group_id

    @property
    def peer_key(self) -> str:
        return self._where.id.replace("-", "_").lower()

    @property
    def peer_description(self) -> str:
        return "the EKS nodes"

    def _api_access(self, cluster: str, p: ClusterProps) -> vpc.SecurityGroup:
        """The security group on the control plane's interfaces with one TCP 443 rule per
        api_access source; no egress rule (the managed group has it; replies are stateful)."""
        name = names.cluster_api_access_security_group(cluster)
        group = vpc.SecurityGroup(
            self, "api_access", name=name, description=f"Private Kubernetes API of {cluster}: sources of cluster.api_access", vpc_id=p.network.vpc_id, tags={"Name": name}
        )
        sources = [("cidr_ipv4", p.network.vpc_cidr, "vpc", "the VPC")] if p.api_access_vpc else []
        sources += [("cidr_ipv4", cidr, cidr.replace(".", "_").replace("/", "_"), cidr) for cidr in p.api_access_cidrs]
        for sg in p.api_access_security_groups:
            if isinstance(sg, str):
                sources.append(("referenced_security_group_id", sg, sg.replace("-", "_"), sg))
            else:
                sources.append(("referenced_security_group_id", sg.security_group_id, sg.peer_key, sg.peer_key.replace("_", "-")))
        for attribute, source, key, label in sources:
            vpc.SecurityGroupIngressRule(
                self,
                f"api_access_{key}",
                security_group_id=group.id_ref,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description=f"Kubernetes API from {label}",
                tags={"Name": f"{name}-{label.replace('/', '-').replace(' ', '-')}"},
                **{attribute: source},
            )
        return group

    def web_identity_trust(self, id: str, namespace: str, service_account: str) -> str:
        """A trust policy admitting one Kubernetes service account of this cluster, and nothing else."""
        # The trust policy names the issuer without its scheme; Terraform computes it, so the
        # document is built by the aws_iam_policy_document data source, not as a JSON string.
        # One Fn.replace per cluster (a jsii call each): every copy of the token resolves alike.
        if "_issuer_host" not in self.__dict__:
            self._issuer_host = cdktf.Fn.replace(self.issuer, "https://", "")
        issuer_host = self._issuer_host
        return iam.DataIamPolicyDocument(
            self,
            id,
            statement=[
                {
                    "effect": "Allow",
                    "actions": ["sts:AssumeRoleWithWebIdentity"],
                    "principals": [{"type": "Federated", "identifiers": [self.oidc.arn]}],
                    "condition": [
                        {"test": "StringEquals", "variable": f"{issuer_host}:sub", "values": [f"system:serviceaccount:{namespace}:{service_account}"]},
                        {"test": "StringEquals", "variable": f"{issuer_host}:aud", "values": [names.service_principal("sts")]},
                    ],
                }
            ],
        ).ref("json")

    def _zone_resources(self, resources: tuple[str, ...]) -> list[str]:
        """The resources with the marker of a zone Terraform creates replaced by its id (a reference)."""
        dns, zone_id = self.props.dns, self.props.hosted_zone_id
        if dns is None or not dns.managed:
            return list(resources)
        marker = names.managed_zone_marker(dns.domain)
        if any(marker in r for r in resources) and zone_id is None:
            raise ConstructPropsError(self._where, "hosted_zone_id", None, f"a policy names the zone of {dns.domain}, which Terraform creates", "pass hosted_zone_id=<the zone's id reference>")
        return [r.replace(marker, zone_id) if marker in r else r for r in resources]

    @staticmethod
    def _managed_addon_roles(p: ClusterProps, cluster: str, account_id: str) -> list[IrsaRole]:
        """The IRSA roles of the EKS managed add-ons that ``irsa_roles`` leaves out, where the add-on's
        rights are AWS managed policies alone (aws-ebs-csi-driver): a Cluster without a plan still
        gets working volumes. One whose policy needs the plan's inputs is refused in the constructor."""
        given = {r.component for r in p.irsa_roles}
        out = []
        for addon in eks_addon_versions(p.version):
            registered = EKS_ADDONS.get(addon)
            spec = registered.irsa if registered else None
            if spec is not None and spec.component not in given and spec.statements is None:
                out.append(replace(irsa_role(account_id, cluster, spec), managed_policies=spec.managed_policies))
        return out

    def _irsa_role(self, r: IrsaRole) -> iam.IamRole:
        key = r.component.replace("-", "_")
        trust = self.web_identity_trust(f"irsa_{key}_trust", r.namespace, r.service_account)
        role = iam.IamRole(self, f"irsa_{key}", name=r.role_name, assume_role_policy=trust, tags={"Name": r.role_name})
        # The rights the add-on registry declares: AWS managed policies, or an inline least-privilege policy (checked in the constructor).
        for i, arn in enumerate(r.managed_policies):
            iam.IamRolePolicyAttachment(self, f"irsa_{key}_managed" + (f"_{i}" if i else ""), role=role.ref("name"), policy_arn=arn)
        if r.statements:
            doc = policy.document(*(policy.allow(list(st.actions), self._zone_resources(st.resources), sid=st.sid, condition=_condition(st.conditions)) for st in r.statements))
            iam.IamRolePolicy(self, f"irsa_{key}_policy", name=f"{r.component}-least-privilege", role=role.id_ref, policy=doc)
        return role

    def _store_role(self, key: str, role_name: str, namespace: str, service_account: str, resource: str, policy_name: str, sid: str, tags: dict[str, str]) -> iam.IamRole:
        """One ClusterSecretStore's role: trusted by the store's own service account alone, reading ``resource`` only."""
        trust = self.web_identity_trust(f"secrets_{key}_trust", namespace, service_account)
        role = iam.IamRole(self, f"secrets_{key}", name=role_name, assume_role_policy=trust, tags={"Name": role_name, **tags})
        iam.IamRolePolicy(self, f"secrets_{key}_policy", name=policy_name, role=role.id_ref, policy=policy.document(policy.allow(list(SECRETS_READ), [resource], sid=sid)))
        return role

    def _secret_arn(self, path: str) -> str:
        """Secrets live in the environment's primary region, whichever region the cluster is in."""
        return names.arn("secretsmanager", self.secrets_region, self.account_id, f"secret:{path}/*")

    def _secret_store_roles(self, p: ClusterProps) -> dict[str, iam.IamRole]:
        """The roles of the ClusterSecretStores (tenant name, or the platform store's, Grafana's or
        ArgoCD SSO's store name -> role): each trusts its store's own service account alone and reads
        only its path (Grafana's and ArgoCD SSO's: their one secret). The database admin's is in the database construct."""
        roles = {}
        for r in p.tenant_secrets_roles:
            roles[r.tenant] = self._store_role(
                r.tenant, r.role_name, r.namespace, r.service_account, self._secret_arn(r.secrets_path), "read-tenant-secrets", "ReadTenantSecrets", {"infraplan:tenant": r.tenant}
            )
        ps = p.platform_secrets_role
        if ps is not None:
            roles[names.PLATFORM_SECRET_STORE] = self._store_role(
                "platform", ps.role_name, ps.namespace, ps.service_account, self._secret_arn(ps.secrets_path), "read-platform-secrets", "ReadPlatformSecrets", {}
            )
        # Grafana's admin password and ArgoCD's SSO client secret (created by hand): one secret each,
        # its name and the hyphen and 6 characters Secrets Manager appends in its ARN.
        g = p.grafana_admin
        if g is not None:
            exact = names.arn("secretsmanager", g.region, self.account_id, f"secret:{g.secret_name}-??????")
            roles[names.GRAFANA_ADMIN_STORE] = self._store_role("grafana_admin", g.role_name, g.namespace, g.service_account, exact, "read-grafana-admin", "ReadGrafanaAdmin", {})
        a = p.argocd_sso
        if a is not None:
            exact = names.arn("secretsmanager", a.region, self.account_id, f"secret:{a.secret_name}-??????")
            roles[names.ARGOCD_SSO_STORE] = self._store_role("argocd_sso", a.role_name, a.namespace, a.service_account, exact, "read-argocd-sso", "ReadArgocdSso", {})
        return roles
