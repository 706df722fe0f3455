"""The Cluster construct: EKS with envelope encryption, private API, access
entries, managed node groups on IMDSv2 launch templates, OIDC for IRSA,
pinned managed add-ons and least-privilege IRSA roles."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .engine import cdktf
from constructs import Construct

from ..addons import EKS_ADDONS
from ..addons.external_secrets import SECRETS_READ
from ..resolve import names
from ..resolve.cluster import eks_addon_versions
from ..resolve.model import IrsaRole, ResolvedCluster
from . import policy
from .aws import eks, iam, vpc
from .kms_key import EncryptionKey
from .log_group import EncryptedLogGroup

EKS_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore")



def _condition(conditions: tuple[tuple[str, str, tuple[str, ...]], ...]) -> dict | None:
    """An IAM Condition block from a statement's (operator, key, values) triples."""
    out: dict[str, dict[str, list[str] | str]] = {}
    for operator, key, values in conditions:
        out.setdefault(operator, {})[key] = list(values) if len(values) > 1 else values[0]
    return out or None


def _secret_arn(props: "ClusterProps", path: str) -> str:
    """Secrets live in the environment's primary region, whichever region the cluster is in."""
    return f"arn:aws:secretsmanager:{props.cluster.secrets_region}:{props.account_id}:secret:{path}/*"


@dataclass(frozen=True)
class ClusterProps:
    cluster: ResolvedCluster
    account_id: str
    region: str
    subnet_ids: list[str]
    vpc_id: str
    vpc_cidr: str  # a reference to the VPC's CIDR block (cluster.api_access.vpc)
    hosted_zone_id: str | None = None  # the environment's zone: its id, or a reference to the zone Terraform creates


