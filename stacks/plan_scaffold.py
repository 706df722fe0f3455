"""``infraplan init [DIR]``: a new plan folder to fill in, so a new user does not copy the example and delete.

It asks nothing: every decision the plan needs and nothing can default is written as
``NEEDS CLARIFICATION``, which ``infraplan validate`` refuses and lists, all at once, with its file,
line and field. Everything else is left at its default (the comments say what it is and where
the reference is). Written: ``platform.yaml``, ``dev.yaml`` (one environment) and
``tenants/example.yaml``.

DIR must be absent or empty: ``init`` writes nothing into a folder that holds anything, and a
failure part-way removes what this run created. ``init --pulumi`` (stacks/scaffold.py) is the
other half: a Pulumi project for the cluster bootstrap of a plan that validates.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from constructs_lib.addons import PLAN_COMPONENTS
from constructs_lib.plan.base import NEEDS_CLARIFICATION, catalog
from constructs_lib.plan.kubernetes_support import supported, today
from constructs_lib.resolve.names import PARTITION

DEFAULT_DIR = Path("environments")
TODO = NEEDS_CLARIFICATION


class InitError(Exception):
    pass


def _kubernetes_versions() -> str:
    """The versions validate accepts today, newest first, as they are written (quoted)."""
    usable = supported(today(), set(catalog("eks_addons.yaml")))
    return ", ".join(f'"{v}"' for v in reversed(usable)) or "none pinned"


HEADER = (
    "# Replace every NEEDS CLARIFICATION with your decision; `infraplan validate --plan <this folder>`\n"
    "# lists those left. Every field, its type, default and effect: infraplan's docs/plan-reference.md;\n"
    "# editor completion and checking: docs/plan-schema.md (`infraplan schema`).\n"
)


def render() -> dict[str, str]:
    """The plan's files (relative path -> text)."""
    return {"platform.yaml": _platform(), "dev.yaml": _environment(), "tenants/example.yaml": _tenant()}


def _platform() -> str:
    components = "\n".join(f"#   - {c}" for c in PLAN_COMPONENTS)
    return f"""# platform.yaml: the plan-wide decisions (written by `infraplan init`).
{HEADER}name: {TODO}                 # the platform's name, lowercase letters, digits and '-' (e.g. acme); it prefixes resource names
kubernetes:
  version: {TODO}            # the EKS minor version, quoted; supported today: {_kubernetes_versions()}
gitops:
  tool: argocd                            # argocd (ArgoCD syncs the GitOps tree), or none (the Pulumi program applies it)
  repo_url: {TODO}           # the Git repository ArgoCD syncs the tree from: https://..., ssh://... or git@...
  path: kubernetes                        # the tree's folder in that repository
  repository_auth: none                   # none (a public repository), https (a token) or ssh (a deploy key): docs/gitops.md
state_backend:
  bucket_prefix: {TODO}      # the state buckets are <bucket_prefix>-<env>-<account id>; lowercase letters, digits and '-'
performance:                              # production's goals; validate checks the design can meet them
  uptime_percent: {TODO}     # e.g. 99.9
  rto_minutes: {TODO}        # minutes to recover from the loss of an Availability Zone, e.g. 60
  rpo_minutes: {TODO}        # minutes of data you may lose, e.g. 15
scale:                                    # the limits validate holds the plan to
  tenants: {TODO}            # tenant files the plan may have
  namespaces_per_tenant: {TODO}
  max_nodes: {TODO}          # per environment, the node groups' max_size over all its clusters
cluster:
  endpoint_public_access: false           # the Kubernetes API is private to the VPC
  api_access:
    vpc: true                             # who reaches the private API (port 443): the cluster's own VPC (a bastion, a CI runner in it)
# Add-ons, each a pinned Helm chart installed through GitOps (none by default):
# components:
{components}
constitution:                             # the gates every change must pass
  - id: plan-validates
    description: "`infraplan validate` passes: no undecided or invalid field."
"""


