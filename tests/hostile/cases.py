"""The corpus of issue #10: hostile, broken and unusual inputs, each with what infraplan promises.

Every class of the issue has several members: data loss, injection into Terraform, claims on
another tenant's groups, the public-API guard, derived-name collisions, crashes (catalog gaps,
quantities, hostile YAML, special files), operational mistakes, YAML 1.1 coercions, invented
regions and ranges, NEEDS CLARIFICATION variants, and the messages. Valid-but-unusual inputs
are in too: they must stay valid.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

from .harness import Case, Ctx, assert_terraform_literal

Mutation = Callable[[Ctx], None]

# A Terraform template that would read a file on the machine running Terraform.
MARK = "hostile-marker"
PAYLOAD = '${file("/etc/hostile-marker")}'
DIRECTIVE = "%{ if true }hostile-marker%{ endif }"
ALREADY_ESCAPED = "$${hostile-marker}"


# --- mutations -------------------------------------------------------------------------------


def replace(rel: str, old: str, new: str) -> Mutation:
    """Replace the first ``old`` in a plan file; the case is broken if ``old`` is not there."""

    def apply(ctx: Ctx) -> None:
        path = ctx.plan / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"case bug: {old!r} is not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def append(rel: str, text: str) -> Mutation:
    def apply(ctx: Ctx) -> None:
        with open(ctx.plan / rel, "a", encoding="utf-8") as f:
            f.write(text)

    return apply


def write(rel: str, content: str | bytes) -> Mutation:
    def apply(ctx: Ctx) -> None:
        path = ctx.plan / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return apply


def transform(rel: str, fn: Callable[[str], str]) -> Mutation:
    def apply(ctx: Ctx) -> None:
        path = ctx.plan / rel
        path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")

    return apply


def chain(*steps: Mutation) -> Mutation:
    def apply(ctx: Ctx) -> None:
        for step in steps:
            step(ctx)

    return apply


def symlink(rel: str, target: str) -> Mutation:
    def apply(ctx: Ctx) -> None:
        path = ctx.plan / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.symlink_to(target)

    return apply


def fifo(rel: str) -> Mutation:
    def apply(ctx: Ctx) -> None:
        path = ctx.plan / rel
        if path.exists():
            path.unlink()
        os.mkfifo(path)

    return apply


def unreadable(rel: str) -> Mutation:
    def apply(ctx: Ctx) -> None:
        ctx.unreadable.append(ctx.plan / rel if rel else ctx.plan)

    return apply


def dir_to_file(rel: str, content: str) -> Mutation:
    def apply(ctx: Ctx) -> None:
        shutil.rmtree(ctx.plan / rel)
        (ctx.plan / rel).write_text(content)

    return apply


def synth_args(*args: str | Callable[[Ctx], str]) -> Mutation:
    def apply(ctx: Ctx) -> None:
        ctx.synth_extra += [a(ctx) if callable(a) else a for a in args]

    return apply


def env_file(name: str, account: str, cidr: str, tier: str = "staging", regions: str = "[eu-west-1]") -> str:
    return (
        f"name: {name}\ntier: {tier}\naccount_id: \"{account}\"\nregions: {regions}\nvpc_cidr: {cidr}\n"
        "cluster:\n  node_groups:\n    - name: general\n      instance_types: [m6i.large]\n      min_size: 1\n      max_size: 3\n"
    )


DEV_NODE_GROUP_END = "      desired_size: 2\n"
DEV_CLUSTER = "cluster:\n  node_groups:\n"


def dev_cluster(extra: str) -> Mutation:
    return replace("dev.yaml", DEV_CLUSTER, f"cluster:\n{extra}  node_groups:\n")


def platform_cluster(extra: str) -> Mutation:
    return replace("platform.yaml", "cluster:\n  endpoint_public_access: false\n", f"cluster:\n{extra}")


def dev_db(extra: str) -> Mutation:
    return replace("dev.yaml", "  max_allocated_storage_gb: 50\n", f"  max_allocated_storage_gb: 50\n{extra}")


def dev_tag(value: str) -> Mutation:
    return replace("dev.yaml", "  data-classification: internal", f"  data-classification: {value}")


def org_a(old: str, new: str) -> Mutation:
    return replace("tenants/org-a.yaml", old, new)


def alias_bomb(indent: str) -> str:
    """Nine levels of nine aliases: a few hundred bytes that expand to 9^9 strings."""
    lines = [f"{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"{indent}l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def deep_block(levels: int) -> str:
    """Nested block sequences on one line (``- - - leaf``): deep, but only a few kilobytes."""
    return "- " * levels + "leaf"


# --- checks on a successful synth --------------------------------------------------------


def literal_in_terraform(payload: str, required: bool) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        assert_terraform_literal(ctx.out_path, payload, MARK, required)

    return check


def in_gitops_tree(text: str) -> Callable[[Ctx], None]:
    def check(ctx: Ctx) -> None:
        found = any(text in p.read_text(encoding="utf-8") for p in (ctx.out_path / "kubernetes").rglob("*.yaml"))
        assert found, f"{text!r} is not in the GitOps tree"

    return check


def foreign_files_kept_or_listed(files: dict[str, bytes]) -> Mutation:
    """Files synth did not write (Terraform state of `<env>-state`) inside the previous output."""

    def apply(ctx: Ctx) -> None:
        for rel, content in files.items():
            path = ctx.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        ctx.notes["foreign"] = files

    return apply


def foreign_files_intact(ctx: Ctx) -> None:
    for rel, content in ctx.notes["foreign"].items():  # type: ignore[union-attr]
        path = ctx.out_path / rel
        assert path.is_file() and path.read_bytes() == content, f"synth deleted or changed {rel}, a file it did not write"


def local_state_outside_output(ctx: Ctx) -> None:
    """The `<env>-state` stack's local state lives outside the generated folder."""
    foreign_files_intact(ctx)
    out = ctx.out_path.resolve()
    for stack_file in (out / "terraform" / "stacks").glob("*-state/cdk.tf.json"):
        local = json.loads(stack_file.read_text()).get("terraform", {}).get("backend", {}).get("local")
        if local is not None:
            path = (stack_file.parent / local.get("path", "terraform.tfstate")).resolve()
            assert out not in path.parents, f"{stack_file.parent.name}: local state {path} is inside the output folder"


# --- the corpus --------------------------------------------------------------------------------

CASES: list[Case] = []


def case(id: str, mutate: Mutation, expect: int | None, *where: tuple[str, object], **kw) -> None:
    CASES.append(Case(id, mutate, expect, tuple(where), **kw))


def at(rel: str, marker: object = None) -> tuple[str, object]:
    return (rel, marker)


QUOTE = ("quote",)

# Data loss: the plan or a read error must never cost the previous output or the plan itself.


def plan_inside_out(sub: str, out_arg: Callable[[Ctx], Path] | None = None) -> Mutation:
    def apply(ctx: Ctx) -> None:
        inner = ctx.out / sub
        inner.parent.mkdir(parents=True, exist_ok=True)
        ctx.plan.rename(inner)
        ctx.plan = inner
        if out_arg is not None:
            ctx.out_arg = out_arg(ctx)

    return apply


def plan_is_out(ctx: Ctx) -> None:
    """The plan files written at the top of a previous output folder (it carries the marker)."""
    for item in ctx.plan.iterdir():
        item.rename(ctx.out / item.name)
    ctx.plan.rmdir()
    ctx.plan = ctx.out