class Cluster(Construct):
    def __init__(self, scope: Construct, id: str, props: ClusterProps):
        super().__init__(scope, id)
        c = props.cluster
        self.kms = EncryptionKey(self, "kms", alias=names.eks_secrets_key_alias(c.name), description=f"EKS secrets envelope encryption for {c.name}", account_id=props.account_id)
        log_group = EncryptedLogGroup(
            self,
            "control_plane_logs",
            name=names.eks_log_group(c.name),
            retention_days=c.log_retention_days,
            key_alias=names.eks_logs_key_alias(c.name),
            description=f"EKS control-plane logs of {c.name}",
            account_id=props.account_id,
            region=props.region,
            adopt_existing=True,  # EKS re-creates it with late logs when a destroy deleted it: a rebuild adopts it
        )

        cluster_role = iam.IamRole(self, "cluster_role", name=names.cluster_role(c.name), assume_role_policy=policy.assume_by_service("eks.amazonaws.com"), tags={"Name": names.cluster_role(c.name)})
        cluster_attach = iam.IamRolePolicyAttachment(self, "cluster_policy", role=cluster_role.ref("name"), policy_arn=f"{policy.AWS_MANAGED}/AmazonEKSClusterPolicy")
        # The managed policy has no rights on our key: envelope encryption needs these.
        cluster_kms = iam.IamRolePolicy(
            self,
            "cluster_kms",
            name="envelope-encryption",
            role=cluster_role.id_ref,
            policy=policy.document(policy.allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants", "kms:CreateGrant"], [self.kms.arn], sid="SecretsEnvelopeEncryption")),
        )

        self.api_access = self._api_access(c, props)
        vpc_config = {
            "subnet_ids": props.subnet_ids,
            # Ours, beside the EKS-managed cluster security group (which also guards the nodes): it
            # admits cluster.api_access to the private endpoint only. Always attached, so adding
            # or removing a source changes rules, never the cluster.
            "security_group_ids": [self.api_access.id_ref],
            "endpoint_private_access": True,
            "endpoint_public_access": c.endpoint_public_access,
            "public_access_cidrs": list(c.public_access_cidrs) if c.endpoint_public_access else None,
        }
        self.eks = eks.EksCluster(
            self,
            "eks",
            name=c.name,
            version=c.version,
            role_arn=cluster_role.arn,
            vpc_config=[vpc_config],
            encryption_config=[{"provider": [{"key_arn": self.kms.arn}], "resources": ["secrets"]}],
            enabled_cluster_log_types=list(c.log_types),
            access_config=[{"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}],
            # STANDARD, written rather than left to AWS's default (EXTENDED): at the end of
            # standard support AWS upgrades the control plane to the next version instead of
            # billing extended support per cluster hour; the node groups follow, as their
            # version is the cluster's. validate warns before that, on a version in extended support.
            upgrade_policy=[{"support_type": "STANDARD"}],
            tags={"Name": c.name},
            depends_on=[log_group.group, cluster_attach, cluster_kms],
        )
        self.name_ref = self.eks.ref("name")
        self.issuer = self.eks.ref("identity[0].oidc[0].issuer")
        self.cluster_security_group_id = self.eks.ref("vpc_config[0].cluster_security_group_id")

        # IRSA: the cluster's OIDC issuer as an IAM identity provider.
        self.oidc = iam.IamOpenidConnectProvider(self, "oidc", url=self.issuer, client_id_list=["sts.amazonaws.com"], tags={"Name": f"{c.name}-irsa"})
        self.irsa_roles: dict[str, iam.IamRole] = {r.component: self._irsa_role(r, props) for r in c.irsa_roles}
        self.secret_store_roles = self._secret_store_roles(c, props)

        # Nodes.
        node_role = iam.IamRole(self, "node_role", name=names.node_role(c.name), assume_role_policy=policy.assume_by_service("ec2.amazonaws.com"), tags={"Name": names.node_role(c.name)})
        node_attachments = [
            iam.IamRolePolicyAttachment(self, f"node_{name}", role=node_role.ref("name"), policy_arn=f"{policy.AWS_MANAGED}/{name}") for name in NODE_POLICIES
        ]
        self.node_groups = []
        for ng in c.node_groups:
            lt = eks.LaunchTemplate(
                self,
                f"lt_{ng.name}",
                name=names.node_launch_template(c.name, ng.name),
                description=f"Nodes of {c.name}/{ng.name}: IMDSv2 only (hop limit 1), encrypted gp3 root volume",
                update_default_version=True,
                # IMDSv2 only, and a hop limit of 1: pods (on IRSA) cannot reach the node's credentials.
                metadata_options=[{"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1, "instance_metadata_tags": "disabled"}],
                block_device_mappings=[
                    {"device_name": "/dev/xvda", "ebs": [{"volume_size": ng.disk_size_gb, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"}]}
                ],
                tag_specifications=[{"resource_type": "instance", "tags": {"Name": f"{c.name}-{ng.name}"}}, {"resource_type": "volume", "tags": {"Name": f"{c.name}-{ng.name}"}}],
                tags={"Name": f"{c.name}-{ng.name}"},
            )
            group = eks.EksNodeGroup(
                self,
                f"ng_{ng.name}",
                cluster_name=self.name_ref,
                node_group_name=ng.name,
                # The cluster's version: raising kubernetes.version upgrades the control plane, then
                # the nodes (allowed: the launch template sets no image_id).
                version=self.eks.ref("version"),
                release_version=ng.release_version,
                node_role_arn=node_role.arn,
                subnet_ids=props.subnet_ids,
                instance_types=list(ng.instance_types),
                capacity_type=ng.capacity_type,
                scaling_config=[{"min_size": ng.min_size, "max_size": ng.max_size, "desired_size": ng.desired_size}],
                update_config=[{"max_unavailable": 1}],
                launch_template=[{"id": lt.id_ref, "version": lt.ref("latest_version")}],
                labels=dict(ng.labels) or None,
                taint=[{"key": t.key, "value": t.value or None, "effect": t.effect} for t in ng.taints] or None,
                tags={"Name": f"{c.name}-{ng.name}"},
                depends_on=node_attachments,
                lifecycle=cdktf.TerraformResourceLifecycle(ignore_changes=["scaling_config[0].desired_size"]),
            )
            self.node_groups.append(group)

        # Managed add-ons, pinned where data/eks_addons.yaml has the version AWS publishes for the
        # cluster's Kubernetes version. Otherwise (None) the version EKS itself marks default for
        # that Kubernetes version (DescribeAddonVersions, read at plan time; most_recent = false, so
        # a newer build alone changes nothing): without a version the add-on would stay at the one
        # installed first, and raising kubernetes.version would upgrade the cluster but not it.
        for name, version in eks_addon_versions(c.version).items():
            registered = EKS_ADDONS.get(name)
            irsa = registered.irsa if registered else None
            key = name.replace("-", "_")
            if version is None:
                published = eks.DataEksAddonVersion(self, f"addon_{key}_default", addon_name=name, kubernetes_version=c.version, most_recent=False)
                version = published.ref("version")
            eks.EksAddon(
                self,
                f"addon_{key}",
                cluster_name=self.name_ref,
                addon_name=name,
                addon_version=version,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                service_account_role_arn=self.irsa_roles[irsa.component].arn if irsa else None,
                configuration_values=json.dumps(config, sort_keys=True) if registered and (config := registered.configuration_for(c.system)) else None,
                tags={"Name": f"{c.name}-{name}"},
                depends_on=self.node_groups if name in ("coredns", "aws-ebs-csi-driver") else None,
            )

        # Access entries: platform admins cluster-wide; tenant groups scoped to their namespaces.
        for i, arn in enumerate(c.admin_principal_arns):
            entry = eks.EksAccessEntry(self, f"admin_{i}", cluster_name=self.name_ref, principal_arn=arn, type="STANDARD", tags={"Name": f"{c.name}-admin-{i}"})
            eks.EksAccessPolicyAssociation(
                self, f"admin_{i}_policy", cluster_name=self.name_ref, principal_arn=arn, policy_arn=EKS_ADMIN_POLICY, access_scope=[{"type": "cluster"}], depends_on=[entry]
            )
        self.tenant_roles: dict[tuple[str, str], iam.IamRole] = {}
        for access in c.tenant_access:
            for kind, groups in (("admins", access.admin_groups), ("developers", access.developer_groups), ("viewers", access.viewer_groups)):
                if not groups:
                    continue
                role_name = names.tenant_role(c.name, access.tenant, kind)
                # The principals the plan names (validate requires them, in this account), or the
                # account root only where the plan says access_trust: account.
                principals = [f"arn:aws:iam::{props.account_id}:root"] if access.trust_account else sorted(access.principals_of(kind))
                assert principals, f"validate requires access_principals.{kind} of tenant {access.tenant}"
                trust = policy.document({"Effect": "Allow", "Principal": {"AWS": principals}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
                role = iam.IamRole(self, f"tenant_{access.tenant}_{kind}", name=role_name, assume_role_policy=trust, tags={"Name": role_name, "infraplan:tenant": access.tenant})
                self.tenant_roles[(access.tenant, kind)] = role
                # Only Kubernetes groups, no EKS access policy: the GitOps tree's namespaced Roles
                # decide what each group may do. AmazonEKSEditPolicy would let developers change
                # NetworkPolicies and AmazonEKSAdminPolicy would let admins write RBAC, both of
                # which the tenant Roles leave out.
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
        return self.node.id.replace("-", "_").lower()

    @property
    def peer_description(self) -> str:
        return "the EKS nodes"

    def _api_access(self, c: ResolvedCluster, props: ClusterProps) -> vpc.SecurityGroup:
        """The security group on the control plane's interfaces with one TCP 443 rule per
        ``cluster.api_access`` source; no egress rule (the managed group has it; replies are stateful)."""
        name = names.cluster_api_access_security_group(c.name)
        group = vpc.SecurityGroup(
            self, "api_access", name=name, description=f"Private Kubernetes API of {c.name}: sources of cluster.api_access", vpc_id=props.vpc_id, tags={"Name": name}
        )
        sources = [("cidr_ipv4", props.vpc_cidr, "vpc")] if c.api_access_vpc else []
        sources += [("cidr_ipv4", cidr, cidr.replace(".", "_").replace("/", "_")) for cidr in c.api_access_cidrs]
        sources += [("referenced_security_group_id", sg, sg.replace("-", "_")) for sg in c.api_access_security_groups]
        for attribute, source, key in sources:
            label = "the VPC" if key == "vpc" else source
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
        issuer_host = cdktf.Fn.replace(self.issuer, "https://", "")
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
                        {"test": "StringEquals", "variable": f"{issuer_host}:aud", "values": ["sts.amazonaws.com"]},
                    ],
                }
            ],
        ).ref("json")

    def _zone_resources(self, resources: tuple[str, ...], props: ClusterProps) -> list[str]:
        """The resources with the marker of a zone Terraform creates replaced by its id (a reference)."""
        dns = props.cluster.dns
        if dns is None or not dns.managed:
            return list(resources)
        marker = names.managed_zone_marker(dns.domain)
        if any(marker in r for r in resources) and props.hosted_zone_id is None:
            raise ValueError(f"{props.cluster.name}: a policy names the zone of {dns.domain}, but no zone reference was given")
        return [r.replace(marker, props.hosted_zone_id) if marker in r else r for r in resources]

    def _irsa_role(self, r: IrsaRole, props: ClusterProps) -> iam.IamRole:
        key = r.component.replace("-", "_")
        trust = self.web_identity_trust(f"irsa_{key}_trust", r.namespace, r.service_account)
        role = iam.IamRole(self, f"irsa_{key}", name=r.role_name, assume_role_policy=trust, tags={"Name": r.role_name})
        # The rights the add-on registry declares: AWS managed policies, or an inline least-privilege policy.
        if not (r.statements or r.managed_policies):
            raise ValueError(f"IRSA role {r.role_name} has no policy: its add-on must declare statements or managed policies")
        for i, arn in enumerate(r.managed_policies):
            iam.IamRolePolicyAttachment(self, f"irsa_{key}_managed" + (f"_{i}" if i else ""), role=role.ref("name"), policy_arn=arn)
        if r.statements:
            doc = policy.document(*(policy.allow(list(st.actions), self._zone_resources(st.resources, props), sid=st.sid, condition=_condition(st.conditions)) for st in r.statements))
            iam.IamRolePolicy(self, f"irsa_{key}_policy", name=f"{r.component}-least-privilege", role=role.id_ref, policy=doc)
        return role

    def _store_role(self, key: str, role_name: str, namespace: str, service_account: str, resource: str, policy_name: str, sid: str, tags: dict[str, str]) -> iam.IamRole:
        """One ClusterSecretStore's role: trusted by the store's own service account alone, reading ``resource`` only."""
        trust = self.web_identity_trust(f"secrets_{key}_trust", namespace, service_account)
        role = iam.IamRole(self, f"secrets_{key}", name=role_name, assume_role_policy=trust, tags={"Name": role_name, **tags})
        iam.IamRolePolicy(self, f"secrets_{key}_policy", name=policy_name, role=role.id_ref, policy=policy.document(policy.allow(list(SECRETS_READ), [resource], sid=sid)))
        return role

    def _secret_store_roles(self, c: ResolvedCluster, props: ClusterProps) -> dict[str, iam.IamRole]:
        """The roles of the ClusterSecretStores (tenant name, or the platform store's, Grafana's or
        ArgoCD SSO's store name -> role): each trusts its store's own service account alone and reads
        only its path (Grafana's and ArgoCD SSO's: their one secret). The database admin's is in the database construct."""
        roles = {}
        for r in c.tenant_secrets_roles:
            roles[r.tenant] = self._store_role(
                r.tenant, r.role_name, r.namespace, r.service_account, _secret_arn(props, r.secrets_path), "read-tenant-secrets", "ReadTenantSecrets", {"infraplan:tenant": r.tenant}
            )
        p = c.platform_secrets_role
        if p is not None:
            roles[names.PLATFORM_SECRET_STORE] = self._store_role(
                "platform", p.role_name, p.namespace, p.service_account, _secret_arn(props, p.secrets_path), "read-platform-secrets", "ReadPlatformSecrets", {}
            )
        # Grafana's admin password and ArgoCD's SSO client secret (created by hand): one secret each,
        # its name and the hyphen and 6 characters Secrets Manager appends in its ARN.
        g = c.grafana_admin
        if g is not None:
            exact = f"arn:aws:secretsmanager:{g.region}:{props.account_id}:secret:{g.secret_name}-??????"
            roles[names.GRAFANA_ADMIN_STORE] = self._store_role("grafana_admin", g.role_name, g.namespace, g.service_account, exact, "read-grafana-admin", "ReadGrafanaAdmin", {})
        a = c.argocd_sso
        if a is not None:
            exact = f"arn:aws:secretsmanager:{a.region}:{props.account_id}:secret:{a.secret_name}-??????"
            roles[names.ARGOCD_SSO_STORE] = self._store_role("argocd_sso", a.role_name, a.namespace, a.service_account, exact, "read-argocd-sso", "ReadArgocdSso", {})
        return roles
