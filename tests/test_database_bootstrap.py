"""The tenant database bootstrap, run for real: the script and the environment of the
generated Job (dev cluster), against a local PostgreSQL server whose master user is
not a superuser and which accepts only TLS over TCP, as RDS with rds.force_ssl."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest
import yaml

from postgres_server import MASTER_USER, PostgresServer, start_postgres

MANIFESTS = "kubernetes/dev/infrastructure/database-bootstrap/manifests"


@pytest.fixture(scope="module")
def server():
    s = start_postgres()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def generated(example_synth: Path) -> dict:
    folder = example_synth / MANIFESTS
    return {p.name: yaml.safe_load(p.read_text()) for p in folder.glob("*.yaml")}


def run_job(generated: dict, server: PostgresServer, tenant: str, tenant_secret: dict[str, str], workdir: Path) -> subprocess.CompletedProcess:
    """Run the Job's command with the Job's environment, resolving its secretKeyRefs from
    the Secrets its ExternalSecrets would write."""
    job = generated[f"job-bootstrap-{tenant}.yaml"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    configmap = generated["configmap-script.yaml"]
    mount = container["volumeMounts"][0]["mountPath"]
    for name, text in configmap["data"].items():
        (workdir / name).write_text(text)
    secrets_by_name = {f"{tenant}-credentials": tenant_secret, "master-credentials": {"PGUSER": MASTER_USER, "PGPASSWORD": server.master_password}}
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin"}
    for e in container["env"]:
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            secret = secrets_by_name[ref["name"]]
            if ref["key"] in secret:
                env[e["name"]] = secret[ref["key"]]
            else:
                assert ref.get("optional"), f"the pod would not start: {ref}"
    command = [c.replace(mount, str(workdir)) for c in container["command"]]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def secret_for(server: PostgresServer, database: str, password: str | None = None) -> dict[str, str]:
    """What Terraform writes into <prefix>/<env>/<tenant>/database (ESO makes every value a string)."""
    return {
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": str(server.port),
        "dbname": database,
        "username": database,
        "password": password or secrets.token_urlsafe(24),
        "credentials_version": "1",  # the example plan's
    }


def test_the_job_runs_psql_over_tls_as_the_master_user(generated: dict) -> None:
    env = {e["name"]: e for e in generated["job-bootstrap-org-a.yaml"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["PGSSLMODE"]["value"] == "require"
    assert env["PGUSER"]["valueFrom"]["secretKeyRef"] == {"name": "master-credentials", "key": "PGUSER"}
    assert env["TENANT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "org-a-credentials", "key": "password"}


def test_bootstrap_creates_role_and_database_owned_by_the_tenant(generated: dict, server: PostgresServer, tmp_path: Path) -> None:
    org_a = secret_for(server, "org_a")
    proc = run_job(generated, server, "org-a", org_a, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert org_a["password"] not in proc.stdout + proc.stderr  # never printed
    # The tenant logs in with the password from its secret, over TLS, and owns its database.
    who = server.psql("select current_user, (select pg_get_userbyid(datdba) from pg_database where datname = current_database())", user="org_a", password=org_a["password"], database="org_a")
    assert who.stdout.strip() == "org_a|org_a"
    server.psql("create table orders (id int primary key); insert into orders values (1)", user="org_a", password=org_a["password"], database="org_a")
    attrs = server.psql("select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = 'org_a'").stdout.strip()
    assert attrs == "f|f|f"


def test_bootstrap_is_idempotent_and_applies_a_new_password(generated: dict, server: PostgresServer, tmp_path: Path) -> None:
    first = secret_for(server, "org_a")
    assert run_job(generated, server, "org-a", first, tmp_path).returncode == 0
    assert run_job(generated, server, "org-a", first, tmp_path).returncode == 0  # a second sync changes nothing
    second = secret_for(server, "org_a")
    proc = run_job(generated, server, "org-a", second, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert server.psql("select 1", user="org_a", password=second["password"], database="org_a").stdout.strip() == "1"
    old = server.psql("select 1", user="org_a", password=first["password"], database="org_a", check=False)
    assert old.returncode != 0 and "password authentication failed" in old.stderr
    assert server.psql("select count(*) from pg_database where datname = 'org_a'").stdout.strip() == "1"


def test_tenants_on_one_instance_cannot_reach_each_other(generated: dict, server: PostgresServer, tmp_path: Path) -> None:
    org_a, org_c = secret_for(server, "org_a"), secret_for(server, "org_c")
    assert run_job(generated, server, "org-a", org_a, tmp_path).returncode == 0
    assert run_job(generated, server, "org-c", org_c, tmp_path).returncode == 0
    denied = server.psql("select 1", user="org_c", password=org_c["password"], database="org_a", check=False)
    assert denied.returncode != 0 and "permission denied for database" in denied.stderr
    assert server.psql("select 1", user="org_c", password=org_c["password"], database="org_c").stdout.strip() == "1"


def test_a_database_created_by_rds_is_handed_to_the_tenant(generated: dict, server: PostgresServer, tmp_path: Path) -> None:
    """A dedicated instance creates the tenant's database itself (db_name), owned by the master user."""
    server.psql("create database org_dedicated")
    creds = secret_for(server, "org_dedicated")
    proc = run_job(generated, server, "org-a", creds, tmp_path)
    assert proc.returncode == 0, proc.stderr
    owner = server.psql("select pg_get_userbyid(datdba) from pg_database where datname = 'org_dedicated'").stdout.strip()
    assert owner == "org_dedicated"


def test_a_failure_stops_the_job_with_an_error(generated: dict, server: PostgresServer, tmp_path: Path) -> None:
    creds = secret_for(server, "org_a")
    creds["port"] = "1"  # nothing listens there
    proc = run_job(generated, server, "org-a", creds, tmp_path)
    assert proc.returncode != 0 and "connection" in proc.stderr.lower()


def test_the_job_waits_for_the_credentials_version_the_plan_asks_for(generated: dict, server: PostgresServer, tmp_path: Path) -> None:
    """After credentials_version is raised in the plan, a run that still sees the old secret
    fails (and the Job retries) rather than setting the old password again."""
    job = generated["job-bootstrap-org-a.yaml"]
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["EXPECTED_CREDENTIALS_VERSION"]["value"] == "1"
    stale = secret_for(server, "org_stale")
    stale["credentials_version"] = "0"
    proc = run_job(generated, server, "org-a", stale, tmp_path)
    assert proc.returncode == 1 and "the plan asks for 1" in proc.stderr
    del stale["credentials_version"]  # a secret written before the version existed
    assert run_job(generated, server, "org-a", stale, tmp_path).returncode == 1
    assert server.psql("select count(*) from pg_roles where rolname = 'org_stale'").stdout.strip() == "0"
