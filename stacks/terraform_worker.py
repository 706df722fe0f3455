"""Terraform synthesis in worker processes, beside the Kubernetes rendering.

``infraplan synth`` renders the Terraform stacks through cdktf, whose runtime is a Node.js process
driven over jsii, in child Python processes (running :func:`main`, see ``_BOOT``), for three reasons:

- **Overlap.** The worker is started first, so starting Node.js and loading cdktf (about 0.4 s)
  happens while the parent reads and resolves the plan; then the parent renders the GitOps trees
  while the worker builds the stacks: two cores, two jobs.
- **Bounded memory.** The jsii runtime keeps every object the app created until its process ends,
  so one app holding every stack of a large plan grows with it. The stacks are handed out in
  batches of equal size, at most :data:`STACKS_PER_WORKER` each, one worker at a time, each a fresh process.
  A batch may hold part of an environment: a stack it needs from another batch is an empty
  stand-in there, so that cdktf records the dependency in the batch's manifest.
- **A clean runtime per run.** Every run starts from a fresh cdktf app in a fresh process, whatever
  the calling process did before.

The worker runs the same :func:`stacks.terraform_app.synth_terraform` as ``cdktf synth`` does; the
parent merges the batches' ``manifest.json`` (cdktf writes it with sorted keys, so the merged file is
the one a single app would write). The job (the resolved environments) and the result travel as
pickles over two pipes of their own, never stdout: cdktf, Node.js and extensions may print there.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing this module stays cheap: the CLI starts the first worker before anything else
    from constructs_lib.resolve.model import ResolvedEnvironment
    from constructs_lib.terraform.target import AwsTarget

STACKS_PER_WORKER = 350
"""At most this many stacks in one worker (one jsii runtime): the memory budget of docs/performance.md."""

_HEADER = struct.Struct("!Q")

_BOOT = "import sys; sys.path[:] = {path!r}; from stacks.terraform_worker import main; sys.exit(main(sys.argv))"
"""How a worker starts: with this process's module path, so that it imports what this process would.
Not ``-m``, which puts the current folder first: a ``cdktf.py`` or ``yaml.py`` of the user's folder
would shadow infraplan's own (``infraplan`` itself, a console script, does not look there)."""


class TerraformRuntimeError(RuntimeError):
    """cdktf's runtime (Node.js through jsii, in the worker) could not start, or stopped; the message says which."""


class _RemoteTraceback(Exception):
    """The worker's traceback, chained as the cause of the exception re-raised in the parent."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class TerraformJob:
    """What one worker renders: ``envs`` (``only`` these stacks of them, None: all) into the cdktf app
    folder ``outdir`` (see :func:`stacks.terraform_app.synth_terraform`)."""

    outdir: Path
    envs: tuple[ResolvedEnvironment, ...]
    tenants: frozenset[str] | None
    target: AwsTarget
    extensions: tuple[str, ...]
    state_dir: Path | None
    final_outdir: Path | None
    only: frozenset[str] | None = None
    sys_path: tuple[str, ...] = field(default_factory=lambda: tuple(sys.path))


@dataclass(frozen=True)
class TerraformResult:
    stacks: list[str]  # built, in build order (not the stand-ins)
    extension_files: list[tuple[str, Path]]  # (spec, the file its module was loaded from)


@dataclass(frozen=True)
class Batch:
    """The stacks one worker builds: ``only`` these (None: every stack) of ``envs``."""

    envs: tuple[ResolvedEnvironment, ...]
    only: frozenset[str] | None = None


def batches(envs: Sequence[ResolvedEnvironment], tenants: Iterable[str] | None, limit: int | None = None) -> list[Batch]:
    """The stacks of ``envs`` in build order, cut into as few batches of at most ``limit`` (default
    :data:`STACKS_PER_WORKER`) stacks as they need, of equal sizes (give or take one: no batch
    sets the memory peak alone); one batch (``only`` None) when they all fit."""
    from constructs_lib.terraform.stack_graph import environment_stacks

    limit = STACKS_PER_WORKER if limit is None else limit
    if limit < 1:
        raise ValueError(f"a batch holds at least one stack, not {limit}")
    chosen = None if tenants is None else set(tenants)
    per_env = [(env, [node.name for node in environment_stacks(env, chosen)]) for env in envs]
    total = sum(len(names) for _, names in per_env)
    count = max(1, -(-total // limit))
    sizes = [total // count + (1 if i < total % count else 0) for i in range(count)]  # the first ones one larger
    groups: list[tuple[list[ResolvedEnvironment], list[str]]] = []
    for env, names in per_env:
        while names:
            if not groups or len(groups[-1][1]) >= sizes[len(groups) - 1]:
                groups.append(([], []))
            group_envs, group_names = groups[-1]
            room = sizes[len(groups) - 1] - len(group_names)
            group_names.extend(names[:room])
            names = names[room:]
            if not group_envs or group_envs[-1] is not env:
                group_envs.append(env)
    if len(groups) <= 1:
        return [Batch(tuple(envs))]
    return [Batch(tuple(e), frozenset(n)) for e, n in groups]


# --- the parent's side -----------------------------------------------------------------------------


def _write_message(fd: int, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_message(fd: int) -> object | None:
    """The next message, or None once the other side is gone."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)


