"""Start jsii's Node runtime as one process, through ``jsii_host.js`` beside this file (#16).

jsii's own entry point is a relay: it starts a second Node process for the kernel and copies
every request, response and printed byte between the two (four pipes per round trip, ~51 MiB).
``jsii_host.js`` runs the kernel in the process jsii starts. jsii's Python side runs whatever
``JSII_RUNTIME`` names when its runtime starts, which is when the first jsii module (``constructs``
or the engine) is imported: this package's ``__init__`` calls :func:`use_host` before any of its
modules can import one. It sets ``JSII_RUNTIME`` to the host and ``INFRAPLAN_JSII_EMBEDDED`` to
the folder of the runtime files the installed jsii package ships (the host runs that package's
kernel, so the handshake always names the version its Python side expects), unless the user
named a runtime, and only when the host and jsii's kernel are there: otherwise jsii starts its own
runtime, silently. Nothing is imported or written here (``infraplan validate`` stays light); the
variables stay set, like ``JSII_SILENCE_*``, so a child process (the Terraform worker, the app
``cdktf synth`` runs) starts the host too. ``JSII_NODE`` (unless the user set it) names
``jsii_node.sh``: Node.js with ``--preserve-symlinks``, as jsii's relay starts its kernel, so that
the kernel links each package into its work folder as one symbolic link instead of hard-linking
every file at each start (and removing them at exit). docs/performance.md has the figures.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import MutableMapping
from pathlib import Path

HOST = Path(__file__).with_name("jsii_host.js")
RUNTIME_ENV = "JSII_RUNTIME"  # read by jsii/_kernel/providers/process.py when it starts Node
EMBEDDED_ENV = "INFRAPLAN_JSII_EMBEDDED"  # read by jsii_host.js
KERNEL = "lib__program.js"  # jsii's lib/program.js as its Python package ships it (EMBEDDED_FILES)
NODE = Path(__file__).with_name("jsii_node.sh")
NODE_ENV = "JSII_NODE"  # the Node.js command jsii starts (default: node)
POSIX = os.name == "posix"  # jsii_node.sh is a sh script


def jsii_embedded() -> Path | None:
    """The folder of the runtime files the installed jsii package ships, found without importing
    jsii; None when there is no jsii or its files hold no kernel program."""
    try:
        spec = importlib.util.find_spec("jsii")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "_embedded" / "jsii"
    return folder if (folder / KERNEL).is_file() else None


def use_host(environ: MutableMapping[str, str] = os.environ) -> None:
    """Make the jsii runtime this process (and its children) starts the host, unless
    ``JSII_RUNTIME`` names another runtime: the user's choice wins."""
    runtime = environ.get(RUNTIME_ENV)
    if runtime and runtime != str(HOST):
        return
    embedded = jsii_embedded()
    if embedded is not None and HOST.is_file():
        environ[RUNTIME_ENV] = str(HOST)
        environ[EMBEDDED_ENV] = str(embedded)
        if POSIX and not environ.get(NODE_ENV) and os.access(NODE, os.X_OK) and shutil.which("node", path=environ.get("PATH")):  # a sh script
            environ[NODE_ENV] = str(NODE)  # a user's JSII_NODE wins; without Node.js, jsii's own error names it
    elif runtime:  # inherited from a process that could host; this one cannot: jsii's own runtime
        environ.pop(RUNTIME_ENV, None)
        environ.pop(EMBEDDED_ENV, None)
        if environ.get(NODE_ENV) == str(NODE):
            environ.pop(NODE_ENV)
