"""Every name infraplan gives to a cloud or Kubernetes object, in one place.

Both renderers (Terraform and Kubernetes/Pulumi) call these, so they never
disagree about a name. Pure functions of plain strings.
"""

from __future__ import annotations

import re

EKS_CLUSTER_NAME_MAX = 100
RDS_IDENTIFIER_MAX = 63
S3_BUCKET_MAX = 63
IAM_ROLE_NAME_MAX = 64



def cluster_name(platform: str, env: str, tenant: str | None = None) -> str:
    return f"{platform}-{env}" if tenant is None else f"{platform}-{env}-{tenant}"


def regional_cluster_name(platform: str, env: str, region: str) -> str:
    """The environment's cluster in a secondary region (multi-region)."""
    return f"{platform}-{env}-{region}"


def regional_key(env: str, region: str) -> str:
    """Folder of a secondary region's cluster in the GitOps tree; also the prefix of its stack."""
    return f"{env}-{region}"


def regional_stack(env: str, region: str) -> str:
    return f"{regional_key(env, region)}-platform"


def cluster_key(env: str, tenant: str | None = None) -> str:
    """The folder of a cluster in the GitOps tree (``kubernetes/<cluster_key>/``)."""
    return env if tenant is None else f"{env}-{tenant}"


MANUAL_BOOTSTRAP_DIR = "bootstrap"  # synth's folder (beside kubernetes/) of the by-hand bootstrap, iac.cluster_bootstrap gitops-only


def manual_bootstrap_readme(key: str) -> str:
    """The steps of a cluster's by-hand bootstrap, relative to the synth output."""
    return f"{MANUAL_BOOTSTRAP_DIR}/{key}/README.md"


def manual_bootstrap_values(key: str) -> str:
    """ArgoCD's Helm values for the by-hand install (the same as the tree's argocd Application's)."""
    return f"{MANUAL_BOOTSTRAP_DIR}/{key}/argocd-values.yaml"


def flow_log_group(network: str) -> str:
    """CloudWatch Logs group of a VPC's flow logs."""
    return f"/aws/vpc/{network}/flow-logs"


# Account-scoped names the Terraform constructs give; `validate` checks them for collisions.


def flow_logs_role(network: str) -> str:
    return f"{network}-flow-logs"


def flow_logs_key_alias(network: str) -> str:
    return f"{network}-flow-logs"


def cluster_role(cluster: str) -> str:
    return f"{cluster}-cluster"


def node_role(cluster: str) -> str:
    return f"{cluster}-nodes"


def node_launch_template(cluster: str, node_group: str) -> str:
    return f"{cluster}-{node_group}"


def eks_secrets_key_alias(cluster: str) -> str:
    return f"{cluster}-eks-secrets"


def eks_logs_key_alias(cluster: str) -> str:
    return f"{cluster}-eks-logs"


def cluster_api_access_security_group(cluster: str) -> str:
    """The security group on the control plane's network interfaces that admits ``cluster.api_access``
    to the private API endpoint (443); unique in its VPC, as EC2 requires."""
    return f"{cluster}-api-access"


def eks_log_group(cluster: str) -> str:
    """The log group EKS itself writes control-plane logs to (its name is fixed by EKS)."""
    return f"/aws/eks/{cluster}/cluster"


def rds_monitoring_role(identifier: str) -> str:
    return f"{identifier}-monitoring"


def rds_key_alias(identifier: str) -> str:
    return f"{identifier}-rds"


def rds_log_group(identifier: str, log_type: str) -> str:
    """The log group RDS exports an instance's log to (its name is fixed by RDS)."""
    return f"/aws/rds/instance/{identifier}/{log_type}"


def rds_logs_key_alias(identifier: str) -> str:
    return f"{identifier}-rds-logs"


def rds_backup_copies_key_alias(identifier: str) -> str:
    """The key of another region's copies of an instance's automated backups (an alias is per region)."""
    return f"{identifier}-rds-backups"


def regional_backups_key_alias(cluster: str) -> str:
    """A secondary region's key for the copies of the primary database's backups, named after its cluster."""
    return f"{cluster}-rds-backups"


