"""Per-call cost of a jsii round trip, and the jsii runtime's memory: jsii's own runtime (a relay
process plus the kernel process) against infraplan's host (the kernel alone, one process).

    .venv/bin/python benchmarks/jsii_calls.py [--calls 3000] [--runs 3]

Each run is a fresh Python process that imports the engine (starting Node), then times
``--calls`` constructor calls (``create``: a TerraformResource) and as many
``getStringAttribute`` calls (``invoke``), and reads VmHWM (peak RSS) of every process of the
jsii runtime from /proc. Runs alternate between the two runtimes; medians are printed.
jsii's runtime is chosen the way a user does: ``JSII_RUNTIME`` naming its own entry point
(written out from the installed jsii package), which infraplan leaves alone (docs/performance.md).
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

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
from constructs_lib.terraform.engine import cdktf
import jsii
started = time.perf_counter() - t0
calls = int(sys.argv[1])
stack = cdktf.TerraformStack(cdktf.App(), "bench")
t = time.perf_counter()
resources = [cdktf.TerraformResource(stack, f"r{i}", terraform_resource_type="null_resource") for i in range(calls)]
create = (time.perf_counter() - t) / calls
t = time.perf_counter()
for resource in resources:
    resource.get_string_attribute("id")
get = (time.perf_counter() - t) / calls

def tree(pid):
    yield pid
    for task in os.listdir(f"/proc/{pid}/task"):
        for child in open(f"/proc/{pid}/task/{task}/children").read().split():
            yield from tree(int(child))

def kib(pid, field):
    return next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith(field + ":"))

node = list(tree(jsii._runtime.kernel.provider._process._process.pid))
print(json.dumps({"start": started, "create": create, "get": get, "processes": len(node),
                  "node_peak": sum(kib(p, "VmHWM") for p in node), "python_peak": kib(os.getpid(), "VmHWM")}))
"""


def jsii_default_runtime(folder: Path) -> Path:
    """jsii's own runtime (relay + kernel), written out as jsii writes it when it starts."""
    import jsii._embedded.jsii as embedded
    from importlib.resources import files

    for resource, target in embedded.EMBEDDED_FILES.items():
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        (folder / target).write_bytes(files(embedded).joinpath(resource).read_bytes())
    return folder / embedded.EMBEDDED_FILES[embedded.ENTRYPOINT]


def run(calls: int, runtime: Path | None) -> dict[str, float]:
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1")
    env.pop("JSII_RUNTIME", None)
    if runtime is not None:
        env["JSII_RUNTIME"] = str(runtime)
    out = subprocess.run([sys.executable, "-c", CHILD, str(calls)], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        default = jsii_default_runtime(Path(folder))
        results: dict[str, list[dict[str, float]]] = {"jsii relay + kernel": [], "infraplan host": []}
        for _ in range(args.runs):
            results["jsii relay + kernel"].append(run(args.calls, default))
            results["infraplan host"].append(run(args.calls, None))
    print(f"{'runtime':<20} {'processes':>9} {'start s':>8} {'create ms':>10} {'get ms':>8} {'Node peak MiB':>14} {'Python peak MiB':>16}")
    for name, runs in results.items():
        med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(f"{name:<20} {med['processes']:>9.0f} {med['start']:>8.3f} {med['create'] * 1e3:>10.3f} {med['get'] * 1e3:>8.3f} "
              f"{med['node_peak'] / 1024:>14.1f} {med['python_peak'] / 1024:>16.1f}")


if __name__ == "__main__":
    main()
