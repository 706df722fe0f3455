"""The Database construct: RDS PostgreSQL, private, encrypted, password in Secrets Manager."""

from __future__ import annotations

from dataclasses import dataclass

import cdktf
from constructs import Construct

from ..resolve import names
from ..resolve.model import DatabaseAdminRole, ResolvedDatabase
from . import policy
from .aws import iam, logs, rds, vpc
from .kms_key import EncryptionKey, logs_statement


@dataclass(frozen=True)
class DatabaseProps:
    database: ResolvedDatabase
    account_id: str
    vpc_id: str
    db_subnet_group_name: str
    client_security_group_id: str  # the EKS cluster security group that nodes use
    region: str


class Database(Construct):
    """``aws_db_instance`` with ``manage_master_user_password``: the master password is
    generated and rotated by RDS in Secrets Manager; it is never in state or code.

    Built to be upgraded and rebuilt: the engine version is a major that RDS keeps current
    (or a pinned minor without automatic upgrades, which validate enforces); the parameter
    group is named from a prefix and replaced before it is destroyed, so a new major
    (new family, ``allow_major_version_upgrade``, applied immediately) is one apply; the
    final snapshot carries the instance's key id, unique per instance; the exported logs
    go to log groups this construct creates first, with retention and a customer key."""

    def __init__(self, scope: Construct, id: str, props: DatabaseProps):
        super().__init__(scope, id)
        db = props.database
        self.kms = EncryptionKey(self, "kms", alias=names.rds_key_alias(db.identifier), description=f"Storage, secret and Performance Insights of {db.identifier}", account_id=props.account_id)
        monitoring_role = None
        if db.monitoring_interval_seconds:
            monitoring_role = iam.IamRole(
                self,
                "monitoring_role",
                name=names.rds_monitoring_role(db.identifier),
                assume_role_policy=policy.assume_by_service("monitoring.rds.amazonaws.com"),
                tags={"Name": f"{db.identifier}-monitoring"},
            )
            iam.IamRolePolicyAttachment(
                self, "monitoring_policy", role=monitoring_role.ref("name"), policy_arn=f"{policy.AWS_MANAGED}/service-role/AmazonRDSEnhancedMonitoringRole"
            )
        self.security_group = vpc.SecurityGroup(
            self,
            "sg",
            name=f"{db.identifier}-db",
            description=f"PostgreSQL {db.identifier}: only the cluster's nodes",
            vpc_id=props.vpc_id,
            tags={"Name": f"{db.identifier}-db"},
        )
        vpc.SecurityGroupIngressRule(
            self,
            "from_nodes",
            security_group_id=self.security_group.id_ref,
            referenced_security_group_id=props.client_security_group_id,
            ip_protocol="tcp",
            from_port=db.port,
            to_port=db.port,
            description="PostgreSQL from the EKS nodes",
            tags={"Name": f"{db.identifier}-from-nodes"},
        )
        # RDS creates /aws/rds/instance/<id>/<log> on the first export, never expiring and
        # without a customer key, unless it exists: created here first (the instance depends on them).
        self.logs_kms = EncryptionKey(
            self,
            "logs_kms",
            alias=names.rds_logs_key_alias(db.identifier),
            description=f"PostgreSQL logs of {db.identifier}",
            account_id=props.account_id,
            statements=[logs_statement(props.region, props.account_id)],
        )
        self.log_groups = [
            logs.CloudwatchLogGroup(
                self,
                f"log_{log}",
                name=names.rds_log_group(db.identifier, log),
                retention_in_days=db.log_retention_days,
                kms_key_id=self.logs_kms.arn,
                tags={"Name": names.rds_log_group(db.identifier, log)},
            )
            for log in db.log_exports
        ]
        family = db.parameter_group_family
        params = rds.DbParameterGroup(
            self,
            "params",
            # A new major is a new family, which replaces the group: the new one (a new name from
            # the prefix) exists before the instance moves to it and the old one goes after.
            name_prefix=names.db_parameter_group_prefix(db.identifier, family),
            family=family,
            description=f"{db.identifier}: TLS required, connections logged",
            parameter=[
                {"name": "log_connections", "value": "1"},
                {"name": "log_disconnections", "value": "1"},
                {"name": "rds.force_ssl", "value": "1"},
            ],
            tags={"Name": f"{db.identifier}-{family}"},
            lifecycle=cdktf.TerraformResourceLifecycle(create_before_destroy=True),
        )
        self.instance = rds.DbInstance(
            self,
            "instance",
            identifier=db.identifier,
            engine="postgres",
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage=db.allocated_storage_gb,
            max_allocated_storage=db.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.kms.arn,
            db_name=db.database_name,
            username=db.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.kms.arn,
            port=db.port,
            multi_az=db.multi_az,
            db_subnet_group_name=props.db_subnet_group_name,
            vpc_security_group_ids=[self.security_group.id_ref],
            parameter_group_name=params.ref("name"),
            publicly_accessible=False,
            iam_database_authentication_enabled=True,
            backup_retention_period=db.backup_retention_days,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True,
            deletion_protection=db.deletion_protection,
            skip_final_snapshot=db.skip_final_snapshot,
            # Unique per instance and stable for its life (the key is replaced only with the
            # instance): a rebuilt environment's next deletion does not collide with the last one.
            final_snapshot_identifier=None if db.skip_final_snapshot else names.db_final_snapshot_prefix(db.identifier) + self.kms.key.ref("key_id"),
            performance_insights_enabled=db.performance_insights,
            performance_insights_kms_key_id=self.kms.arn if db.performance_insights else None,
            performance_insights_retention_period=7 if db.performance_insights else None,
            enabled_cloudwatch_logs_exports=list(db.log_exports),
            monitoring_interval=db.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            auto_minor_version_upgrade=db.auto_minor_version_upgrade,
            # Sent by the provider only with a changed engine_version: a new major in the plan
            # upgrades in that apply. RDS itself never upgrades a major.
            allow_major_version_upgrade=True,
            apply_immediately=db.apply_immediately,
            tags={"Name": db.identifier},
            depends_on=list(self.log_groups),
        )

    @property
    def endpoint(self) -> str:
        return self.instance.ref("endpoint")

    @property
    def secret_arn(self) -> str:
        return self.instance.ref("master_user_secret[0].secret_arn")


