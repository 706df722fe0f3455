"""Time reading the plan (``load_plan``: files read, parsed, validated, checked) at N tenants (#16).

    .venv/bin/python benchmarks/plan_read.py [--sizes 10,30,100,300] [--runs 3] [--python-parser] [--against DIR]

Builds the grown example of benchmarks/plans.py at each size, then times ``load_plan`` in a fresh
Python process per run (after reading the bundled example once there, so that imports and
caches are not counted), alternating the sizes run by run, and prints the median, the
milliseconds per tenant and the marginal milliseconds per tenant since the previous size.
``--python-parser`` reads every file with PyYAML's Python parser instead of libyaml's.
``--against DIR`` also times the ``constructs_lib`` in DIR (another version, e.g.
``git archive <commit> constructs_lib | tar -x -C DIR``), alternating with this one run by run,
and prints the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plans import EXAMPLE, write_plan  # noqa: E402

_CHILD = """
import gc, json, sys, time
from constructs_lib.plan import load_plan
if sys.argv[2] == "python":
    from constructs_lib.plan import yaml_source
    yaml_source.LIBYAML_PARSER = None
load_plan(sys.argv[3])
gc.collect()
start = time.perf_counter()
load_plan(sys.argv[1])
print(json.dumps(time.perf_counter() - start))
"""


def _time_once(plan: Path, parser: str, code: Path | None) -> float:
    # -P: the current folder is not put first on sys.path, so that PYTHONPATH picks the code timed
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    out = subprocess.run([sys.executable, "-P", "-c", _CHILD, str(plan), parser, str(EXAMPLE)], check=True, capture_output=True, text=True, env=env)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,30,100,300", help="tenant counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python-parser", action="store_true", help="read with PyYAML's Python parser only")
    parser.add_argument("--against", type=Path, help="a folder holding another version's constructs_lib, timed alternately")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    which = "python" if args.python_parser else "default"
    with tempfile.TemporaryDirectory(prefix="infraplan-plan-read-") as tmp:
        plans = {n: write_plan(n, Path(tmp) / f"plan-{n}") for n in sizes}
        times: dict[int, list[float]] = {n: [] for n in sizes}
        other: dict[int, list[float]] = {n: [] for n in sizes}
        for _ in range(args.runs):
            for n in sizes:
                times[n].append(_time_once(plans[n], which, None))
                if args.against:
                    other[n].append(_time_once(plans[n], "default", args.against.resolve()))
        files = {n: sum(1 for _ in plans[n].rglob("*.yaml")) for n in sizes}
    print(f"load_plan, median of {args.runs} runs ({'Python parser' if args.python_parser else 'default parser'})")
    against = f" {args.against} | ratio |" if args.against else ""
    print(f"| tenants | files | load_plan | ms / tenant | marginal ms / tenant |{against}")
    print("|---|---|---|---|---|" + ("---|---|" if args.against else ""))
    previous: tuple[int, float] | None = None
    for n in sizes:
        median = statistics.median(times[n])
        marginal = f"{(median - previous[1]) / (n - previous[0]) * 1000:.2f}" if previous else "-"
        row = f"| {n} | {files[n]} | {median:.3f} s | {median / n * 1000:.2f} | {marginal} |"
        if args.against:
            theirs = statistics.median(other[n])
            row += f" {theirs:.3f} s | {theirs / median:.1f}x |"
        print(row)
        previous = (n, median)


if __name__ == "__main__":
    main()
