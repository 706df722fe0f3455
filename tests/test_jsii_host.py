"""jsii's kernel runs in the one Node process jsii starts (constructs_lib/terraform/jsii_host.js, #16).

The host against a stand-in kernel (a script speaking on fd 3 as jsii's lib/program.js does):
what hosted code prints reaches stderr framed as jsii's relay frames it and never the protocol,
hosted code reads no request, exit codes, EAGAIN without spinning. Then through jsii's Python
side in a fresh interpreter: the runtime is one process running the host, a cdktf warning and a
JavaScript error come through, and a user's JSII_RUNTIME wins.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import jsii
import pytest

from conftest import ROOT
from constructs_lib.terraform import jsii_host

NODE = shutil.which("node")
slow = pytest.mark.slow

# Speaks the protocol as lib/program.js does (fd 3, fs.readSync / fs.writeSync), and prints
# through every way hosted JavaScript has of reaching stdout and stderr.
STAND_IN_KERNEL = r"""
const fs = require('fs');
const path = require('path');
function readLine() {
  let line = '';
  const buf = Buffer.alloc(1);
  while (fs.readSync(3, buf, 0, 1, null) === 1 && buf[0] !== 10) line += buf.toString();
  return line;
}
function reply(obj) { fs.writeSync(3, JSON.stringify(obj) + '\n'); }
reply({ hello: 'stand-in@1' });
const request = JSON.parse(readLine());
console.log('log %d', 1);
console.error('error line');
console.warn('warn line');
process.stdout.write('raw stdout\n');
process.stderr.write(Buffer.from('raw stderr\n'));
fs.writeSync(1, 'fd1 sync\n');
fs.writeSync(2, Buffer.from('xxfd2 sync\nyy'), 2, 9);
const stolen = fs.readSync(0, Buffer.alloc(64), 0, 64, null);
const worker = fs.existsSync(path.join(__dirname, 'runtime-index-worker.js'));
reply({ ok: { echo: request, stolen, worker } });
fs.write(1, 'fd1 async\n', () => {
  const exit = JSON.parse(readLine());
  if (request.boom) throw new Error('kaboom from the kernel');
  process.exit(exit.exit);
});
"""

EXPECTED_CONSOLE = [
    ("stdout", "log 1\n"),
    ("stderr", "error line\n"),
    ("stderr", "warn line\n"),
    ("stdout", "raw stdout\n"),
    ("stderr", "raw stderr\n"),
    ("stdout", "fd1 sync\n"),
    ("stderr", "fd2 sync\n"),
    ("stdout", "fd1 async\n"),
]


def host_env(tmp_path: Path) -> dict[str, str]:
    """A folder laid out as jsii's Python package ships its runtime, holding the stand-in kernel;
    the host's temporary folder goes under tmp_path/tmp."""
    embedded = tmp_path / "embedded"
    embedded.mkdir()
    (embedded / "lib__program.js").write_text(STAND_IN_KERNEL)
    (embedded / "lib__runtime-index-worker.js").write_text("// started by the kernel from beside itself\n")
    (tmp_path / "tmp").mkdir()
    return dict(os.environ, INFRAPLAN_JSII_EMBEDDED=str(embedded), TMPDIR=str(tmp_path / "tmp"))


