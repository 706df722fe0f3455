"""``infraplan import PLAN.md`` and ``infraplan document``: the Markdown plan in and out (constructs_lib/markdown, docs/markdown.md)."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from constructs_lib.plan import PlanError, load_plan
from constructs_lib.plan.errors import PlanIssue


def add_parsers(sub: argparse._SubParsersAction, with_plan) -> None:
    p = sub.add_parser("import", help="write a plan folder from a Markdown plan (the Implementation Plan template)")
    p.add_argument("markdown", type=Path, metavar="PLAN.md", help="the filled template")
    p.add_argument("--out", type=Path, default=Path("environments"), help="the new plan folder, absent or empty (default: environments)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("document", help="write the plan in the Implementation Plan template's format (Markdown)")
    with_plan(p)
    p.add_argument("--out", type=Path, metavar="FILE", help="where to write it (default: standard output)")
    p.add_argument("--check-results", type=Path, metavar="FILE", help="the output of infraplan check --json: each gate's status (default: not run)")
    p.set_defaults(func=cmd_document)


def cmd_import(args: argparse.Namespace) -> int:
    from constructs_lib.markdown import import_markdown, read_markdown

    from .cli import console, errors

    md = read_markdown(args.markdown)
    try:
        written = import_markdown(md, args.out)
    except OSError as exc:  # e.g. --out filled by someone else meanwhile: the temporary folder is gone, nothing written
        errors.print(f"infraplan import: cannot write {args.out}: {exc.strerror or exc}; nothing was written", markup=False)
        return 2
    for path in written:
        console.print(f"  wrote {path}", markup=False)
    console.print(f"Next: `infraplan validate --plan {args.out}` lists every NEEDS CLARIFICATION left to decide.", markup=False)
    return 0


def cmd_document(args: argparse.Namespace) -> int:
    from constructs_lib.markdown import document
    from constructs_lib.markdown.writer import check_results

    results = None
    if args.check_results is not None:
        try:
            results = check_results(json.loads(args.check_results.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PlanError([PlanIssue(str(args.check_results), None, "", f"cannot read the check results: {exc}", "pass the output of infraplan check --json")]) from None
    text = document(load_plan(args.plan), results)
    if args.out is None:
        import sys

        sys.stdout.write(text)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{args.out.name}.", dir=args.out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would make it, not mkstemp's 0600
        os.replace(tmp, args.out)
    except BaseException:
        os.unlink(tmp)
        raise
    return 0