def db_parameter_group_prefix(identifier: str, family: str) -> str:
    """``name_prefix`` of an instance's parameter group: Terraform appends a unique suffix, so the
    group of a new major is created before the old one is deleted (create_before_destroy)."""
    return f"{identifier}-{family}-"


def db_final_snapshot_prefix(identifier: str) -> str:
    """The final snapshot is ``<this><the instance's KMS key id>``: a new key with every new
    instance, so a rebuilt environment's second deletion does not collide with the first."""
    return f"{identifier}-final-"


def db_identifier(platform: str, env: str, tenant: str | None = None) -> str:
    base = cluster_name(platform, env, tenant)
    return f"{base}-pg"


def tenant_role(cluster: str, tenant: str, kind: str) -> str:
    """IAM role a tenant's group (admins | developers | viewers) assumes to reach the cluster."""
    return f"{cluster}-{tenant}-{kind}"


def tenant_secrets_role(cluster: str, tenant: str) -> str:
    """IAM role that external-secrets assumes to read one tenant's secrets, and only those."""
    return f"{cluster}-{tenant}-secrets"


PLATFORM_SECRETS = "platform"  # <secrets path>/platform/* holds the platform's own secrets; no tenant may be named so

# PostgreSQL: the master user RDS manages, the platform's own database on the shared
# instance, and names a tenant database or role may not take.
DB_MASTER_USERNAME = "infraplan_admin"
PLATFORM_DATABASE = "platform"
RESERVED_DATABASE_NAMES = ("postgres", "template0", "template1", "rdsadmin", "rdsrepladmin", "rds_superuser", PLATFORM_DATABASE, DB_MASTER_USERNAME)

# The platform namespace where the tenant databases are bootstrapped (roles, databases).
DATABASE_BOOTSTRAP_NAMESPACE = "database-bootstrap"
# Namespaces no tenant may claim: Kubernetes' own and the platform's.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", DATABASE_BOOTSTRAP_NAMESPACE)


class DbSecretKey:
    """Keys of a tenant's database secret: Terraform writes them, the bootstrap Job and the apps read them."""

    ENGINE = "engine"
    HOST = "host"
    PORT = "port"
    DBNAME = "dbname"
    USERNAME = "username"
    PASSWORD = "password"
    CREDENTIALS_VERSION = "credentials_version"


def tenant_database_role(database: str) -> str:
    """The PostgreSQL role that owns a tenant's database and that its apps log in as."""
    return database


def database_admin_role(cluster: str) -> str:
    """IAM role of the ``database-admin`` store: reads the master secret of the database the cluster's tenants use."""
    return f"{cluster}-database-admin"


def platform_secrets_role(cluster: str) -> str:
    """IAM role of a cluster's ``aws-secrets-manager`` store: reads only the platform's secrets path."""
    return f"{cluster}-platform-secrets"


def grafana_admin_role(cluster: str) -> str:
    """IAM role of a cluster's ``grafana-admin`` store: reads only its Grafana admin secret."""
    return f"{cluster}-grafana-admin"


def grafana_admin_secret(prefix: str, env: str, cluster: str) -> str:
    """The Secrets Manager secret of a cluster's Grafana admin credentials.

    Beside the tenants' and the platform's paths, inside none of them (so no other store's role
    reads it): a tenant name cannot hold a dot, and ``grafana.<cluster>`` is not ``platform``."""
    return f"{secrets_path(prefix, env)}/grafana.{cluster}/admin"


def grafana_admin_key_alias(cluster: str) -> str:
    return f"{cluster}-grafana-admin"


def argocd_sso_role(cluster: str) -> str:
    """IAM role of a cluster's ``argocd-sso`` store: reads only its ArgoCD's SSO client secret."""
    return f"{cluster}-argocd-sso"


def argocd_sso_secret(prefix: str, env: str, cluster: str, name: str) -> str:
    """The Secrets Manager secret (created by hand) of a cluster's ArgoCD SSO client secret.

    Like Grafana's, beside the tenants' and the platform's paths and inside none of them: a tenant
    name cannot hold a dot, and ``argocd.<cluster>`` is neither ``platform[.<tenant>]`` nor ``grafana.<cluster>``."""
    return f"{secrets_path(prefix, env)}/argocd.{cluster}/{name}"


