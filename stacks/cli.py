"""``infraplan``: synthesize, explain and validate a platform plan."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import time
from typing import TYPE_CHECKING
from pathlib import Path

from rich.console import Console
from rich.table import Table

from constructs_lib.plan import PlanError  # light: the plan model loads on first use, after synth started its worker

from .terraform_worker import early_terraform_workers
from .terraform_worker import jsii_environment as _jsii_env  # check.py and diff_command.py take it from here

if TYPE_CHECKING:
    from .terraform_worker import TerraformWorkers

DEFAULT_PLAN = Path("environments")
DEFAULT_OUT = Path("dist")

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _report_plan_error(exc: PlanError) -> int:
    count = len(exc.issues)
    errors.print(f"[bold red]The plan has {count} problem{'s' if count != 1 else ''}; nothing was written.[/]")
    for issue in exc.issues:
        errors.print(issue.render(), markup=False)
    return 2


def _warn_support(version: str) -> None:
    """Warnings go to stderr, apart from the result: the plan is valid, yet costs more than it says."""
    from constructs_lib.plan.kubernetes_support import warning

    if (message := warning(version)) is not None:
        errors.print(f"[yellow]warning:[/] platform.yaml kubernetes.version: {message}")


def _warn_plan(plan) -> None:
    """The plan's warnings (a choice that adds complexity without a justification): on stderr, never fatal here."""
    for issue in plan.warnings:
        from rich.markup import escape

        errors.print(f"[yellow]warning:[/] {escape(issue.render())}", highlight=False)


def cmd_validate(args: argparse.Namespace) -> int:
    from constructs_lib.plan import load_plan

    started = time.perf_counter()
    plan = load_plan(args.plan)
    took = time.perf_counter() - started
    _warn_support(plan.platform.kubernetes.version)
    _warn_plan(plan)
    console.print(
        f"[green]✓[/] plan [bold]{plan.platform.name}[/] is valid: {len(plan.files)} files, "
        f"{len(plan.environments)} environments ({', '.join(plan.environments)}), "
        f"{len(plan.tenants)} tenants ({', '.join(plan.tenants)}) [dim]in {took:.2f} s[/]"
    )
    return 0


def _fail(message: str) -> int:
    errors.print(message, markup=False, style="bold red")
    return 2


def _endpoint_problem(url: str | None, option: str) -> str | None:
    from urllib.parse import urlsplit

    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{option} {url!r} is not an http(s) URL; write it with its scheme, e.g. http://localhost:5000"
    try:
        parts.port
    except ValueError:
        return f"{option} {url!r} has an invalid port"
    return None


def cmd_synth(args: argparse.Namespace) -> int:
    problem = _endpoint_problem(args.aws_endpoint, "--aws-endpoint")
    if problem:
        return _fail(problem)
    _jsii_env()
    if getattr(args, "terraform_workers", None) is not None:  # started by main() before anything else
        return _synth(args, args.terraform_workers)
    from .terraform_worker import TerraformWorkers, worker_tmpdir

    with TerraformWorkers(worker_tmpdir) as workers:  # cdktf's runtime starts in a worker now, beside what follows
        return _synth(args, workers)