def plan_via_symlink_into_out(ctx: Ctx) -> None:
    inner = ctx.out / "myplan"
    ctx.plan.rename(inner)
    ctx.plan = inner
    link = ctx.root / "plan-link"
    link.symlink_to(inner)
    ctx.plan_arg = link


def out_via_symlink(ctx: Ctx) -> None:
    inner = ctx.out / "myplan"
    ctx.plan.rename(inner)
    ctx.plan = inner
    link = ctx.root / "out-link"
    link.symlink_to(ctx.out)
    ctx.out_arg = link


CONTAINS = ("contain", "inside", "within", "plan")
case("dataloss-plan-inside-out", plan_inside_out("myplan"), 2, kind="synth", words=(CONTAINS,))
case("dataloss-plan-deep-inside-out", plan_inside_out("a/b/myplan"), 2, kind="synth", words=(CONTAINS,))
case("dataloss-out-is-plan-parent-via-dotdot", plan_inside_out("myplan", lambda c: c.plan / ".."), 2, kind="synth", words=(CONTAINS,))
case("dataloss-plan-files-at-top-of-out", plan_is_out, 2, kind="synth", words=(CONTAINS,))
case("dataloss-plan-symlink-into-out", plan_via_symlink_into_out, 2, kind="synth", words=(CONTAINS,))
case("dataloss-out-symlink-to-folder-holding-plan", out_via_symlink, 2, kind="synth", words=(CONTAINS,))
case("dataloss-out-equals-plan", lambda c: setattr(c, "out_arg", c.plan), 2, kind="synth")
case("dataloss-out-is-plan-subfolder", lambda c: setattr(c, "out_arg", c.plan / "tenants"), 2, kind="synth")
case("dataloss-tenants-symlink-to-nowhere", symlink("tenants", "/nonexistent/tenants"), 2, at("tenants"), words=(("tenants",),))
case("dataloss-tenants-symlink-loop", symlink("tenants", "tenants"), 2, at("tenants"))
case("dataloss-tenants-is-a-file", dir_to_file("tenants", "org-a\n"), 2, at("tenants"))
case("dataloss-tenants-symlink-to-a-file", chain(write("notes.txt", "x\n"), symlink("tenants", "notes.txt")), 2, at("tenants"))
case(
    "dataloss-tenants-unreadable",
    unreadable("tenants"),
    2,
    at("tenants"),
    words=(("permission", "cannot read", "unreadable", "not readable"),),
    unprivileged=True,
    isolate=True,
)
case("dataloss-tenant-file-unreadable", unreadable("tenants/org-b.yaml"), 2, at("tenants/org-b.yaml"), unprivileged=True, isolate=True)
case(
    "dataloss-env-file-unreadable", unreadable("staging.yaml"), 2, at("staging.yaml"), words=(("permission", "cannot read"),), unprivileged=True, isolate=True
)
case(
    "ops-plan-folder-unreadable",
    unreadable(""),
    2,
    at("plan"),
    words=(("permission", "cannot read", "unreadable", "not readable"),),
    unprivileged=True,
    isolate=True,
)
case("dataloss-tenant-file-dangling-symlink", symlink("tenants/org-d.yaml", "/nonexistent/org-d.yaml"), 2, at("tenants/org-d.yaml"))
case("dataloss-env-file-dangling-symlink", symlink("qa.yaml", "/nonexistent/qa.yaml"), 2, at("qa.yaml"))
case(
    "dataloss-terraform-state-in-previous-output",
    foreign_files_kept_or_listed(
        {
            "terraform/stacks/dev-state/terraform.tfstate": b'{"version": 4, "serial": 7, "lineage": "hostile"}\n',
            "terraform/stacks/dev-state/.terraform.lock.hcl": b"# lock\n",
            "terraform/stacks/dev-state/.terraform/terraform.tfstate": b"{}\n",
        }
    ),
    None,
    kind="synth",
    words=(("terraform.tfstate",),),
    check=local_state_outside_output,
)
case(
    "dataloss-foreign-file-in-gitops-tree",
    foreign_files_kept_or_listed({"kubernetes/dev/NOTES.md": b"my notes\n"}),
    None,
    kind="synth",
    words=(("NOTES.md",),),
    check=foreign_files_intact,
)

# Security: every plan string reaches Terraform as a literal (or the field refuses `$`/`{`).
INJECT = [
    ("env-tag-value", dev_tag(f"'{PAYLOAD}'"), "dev.yaml", "data-classification", True, ("dev",)),
    ("env-tag-key", dev_tag(f"internal\n  '{PAYLOAD}': x"), "dev.yaml", "hostile-marker", True, ("dev",)),
    ("env-tag-directive", dev_tag(f"'{DIRECTIVE}'"), "dev.yaml", "data-classification", True, ("dev",)),
    ("env-tag-already-escaped", dev_tag(f"'{ALREADY_ESCAPED}'"), "dev.yaml", "data-classification", True, ("dev",)),
    ("platform-tag-value", replace("platform.yaml", "  owner: platform-team", f"  owner: '{PAYLOAD}'"), "platform.yaml", "owner:", True, ("dev",)),
    ("node-label-value", replace("dev.yaml", DEV_NODE_GROUP_END, f"{DEV_NODE_GROUP_END}      labels:\n        team: '{PAYLOAD}'\n"), "dev.yaml", "team:", True, ("dev",)),
    (
        "node-taint-value",
        replace("dev.yaml", DEV_NODE_GROUP_END, f"{DEV_NODE_GROUP_END}      taints:\n        - key: dedicated\n          value: '{PAYLOAD}'\n          effect: NO_SCHEDULE\n"),
        "dev.yaml",
        "value:",
        True,
        ("dev",),
    ),
    ("instance-type", replace("dev.yaml", "instance_types: [t3.large]", f"instance_types: ['{PAYLOAD}']"), "dev.yaml", "instance_types", True, ("dev",)),
    ("tenant-group-name", org_a("  admins: [org-a-admins]", f"  admins: [org-a-admins, '{PAYLOAD}']"), "tenants/org-a.yaml", "admins:", True, ("dev",)),
    (
        "principal-arn",
        replace("platform.yaml", "    - arn:aws:iam::111111111111:role/platform-admin", f"    - 'arn:aws:iam::111111111111:role/{PAYLOAD}'"),
        "platform.yaml",
        "role/",
        True,
        ("dev",),
    ),
    ("display-name", org_a("display_name: Organization A (storefront)", f"display_name: '{PAYLOAD}'"), "tenants/org-a.yaml", "display_name", False, ("dev",)),
    ("platform-admin-group", replace("platform.yaml", "    - platform-team", f"    - '{PAYLOAD}'"), "platform.yaml", "hostile-marker", False, ("dev",)),
    ("app-host", org_a("    host: shop.org-a\n", f"    host: '{PAYLOAD}'\n"), "tenants/org-a.yaml", "host:", False, ("dev",)),
    (
        "dedicated-tenant-instance-types",
        replace("tenants/org-c.yaml", "    vpc_cidr: 10.31.0.0/16\n", f"    vpc_cidr: 10.31.0.0/16\n    node_instance_types: ['{PAYLOAD}']\n"),
        "tenants/org-c.yaml",
        "node_instance_types",
        True,
        ("prod",),
    ),
]
for name, mutation, rel, marker, reaches, envs in INJECT:
    payload = DIRECTIVE if "directive" in name else ALREADY_ESCAPED if "escaped" in name else PAYLOAD
    case(f"inject-{name}", mutation, None, at(rel, marker), envs=envs, check=literal_in_terraform(payload, reaches))
