"""Apply, verify, re-plan and destroy the dev environment and tenant org-a on a moto server.

One apply is shared by the module: the tests run in file order
apply -> boto3 checks -> no drift -> verify (clean) -> change -> verify (1) -> lock -> destroy.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from .moto_compat import strip_unsupported
from .tfrun import tf

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
ENV = "dev"
TENANT = "org-a"


@dataclass
class Deployment:
    moto: object
    out: Path
    tf_env: dict
    env: object  # ResolvedEnvironment
    stripped: dict
    timings: dict

    def stack(self, name: str) -> Path:
        return self.out / "terraform" / "stacks" / name

    @property
    def order(self) -> list[str]:
        return [self.env.state_stack_name, self.env.stack_name, self.env.tenant(TENANT).stack_name]


@pytest.fixture(scope="module")
def deployment(moto_factory, terraform_cli_config, tmp_path_factory) -> Deployment:
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve import names
    from constructs_lib.resolve.environment import resolve_environment
    from stacks.cli import main

    env = resolve_environment(load_plan(ROOT / "environments"), ENV)
    moto = moto_factory(env.account_id)
    out = tmp_path_factory.mktemp("deploy") / "dist"
    # The user-facing path: `infraplan synth --aws-endpoint URL`.
    assert main(["synth", "--plan", str(ROOT / "environments"), "--out", str(out), "--env", ENV, "--tenant", TENANT, "--aws-endpoint", moto.url]) == 0
    dep = Deployment(moto, out, dict(terraform_cli_config), env, {}, {})
    for name in dep.order:
        dep.stripped[name] = strip_unsupported(dep.stack(name) / "cdk.tf.json")
    # A rebuild: EKS re-created its control-plane log group with the last logs after the previous
    # destroy deleted it (no retention, no key). The platform stack adopts it instead of failing
    # on ResourceAlreadyExistsException.
    moto.client("logs").create_log_group(logGroupName=names.eks_log_group(env.cluster.name))
    started = time.perf_counter()
    # 1. bootstrap with local state, 2. the stacks on the S3 backend it created.
    for name in dep.order:
        t0 = time.perf_counter()
        tf(["init", "-input=false"], dep.stack(name), dep.tf_env)
        tf(["apply", "-auto-approve", "-input=false"], dep.stack(name), dep.tf_env)
        dep.timings[f"apply {name}"] = round(time.perf_counter() - t0, 1)
    dep.timings["apply total"] = round(time.perf_counter() - started, 1)
    return dep


def test_state_backend_holds_remote_state(deployment: Deployment):
    st = deployment.env.state
    s3 = deployment.moto.client("s3")
    assert s3.get_bucket_versioning(Bucket=st.bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=st.bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(s3.get_public_access_block(Bucket=st.bucket)["PublicAccessBlockConfiguration"].values())
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=st.bucket).get("Contents", [])}
    assert f"{deployment.env.stack_name}/terraform.tfstate" in keys
    assert f"{deployment.env.tenant(TENANT).stack_name}/terraform.tfstate" in keys
    assert not any(k.endswith(".tflock") for k in keys), "a lock was left behind"
    # every state object is SSE-KMS with the bucket's own key, which the backends name by alias ARN
    state_key = deployment.moto.client("kms").describe_key(KeyId=st.kms_key_id)["KeyMetadata"]["Arn"]
    assert deployment.env.state.kms_key_id == deployment.env.tenant(TENANT).state.kms_key_id == st.kms_key_id
    for key in (f"{deployment.env.stack_name}/terraform.tfstate", f"{deployment.env.tenant(TENANT).stack_name}/terraform.tfstate"):
        head = s3.head_object(Bucket=st.bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms" and head.get("SSEKMSKeyId") in (st.kms_key_id, state_key), (key, head)
    # and the bucket refuses any other write: SSE-S3, SSE-KMS without a key (aws/s3), or another key
    other_key = f"arn:aws:kms:{deployment.env.region}:{deployment.env.account_id}:alias/not-the-state-key"
    for sse in ({}, {"ServerSideEncryption": "AES256"}, {"ServerSideEncryption": "aws:kms"}, {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": other_key}):
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket=st.bucket, Key="probe/terraform.tfstate", Body=b"{}", **sse)
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, sse
    table = deployment.moto.client("dynamodb").describe_table(TableName=st.lock_table)["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    # the platform stack's local dir has no state file: it lives in S3
    assert not (deployment.stack(deployment.env.stack_name) / "terraform.tfstate").exists()


def test_live_resources_match_the_resolved_model(deployment: Deployment):
    env, moto = deployment.env, deployment.moto
    ec2, eks, rds, sm = (moto.client(s) for s in ("ec2", "eks", "rds", "secretsmanager"))
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [env.network.name]}])["Vpcs"]
    assert len(vpcs) == 1 and vpcs[0]["CidrBlock"] == env.network.cidr
    vpc_id = vpcs[0]["VpcId"]
    subnets = {t["Value"]: s for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"] for t in s.get("Tags", []) if t["Key"] == "Name"}
    for s in (*env.network.public_subnets, *env.network.private_subnets, *env.network.database_subnets):
        assert subnets[s.name]["CidrBlock"] == s.cidr and subnets[s.name]["AvailabilityZone"] == s.az
    nats = [n for n in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"] if n["State"] == "available"]
    assert env.network.nat == "single" and len(nats) == 1

    cluster = eks.describe_cluster(name=env.cluster.name)["cluster"]
    assert cluster["version"] == env.cluster.version
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is env.cluster.endpoint_public_access
    assert cluster["encryptionConfig"][0]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"][0]["provider"]["keyArn"].startswith(f"arn:aws:kms:{env.region}:{env.account_id}:key/")
    for ng in env.cluster.node_groups:
        group = eks.describe_nodegroup(clusterName=env.cluster.name, nodegroupName=ng.name)["nodegroup"]
        assert group["scalingConfig"] == {"minSize": ng.min_size, "maxSize": ng.max_size, "desiredSize": ng.desired_size}
        assert group["instanceTypes"] == list(ng.instance_types)
        lt = ec2.describe_launch_template_versions(LaunchTemplateId=group["launchTemplate"]["id"], Versions=["$Latest"])["LaunchTemplateVersions"][0]
        assert lt["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"
        assert group["version"] == env.cluster.version  # the nodes follow the control plane
    # The private endpoint admits cluster.api_access (here the VPC) on 443, through our group on the control plane.
    api_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{env.cluster.name}-api-access"]}, {"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    assert len(api_sg) == 1 and cluster["resourcesVpcConfig"]["securityGroupIds"] == [api_sg[0]["GroupId"]]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [api_sg[0]["GroupId"]]}])["SecurityGroupRules"]
    ingress = [(r.get("CidrIpv4"), r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules if not r["IsEgress"]]
    assert env.cluster.api_access_vpc and ingress == [(env.network.cidr, "tcp", 443, 443)]
    assert not [r for r in rules if r["IsEgress"]]
    # The control-plane log group left by the previous build was adopted: retention and key set again.
    (group,) = moto.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/eks/{env.cluster.name}/cluster")["logGroups"]
    assert group["retentionInDays"] == env.cluster.log_retention_days and group["kmsKeyId"].startswith(f"arn:aws:kms:{env.region}:{env.account_id}:key/")

    db = rds.describe_db_instances(DBInstanceIdentifier=env.database.identifier)["DBInstances"][0]
    assert db["StorageEncrypted"] is True and db["KmsKeyId"].startswith(f"arn:aws:kms:{env.region}:{env.account_id}:key/")
    assert db["MultiAZ"] is env.database.multi_az
    assert db["BackupRetentionPeriod"] == env.database.backup_retention_days
    assert db["DeletionProtection"] is env.database.deletion_protection
    assert db["DBInstanceClass"] == env.database.instance_class
    assert db["AutoMinorVersionUpgrade"] is env.database.auto_minor_version_upgrade
    (pg,) = db["DBParameterGroups"]  # named from its prefix, of the major's family
    assert pg["DBParameterGroupName"].startswith(f"{env.database.identifier}-{env.database.parameter_group_family}-")
    (params,) = rds.describe_db_parameter_groups(DBParameterGroupName=pg["DBParameterGroupName"])["DBParameterGroups"]
    assert params["DBParameterGroupFamily"] == env.database.parameter_group_family == "postgres16"
    # The exported logs' groups were made by Terraform first: the tier's retention, a customer key.
    logs = moto.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/rds/instance/{env.database.identifier}/")["logGroups"]
    assert sorted(g["logGroupName"].rsplit("/", 1)[1] for g in logs) == sorted(env.database.log_exports)
    assert {g["retentionInDays"] for g in logs} == {env.database.log_retention_days} and all(g["kmsKeyId"].startswith(f"arn:aws:kms:{env.region}:") for g in logs)
    secret = db["MasterUserSecret"]
    assert secret["SecretStatus"] == "active"
    assert set(json.loads(sm.get_secret_value(SecretId=secret["SecretArn"])["SecretString"])) >= {"username", "password"}

    tenant = env.tenant(TENANT)
    assert sm.describe_secret(SecretId=tenant.database.secret_name)["Name"] == tenant.database.secret_name
    # The database admin role (behind the bootstrap's secret store) reads exactly the master secret.
    admin = moto.client("iam").get_role_policy(RoleName=env.cluster.database_admin.role_name, PolicyName="read-master-secret")["PolicyDocument"]
    read = next(st for st in admin["Statement"] if st["Sid"] == "ReadMasterSecret")
    assert read["Resource"] == [secret["SecretArn"]]
    # Grafana's admin credentials: written once, read only by the grafana-admin store's role.
    grafana = env.cluster.grafana_admin
    value = json.loads(sm.get_secret_value(SecretId=grafana.secret_name)["SecretString"])
    assert value["admin-user"] == "admin" and len(value["admin-password"]) == 32 and value["admin-password"] != "prom-operator"
    policy = moto.client("iam").get_role_policy(RoleName=grafana.role_name, PolicyName="read-grafana-admin")["PolicyDocument"]
    (st,) = policy["Statement"]
    assert st["Resource"] == [f"arn:aws:secretsmanager:{env.region}:{env.account_id}:secret:{grafana.secret_name}-??????"]
    # The account's budget alerts the plan's contacts at every threshold.
    budgets = moto.client("budgets")
    live = budgets.describe_budget(AccountId=env.account_id, BudgetName=env.budget.name)["Budget"]
    assert (float(live["BudgetLimit"]["Amount"]), live["TimeUnit"], live["BudgetType"]) == (env.budget.limit_usd, "MONTHLY", "COST")
    alerts = budgets.describe_notifications_for_budget(AccountId=env.account_id, BudgetName=env.budget.name)["Notifications"]
    assert {(n["NotificationType"], n["Threshold"]) for n in alerts} == {(a.notification_type, a.threshold_percent) for a in env.budget.alerts}
    for n in alerts:
        subs = budgets.describe_subscribers_for_notification(AccountId=env.account_id, BudgetName=env.budget.name, Notification=n)["Subscribers"]
        assert sorted((s["SubscriptionType"], s["Address"]) for s in subs) == [("EMAIL", e) for e in sorted(env.budget.emails)]


def test_tenant_credentials_are_written_but_never_stored_in_state(deployment: Deployment):
    """The ephemeral password reaches the tenant's secret through the write-only attribute,
    with where to connect; it is nowhere in Terraform's state."""
    env, moto = deployment.env, deployment.moto
    tenant = env.tenant(TENANT)
    db = moto.client("rds").describe_db_instances(DBInstanceIdentifier=env.database.identifier)["DBInstances"][0]
    value = json.loads(moto.client("secretsmanager").get_secret_value(SecretId=tenant.database.secret_name)["SecretString"])
    password = value.pop("password")
    assert value == {
        "engine": "postgres",
        "host": db["Endpoint"]["Address"],
        "port": db["Endpoint"]["Port"],
        "dbname": tenant.database.database_name,
        "username": tenant.database.role_name,
        "credentials_version": tenant.database.credentials_version,
    }
    assert len(password) == 32 and password.isalnum()
    s3 = moto.client("s3")
    state = s3.get_object(Bucket=env.state.bucket, Key=f"{tenant.stack_name}/terraform.tfstate")["Body"].read().decode()
    assert "aws_secretsmanager_secret_version" in state and password not in state


