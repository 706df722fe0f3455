"""The Database construct: RDS PostgreSQL, private, encrypted, password in Secrets Manager; and
DatabaseAdminAccess, the role that lets the ``database-admin`` secret store read that password."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from constructs import Construct

from ..addons.external_secrets import ADDON as EXTERNAL_SECRETS
from ..resolve import names
from ..value_checks.aws import LOG_RETENTION_DAYS, rds_postgres_versions
from . import policy
from .aws import iam, logs, rds, vpc
from .engine import cdktf
from .kms_key import EncryptionKey, logs_statement
from .props import ConstructPropsError, DatabaseNetworkSource, SecurityGroupSource, account_and_region, construct_path, props_from

if TYPE_CHECKING:
    from .cluster import Cluster


LOG_EXPORTS = ("postgresql", "upgrade", "iam-db-auth-error")
"""The logs RDS for PostgreSQL can export to CloudWatch Logs."""
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
"""Enhanced Monitoring's allowed intervals in seconds (0: off)."""
RDS_STORAGE_MIN_GB, RDS_STORAGE_MAX_GB = 20, 65536
"""gp3 storage RDS accepts for PostgreSQL."""
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, kw_only=True)
class DatabaseProps:
    """An RDS PostgreSQL instance. Only ``network`` is required; every other prop has a
    default that is safe for production, and the floor (encrypted storage, no public
    access, TLS only, IAM authentication, master password managed by RDS) is not a prop."""

    network: DatabaseNetworkSource
    """Where the instance lives: a :class:`Network` (its database subnet group and VPC), or an
    :class:`ExistingNetwork` naming a VPC and a DB subnet group made elsewhere."""
    clients: Sequence[SecurityGroupSource] | Mapping[str, SecurityGroupSource] = ()
    """Who may connect: each client's security group gets one ingress rule on the port.
    A Cluster admits its nodes. A mapping names each rule (``from_<key>``) explicitly.
    @default no client: nothing reaches the instance until :meth:`Database.allow_from`."""
    identifier: str | None = None
    """The RDS instance identifier, which also names its key, log groups and parameter group.
    @default the construct's id, so a second database in a stack needs only another id."""
    engine_version: str = "16"
    """A PostgreSQL major RDS offers ("16": RDS keeps it on the current 16.x) or a minor ("16.9").
    @default 16, the plan's default major."""
    instance_class: str = "db.t4g.medium"
    """@default db.t4g.medium: the smallest Graviton class with Performance Insights; size it to the load."""
    allocated_storage_gb: int = 20
    """gp3 storage at creation. @default 20 GiB, the least RDS allows for gp3."""
    max_allocated_storage_gb: int | None = None
    """Storage autoscaling ceiling (RDS needs it at least 10% above the allocated storage).
    @default twice the allocated storage."""
    multi_az: bool = False
    """A standby in a second AZ. @default off: doubles the cost; turn on where an AZ outage is not acceptable."""
    backup_retention_days: int = 7
    """Automated backups and point-in-time recovery, 0 to 35 days (0 turns them off).
    @default 7 days, a week to notice and undo a mistake."""
    backup_window: str = "02:00-03:00"
    """Daily backup window, ``hh:mm-hh:mm`` UTC, at least 30 minutes, apart from the maintenance window.
    @default 02:00-03:00 UTC, a quiet hour in Europe where the example runs."""
    maintenance_window: str = "sun:03:30-sun:04:30"
    """Weekly maintenance window, ``ddd:hh:mm-ddd:hh:mm`` UTC, at least 30 minutes.
    @default Sunday 03:30-04:30 UTC, after the backup window."""
    deletion_protection: bool = True
    """@default on: the instance cannot be deleted (nor replaced) until this is turned off in an apply of its own."""
    skip_final_snapshot: bool = False
    """@default off: deleting the instance leaves a final snapshot ``<identifier>-final-<key id>``."""
    performance_insights: bool | None = None
    """Performance Insights, encrypted with the instance's key. Not offered on micro and small classes.
    @default on, except on micro and small classes."""
    performance_insights_retention_days: int = 7
    """7 (free) or a multiple of 31 up to 731. @default 7 days, the free tier."""
    monitoring_interval_seconds: int = 0
    """Enhanced Monitoring (OS metrics) every 1, 5, 10, 15, 30 or 60 s, with its own role; 0 is off.
    @default off (it is billed as CloudWatch Logs)."""
    master_username: str = names.DB_MASTER_USERNAME
    """@default infraplan_admin; its password is generated and rotated by RDS in Secrets Manager."""
    database_name: str | None = None
    """A database created with the instance. @default none (only ``postgres``); the bootstrap Jobs create the tenants'."""
    port: int = 5432
    """@default 5432, PostgreSQL's port."""
    auto_minor_version_upgrade: bool = True
    """RDS upgrades the minor in the maintenance window. Refused with a pinned minor (the next plan
    would ask to go back). @default on, with ``engine_version`` a major."""
    apply_immediately: bool = True
    """@default on: an apply is the change window, so a new major completes in one apply."""
    log_exports: tuple[str, ...] = ("postgresql", "upgrade")
    """Logs exported to CloudWatch Logs, into log groups this construct creates first.
    @default postgresql and upgrade."""
    log_retention_days: int = 365
    """Retention of the exported logs, a value CloudWatch Logs accepts. @default 365 days."""
    account_id: str | None = None
    """The account (key policies). @default the stack's aws provider's single allowed_account_ids."""
    region: str | None = None
    """The region (the log key's policy). @default the stack's aws provider's region."""


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _backup_window(value: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)", value)
    if m is None:
        return None
    start, end = _minutes(value[:5]), _minutes(value[6:])
    return start, end if end > start else end + 1440


