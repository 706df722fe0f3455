"""``infraplan graph``: the stacks' apply order as waves, so CI can apply each wave's stacks as a matrix.

The edges are :mod:`constructs_lib.terraform.stack_graph`'s, computed from the resolved model: the
same function gives them to cdktf (``add_dependency``, so ``manifest.json`` lists them), and the
graph needs no synth, no Node.js and no output folder (milliseconds). Dependencies an extension
adds to its stacks are in the manifest of its synth, not here.
"""

from __future__ import annotations

import argparse
import json
import sys

from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan
from constructs_lib.terraform.stack_graph import StackCycleError, StackNode, plan_stacks, waves

FORMATS = ("text", "json", "dot", "mermaid")


def add_parser(sub: argparse._SubParsersAction, with_plan) -> None:  # noqa: ANN001 (cli.py's helper)
    p = sub.add_parser("graph", help="print the stacks' apply order as waves (the stacks of a wave can apply in parallel)")
    with_plan(p)
    p.add_argument("--env", action="append", help="only this environment's stacks (repeatable; default: all)")
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default), json (for CI: waves and each stack's needs), dot (Graphviz) or mermaid")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    for name in args.env or []:
        plan.environment(name)  # an unknown name: PlanError with the defined ones
    nodes = plan_stacks(resolve_plan(plan, args.env or None))
    try:
        order = waves(nodes)
    except StackCycleError as exc:  # infraplan's bug, not the plan's
        print(f"{exc}; please report it", file=sys.stderr)
        return 3
    render = {"text": as_text, "json": as_json, "dot": as_dot, "mermaid": as_mermaid}[args.format]
    sys.stdout.write(render(plan.platform.name, nodes, order))
    return 0


def as_json(platform: str, nodes: list[StackNode], order: list[list[str]]) -> str:
    """``waves`` (a list of lists of stack names, in apply order) and per stack its environment, kind,
    wave (from 1), the stacks it depends on and what it finds in each."""
    wave_of = {name: i for i, wave in enumerate(order, 1) for name in wave}
    stacks = {
        n.name: {
            "environment": n.environment, "kind": n.kind, "wave": wave_of[n.name], "depends_on": list(n.depends_on),
            "needs": [{"stack": stack, "for": list(what)} for stack, what in n.needs],
        }
        for n in nodes
    }  # fmt: skip
    return json.dumps({"plan": platform, "waves": order, "stacks": stacks}, indent=2) + "\n"


def as_text(platform: str, nodes: list[StackNode], order: list[list[str]]) -> str:
    """One line per stack in apply order: its wave, its name, the stacks it comes after."""
    deps = {n.name: n.depends_on for n in nodes}
    width = max((len(name) for name in deps), default=0)
    lines = [f"{platform}: {len(deps)} stacks in {len(order)} waves; the stacks of one wave can apply in parallel"]
    for i, wave in enumerate(order, 1):
        lines += [f"wave {i}  {name:<{width}}  {'after ' + ', '.join(deps[name]) if deps[name] else 'first'}" for name in wave]
    return "\n".join(lines) + "\n"


def as_dot(platform: str, nodes: list[StackNode], order: list[list[str]]) -> str:
    """Graphviz: a cluster per wave; an edge A -> B says A is applied before B (B finds what A creates)."""
    q = json.dumps  # a DOT string is a double-quoted C-like string
    lines = [f"digraph {q(platform)} {{", "  rankdir=LR;", "  node [shape=box];"]
    for i, wave in enumerate(order, 1):
        lines.append(f"  subgraph {q(f'cluster_wave_{i}')} {{")
        lines.append(f"    label={q(f'wave {i}')};")
        lines += [f"    {q(name)};" for name in wave]
        lines.append("  }")
    lines += [f"  {q(stack)} -> {q(n.name)} [tooltip={q('; '.join(what))}];" for n in nodes for stack, what in n.needs]
    return "\n".join([*lines, "}"]) + "\n"


def as_mermaid(platform: str, nodes: list[StackNode], order: list[list[str]]) -> str:
    """A Mermaid flowchart: a subgraph per wave; ``A --> B`` says A is applied before B."""
    ids = {n.name: f"s{i}" for i, n in enumerate(nodes)}  # stack names hold '-', which Mermaid reads as an edge
    lines = ["flowchart LR"]
    for i, wave in enumerate(order, 1):
        lines.append(f'  subgraph wave{i}["wave {i}"]')
        lines += [f'    {ids[name]}["{name}"]' for name in wave]
        lines.append("  end")
    lines += [f"  {ids[stack]} --> {ids[n.name]}" for n in nodes for stack in n.depends_on]
    return "\n".join(lines) + "\n"
