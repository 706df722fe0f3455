"""Creates Python does not wait for, on infraplan's jsii host (#16).

Building the stacks is mostly creating constructs, and jsii's ``create`` is a round trip: Python
serializes the request and waits while Node.js builds the object, then Node.js waits while Python
prepares the next one. One core works at a time. Python waits only for the object's reference,
which jsii's kernel makes by numbering the objects it registers in order (``<fqn>@<n>``, from
10000), and every reference it registers crosses the protocol: so Python can know the one a
create will get. :func:`create` (installed as ``jsii.create``, which jsii's generated classes call,
by :func:`track`) therefore writes the request with that reference first on its line and does not
read the answer; the host (``jsii_host.js``, "Creates Python does not wait for") drops the answer
when it is that reference and ends the runtime when it differs (then nothing could be trusted).
Python meanwhile goes on: the two processes work at once. A create Node.js refuses is told at
once on a line of its own, which Python reads before the next answer it waits for: that call then
raises the create's error (``creating <fqn> failed: ...``), and it is raised again, however it was
caught, before the app is synthesized (:func:`check`, from ``attribute_handover.synth``,
``App.synth``, ``Testing.synth`` and ``Testing.full_synth``) and when an extension returns
(:func:`raise_failures_since`). While Python answers a callback (Node.js synthesizing: an aspect, an
element asked), what it creates is waited for, so its error comes from the line that makes it.

A create is waited for as before when the runtime is not the host; until a create waited for (the
App's) has taught the numbering; when constructs or cdktf may refuse it by what Python can see
(:func:`_refused_here`), so that the error comes from the line that makes the construct; and when
the class, or the class of an object among its arguments (its scope, a dependency), overrides a
jsii member other than the asks of :mod:`.attribute_handover`: the kernel could call back into
Python while it creates the object, and nobody would listen. Measured in docs/performance.md."""

from __future__ import annotations

import datetime
import enum
import json
import re
import typing
from typing import Any

import jsii
from jsii import _kernel
from jsii._kernel.providers import process as _process
from jsii._kernel.types import CreateRequest, ObjRef
from jsii._reference_map import register_reference
from jsii.errors import JavaScriptError

from ..kubernetes.tree_node import sanitize_id  # constructs' rule for ids, in plain Python
from .jsii_host import HOST

_ASKS = frozenset({"askAttributes", "askTerraform"})
"""The overrides an element may have and still be created without waiting: cdktf calls them only while it synthesizes."""

_REFERENCE = re.compile(rb'"\$jsii\.byref": ?"[^"]*@([0-9]+)"')


class _Numbering:
    """The number jsii's kernel gives the next object it registers (None until a create was seen
    answered); whether the answers are tracked; whether the runtime is the host (None: not asked yet)."""

    next: int | None = None
    tracking = False
    host: bool | None = None
    callbacks = 0  # callbacks from Node.js being answered


def _highest(line: bytes) -> int | None:
    numbers = _REFERENCE.findall(line)
    return max(map(int, numbers)) if numbers else None


def _learn(ref: Any) -> None:
    """A create waited for: its object is the newest the kernel registered."""
    number = ref.ref.rsplit("@", 1)[-1]
    if number.isdigit():
        _Numbering.next = max(_Numbering.next or 0, int(number) + 1)


def track() -> None:
    """Learn the kernel's numbering from the next create waited for (``jsii.create``, which jsii's
    generated classes call), then scan every answer jsii's Python side reads for the highest
    reference in it. Installed once."""
    if _Numbering.tracking:
        return
    _Numbering.tracking = True
    jsii.create = create  # what jsii's generated classes call: cdktf's own are not waited for either, where safe
    handle = _kernel._handle_callback

    def _handle_callback(kernel: Any, callback: Any) -> Any:
        _Numbering.callbacks += 1  # Node.js is synthesizing (an aspect, an element asked): what Python creates now is waited for
        try:
            return handle(kernel, callback)
        finally:
            _Numbering.callbacks -= 1

    _kernel._handle_callback = _handle_callback

    def _next_message(self: Any) -> Any:
        line = self._process.stdout.readline()
        while line.startswith(_FAILED):
            _Failures.add(json.loads(line)["infraplan.failedCreate"])
            line = self._process.stdout.readline()
        if _Numbering.next is not None and b"$jsii.byref" in line:
            highest = _highest(line)
            if highest is not None and highest >= _Numbering.next:
                _Numbering.next = highest + 1
        message = json.loads(line, object_hook=_process.ohook)
        if _Failures.unraised < len(_Failures.seen) and not line.startswith(b'{"callback"'):
            _Failures.raise_from(_Failures.unraised)  # the call Python waited for is answered: its create failed before
        return message

    _process._NodeProcess._next_message = _next_message


