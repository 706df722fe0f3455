"""``infraplan check``: synthesize into a temporary folder, run the plan's constitution, report.

Exit 0 when every required gate with a rule passed, 1 when one failed or could not run, 2 for
plan errors (as ``validate``: nothing is synthesized) and for an output that cannot be written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from constructs_lib.plan import load_plan


def junit_problem(path: str) -> str | None:
    """Why ``--junit PATH`` cannot be written, found before a synthesis of minutes (not a traceback after it)."""
    p = Path(path)
    if p.is_dir():
        return f"--junit {path} is a folder: give a file name, e.g. {p / 'infraplan-check.xml'}"
    existing = next((a for a in p.parents if a.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"--junit {path}: {existing} is a file, not a folder"
    return None


def run(args: argparse.Namespace) -> int:
    from constructs_lib.gates.report import as_json, as_junit, summary
    from constructs_lib.gates.runner import CheckContext, run_gates

    from .cli import _fail, _jsii_env, _warn_support

    plan = load_plan(args.plan)  # plan errors: exit 2 before anything is synthesized
    if args.junit and (problem := junit_problem(args.junit)):
        return _fail(problem)
    _warn_support(plan.platform.kubernetes.version)
    _jsii_env()
    work = Path(tempfile.mkdtemp(prefix="infraplan-check-"))
    try:
        from constructs_lib.terraform.extensions import ExtensionError

        from .synth import OutputDirError, synthesize
        from .terraform_worker import TerraformRuntimeError

        err = sys.stderr
        print(f"Synthesizing {args.plan} into a temporary folder …", file=err)
        try:
            result = synthesize(args.plan, work / "dist", args.env, None, extensions=args.extension, state_dir=work / "state")
        except (OutputDirError, ExtensionError, TerraformRuntimeError) as exc:
            return _fail(str(exc))
        ctx = CheckContext(result.plan, Path(args.plan), result.out, work / "scratch", checkov=args.checkov)
        (work / "scratch").mkdir()
        print(f"Running {len(plan.platform.constitution)} gates for {', '.join(e.name for e in result.environments)} …", file=err)
        report = run_gates(ctx, result.environments)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.junit:
        try:
            Path(args.junit).parent.mkdir(parents=True, exist_ok=True)
            Path(args.junit).write_text(as_junit(report), encoding="utf-8")
        except OSError as exc:
            return _fail(f"--junit {args.junit}: cannot write it ({exc.strerror or exc})")
    if args.json:
        sys.stdout.write(as_json(report))
    else:
        sys.stdout.write(summary(report))
        if args.junit:
            sys.stdout.write(f"JUnit XML: {os.path.abspath(args.junit)}\n")
    return report.exit_code


def add_parser(sub: argparse._SubParsersAction, with_plan) -> None:  # noqa: ANN001 (cli.py's helper)
    p = sub.add_parser("check", help="synthesize into a temporary folder and run the plan's constitution gates (exit 1 if a required gate fails)")
    with_plan(p)
    p.add_argument("--env", action="append", help="only this environment (repeatable; default: all)")
    p.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML (a testsuite per environment, a testcase per gate)")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of the summary")
    p.add_argument("--checkov", metavar="PATH", help="the checkov executable (default: INFRAPLAN_CHECKOV, checkov on PATH, .tools/checkov/bin/checkov)")
    p.add_argument("--extension", action="append", metavar="MODULE:FUNCTION", help="the same extensions synth gets, so the gates see what is deployed (repeatable)")
    p.set_defaults(func=run)