def _environment() -> str:
    return f"""# dev.yaml: the environment "dev", one AWS account (written by `infraplan init`).
# Add an environment by adding <name>.yaml next to it (tier: staging or production).
{HEADER}name: dev                                 # the same as the file name
tier: development                         # development, staging or production: sizing, protection and HA follow it
account_id: {TODO}           # the environment's AWS account, 12 digits, quoted ("123456789012")
regions: [{TODO}]            # AWS regions, the first is the primary, e.g. [eu-west-1]
vpc_cidr: {TODO}             # a private /16 to /20 that overlaps none of your networks, e.g. 10.10.0.0/16
cluster:
  node_groups:
    - name: general
      instance_types: [{TODO}]   # e.g. [m6i.large]
      min_size: {TODO}       # e.g. 2
      max_size: {TODO}       # e.g. 4
platform_admins:
  principal_arns: [{TODO}]   # IAM roles of this account that are cluster-admin, e.g. [arn:{PARTITION}:iam::123456789012:role/platform-admin]
"""


def _tenant() -> str:
    return f"""# tenants/example.yaml: a tenant, an organization on the platform (written by `infraplan init`).
# Rename it (file and name) to your first tenant; add one file per tenant.
{HEADER}name: example                             # lowercase letters, digits and '-'; its namespaces start with it
display_name: {TODO}         # the tenant's name as people say it, e.g. "Example Corp"
isolation: shared                         # shared: namespaces on the environment's cluster; dedicated: its own VPC and cluster
namespaces: [example]                     # each is the tenant's name or starts with "<name>-"
groups:                                   # identity provider groups and their role in the tenant's namespaces
  developers: [{TODO}]       # e.g. [example-developers]
environments:
  dev:
    access_principals:                    # IAM roles of dev's account that may assume the tenant's developers role
      developers: [{TODO}]   # e.g. [arn:{PARTITION}:iam::123456789012:role/example-developers]
"""


def write_plan(folder: Path) -> list[Path]:
    """Write the plan into ``folder``, which must be absent or empty; on failure remove what was created."""
    if os.path.lexists(folder):
        if not folder.is_dir() or folder.is_symlink():
            raise InitError(f"{folder} exists and is not a folder; nothing was written (choose a new folder)")
        if any(folder.iterdir()):
            raise InitError(f"{folder} is not empty; nothing was written (init writes a new plan into an empty or new folder)")
    files = render()
    made: list[Path] = []  # files and folders this run created, removed again on failure
    try:
        for parent in reversed([folder, *folder.parents]):
            if not parent.exists():
                parent.mkdir()
                made.append(parent)
        for rel, text in files.items():
            path = folder / rel
            if not path.parent.exists():
                path.parent.mkdir()
                made.append(path.parent)
            with open(path, "x", encoding="utf-8") as f:  # exclusive: never over a file that appeared meanwhile
                made.append(path)
                f.write(text)
    except BaseException as exc:
        for p in reversed(made):
            p.unlink() if p.is_file() else p.rmdir()
        if isinstance(exc, FileExistsError):
            raise InitError(f"{exc.filename} appeared while writing; nothing was written") from exc
        raise
    return [folder / rel for rel in files]


def cmd_init(args: argparse.Namespace) -> int:
    """``init [DIR]`` writes a plan; ``init --pulumi`` a Pulumi project for one (stacks/scaffold.py)."""
    from .cli import console, errors

    if args.pulumi:
        from .scaffold import cmd_init as init_pulumi

        if args.dir is not None and args.out is not None and args.dir != args.out:
            errors.print(f"infraplan init --pulumi: DIR ({args.dir}) and --out ({args.out}) both name the project folder; give one")
            return 2
        args.plan = args.plan or DEFAULT_DIR
        args.out = args.out or args.dir or Path(".")
        return init_pulumi(args)
    pulumi_only = [flag for flag, value in (("--out", args.out), ("--requirement", args.requirement), ("--project", args.project)) if value is not None]
    if pulumi_only:
        errors.print(
            f"infraplan init: {', '.join(pulumi_only)} belong to init --pulumi (a Pulumi project for a plan); "
            "init [DIR] writes a new plan into DIR"
        )
        return 2
    if args.dir is not None and args.plan is not None and args.dir != args.plan:
        errors.print(f"infraplan init: DIR ({args.dir}) and --plan ({args.plan}) both name the new plan folder; give one")
        return 2
    folder = args.dir or args.plan or DEFAULT_DIR
    try:
        written = write_plan(folder)
    except (InitError, OSError) as exc:
        errors.print(f"infraplan init: {exc}", markup=False)
        return 2
    for p in written:
        console.print(f"  wrote {p}")
    console.print(
        f"Next: replace each NEEDS CLARIFICATION in {folder} (`infraplan validate --plan {folder}` lists them), "
        f"then `infraplan synth --plan {folder}`."
    )
    return 0