def _maintenance_window(value: str) -> tuple[int, int] | None:
    day = "|".join(_DAYS)
    m = re.fullmatch(rf"({day}):([01]\d|2[0-3]):([0-5]\d)-({day}):([01]\d|2[0-3]):([0-5]\d)", value)
    if m is None:
        return None
    start = _DAYS.index(m[1]) * 1440 + int(m[2]) * 60 + int(m[3])
    end = _DAYS.index(m[4]) * 1440 + int(m[5]) * 60 + int(m[6])
    return start, end if end > start else end + 7 * 1440


def _overlap(backup: tuple[int, int], maintenance: tuple[int, int]) -> bool:
    """Whether the daily backup window meets the weekly maintenance window on any day."""
    week = 7 * 1440
    return any(
        backup[0] + day * 1440 + shift < maintenance[1] and maintenance[0] < backup[1] + day * 1440 + shift for day in range(8) for shift in (-week, 0)
    )


def check_database_props(p: DatabaseProps, construct: str) -> None:
    """Every value RDS, PostgreSQL or the security floor would refuse, with the fix."""

    def refuse(prop: str, problem: str, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem, fix)

    if not isinstance(p.network, DatabaseNetworkSource) or not p.network.database_subnet_group_name:
        refuse("network", "needs a VPC and a DB subnet group", "pass network=Network(...) or ExistingNetwork(vpc_id=..., database_subnet_group_name=...)")
    if p.identifier is not None and (problem := names.rds_identifier_problem(p.identifier)):
        refuse("identifier", problem, "use lowercase letters, digits and single hyphens, starting with a letter")
    _check_engine(p, refuse)
    _check_storage(p, refuse)
    _check_windows(p, refuse)
    _check_monitoring(p, refuse)
    _check_login(p, refuse)
    if not p.log_exports or set(p.log_exports) - set(LOG_EXPORTS) or len(set(p.log_exports)) != len(p.log_exports):
        refuse("log_exports", f"each of {', '.join(LOG_EXPORTS)} at most once, and at least one (the connection logs are the audit trail)", "('postgresql', 'upgrade')")
    if p.log_retention_days not in LOG_RETENTION_DAYS:
        refuse("log_retention_days", "not a retention CloudWatch Logs accepts", f"one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    keys = [key for key, _ in _clients(p.clients)]
    for key, client in _clients(p.clients):
        if not isinstance(client, SecurityGroupSource):
            refuse("clients", f"{client!r} has no security group", "pass Cluster constructs, or SecurityGroupPeer(key=..., security_group_id=...)")
        if not re.fullmatch(r"[a-z0-9_]+", key) or keys.count(key) > 1:
            refuse("clients", f"client key '{key}' is not unique, or not lowercase letters, digits and _", "name the clients with a mapping {'nodes': cluster, ...}")


_Refuse = Callable[[str, str, str], NoReturn]


def _check_engine(p: DatabaseProps, refuse: _Refuse) -> None:
    """The engine version RDS offers, never a pinned minor RDS would upgrade away, and the class."""
    offered = rds_postgres_versions()
    major = p.engine_version.split(".")[0]
    if major not in offered or ("." in p.engine_version and p.engine_version not in offered[major]):
        refuse("engine_version", "RDS for PostgreSQL does not offer it (constructs_lib/data/rds_postgres_versions.yaml)", f"a major ({', '.join(sorted(offered, key=int))}) or a listed minor")
    if "." in p.engine_version and p.auto_minor_version_upgrade:
        refuse(
            "engine_version",
            "pins a minor while auto_minor_version_upgrade is on: once RDS upgrades the minor, every plan asks to go back and the apply fails",
            f"engine_version='{major}', or auto_minor_version_upgrade=False to hold {p.engine_version}",
        )
    if not _CLASS.match(p.instance_class):
        refuse("instance_class", "not an RDS instance class", "a class such as db.t4g.medium or db.r6g.large")


def _check_storage(p: DatabaseProps, refuse: _Refuse) -> None:
    """gp3 sizes, and an autoscaling ceiling at least 10% above the allocated storage (as RDS requires)."""
    if not RDS_STORAGE_MIN_GB <= p.allocated_storage_gb <= RDS_STORAGE_MAX_GB:
        refuse("allocated_storage_gb", f"gp3 storage is {RDS_STORAGE_MIN_GB} to {RDS_STORAGE_MAX_GB} GiB", f"a size from {RDS_STORAGE_MIN_GB} to {RDS_STORAGE_MAX_GB}")
    floor = -(-p.allocated_storage_gb * 11 // 10)
    ceiling = p.max_allocated_storage_gb if p.max_allocated_storage_gb is not None else p.allocated_storage_gb * 2
    if not floor <= ceiling <= RDS_STORAGE_MAX_GB:
        refuse("max_allocated_storage_gb", f"storage autoscaling needs a ceiling from {floor} (10% above the allocated storage) to {RDS_STORAGE_MAX_GB} GiB", f"a value from {floor} to {RDS_STORAGE_MAX_GB}")


def _check_windows(p: DatabaseProps, refuse: _Refuse) -> None:
    """Backup retention, and backup and maintenance windows of 30 minutes or more that never meet."""
    if not 0 <= p.backup_retention_days <= 35:
        refuse("backup_retention_days", "RDS keeps automated backups 0 to 35 days", "a value from 1 to 35")
    backup = _backup_window(p.backup_window)
    if backup is None or backup[1] - backup[0] < 30:
        refuse("backup_window", "not hh:mm-hh:mm (UTC) of at least 30 minutes", "e.g. '02:00-03:00'")
    maintenance = _maintenance_window(p.maintenance_window)
    if maintenance is None or maintenance[1] - maintenance[0] < 30:
        refuse("maintenance_window", "not ddd:hh:mm-ddd:hh:mm (UTC, mon..sun) of at least 30 minutes", "e.g. 'sun:03:30-sun:04:30'")
    if _overlap(backup, maintenance):
        refuse("maintenance_window", f"overlaps the backup window {p.backup_window}, which RDS refuses", "move one of the windows")


def _check_monitoring(p: DatabaseProps, refuse: _Refuse) -> None:
    """Performance Insights where the class offers it, its retention, Enhanced Monitoring's interval."""
    small = p.instance_class.endswith((".micro", ".small"))
    if p.performance_insights and small:
        refuse("performance_insights", f"RDS does not offer Performance Insights on {p.instance_class}", "performance_insights=False, or a medium or larger class")
    if p.performance_insights_retention_days != 7 and not (p.performance_insights_retention_days % 31 == 0 and 31 <= p.performance_insights_retention_days <= 731):
        refuse("performance_insights_retention_days", "Performance Insights keeps 7 days or a multiple of 31 up to 731", "7, 31, 62, ... 731")
    if p.monitoring_interval_seconds not in MONITORING_INTERVALS:
        refuse("monitoring_interval_seconds", "Enhanced Monitoring takes 0, 1, 5, 10, 15, 30 or 60", "one of those (0 turns it off)")


def _check_login(p: DatabaseProps, refuse: _Refuse) -> None:
    """The master user, the initial database and the port, as RDS for PostgreSQL accepts them."""
    if not _NAME.match(p.master_username) or p.master_username.lower() in ("postgres", "rdsadmin", "rdsrepladmin", "rds_superuser"):
        refuse("master_username", "not a PostgreSQL user name RDS accepts (a letter, then letters, digits, _; not a reserved name)", f"e.g. '{names.DB_MASTER_USERNAME}'")
    if p.database_name is not None and (not _NAME.match(p.database_name) or p.database_name in ("template0", "template1", "rdsadmin")):
        refuse("database_name", "not a database name RDS creates (a letter, then letters, digits, _; not a template)", "e.g. 'app', or None")
    if not 1150 <= p.port <= 65535:
        refuse("port", "RDS for PostgreSQL listens on 1150 to 65535", "5432")


def _clients(clients: Sequence[SecurityGroupSource] | Mapping[str, SecurityGroupSource]) -> list[tuple[str, SecurityGroupSource]]:
    if isinstance(clients, Mapping):
        return list(clients.items())
    return [(getattr(c, "peer_key", "?"), c) for c in clients]


class Database(Construct):
    """``aws_db_instance`` with ``manage_master_user_password``: the master password is
    generated and rotated by RDS in Secrets Manager; it is never in state or code.

    ``Database(stack, "db", network=net, clients=[cluster])``, or ``Database(stack, "db", props)``.

    The floor, whatever the props: storage, master secret and Performance Insights encrypted with
    the instance's own customer key; never publicly accessible; ``rds.force_ssl`` in its parameter
    group (TLS only); IAM authentication on; connections logged; only the clients' security groups
    admitted, on the port.

    Built to be upgraded and rebuilt: the engine version is a major that RDS keeps current
    (or a pinned minor without automatic upgrades, which the constructor enforces); the parameter
    group is named from a prefix and replaced before it is destroyed, so a new major
    (new family, ``allow_major_version_upgrade``, applied immediately) is one apply; the
    final snapshot carries the instance's key id, unique per instance; the exported logs
    go to log groups this construct creates first, with retention and a customer key."""

    def __init__(self, scope: Construct, id: str, props: DatabaseProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "Database")
        p = props_from(DatabaseProps, props, kwargs, where)
        check_database_props(p, where)
        super().__init__(scope, id)
        self._where = where  # its path, known in Python (asking node.path is two jsii round trips)
        self.props = p
        self.account_id, self.region = account_id, region = account_and_region(self, where, p.account_id, p.region)
        self.identifier = identifier = p.identifier or id
        if (problem := names.rds_identifier_problem(identifier)) is not None:
            raise ConstructPropsError(where, "identifier", None, f"the construct id is the default identifier: {problem}", "pass identifier='...'")
        self.port = p.port
        self.kms = EncryptionKey(self, "kms", alias=names.rds_key_alias(identifier), description=f"Storage, secret and Performance Insights of {identifier}", account_id=account_id)
        monitoring_role = self._monitoring_role() if p.monitoring_interval_seconds else None
        self.security_group = vpc.SecurityGroup(
            self,
            "sg",
            name=f"{identifier}-db",
            description=f"PostgreSQL {identifier}: only the cluster's nodes",
            vpc_id=p.network.vpc_id,
            tags={"Name": f"{identifier}-db"},
        )
        self.ingress_rules: dict[str, vpc.SecurityGroupIngressRule] = {}
        for key, client in _clients(p.clients):
            self.allow_from(client, key=key)
        self.log_groups = self._log_groups(account_id, region)
        self.instance = self._instance(self._parameter_group(), monitoring_role)

    def _monitoring_role(self) -> iam.IamRole:
        """The role Enhanced Monitoring publishes OS metrics with (AWS's managed policy)."""
        role = iam.IamRole(
            self,
            "monitoring_role",
            name=names.rds_monitoring_role(self.identifier),
            assume_role_policy=policy.assume_by_service(names.service_principal("monitoring.rds")),
            tags={"Name": f"{self.identifier}-monitoring"},
        )
        iam.IamRolePolicyAttachment(self, "monitoring_policy", role=role.ref("name"), policy_arn=f"{policy.AWS_MANAGED}/service-role/AmazonRDSEnhancedMonitoringRole")
        return role

    def _log_groups(self, account_id: str, region: str) -> list[logs.CloudwatchLogGroup]:
        """RDS creates /aws/rds/instance/<id>/<log> on the first export, never expiring and without a
        customer key, unless it exists: created here first (the instance depends on them)."""
        identifier = self.identifier
        self.logs_kms = EncryptionKey(
            self,
            "logs_kms",
            alias=names.rds_logs_key_alias(identifier),
            description=f"PostgreSQL logs of {identifier}",
            account_id=account_id,
            statements=[logs_statement(region, account_id)],
        )
        return [
            logs.CloudwatchLogGroup(
                self,
                f"log_{log}",
                name=names.rds_log_group(identifier, log),
                retention_in_days=self.props.log_retention_days,
                kms_key_id=self.logs_kms.arn,
                tags={"Name": names.rds_log_group(identifier, log)},
            )
            for log in self.props.log_exports
        ]

    def _parameter_group(self) -> rds.DbParameterGroup:
        """TLS only and every connection logged, in a group of the engine's major family."""
        family = f"postgres{self.props.engine_version.split('.')[0]}"
        return rds.DbParameterGroup(
            self,
            "params",
            # A new major is a new family, which replaces the group: the new one (a new name from
            # the prefix) exists before the instance moves to it and the old one goes after.
            name_prefix=names.db_parameter_group_prefix(self.identifier, family),
            family=family,
            description=f"{self.identifier}: TLS required, connections logged",
            parameter=[
                {"name": "log_connections", "value": "1"},
                {"name": "log_disconnections", "value": "1"},
                {"name": "rds.force_ssl", "value": "1"},
            ],
            tags={"Name": f"{self.identifier}-{family}"},
            lifecycle=cdktf.TerraformResourceLifecycle(create_before_destroy=True),
        )

    def _instance(self, params: rds.DbParameterGroup, monitoring_role: iam.IamRole | None) -> rds.DbInstance:
        """The instance on the floor (encrypted, private, IAM authentication, RDS-managed password) and the props."""
        p, identifier = self.props, self.identifier
        performance_insights = p.performance_insights if p.performance_insights is not None else not p.instance_class.endswith((".micro", ".small"))
        return rds.DbInstance(
            self,
            "instance",
            identifier=identifier,
            engine="postgres",
            engine_version=p.engine_version,
            instance_class=p.instance_class,
            allocated_storage=p.allocated_storage_gb,
            max_allocated_storage=p.max_allocated_storage_gb if p.max_allocated_storage_gb is not None else p.allocated_storage_gb * 2,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.kms.arn,
            db_name=p.database_name,
            username=p.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.kms.arn,
            port=p.port,
            multi_az=p.multi_az,
            db_subnet_group_name=p.network.database_subnet_group_name,
            vpc_security_group_ids=[self.security_group.id_ref],
            parameter_group_name=params.ref("name"),
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            backup_retention_period=p.backup_retention_days,
            backup_window=p.backup_window,
            maintenance_window=p.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=p.deletion_protection,
            skip_final_snapshot=p.skip_final_snapshot,
            # Unique per instance and stable for its life (the key is replaced only with the
            # instance): a rebuilt environment's next deletion does not collide with the last one.
            final_snapshot_identifier=None if p.skip_final_snapshot else names.db_final_snapshot_prefix(identifier) + self.kms.key.ref("key_id"),
            performance_insights_enabled=performance_insights,
            performance_insights_kms_key_id=self.kms.arn if performance_insights else None,
            performance_insights_retention_period=p.performance_insights_retention_days if performance_insights else None,
            enabled_cloudwatch_logs_exports=list(p.log_exports),
            monitoring_interval=p.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            auto_minor_version_upgrade=p.auto_minor_version_upgrade,
            # Sent by the provider only with a changed engine_version: a new major in the plan
            # upgrades in that apply. RDS itself never upgrades a major.
            allow_major_version_upgrade=True,
            apply_immediately=p.apply_immediately,
            tags={"Name": identifier},
            depends_on=list(self.log_groups),
        )

    def allow_from(self, client: SecurityGroupSource, *, key: str | None = None) -> vpc.SecurityGroupIngressRule:
        """Admit ``client``'s security group on the database port (aws-cdk's
        ``connections.allow_default_port_from``); ``key`` names the rule, by default the client's ``peer_key``."""
        where = self._where
        if not isinstance(client, SecurityGroupSource):
            raise ConstructPropsError(where, "clients", client, "has no security group", "pass a Cluster, or SecurityGroupPeer(key=..., security_group_id=...)")
        key = key or client.peer_key
        if not re.fullmatch(r"[a-z0-9_]+", key) or key in self.ingress_rules:
            raise ConstructPropsError(where, "clients", key, "a client key must be unique and lowercase letters, digits and _", "pass key='...' naming this client")
        rule = vpc.SecurityGroupIngressRule(
            self,
            f"from_{key}",
            security_group_id=self.security_group.id_ref,
            referenced_security_group_id=client.security_group_id,
            ip_protocol="tcp",
            from_port=self.port,
            to_port=self.port,
            description=f"PostgreSQL from {client.peer_description}",
            tags={"Name": f"{self.identifier}-from-{key.replace('_', '-')}"},
        )
        self.ingress_rules[key] = rule
        return rule

    @property
    def endpoint(self) -> str:
        return self.instance.ref("endpoint")

    @property
    def secret_arn(self) -> str:
        return self.instance.ref("master_user_secret[0].secret_arn")


ROLE_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")
"""IAM: a role name is 1 to 64 letters, digits and ``+=,.@_-``."""
_K8S_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_K8S_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True, kw_only=True)
class DatabaseAdminAccessProps:
    """The IAM role of the ``database-admin`` secret store. Required: the database whose master
    secret it reads and the cluster whose service account assumes it. Not props: what it may do
    (read that one secret, decrypt through Secrets Manager only) and whom it trusts (that one
    service account, through the cluster's OIDC provider)."""

    database: Database
    """The instance whose RDS-managed master secret the role reads (the secret's ARN, and the
    instance's key to decrypt it, in the instance's region). A Database of this stack."""
    cluster: Cluster
    """The :class:`~constructs_lib.terraform.cluster.Cluster` (of this stack) whose service account
    assumes the role (IRSA); the role's default name carries its name."""
    namespace: str = EXTERNAL_SECRETS.chart.namespace
    """The service account's namespace. @default external-secrets, where the ``database-admin``
    ClusterSecretStore's service account lives (the store authenticates as it)."""
    service_account: str = names.secret_store_service_account(names.DATABASE_ADMIN_STORE)
    """@default store-database-admin: the ``database-admin`` store's own service account, so no
    other store, and not external-secrets' controller, can borrow the role."""
    role_name: str | None = None
    """@default ``<cluster name>-database-admin``, the name the GitOps tree's store annotation uses."""


def check_database_admin_props(p: DatabaseAdminAccessProps, construct: str, scope: Construct) -> None:
    """What IAM or Kubernetes would refuse, and references this stack cannot use, with the fix."""
    from .cluster import Cluster

    def refuse(prop: str, problem: str, fix: str) -> NoReturn:
        raise ConstructPropsError(construct, prop, getattr(p, prop), problem, fix)

    if not isinstance(p.database, Database):
        refuse("database", "not a Database construct: the role reads its master secret with its key", "pass database=Database(...)")
    if not isinstance(p.cluster, Cluster):
        refuse("cluster", "not a Cluster construct: its OIDC provider is whom the role trusts", "pass cluster=Cluster(...)")
    stack = cdktf.TerraformStack.of(scope)
    for prop in ("database", "cluster"):
        if cdktf.TerraformStack.of(getattr(p, prop)) is not stack:
            refuse(prop, f"in stack '{cdktf.TerraformStack.of(getattr(p, prop)).node.id}', not this one: cdktf would read that stack's state, and infraplan's stacks never read each other's", f"create the DatabaseAdminAccess in the {prop}'s stack")
    if not isinstance(p.namespace, str) or not _K8S_LABEL.match(p.namespace):
        refuse("namespace", "not a Kubernetes namespace name (a DNS label)", "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit")
    if not isinstance(p.service_account, str) or not _K8S_SUBDOMAIN.match(p.service_account):
        refuse("service_account", "not a Kubernetes service account name (a DNS subdomain)", "lowercase letters, digits, '-' and '.', at most 253, e.g. 'store-database-admin'")
    # The default, <cluster>-database-admin, always fits: a Cluster's name is at most 40 characters.
    if p.role_name is not None and (not isinstance(p.role_name, str) or not ROLE_NAME.match(p.role_name)):
        refuse("role_name", "not a role name IAM accepts", "1 to 64 letters, digits and +=,.@_-, e.g. 'shop-database-admin'")


class DatabaseAdminAccess(Construct):
    """The IAM role behind the ``database-admin`` secret store: the store's own service account
    assumes it (IRSA) to read the instance's RDS-managed master secret, for the database
    bootstrap Jobs. Nothing else may assume it, external-secrets' controller included.

    ``DatabaseAdminAccess(stack, "database_admin", database=db, cluster=eks)``.

    It reads that one secret (its ARN, not a pattern) and decrypts through Secrets
    Manager only. ESO finds the secret by the tag RDS gives it with ListSecrets or
    BatchGetSecretValue and filters; neither takes a resource, and BatchGetSecretValue
    still returns only the secrets GetSecretValue allows."""

    def __init__(self, scope: Construct, id: str, props: DatabaseAdminAccessProps | None = None, **kwargs: Any):
        where = construct_path(scope, id, "DatabaseAdminAccess")
        p = props_from(DatabaseAdminAccessProps, props, kwargs, where)
        check_database_admin_props(p, where, scope)
        trust_id = f"{id}_trust"
        if p.cluster.node.try_find_child(trust_id) is not None:
            raise ConstructPropsError(where, "cluster", p.cluster.node.path, f"already holds a trust policy '{trust_id}' (another DatabaseAdminAccess with this id)", "give this DatabaseAdminAccess another id")
        super().__init__(scope, id)
        self.props = p
        db = p.database
        self.role_name = role_name = p.role_name or names.database_admin_role(p.cluster.name)
        trust = p.cluster.web_identity_trust(trust_id, p.namespace, p.service_account)
        self.role = iam.IamRole(self, "role", name=role_name, assume_role_policy=trust, tags={"Name": role_name})
        iam.IamRolePolicy(
            self,
            "policy",
            name="read-master-secret",
            role=self.role.id_ref,
            policy=policy.document(
                policy.allow(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], [db.secret_arn], sid="ReadMasterSecret"),
                policy.allow(["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"], "*", sid="FindMasterSecretByTag"),
                policy.allow(["kms:Decrypt"], [db.kms.arn], sid="DecryptThroughSecretsManager", condition={"StringEquals": {"kms:ViaService": names.service_principal("secretsmanager", db.region)}}),
            ),
        )

    @property
    def role_arn(self) -> str:
        return self.role.arn