_FAILED = b'{"infraplan.failedCreate"'


class _Failures:
    """The creates not waited for that Node.js refused (the host says so at once): each is raised at
    the next answer Python waits for, and again by :func:`check` and :func:`raise_failures_since`,
    however it was caught in between."""

    seen: typing.ClassVar[list[dict[str, Any]]] = []
    unraised = 0  # seen[unraised:] were not raised yet

    @classmethod
    def add(cls, failure: dict[str, Any]) -> None:
        failure["scope"] = _SCOPES.pop(failure.get("expect", ""), None)
        cls.seen.append(failure)

    @classmethod
    def raise_from(cls, index: int) -> None:
        cls.unraised = len(cls.seen)
        failure = cls.seen[index]
        raise RuntimeError(failure.get("error", "a create failed")) from JavaScriptError(failure.get("stack") or "")


_SCOPES: dict[str, Any] = {}
"""The scope of each create not waited for, by its reference, until Node.js has made it or refused it."""


def sync() -> None:
    """Wait for Node.js to have served everything sent so far (one round trip): a create it refused
    is raised here, if not before."""
    jsii.kernel.stats()
    _SCOPES.clear()  # everything sent is served: no create is pending


def failure_count() -> int:
    """How many creates not waited for Node.js has refused so far in this process."""
    return len(_Failures.seen)


def raise_failures_since(count: int) -> None:
    """Raise the first create refused since :func:`failure_count` was ``count`` (after :func:`sync`),
    even if it was raised and caught since."""
    sync()
    if len(_Failures.seen) > count:
        _Failures.raise_from(count)


def check(app: Any) -> None:
    """Before ``app`` is synthesized: raise the first create of a construct under it that Node.js
    refused, however it was caught since, so that no synth writes stacks with a construct missing.
    (A create with no scope is no construct: its error was raised once, at the next answer.)"""
    sync()
    for index, failure in enumerate(_Failures.seen):
        if _under(failure["scope"], app):
            _Failures.raise_from(index)


def _under(scope: Any, app: Any) -> bool:
    """Whether ``scope`` is ``app`` or under it; None (no scope) and a scope Node.js does not know
    (its own create was refused) are under no app."""
    if scope is None:
        return False
    if scope is app:
        return True
    try:
        root = scope.node.root
    except RuntimeError:
        return False
    return root is app or _ref(root) == _ref(app) is not None  # one object of Node.js's, maybe two Python proxies


def _ref(obj: Any) -> str | None:
    return getattr(getattr(obj, "__jsii_ref__", None), "ref", None)


_CALLS_BACK: dict[type, bool] = {}


def _on_the_host() -> bool:
    """Whether jsii's runtime is infraplan's host (``jsii_host.js``, which drops the answers), once."""
    if _Numbering.host is None:
        args = getattr(getattr(jsii.kernel.provider, "_process", None), "_process", None)
        _Numbering.host = str(HOST) in (getattr(args, "args", None) or ())
    return _Numbering.host


def _calls_back(obj: Any) -> bool:
    """Whether Node.js may call into Python on ``obj``: its class overrides a jsii member (or
    implements a jsii interface) beyond the asks. Once per class."""
    kind = type(obj)
    found = _CALLS_BACK.get(kind)
    if found is None:
        found = _CALLS_BACK[kind] = any(o.method not in _ASKS for o in _kernel._get_overides(kind, obj))
    return found


