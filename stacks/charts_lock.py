"""``infraplan charts lock``: resolve the plan's chart constraints into ``charts.lock``.

The only command that reads chart repositories. For each component of ``platform.yaml``
``charts:`` it takes the highest version the repository publishes that satisfies the constraint
(a prerelease only if the constraint names one), with its digest and app version. An entry of the
existing lock that still satisfies its constraint (same chart and repository) is kept: a lock does
not drift; ``--update COMPONENT`` takes the newest again. The lock is written whole or not at all.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
import tempfile
from pathlib import Path

from constructs_lib.plan import PlanError, PlanIssue, load_plan
from constructs_lib.plan.chart_lock import LOCK_FILE, ChartLockFile, LockedChart, wanted
from constructs_lib.plan.chart_versions import best_match, nearest, parse_constraint, parse_version

from .chart_repos import RepositoryError, details, published_versions


def lock_charts(plan_dir: Path, update: tuple[str, ...] = ()) -> tuple[ChartLockFile, list[str]]:
    """The new lock for the plan in ``plan_dir`` and a line per component saying what happened.

    Raises PlanError (the plan, an unknown --update) or RepositoryError (every repository problem, one per line)."""
    plan = load_plan(plan_dir, check_lock=False)
    want = wanted(plan.platform)
    unknown = [u for u in update if u not in want]
    if unknown:
        listed = ", ".join(want) or "nothing"
        raise PlanError([PlanIssue("<command line>", None, "", f"--update {u}: platform.yaml charts: does not list {u}", f"it lists {listed}") for u in unknown])
    old = plan.chart_lock.charts if plan.chart_lock is not None else {}
    fetched: dict[tuple[str, str], tuple[list[str], object]] = {}
    charts: dict[str, LockedChart] = {}
    report: list[str] = []
    problems: list[str] = []
    for component, (chart, repo_url, text) in want.items():
        constraint = parse_constraint(text)
        entry = old.get(component)
        version = parse_version(entry.version) if entry is not None else None
        if entry is not None and component not in update and (entry.chart, entry.repo_url) == (chart, repo_url) and version is not None and constraint.allows(version):
            charts[component] = entry.model_copy(update={"constraint": text})
            report.append(f"{component}: {chart} {entry.version} kept ('{text}'; --update {component} takes the newest)")
            continue
        try:
            if (repo_url, chart) not in fetched:
                fetched[repo_url, chart] = published_versions(repo_url, chart)
            versions, handle = fetched[repo_url, chart]
            best = best_match(constraint, versions)
            if best is None:
                near = nearest(constraint, versions)
                raise RepositoryError(
                    f"{component}: no version of {chart} in {repo_url} satisfies '{text}'"
                    + (f"; the nearest are {', '.join(near)}" if near else f"; it publishes {len(versions)} versions")
                )
            published = details(handle, best)
        except RepositoryError as exc:
            problems.append(str(exc) if str(exc).startswith(f"{component}:") else f"{component}: {exc}")
            continue
        charts[component] = LockedChart(chart=chart, repo_url=repo_url, constraint=text, version=best, digest=published.digest, app_version=published.app_version)
        was = f" (was {entry.version})" if entry is not None and entry.version != best else ""
        report.append(f"{component}: {chart} {best} locked for '{text}'{was}")
    if problems:
        raise RepositoryError("\n".join(problems))
    return ChartLockFile(charts=charts), report


def write_lock(plan_dir: Path, lock: ChartLockFile) -> bool:
    """Write ``charts.lock`` atomically; False when it already says exactly this."""
    path = Path(plan_dir) / LOCK_FILE
    text = lock.dump()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    fd, tmp = tempfile.mkstemp(prefix=".charts.lock.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def cmd_charts_lock(args: argparse.Namespace) -> int:
    from .cli import console, errors

    try:
        lock, report = lock_charts(args.plan, tuple(args.update or ()))
    except RepositoryError as exc:
        errors.print(f"[bold red]charts.lock was not written:[/]", highlight=False)
        errors.print(str(exc), markup=False)
        return 1
    for line in report:
        console.print(f"  {line}", markup=False)
    path = Path(args.plan) / LOCK_FILE
    if not lock.charts and not path.exists():
        console.print("platform.yaml has no charts: section: every chart keeps infraplan's catalog pin; no charts.lock needed.")
        return 0
    changed = write_lock(args.plan, lock)
    console.print(f"[green]✓[/] {path} {'written' if changed else 'unchanged'}: {len(lock.charts)} chart{'s' if len(lock.charts) != 1 else ''}; commit it with platform.yaml")
    return 0


def add_parser(sub: argparse._SubParsersAction, with_plan: Callable[[argparse.ArgumentParser], None]) -> None:
    """``infraplan charts lock [--plan DIR] [--update COMPONENT]``."""
    p = sub.add_parser("charts", help="chart versions: resolve platform.yaml charts: constraints into charts.lock")
    charts = p.add_subparsers(dest="charts_command", required=True)
    p = charts.add_parser("lock", help="resolve each chart constraint against its repository into <plan>/charts.lock (docs/charts.md)")
    with_plan(p)
    p.add_argument("--update", action="append", metavar="COMPONENT", help="take the newest version within this component's constraint again (repeatable); others keep their lock")
    p.set_defaults(func=cmd_charts_lock)
