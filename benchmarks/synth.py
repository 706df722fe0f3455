"""Wall time and peak memory of synthesizing the example plan.

    .venv/bin/python benchmarks/synth.py [--runs N]

Each run is a fresh process (cdktf's Node runtime included), so the figures are
what a user sees for `infraplan synth`. Peak memory is the max RSS of the Python
process and of its children (the jsii Node process), from getrusage.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(out: Path) -> tuple[float, float]:
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from stacks.synth import synthesize\n"
        f"synthesize(Path({str(ROOT / 'environments')!r}), Path({str(out)!r}))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", CHECKPOINT_DISABLE="1")
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    took = time.perf_counter() - started
    python_kib = int(proc.stdout.strip().splitlines()[-1])
    return took, python_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times, mems = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            took, mib = one_run(Path(tmp) / f"out{i}")
            times.append(took)
            mems.append(mib)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"synth of the example plan (3 environments, 3 tenants, 15 stacks), {args.runs} runs")
    print(f"  wall time: median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    print(f"  peak RSS, Python process: {max(mems):.0f} MiB")
    print(f"  peak RSS, largest child (Python or the jsii Node runtime): {children:.0f} MiB")


if __name__ == "__main__":
    main()
