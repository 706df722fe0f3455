"""Start jsii's Node runtime as one process, through ``jsii_host.js`` beside this file (#16).

jsii's own entry point is a relay: it starts a second Node process for the kernel and copies
every request, response and printed byte between the two (four pipes per round trip, ~51 MiB).
``jsii_host.js`` runs the kernel in the process jsii starts. jsii's Python side runs whatever
``JSII_RUNTIME`` names; :func:`host_runtime` sets it, and ``INFRAPLAN_JSII_KERNEL`` to the kernel
program the installed jsii package ships (written out here under the names it loads its worker
by), only while the runtime starts, and only when the user set no ``JSII_RUNTIME`` and the host
and jsii's kernel files are there: otherwise jsii starts its default runtime, silently.
docs/performance.md has the figures.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

HOST = Path(__file__).with_name("jsii_host.js")
RUNTIME_ENV = "JSII_RUNTIME"  # read by jsii/_kernel/providers/process.py when it starts Node
KERNEL_ENV = "INFRAPLAN_JSII_KERNEL"  # read by jsii_host.js
KERNEL = "lib/program.js"  # the kernel program in jsii's layout; it starts lib/runtime-index-worker.js beside it


def write_kernel(dest: Path) -> Path | None:
    """jsii's kernel files (``lib/*.js`` of its embedded runtime) written under ``dest``, as jsii's
    own start writes them; the program's path, or None when this jsii ships no such files."""
    try:
        import jsii._embedded.jsii as embedded
        from importlib.resources import files
    except ImportError:
        return None
    names = {resource: target for resource, target in embedded.EMBEDDED_FILES.items() if target.startswith("lib/") and target.endswith(".js")}
    if KERNEL not in names.values():
        return None
    for resource, target in names.items():
        path = dest / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files(embedded).joinpath(resource).read_bytes())
    return dest / KERNEL


def host_env(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The variables that make jsii start the host, or {} when it must start its default runtime:
    the user named a runtime, the host is missing, or jsii ships no kernel program to host."""
    if environ.get(RUNTIME_ENV) or not HOST.is_file():
        return {}
    folder = Path(tempfile.mkdtemp(prefix="infraplan-jsii-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # runs after jsii's own exit hook, which stops Node
    kernel = write_kernel(folder)
    if kernel is None:
        return {}
    return {RUNTIME_ENV: str(HOST), KERNEL_ENV: str(kernel)}


@contextlib.contextmanager
def host_runtime() -> Iterator[None]:
    """Within this block, a jsii runtime that starts is the host; the environment is restored
    after it, so no later subprocess (Terraform, helm, another Python) inherits the variables."""
    added = host_env(os.environ)
    saved = {name: os.environ.get(name) for name in added}
    os.environ.update(added)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

