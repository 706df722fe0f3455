"""``infraplan init --pulumi``: a Pulumi project for a user's own plan, in the user's own repository.

The bootstrap program lives in the installed infraplan package (``stacks.pulumi_program``);
the project written here only points Pulumi at it and at the plan folder, so an upgrade of
infraplan upgrades the program and the project never holds a copy of it. Written:

* ``Pulumi.yaml``: runtime python with ``toolchain: pip`` and its own virtualenv ``venv``;
  ``main: __main__.py``; the plan folder as ``infraplan:plan``, relative to the project
  (the program resolves it against the project root, ``pulumi.get_root_directory()``).
* ``__main__.py``: calls ``stacks.pulumi_program.main()``.
* ``requirements.txt``: what ``pulumi install`` puts in ``venv``: infraplan (the
  ``--requirement`` given, e.g. a Git URL at a tag) and the Pulumi SDKs at the versions
  infraplan was tested with (the ones installed with it).
* ``Pulumi.<cluster key>.yaml``: one stack per cluster, naming its environment and cluster, with
  the connection settings as comments.

Nothing is overwritten: if any of these files exists, nothing is written (the user's files are
the user's), and a failure part-way removes what this run created.
"""

from __future__ import annotations

import argparse
import os
from importlib import metadata
from pathlib import Path

from constructs_lib.plan import load_plan
from constructs_lib.resolve.bootstrap import CONFIG_NAMESPACE

# The SDKs the bootstrap program is written and tested against: the user's project installs the
# same versions infraplan runs with (pyproject.toml bounds them; the lock file pins them).
SDKS = ("pulumi", "pulumi-kubernetes", "boto3")


class ScaffoldError(Exception):
    pass


def _installed(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def default_requirement() -> str:
    version = _installed("infraplan") or "0.1.0"
    return f"infraplan=={version}"


def stack_clusters(plan_dir: Path) -> list[tuple[str, str, str]]:
    """One Pulumi stack per cluster (``stacks.pulumi_program``: an unreachable cluster blocks no
    other): (stack name = cluster key, environment, cluster name), in plan order."""
    from constructs_lib.resolve.environment import resolve_environment

    plan = load_plan(plan_dir)
    return [(c.key, env, c.name) for env in plan.environments for c, _ in resolve_environment(plan, env).clusters]


def render(plan_dir: Path, out: Path, requirement: str, project: str) -> dict[str, str]:
    """The project's files (name -> text); pure but for reading the plan."""
    rel_plan = Path(os.path.relpath(plan_dir.resolve(), out.resolve())).as_posix()
    files: dict[str, str] = {}
    files["Pulumi.yaml"] = (
        "# The infraplan cluster bootstrap for this plan (written by `infraplan init --pulumi`).\n"
        "# The program is infraplan's (stacks/pulumi_program.py in the installed package); upgrade\n"
        "# infraplan in requirements.txt to upgrade it. See infraplan's docs/pulumi.md.\n"
        f"name: {project}\n"
        "description: Bootstrap the clusters of the plan (ArgoCD and the root app-of-apps) with infraplan\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        "    virtualenv: venv\n"
        "main: __main__.py\n"
        "config:\n"
        "  plan:\n"
        "    type: string\n"
        f"    default: {rel_plan}\n"
        "    description: The plan folder, relative to this file (infraplan:plan)\n"
    )
    files["__main__.py"] = (
        '"""Pulumi entry point: the infraplan bootstrap program, reading the plan named by infraplan:plan."""\n\n'
        "from stacks.pulumi_program import main\n\n"
        "main()\n"
    )
    pins = [f"{d}=={v}" for d in SDKS if (v := _installed(d))]
    files["requirements.txt"] = (
        "# Installed by `pulumi install` into ./venv (Pulumi.yaml: toolchain pip).\n"
        "# infraplan itself: replace with where your team gets it, e.g.\n"
        "#   infraplan @ git+https://git.example.com/platform/infraplan.git@v0.1.0\n"
        f"{requirement}\n"
        "# The SDK versions infraplan was tested with:\n" + "".join(f"{p}\n" for p in pins)
    )
    for key, env, cluster in stack_clusters(plan_dir):
        files[f"Pulumi.{key}.yaml"] = (
            f"# Stack {key}: cluster {cluster} of environment {env} ({rel_plan}/{env}.yaml).\n"
            "# Every value of the bootstrap comes from the plan; only who reaches the cluster is set here,\n"
            "# see infraplan's docs/pulumi.md (\"Cluster connection\"), e.g.\n"
            f"#   pulumi config set {CONFIG_NAMESPACE}:awsProfile <profile>\n"
            f"#   pulumi config set {CONFIG_NAMESPACE}:awsRoleArn <a platform admin role of the environment's account>\n"
            "config:\n"
            f"  {CONFIG_NAMESPACE}:environment: {env}\n"
            f"  {CONFIG_NAMESPACE}:cluster: {key}\n"
        )
    return files


def write_project(plan_dir: Path, out: Path, requirement: str | None = None, project: str | None = None) -> list[Path]:
    """Write the project into ``out`` (created if missing); refuse if any of its files exists."""
    plan = load_plan(plan_dir)  # a bad plan: PlanError, before anything is written
    if plan.platform.iac.cluster_bootstrap == "gitops-only":
        raise ScaffoldError(
            "the plan's iac.cluster_bootstrap is gitops-only: its clusters are bootstrapped by hand (bootstrap/<cluster>/README.md of infraplan synth), "
            "not by a Pulumi program; nothing was written (set iac.cluster_bootstrap: pulumi to use one)"
        )
    name = project or f"{plan.platform.name}-bootstrap"
    files = render(plan_dir, out, requirement or default_requirement(), name)
    existing = sorted(n for n in files if (out / n).exists())
    if existing:
        raise ScaffoldError(f"{out} already has {', '.join(existing)}; nothing was written (move them away, or choose another --out)")
    out.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    try:
        for n, text in files.items():
            with open(out / n, "x") as f:  # exclusive: a file that appeared meanwhile is never overwritten
                created.append(out / n)
                f.write(text)
    except BaseException as exc:
        for p in created:  # only what this run created
            p.unlink(missing_ok=True)
        if isinstance(exc, FileExistsError):
            raise ScaffoldError(f"{exc.filename} appeared while writing; nothing was written") from exc
        raise
    return [out / n for n in files]


def cmd_init(args: argparse.Namespace) -> int:
    from .cli import console, errors

    if not args.pulumi:
        errors.print("infraplan init: say what to create: --pulumi (a Pulumi project for the plan's cluster bootstrap)")
        return 2
    try:
        written = write_project(args.plan, args.out, args.requirement, args.project)
    except ScaffoldError as exc:
        errors.print(f"[bold red]infraplan init:[/] {exc}")
        return 2
    for p in written:
        console.print(f"  wrote {p}")
    console.print(
        f"Next: cd {args.out} && pulumi login && pulumi stack init <stack> && pulumi install && pulumi preview (docs/pulumi.md)"
    )
    return 0
