"""Time rendering the GitOps trees of a plan (``render_environment`` of every environment) and
measure the memory of the process that renders them, Node.js runtimes included (#16).

    .venv/bin/python benchmarks/gitops_render.py PLAN_DIR [--runs 3] [--against DIR]

Each run is a fresh Python process: it reads and resolves the plan (not timed), then times
importing the renderer and rendering every environment's trees, the first rendering of that
process (so starting a jsii runtime, when the code needs one, is counted, as it is in
``infraplan synth``). It reports the
median, the process tree's resident memory after rendering (VmRSS of the process and all its
descendants, from ``/proc``) and whether ``jsii`` was imported. ``--against DIR`` also runs the
``constructs_lib`` in DIR (another version, e.g. ``git archive <commit> constructs_lib | tar -x
-C DIR``), alternating with this one run by run. ``benchmarks/plans.py N DIR`` writes a plan of
N tenants.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, os, sys, time
from pathlib import Path
from constructs_lib.plan import load_plan
from constructs_lib.resolve.environment import resolve_plan
envs = resolve_plan(load_plan(sys.argv[1]))
start = time.perf_counter()
from constructs_lib.kubernetes.tree import render_environment  # before #16's tree_node, this started Node.js
files = sum(len(render_environment(env)) for env in envs)
seconds = time.perf_counter() - start

def kib(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

def descendants(pid):
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += [int(child), *descendants(int(child))]
    return out

tree = [os.getpid(), *descendants(os.getpid())]
print(json.dumps({"seconds": seconds, "files": files, "processes": len(tree), "tree_rss_kib": sum(kib(p, "VmRSS") for p in tree),
                  "python_peak_kib": kib(os.getpid(), "VmHWM"), "jsii": "jsii" in sys.modules}))
"""


def _run_once(plan: Path, code: Path | None) -> dict:
    # -P: the current folder is not put first on sys.path, so that PYTHONPATH picks the code run
    env = {**os.environ, "PYTHONPATH": str(code or Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-P", "-c", _CHILD, str(plan)], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path, help="a plan folder (benchmarks/plans.py N DIR writes one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--against", type=Path, help="a folder holding another version's constructs_lib, run alternately")
    args = parser.parse_args()
    versions: dict[str, Path | None] = {"this": None, **({"against": args.against} if args.against else {})}
    results: dict[str, list[dict]] = {name: [] for name in versions}
    for _ in range(args.runs):
        for name, code in versions.items():
            results[name].append(_run_once(args.plan, code))
    print("| code | files | render (median) | runs | process tree RSS after (median) | Python peak RSS | processes | jsii imported |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in results.items():
        median = statistics.median(r["seconds"] for r in runs)
        rss = statistics.median(r["tree_rss_kib"] for r in runs) / 1024
        peak = statistics.median(r["python_peak_kib"] for r in runs) / 1024
        spread = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"| {name} | {runs[0]['files']:,} | {median:.2f} s | {spread} | {rss:.0f} MiB | {peak:.0f} MiB | {runs[0]['processes']} | {runs[0]['jsii']} |")


if __name__ == "__main__":
    main()