def secret_store_service_account(store: str) -> str:
    """The service account a ClusterSecretStore authenticates as, in external-secrets' namespace:
    annotated with the store's own IRSA role, which trusts that service account alone."""
    return f"store-{store}"


PLATFORM_SECRET_STORE = "aws-secrets-manager"  # the platform namespaces' store
DATABASE_ADMIN_STORE = "database-admin"  # the database bootstrap's store of the RDS master secret
GRAFANA_ADMIN_STORE = "grafana-admin"  # the store of Grafana's admin credentials (monitoring namespace only)
GRAFANA_ADMIN_SECRET = "grafana-admin"  # the Kubernetes Secret its ExternalSecret writes
GRAFANA_ADMIN_USER_KEY, GRAFANA_ADMIN_PASSWORD_KEY = "admin-user", "admin-password"  # grafana chart 9: admin.userKey / passwordKey defaults
ARGOCD_SSO_STORE = "argocd-sso"  # the store of ArgoCD's SSO client secret (argocd namespace only)


def state_bucket(prefix: str, env: str, account_id: str) -> str:
    return f"{prefix}-{env}-{account_id}"


def state_kms_alias(bucket: str) -> str:
    """The alias (without ``alias/``) of the key that encrypts the state in ``bucket``."""
    return f"{bucket}-state"


# --- ARNs and service principals ----------------------------------------------------------
# infraplan writes ARNs for one AWS partition. The plan's regions are checked against it
# (plan/base.py refuses a GovCloud or China region in validate), so every ARN built here is right
# for every region a plan can hold. Supporting aws-us-gov or aws-cn means deriving PARTITION and
# SERVICE_DOMAIN from the region here (aws-cn's service domain is amazonaws.com.cn) and letting
# plan/base.py accept that partition's regions.

PARTITION = "aws"
SERVICE_DOMAIN = "amazonaws.com"

# Region name prefixes of the other partitions, as in botocore's endpoint data (regionRegex).
_OTHER_PARTITIONS = (
    ("us-gov-", "aws-us-gov"), ("cn-", "aws-cn"), ("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"), ("eu-isoe-", "aws-iso-e"), ("eusc-", "aws-eusc"),
)


def partition_of(region: str) -> str:
    """The partition a region name belongs to: the L2 constructs refuse any but PARTITION
    (terraform/props.py), as validate does for the plan's regions (plan/base.py)."""
    return next((partition for prefix, partition in _OTHER_PARTITIONS if region.startswith(prefix)), "aws")


def arn(service: str, region: str, account_id: str, resource: str) -> str:
    """An ARN in infraplan's partition; region and account are empty for global resources (Route 53, IAM's own)."""
    return f"arn:{PARTITION}:{service}:{region}:{account_id}:{resource}"


def iam_role_arn(account_id: str, role: str) -> str:
    """A role's ARN, known before the role exists (IRSA annotations, trust and key policies)."""
    return arn("iam", "", account_id, f"role/{role}")


def account_root_arn(account_id: str) -> str:
    """The account itself as a principal: delegates the decision to the account's IAM policies."""
    return arn("iam", "", account_id, "root")


def aws_managed_policy_arn(path: str) -> str:
    """An AWS-managed IAM policy, e.g. ``service-role/AmazonEBSCSIDriverPolicy``."""
    return arn("iam", "", "aws", f"policy/{path}")


def service_principal(service: str, region: str = "") -> str:
    """An AWS service as a principal or ``kms:ViaService`` value: ``eks.amazonaws.com``,
    or ``logs.<region>.amazonaws.com`` for the services named per region."""
    return f"{service}.{region}.{SERVICE_DOMAIN}" if region else f"{service}.{SERVICE_DOMAIN}"


def kms_alias_arn(region: str, account_id: str, alias: str) -> str:
    """An alias ARN: known before the key exists, so a backend block (no expressions) can name the key."""
    return arn("kms", region, account_id, f"alias/{alias}")


def eks_cluster_arn(region: str, account_id: str, cluster: str) -> str:
    """An EKS cluster's ARN: known before the cluster exists; the Pulumi bootstrap's identity of the cluster."""
    return arn("eks", region, account_id, f"cluster/{cluster}")