def _any_calls_back(value: Any) -> bool:
    """Whether an object among ``value`` (the create's arguments: lists, mappings and jsii structs
    walked) may be called back: the constructor may call a method of its scope or of a dependency."""
    if hasattr(value, "__jsii_ref__"):
        return _calls_back(value)
    if value is None or isinstance(value, (str, int, float, bool, enum.Enum, datetime.datetime)):
        return False
    if isinstance(value, (list, tuple)):
        return any(_any_calls_back(v) for v in value)
    if isinstance(value, dict):
        return any(_any_calls_back(v) for v in value.values())
    values = getattr(value, "_values", None)  # a jsii struct
    if isinstance(values, dict) and getattr(value, "__jsii_type__", None) is not None:
        return any(_any_calls_back(v) for v in values.values())
    return True  # an object jsii will create as it serializes the arguments (one implementing an interface in Python)


def _pipelined(klass: type, obj: Any, args: list[Any]) -> list[Any] | None:
    """The overrides to send, when ``obj`` may be created without waiting; else None."""
    if _Numbering.next is None or _Numbering.callbacks or not _on_the_host():
        return None
    overrides = _kernel._get_overides(klass, obj)  # through the module: the worker caches it (terraform_worker.py)
    if any(o.method not in _ASKS for o in overrides) or _any_calls_back(args):
        return None
    return overrides


_WAITED = jsii.create


def _ids_in_scope(args: list[Any]) -> tuple[set[str], str] | None:
    """For a construct's create (``[scope, id, ...]``): the ids of the children Python created in
    that scope, and the id as constructs keeps it (``/`` read as ``--``; ``tree_node`` also reads a
    line break so, which at most makes such a create wait)."""
    own = getattr(args[0], "__dict__", None) if len(args) >= 2 and isinstance(args[1], str) and hasattr(args[0], "__jsii_ref__") else None
    if own is None:
        return None
    ids = own.get("_infraplan_child_ids")
    if ids is None:
        ids = own["_infraplan_child_ids"] = set()
    return ids, sanitize_id(args[1])


def _refused_here(klass: type, args: list[Any], ids: tuple[set[str], str] | None) -> bool:
    """Whether constructs or cdktf may refuse this create in its constructor, by what Python can see:
    an empty id, an id already given in the scope (by a create of this process), an id holding a
    token, or a stack (cdktf checks its id's characters). Such a create is waited for, so that the
    error comes from the line that makes the construct; what Python cannot see (an id Node.js gave
    a child of its own) fails later, at the next call Python waits for, naming the create."""
    if ids is not None and (not ids[1] or ids[1] in ids[0] or "{" in ids[1]):
        return True
    return (getattr(klass, "__jsii_type__", None) or "").endswith(".TerraformStack")


def create(klass: type, obj: Any, args: list[Any] | None = None) -> Any:
    """``jsii.create(klass, obj, args)``, without waiting for the answer where that is safe (see the module)."""
    args = [] if args is None else args
    ids = _ids_in_scope(args)
    overrides = None if _refused_here(klass, args, ids) else _pipelined(klass, obj, args)
    if overrides is None:
        ref = _WAITED(klass, obj, args)
        if _Numbering.tracking:
            _learn(ref)
        if ids is not None:
            ids[0].add(ids[1])
        return ref
    if ids is not None:
        ids[0].add(ids[1])
    kernel = jsii.kernel
    node = kernel.provider._process
    request = CreateRequest(fqn=klass.__jsii_type__ or "Object", args=_kernel._make_reference_for_native(kernel, args), overrides=overrides, interfaces=[i.__jsii_type__ for i in getattr(klass, "__jsii_ifaces__", [])])
    ref = f"{klass.__jsii_type__ or 'Object'}@{_Numbering.next}"
    if args and hasattr(args[0], "__jsii_ref__"):  # a construct's scope (a backend's create has no id)
        _SCOPES[ref] = args[0]
    line = json.dumps({"infraplan.expect": ref, **node._serializer.unstructure(request)}, default=_process.jdefault).encode("utf8")
    node._process.stdin.write(line + b"\n")
    node._process.stdin.flush()
    _Numbering.next += 1
    obj.__jsii_ref__ = ObjRef(ref=ref)
    register_reference(obj)
    return obj.__jsii_ref__