@dataclass(frozen=True)
class DatabaseAdminAccessProps:
    role: DatabaseAdminRole
    region: str
    trust_policy: str  # admits the database-admin store's service account alone (Cluster.web_identity_trust)
    master_secret_arn: str
    kms_key_arn: str  # the instance's key, which encrypts the master secret


class DatabaseAdminAccess(Construct):
    """The IAM role behind the ``database-admin`` secret store: the store's own service account
    assumes it (IRSA) to read the instance's RDS-managed master secret, for the database
    bootstrap Jobs. Nothing else may assume it, external-secrets' controller included.

    It reads that one secret (its ARN, not a pattern) and decrypts through Secrets
    Manager only. ESO finds the secret by the tag RDS gives it with ListSecrets or
    BatchGetSecretValue and filters; neither takes a resource, and BatchGetSecretValue
    still returns only the secrets GetSecretValue allows."""

    def __init__(self, scope: Construct, id: str, props: DatabaseAdminAccessProps):
        super().__init__(scope, id)
        r = props.role
        self.role = iam.IamRole(self, "role", name=r.role_name, assume_role_policy=props.trust_policy, tags={"Name": r.role_name})
        iam.IamRolePolicy(
            self,
            "policy",
            name="read-master-secret",
            role=self.role.id_ref,
            policy=policy.document(
                policy.allow(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], [props.master_secret_arn], sid="ReadMasterSecret"),
                policy.allow(["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"], "*", sid="FindMasterSecretByTag"),
                policy.allow(["kms:Decrypt"], [props.kms_key_arn], sid="DecryptThroughSecretsManager", condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{props.region}.amazonaws.com"}}),
            ),
        )