def budget_name(platform: str, env: str) -> str:
    """The AWS Budget of an environment's account (named after the environment that renders it)."""
    return f"{platform}-{env}-monthly"


def audit_trail_name(platform: str, env: str) -> str:
    """The CloudTrail trail of an environment's account (compliance; one per account)."""
    return f"{platform}-{env}-audit"


def audit_trail_bucket(trail: str, account_id: str) -> str:
    """The S3 bucket the trail writes to: global, so it carries the account id."""
    return f"{trail}-{account_id}"


def audit_trail_key_alias(trail: str) -> str:
    return f"{trail}-trail"


def audit_trail_arn(region: str, account_id: str, trail: str) -> str:
    """Known before the trail exists: the bucket and key policies admit CloudTrail for this trail only (aws:SourceArn)."""
    return arn("cloudtrail", region, account_id, f"trail/{trail}")


def trail_name_problem(name: str) -> str | None:
    """What CloudTrail refuses of a trail's name (InvalidTrailNameException), or None."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]", name):
        return "CloudTrail takes 3 to 128 ASCII letters, digits, '.', '_' and '-', starting and ending with a letter or digit"
    if re.search(r"[._-]{2}", name):
        return "CloudTrail refuses adjacent periods, underscores or dashes"
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", name):
        return "CloudTrail refuses a name in IP address format"
    return None


def lock_table(prefix: str, env: str) -> str:
    return f"{prefix}-{env}-locks"


def environment_stack(env: str) -> str:
    return f"{env}-platform"


def state_stack(env: str) -> str:
    return f"{env}-state"


def tenant_stack(tenant: str, env: str) -> str:
    return f"{env}-tenant-{tenant}"


def state_key(stack: str) -> str:
    return f"{stack}/terraform.tfstate"


def secrets_path(prefix: str, env: str, tenant: str | None = None) -> str:
    base = f"{prefix.strip('/')}/{env}"
    return base if tenant is None else f"{base}/{tenant}"


def platform_secrets_path(prefix: str, env: str, tenant: str | None = None) -> str:
    """What a cluster's own external-secrets role reads: ``<prefix>/<env>/platform`` for the
    environment's clusters, ``<prefix>/<env>/platform.<tenant>`` for a tenant's dedicated cluster.

    Never below a tenant's path (``<prefix>/<env>/<tenant>/*`` is what the tenant's own role
    reads) nor below another cluster's: '.' cannot appear in a tenant name, and 'platform' is
    no tenant's name."""
    base = secrets_path(prefix, env)
    return f"{base}/{PLATFORM_SECRETS}" if tenant is None else f"{base}/{PLATFORM_SECRETS}.{tenant}"


def rds_identifier_problem(identifier: str) -> str | None:
    """Why ``identifier`` is not a valid RDS DB instance identifier, or None."""
    if len(identifier) > RDS_IDENTIFIER_MAX:
        return f"'{identifier}' is {len(identifier)} characters; RDS identifiers have at most {RDS_IDENTIFIER_MAX}"
    if not re.fullmatch(r"[a-z][a-z0-9-]*", identifier) or "--" in identifier or identifier.endswith("-"):
        return f"'{identifier}' is not a valid RDS identifier (a letter, then letters, digits and single hyphens)"
    return None


def app_hostname(host: str, domain: str) -> str:
    """An app's hostname in an environment: ``host`` relative to the environment's domain
    (``shop`` -> ``shop.dev.acme.example.com``), or ``host`` itself when it already lies inside it."""
    return host if host == domain or host.endswith(f".{domain}") else f"{host}.{domain}"


def dns_zone_comment(platform: str, env: str) -> str:
    """The comment of the Route 53 zone Terraform creates for an environment's domain."""
    return f"{platform} {env}: public zone of the environment's apps (infraplan)"


def managed_zone_marker(domain: str) -> str:
    """Stands for the id of the zone Terraform creates for ``domain`` in IAM policies until the
    Terraform constructs replace it by the zone's reference (never a valid zone id: ids are [A-Z0-9])."""
    return f"<zone of {domain}>"