def _synth(args: argparse.Namespace, workers: "TerraformWorkers") -> int:
    """The synth process itself starts no Node.js (the GitOps tree is plain Python; cdktf runs in the
    workers, whose failures arrive as TerraformRuntimeError), so what it can meet here is the output."""
    from constructs_lib.terraform.extensions import ExtensionError
    from constructs_lib.terraform.target import AwsTarget

    from .synth import OutputDirError, synthesize
    from .terraform_worker import TerraformRuntimeError

    console.print(f"Reading the plan in [bold]{args.plan}[/] …")
    try:
        result = synthesize(args.plan, args.out, args.env, args.tenant, AwsTarget(args.aws_endpoint), args.extension, args.state_dir, workers)
    except (OutputDirError, ExtensionError, TerraformRuntimeError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        extra = " (the output's path is too long: choose a shorter --out)" if exc.errno == errno.ENAMETOOLONG else ""
        return _fail(f"cannot write the output:{where}: {exc.strerror or exc}{extra}; --out was left as it was")
    console.print(f"  read {len(result.plan.files)} plan files; environments: {', '.join(e.name for e in result.environments)}")
    _warn_support(result.plan.platform.kubernetes.version)
    _warn_plan(result.plan)
    if args.aws_endpoint:
        console.print(f"  [yellow]local AWS target:[/] every provider and backend points at {args.aws_endpoint}")
    console.print(f"[green]✓[/] {len(result.stacks)} Terraform stacks → {result.out / 'terraform'}/stacks/")
    for name in result.stacks:
        console.print(f"    {name}", style="dim")
    console.print(f"[green]✓[/] {len(result.manifests)} Kubernetes files → {result.out / 'kubernetes'}/")
    if result.bootstrap:
        keys = sorted({Path(rel).parts[1] for rel in result.bootstrap})
        console.print(f"[green]✓[/] by-hand bootstrap (iac.cluster_bootstrap: gitops-only) of {len(keys)} clusters → {result.out / 'bootstrap'}/<cluster>/README.md")
    for env in result.environments:
        console.print(f"  local state of {env.state_stack_name}: {result.state_dir / f'terraform.{env.state_stack_name}.tfstate'}", style="dim")
    if result.kept:
        console.print(f"  kept what other tools wrote into the output: {len(result.kept)} entries (e.g. {result.kept[0]})", style="dim")
    from .output_changes import report_lines

    for line in report_lines(result.changes):  # what changed in --out: stacks, cluster trees (stacks/output_changes.py)
        console.print(line, markup=False)
    console.print(f"Done in {result.seconds:.1f} s.")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from constructs_lib.plan import load_plan
    from constructs_lib.resolve.environment import resolve_environment
    from constructs_lib.terraform.stacks import construct_defaults

    plan = load_plan(args.plan)
    env = resolve_environment(plan, args.env)
    if args.tenant:
        plan.tenant(args.tenant)
        decisions = env.tenant(args.tenant).decisions + construct_defaults(env, env.tenant(args.tenant))
        title = f"{plan.platform.name} · {args.env} · tenant {args.tenant}"
    else:
        from constructs_lib.resolve.bootstrap import resolve_bootstrap
        from constructs_lib.resolve.gitops import resolve_cluster_gitops

        gitops = tuple(d for cluster, tenants in env.clusters for d in resolve_cluster_gitops(env, cluster, tenants).decisions)
        decisions = env.decisions + construct_defaults(env) + gitops + resolve_bootstrap(env).decisions
        title = f"{plan.platform.name} · {args.env}"
    if args.json:  # for tools and CI: every setting with its value as data, its source and reason
        settings = [{"path": d.path, "value": _jsonable(d.value), "source": {"kind": d.source.kind, "ref": d.source.ref, "reason": d.source.reason}} for d in decisions]
        print(json.dumps({"plan": plan.platform.name, "environment": args.env, "tenant": args.tenant, "settings": settings}, indent=2))
        return 0
    # Piped output (no terminal) is read by people and tools alike: do not wrap it at 80 columns.
    out = console if console.is_terminal else Console(width=240, highlight=False)
    table = Table(title=title, show_lines=False)
    table.add_column("setting", style="bold", no_wrap=True)
    table.add_column("value")
    table.add_column("source")
    table.add_column("why", style="dim")
    for d in decisions:
        # infraplan's own defaults say "default"; a construct's own say which construct's
        source = d.source.kind if d.source.kind == "default" and d.source.ref == "infraplan" else f"{d.source.kind}: {d.source.ref}"
        table.add_row(d.path, _short(d.value), source, d.source.reason)
    out.print(table)
    return 0


def _jsonable(value: object) -> object:
    """A resolved value as JSON data (tuples as lists, anything else not JSON as its text)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _short(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _version() -> str:
    """The installed package's version (pyproject.toml's), or 'unknown' when run from a bare checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("infraplan")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="infraplan", description="Turn a platform plan into Terraform (cdktf), GitOps manifests and a Pulumi bootstrap.")
    parser.add_argument("--version", action="version", version=f"infraplan {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_plan(p: argparse.ArgumentParser) -> None:
        p.add_argument("--plan", type=Path, default=DEFAULT_PLAN, help="the plan folder (default: environments)")

    p = sub.add_parser("synth", help="write Terraform JSON and the GitOps tree")
    with_plan(p)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder, replaced atomically; files that did not change are kept as they are (default: dist)")
    p.add_argument("--env", action="append", help="only this environment (repeatable)")
    p.add_argument("--tenant", action="append", help="only this tenant's stacks and namespaces (repeatable)")
    p.add_argument("--extension", action="append", metavar="MODULE:FUNCTION", help="call FUNCTION(stack, context) for every stack to add your own resources (repeatable; see docs/constructs.md)")
    p.add_argument("--aws-endpoint", metavar="URL", help="point every AWS provider and the S3 backend at a local AWS API (e.g. a moto server) for a dry run")
    p.add_argument("--state-dir", type=Path, metavar="DIR", help="where the state stacks (<env>-state) keep their local state, terraform.<env>-state.tfstate (default: the folder holding --out)")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("explain", help="show the resolved settings of an environment (or tenant) and why")
    with_plan(p)
    p.add_argument("--env", required=True)
    p.add_argument("--tenant")
    p.add_argument("--json", action="store_true", help="print the settings as JSON (path, value, source: kind, ref, reason) instead of a table")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("validate", help="check the plan files only (fast)")
    with_plan(p)
    p.set_defaults(func=cmd_validate)

    for module in ("stacks.check", "stacks.diff_command", "stacks.graph_command"):  # infraplan check (docs/check.md), diff --against DIR, graph (the apply order)
        _lazy(module, "add_parser")(sub, with_plan)
    _lazy("stacks.charts_lock", "add_parser")(sub, with_plan)  # infraplan charts lock (stacks/charts_lock.py, docs/charts.md)
    _lazy("stacks.markdown_command", "add_parsers")(sub, with_plan)  # infraplan import / document (docs/markdown.md)

    p = sub.add_parser("preview", help="run the Pulumi bootstrap program offline (mocks) and print its resource plan")
    with_plan(p)
    p.add_argument("--env", required=True)
    p.set_defaults(func=lambda a: _lazy("stacks.pulumi_preview", "cmd_preview")(a))

    p = sub.add_parser("init", help="start a plan: write a new plan folder to fill in (DIR); with --pulumi, a Pulumi project for a plan's cluster bootstrap")
    p.add_argument("dir", nargs="?", type=Path, metavar="DIR", help="the new plan folder, absent or empty (default: environments); with --pulumi, the project folder (as --out)")
    p.add_argument("--plan", type=Path, help="the plan folder: the new one (as DIR), or with --pulumi the plan the project runs (default: environments)")
    p.add_argument("--pulumi", action="store_true", help="write Pulumi.yaml, __main__.py, requirements.txt and a stack file per stack")
    p.add_argument("--out", type=Path, help="with --pulumi: the project folder (default: the current folder); existing files are never overwritten")
    p.add_argument("--requirement", metavar="SPEC", help="with --pulumi: how requirements.txt names infraplan (default: infraplan==<installed version>), e.g. a Git URL at a tag")
    p.add_argument("--project", metavar="NAME", help="with --pulumi: the Pulumi project name (default: <platform>-bootstrap)")
    p.set_defaults(func=lambda a: _lazy("stacks.plan_scaffold", "cmd_init")(a))

    p = sub.add_parser("schema", help="write the plan files' JSON Schemas (editor completion) and the field reference")
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write platform/environment/tenant.schema.json (default: schema, when --markdown is not given)")
    p.add_argument("--markdown", type=Path, metavar="FILE", help="write the field reference (docs/plan-reference.md) to FILE ('-': standard output)")
    p.set_defaults(func=lambda a: _lazy("stacks.schema_command", "cmd_schema")(a))

    p = sub.add_parser("verify", help="compare live AWS resources of an environment with the resolved model")
    with_plan(p)
    p.add_argument("--env", required=True)
    p.add_argument("--tenant", action="append", help="also verify this tenant's stack (repeatable)")
    p.add_argument("--endpoint", metavar="URL", help="AWS API endpoint (e.g. a moto server); default: real AWS")
    p.set_defaults(func=lambda a: _fail(problem) if (problem := _endpoint_problem(a.endpoint, "--endpoint")) else _lazy("stacks.verify", "cmd_verify")(a))
    return parser


def _lazy(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(module), name)


class _Terminated(KeyboardInterrupt):
    """SIGTERM ends a run as Ctrl-C does: staging removed, --out untouched."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None, early: "TerraformWorkers | None" = None) -> int:
    """The CLI; ``early``: synth's first worker, when the caller started it (stacks/command.py)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    _jsii_env()  # every command that builds stacks (explain, document, preview, verify...) starts jsii, not only synth
    if early is None:
        early = early_terraform_workers(argv)
    try:
        args = build_parser().parse_args(argv)
        args.terraform_workers = early
        previous = signal.signal(signal.SIGTERM, _terminate) if _main_thread() else None
        try:
            return args.func(args)
        except PlanError as exc:
            return _report_plan_error(exc)
        except KeyboardInterrupt as exc:
            errors.print("interrupted; the output folder was left as it was")
            return 128 + (signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    except KeyboardInterrupt:  # Ctrl-C while the parser is built (its commands' modules load: ~0.3 s)
        errors.print("interrupted; the output folder was left as it was")
        return 128 + signal.SIGINT
    finally:
        if early is not None:
            early.stop()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