def test_replan_shows_no_drift(deployment: Deployment):
    for name in deployment.order:
        proc = tf(["plan", "-detailed-exitcode", "-input=false"], deployment.stack(name), deployment.tf_env, check=False)
        assert proc.returncode == 0, f"{name} drifts after apply (exit {proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"


def _verify(deployment: Deployment, capsys) -> tuple[int, str]:
    from stacks.cli import main

    capsys.readouterr()
    code = main(["verify", "--plan", str(ROOT / "environments"), "--env", ENV, "--tenant", TENANT, "--endpoint", deployment.moto.url])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_verify_passes_on_the_fresh_deployment(deployment: Deployment, capsys):
    code, output = _verify(deployment, capsys)
    assert code == 0, output


def test_verify_checks_the_state_encryption(deployment: Deployment):
    """verify reads each state object's encryption (HeadObject) and names one not under the state key."""
    import dataclasses

    from constructs_lib.terraform.verify import Clients, check_state

    st = deployment.env.state
    aws = Clients(deployment.env.region, deployment.moto.url)
    assert check_state(aws, [st]) == []
    other = dataclasses.replace(st, kms_key_id=f"arn:aws:kms:{deployment.env.region}:{deployment.env.account_id}:alias/not-the-state-key")
    assert [(d.setting, d.expected) for d in check_state(aws, [other])] == [("encryption", f"aws:kms with {other.kms_key_id}")]
    missing = dataclasses.replace(st, key="nothing-here/terraform.tfstate")
    assert [d.render() for d in check_state(aws, [missing])] == [f"state s3://{st.bucket}/nothing-here/terraform.tfstate: missing"]


