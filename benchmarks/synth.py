"""Wall time and peak memory of `infraplan synth`, side by side with the plain-cdktf baseline.

    .venv/bin/python benchmarks/synth.py [--runs 3] [--sizes example,10,30,100,300] [--no-baseline]

For each plan size (the bundled example, and the example grown to N tenants x its 3
environments by benchmarks/plans.py, written to a temporary folder) it runs `infraplan synth`
``--runs`` times, each in a fresh process into a fresh folder, alternating every run with the
baseline: ../shared/benchmarks/baseline_cdktf_prebuilt.py with STACKS=3 (a plain cdktf app on
the prebuilt AWS provider, dev/staging/prod), run by the Python of its own virtualenv
``.bench-baseline`` (``./dev bench-setup`` creates it from PyPI). Without that virtualenv the
baseline is skipped, and the table says so.

Reported per size: the medians, their ratio (baseline / infraplan), the cost per tenant
(median / tenants) and the marginal cost per tenant from the previous size (linear growth
keeps it flat), and the peak memory of the whole process tree: the sum of VmRSS over the
process and all its descendants (Node's jsii runtime included), sampled every 20 ms from
/proc. Where /proc is missing, the largest single process's max RSS (getrusage of the
children) is shown instead and marked ``(largest process)``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plans import EXAMPLE, EXAMPLE_TENANTS, write_plan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INFRAPLAN = ROOT / ".venv" / "bin" / "infraplan"
BASELINE_SCRIPT = ROOT.parent / "shared" / "benchmarks" / "baseline_cdktf_prebuilt.py"
BASELINE_PYTHON = ROOT / ".bench-baseline" / "bin" / "python"
ENV = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1", CHECKPOINT_DISABLE="1")
SAMPLE_SECONDS = 0.02
MIB = 1024 * 1024


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _children_of() -> dict[int, list[int]]:
    """Every process's children, from the parent pid in each ``/proc/<pid>/stat`` (all of /proc read)."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces and ')'
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _children(pid: int) -> list[int] | None:
    """``pid``'s children from its threads' ``/proc/<pid>/task/<tid>/children``; None where the
    kernel has no such file (then :func:`_children_of` reads all of /proc)."""
    found: list[int] = []
    try:
        tasks = list(os.scandir(f"/proc/{pid}/task"))
    except OSError:
        return []
    for task in tasks:
        try:
            with open(f"{task.path}/children") as file:
                found.extend(int(c) for c in file.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
                return None
        except OSError:
            pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as file:  # size resident shared ...: resident in pages, VmRSS's figure
            return int(file.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int) -> int:
    """VmRSS summed over ``root`` and every process below it, now. Each sample reads only the tree's
    own files (its processes' children and ``statm``): reading all of /proc every 20 ms took about
    1 ms of CPU, which slowed the example's synth by 4% on this 2-core VM."""
    total, todo, everyone = 0, [root], None
    while todo:
        pid = todo.pop()
        total += _rss_kib(pid)
        children = _children(pid) if everyone is None else None
        if children is None:
            everyone = everyone or _children_of()
            children = everyone.get(pid, [])
        todo.extend(children)
    return total * 1024


@dataclass
class Run:
    seconds: float
    peak_bytes: int
    tree_sampled: bool


# Every run's output stays in the temporary folder until the script ends (infraplan_run, baseline_run).
# Removing one run's 10,000 files before the next run made that next run's file writes ever slower
# on this VM: its ext4 has no journal, and then a freed inode is not reused for 60 to 300 seconds
# while every file created scans past it (docs/performance.md): three 100-tenant synths in a row,
# each removing the previous output first, took 0.37, 3.95 and 8.35 s of system time (3.26, 5.83,
# 10.20 s wall, user time 3.1 s each); without the removals, 0.36, 0.28 and 0.32 s (3.21, 3.05, 3.01 s wall).


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> Run:
    """One fresh process (and its children) to completion: wall time and peak tree memory."""
    sampled = Path("/proc/self/status").exists()
    os.sync()  # the previous runs' files (and their removal) written back first: not billed to this run
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_bytes(proc.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    if sampled:
        sampler.start()
    _, err = proc.communicate()
    took = time.perf_counter() - started
    done.set()
    if sampled:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-2000:]}")
    if not sampled:  # ru_maxrss: the largest process waited for so far (KiB on Linux)
        peak[0] = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    return Run(took, peak[0], sampled)