def run_host(tmp_path: Path, requests: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([NODE, str(jsii_host.HOST)], input=requests.encode(), capture_output=True, env=host_env(tmp_path), timeout=30)


def console_lines(stderr: bytes) -> list[tuple[str, str]]:
    """Every stderr line is one of the relay's JSON frames: decoded, in order."""
    frames = [json.loads(line) for line in stderr.decode().splitlines()]
    return [(tag, base64.b64decode(data).decode()) for frame in frames for tag, data in frame.items()]


needs_node = pytest.mark.skipif(NODE is None, reason="needs node")


@slow
@needs_node
def test_hosted_output_reaches_stderr_framed_and_the_protocol_stays_clean(tmp_path: Path) -> None:
    proc = run_host(tmp_path, '{"api":"stats"}\n{"exit":3}\n')
    assert [json.loads(line) for line in proc.stdout.decode().splitlines()] == [
        {"hello": "stand-in@1"},
        # hosted code read no request (end of file, as under the relay); the worker lies beside the program
        {"ok": {"echo": {"api": "stats"}, "stolen": 0, "worker": True}},
    ]
    assert console_lines(proc.stderr) == EXPECTED_CONSOLE
    assert proc.returncode == 3  # the kernel's exit code is the process's
    assert list((tmp_path / "tmp").iterdir()) == []  # the kernel's folder is gone


@slow
@needs_node
def test_an_uncaught_error_is_framed_on_stderr_and_exits_1(tmp_path: Path) -> None:
    proc = run_host(tmp_path, '{"boom":true}\n{"exit":0}\n')
    assert proc.returncode == 1
    printed = "".join(text for tag, text in console_lines(proc.stderr) if tag == "stderr")
    assert "Error: kaboom from the kernel" in printed
    assert all(json.loads(line) for line in proc.stdout.decode().splitlines())  # only protocol lines
    assert list((tmp_path / "tmp").iterdir()) == []


@slow
@needs_node
def test_a_signal_ends_the_host_at_once_by_that_signal(tmp_path: Path) -> None:
    """Even while the kernel blocks reading the next request (no listener waits for the event loop)."""
    proc = subprocess.Popen([NODE, str(jsii_host.HOST)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=host_env(tmp_path))
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline()) == {"hello": "stand-in@1"}  # now waiting for a request
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == -signal.SIGTERM


@slow
@needs_node
def test_a_non_blocking_empty_stdin_is_waited_for_without_spinning(tmp_path: Path) -> None:
    """EAGAIN on the request pipe: jsii's SyncStdio would fail; the host sleeps until data comes."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)  # the flag lives on the pipe, so the host's fd 0 is non-blocking too
    before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def later() -> None:
        time.sleep(1.0)
        os.write(write_end, b'{"api":"stats"}\n{"exit":0}\n')
        os.close(write_end)

    threading.Thread(target=later).start()
    proc = subprocess.run([NODE, str(jsii_host.HOST)], stdin=read_end, capture_output=True, env=host_env(tmp_path), timeout=30)
    os.close(read_end)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.decode().splitlines()[1])["ok"]["echo"] == {"api": "stats"}
    assert after.ru_utime - before.ru_utime < 0.6  # Node's start alone; a busy loop would burn the whole second


@slow
@needs_node
def test_the_host_runs_the_kernel_python_expects() -> None:
    """The handshake names the runtime version the installed jsii package asserts: the host runs
    the kernel that package ships (npm has no @jsii/runtime at its version)."""
    env: dict[str, str] = {}
    jsii_host.use_host(env)
    proc = subprocess.run([NODE, env["JSII_RUNTIME"]], input=b"", capture_output=True, env=dict(os.environ, **env), timeout=60)
    assert json.loads(proc.stdout.decode().splitlines()[0]) == {"hello": f"@jsii/runtime@{jsii.__jsii_runtime_version__}"}
    assert proc.returncode == 0


def test_use_host_names_the_host_and_jsiis_own_runtime_files() -> None:
    environ: dict[str, str] = {}
    jsii_host.use_host(environ)
    assert environ == {
        "JSII_RUNTIME": str(jsii_host.HOST),
        "INFRAPLAN_JSII_EMBEDDED": str(Path(jsii.__file__).parent / "_embedded" / "jsii"),
        "JSII_NODE": str(jsii_host.NODE),  # Node.js with --preserve-symlinks
    }
    jsii_host.use_host(environ)  # a child process inheriting them
    assert environ["JSII_RUNTIME"] == str(jsii_host.HOST) and environ["JSII_NODE"] == str(jsii_host.NODE)
    theirs = {"JSII_NODE": "/opt/node22/bin/node"}
    jsii_host.use_host(theirs)  # a user's Node.js wins
    assert theirs["JSII_NODE"] == "/opt/node22/bin/node" and theirs["JSII_RUNTIME"] == str(jsii_host.HOST)
    no_node = {"PATH": "/nonexistent"}
    jsii_host.use_host(no_node)  # jsii's own "node" then fails to start, and the message names JSII_NODE
    assert "JSII_NODE" not in no_node


def test_no_shell_wrapper_where_there_is_no_posix_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsii_host, "POSIX", False)  # Windows: jsii_node.sh is a sh script
    environ: dict[str, str] = {}
    jsii_host.use_host(environ)
    assert "JSII_NODE" not in environ and environ["JSII_RUNTIME"] == str(jsii_host.HOST)


def test_a_users_runtime_or_a_missing_host_leaves_jsii_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    users = {"JSII_RUNTIME": "/opt/my-runtime.js"}
    jsii_host.use_host(users)
    assert users == {"JSII_RUNTIME": "/opt/my-runtime.js"}
    monkeypatch.setattr(jsii_host, "HOST", tmp_path / "absent.js")
    nothing: dict[str, str] = {}
    jsii_host.use_host(nothing)
    assert nothing == {}
    monkeypatch.setattr(jsii_host, "HOST", Path(jsii_host.__file__).with_name("jsii_host.js"))
    monkeypatch.setattr(jsii_host, "jsii_embedded", lambda: None)
    inherited = {"JSII_RUNTIME": str(jsii_host.HOST), "INFRAPLAN_JSII_EMBEDDED": "/elsewhere", "JSII_NODE": str(jsii_host.NODE), "OTHER": "1"}
    jsii_host.use_host(inherited)  # this process cannot host: jsii's own runtime, not a broken host
    assert inherited == {"OTHER": "1"}


# Runs in a fresh interpreter: jsii starts its runtime once per process, when a jsii module is first imported.
PROBE = textwrap.dedent(
    r"""
    import json, os, sys
    import constructs_lib.terraform.stacks  # imports constructs (starting jsii) before the engine, as `infraplan explain` does
    from constructs_lib.terraform.engine import cdktf
    import jsii
    from jsii.errors import JavaScriptError
    pid = jsii._runtime.kernel.provider._process._process.pid

    def tree(p):
        yield p
        for task in os.listdir(f"/proc/{p}/task"):
            for child in open(f"/proc/{p}/task/{task}/children").read().split():
                yield from tree(int(child))

    runtime = [open(f"/proc/{p}/cmdline").read().split("\0")[:-1] for p in tree(pid)]
    app = cdktf.App(outdir=sys.argv[1])
    stack = cdktf.TerraformStack(app, "s")
    name = cdktf.TerraformVariable(stack, "name", type="string")
    cdktf.TerraformOutput(stack, "out", value=cdktf.Fn.lower("${kept}-" + name.string_value))  # cdktf console.warns
    app.synth()
    try:
        cdktf.TerraformStack(app, "s")
        error = None
    except RuntimeError as exc:
        error = {"message": str(exc), "cause": type(exc.__cause__).__name__}
    print(json.dumps({"runtime": runtime, "env": os.environ.get("JSII_RUNTIME"), "error": error}))
    """
)


def probe(tmp_path: Path, **env: str) -> tuple[dict, str, Path]:
    out = tmp_path / "out"
    full_env = {k: v for k, v in os.environ.items() if k not in ("JSII_RUNTIME", "INFRAPLAN_JSII_EMBEDDED")} | env
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out)], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr, out


@slow
def test_cdktf_runs_on_the_host_in_one_process(tmp_path: Path) -> None:
    facts, stderr, out = probe(tmp_path)
    assert len(facts["runtime"]) == 1, facts["runtime"]  # jsii's own runtime is a relay and its kernel child
    assert facts["runtime"][0][-1] == str(jsii_host.HOST)
    assert "--preserve-symlinks" in facts["runtime"][0], facts["runtime"]  # as jsii's relay starts its kernel
    assert "--max-semi-space-size=4" in facts["runtime"][0], facts["runtime"]  # V8's young generation bounded (memory)
    assert facts["env"] == str(jsii_host.HOST)  # kept for child processes, like JSII_SILENCE_*
    # cdktf's console.warn reached Python's stderr decoded, the synth after it is whole
    assert "You're using escape sequences (${...}) with CDKTF Built-in functions" in stderr
    assert "${kept}-${TfToken[TOKEN." in stderr
    output = json.loads((out / "stacks" / "s" / "cdk.tf.json").read_text())["output"]["out"]["value"]
    assert output == '${lower("$${kept}-${var.name}")}'
    # a JavaScript error surfaces as jsii's JavaScriptError, with its message
    assert facts["error"]["cause"] == "JavaScriptError"
    assert "There is already a Construct with name 's'" in facts["error"]["message"]


@slow
def test_a_users_jsii_runtime_wins(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from jsii_calls import jsii_default_runtime
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    (tmp_path / "runtime").mkdir()
    theirs = jsii_default_runtime(tmp_path / "runtime")
    facts, _, _ = probe(tmp_path, JSII_RUNTIME=str(theirs))
    assert [cmd[-1] for cmd in facts["runtime"]][0] == str(theirs)
    assert len(facts["runtime"]) == 2  # jsii's relay and the kernel it starts
    assert facts["env"] == str(theirs)



@needs_node
def test_the_kernel_links_each_package_as_one_symbolic_link(tmp_path: Path) -> None:
    """With --preserve-symlinks (jsii_node.sh) the kernel links a cached package into its work folder
    as one symbolic link; without it, it hard-links every file (cdktf: about 1,200) at each start and
    removes them at exit."""
    (tmp_path / "tmp").mkdir()
    code = (
        "import glob, json, os\n"
        "import constructs_lib.terraform.attribute_handover\n"
        "found = glob.glob(os.path.join(os.environ['TMPDIR'], 'jsii-kernel-*', 'node_modules', '*'))\n"
        "print(json.dumps({os.path.basename(p): os.path.islink(p) for p in found}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("JSII_RUNTIME", "INFRAPLAN_JSII_EMBEDDED", "JSII_NODE")} | {"TMPDIR": str(tmp_path / "tmp")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    linked = json.loads(proc.stdout.splitlines()[-1])
    assert {"constructs", "cdktf", "infraplan-cdktf-handover"} <= set(linked) and all(linked.values()), linked