def test_verify_reports_a_changed_resource(deployment: Deployment, capsys):
    env, moto = deployment.env, deployment.moto
    wrong = env.database.backup_retention_days + 6
    moto.client("rds").modify_db_instance(DBInstanceIdentifier=env.database.identifier, BackupRetentionPeriod=wrong, ApplyImmediately=True)
    ng = env.cluster.node_groups[0]
    moto.client("eks").update_nodegroup_config(
        clusterName=env.cluster.name, nodegroupName=ng.name, scalingConfig={"minSize": ng.min_size, "maxSize": ng.max_size + 3, "desiredSize": ng.desired_size}
    )
    admin = env.cluster.database_admin.role_name
    intruder = f"arn:aws:iam::{env.account_id}:role/intruder"
    moto.client("iam").update_assume_role_policy(
        RoleName=admin, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": intruder}, "Action": "sts:AssumeRole"}]})
    )
    flow_logs = f"/aws/vpc/{env.network.name}/flow-logs"
    moto.client("logs").put_retention_policy(logGroupName=flow_logs, retentionInDays=1)
    pg_logs = f"/aws/rds/instance/{env.database.identifier}/postgresql"
    moto.client("logs").delete_retention_policy(logGroupName=pg_logs)  # never expire, as RDS would have made it
    # someone opens the private API to another network by hand
    ec2 = moto.client("ec2")
    api_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{env.cluster.name}-api-access"]}])["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=api_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "192.168.0.0/16"}]}])
    # someone removes the budget's forecast alert in the console: nobody hears of the overrun
    budgets = moto.client("budgets")
    (forecast,) = [
        n
        for n in budgets.describe_notifications_for_budget(AccountId=env.account_id, BudgetName=env.budget.name)["Notifications"]
        if n["NotificationType"] == "FORECASTED"
    ]
    budgets.delete_notification(AccountId=env.account_id, BudgetName=env.budget.name, Notification=forecast)
    code, output = _verify(deployment, capsys)
    assert code == 1, output
    assert f"log group {flow_logs}: retention_days is 1, expected {env.network.flow_logs_retention_days}" in output
    assert f"log group {pg_logs}: retention_days is None, expected {env.database.log_retention_days}" in output
    store_sa = f"system:serviceaccount:{env.cluster.database_admin.namespace}:{env.cluster.database_admin.service_account}"
    assert f"IAM role {admin}: trusted principals is ['{intruder}'], expected ['{store_sa}']" in output
    assert f"RDS instance {env.database.identifier}: backup_retention_days is {wrong}, expected {env.database.backup_retention_days}" in output
    assert f"EKS node group {env.cluster.name}/{ng.name}: maxSize is {ng.max_size + 3}, expected {ng.max_size}" in output
    assert f"budget {env.budget.name}: alert FORECASTED > {forecast['Threshold']:g}%: missing" in output
    assert f"security group {env.cluster.name}-api-access: sources admitted on TCP 443 is {sorted([env.network.cidr, '192.168.0.0/16'])}, expected {[env.network.cidr]}" in output
    # Terraform sees the same change as drift. (Converging it back with `apply` is not
    # tested: moto has no EKS DescribeUpdate, which the provider polls after a node group
    # update; and an RDS modify costs ~80 s of provider waiting.)
    stack = deployment.stack(env.stack_name)
    plan = tf(["plan", "-detailed-exitcode", "-input=false", "-refresh-only"], stack, deployment.tf_env, check=False)
    assert plan.returncode == 2, plan.stdout[-3000:] + plan.stderr[-3000:]
    assert "backup_retention_period" in plan.stdout and "max_size" in plan.stdout and "retention_in_days" in plan.stdout
    assert "aws_budgets_budget" in plan.stdout  # the removed alert