def worker_tmpdir() -> Path | None:
    """A temporary folder of the worker's own (jsii unpacks its Node.js code there), beside the other
    runs' folders (see :func:`stacks.output.private_tmpdir`). When that place is unusable, a folder of
    its own in the system's all the same (the worker removes it; a killed run's stays): jsii's
    folders left in the system's by a worker that does not end gracefully (the last one is killed)
    would pile up there run after run. None (the system's) when neither can be made: jsii then says
    what is wrong with that one."""
    from .output import private_tmpdir

    try:
        return private_tmpdir()
    except OSError:
        pass
    try:
        return Path(tempfile.mkdtemp(prefix="infraplan-worker-"))
    except OSError:
        return None


class TerraformWorker:
    """One worker process: started at once (it starts cdktf's runtime), then given one job.

    It runs in a process group of its own, so that stopping it ends its Node.js processes too; it
    ends itself when its parent does (its job pipe closes)."""

    def __init__(self, tmpdir: Path | None = None) -> None:
        self._tmpdir = tmpdir
        self._used = False
        job_r, self._job_w = os.pipe()
        self._result_r, result_w = os.pipe()
        env = dict(os.environ)
        if tmpdir is not None:
            env["TMPDIR"] = str(tmpdir)  # jsii unpacks its Node.js code there
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", _BOOT.format(path=list(sys.path)), str(job_r), str(result_w)],
                pass_fds=(job_r, result_w),
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        except BaseException:
            for fd in (self._job_w, self._result_r):
                os.close(fd)
            raise
        finally:
            os.close(job_r)
            os.close(result_w)

    def run(self, job: TerraformJob) -> TerraformResult:
        """Hand the job over and wait for its result; the worker's exception is re-raised here.
        The pipes are this call's to close (one thread only ever runs a worker)."""
        self._used = True
        try:
            try:
                _write_message(self._job_w, job)
            except BrokenPipeError:
                pass  # it ended before reading: its reply (or its exit) says why
            try:
                reply = _read_message(self._result_r)
            except Exception as exc:  # noqa: BLE001 (a reply that does not unpickle here)
                raise TerraformRuntimeError(f"the Terraform worker's reply could not be read: {exc}") from exc
        finally:
            os.close(self._job_w)  # the worker ends once it has replied and sees this
            os.close(self._result_r)
        if reply is None:
            self.kill()  # died without replying (the OOM killer?): its Node.js may be busy still, writing into the output
            code = self.process.wait()
            raise TerraformRuntimeError(f"the cdktf runtime (Node.js, through jsii) stopped: its worker process exited with {_exit_status(code)}; --out was left as it was")
        kind, payload, remote = reply  # type: ignore[misc]
        if kind == "ok":
            return payload
        if kind == "runtime":
            raise TerraformRuntimeError(payload)
        exc = payload if isinstance(payload, BaseException) else RuntimeError(str(payload))
        raise exc from _RemoteTraceback(f"\n\nin the Terraform worker process:\n{remote}")

    def kill(self) -> None:
        """End the worker and its Node.js processes at once (nothing of theirs is needed any more);
        those too when the worker itself has died already, for as long as it is not reaped (its pid,
        the group's id, is not reused until then): not ``poll()``, which reaps."""
        if self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()

    def end(self) -> None:
        """Once no thread runs it (after its reply, or :meth:`kill`): reap it, close what :meth:`run`
        did not, remove its temporary folder. Called once."""
        try:
            self.process.wait(timeout=30)  # after its reply it only stops Node.js and exits
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
        if not self._used:
            os.close(self._job_w)
            os.close(self._result_r)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def _exit_status(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


class TerraformWorkers:
    """The batches of one synth, rendered one after another by fresh workers, driven from a thread of
    the parent (whose main thread renders the Kubernetes trees meanwhile). Two workers at once were
    slower on two cores than one: each jsii round trip needs its Python and its Node.js process
    scheduled, and the parent renders at the same time.

    Use it as a context manager: the first worker starts on entry; :meth:`stop` (or leaving) ends them all."""

    def __init__(self, make_tmpdir: Callable[[], Path | None] = lambda: None) -> None:
        self._make_tmpdir = make_tmpdir
        self._workers: list[TerraformWorker] = []
        self._lock = threading.Lock()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._results: list[TerraformResult] = []
        self._error: BaseException | None = None
        self._spare: TerraformWorker | None = None
        self._done = threading.Event()  # the driving thread is done with its workers (see _wait_for_thread)

    def __enter__(self) -> "TerraformWorkers":
        try:
            self._spare = self._start()
        except TerraformRuntimeError:
            pass  # the first job starts one again, and wait() says why it cannot
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start(self) -> TerraformWorker:
        with self._lock:
            if self._stopped:
                raise TerraformRuntimeError("synth was stopped")
            if self._spare is not None:
                worker, self._spare = self._spare, None
                return worker
            tmpdir = self._make_tmpdir()
            try:
                worker = TerraformWorker(tmpdir)
            except OSError as exc:  # no process to be had: fork's EAGAIN (a CI container's pids limit), ENOMEM
                if tmpdir is not None:
                    shutil.rmtree(tmpdir, ignore_errors=True)
                raise TerraformRuntimeError(f"the Terraform worker process could not start: {exc.strerror or exc}; --out was left as it was") from exc
            self._workers.append(worker)
            return worker

    def _finish(self, worker: TerraformWorker) -> None:
        with self._lock:
            if worker not in self._workers:
                return  # stop() ends it
            self._workers.remove(worker)
        worker.end()

    def start(self, jobs: list[TerraformJob]) -> None:
        """Render ``jobs`` in the background, a fresh worker each, in order; :meth:`wait` returns their results."""

        def drive() -> None:
            previous: TerraformWorker | None = None
            try:
                for job in jobs:
                    if previous is not None:  # its reply is in and nothing of it is needed any more: it and
                        previous.kill()  # its Node.js go, and their memory with them, before the next one
                        self._finish(previous)  # starts (one at a time: the memory bound); reaped, folder removed
                    worker = self._start()
                    previous = None
                    self._results.append(worker.run(job))
                    previous = worker
            except BaseException as exc:  # noqa: BLE001 (re-raised by wait, in the main thread)
                self._error = exc
            finally:
                self._done.set()
            # the last one is left to stop(): its exit is not waited for before the parent goes on

        self._thread = threading.Thread(target=drive, name="terraform-workers", daemon=True)
        self._thread.start()

    def _wait_for_thread(self) -> None:
        """Until the driving thread is done. Not ``Thread.join()`` alone: on Python 3.11, a join that
        Ctrl-C or SIGTERM interrupts marks the still running thread as ended, so a later join (in
        stop()) would return at once while the thread still uses its worker's pipes (their fds closed
        twice, another file's fd closed). An interrupted ``Event.wait()`` leaves nothing behind."""
        assert self._thread is not None
        self._done.wait()
        self._thread.join()  # it only returns now

    def wait(self) -> list[TerraformResult]:
        assert self._thread is not None, "start() first"
        self._wait_for_thread()
        if self._error is not None:
            raise self._error
        return self._results

    def stop(self) -> None:
        """End every worker (a working one at once, which ends the thread driving it); idempotent."""
        with self._lock:
            self._stopped = True
            workers, self._workers = list(self._workers), []
            self._spare = None
        for worker in workers:
            worker.kill()
        if self._thread is not None:
            self._wait_for_thread()
        for worker in workers:
            worker.end()


# --- the worker's side -----------------------------------------------------------------------------


def jsii_environment() -> None:
    """cdktf runs on Node.js through jsii: keep it quiet and offline (set before any worker starts,
    which inherits them)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")


def early_terraform_workers(argv: Sequence[str]) -> TerraformWorkers | None:
    """For ``infraplan synth`` (``argv`` without the program), the workers with the first one
    started, before the command line is parsed and the plan model loads (about 0.2 s of imports),
    so that Node.js and cdktf load beside all of it; None for any other command. The caller ends
    them (``stop()``); a worker that cannot start is reported by ``wait()``, as any."""
    if list(argv[:1]) != ["synth"] or any(a in ("-h", "--help") for a in argv):
        return None
    jsii_environment()
    return TerraformWorkers(worker_tmpdir).__enter__()


def _runtime_start_failure(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"the cdktf runtime (Node.js, through jsii) could not start: {exc.strerror or exc}{where}; is the disk or the temp folder full?"
    return f"the cdktf runtime (Node.js, through jsii) could not start: {exc}; infraplan needs Node.js >= 20 on PATH (or JSII_NODE naming it)"


def _runtime_failure(exc: BaseException) -> str | None:
    """The message for a failure of cdktf's runtime itself (not of infraplan's or an extension's code)."""
    if isinstance(exc, (BrokenPipeError, EOFError)):
        return f"the cdktf runtime (Node.js, through jsii) stopped: {exc}; --out was left as it was"
    if any(type(e).__module__.split(".")[0] == "jsii" for e in (exc, exc.__cause__) if e is not None):  # jsii raises RuntimeError from JavaScriptError
        return f"the cdktf runtime (Node.js, through jsii) failed: {exc}; --out was left as it was"
    return None


def _quiet_jsii_teardown() -> None:
    """Once Node.js has failed, jsii's own clean-up at exit fails too: end without its traceback."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


_replied = threading.Event()


def _watch_parent(job_fd: int) -> None:
    """The parent closes the job pipe when it is done or stopped (or dies): end this worker then.
    Before the reply, Node.js may be busy and not see its pipes close for a while: end its whole
    process group (this worker leads it) at once."""
    while True:
        try:
            if not os.read(job_fd, 1):
                break
        except OSError:
            break
    if not _replied.is_set() and os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os._exit(1)


def _reply(result_fd: int, kind: str, payload: object, remote: str = "") -> None:
    try:
        pickle.loads(pickle.dumps(payload))
    except Exception:  # noqa: BLE001 (an exception that does not travel as a pickle: its text still does)
        payload = RuntimeError(f"{type(payload).__name__}: {payload}")
    # What extensions (and cdktf) printed goes out first: once replied, this process may end at once
    # (os._exit in _watch_parent, which flushes nothing; stdout is block-buffered in a pipe, as in CI),
    # and the parent's own report follows what the stacks printed, as when synth ran them itself.
    sys.stdout.flush()
    sys.stderr.flush()
    _replied.set()  # Node.js has no request in flight now
    _write_message(result_fd, (kind, payload, remote))


_BINDINGS = ("cdktf", "cdktn", "constructs")


def cache_binding_type_hints() -> None:
    """Compute the type hints of jsii's generated argument checks once per function.

    The Python bindings of cdktf and constructs check every call's arguments (``if __debug__:``)
    against ``typing.get_type_hints`` of a stub function, computed anew on each call: a fifth of
    building the stacks (100 tenants: 2.55 -> 2.02 s). A stub's hints never change, so this worker
    caches them; every check still runs, and any other function's hints are computed as before."""
    if getattr(typing.get_type_hints, "_infraplan_cached", False):
        return
    compute = typing.get_type_hints
    cache: dict[object, dict] = {}

    def get_type_hints(obj, globalns=None, localns=None, include_extras=False):  # noqa: ANN001, ANN202 (typing's signature)
        name, module = getattr(obj, "__name__", ""), getattr(obj, "__module__", None) or ""
        if globalns is None and localns is None and not include_extras and name.startswith("_typecheckingstub__") and module.split(".")[0] in _BINDINGS:
            hints = cache.get(obj)
            if hints is None:
                hints = cache[obj] = compute(obj)
            return hints
        return compute(obj, globalns, localns, include_extras)

    get_type_hints._infraplan_cached = True  # type: ignore[attr-defined]
    typing.get_type_hints = get_type_hints


def cache_jsii_overrides() -> None:
    """Compute once per Python class which of its methods and properties override cdktf's.

    Each object created through jsii tells Node.js which jsii members its Python class overrides
    (the callbacks cdktf makes into Python): jsii's ``_get_overides(klass, obj)`` finds them anew on
    every create by walking ``type(obj)``'s MRO and comparing each class's members with the jsii
    class and its interfaces, a few percent of building the stacks (about 6,000 creates at 100
    tenants). What it finds depends on ``klass`` and ``type(obj)`` only, whose members do not change
    once defined, so this worker keeps it per pair; each create still gets its own list. Importing
    jsii starts no Node.js (the runtime starts on the first request)."""
    from jsii import _kernel

    if getattr(_kernel._get_overides, "_infraplan_cached", False):
        return
    compute = _kernel._get_overides
    cache: dict[tuple[type, type], tuple] = {}

    def _get_overides(klass, obj):  # noqa: ANN001, ANN202 (jsii's signature)
        key = (klass, type(obj))
        found = cache.get(key)
        if found is None:
            found = cache[key] = tuple(compute(klass, obj))
        return list(found)

    _get_overides._infraplan_cached = True  # type: ignore[attr-defined]
    _get_overides._infraplan_computed = cache  # type: ignore[attr-defined]  (what the test compares)
    _kernel._get_overides = _get_overides


def main(argv: list[str]) -> int:
    job_fd, result_fd = int(argv[1]), int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the parent too; it reports it
    cache_binding_type_hints()
    cache_jsii_overrides()
    started: BaseException | None = None
    try:
        from .terraform_app import synth_terraform  # starts cdktf's runtime now, while the parent reads the plan
    except Exception as exc:  # noqa: BLE001 (reported to the parent with the job's reply)
        started = exc
    job = _read_message(job_fd)
    if not isinstance(job, TerraformJob):
        return 1  # the parent stopped before handing over a job
    threading.Thread(target=_watch_parent, args=(job_fd,), daemon=True).start()
    if started is not None:
        _reply(result_fd, "runtime", _runtime_start_failure(started))
        _quiet_jsii_teardown()
    try:
        sys.path[:] = list(job.sys_path)
        from constructs_lib.terraform.extensions import load_extension

        hooks = [load_extension(spec) for spec in job.extensions]
        only = set(job.only) if job.only is not None else None
        stacks = synth_terraform(job.outdir, job.envs, set(job.tenants) if job.tenants is not None else None, job.target, hooks, job.state_dir, job.final_outdir, only)
    except Exception as exc:  # noqa: BLE001 (re-raised in the parent)
        message = _runtime_failure(exc)
        if message is not None:
            _reply(result_fd, "runtime", message)
            _quiet_jsii_teardown()
        _reply(result_fd, "error", exc, traceback.format_exc())
        return 1
    except SystemExit as exc:  # not the runtime's doing: an extension that ends synth (a policy check calling sys.exit)
        _reply(result_fd, "runtime", f"the stacks' code ended synth's Terraform worker with sys.exit({exc.code!r}) (an extension?); --out was left as it was")
        return 1
    _reply(result_fd, "ok", TerraformResult(stacks, [(h.spec, h.file) for h in hooks if h.file is not None]))
    return 0


if __name__ == "__main__":
    from stacks.terraform_worker import main as _main  # the module by its name, as the pickles name its classes

    sys.exit(_main(sys.argv))
