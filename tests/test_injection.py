"""Terraform template injection (issue #10): every string from the plan reaches Terraform
as a literal, and only the references the constructs make stay live.

Terraform reads each string of ``cdk.tf.json`` (and each key of a map value) as a
template: ``${file("/etc/hostname")}`` in a tag would read that file on the machine
running Terraform. Proved at three levels: what Terraform itself makes of the escaped
forms, the constructs (L1 and L2) given hostile strings, and the plan, one case per
free-text field, through one synth of a hostile copy of the example.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLE_PLAN, edit_yaml, terraform
from constructs_lib.plan import PlanError, load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.resolve.model import Taint
from constructs_lib.terraform.aws import AwsProvider, Expression, hcl_jsonencode, vpc
from constructs_lib.terraform.aws.base import literal_attributes, terraform_literal
from constructs_lib.terraform.props import ConstructPropsError
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.stacks import EnvironmentStack, EnvironmentStackProps, TenantStack, TenantStackProps
from tfjson import one, resources

HOSTILE = '${file("/etc/hostname")}'
DIRECTIVE = "%{if(true)}x%{endif}"  # no space: the most hostile that group names allow
# What Terraform must be given to read them back as written.
HOSTILE_TF = '$${file("/etc/hostname")}'
DIRECTIVE_TF = "%%{if(true)}x%%{endif}"


# -- reading templates as Terraform does ---------------------------------------------------


def template_sequences(text: str) -> list[tuple[str, str]]:
    """Every ``("${", expression)`` and ``("%{", directive)`` Terraform would evaluate in
    ``text``, read as its template scanner reads (``$${`` and ``%%{`` are literals), the
    ones nested in the quoted strings of an expression included."""
    found: list[tuple[str, str]] = []
    _scan_template(text, 0, found, quoted=False)
    return found


def _scan_template(s: str, i: int, found: list, quoted: bool) -> int:
    while i < len(s):
        if quoted and s[i] == '"':
            return i + 1
        if quoted and s[i] == "\\":
            i += 2
            continue
        if s.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if s.startswith(("${", "%{"), i):
            end = _scan_expression(s, i + 2, found)
            found.append((s[i : i + 2], s[i + 2 : end - 1].strip()))
            i = end
            continue
        i += 1
    return i


def _scan_expression(s: str, i: int, found: list) -> int:
    depth = 0
    while i < len(s):
        c = s[i]
        if c == '"':
            i = _scan_template(s, i + 1, found, quoted=True)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "}":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1
    raise AssertionError(f"an unterminated template sequence in {s!r}")


# What infraplan's constructs write: references to elements of the stack, the functions
# they call, and the interpolated "$" that writes a literal dollar beside a reference.
_OWN_REFERENCE = re.compile(r"(aws_[a-z0-9_]+|data\.aws_[a-z0-9_]+|ephemeral\.aws_[a-z0-9_]+|local|var)\.[A-Za-z0-9_]")
_OWN_FUNCTIONS = ("jsonencode(", "replace(")
_LITERAL_DOLLARS = re.compile(r'"\$+"')
# the import block's for_each that adopts a log group EKS re-created (terraform/log_group.py): references only
_OWN_ADOPTION = re.compile(
    r'contains\((data\.aws_cloudwatch_log_groups\.[A-Za-z0-9_]+)\.log_group_names, \1\.log_group_name_prefix\) \? toset\(\["present"\]\) : toset\(\[\]\)'
)


def foreign_sequences(doc: dict, only: Callable[[str], Any] = lambda text: True) -> list[tuple[str, str]]:
    """Template sequences of a ``cdk.tf.json`` (in the strings ``only`` picks) that
    infraplan did not write itself: directives (it writes none) and interpolations that
    are not its references."""
    bad = []
    for text in filter(only, _template_strings(doc)):
        for kind, body in template_sequences(text):
            own = kind == "${" and (_OWN_REFERENCE.match(body) or body.startswith(_OWN_FUNCTIONS) or _LITERAL_DOLLARS.fullmatch(body) or _OWN_ADOPTION.fullmatch(body))
            if not own:
                bad.append((kind, body))
    return bad


def _template_strings(doc: dict) -> Iterator[str]:
    """Every string Terraform reads as a template: not the backend block nor output
    descriptions (used as written), nor cdktf's ``//`` comments."""
    for block, body in doc.items():
        if block == "terraform":
            yield from _strings({k: v for k, v in body.items() if k != "backend"})
        elif block == "output":
            yield from _strings([{k: v for k, v in out.items() if k != "description"} for out in body.values()])
        elif block != "//":
            yield from _strings(body)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "//":
                yield key
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_the_scanner_reads_templates_as_terraform_does() -> None:
    assert template_sequences(HOSTILE) == [("${", 'file("/etc/hostname")')]
    assert template_sequences(HOSTILE_TF) == [] and template_sequences(DIRECTIVE_TF) == []
    assert template_sequences("$$${x}") == []  # "$" then the escape "$${"
    assert template_sequences(DIRECTIVE) == [("%{", "if(true)"), ("%{", "endif")]
    assert template_sequences('${jsonencode({"a" = "${aws_vpc.v.id}", "b" = "$${no}", "c" = "\\"${x}"})}') == [
        ("${", "aws_vpc.v.id"),
        ("${", "x"),
        ("${", 'jsonencode({"a" = "${aws_vpc.v.id}", "b" = "$${no}", "c" = "\\"${x}"})'),
    ]


# -- what Terraform makes of the escaped forms -----------------------------------------------

LITERALS = [
    HOSTILE,
    DIRECTIVE,
    "$${already escaped}",
    "%%{already escaped}",
    "$",
    "a$",
    "$$",
    "${",
    "%{",
    "}",
    "${unbalanced",
    "\\${backslash}",
    'quote " and \\ backslash',
    "ünïcödé ☃ 😀",
]
# Beside a reference (REF stands for a cdktf token that resolves to ${local.ref}).
MIXED = [
    "REF",
    "a REF b",
    "a$REF",
    "a$$REF",
    "$${y} REF$",
    "${x REF }",
    "${unbalanced REF",
    "%{if(true)}REF",
    f"REF{HOSTILE}REF",
    f"arn:aws:iam::REF:role/{HOSTILE}{DIRECTIVE}",
]


def test_terraform_reads_every_escaped_string_back_as_written(tmp_path: Path, terraform_cli_config: dict[str, str]) -> None:
    """Each string through terraform_literal, then cdktf's resolution, then Terraform's own
    evaluation (terraform plan): the value is the string itself, references resolved."""
    app = cdktf.App(outdir=str(tmp_path / "cdktf"))
    stack = cdktf.TerraformStack(app, "literals")
    ref = cdktf.TerraformLocal(stack, "ref", "resolved").as_string
    expected: dict[str, Any] = {}
    for i, text in enumerate(LITERALS + MIXED):
        local = cdktf.TerraformLocal(stack, f"case_{i}", terraform_literal(text.replace("REF", ref)))
        cdktf.TerraformOutput(stack, f"out_{i}", value=local.as_string)
        expected[f"out_{i}"] = text.replace("REF", "resolved")
    keys = cdktf.TerraformLocal(stack, "keys", literal_attributes({HOSTILE: DIRECTIVE, DIRECTIVE: [HOSTILE]}))
    cdktf.TerraformOutput(stack, "out_keys", value=keys.expression)
    expected["out_keys"] = {HOSTILE: DIRECTIVE, DIRECTIVE: [HOSTILE]}
    values = {"a": HOSTILE, "b": DIRECTIVE, "c": 'quote " \\ \n\t\x01', HOSTILE: 3, "e": True, "f": None, "g": [HOSTILE, 1], "ref": Expression("local.ref")}
    encoded = cdktf.TerraformLocal(stack, "encoded", hcl_jsonencode(values))
    cdktf.TerraformOutput(stack, "out_encoded", value=encoded.as_string)
    app.synth()

    doc = json.loads((tmp_path / "cdktf/stacks/literals/cdk.tf.json").read_text())
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf.json").write_text(json.dumps({"locals": doc["locals"], "output": doc["output"]}))
    terraform(["plan", "-input=false", "-out=plan.bin"], work, terraform_cli_config)
    outputs = json.loads(terraform(["show", "-json", "plan.bin"], work, terraform_cli_config).stdout)["planned_values"]["outputs"]

    encoded_value = json.loads(outputs.pop("out_encoded")["value"])
    assert encoded_value == {**values, "ref": "resolved"}
    assert {name: o["value"] for name, o in outputs.items()} == expected


def test_hcl_jsonencode_takes_references_only_as_expressions() -> None:
    app = cdktf.Testing.app()
    stack = cdktf.TerraformStack(app, "s")
    ref = vpc.Vpc(stack, "v", cidr_block="10.0.0.0/16").ref("id")
    with pytest.raises(ValueError, match="Expression"):
        hcl_jsonencode({"vpc": ref})


# -- the constructs -----------------------------------------------------------------------


def test_an_l1_resource_writes_literals_and_keeps_references() -> None:
    app = cdktf.Testing.app()
    stack = cdktf.TerraformStack(app, "s")
    AwsProvider(stack, "aws", region="eu-west-1", default_tags=[{"tags": {HOSTILE: DIRECTIVE}}])
    network = vpc.Vpc(stack, "v", cidr_block="10.0.0.0/16", tags={"Name": HOSTILE, DIRECTIVE: "x"})
    vpc.Subnet(stack, "s", vpc_id=network.ref("id"), cidr_block="10.0.0.0/24", tags={"Name": f"{HOSTILE} in {network.ref('id')}"})
    doc = json.loads(cdktf.Testing.synth(stack))

    assert doc["provider"]["aws"][0]["default_tags"][0]["tags"] == {HOSTILE_TF: DIRECTIVE_TF}
    assert one(doc, "aws_vpc")["tags"] == {"Name": HOSTILE_TF, DIRECTIVE_TF: "x"}
    subnet = one(doc, "aws_subnet")
    assert subnet["vpc_id"] == "${aws_vpc.v.id}"
    # Beside a reference a literal "$" is the interpolation ${"$"}: cdktf would read "$${" as
    # the start of an expression of its own (see terraform_literal).
    assert subnet["tags"]["Name"] == '${"$"}{file("/etc/hostname")} in ${aws_vpc.v.id}'
    assert foreign_sequences(doc) == []


@pytest.fixture(scope="module")
def example_envs():
    return {e.name: e for e in resolve_plan(load_plan(EXAMPLE_PLAN))}


def test_l2_constructs_write_resolved_values_as_literals(example_envs) -> None:
    """An EnvironmentStack given hostile tags, node group labels, taints and instance
    types, admin ARNs and tenant groups (as a Python user of the constructs could)."""
    env = example_envs["dev"]
    c = env.cluster
    ng = dataclasses.replace(
        c.node_groups[0],
        labels=((HOSTILE, DIRECTIVE),),
        taints=(Taint(HOSTILE, DIRECTIVE, "NO_SCHEDULE"),),
    )
    access = tuple(dataclasses.replace(a, admin_groups=(HOSTILE,), developer_groups=(DIRECTIVE,)) for a in c.tenant_access)
    cluster = dataclasses.replace(c, node_groups=(ng,), tenant_access=access)
    env = dataclasses.replace(env, tags=((HOSTILE, DIRECTIVE), ("owner", HOSTILE)), cluster=cluster)
    doc = json.loads(cdktf.Testing.synth(EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(env))))

    assert doc["provider"]["aws"][0]["default_tags"][0]["tags"] == {HOSTILE_TF: DIRECTIVE_TF, "owner": HOSTILE_TF}
    group = one(doc, "aws_eks_node_group")
    assert group["labels"] == {HOSTILE_TF: DIRECTIVE_TF}
    assert (group["taint"][0]["key"], group["taint"][0]["value"]) == (HOSTILE_TF, DIRECTIVE_TF)
    assert group["cluster_name"].startswith("${aws_eks_cluster.")  # the construct's own reference stays live
    entries = resources(doc, "aws_eks_access_entry").values()
    groups = [g for e in entries for g in e.get("kubernetes_groups", [])]
    assert HOSTILE_TF in groups and DIRECTIVE_TF in groups
    assert foreign_sequences(doc) == []
    # Instance types and admin ARNs have a shape: the Cluster construct refuses hostile ones outright.
    for bad in (
        dataclasses.replace(c, node_groups=(dataclasses.replace(c.node_groups[0], instance_types=(HOSTILE,)),)),
        dataclasses.replace(c, admin_principal_arns=(f"arn:aws:iam::{env.account_id}:role/{HOSTILE}",)),
    ):
        with pytest.raises(ConstructPropsError, match="fix: "):
            EnvironmentStack(cdktf.Testing.app(), env.stack_name, EnvironmentStackProps(dataclasses.replace(env, cluster=bad)))


def test_a_tenant_secret_refuses_hostile_names_and_keeps_its_host_live(example_envs) -> None:
    """The tenant credentials construct refuses a database or role name PostgreSQL would not take
    (a hostile one included) before anything is written; its secret's host stays a live expression.
    (hcl_jsonencode's escaping of literals is proven through terraform plan above.)"""
    from constructs_lib.terraform.props import ConstructPropsError

    env = example_envs["dev"]
    tenant = env.tenant("org-a")
    assert tenant.database is not None
    for field, value in (("database_name", HOSTILE), ("role_name", DIRECTIVE)):
        hostile = dataclasses.replace(tenant, database=dataclasses.replace(tenant.database, **{field: value}))
        with pytest.raises(ConstructPropsError) as caught:
            TenantStack(cdktf.Testing.app(), hostile.stack_name, TenantStackProps(env, hostile))
        assert caught.value.prop == field and caught.value.value == value

    doc = json.loads(cdktf.Testing.synth(TenantStack(cdktf.Testing.app(), tenant.stack_name, TenantStackProps(env, tenant))))
    value = one(doc, "aws_secretsmanager_secret_version")["secret_string_wo"]
    assert f'"dbname" = "{tenant.database.database_name}"' in value and f'"username" = "{tenant.database.role_name}"' in value
    assert '"host" = data.aws_db_instance.shared_database.address' in value  # a live expression
    assert foreign_sequences(doc) == []


# -- the plan: one case per free-text field -------------------------------------------------


@dataclass(frozen=True)
class FieldCase:
    """A plan field given a hostile value: ``edit`` writes ``value`` into the file's YAML;
    ``places`` lists, for a field that reaches Terraform, the strings at each place its
    value must land (escaped); None for a field that has no business in Terraform."""

    id: str
    file: str
    path: str  # the field as PlanIssue names it (a prefix: list items and keys may follow)
    edit: Callable[[dict, str], None]
    places: Callable[[dict[str, dict]], list[list[str]]] | None
    prefix: str = ""
    suffix: str = ""

    @property
    def value(self) -> str:
        return f"{self.prefix}{HOSTILE}{DIRECTIVE}-{self.id}{self.suffix}"

    @property
    def escaped(self) -> str:
        return f"{self.prefix}{HOSTILE_TF}{DIRECTIVE_TF}-{self.id}{self.suffix}"


def _default_tags(stacks: dict[str, dict], prefix: str = "") -> list[dict[str, str]]:
    return [doc["provider"]["aws"][0]["default_tags"][0]["tags"] for name, doc in stacks.items() if name.startswith(prefix)]


def _node_groups(stacks: dict[str, dict], *names: str) -> list[dict]:
    return [g for name in names for g in resources(stacks[name], "aws_eks_node_group").values()]


def _access_entries(stacks: dict[str, dict], *names: str) -> list[list[dict]]:
    return [list(resources(stacks[name], "aws_eks_access_entry").values()) for name in names]


def _node_group(data: dict) -> dict:
    return data["cluster"]["node_groups"][0]


SHARED_PLATFORMS = ("dev-platform", "prod-platform")

CASES = [
    FieldCase("platform-tag-value", "platform.yaml", "tags", lambda d, v: d["tags"].update(owner=v), lambda s: [[t.get("owner", "")] for t in _default_tags(s)]),
    FieldCase("platform-tag-key", "platform.yaml", "tags", lambda d, v: d["tags"].update({v: "key"}), lambda s: [list(t) for t in _default_tags(s)]),
    FieldCase("env-tag-value", "dev.yaml", "tags", lambda d, v: d["tags"].update({"data-classification": v}), lambda s: [[t.get("data-classification", "")] for t in _default_tags(s, "dev-")]),
    FieldCase("env-tag-key", "dev.yaml", "tags", lambda d, v: d["tags"].update({v: "key"}), lambda s: [list(t) for t in _default_tags(s, "dev-")]),
    FieldCase(
        "node-label-key",
        "dev.yaml",
        "cluster.node_groups[0].labels",
        lambda d, v: _node_group(d).setdefault("labels", {}).update({v: "key"}),
        lambda s: [[k for g in _node_groups(s, "dev-platform") for k in g.get("labels", {})]],
    ),
    FieldCase(
        "node-label-value",
        "dev.yaml",
        "cluster.node_groups[0].labels",
        lambda d, v: _node_group(d).setdefault("labels", {}).update(role=v),
        lambda s: [[x for g in _node_groups(s, "dev-platform") for x in g.get("labels", {}).values()]],
    ),
    FieldCase(
        "node-taint-key",
        "dev.yaml",
        "cluster.node_groups[0].taints",
        lambda d, v: _node_group(d).setdefault("taints", []).append({"key": v, "value": "v", "effect": "NO_SCHEDULE"}),
        lambda s: [[t["key"] for g in _node_groups(s, "dev-platform") for t in g.get("taint", [])]],
    ),
    FieldCase(
        "node-taint-value",
        "dev.yaml",
        "cluster.node_groups[0].taints",
        lambda d, v: _node_group(d).setdefault("taints", []).append({"key": "dedicated", "value": v, "effect": "NO_EXECUTE"}),
        lambda s: [[t.get("value", "") for g in _node_groups(s, "dev-platform") for t in g.get("taint", [])]],
    ),
    FieldCase(
        "node-instance-types",
        "dev.yaml",
        "cluster.node_groups[0].instance_types",
        lambda d, v: _node_group(d)["instance_types"].append(v),
        lambda s: [[t for g in _node_groups(s, "dev-platform") for t in g["instance_types"]]],
    ),
    FieldCase(
        "tenant-instance-types-override",
        "tenants/org-c.yaml",
        "environments.prod.node_instance_types",
        lambda d, v: d["environments"]["prod"].update(node_instance_types=["m6i.large", v]),
        lambda s: [[t for g in _node_groups(s, "prod-tenant-org-c") for t in g["instance_types"]]],
    ),
    FieldCase(
        "admin-principal-arns",
        "platform.yaml",
        "platform_admins.principal_arns",
        lambda d, v: d["platform_admins"]["principal_arns"].append(v),
        lambda s: [[e["principal_arn"] for e in entries] for entries in _access_entries(s, *SHARED_PLATFORMS, "prod-tenant-org-c")],
        prefix="arn:aws:iam::111111111111:role/",
    ),
    FieldCase(
        "tenant-admin-groups",
        "tenants/org-a.yaml",
        "groups.admins",
        lambda d, v: d["groups"]["admins"].append(v),
        lambda s: [[g for e in entries for g in e.get("kubernetes_groups", [])] for entries in _access_entries(s, *SHARED_PLATFORMS)],
    ),
    FieldCase(
        "tenant-developer-groups",
        "tenants/org-a.yaml",
        "groups.developers",
        lambda d, v: d["groups"]["developers"].append(v),
        lambda s: [[g for e in entries for g in e.get("kubernetes_groups", [])] for entries in _access_entries(s, *SHARED_PLATFORMS)],
    ),
    FieldCase(
        "tenant-viewer-groups",
        "tenants/org-b.yaml",
        "groups.viewers",
        lambda d, v: d["groups"]["viewers"].append(v),
        lambda s: [[g for e in entries for g in e.get("kubernetes_groups", [])] for entries in _access_entries(s, *SHARED_PLATFORMS)],
    ),
    FieldCase(
        "dedicated-tenant-groups",
        "tenants/org-c.yaml",
        "groups.admins",
        lambda d, v: d["groups"]["admins"].append(v),
        lambda s: [[g for e in entries for g in e.get("kubernetes_groups", [])] for entries in _access_entries(s, "prod-tenant-org-c")],
    ),
    # Read by the GitOps tree and Pulumi only: they must not turn up live in Terraform.
    FieldCase("tenant-display-name", "tenants/org-a.yaml", "display_name", lambda d, v: d.update(display_name=v), None),
    FieldCase("platform-admin-groups", "platform.yaml", "platform_admins.groups", lambda d, v: d["platform_admins"]["groups"].append(v), None),
    FieldCase("acme-email", "platform.yaml", "certificates.acme_email", lambda d, v: d["certificates"].update(acme_email=v), None, suffix="@acme.example.com"),
    # Validated names and values (patterns, enumerations, CIDRs): refused today.
    FieldCase("secrets-path-prefix", "platform.yaml", "secrets.path_prefix", lambda d, v: d["secrets"].update(path_prefix=v), None),
    FieldCase("hosted-zone-id", "prod.yaml", "dns.hosted_zone_id", lambda d, v: d["dns"].update(hosted_zone_id=v), None),
    FieldCase("dns-domain", "dev.yaml", "dns.domain", lambda d, v: d["dns"].update(domain=v), None),
    FieldCase("app-host", "tenants/org-a.yaml", "apps[0].host", lambda d, v: d["apps"][0].update(host=v), None),
    FieldCase("platform-engine-version", "platform.yaml", "database.engine_version", lambda d, v: d["database"].update(engine_version=v), None),
    FieldCase("bucket-prefix", "platform.yaml", "state_backend.bucket_prefix", lambda d, v: d["state_backend"].update(bucket_prefix=v), None),
    FieldCase("platform-name", "platform.yaml", "name", lambda d, v: d.update(name=v), None),
    FieldCase("kubernetes-version", "platform.yaml", "kubernetes.version", lambda d, v: d["kubernetes"].update(version=v), None),
    FieldCase("instance-class", "dev.yaml", "database.instance_class", lambda d, v: d["database"].update(instance_class=v), None),
    FieldCase("env-engine-version", "dev.yaml", "database.engine_version", lambda d, v: d["database"].update(engine_version=v), None),
    FieldCase("public-access-cidrs", "dev.yaml", "cluster.public_access_cidrs", lambda d, v: d["cluster"].update(endpoint_public_access=True, public_access_cidrs=[v]), None),
    FieldCase("node-group-name", "dev.yaml", "cluster.node_groups[0].name", lambda d, v: _node_group(d).update(name=v), None),
    FieldCase("region", "dev.yaml", "regions", lambda d, v: d.update(regions=[v]), None),
    FieldCase("vpc-cidr", "dev.yaml", "vpc_cidr", lambda d, v: d.update(vpc_cidr=v), None),
    FieldCase("tenant-database-name", "tenants/org-a.yaml", "database.name", lambda d, v: d["database"].update(name=v), None),
]


def _write(plan: Path, case: FieldCase) -> None:
    path = plan / case.file
    data = yaml.safe_load(path.read_text())
    case.edit(data, case.value)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@dataclass
class HostilePlan:
    plan: Path
    out: Path
    refused: dict[str, PlanError]  # case id -> the refusal of that value alone
    stacks: dict[str, dict]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostilePlan:
    """Each case's value alone is validated; the accepted ones all go into one plan,
    synthesized once (dev and prod: the shared and the dedicated clusters)."""
    from stacks.synth import synthesize

    base = tmp_path_factory.mktemp("injection")
    refused = {}
    for case in CASES:
        trial = base / "trials" / case.id
        shutil.copytree(EXAMPLE_PLAN, trial)
        _write(trial, case)
        try:
            load_plan(trial)
        except PlanError as exc:
            refused[case.id] = exc
    plan = base / "plan"
    shutil.copytree(EXAMPLE_PLAN, plan)
    for case in CASES:
        if case.id not in refused:
            _write(plan, case)
    out = base / "out" / "dist"
    synthesize(plan, out, envs=["dev", "prod"])
    stacks = {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((out / "terraform/stacks").iterdir())}
    return HostilePlan(plan, out, refused, stacks)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_plan_field_reaches_terraform_as_a_literal(case: FieldCase, hostile: HostilePlan) -> None:
    """A value `validate` accepts is written escaped wherever the field lands; a value
    it refuses is refused by a PlanError naming the file and the field."""
    if case.id in hostile.refused:
        issues = hostile.refused[case.id].issues
        assert any(i.file.endswith(case.file) and re.match(rf"{re.escape(case.path)}($|[.\[])", i.path) for i in issues), [i.render() for i in issues]
        return
    mine = re.compile(re.escape(f"-{case.id}") + r"(?![a-z-])")
    live = {name: foreign_sequences(doc, only=mine.search) for name, doc in hostile.stacks.items()}
    assert not any(live.values()), f"{case.id}'s value is evaluated by Terraform: {live}"
    if case.places is None:
        return
    places = case.places(hostile.stacks)
    assert places and all(case.escaped in place for place in places), f"{case.escaped!r} not in every place: {places}"


def test_every_interpolation_in_the_hostile_stacks_is_infraplans_own(hostile: HostilePlan) -> None:
    for name, doc in hostile.stacks.items():
        assert foreign_sequences(doc) == [], name


@pytest.mark.parametrize("stack", ["dev-state", "dev-platform", "dev-tenant-org-a", "prod-tenant-org-c"])
def test_hostile_stacks_pass_terraform_validate(stack: str, hostile: HostilePlan, terraform_cli_config: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / stack
    shutil.copytree(hostile.out / "terraform/stacks" / stack, work)
    terraform(["init", "-backend=false", "-input=false"], work, terraform_cli_config)
    result = terraform(["validate", "-json"], work, terraform_cli_config)
    assert json.loads(result.stdout)["valid"], result.stdout


def test_a_forged_cdktf_token_in_plan_text_is_refused(plan_copy: Path) -> None:
    """cdktf marks references as ``${TfToken[TOKEN.n]}`` inside strings, and the L1 layer
    cannot tell such a marker written in the plan from a real one: a group named
    ``${TfToken[TOKEN.3]}`` became a reference to another stack's state (a
    terraform_remote_state of dev-state's KMS key ARN). Only the plan can refuse it."""
    edit_yaml(plan_copy / "tenants/org-a.yaml", lambda d: d["groups"]["admins"].append("${TfToken[TOKEN.3]}"))
    with pytest.raises(PlanError) as info:
        load_plan(plan_copy)
    assert any(i.file.endswith("org-a.yaml") and i.path.startswith("groups.admins") and "TfToken[" in i.message for i in info.value.issues), str(info.value)