def test_a_second_plan_cannot_take_the_lock(deployment: Deployment):
    """Two concurrent plans on one state: the second fails to take the lock; the state is intact."""
    # The platform stack: refreshing its ~100 resources one at a time keeps the first plan
    # (and its lock) busy for many seconds, so the second one reliably meets the lock.
    name = deployment.env.stack_name
    stack = deployment.stack(name)
    st = deployment.env.state
    key = f"{name}/terraform.tfstate"
    s3 = deployment.moto.client("s3")
    before = json.loads(tf(["state", "pull"], stack, deployment.tf_env).stdout)
    first = subprocess.Popen(
        ["terraform", "plan", "-input=false", "-no-color", "-parallelism=1", "-lock-timeout=0s"], cwd=stack, env=deployment.tf_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None:
            try:
                lock = s3.head_object(Bucket=st.bucket, Key=f"{key}.tflock")
                break
            except s3.exceptions.ClientError:
                time.sleep(0.05)
        else:
            pytest.fail("the first plan never took the lock")
        second = tf(["plan", "-input=false", "-lock-timeout=0s"], stack, deployment.tf_env, check=False)
    finally:
        out, err = first.communicate(timeout=300)
    assert second.returncode == 1
    assert "Error acquiring the state lock" in second.stderr
    assert lock["ServerSideEncryption"] == "aws:kms" and lock.get("SSEKMSKeyId") == st.kms_key_id  # the lock file too
    assert first.returncode == 0, out + err
    after = json.loads(tf(["state", "pull"], stack, deployment.tf_env).stdout)
    assert (after["lineage"], after["serial"], after["resources"]) == (before["lineage"], before["serial"], before["resources"])
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=st.bucket).get("Contents", [])}
    assert f"{key}.tflock" not in keys
    items = deployment.moto.client("dynamodb").scan(TableName=st.lock_table)["Items"]
    assert not [i for i in items if "Info" in i], f"a DynamoDB lock is left: {items}"


