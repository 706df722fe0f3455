"""``infraplan verify``: compare the live AWS resources of an environment with the resolved model.

Reads with boto3 only (never Terraform state) and finds resources by the names the
resolved model gives them. Every difference — a missing resource or a setting that
is not what the model says — is reported; the exit code is 1 if there is any.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from constructs_lib.resolve import names
from constructs_lib.resolve.model import ResolvedBudget, ResolvedCluster, ResolvedDatabase, ResolvedEnvironment, ResolvedNetwork, ResolvedStateBackend, ResolvedTenant


@dataclass(frozen=True)
class Difference:
    resource: str
    setting: str
    expected: object
    actual: object

    def render(self) -> str:
        if self.setting == "exists":
            return f"{self.resource}: missing"
        return f"{self.resource}: {self.setting} is {self.actual!r}, expected {self.expected!r}"


# An endpoint that accepts connections but never answers must not hold verify for minutes:
# botocore's defaults are 60 s per read and several retries.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 15
MAX_ATTEMPTS = 2


class Clients:
    def __init__(self, region: str, endpoint: str | None):
        import boto3
        from botocore.config import Config

        kwargs: dict = {
            "region_name": region,
            "config": Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S, retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"}),
        }
        if endpoint:
            kwargs.update(endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")
        self._kwargs = kwargs
        self._boto3 = boto3
        self._cache: dict = {}

    def __call__(self, service: str):
        if service not in self._cache:
            kwargs = dict(self._kwargs)
            if service == "s3" and "endpoint_url" in kwargs:  # a local API serves buckets by path
                from botocore.config import Config

                kwargs["config"] = kwargs["config"].merge(Config(s3={"addressing_style": "path"}))
            self._cache[service] = self._boto3.client(service, **kwargs)
        return self._cache[service]


def _tag(tags: list[dict] | None, key: str) -> str | None:
    return next((t["Value"] for t in tags or [] if t["Key"] == key), None)


def check_network(aws: Clients, net: ResolvedNetwork) -> list[Difference]:
    out: list[Difference] = []
    ec2 = aws("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [net.name]}])["Vpcs"]
    where = f"VPC {net.name}"
    if not vpcs:
        return [Difference(where, "exists", True, False)]
    if len(vpcs) > 1:
        out.append(Difference(where, "count", 1, len(vpcs)))
    vpc = vpcs[0]
    if vpc["CidrBlock"] != net.cidr:
        out.append(Difference(where, "cidr", net.cidr, vpc["CidrBlock"]))
    subnets = {_tag(s.get("Tags"), "Name"): s for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]}
    for s in (*net.public_subnets, *net.private_subnets, *net.database_subnets):
        live = subnets.get(s.name)
        if live is None:
            out.append(Difference(f"subnet {s.name}", "exists", True, False))
            continue
        if live["CidrBlock"] != s.cidr:
            out.append(Difference(f"subnet {s.name}", "cidr", s.cidr, live["CidrBlock"]))
        if live["AvailabilityZone"] != s.az:
            out.append(Difference(f"subnet {s.name}", "availability_zone", s.az, live["AvailabilityZone"]))
    nats = [
        n
        for n in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
        if n["State"] in ("pending", "available")
    ]
    expected_nats = {"none": 0, "single": 1, "one-per-az": len(net.azs)}[net.nat]
    if len(nats) != expected_nats:
        out.append(Difference(f"{where} NAT gateways", f"count (nat: {net.nat})", expected_nats, len(nats)))
    out += _check_flow_logs(aws, net, vpc["VpcId"])
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    for sg in default_sg:
        rules = len(sg.get("IpPermissions", [])) + len(sg.get("IpPermissionsEgress", []))
        if rules:
            out.append(Difference(f"{where} default security group", "rules", 0, rules))
    return out


def _check_flow_logs(aws: Clients, net: ResolvedNetwork, vpc_id: str) -> list[Difference]:
    """Flow logs of all traffic into the encrypted log group, kept as long as resolved."""
    out: list[Difference] = []
    flows = aws("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    if not any(f.get("TrafficType") == "ALL" and f.get("FlowLogStatus", "ACTIVE") == "ACTIVE" for f in flows):
        out.append(Difference(f"VPC {net.name}", "flow logs of all traffic", "on", "off"))
    name = names.flow_log_group(net.name)
    groups = [g for g in aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    if not groups:
        return [*out, Difference(f"log group {name}", "exists", True, False)]
    if groups[0].get("retentionInDays") != net.flow_logs_retention_days:
        out.append(Difference(f"log group {name}", "retention_days", net.flow_logs_retention_days, groups[0].get("retentionInDays")))
    if not groups[0].get("kmsKeyId"):
        out.append(Difference(f"log group {name}", "KMS encryption", "a key", None))
    return out


def check_cluster(aws: Clients, c: ResolvedCluster) -> list[Difference]:
    eks = aws("eks")
    where = f"EKS cluster {c.name}"
    try:
        live = eks.describe_cluster(name=c.name)["cluster"]
    except eks.exceptions.ResourceNotFoundException:
        return [Difference(where, "exists", True, False)]
    out: list[Difference] = []
    if live.get("version") != c.version:
        out.append(Difference(where, "version", c.version, live.get("version")))
    vpc = live.get("resourcesVpcConfig", {})
    if bool(vpc.get("endpointPublicAccess")) != c.endpoint_public_access:
        out.append(Difference(where, "endpoint_public_access", c.endpoint_public_access, vpc.get("endpointPublicAccess")))
    if not vpc.get("endpointPrivateAccess"):
        out.append(Difference(where, "endpoint_private_access", True, vpc.get("endpointPrivateAccess")))
    if not any("secrets" in e.get("resources", []) and e.get("provider", {}).get("keyArn") for e in live.get("encryptionConfig") or []):
        out.append(Difference(where, "secrets encryption (KMS)", "enabled", "off"))
    enabled = sorted({t for entry in (live.get("logging") or {}).get("clusterLogging", []) if entry.get("enabled") for t in entry.get("types", [])})
    if enabled != sorted(c.log_types):
        out.append(Difference(where, "control plane log types", sorted(c.log_types), enabled))
    groups = set(eks.list_nodegroups(clusterName=c.name).get("nodegroups", []))
    for ng in c.node_groups:
        gwhere = f"EKS node group {c.name}/{ng.name}"
        if ng.name not in groups:
            out.append(Difference(gwhere, "exists", True, False))
            continue
        g = eks.describe_nodegroup(clusterName=c.name, nodegroupName=ng.name)["nodegroup"]
        sc = g.get("scalingConfig", {})
        for key, want in (("minSize", ng.min_size), ("maxSize", ng.max_size)):
            if sc.get(key) != want:
                out.append(Difference(gwhere, key, want, sc.get(key)))
        # desired_size is left to the autoscaler (ignore_changes); only its bounds are checked.
        desired = sc.get("desiredSize")
        if desired is None or not ng.min_size <= desired <= ng.max_size:
            out.append(Difference(gwhere, "desiredSize within [min, max]", f"{ng.min_size}..{ng.max_size}", desired))
        if sorted(g.get("instanceTypes") or []) != sorted(ng.instance_types):
            out.append(Difference(gwhere, "instance_types", sorted(ng.instance_types), sorted(g.get("instanceTypes") or [])))
        if g.get("capacityType") != ng.capacity_type:
            out.append(Difference(gwhere, "capacity_type", ng.capacity_type, g.get("capacityType")))
        if dict(ng.labels) and {k: v for k, v in (g.get("labels") or {}).items() if k in dict(ng.labels)} != dict(ng.labels):
            out.append(Difference(gwhere, "labels", dict(ng.labels), g.get("labels")))
        # Nodes follow the control plane: a group left on an older version was never upgraded.
        if g.get("version") != c.version:
            out.append(Difference(gwhere, "version", c.version, g.get("version")))
        if ng.release_version is not None and g.get("releaseVersion") != ng.release_version:
            out.append(Difference(gwhere, "release_version", ng.release_version, g.get("releaseVersion")))
    return out + check_api_access(aws, c, vpc)


def check_api_access(aws: Clients, c: ResolvedCluster, vpc_config: dict) -> list[Difference]:
    """The private endpoint's security group: attached to the cluster, admitting exactly
    ``cluster.api_access`` on TCP 443 (the VPC's CIDR for ``vpc: true``)."""
    ec2 = aws("ec2")
    name = names.cluster_api_access_security_group(c.name)
    where = f"security group {name}"
    vpc_id = vpc_config.get("vpcId")
    filters = [{"Name": "group-name", "Values": [name]}] + ([{"Name": "vpc-id", "Values": [vpc_id]}] if vpc_id else [])
    groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    if not groups:
        return [Difference(where, "exists", True, False)]
    group_id = groups[0]["GroupId"]
    out: list[Difference] = []
    if group_id not in (vpc_config.get("securityGroupIds") or []):
        out.append(Difference(f"EKS cluster {c.name}", "security groups", f"includes {group_id} ({name})", vpc_config.get("securityGroupIds") or []))
    expected = {*c.api_access_cidrs, *c.api_access_security_groups}
    if c.api_access_vpc and vpc_id:
        expected.add(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    live = set()
    for r in rules:
        if r.get("IsEgress"):
            continue
        source = r.get("CidrIpv4") or (r.get("ReferencedGroupInfo") or {}).get("GroupId") or r.get("CidrIpv6") or r.get("PrefixListId")
        live.add(source if (r.get("IpProtocol"), r.get("FromPort"), r.get("ToPort")) == ("tcp", 443, 443) else f"{source} ({r.get('IpProtocol')} {r.get('FromPort')}-{r.get('ToPort')})")
    if live != expected:
        out.append(Difference(where, "sources admitted on TCP 443", sorted(expected), sorted(live)))
    return out


def check_database(aws: Clients, db: ResolvedDatabase) -> list[Difference]:
    rds = aws("rds")
    where = f"RDS instance {db.identifier}"
    try:
        live = rds.describe_db_instances(DBInstanceIdentifier=db.identifier)["DBInstances"][0]
    except rds.exceptions.DBInstanceNotFoundFault:
        return [Difference(where, "exists", True, False)]
    out: list[Difference] = []
    for setting, want, got in (
        ("engine", "postgres", live.get("Engine")),
        ("instance_class", db.instance_class, live.get("DBInstanceClass")),
        ("multi_az", db.multi_az, live.get("MultiAZ")),
        ("backup_retention_days", db.backup_retention_days, live.get("BackupRetentionPeriod")),
        ("deletion_protection", db.deletion_protection, live.get("DeletionProtection")),
        ("storage_encrypted", True, live.get("StorageEncrypted")),
        ("publicly_accessible", False, live.get("PubliclyAccessible")),
        ("allocated_storage_gb", db.allocated_storage_gb, live.get("AllocatedStorage")),
        ("max_allocated_storage_gb", db.max_allocated_storage_gb, live.get("MaxAllocatedStorage")),
        ("master_username", db.master_username, live.get("MasterUsername")),
    ):
        if got != want:
            out.append(Difference(where, setting, want, got))
    if live.get("StorageEncrypted") and not live.get("KmsKeyId"):
        out.append(Difference(where, "kms_key", "a customer managed key", None))
    if live.get("AutoMinorVersionUpgrade") != db.auto_minor_version_upgrade:
        out.append(Difference(where, "auto_minor_version_upgrade", db.auto_minor_version_upgrade, live.get("AutoMinorVersionUpgrade")))
    if sorted(live.get("EnabledCloudwatchLogsExports") or []) != sorted(db.log_exports):
        out.append(Difference(where, "log exports", sorted(db.log_exports), sorted(live.get("EnabledCloudwatchLogsExports") or [])))
    groups = [g["DBParameterGroupName"] for g in live.get("DBParameterGroups") or []]
    families = {g["DBParameterGroupFamily"] for name in groups for g in rds.describe_db_parameter_groups(DBParameterGroupName=name)["DBParameterGroups"]}
    if families != {db.parameter_group_family}:
        out.append(Difference(where, "parameter group family", db.parameter_group_family, sorted(families)))
    for log in db.log_exports:
        out += _check_log_group(aws, names.rds_log_group(db.identifier, log), db.log_retention_days)
    secret = (live.get("MasterUserSecret") or {}).get("SecretArn")
    if not secret:
        out.append(Difference(where, "master user secret (manage_master_user_password)", "managed by RDS", None))
    else:
        sm = aws("secretsmanager")
        try:
            desc = sm.describe_secret(SecretId=secret)
            if desc.get("DeletedDate"):
                out.append(Difference(where, "master user secret", "active", "scheduled for deletion"))
        except sm.exceptions.ResourceNotFoundException:
            out.append(Difference(f"{where} master user secret {secret}", "exists", True, False))
    return out


def _check_log_group(aws: Clients, name: str, days: int) -> list[Difference]:
    """A log group Terraform creates for a service's logs: kept ``days``, encrypted with a key."""
    groups = [g for g in aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
    if not groups:
        return [Difference(f"log group {name}", "exists", True, False)]
    out = []
    if groups[0].get("retentionInDays") != days:
        out.append(Difference(f"log group {name}", "retention_days", days, groups[0].get("retentionInDays")))
    if not groups[0].get("kmsKeyId"):
        out.append(Difference(f"log group {name}", "KMS encryption", "a key", None))
    return out


def _principals(document: dict) -> list[str]:
    found: set[str] = set()
    for st in document.get("Statement", []):
        if st.get("Effect") == "Allow":
            aws = (st.get("Principal") or {}).get("AWS", [])
            found.update([aws] if isinstance(aws, str) else aws)
    return sorted(found)


def _trusted(document: dict) -> list[str]:
    """Whom a trust policy admits: AWS principals, and the Kubernetes service accounts of web identities (their ``sub``)."""
    found: set[str] = set(_principals(document))
    for st in document.get("Statement", []):
        if st.get("Effect") == "Allow" and (st.get("Principal") or {}).get("Federated"):
            for conds in (st.get("Condition") or {}).values():
                for var, vals in conds.items():
                    if var.endswith(":sub"):
                        found.update([vals] if isinstance(vals, str) else vals)
            if not any(var.endswith(":sub") for conds in (st.get("Condition") or {}).values() for var in conds):
                found.add("any service account")
    return sorted(found)


def check_roles(aws: Clients, c: ResolvedCluster) -> list[Difference]:
    """The IAM roles of the cluster's controllers (IRSA) and of its secret stores: present, and
    each store role (platform, tenant secrets, database admin, Grafana, ArgoCD SSO) trusting its store's own
    service account alone."""
    iam = aws("iam")
    roles: list[tuple[str, str | None]] = [(r.role_name, None) for r in c.irsa_roles]
    stores = [*c.tenant_secrets_roles, c.platform_secrets_role, c.database_admin, c.grafana_admin, c.argocd_sso]
    roles += [(r.role_name, f"system:serviceaccount:{r.namespace}:{r.service_account}") for r in stores if r is not None]
    out: list[Difference] = []
    for name, trusted in roles:
        where = f"IAM role {name}"
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            out.append(Difference(where, "exists", True, False))
            continue
        found = _trusted(role.get("AssumeRolePolicyDocument") or {})
        if trusted is not None and found != [trusted]:
            out.append(Difference(where, "trusted principals", [trusted], found))
    return out


def check_tenant(aws: Clients, env: ResolvedEnvironment, tenant: ResolvedTenant) -> list[Difference]:
    out: list[Difference] = []
    if tenant.network is not None:
        out += check_network(aws, tenant.network)
    if tenant.cluster is not None:
        out += check_cluster(aws, tenant.cluster) + check_roles(aws, tenant.cluster)
    if tenant.dedicated_database is not None:
        out += check_database(aws, tenant.dedicated_database)
    if tenant.cluster is not None and tenant.cluster.grafana_admin is not None:
        out += check_secret(aws, f"cluster {tenant.cluster.name}: secret", tenant.cluster.grafana_admin.secret_name)
    if tenant.database is not None:
        out += check_secret(aws, f"tenant {tenant.name}: secret", tenant.database.secret_name)
    return out


def check_secret(aws: Clients, label: str, name: str) -> list[Difference]:
    """A secret Terraform writes: present, not scheduled for deletion, with a current value."""
    sm = aws("secretsmanager")
    where = f"{label} {name}"
    out: list[Difference] = []
    try:
        desc = sm.describe_secret(SecretId=name)
        if desc.get("DeletedDate"):
            out.append(Difference(where, "state", "active", "scheduled for deletion"))
        # Terraform writes the value; verify only sees that one is current (it never reads it).
        current = any("AWSCURRENT" in stages for stages in desc.get("VersionIdsToStages", {}).values())
        if not current:
            out.append(Difference(where, "value", "a current version", "none"))
    except sm.exceptions.ResourceNotFoundException:
        out.append(Difference(where, "exists", True, False))
    return out


def check_state(aws: Clients, states: list[ResolvedStateBackend]) -> list[Difference]:
    """Each stack's state object exists and is SSE-KMS with the state bucket's own key (HeadObject:
    S3 reports the key's ARN; a backend that named it by alias may be reported so by a local API)."""
    s3, kms = aws("s3"), aws("kms")
    out: list[Difference] = []
    for st in states:
        where = f"state s3://{st.bucket}/{st.key}"
        try:
            expected = {st.kms_key_id, kms.describe_key(KeyId=st.kms_key_id)["KeyMetadata"]["Arn"]}
        except kms.exceptions.NotFoundException:
            expected = {st.kms_key_id}
        try:
            head = s3.head_object(Bucket=st.bucket, Key=st.key)
        except s3.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NoSuchBucket"):
                raise
            out.append(Difference(where, "exists", True, False))
            continue
        if head.get("ServerSideEncryption") != "aws:kms" or head.get("SSEKMSKeyId") not in expected:
            out.append(Difference(where, "encryption", f"aws:kms with {st.kms_key_id}", f"{head.get('ServerSideEncryption')} with {head.get('SSEKMSKeyId')}"))
    return out


def check_budget(aws: Clients, account_id: str, budget: ResolvedBudget) -> list[Difference]:
    """The account's AWS Budget: its limit and period, and each alert with exactly the plan's contacts
    (an alert nobody receives is the failure this catches: a contact removed by hand in the console)."""
    bg = aws("budgets")
    where = f"budget {budget.name}"
    try:
        live = bg.describe_budget(AccountId=account_id, BudgetName=budget.name)["Budget"]
    except bg.exceptions.NotFoundException:
        return [Difference(where, "exists", True, False)]
    out: list[Difference] = []
    limit = live.get("BudgetLimit") or {}
    expected_limit = f"{budget.limit_usd} USD"
    try:
        actual_amount = float(limit.get("Amount", "nan"))
    except ValueError:
        actual_amount = float("nan")
    if actual_amount != budget.limit_usd or limit.get("Unit") != "USD":
        out.append(Difference(where, "limit", expected_limit, f"{limit.get('Amount')} {limit.get('Unit')}"))
    for setting, key, expected in (("type", "BudgetType", "COST"), ("period", "TimeUnit", "MONTHLY")):
        if live.get(key) != expected:
            out.append(Difference(where, setting, expected, live.get(key)))
    if live.get("CostFilters"):
        out.append(Difference(where, "cost filters", "none (the whole account)", live["CostFilters"]))
    try:
        notifications = bg.describe_notifications_for_budget(AccountId=account_id, BudgetName=budget.name).get("Notifications", [])
    except bg.exceptions.NotFoundException:
        notifications = []
    by_alert = {(n.get("NotificationType"), float(n.get("Threshold", -1))): n for n in notifications if n.get("ComparisonOperator") == "GREATER_THAN"}
    expected_alerts = {(a.notification_type, float(a.threshold_percent)) for a in budget.alerts}
    for kind, threshold in sorted(expected_alerts):
        alert = f"{where}: alert {kind} > {threshold:g}%"
        n = by_alert.get((kind, threshold))
        if n is None:
            out.append(Difference(alert, "exists", True, False))
            continue
        try:
            subscribers = bg.describe_subscribers_for_notification(AccountId=account_id, BudgetName=budget.name, Notification=n).get("Subscribers", [])
        except bg.exceptions.NotFoundException:
            subscribers = []
        emails = sorted(s["Address"] for s in subscribers if s.get("SubscriptionType") == "EMAIL")
        if emails != sorted(budget.emails):
            out.append(Difference(alert, "email subscribers", sorted(budget.emails), emails))
    extra = sorted(set(by_alert) - expected_alerts)
    if extra:
        out.append(Difference(where, "alerts not in the plan", [], [f"{k} > {t:g}%" for k, t in extra]))
    return out


class WrongAccountError(Exception):
    pass


def verify_environment(env: ResolvedEnvironment, tenants: list[str] | None = None, endpoint: str | None = None) -> list[Difference]:
    """Every difference between the live resources and ``env`` (and the named tenants)."""
    aws = Clients(env.region, endpoint)
    account = aws("sts").get_caller_identity()["Account"]
    if account != env.account_id:
        # Otherwise every resource would be reported missing, which reads like a disaster.
        raise WrongAccountError(f"the credentials are for account {account}, but environment {env.name} is account {env.account_id}")
    diffs = check_network(aws, env.network) + check_cluster(aws, env.cluster) + check_roles(aws, env.cluster) + check_database(aws, env.database)
    for r in env.secondary_regions:
        regional = Clients(r.region, endpoint)
        diffs += check_network(regional, r.network) + check_cluster(regional, r.cluster) + check_roles(regional, r.cluster)
    for c in (env.cluster, *(r.cluster for r in env.secondary_regions)):
        if c.grafana_admin is not None:  # in the primary region, with every secret
            diffs += check_secret(aws, f"cluster {c.name}: secret", c.grafana_admin.secret_name)
    for name in tenants or []:
        diffs += check_tenant(aws, env, env.tenant(name))
    if env.budget is not None:
        diffs += check_budget(aws, env.account_id, env.budget)
    diffs += check_state(aws, [env.state, *(r.state for r in env.secondary_regions), *(env.tenant(name).state for name in tenants or [])])
    return diffs


def cmd_verify(args: argparse.Namespace) -> int:
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_environment

    from .cli import console, errors

    plan = load_plan(args.plan)
    for name in args.tenant or []:
        plan.tenant(name)  # unknown tenant: PlanError with a hint
    env = resolve_environment(plan, args.env)
    where = args.endpoint or "AWS"
    console.print(f"Verifying [bold]{env.name}[/] ({env.region}, account {env.account_id}) against {where} …")
    try:
        diffs = verify_environment(env, args.tenant, args.endpoint)
    except WrongAccountError as exc:
        errors.print(f"[bold red]refusing to verify:[/] {exc}")
        return 2
    except Exception as exc:  # no credentials, unreachable endpoint, access denied
        from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

        if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError)):
            errors.print(
                f"could not read the live resources: {where} did not answer ({exc}); tried {MAX_ATTEMPTS} times with a "
                f"{CONNECT_TIMEOUT_S} s connect and {READ_TIMEOUT_S} s read timeout. Is the endpoint right and reachable?",
                markup=False,
            )
        else:
            errors.print(f"could not read the live resources from {where}: {exc}", markup=False)
        return 2
    if not diffs:
        console.print(f"[green]✓[/] {env.name}: every checked resource matches the resolved model")
        return 0
    errors.print(f"[bold red]{len(diffs)} difference{'s' if len(diffs) != 1 else ''} from the resolved model:[/]")
    for d in diffs:
        errors.print(f"  ✗ {d.render()}", markup=False)
    return 1
