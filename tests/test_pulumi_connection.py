"""The Pulumi bootstrap's connection to its cluster (#17 "Connection and credentials", "Preview that
tells the truth"): the exec arguments of the kubeconfig, the provider's cluster identifier, the
endpoint looked up by the cluster's name (against a moto server in the slow tests), one stack per
cluster, and the reachability check before `up` (an error) and in a preview (a loud warning).
Everything runs under pulumi.runtime mocks; the checks and the lookup are injected where no server runs."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pulumi
import pytest

from stacks.pulumi_preview import offline_program, run_offline
from stacks.pulumi_program import (
    ClusterConnectionMissing,
    ClusterLookupFailed,
    ClusterSelectionMissing,
    ClusterUnreachable,
    EksCluster,
    check_connectivity,
    eks_kubeconfig,
    kubeconfig_from_config,
    program,
)

PROVIDER = "pulumi:providers:kubernetes"
CREDENTIAL = {"infraplan:gitopsRepoUsername": "x-access-token", "infraplan:gitopsRepoPassword": "ghp_TEST0nly0fake"}
DEV_ARN = "arn:aws:eks:eu-west-1:111111111111:cluster/acme-dev"
PROD_ARN = "arn:aws:eks:eu-west-1:333333333333:cluster/acme-prod"
PROD_ORG_C_ARN = "arn:aws:eks:eu-west-1:333333333333:cluster/acme-prod-org-c"
ROLE = "arn:aws:iam::111111111111:role/platform-admin"
OVERRIDE = {"infraplan:clusterEndpoint": "https://override.example", "infraplan:clusterCertificateAuthority": "T1ZFUlJJREU="}


def reachable(server: str, command: str | None) -> list[str]:
    return []


def unreachable(server: str, command: str | None) -> list[str]:
    return [f"no TCP connection to {server} within 5 s (test)"]


class FakeDescribe:
    """Stands in for eks:DescribeCluster; records what it was asked."""

    def __init__(self, arn: str = DEV_ARN, error: str | None = None):
        self.calls: list[tuple] = []
        self.arn, self.error = arn, error

    def __call__(self, name, region, profile, role_arn) -> EksCluster:
        self.calls.append((name, region, profile, role_arn))
        if self.error:
            raise ClusterLookupFailed(self.error)
        return EksCluster("https://LOOKED-UP.gr7.eu-west-1.eks.amazonaws.com", "TE9PS0VELVVQ", self.arn)


def run_stack(plan: Path, stack: str, config: dict[str, str], describe=None, check=reachable, preview: bool = True, secret_keys=None):
    """The program as `pulumi preview|up --stack <stack>` runs it (the environment and cluster from the stack)."""
    return run_offline(
        lambda: program(plan, kubeconfig_for=lambda cb: kubeconfig_from_config(cb, describe=describe or FakeDescribe(), check=check)),
        stack=stack,
        preview=preview,
        config={"infraplan:plan": str(plan), **CREDENTIAL, **config},
        secret_keys=secret_keys,
    )


def kubeconfig_of(run, name: str) -> dict:
    return json.loads(run.mocks.named(name).inputs["kubeconfig"])


# --- credentials: --profile and --role-arn, never AWS_PROFILE ------------------------------------


def test_exec_passes_profile_and_role_as_arguments(example_plan):
    """The AWS CLI uses ambient AWS_ACCESS_KEY_ID (a CI runner's OIDC identity) before AWS_PROFILE, but an
    explicit --profile drops the environment's keys: the profile and the role are arguments of get-token."""
    run = run_stack(example_plan, "dev", {**OVERRIDE, "infraplan:awsProfile": "acme-dev-admin", "infraplan:awsRoleArn": ROLE})
    user = kubeconfig_of(run, "dev-cluster")["users"][0]["user"]["exec"]
    assert user["command"] == "aws"
    assert user["args"] == [
        "eks", "get-token", "--cluster-name", "acme-dev", "--region", "eu-west-1", "--output", "json",
        "--profile", "acme-dev-admin", "--role-arn", ROLE,
    ]  # fmt: skip
    assert "env" not in user  # no AWS_PROFILE for ambient keys to override
    without = kubeconfig_of(run_stack(example_plan, "dev", OVERRIDE), "dev-cluster")["users"][0]["user"]["exec"]
    assert without["args"] == user["args"][:8] and "env" not in without  # no profile: the runner's own identity


def test_the_lookup_uses_the_same_profile_and_role(example_plan):
    describe = FakeDescribe()
    run_stack(example_plan, "dev", {"infraplan:awsProfile": "acme-dev-admin", "infraplan:awsRoleArn": ROLE}, describe=describe)
    assert describe.calls == [("acme-dev", "eu-west-1", "acme-dev-admin", ROLE)]


# --- the endpoint and CA: looked up by the cluster's name, config overrides --------------------------


def test_endpoint_and_ca_come_from_describe_cluster_by_default(example_plan):
    describe = FakeDescribe()
    run = run_stack(example_plan, "dev", {}, describe=describe)
    assert describe.calls == [("acme-dev", "eu-west-1", None, None)]  # the name and region the plan gives
    cluster = kubeconfig_of(run, "dev-cluster")["clusters"][0]["cluster"]
    assert cluster == {"server": "https://LOOKED-UP.gr7.eu-west-1.eks.amazonaws.com", "certificate-authority-data": "TE9PS0VELVVQ"}
    assert "kubeconfig" in run.mocks.named("dev-cluster").secret_paths
    describe = FakeDescribe()  # the stack config overrides the lookup
    run = run_stack(example_plan, "dev", OVERRIDE, describe=describe)
    assert describe.calls == []
    assert kubeconfig_of(run, "dev-cluster")["clusters"][0]["cluster"]["server"] == "https://override.example"


@pytest.mark.parametrize(
    "error",
    [
        "NoCredentialsError: Unable to locate credentials",
        "ResourceNotFoundException: No cluster found for name: acme-dev.",
        "AccessDeniedException: User: arn:aws:iam::111111111111:user/ci is not authorized to perform: eks:DescribeCluster",
    ],
)
def test_a_failed_lookup_is_a_run_error_with_the_fix(example_plan, error):
    """Reported by the language host without a traceback (pulumi.RunError), before any resource."""
    with pytest.raises(ClusterLookupFailed) as exc:
        run_stack(example_plan, "dev", {}, describe=FakeDescribe(error=error))
    assert isinstance(exc.value, pulumi.RunError)
    text = str(exc.value)
    assert "eks:DescribeCluster of cluster acme-dev in eu-west-1 failed" in text and error in text
    assert "pulumi config set infraplan:awsProfile" in text  # credentials ...
    assert 'pulumi config set infraplan:clusterEndpoint "$(terraform -chdir=dist/terraform/stacks/dev-platform output -raw cluster_endpoint)"' in text  # ... or the override


def test_a_cluster_of_another_account_is_refused(example_plan):
    """Credentials of the wrong account find a same-named cluster there: never bootstrap it."""
    with pytest.raises(ClusterLookupFailed, match="answered arn:aws:eks:eu-west-1:999999999999:cluster/acme-dev, not " + DEV_ARN):
        run_stack(example_plan, "dev", {}, describe=FakeDescribe(arn="arn:aws:eks:eu-west-1:999999999999:cluster/acme-dev"))


def test_half_an_override_is_a_run_error(example_plan):
    with pytest.raises(ClusterConnectionMissing, match="sets infraplan:clusterCertificateAuthority but not infraplan:clusterEndpoint") as exc:
        run_stack(example_plan, "dev", {"infraplan:clusterCertificateAuthority": "Y2E="})
    assert isinstance(exc.value, pulumi.RunError)


# --- the provider's identity: the cluster ARN ------------------------------------------------------


def test_provider_cluster_identifier_is_the_cluster_arn(example_plan):
    """pulumi-kubernetes (provider.go DiffConfig) replaces a provider, and so everything under it, when the
    kubeconfig's active cluster changes, unless clusterIdentifier is set and unchanged. The identifier is
    the cluster's ARN, from the plan: a new endpoint, CA or credential leaves it as it is."""
    run = run_offline(offline_program(example_plan, "prod"), stack="prod")
    assert {p.name: p.inputs["clusterIdentifier"] for p in run.mocks.of_type(PROVIDER)} == {"prod-cluster": PROD_ARN, "prod-org-c-cluster": PROD_ORG_C_ARN}
    before = run_stack(example_plan, "dev", {}).mocks.named("dev-cluster").inputs
    after = run_stack(example_plan, "dev", {**OVERRIDE, "infraplan:awsProfile": "other"}).mocks.named("dev-cluster").inputs
    assert before["kubeconfig"] != after["kubeconfig"]
    assert before["clusterIdentifier"] == after["clusterIdentifier"] == DEV_ARN


def test_the_identifier_holds_for_a_kubeconfig_from_config(example_plan):
    kubeconfig = eks_kubeconfig("acme-dev", "eu-west-1", "https://x", "Y2E=")
    run = run_stack(example_plan, "dev", {"infraplan:kubeconfig": kubeconfig}, secret_keys=["infraplan:kubeconfig"])
    assert run.mocks.named("dev-cluster").inputs["clusterIdentifier"] == DEV_ARN


# --- one stack per cluster -------------------------------------------------------------------------


def test_a_stack_bootstraps_one_cluster(example_plan):
    """prod has two clusters (the shared one and org-c's dedicated one): stack prod-org-c bootstraps the
    dedicated one alone, so an unreachable shared cluster does not block it (and the reverse)."""
    org_c = run_stack(example_plan, "prod-org-c", {}, describe=FakeDescribe(arn=PROD_ORG_C_ARN))
    assert [p.name for p in org_c.mocks.of_type(PROVIDER)] == ["prod-org-c-cluster"]
    assert all(r.name.startswith("prod-org-c-") for r in org_c.resources if r.name != "prod-org-c"), [r.name for r in org_c.resources]  # prod-org-c: the component
    assert org_c.exports["environment"] == "prod" and list(org_c.exports["clusters"]) == ["prod-org-c"]
    assert org_c.exports["rootApplication"] == "root"
    shared = run_stack(example_plan, "prod", {"infraplan:cluster": "prod"}, describe=FakeDescribe(arn=PROD_ARN), check=reachable)
    assert [p.name for p in shared.mocks.of_type(PROVIDER)] == ["prod-cluster"]
    assert list(shared.exports["clusters"]) == ["prod"]


def test_an_environment_stack_with_several_clusters_must_name_its_cluster(example_plan):
    """Never a silent choice: stack prod spanned both clusters before; leaving org-c's resources out of the
    program would delete them (in helm mode, uninstall the releases). The error says how to move them."""
    with pytest.raises(ClusterSelectionMissing) as exc:
        run_stack(example_plan, "prod", {}, describe=FakeDescribe(arn=PROD_ARN))
    text = str(exc.value)
    assert isinstance(exc.value, pulumi.RunError)
    assert "pulumi config set --stack prod infraplan:cluster prod" in text
    assert "pulumi stack init prod-org-c" in text
    assert "pulumi state move --source prod --dest prod-org-c $(pulumi stack --stack prod --show-urns | grep -o 'urn:pulumi:prod::[^ ]*::prod-org-c-[^ ]*' | sort -u)" in text
    single = run_stack(example_plan, "staging", OVERRIDE)  # an environment of one cluster needs no selection
    assert [p.name for p in single.mocks.of_type(PROVIDER)] == ["staging-cluster"]


def test_an_unknown_stack_or_cluster_is_a_run_error(example_plan):
    with pytest.raises(ClusterSelectionMissing, match="stack qa is neither an environment"):
        run_stack(example_plan, "qa", OVERRIDE)
    with pytest.raises(ClusterSelectionMissing, match="infraplan:cluster is prod-org-z, not a cluster of environment prod"):
        run_stack(example_plan, "prod", {"infraplan:cluster": "prod-org-z"})


# --- reachability: `up` stops, a preview warns ------------------------------------------------------


def test_up_against_an_unreachable_cluster_stops_before_any_resource(example_plan):
    seen: list = []
    check = lambda server, command: seen.append((server, command)) or unreachable(server, command)  # noqa: E731
    with pytest.raises(ClusterUnreachable) as exc:
        run_stack(example_plan, "dev", {}, check=check, preview=False)
    assert seen == [("https://LOOKED-UP.gr7.eu-west-1.eks.amazonaws.com", "aws")]  # the endpoint, and the CLI the exec needs
    text = str(exc.value)
    assert isinstance(exc.value, pulumi.RunError)
    assert "cluster acme-dev (eu-west-1, stack dev)" in text and "no TCP connection" in text and "cluster.api_access" in text


def test_a_preview_against_an_unreachable_cluster_warns_loudly(example_plan, caplog):
    """pulumi-kubernetes skips every dry run against an unreachable cluster and the preview passes; the program says so."""
    with caplog.at_level(logging.WARNING):
        run = run_stack(example_plan, "dev", {}, check=unreachable, preview=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("UNREACHABLE cluster acme-dev" in w and "proves NOTHING about the cluster" in w and "`pulumi up` will fail" in w for w in warnings), warnings
    assert run.mocks.named("dev-argocd")  # the preview goes on: it still shows what the program asks for
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run_stack(example_plan, "dev", {}, check=reachable, preview=True)
        run_stack(example_plan, "dev", {}, check=reachable, preview=False)
    assert not [r for r in caplog.records if "UNREACHABLE" in r.getMessage()]


def test_the_check_reads_a_kubeconfig_from_config(example_plan):
    """A whole kubeconfig (YAML) from secret config: its current context's server and exec command are checked."""
    kubeconfig = """apiVersion: v1
kind: Config
current-context: admin
clusters:
- {name: other, cluster: {server: "https://other:6443"}}
- {name: acme-dev, cluster: {server: "https://mine.example:6443"}}
users:
- {name: me, user: {exec: {command: kubelogin, args: [get-token]}}}
contexts:
- {name: admin, context: {cluster: acme-dev, user: me}}
"""
    seen: list = []
    run_stack(example_plan, "dev", {"infraplan:kubeconfig": kubeconfig}, check=lambda s, c: seen.append((s, c)) or [], secret_keys=["infraplan:kubeconfig"])
    assert seen == [("https://mine.example:6443", "kubelogin")]


def test_check_connectivity_against_local_sockets(monkeypatch):
    """The real check: a TCP connection to the server's port, and the exec command on PATH."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert check_connectivity(f"https://127.0.0.1:{port}", None) == []
    problems = check_connectivity(f"https://127.0.0.1:{port}", None)  # closed now
    assert len(problems) == 1 and f"no TCP connection to 127.0.0.1:{port}" in problems[0]
    monkeypatch.setenv("PATH", "/nonexistent")
    problems = check_connectivity("https://127.0.0.1:1", "aws")
    assert "`aws`, which is not on PATH" in problems[0] and len(problems) == 2


# --- the lookup against a moto server (slow: starts one) ---------------------------------------------


@pytest.fixture(scope="module")
def moto_dev(tmp_path_factory):
    """A moto server as the dev account (111111111111), with cluster acme-dev in eu-west-1."""
    from deploy.conftest import start_moto

    server = start_moto("111111111111", tmp_path_factory.mktemp("moto"))
    try:
        iam = server.client("iam")
        role = iam.create_role(RoleName="eks-cluster", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
        server.client("eks").create_cluster(name="acme-dev", roleArn=role, resourcesVpcConfig={"subnetIds": []})
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_env(monkeypatch, tmp_path, moto_dev):
    """boto3 talks to the moto server (AWS_ENDPOINT_URL), with no credentials of the machine's own."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_dev.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    return tmp_path


def add_profile(aws_env: Path, name: str, key: str, secret: str) -> None:
    with open(aws_env / "credentials", "a") as f:
        f.write(f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")


def reset_auth(server, count: str) -> None:
    """moto's IAM enforcement: after ``count`` more requests (inf: never)."""
    import urllib.request

    req = urllib.request.Request(f"{server.url}/moto-api/reset-auth", data=count.encode(), method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req, timeout=10).read()


def lookup_run(plan: Path, config: dict[str, str]):
    """The program with the real eks:DescribeCluster (only the TCP check is injected: moto's endpoint is made up)."""
    return run_offline(
        lambda: program(plan, kubeconfig_for=lambda cb: kubeconfig_from_config(cb, check=reachable)),
        stack="dev",
        config={"infraplan:plan": str(plan), **CREDENTIAL, **config},
    )


@pytest.mark.slow
def test_lookup_against_moto_finds_the_cluster_by_its_name(example_plan, aws_env, moto_dev):
    add_profile(aws_env, "acme-dev-admin", "test", "test")
    cluster = moto_dev.client("eks").describe_cluster(name="acme-dev")["cluster"]
    run = lookup_run(example_plan, {"infraplan:awsProfile": "acme-dev-admin"})
    provider = run.mocks.named("dev-cluster").inputs
    kubeconfig = json.loads(provider["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"] == {"server": cluster["endpoint"], "certificate-authority-data": cluster["certificateAuthority"]["data"]}
    assert cluster["arn"] == provider["clusterIdentifier"] == DEV_ARN  # the ARN the plan predicts is the one AWS reports


@pytest.mark.slow
def test_lookup_against_moto_of_a_missing_cluster(example_plan, aws_env, moto_dev):
    add_profile(aws_env, "acme-dev-admin", "test", "test")
    moto_dev.client("eks").delete_cluster(name="acme-dev")
    try:
        with pytest.raises(ClusterLookupFailed, match=r"eks:DescribeCluster of cluster acme-dev in eu-west-1 failed: ResourceNotFoundException") as exc:
            lookup_run(example_plan, {"infraplan:awsProfile": "acme-dev-admin"})
        assert "terraform -chdir=dist/terraform/stacks/dev-platform output -raw cluster_endpoint" in str(exc.value)
    finally:
        role = moto_dev.client("iam").get_role(RoleName="eks-cluster")["Role"]["Arn"]
        moto_dev.client("eks").create_cluster(name="acme-dev", roleArn=role, resourcesVpcConfig={"subnetIds": []})


@pytest.mark.slow
def test_lookup_without_credentials(example_plan, aws_env):
    with pytest.raises(ClusterLookupFailed, match=r"acme-dev in eu-west-1 failed: NoCredentialsError") as exc:
        lookup_run(example_plan, {})
    assert "pulumi config set infraplan:awsProfile" in str(exc.value)
    with pytest.raises(ClusterLookupFailed, match=r"acme-dev in eu-west-1 failed: ProfileNotFound"):
        lookup_run(example_plan, {"infraplan:awsProfile": "nowhere"})


@pytest.mark.slow
def test_lookup_uses_the_profile_then_the_role_not_the_ambient_keys(example_plan, aws_env, moto_dev, monkeypatch):
    """With ambient keys set (a CI runner's identity), the lookup takes its credentials from the profile
    (its credential_process runs and leaves a mark) and with them assumes the role (moto records the
    session); eks:DescribeCluster then finds the cluster. (moto cannot check IAM permissions of EKS
    calls: its signature check fails for them, so AccessDenied is driven under mocks above.)"""
    import sys
    import urllib.request

    marker = aws_env / "profile-used"
    process = aws_env / "creds.py"
    process.write_text(
        "import json, sys\n"
        f"open({str(marker)!r}, 'a').write('used\\n')\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDPROFILE', 'SecretAccessKey': 'profile-secret'}))\n"
    )
    (aws_env / "config").write_text(f"[profile acme-dev-admin]\ncredential_process = {sys.executable} {process}\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDAMBIENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "ambient-secret")
    role = "arn:aws:iam::111111111111:role/platform-admin"
    run = lookup_run(example_plan, {"infraplan:awsProfile": "acme-dev-admin", "infraplan:awsRoleArn": role})
    assert marker.read_text() == "used\n"  # the profile's credentials, not the ambient keys
    sessions = json.loads(urllib.request.urlopen(f"{moto_dev.url}/moto-api/data.json", timeout=10).read())["sts"]["AssumedRole"]
    assert [(r["role_arn"], r["session_name"]) for r in sessions] == [(role, "infraplan-pulumi")]
    provider = run.mocks.named("dev-cluster").inputs
    assert provider["clusterIdentifier"] == DEV_ARN
    assert json.loads(provider["kubeconfig"])["users"][0]["user"]["exec"]["args"][-4:] == ["--profile", "acme-dev-admin", "--role-arn", role]


def test_the_repository_has_a_stack_file_per_cluster(example_plan):
    """Pulumi.<cluster key>.yaml for every cluster of the example, and each one, run as its stack, bootstraps that cluster."""
    import yaml

    from conftest import ROOT
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_environment

    plan = load_plan(example_plan)
    keys = [c.key for env in plan.environments for c, _ in resolve_environment(plan, env).clusters]
    assert sorted(p.name for p in ROOT.glob("Pulumi.*.yaml")) == sorted(f"Pulumi.{k}.yaml" for k in keys)
    for key in keys:
        config = {k: str(v) for k, v in (yaml.safe_load((ROOT / f"Pulumi.{key}.yaml").read_text())["config"] or {}).items()}
        config["infraplan:plan"] = str(example_plan)
        if key == "prod":
            config["infraplan:cluster"] = "prod"  # the one step the file leaves to the user (the migration guard)
        arn = next(f"arn:aws:eks:{c.region}:{resolve_environment(plan, e).account_id}:cluster/{c.name}" for e in plan.environments for c, _ in resolve_environment(plan, e).clusters if c.key == key)
        run = run_stack(example_plan, key, config, describe=FakeDescribe(arn=arn))
        assert [p.name for p in run.mocks.of_type(PROVIDER)] == [f"{key}-cluster"], key