def test_destroy_leaves_nothing_behind(deployment: Deployment, capsys):
    env, moto = deployment.env, deployment.moto
    for name in reversed(deployment.order[1:]):
        tf(["destroy", "-auto-approve", "-input=false"], deployment.stack(name), deployment.tf_env)
    # The bootstrap goes last; its bucket is not force_destroy, so the operator empties it
    # (every version of every stack's state) before destroying it.
    s3 = moto.client("s3")
    versions = s3.list_object_versions(Bucket=env.state.bucket)
    objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    if objects:
        s3.delete_objects(Bucket=env.state.bucket, Delete={"Objects": objects})
    tf(["destroy", "-auto-approve", "-input=false"], deployment.stack(env.state_stack_name), deployment.tf_env)

    ec2, eks, rds, sm, iam, kms, logs, ddb = (moto.client(s) for s in ("ec2", "eks", "rds", "secretsmanager", "iam", "kms", "logs", "dynamodb"))
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")] == []
    assert [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")] == []
    assert [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]] == []
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert eks.list_clusters()["clusters"] == []
    assert rds.describe_db_instances()["DBInstances"] == []
    assert [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]] == []
    assert [s["Name"] for s in sm.list_secrets()["SecretList"] if not s.get("DeletedDate")] == []
    # Development's recovery window is 0: the secrets Terraform made are gone, not scheduled for
    # deletion, so a rebuilt environment can create them again under the same names.
    ours = {env.cluster.grafana_admin.secret_name, env.tenant(TENANT).database.secret_name}
    assert ours.isdisjoint(s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"])
    for name in sorted(ours):
        sm.delete_secret(SecretId=sm.create_secret(Name=name, SecretString="rebuilt")["ARN"], ForceDeleteWithoutRecovery=True)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == []
    assert ddb.list_tables()["TableNames"] == []
    assert moto.client("budgets").describe_budgets(AccountId=env.account_id).get("Budgets", []) == []
    assert s3.list_buckets()["Buckets"] == []
    # Customer managed keys cannot be deleted at once: they must all be pending deletion.
    # AWS managed keys (alias/aws/secretsmanager, made on first use of a service) are AWS's;
    # moto reports them as customer managed, so they are recognized by their alias.
    aws_managed = {a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/aws/")}
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"] if k["KeyId"] not in aws_managed]
    assert [(k["KeyId"], k.get("Description"), k["KeyState"]) for k in keys if k.get("KeyManager") != "AWS" and k["KeyState"] != "PendingDeletion"] == []
    # ... and the verifier reports the environment as missing.
    code, output = _verify(deployment, capsys)
    assert code == 1, output
    assert f"VPC {env.network.name}: missing" in output and f"EKS cluster {env.cluster.name}: missing" in output and f"RDS instance {env.database.identifier}: missing" in output
    print(f"timings: {deployment.timings}; removed for moto: {sum(len(v) for v in deployment.stripped.values())} resources")