# Fields with a pattern refuse the characters outright.
case("inject-secrets-path-prefix", replace("platform.yaml", "  path_prefix: acme", f"  path_prefix: '{PAYLOAD}'"), 2, at("platform.yaml", "path_prefix"), field="secrets.path_prefix")
case("inject-bucket-prefix", replace("platform.yaml", "  bucket_prefix: acme-tfstate", f"  bucket_prefix: '{PAYLOAD}'"), 2, at("platform.yaml", "bucket_prefix"))
case("inject-database-name", org_a("  name: org_a ", f"  name: '{PAYLOAD}' "), 2, at("tenants/org-a.yaml", "hostile-marker"), field="database.name")
case("inject-hosted-zone", replace("prod.yaml", "Z0123456789ABCDEFGHIJ", PAYLOAD.replace('"', "")), 2, at("prod.yaml", "hosted_zone_id"))
case("inject-dns-domain", replace("dev.yaml", "domain: dev.acme.example.com", f"domain: '{PAYLOAD}'"), 2, at("dev.yaml", "domain:"))
case("inject-instance-class", replace("dev.yaml", "db.t4g.micro", f"'{PAYLOAD}'"), 2, at("dev.yaml", "instance_class"))

# Security: a group belongs to exactly one tenant (or to the platform).
GROUP_WORDS = (("group",),)
case("groups-org-a-claims-org-b-admins", org_a("  admins: [org-a-admins]", "  admins: [org-a-admins, org-b-admins]"), 2, at("tenants/org-a.yaml", "org-b-admins"), also=("tenants/org-b.yaml",), words=GROUP_WORDS)
case("groups-org-a-admins-only-org-b", org_a("  admins: [org-a-admins]", "  admins: [org-b-admins]"), 2, at("tenants/org-a.yaml", "org-b-admins"), also=("tenants/org-b.yaml",), words=GROUP_WORDS)
case(
    "groups-org-b-viewer-claims-org-a-developers",
    replace("tenants/org-b.yaml", "  viewers: [org-b-auditors]", "  viewers: [org-b-auditors, org-a-developers]"),
    2,
    at("tenants/org-b.yaml", "org-a-developers"),
    also=("tenants/org-a.yaml",),
    words=GROUP_WORDS,
)
case(
    "groups-org-c-developers-claims-org-a-admins",
    replace("tenants/org-c.yaml", "  developers: [org-c-developers]", "  developers: [org-c-developers, org-a-admins]"),
    2,
    at("tenants/org-c.yaml", "org-a-admins"),
    also=("tenants/org-a.yaml",),
    words=GROUP_WORDS,
)
case("groups-tenant-claims-platform-team", org_a("  developers: [org-a-developers]", "  developers: [org-a-developers, platform-team]"), 2, at("tenants/org-a.yaml", "platform-team"), also=("platform.yaml",), words=GROUP_WORDS)

# Security: the public API guard judges the union of the allow-list.
PUBLIC = "  endpoint_public_access: true\n"
INTERNET = (("0.0.0.0/0", "internet", "everything", "whole", "all addresses"),)
case("public-cidr-split-in-halves", dev_cluster(f"{PUBLIC}  public_access_cidrs: [0.0.0.0/1, 128.0.0.0/1]\n"), 2, at("dev.yaml", "public_access_cidrs"), words=INTERNET)
case(
    "public-cidr-split-in-quarters",
    dev_cluster(f"{PUBLIC}  public_access_cidrs:\n    - 0.0.0.0/2\n    - 64.0.0.0/2\n    - 128.0.0.0/2\n    - 192.0.0.0/2\n"),
    2,
    at("dev.yaml", "public_access_cidrs"),
    at("dev.yaml", "0.0.0.0/2"),
    words=INTERNET,
)
case("public-cidr-uneven-split", dev_cluster(f"{PUBLIC}  public_access_cidrs: [0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2]\n"), 2, at("dev.yaml", "public_access_cidrs"), words=INTERNET)
case(
    "public-cidr-split-in-platform",
    platform_cluster(f"{PUBLIC}  public_access_cidrs: [0.0.0.0/1, 128.0.0.0/1]\n"),
    2,
    at("platform.yaml", "public_access_cidrs"),
    words=INTERNET,
)
case("public-cidr-zero-in-platform", platform_cluster(f"{PUBLIC}  public_access_cidrs: [0.0.0.0/0]\n"), 2, at("platform.yaml", "0.0.0.0/0"), words=INTERNET)
case("public-endpoint-without-allow-list-in-platform", platform_cluster(PUBLIC), 2, at("platform.yaml", "endpoint_public_access"), words=(("allow",),))
case("public-cidr-zero-in-env", dev_cluster(f"{PUBLIC}  public_access_cidrs: [0.0.0.0/0]\n"), 2, at("dev.yaml", "0.0.0.0/0"), words=INTERNET)
case("public-cidr-ipv6-everything", dev_cluster(f"{PUBLIC}  public_access_cidrs: ['::/0']\n"), 2, at("dev.yaml", "::/0"))
case("public-cidr-host-bits", dev_cluster(f"{PUBLIC}  public_access_cidrs: [1.2.3.4/0]\n"), 2, at("dev.yaml", "1.2.3.4/0"))
case("valid-public-endpoint-with-office-ranges", dev_cluster(f"{PUBLIC}  public_access_cidrs: [81.2.69.0/24, 185.199.108.0/22]\n"), 0)

# Security: every derived name (cluster folder, stack, role, bucket) is unique, checked in validate.
case(
    "names-env-prod-org-c-vs-dedicated-cluster",
    write("prod-org-c.yaml", env_file("prod-org-c", "444444444444", "10.40.0.0/16")),
    2,
    at("prod-org-c.yaml", "name:"),
    at("tenants/org-c.yaml", "isolation: dedicated"),
    at("tenants/org-c.yaml", "name:"),
    words=(("prod-org-c",),),
)
case(
    "names-env-dev-org-b-vs-dedicated-cluster",
    chain(
        write("dev-org-b.yaml", env_file("dev-org-b", "555555555555", "10.60.0.0/16")),
        replace("tenants/org-b.yaml", "  dev:\n    access_principals:", "  dev:\n    isolation: dedicated\n    vpc_cidr: 10.50.0.0/16\n    access_principals:"),
    ),
    2,
    at("dev-org-b.yaml", "name:"),
    at("tenants/org-b.yaml", "isolation: dedicated"),
    at("tenants/org-b.yaml", "name:"),
    words=(("dev-org-b",),),
)
case(
    "names-stack-env-vs-tenant",
    chain(
        write("dev-tenant.yaml", env_file("dev-tenant", "666666666666", "10.70.0.0/16")),
        write("tenants/state.yaml", "name: state\ndisplay_name: State team\nnamespaces: [state]\n"),
    ),
    2,
    at("dev-tenant.yaml", "name:"),
    at("tenants/state.yaml", "name:"),
    words=(("dev-tenant-state",),),
)
case(
    "names-stack-env-vs-secondary-region",
    chain(
        replace("platform.yaml", "deployment_type: single-region", "deployment_type: multi-region"),
        replace("prod.yaml", "regions: [eu-west-1]\n", "regions: [eu-west-1, eu-central-1]\nregion_vpc_cidrs:\n  eu-central-1: 10.130.0.0/16\n"),
        write("prod-eu-central-1.yaml", env_file("prod-eu-central-1", "777777777777", "10.80.0.0/16")),
    ),
    2,
    at("prod-eu-central-1.yaml", "name:"),
    at("prod.yaml", "eu-central-1"),
    words=(("prod-eu-central-1",),),
)
case("names-env-defined-twice", write("dev.yml", (Path(__file__).resolve().parents[2] / "environments/dev.yaml").read_text()), 2, at("dev.yml", "name:"), at("dev.yaml", "name:"))
case("names-tenant-defined-twice", write("tenants/org-x.yaml", (Path(__file__).resolve().parents[2] / "environments/tenants/org-a.yaml").read_text()), 2, at("tenants/org-x.yaml", "name:"), at("tenants/org-a.yaml", "name:"))