@dataclass
class Size:
    label: str
    tenants: int
    plan: Path
    infraplan: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)
    stacks: int = 0
    files: int = 0


def infraplan_run(size: Size, work: Path, i: int) -> Run:
    out, state = work / f"out-{size.label}-{i}", work / f"state-{size.label}-{i}"
    state.mkdir()
    result = run([str(INFRAPLAN), "synth", "--plan", str(size.plan), "--out", str(out), "--state-dir", str(state)], ENV, ROOT)
    size.stacks = len(list((out / "terraform" / "stacks").iterdir()))
    size.files = sum(1 for p in out.rglob("*") if p.is_file())
    return result  # the output stays until the script ends (see run())


def baseline_run(work: Path, i: int) -> Run:
    out = work / f"baseline-{i}"
    return run([str(BASELINE_PYTHON), str(BASELINE_SCRIPT)], dict(ENV, STACKS="3", OUTDIR=str(out)), work)


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def table(sizes: list[Size], with_baseline: bool) -> str:
    mem_note = "" if all(r.tree_sampled for s in sizes for r in s.infraplan) else " (largest process)"
    head = ["plan", "tenants", "stacks", "files", "infraplan median s", "baseline median s", "ratio", "s per tenant", "marginal s per tenant", f"peak tree MiB{mem_note}"]
    rows, previous = [], None
    for s in sizes:
        ours = median(s.infraplan)
        theirs = median(s.baseline) if s.baseline else None
        marginal = f"{(ours - median(previous.infraplan)) / (s.tenants - previous.tenants):.3f}" if previous and s.tenants > previous.tenants else "-"
        rows.append([
            s.label, str(s.tenants), str(s.stacks), str(s.files), f"{ours:.2f}",
            f"{theirs:.2f}" if theirs is not None else "skipped", f"{theirs / ours:.1f}x" if theirs is not None else "-",
            f"{ours / s.tenants:.3f}", marginal, f"{max(r.peak_bytes for r in s.infraplan) / MIB:.0f}",
        ])
        previous = s
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    if with_baseline:
        peak = max(r.peak_bytes for s in sizes for r in s.baseline) / MIB
        lines.append(f"baseline: STACKS=3 of {BASELINE_SCRIPT.name}, peak tree {peak:.0f} MiB, alternated with each infraplan run")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size (each alternated with a baseline run)")
    parser.add_argument("--sizes", default="example,10,30,100,300", help="comma-separated: example and/or tenant counts")
    parser.add_argument("--no-baseline", action="store_true", help="only infraplan")
    args = parser.parse_args()
    with_baseline = not args.no_baseline and BASELINE_PYTHON.exists() and BASELINE_SCRIPT.exists()
    if not args.no_baseline and not with_baseline:
        missing = BASELINE_PYTHON if not BASELINE_PYTHON.exists() else BASELINE_SCRIPT
        print(f"baseline skipped: {missing} is absent (./dev bench-setup creates .bench-baseline)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="infraplan-bench-") as tmp:
        work = Path(tmp)
        sizes = []
        for label in args.sizes.split(","):
            if label == "example":
                sizes.append(Size("example", EXAMPLE_TENANTS, EXAMPLE))
            else:
                n = int(label)
                sizes.append(Size(f"{n} tenants", n, write_plan(n, work / f"plan-{n}")))
        for s in sizes:
            for i in range(args.runs):
                s.infraplan.append(infraplan_run(s, work, i))
                if with_baseline:
                    s.baseline.append(baseline_run(work, i))
                print(f"  {s.label} run {i + 1}: infraplan {s.infraplan[-1].seconds:.2f} s" + (f", baseline {s.baseline[-1].seconds:.2f} s" if with_baseline else ""), file=sys.stderr, flush=True)
    print(f"infraplan synth ({os.cpu_count()} CPUs, {args.runs} runs per size, medians; each plan has 3 environments)")
    print(table(sizes, with_baseline))


if __name__ == "__main__":
    main()
