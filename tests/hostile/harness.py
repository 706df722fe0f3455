"""Runs one hostile case: sets up a scratch plan and a previous output, runs the CLI, and checks
what issue #10 promises (exit code, no traceback or hang, file and line named, output unchanged)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLAN = ROOT / "environments"

TIMEOUT_S = 20  # a hang is a failure, never a stuck suite
MEMORY_LIMIT = 3 << 30  # address space of an isolated run: an alias bomb must not take the machine down
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def infraplan_command() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "infraplan"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "stacks.cli"]


@dataclass
class Ctx:
    """The scratch world of one case. ``mutate`` edits ``plan`` and may change the arguments."""

    root: Path  # parent of plan/ and out/; nothing may appear or vanish here
    plan: Path  # a scratch copy of the example plan
    out: Path  # a previous good synth output of the example
    plan_arg: Path | None = None  # --plan (default: plan)
    out_arg: Path | None = None  # --out (default: out)
    synth_extra: list[str] = field(default_factory=list)  # more synth arguments (--aws-endpoint, --extension, ...)
    argv: list[str] | None = None  # a command other than validate/synth (explain ...)
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the run
    sys_path: list[Path] = field(default_factory=list)  # folders of the user's extension modules
    modules: list[str] = field(default_factory=list)  # modules to forget after an in-process run
    file_size_limit: int | None = None  # RLIMIT_FSIZE of an isolated run (a full disk)
    unreadable: list[Path] = field(default_factory=list)  # chmod 000 after the copy (runs unprivileged)
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def plan_path(self) -> Path:
        return self.plan_arg or self.plan

    @property
    def out_path(self) -> Path:
        return self.out_arg or self.out


Marker = str | int | tuple[str, int] | None


@dataclass(frozen=True)
class Case:
    """One hostile or unusual input and what infraplan promises for it.

    ``expect``: 0 (valid, must stay valid), 2 (refused), or None where the issue lets the fix
    either support or refuse the input (then a refusal must still name the file and line, and
    an acceptance must synthesize). ``where``: alternatives ``(plan-relative file, line)``; at
    least one must be named in stderr as ``file:line`` (line: the first line holding a marker
    text after the mutation, a number, or None for a whole-file problem). ``words``: groups of
    alternatives, one of each group must appear (case-insensitive). ``kind``: "plan" runs
    validate and synth and requires them to agree; "synth" is an output or argument problem
    only synth sees; "argv" runs ``ctx.argv``."""

    id: str
    mutate: Callable[[Ctx], None]
    expect: int | None
    where: tuple[tuple[str, Marker], ...] = ()
    field: str | None = None
    words: tuple[tuple[str, ...], ...] = ()
    absent: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # more plan files that must be named (both sides of a conflict)
    kind: str = "plan"
    isolate: bool = False  # subprocess with timeout and memory limit (hang- or memory-prone)
    unprivileged: bool = False  # run without root's power to read anything (tests may run as root)
    envs: tuple[str, ...] = ("dev",)  # synth --env of a run that may succeed (a refusal runs the full plan)
    check: Callable[[Ctx], None] | None = None  # more checks after a successful synth
    user_traceback: str | None = None  # an extension's own traceback may be shown: its file name

    def __str__(self) -> str:  # pytest ids
        return self.id


@dataclass
class Run:
    argv: list[str]
    code: int | None
    out: str
    err: str
    escaped: str | None = None  # the traceback of an exception that escaped main()
    timed_out: bool = False

    def describe(self) -> str:
        head = f"$ infraplan {' '.join(self.argv)}\n-> exit {self.code}"
        if self.timed_out:
            head += f" (killed after {TIMEOUT_S} s: it hung)"
        text = f"{head}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"
        if self.escaped:
            text += f"\n--- exception escaped main()\n{self.escaped[-3000:]}"
        return text


# --- tree digests -------------------------------------------------------------------------


def tree_state(root: Path) -> dict[str, tuple]:
    """Every entry below ``root`` (and root itself): type, mode, and content hash or link target."""
    state: dict[str, tuple] = {}
    if not os.path.lexists(root):
        return state

    def entry(path: Path) -> tuple:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return ("link", os.readlink(path))
        if stat.S_ISREG(st.st_mode):
            return ("file", stat.S_IMODE(st.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
        if stat.S_ISDIR(st.st_mode):
            return ("dir", stat.S_IMODE(st.st_mode))
        return ("other", stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))

    state["."] = entry(root)
    if os.path.isdir(root) and not os.path.islink(root):
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for name in sorted(dirnames + filenames):
                path = Path(dirpath) / name
                state[str(path.relative_to(root))] = entry(path)
    return state


def diff_states(before: dict[str, tuple], after: dict[str, tuple]) -> str:
    gone = sorted(set(before) - set(after))
    new = sorted(set(after) - set(before))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    parts = []
    for label, items in (("removed", gone), ("added", new), ("changed", changed)):
        if items:
            parts.append(f"{label} {len(items)}: {', '.join(items[:8])}{' …' if len(items) > 8 else ''}")
    return "; ".join(parts) or "no difference"


def listing(root: Path) -> list[str]:
    return sorted(os.listdir(root))


# --- running the CLI -------------------------------------------------------------------------


def run_in_process(argv: list[str], capfd, ctx: Ctx) -> Run:
    """``stacks.cli.main`` in this process: any exception escaping it is a traceback for the user."""
    from stacks.cli import main

    capfd.readouterr()
    saved_path = list(sys.path)
    saved_env = dict(os.environ)
    sys.path[:0] = [str(p) for p in ctx.sys_path]
    os.environ.update(ctx.env)
    code: int | None
    escaped = None
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # noqa: BLE001 - whatever escapes is what the user would see as a traceback
        code, escaped = None, traceback.format_exc()
    finally:
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_env)
        for module in ctx.modules:
            sys.modules.pop(module, None)
    captured = capfd.readouterr()
    return Run(argv, code, captured.out, captured.err, escaped)


def _drop_file_permission_override() -> None:
    """In the child, as root: drop the capabilities that let root read and search any file,
    so that mode 000 means unreadable (the uid stays 0, so the interpreter under /root still runs)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_isolated(argv: list[str], ctx: Ctx, unprivileged: bool) -> Run:
    """The console script in a subprocess: own session, memory limit, timeout, killed with its children."""
    env = dict(os.environ)
    env.update(ctx.env)
    if ctx.sys_path:
        env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in ctx.sys_path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    drop = unprivileged and os.geteuid() == 0
    fsize = ctx.file_size_limit

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if drop:
            _drop_file_permission_override()
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead of killing
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    proc = subprocess.Popen(
        [*infraplan_command(), *argv],
        cwd=ctx.root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=limits,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
        return Run(argv, proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return Run(argv, None, out, err, timed_out=True)


# --- setting a case up -----------------------------------------------------------------------


def prepare(case: Case, base: Path, reference_out: Path) -> Ctx:
    """Copy the example plan and the previous output into ``base`` and apply the case's mutation."""
    base.mkdir(parents=True, exist_ok=True)
    plan, out = base / "plan", base / "out"
    shutil.copytree(EXAMPLE_PLAN, plan)
    # Hard links: fast, and synth never writes into an existing output in place (it builds a
    # staging tree and swaps it in); the module checks at the end that the reference is intact.
    shutil.copytree(reference_out, out, symlinks=True, copy_function=os.link)
    ctx = Ctx(root=base, plan=plan, out=out)
    case.mutate(ctx)
    for path in ctx.unreadable:
        os.chmod(path, 0o000)
    return ctx


def restore_permissions(ctx: Ctx) -> None:
    for path in ctx.unreadable:
        if os.path.lexists(path):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


def line_of(ctx: Ctx, rel: str, marker: Marker) -> int | None:
    """The line a case expects: a number, or the line holding a marker text (``(text, n)``: its n-th)."""
    if marker is None or isinstance(marker, int):
        return marker
    text, nth = marker if isinstance(marker, tuple) else (marker, 1)
    lines = (ctx.plan_path / rel).read_text(encoding="utf-8", errors="replace").splitlines()
    found = [number for number, line in enumerate(lines, start=1) if text in line]
    if len(found) < nth:
        raise AssertionError(f"case bug: marker {text!r} is not {nth} times in {rel}")
    return found[nth - 1]


def names_file(err: str, rel: str, line: int | None) -> bool:
    pattern = "/" + re.escape(rel) + (rf":{line}(?!\d)" if line is not None else r"(?![\w.-])")
    return re.search(pattern, err) is not None


# --- what every run promises ---------------------------------------------------------------


LIBRARY_FRAMES = ("constructs_lib/", "stacks/synth.py", "stacks/cli.py", "stacks/terraform_app.py", "site-packages/", "jsii")


def assert_no_traceback(run: Run, case: Case) -> None:
    assert not run.timed_out, f"[{case.id}] hung\n{run.describe()}"
    assert run.escaped is None, f"[{case.id}] an exception escaped main(): a traceback for the user\n{run.describe()}"
    text = run.out + run.err
    if case.user_traceback and "Traceback" in text:
        assert case.user_traceback in text, f"[{case.id}] a traceback that is not the extension's\n{run.describe()}"
        leaked = [frame for frame in LIBRARY_FRAMES if frame in text]
        assert not leaked, f"[{case.id}] the extension's traceback shows infraplan's own frames ({leaked})\n{run.describe()}"
    else:
        assert "Traceback" not in text, f"[{case.id}] traceback in the output\n{run.describe()}"
    assert run.code in (0, 2), f"[{case.id}] exit {run.code}, expected 0 or 2\n{run.describe()}"


def assert_refusal_explained(run: Run, case: Case, ctx: Ctx) -> None:
    err = run.err
    if case.where:
        wanted = [(rel, line_of(ctx, rel, marker)) for rel, marker in case.where]
        assert any(names_file(err, rel, line) for rel, line in wanted), (
            f"[{case.id}] stderr does not name {' or '.join(f'{r}:{l}' if l else r for r, l in wanted)}\n{run.describe()}"
        )
    if case.field:
        assert f" {case.field}:" in err, f"[{case.id}] stderr does not name the field {case.field}\n{run.describe()}"
    for rel in case.also:
        assert names_file(err, rel, None), f"[{case.id}] stderr does not also name {rel}\n{run.describe()}"
    lowered = err.lower()
    for group in case.words:
        assert any(w.lower() in lowered for w in group), f"[{case.id}] stderr says none of {group}\n{run.describe()}"
    for word in case.absent:
        assert word.lower() not in lowered, f"[{case.id}] stderr says {word!r}, which misleads here\n{run.describe()}"


def terraform_files(out: Path) -> Iterator[Path]:
    yield from sorted((out / "terraform").rglob("*.tf.json"))


def json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from json_strings(v)


def terraform_literal(text: str) -> str | None:
    """What Terraform makes of a JSON string: its literal value, or None if it holds a live
    ``${…}`` interpolation or ``%{…}`` directive (``$${`` and ``%%{`` are escapes)."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i + 1 : i + 3])
            i += 3
        elif text.startswith(("${", "%{"), i):
            return None
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def assert_terraform_literal(out: Path, payload: str, mark: str, required: bool) -> None:
    """Every Terraform string that holds the plan's payload holds it as a literal."""
    hits = []
    for path in terraform_files(out):
        for s in json_strings(json.loads(path.read_text())):
            if mark in s:
                hits.append((path.relative_to(out), s))
    for path, s in hits:
        literal = terraform_literal(s)
        assert literal is not None, f"{path}: the plan's string reaches Terraform as a live template: {s!r}"
    if required:
        assert hits, f"the plan's string ({payload!r}) is missing from every Terraform stack"
        assert any(payload in (terraform_literal(s) or "") for _, s in hits), f"no Terraform string reads back as {payload!r}: {[s for _, s in hits][:5]}"