# Crashes: what synth would reject, validate rejects (or synth supports it).
K8S = "  version: \"1.35\""
case("crash-k8s-version-1.33", replace("platform.yaml", K8S, '  version: "1.33"'), 0)  # in extended support on the tests' day: a warning
case("crash-k8s-version-1.30-past-extended-support", replace("platform.yaml", K8S, '  version: "1.30"'), 2, at("platform.yaml", "version:"), field="kubernetes.version", words=(("extended support",), ("oldest supported",)))
case("crash-k8s-version-1.29", replace("platform.yaml", K8S, '  version: "1.29"'), None, at("platform.yaml", "version:"), field="kubernetes.version")
case("crash-k8s-version-1.99", replace("platform.yaml", K8S, '  version: "1.99"'), 2, at("platform.yaml", "version:"), field="kubernetes.version", words=(("1.99",),))
case("crash-k8s-version-unquoted-1.30", replace("platform.yaml", K8S, "  version: 1.30"), 2, at("platform.yaml", "version:"), field="kubernetes.version", words=QUOTE)
case("crash-k8s-version-2.0", replace("platform.yaml", K8S, '  version: "2.00"'), 2, at("platform.yaml", "version:"), field="kubernetes.version")
case("valid-quota-memory-16G", org_a("  memory: 16Gi", "  memory: 16G"), 0)
case("valid-quota-cpu-2k", org_a('  cpu: "8"', '  cpu: "2k"'), 0)
case("valid-quota-memory-decimal-Gi", replace("tenants/org-b.yaml", "  memory: 8Gi", "  memory: 1.5Gi"), 0)
case("crash-quota-memory-exponent", org_a("  memory: 16Gi", "  memory: 16e9"), None, at("tenants/org-a.yaml", "16e9"), field="quotas.memory")
case("crash-quota-memory-gb", org_a("  memory: 16Gi", "  memory: 16gb"), 2, at("tenants/org-a.yaml", "16gb"), field="quotas.memory")
case("crash-quota-cpu-negative", org_a('  cpu: "8"', '  cpu: "-8"'), 2, at("tenants/org-a.yaml", '"-8"'), field="quotas.cpu")
case("crash-app-memory-not-a-quantity", org_a("    port: 8080\n", "    port: 8080\n    memory: lots\n"), 2, at("tenants/org-a.yaml", "memory: lots"), field="apps[0].memory")
case("crash-app-cpu-not-a-quantity", org_a("    port: 8080\n", "    port: 8080\n    cpu: two\n"), 2, at("tenants/org-a.yaml", "cpu: two"), field="apps[0].cpu")
case("crash-tenant-quota-override-16G", replace("tenants/org-c.yaml", "      memory: 48Gi", "      memory: 48G"), 0, envs=("prod",))

# Crashes: hostile YAML and special files. Isolated: each could hang or eat the memory.
ALIAS = (("alias", "expan"),)
case("yaml-alias-bomb", append("dev.yaml", alias_bomb("")), 2, at("dev.yaml"), words=ALIAS, isolate=True)
case(
    "yaml-alias-bomb-in-helm-values",
    replace("platform.yaml", "\nconstitution:", "\ncomponent_values:\n  ingress-nginx:\n" + alias_bomb("    ") + "constitution:"),
    2,
    at("platform.yaml"),
    words=ALIAS,
    isolate=True,
)
case("yaml-alias-bomb-in-tenant", append("tenants/org-b.yaml", alias_bomb("")), 2, at("tenants/org-b.yaml"), words=ALIAS, isolate=True)
case("yaml-recursive-alias-mapping", dev_tag("internal\n  nested: &loop {again: *loop}"), 2, at("dev.yaml"), words=(("recursive", "alias", "itself", "loop", "cycle"),), isolate=True)
case("yaml-recursive-alias-list", replace("dev.yaml", "regions: [eu-west-1]", "regions: &r [eu-west-1, *r]"), 2, at("dev.yaml"), words=(("recursive", "alias", "itself", "loop", "cycle"),), isolate=True)
case("yaml-deep-flow-nesting", dev_tag("internal\n  deep: " + "[" * 50000 + "]" * 50000), 2, at("dev.yaml"), words=(("deep", "depth", "nest"),), isolate=True)
case("yaml-deep-block-nesting", replace("platform.yaml", "\nconstitution:", "\ncomponent_values:\n  ingress-nginx:\n    deep:\n      " + deep_block(5000) + "\nconstitution:"), 2, at("platform.yaml"), words=(("deep", "depth", "nest"),), isolate=True)
case("yaml-deep-mapping-nesting", replace("platform.yaml", "\nconstitution:", "\ncomponent_values:\n  ingress-nginx:\n" + "".join(f"{'  ' * (i + 2)}k{i}:\n" for i in range(400)) + f"{'  ' * 402}leaf\nconstitution:"), 2, at("platform.yaml"), words=(("deep", "depth", "nest"),), isolate=True)
case("special-fifo-env-file", fifo("staging.yaml"), 2, at("staging.yaml"), words=(("regular file", "not a file", "fifo", "pipe", "special"),), isolate=True)
case("special-fifo-tenant-file", fifo("tenants/org-d.yaml"), 2, at("tenants/org-d.yaml"), words=(("regular file", "not a file", "fifo", "pipe", "special"),), isolate=True)
case("special-fifo-platform-file", fifo("platform.yaml"), 2, at("platform.yaml"), isolate=True)
case("special-dev-zero-env-file", symlink("staging.yaml", "/dev/zero"), 2, at("staging.yaml"), words=(("regular file", "not a file", "device", "special"),), isolate=True)
case("special-dev-urandom-tenant-file", symlink("tenants/org-d.yaml", "/dev/urandom"), 2, at("tenants/org-d.yaml"), isolate=True)
case("special-dev-null-env-file", symlink("qa.yaml", "/dev/null"), 2, at("qa.yaml"), isolate=True)
case("special-proc-file", symlink("qa.yaml", "/proc/self/status"), 2, at("qa.yaml"), isolate=True)
SIZE = (("large", "size", "big", "bytes", "MB", "MiB"),)


def huge_comment(rel: str, megabytes: int) -> Mutation:
    def apply(ctx: Ctx) -> None:
        line = "# " + "padding " * 12 + "\n"
        with open(ctx.plan / rel, "a", encoding="utf-8") as f:
            f.write(line * (megabytes * (1 << 20) // len(line)))

    return apply


def sparse(rel: str, size: int) -> Mutation:
    def apply(ctx: Ctx) -> None:
        with open(ctx.plan / rel, "wb") as f:
            f.truncate(size)

    return apply


case("special-huge-env-file", huge_comment("dev.yaml", 40), 2, at("dev.yaml"), words=SIZE, isolate=True)
case("special-sparse-10GB-tenant-file", sparse("tenants/org-d.yaml", 10 << 30), 2, at("tenants/org-d.yaml"), words=SIZE, isolate=True)
case("special-directory-named-env-file", lambda c: (c.plan / "qa.yaml").mkdir(), 2, at("qa.yaml"))
case("special-directory-named-tenant-file", lambda c: (c.plan / "tenants" / "org-d.yaml").mkdir(), 2, at("tenants/org-d.yaml"))
case("special-directory-named-platform", lambda c: ((c.plan / "platform.yaml").unlink(), (c.plan / "platform.yaml").mkdir()), 2, at("platform.yaml"))
case("special-binary-env-file", write("staging.yaml", b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary"), 2, at("staging.yaml"))
case("special-nul-in-text", write("staging.yaml", "name: staging\x00\n"), 2, at("staging.yaml"))
case("special-utf16-file", lambda c: (c.plan / "dev.yaml").write_bytes((c.plan / "dev.yaml").read_text().encode("utf-16")), 2, at("dev.yaml"), words=(("utf-8",),))
case("special-latin1-bytes", lambda c: (c.plan / "tenants/org-a.yaml").write_bytes((c.plan / "tenants/org-a.yaml").read_bytes().replace(b"Organization A", b"Organisation \xc4")), 2, at("tenants/org-a.yaml"), words=(("utf-8",),))
case("special-control-character", dev_tag("intern\x07al"), 2, at("dev.yaml"))
case("yaml-tab-indentation", replace("dev.yaml", "  data-classification: internal", "\tdata-classification: internal"), 2, at("dev.yaml", "data-classification"))
case("yaml-unclosed-flow", replace("dev.yaml", "regions: [eu-west-1]", "regions: [eu-west-1"), 2, at("dev.yaml"))
case("yaml-undefined-alias", replace("dev.yaml", "regions: [eu-west-1]", "regions: *nowhere"), 2, at("dev.yaml", "regions:"), words=(("alias", "nowhere"),))
case("yaml-python-object-tag", dev_tag("!!python/object/apply:os.system [echo pwned]"), 2, at("dev.yaml", "data-classification"))
case("yaml-custom-tag", dev_tag("!Ref Something"), 2, at("dev.yaml", "data-classification"))
case("yaml-binary-tag", org_a("display_name: Organization A (storefront)", "display_name: !!binary aGVsbG8="), 2, at("tenants/org-a.yaml", "display_name"), field="display_name")
case("yaml-empty-tenant-file", write("tenants/org-d.yaml", ""), 2, at("tenants/org-d.yaml"))
case("yaml-null-document", write("qa.yaml", "~\n"), 2, at("qa.yaml"))
case("yaml-list-document", write("qa.yaml", "- name: qa\n"), 2, at("qa.yaml"))
case("yaml-scalar-document", write("qa.yaml", "qa\n"), 2, at("qa.yaml"))
case("yaml-complex-key", dev_tag("internal\n  ? [a, b]\n  : c"), 2, at("dev.yaml", "? [a, b]"))
case("yaml-null-key", append("dev.yaml", "~: nothing\n"), 2, at("dev.yaml", "~: nothing"))
case("yaml-octal-tag-key", dev_tag("internal\n  0700: owner-only"), 2, at("dev.yaml", "0700"), words=QUOTE)
case("yaml-boolean-tag-key", dev_tag("internal\n  on: call"), 2, at("dev.yaml", "on: call"), words=QUOTE)
case("yaml-duplicate-key", replace("dev.yaml", "availability_zones: 2\n", "availability_zones: 2\navailability_zones: 3\n"), 2, at("dev.yaml", "availability_zones: 3"))
case("yaml-merge-key", replace("prod.yaml", "    - name: system\n      instance_types: [m6i.large]\n", "    - name: system\n      <<: {instance_types: [m6i.large]}\n"), None, at("prod.yaml", "<<"), envs=("prod",))
case("valid-anchor-and-alias", chain(replace("prod.yaml", "instance_types: [m6i.xlarge, m6a.xlarge]", "instance_types: &big [m6i.xlarge, m6a.xlarge]"), replace("prod.yaml", "instance_types: [m6i.large]", "instance_types: *big")), 0, envs=("prod",))
case(
    "valid-comments-everywhere",
    chain(
        transform("dev.yaml", lambda t: "# dev: NEEDS CLARIFICATION later? no, decided.\n" + t.replace("\n", "  # note\n", 5)),
        replace("dev.yaml", "tags:\n", "tags:   # NEEDS CLARIFICATION in a comment is not a value\n"),
    ),
    0,
)
case("valid-json-syntax", lambda c: (c.plan / "dev.yaml").write_text(json.dumps(yaml.safe_load((c.plan / "dev.yaml").read_text()), indent=1)), 0)
case("valid-crlf-line-endings", transform("dev.yaml", lambda t: t.replace("\n", "\r\n")), 0)
case("valid-utf8-bom", transform("dev.yaml", lambda t: "\ufeff" + t), 0)
case("valid-document-markers", transform("dev.yaml", lambda t: "---\n" + t + "...\n"), 0)
case(
    "valid-unicode-display-name",
    org_a("display_name: Organization A (storefront)", 'display_name: "Organisation Ä — 店舗 🚀"'),
    0,
    check=in_gitops_tree("Organisation Ä — 店舗 🚀"),
)
case("valid-quoted-version-tag", org_a("    tag: 2.3.1", '    tag: "2.10"'), 0)
case("valid-private-cidr-192-168", replace("dev.yaml", "vpc_cidr: 10.10.0.0/16", "vpc_cidr: 192.168.0.0/16"), 0)
case("valid-log-retention-365", replace("dev.yaml", "availability_zones: 2\n", "availability_zones: 2\nflow_logs_retention_days: 365\n"), 0)

# Operational mistakes: a clear message and exit 2.
HTTP = (("http",),)
case("ops-aws-endpoint-without-scheme", synth_args("--aws-endpoint", "localhost:5000"), 2, kind="synth", words=HTTP)
case("ops-aws-endpoint-ftp", synth_args("--aws-endpoint", "ftp://localhost:5000"), 2, kind="synth", words=HTTP)
case("ops-aws-endpoint-empty", synth_args("--aws-endpoint", ""), 2, kind="synth", words=HTTP)


def out_under_file(ctx: Ctx) -> None:
    (ctx.root / "somefile").write_text("not a folder\n")
    ctx.out_arg = ctx.root / "somefile" / "dist"


def out_is_file(ctx: Ctx) -> None:
    (ctx.root / "somefile").write_text("not a folder\n")
    ctx.out_arg = ctx.root / "somefile"


case("ops-out-under-a-regular-file", out_under_file, 2, kind="synth", words=(("somefile",),))
case("ops-out-is-a-regular-file", out_is_file, 2, kind="synth", words=(("somefile",),))
case("ops-out-under-proc", lambda c: setattr(c, "out_arg", Path("/proc/infraplan-hostile/dist")), 2, kind="synth", words=(("/proc/infraplan-hostile",),))
case("ops-out-is-dev-null", lambda c: setattr(c, "out_arg", Path("/dev/null")), 2, kind="synth")
case("ops-out-name-too-long", lambda c: setattr(c, "out_arg", c.root / ("d" * 300)), 2, kind="synth", words=(("long",),))
case("ops-out-path-too-long", lambda c: setattr(c, "out_arg", c.root.joinpath(*(["p" * 200] * 25))), 2, kind="synth", words=(("long",),))


def disk_full(ctx: Ctx) -> None:
    ctx.file_size_limit = 64 * 1024  # the stacks are larger: writing them fails as on a full disk


case("ops-disk-full", disk_full, 2, kind="synth", isolate=True, words=(("large", "space", "disk", "write", "full"),))
case("ops-jsii-runtime-dies", lambda c: c.env.update(JSII_NODE="/bin/false"), 2, kind="synth", isolate=True, words=(("jsii", "node", "runtime", "cdktf"),))
case("ops-plan-is-a-file", lambda c: setattr(c, "plan_arg", c.plan / "dev.yaml"), 2, at("dev.yaml"))
case("ops-plan-missing", lambda c: setattr(c, "plan_arg", c.root / "no-such-plan"), 2, at("no-such-plan"))
case("ops-plan-empty-folder", lambda c: (c.root / "empty").mkdir() or setattr(c, "plan_arg", c.root / "empty"), 2, at("empty"))
case("ops-plan-only-platform", lambda c: [p.unlink() for p in c.plan.glob("*.yaml") if p.name != "platform.yaml"], 2, at("plan"), words=(("environment",),))


def extension(name: str, source: str, spec_attr: str = "extend") -> Mutation:
    """A user's extension module in a folder on the Python path."""

    def apply(ctx: Ctx) -> None:
        folder = ctx.root / "ext"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.py").write_text(source)
        ctx.sys_path.append(folder)
        ctx.modules.append(name)
        ctx.synth_extra += ["--extension", f"{name}:{spec_attr}"]

    return apply


case(
    "ops-extension-raises",
    extension("hostile_ext_raises", "def extend(stack, ctx):\n    raise RuntimeError('boom from the extension')\n"),
    2,
    kind="synth",
    words=(("boom from the extension",), ("hostile_ext_raises",)),
    user_traceback="hostile_ext_raises.py",
)
case(
    "ops-extension-raises-at-import",
    extension("hostile_ext_import", "raise ValueError('broken at import')\n"),
    2,
    kind="synth",
    words=(("broken at import",), ("hostile_ext_import",)),
    user_traceback="hostile_ext_import.py",
)
case("ops-extension-syntax-error", extension("hostile_ext_syntax", "def extend(stack, ctx)\n    pass\n"), 2, kind="synth", words=(("hostile_ext_syntax",),), user_traceback="hostile_ext_syntax.py")
case("ops-extension-wrong-signature", extension("hostile_ext_signature", "def extend():\n    pass\n"), 2, kind="synth", words=(("hostile_ext_signature",),), user_traceback="hostile_ext_signature.py")
case("ops-extension-not-callable", extension("hostile_ext_value", "extend = 42\n"), 2, kind="synth", words=(("hostile_ext_value",),))
case("ops-extension-missing-function", extension("hostile_ext_missing", "def other(stack, ctx):\n    pass\n"), 2, kind="synth", words=(("extend",),))
case("ops-extension-path-like-spec", synth_args("--extension", "../evil.py:extend"), 2, kind="synth", words=(("module",),))
case("ops-extension-absolute-path-spec", synth_args("--extension", "/tmp/evil.py:extend"), 2, kind="synth", words=(("module",),))
case("ops-extension-no-such-module", synth_args("--extension", "nosuchmodule_hostile:extend"), 2, kind="synth", words=(("nosuchmodule_hostile",),))
case("ops-extension-without-function", synth_args("--extension", "json"), 2, kind="synth", words=(("module:function", "module.function", "function"),))
case("ops-extension-empty-spec", synth_args("--extension", ":"), 2, kind="synth")
case("ops-env-no-such", synth_args("--env", "nosuch"), 2, kind="synth", words=(("nosuch",),))
case("ops-env-empty", synth_args("--env", ""), 2, kind="synth")
case("ops-tenant-no-such", synth_args("--tenant", "org-z"), 2, kind="synth", words=(("org-z",),))
case("ops-explain-no-such-env", lambda c: setattr(c, "argv", ["explain", "--plan", str(c.plan), "--env", "prd"]), 2, kind="argv", words=(("prod",),))
case("ops-explain-no-such-tenant", lambda c: setattr(c, "argv", ["explain", "--plan", str(c.plan), "--env", "dev", "--tenant", "org-z"]), 2, kind="argv", words=(("org-z",),))

# YAML 1.1 coercions and type errors: integers written as integers; a quote where a string is meant.
DEV_MAX = "      max_size: 4"
for id_, old, new, rel, fld, words in [
    ("max-size-octal", DEV_MAX, "      max_size: 010", "dev.yaml", "cluster.node_groups[0].max_size", QUOTE),
    ("max-size-yes", DEV_MAX, "      max_size: yes", "dev.yaml", "cluster.node_groups[0].max_size", (("integer", "number"),)),
    ("max-size-on", DEV_MAX, "      max_size: on", "dev.yaml", "cluster.node_groups[0].max_size", (("integer", "number"),)),
    ("min-size-no", "      min_size: 1", "      min_size: no", "dev.yaml", "cluster.node_groups[0].min_size", (("integer", "number"),)),
    ("max-size-sexagesimal", DEV_MAX, "      max_size: 1:0", "dev.yaml", "cluster.node_groups[0].max_size", ()),
    ("max-size-float", DEV_MAX, "      max_size: 4.0", "dev.yaml", "cluster.node_groups[0].max_size", (("integer", "whole"),)),
    ("max-size-infinity", DEV_MAX, "      max_size: .inf", "dev.yaml", "cluster.node_groups[0].max_size", ()),
    ("max-size-string", DEV_MAX, "      max_size: four", "dev.yaml", "cluster.node_groups[0].max_size", ()),
    ("max-size-huge", DEV_MAX, "      max_size: 100000000000000000000000000000", "dev.yaml", "cluster.node_groups[0].max_size", ()),
    ("availability-zones-yes", "availability_zones: 2", "availability_zones: yes", "dev.yaml", "availability_zones", ()),
    ("account-id-unquoted", 'account_id: "111111111111"', "account_id: 111111111111", "dev.yaml", "account_id", QUOTE),
    ("account-id-octal-looking", 'account_id: "111111111111"', "account_id: 011111111111", "dev.yaml", "account_id", QUOTE),
    ("account-id-fullwidth-digits", 'account_id: "111111111111"', 'account_id: "１１１１１１１１１１１１"', "dev.yaml", "account_id", (("digit", "ascii"),)),
    ("account-id-arabic-indic-digits", 'account_id: "111111111111"', 'account_id: "١١١١١١١١١١١١"', "dev.yaml", "account_id", (("digit", "ascii"),)),
    ("account-id-eleven-digits", 'account_id: "111111111111"', 'account_id: "11111111111"', "dev.yaml", "account_id", ()),
    ("display-name-yes", "display_name: Organization A (storefront)", "display_name: yes", "tenants/org-a.yaml", "display_name", QUOTE),
    ("display-name-number", "display_name: Organization A (storefront)", "display_name: 42", "tenants/org-a.yaml", "display_name", QUOTE),
    ("display-name-date", "display_name: Organization A (storefront)", "display_name: 2024-01-31", "tenants/org-a.yaml", "display_name", QUOTE),
    ("display-name-null", "display_name: Organization A (storefront)", "display_name:", "tenants/org-a.yaml", "display_name", ()),
    ("image-tag-float", "    tag: 2.3.1", "    tag: 2.10", "tenants/org-a.yaml", "apps[0].tag", QUOTE),
    ("image-tag-integer", "    tag: 2.3.1", "    tag: 3", "tenants/org-a.yaml", "apps[0].tag", QUOTE),
    ("image-tag-latest", "    tag: 2.3.1", "    tag: latest", "tenants/org-a.yaml", "apps[0].tag", ()),
    ("engine-version-unquoted", '  engine_version: "16"', "  engine_version: 16.4", "platform.yaml", "database.engine_version", QUOTE),
    ("uptime-100", "  uptime_percent: 99.9", "  uptime_percent: 100", "platform.yaml", "performance.uptime_percent", ()),
    ("backup-retention-negative", "  max_allocated_storage_gb: 50", "  max_allocated_storage_gb: 50\n  backup_retention_days: -1", "dev.yaml", "database.backup_retention_days", ()),
]:
    case(f"coerce-{id_}", replace(rel, old, new), 2, at(rel, new.strip().split("\n")[-1]), field=fld, words=words)
case("coerce-tag-value-no", dev_tag("no"), 2, at("dev.yaml", "data-classification"), field="tags.data-classification", words=QUOTE)
case("coerce-tag-value-off", dev_tag("off"), 2, at("dev.yaml", "data-classification"), field="tags.data-classification", words=QUOTE)
case("coerce-tag-value-date", dev_tag("2024-01-31"), 2, at("dev.yaml", "data-classification"), field="tags.data-classification", words=QUOTE)
case("coerce-tag-value-null", dev_tag(""), 2, at("dev.yaml", "data-classification"), field="tags.data-classification")
case("coerce-tag-value-number", replace("platform.yaml", '  cost-center: "4200"', "  cost-center: 4200"), 2, at("platform.yaml", "cost-center"), field="tags.cost-center", words=QUOTE)
case("coerce-max-size-hex", replace("dev.yaml", DEV_MAX, "      max_size: 0x4"), None, at("dev.yaml", "max_size: 0x4"), field="cluster.node_groups[0].max_size")
case("coerce-multi-az-yes", dev_db("  multi_az: yes\n"), None, at("dev.yaml", "multi_az"), field="database.multi_az")
case("coerce-multi-az-string", dev_db("  multi_az: maybe\n"), 2, at("dev.yaml", "multi_az"), field="database.multi_az")

# Invented regions, ranges and values the AWS APIs refuse.
for id_, region in [("invented", "eu-nowhere-9"), ("arabic-indic-digit", "eu-west-١"), ("fullwidth-digit", "eu-west-１"), ("uppercase", "EU-WEST-1"), ("superscript-digit", "eu-west-¹")]:
    case(f"region-{id_}", replace("dev.yaml", "regions: [eu-west-1]", f"regions: [{region}]"), 2, at("dev.yaml", "regions:"), words=(("region",),))
case("region-invented-secondary", chain(replace("platform.yaml", "deployment_type: single-region", "deployment_type: multi-region"), replace("prod.yaml", "regions: [eu-west-1]\n", "regions: [eu-west-1, eu-nowhere-2]\nregion_vpc_cidrs:\n  eu-nowhere-2: 10.130.0.0/16\n")), 2, at("prod.yaml", "regions:"), words=(("eu-nowhere-2",),))
for id_, cidr in [("link-local", "169.254.0.0/16"), ("loopback", "127.0.0.0/16"), ("this-network", "0.0.0.0/16"), ("reserved", "240.0.0.0/16"), ("benchmarking", "198.18.0.0/16"), ("public", "8.8.0.0/16")]:
    case(f"vpc-cidr-{id_}", replace("dev.yaml", "vpc_cidr: 10.10.0.0/16", f"vpc_cidr: {cidr}"), 2, at("dev.yaml", "vpc_cidr"), field="vpc_cidr", words=(("1918",),))
case("vpc-cidr-link-local-tenant-override", replace("tenants/org-c.yaml", "    vpc_cidr: 10.31.0.0/16", "    vpc_cidr: 169.254.0.0/16"), 2, at("tenants/org-c.yaml", "169.254"), field="environments.prod.vpc_cidr", words=(("1918",),))
case("vpc-cidr-shared-address-space", replace("dev.yaml", "vpc_cidr: 10.10.0.0/16", "vpc_cidr: 100.64.0.0/16"), None, at("dev.yaml", "vpc_cidr"), field="vpc_cidr")
case("vpc-cidr-ipv6", replace("dev.yaml", "vpc_cidr: 10.10.0.0/16", "vpc_cidr: fd00::/56"), 2, at("dev.yaml", "vpc_cidr"), field="vpc_cidr")
RETENTION = (("365", "allowed"),)
case("log-retention-negative", replace("dev.yaml", "availability_zones: 2\n", "availability_zones: 2\nflow_logs_retention_days: -1\n"), 2, at("dev.yaml", "flow_logs_retention_days"), field="flow_logs_retention_days", words=RETENTION)
case("log-retention-13-days", replace("dev.yaml", "availability_zones: 2\n", "availability_zones: 2\nflow_logs_retention_days: 13\n"), 2, at("dev.yaml", "flow_logs_retention_days"), field="flow_logs_retention_days", words=RETENTION)
case("log-retention-huge", replace("dev.yaml", "availability_zones: 2\n", "availability_zones: 2\nflow_logs_retention_days: 99999\n"), 2, at("dev.yaml", "flow_logs_retention_days"), field="flow_logs_retention_days", words=RETENTION)
case("storage-max-below-allocated", replace("dev.yaml", "  allocated_storage_gb: 20", "  allocated_storage_gb: 80"), 2, at("dev.yaml", "max_allocated_storage_gb"), at("dev.yaml", "  allocated_storage_gb"), words=(("allocated",),))
case("storage-max-below-minimum", replace("dev.yaml", "  max_allocated_storage_gb: 50", "  max_allocated_storage_gb: 10"), 2, at("dev.yaml", "max_allocated_storage_gb"), field="database.max_allocated_storage_gb")
case("engine-version-9.9", replace("platform.yaml", '  engine_version: "16"', '  engine_version: "9.9"'), 2, at("platform.yaml", "engine_version"), field="database.engine_version", words=(("16",),))
case("engine-version-16.99", replace("platform.yaml", '  engine_version: "16"', '  engine_version: "16.99"'), 2, at("platform.yaml", "engine_version"), field="database.engine_version")
case("engine-version-in-env", dev_db('  engine_version: "9.9"\n'), 2, at("dev.yaml", "engine_version"), field="database.engine_version")
case("instance-class-invented", replace("dev.yaml", "db.t4g.micro", "db.x9.huge"), None, at("dev.yaml", "instance_class"), field="database.instance_class")

# NEEDS CLARIFICATION, however it is written.
NC = (("NEEDS CLARIFICATION",),)
case("clarify-plain", replace("dev.yaml", "vpc_cidr: 10.10.0.0/16", "vpc_cidr: NEEDS CLARIFICATION"), 2, at("dev.yaml", "vpc_cidr"), field="vpc_cidr", words=NC)
case("clarify-as-key", dev_tag("internal\n  NEEDS CLARIFICATION: owner team"), 2, at("dev.yaml", "NEEDS CLARIFICATION"), words=NC)
case("clarify-as-top-level-key", append("tenants/org-b.yaml", "NEEDS CLARIFICATION: database?\n"), 2, at("tenants/org-b.yaml", "NEEDS CLARIFICATION"), words=NC)
case("clarify-no-break-space", replace("dev.yaml", "vpc_cidr: 10.10.0.0/16", "vpc_cidr: NEEDS\u00a0CLARIFICATION"), 2, at("dev.yaml", "vpc_cidr"), field="vpc_cidr", words=NC)
case("clarify-thin-space", org_a("display_name: Organization A (storefront)", "display_name: NEEDS\u2009CLARIFICATION"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=NC)
case("clarify-double-space", org_a("display_name: Organization A (storefront)", "display_name: NEEDS  CLARIFICATION"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=NC)
case("clarify-lower-case", org_a("display_name: Organization A (storefront)", "display_name: needs clarification"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=NC)
case("clarify-bracketed", org_a("display_name: Organization A (storefront)", "display_name: '[NEEDS CLARIFICATION: which org?]'"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=NC)
case("clarify-folded-block-split", org_a("display_name: Organization A (storefront)", "display_name: >\n  Organization A, NEEDS\n\n  CLARIFICATION"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=NC)
case("clarify-literal-block-split", org_a("display_name: Organization A (storefront)", "display_name: |\n  NEEDS\n  CLARIFICATION"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=NC)
case("clarify-in-list", replace("dev.yaml", "instance_types: [t3.large]", "instance_types: [t3.large, NEEDS CLARIFICATION]"), 2, at("dev.yaml", "instance_types"), words=NC)
case("clarify-in-helm-values", replace("platform.yaml", "\nconstitution:", "\ncomponent_values:\n  ingress-nginx:\n    controller:\n      replicaCount: NEEDS CLARIFICATION\nconstitution:"), 2, at("platform.yaml", "replicaCount"), words=NC)

# Messages: what was read, how to write it, and the line and field that hold it.
case("message-list-where-string", org_a("display_name: Organization A (storefront)", "display_name: [Organization, A]"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=(("list",), ("string", "text", "quote")))
case("message-mapping-where-string", org_a("display_name: Organization A (storefront)", "display_name: {name: A}"), 2, at("tenants/org-a.yaml", "display_name"), field="display_name", words=(("mapping", "dict"), ("string", "text", "quote")))
case("message-string-where-list", org_a("namespaces: [org-a-web, org-a-api]", "namespaces: org-a-web"), 2, at("tenants/org-a.yaml", "namespaces"), field="namespaces", words=(("list",),))
case("message-second-document", append("dev.yaml", "---\nname: dev2\n"), 2, at("dev.yaml", "name: dev2"), at("dev.yaml", "---"), words=(("document",),), absent=("indentation",))
case("message-trailing-document-marker", append("dev.yaml", "---\n"), 2, at("dev.yaml", "---"), words=(("document",),), absent=("indentation",))
HOMOGLYPH = (("homoglyph", "look-alike", "lookalike", "cyrillic", "non-ascii", "non-latin", "u+043e", "u+0435"),)
case("message-homoglyph-tenant-name", replace("tenants/org-a.yaml", "name: org-a\n", "name: \u043erg-a\n"), 2, at("tenants/org-a.yaml", "name:"), field="name", words=HOMOGLYPH)
case("message-homoglyph-env-name", replace("dev.yaml", "name: dev\n", "name: d\u0435v\n"), 2, at("dev.yaml", "name:"), field="name", words=HOMOGLYPH)
case("message-homoglyph-namespace", org_a("namespaces: [org-a-web, org-a-api]", "namespaces: [org-a-web, \u043erg-a-api]"), 2, at("tenants/org-a.yaml", "namespaces"), words=HOMOGLYPH)
case("message-homoglyph-group", org_a("  admins: [org-a-admins]", "  admins: [\u043erg-a-admins]"), None, at("tenants/org-a.yaml", "admins"), words=HOMOGLYPH)
case("message-min-above-max", replace("dev.yaml", "      min_size: 1", "      min_size: 5"), 2, at("dev.yaml", "max_size"), at("dev.yaml", "min_size"), field=None, words=(("min_size",),))
case("message-desired-outside-range", replace("dev.yaml", "      desired_size: 2", "      desired_size: 9"), 2, at("dev.yaml", "desired_size"), field="cluster.node_groups[0].desired_size")
case("message-namespace-without-tenant-prefix", replace("tenants/org-b.yaml", "namespaces: [org-b]", "namespaces:\n  - org-b\n  - reports"), 2, at("tenants/org-b.yaml", "- reports"), field="namespaces[1]", words=(("org-b-",),))
case("message-app-namespace-not-listed", replace("tenants/org-b.yaml", "    namespace: org-b\n", "    namespace: org-b-other\n"), 2, at("tenants/org-b.yaml", "namespace: org-b-other"), field="apps[0].namespace")
case("message-uses-database-without-database", replace("tenants/org-b.yaml", "    health_path: /health\n", "    health_path: /health\n    uses_database: true\n"), 2, at("tenants/org-b.yaml", "uses_database"), words=(("database",),))
case("message-duplicate-app-name", org_a("  - name: orders-api", "  - name: storefront"), 2, at("tenants/org-a.yaml", ("  - name: storefront", 2)), field="apps[1].name")
case("message-duplicate-namespace", org_a("namespaces: [org-a-web, org-a-api]", "namespaces:\n  - org-a-web\n  - org-a-api\n  - org-a-web"), 2, at("tenants/org-a.yaml", ("  - org-a-web", 2)), field="namespaces[2]")
case("message-duplicate-node-group", replace("prod.yaml", "    - name: system", "    - name: general"), 2, at("prod.yaml", ("    - name: general", 2)), field="cluster.node_groups[1].name")
case("message-taint-effect", replace("prod.yaml", "          effect: NO_SCHEDULE", "          effect: NoSchedule"), 2, at("prod.yaml", "effect: NoSchedule"), field="cluster.node_groups[1].taints[0].effect", words=(("NO_SCHEDULE",),))
case("message-platform-wide-zone", replace("platform.yaml", "  challenge: dns-01", "  hosted_zone_id: Z0123456789ABCDEFGHIJ\n  challenge: dns-01"), 2, at("platform.yaml", "hosted_zone_id"), words=(("dns",),))
case("message-environment-without-domain", replace("staging.yaml", "dns:\n  domain: staging.acme.example.com\n", ""), 2, at("staging.yaml", 1), words=(("dns",),))
case("message-duplicate-component", replace("platform.yaml", "  - kube-prometheus-stack\n", "  - kube-prometheus-stack\n  - cert-manager\n"), 2, at("platform.yaml", ("  - cert-manager", 2)), field="components[6]")
case("message-secondary-region-without-cidr", chain(replace("platform.yaml", "deployment_type: single-region", "deployment_type: multi-region"), replace("prod.yaml", "regions: [eu-west-1]", "regions: [eu-west-1, eu-central-1]")), 2, at("prod.yaml", "regions:"), words=(("region_vpc_cidrs",),))
case("message-missing-required-field", replace("dev.yaml", "tier: development\n", ""), 2, at("dev.yaml", 1), field="tier", words=(("required",),))
case("message-misspelled-field", replace("dev.yaml", "      min_size: 1", "      min_sise: 1"), 2, at("dev.yaml", "min_sise"), field="cluster.node_groups[0].min_sise", words=(("min_size",),))
case("message-unknown-environment-override", replace("tenants/org-c.yaml", "environments:\n  prod:", "environments:\n  prd:"), 2, at("tenants/org-c.yaml", "prd:"), words=(("prod",),))
