"""infraplan's element classes on both sides of jsii: attributes handed to cdktf once per synth (#16).

cdktf asks every element for its attributes (``synthesizeAttributes``) twice per synth, when it
prepares the stacks and when it writes them. A class that answers in Python answers each ask with a
callback from Node into Python: two round trips per element, 40% of the jsii round trips of the
example's synth (docs/performance.md). The L1 classes (:mod:`.aws.base`) therefore derive from
:class:`Resource`, :class:`DataSource` and :class:`Provider` here, and the elements that write their
own block from :class:`Block`: they extend cdktf's own classes in JavaScript (``attribute_handover.js``)
and answer cdktf from what was handed over in one call for all the elements of an app. :func:`synth`
does that, then ``app.synth()``, then takes it back. An element nothing was handed to (an app
synthesized with ``app.synth()`` directly) asks Python at each synth (:meth:`Resource.ask_attributes`,
:meth:`Block.ask_terraform`), as before: both ways write the same bytes
(tests/test_attribute_handover.py). Between the handover and cdktf's asks only cdktf runs, so what was
handed over is what Python would have answered.

The JavaScript reaches jsii as a jsii assembly of three files, built here deterministically
(``package.json`` naming the engine, the ``.jsii`` type spec of the classes, and the JavaScript)
and loaded into the kernel when this module is imported. Everything else about an element is cdktf's.
"""

from __future__ import annotations

import functools
import gzip
import importlib
import io
import json
import os
import re
import tarfile
import tempfile
import typing
from pathlib import Path
from typing import Any

import constructs
import jsii
from jsii import _kernel

from . import jsii_pipeline
from .engine import cdktf

ASSEMBLY = "infraplan-cdktf-handover"
VERSION = "1.0.0"
SOURCE = Path(__file__).with_name("attribute_handover.js")
ENGINE = cdktf.TerraformResource.__jsii_type__.split(".")[0]  # "cdktf", or "cdktn" for CDK Terrain
ENGINE_VERSION = importlib.import_module(f"{cdktf.__name__}._jsii").__jsii_assembly__.version

_ATTRIBUTE_MAP = {"collection": {"kind": "map", "elementtype": {"primitive": "any"}}}
_ANY_ARRAY = {"collection": {"kind": "array", "elementtype": {"primitive": "any"}}}


def _element_type(name: str, base: str, config: str, doc: str) -> dict[str, Any]:
    return {
        "assembly": ASSEMBLY,
        "fqn": f"{ASSEMBLY}.{name}",
        "kind": "class",
        "name": name,
        "base": f"{ENGINE}.{base}",
        "docs": {"summary": doc},
        "initializer": {
            "parameters": [
                {"name": "scope", "type": {"fqn": "constructs.Construct"}},
                {"name": "id", "type": {"primitive": "string"}},
                {"name": "config", "type": {"fqn": f"{ENGINE}.{config}"}},
            ]
        },
        "methods": [
            {
                "name": "askAttributes",
                "docs": {"summary": "The attributes, asked of the host language at each synth when none were handed over."},
                "returns": {"type": _ATTRIBUTE_MAP},
            }
        ],
    }


def _handover_type() -> dict[str, Any]:
    """The ``.jsii`` type of ``HandOver``."""
    return {
        "assembly": ASSEMBLY,
        "fqn": f"{ASSEMBLY}.HandOver",
        "kind": "class",
        "name": "HandOver",
        "docs": {"summary": "Hands attributes to the elements of a construct tree, and takes them back."},
        "methods": [
            {"name": "elementsUnder", "static": True, "parameters": [{"name": "scope", "type": {"fqn": "constructs.IConstruct"}}], "returns": {"type": _ANY_ARRAY}},
            {
                "name": "handOver",
                "static": True,
                "parameters": [
                    {"name": "elements", "type": _ANY_ARRAY},
                    {"name": "attributesJson", "type": {"primitive": "string"}},
                    {"name": "referenced", "type": _ANY_ARRAY},
                    {"name": "referencesJson", "type": {"primitive": "string"}},
                ],
            },
            {"name": "takeBack", "static": True, "parameters": [{"name": "elements", "type": _ANY_ARRAY}]},
        ],
    }


def assembly_spec() -> dict[str, Any]:
    """The ``.jsii`` type spec of the JavaScript classes, against the engine in use."""
    types = {
        f"{ASSEMBLY}.Resource": _element_type("Resource", "TerraformResource", "TerraformResourceConfig", "A resource with handed-over attributes."),
        f"{ASSEMBLY}.DataSource": _element_type("DataSource", "TerraformDataSource", "TerraformResourceConfig", "A data source with handed-over attributes."),
        f"{ASSEMBLY}.Provider": _element_type("Provider", "TerraformProvider", "TerraformProviderConfig", "A provider block with handed-over attributes."),
        f"{ASSEMBLY}.Block": {
            "assembly": ASSEMBLY,
            "fqn": f"{ASSEMBLY}.Block",
            "kind": "class",
            "name": "Block",
            "base": f"{ENGINE}.TerraformElement",
            "docs": {"summary": "An element writing its own block, handed over."},
            "initializer": {
                "parameters": [
                    {"name": "scope", "type": {"fqn": "constructs.Construct"}},
                    {"name": "id", "type": {"primitive": "string"}},
                    {"name": "elementType", "optional": True, "type": {"primitive": "string"}},
                ]
            },
            "methods": [
                {
                    "name": "askTerraform",
                    "docs": {"summary": "The element's block, asked of the host language at each synth when none was handed over."},
                    "returns": {"type": {"primitive": "any"}},
                }
            ],
        },
        f"{ASSEMBLY}.HandOver": _handover_type(),
    }
    return {
        "schema": "jsii/0.10.0",
        "name": ASSEMBLY,
        "version": VERSION,
        "description": "infraplan's cdktf element classes whose attributes are handed over once per synth",
        "license": "Apache-2.0",
        "homepage": "https://github.com/infraplan/infraplan",
        "repository": {"type": "git", "url": "https://github.com/infraplan/infraplan.git"},
        "author": {"name": "infraplan", "roles": ["author"]},
        "jsiiVersion": "5.8.9",
        "fingerprint": "infraplan",
        "dependencies": {ENGINE: ENGINE_VERSION, "constructs": importlib.import_module("constructs._jsii").__jsii_assembly__.version},
        "types": types,
    }


def assembly_tarball() -> bytes:
    """The assembly as the npm tarball jsii's kernel loads: the same bytes for the same engine."""
    files = {
        "package/package.json": json.dumps({"name": ASSEMBLY, "version": VERSION, "main": "index.js", "license": "Apache-2.0", "cdkEngine": ENGINE}, indent=2).encode(),
        "package/.jsii": json.dumps(assembly_spec(), indent=2, sort_keys=True).encode(),
        "package/index.js": SOURCE.read_bytes(),
    }
    out = io.BytesIO()
    # gzip's header carries a time too (tarfile's "w:gz" stamps the current one): 0, or each start would add a cache entry
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed, tarfile.open(fileobj=packed, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _load() -> None:
    fd, path = tempfile.mkstemp(prefix="infraplan-handover-", suffix=".tgz")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(assembly_tarball())
        jsii.load(ASSEMBLY, VERSION, path)  # the kernel extracts it now; the file is not needed after
    finally:
        os.unlink(path)


_load()
jsii_pipeline.track()


def _checked_synth(synth: Any) -> Any:
    """``app.synth()`` after :func:`jsii_pipeline.check`: never a stack written without a construct Node.js refused."""

    @functools.wraps(synth)  # jsii's name with it: a subclass's synth is still an override
    def app_synth(self: cdktf.App) -> None:
        jsii_pipeline.check(self)
        synth(self)

    app_synth._infraplan_checked = True  # type: ignore[attr-defined]
    return app_synth


def _checked_testing(synth: Any) -> Any:
    """cdktf's ``Testing.synth``/``full_synth`` of a stack after :func:`jsii_pipeline.check` of its app."""

    @functools.wraps(synth)
    def testing_synth(stack: cdktf.TerraformStack, *args: Any, **kwargs: Any) -> Any:
        jsii_pipeline.check(stack.node.root)
        return synth(stack, *args, **kwargs)

    testing_synth._infraplan_checked = True  # type: ignore[attr-defined]
    return staticmethod(testing_synth)


if not getattr(cdktf.App.synth, "_infraplan_checked", False):
    cdktf.App.synth = _checked_synth(cdktf.App.synth)
for _name in ("synth", "full_synth"):
    if not getattr(getattr(cdktf.Testing, _name), "_infraplan_checked", False):
        setattr(cdktf.Testing, _name, _checked_testing(getattr(cdktf.Testing, _name)))


class Resource(cdktf.TerraformResource, metaclass=jsii.JSIIMeta, jsii_type=f"{ASSEMBLY}.Resource"):
    """cdktf's ``TerraformResource``, answering cdktf with the attributes :func:`synth` handed over,
    else with :meth:`ask_attributes` (override it)."""

    def __init__(
        self,
        scope: constructs.Construct,
        id: str,
        *,
        terraform_resource_type: str,
        depends_on: typing.Sequence[cdktf.ITerraformDependable] | None = None,
        lifecycle: cdktf.TerraformResourceLifecycle | None = None,
        provider: cdktf.TerraformProvider | None = None,
    ) -> None:
        config = cdktf.TerraformResourceConfig(terraform_resource_type=terraform_resource_type, depends_on=depends_on, lifecycle=lifecycle, provider=provider)
        jsii_pipeline.create(self.__class__, self, [scope, id, config])

    @jsii.member(jsii_name="askAttributes")
    def ask_attributes(self) -> typing.Mapping[str, Any]:
        return typing.cast(typing.Mapping[str, Any], jsii.invoke(self, "askAttributes", []))


class DataSource(cdktf.TerraformDataSource, metaclass=jsii.JSIIMeta, jsii_type=f"{ASSEMBLY}.DataSource"):
    """cdktf's ``TerraformDataSource``, answering as :class:`Resource` does."""

    def __init__(self, scope: constructs.Construct, id: str, *, terraform_resource_type: str, provider: cdktf.TerraformProvider | None = None) -> None:
        config = cdktf.TerraformResourceConfig(terraform_resource_type=terraform_resource_type, provider=provider)
        jsii_pipeline.create(self.__class__, self, [scope, id, config])

    @jsii.member(jsii_name="askAttributes")
    def ask_attributes(self) -> typing.Mapping[str, Any]:
        return typing.cast(typing.Mapping[str, Any], jsii.invoke(self, "askAttributes", []))


class Provider(cdktf.TerraformProvider, metaclass=jsii.JSIIMeta, jsii_type=f"{ASSEMBLY}.Provider"):
    """cdktf's ``TerraformProvider``, answering as :class:`Resource` does."""

    def __init__(
        self,
        scope: constructs.Construct,
        id: str,
        *,
        terraform_resource_type: str,
        terraform_provider_source: str | None = None,
        terraform_generator_metadata: cdktf.TerraformProviderGeneratorMetadata | None = None,
    ) -> None:
        config = cdktf.TerraformProviderConfig(
            terraform_resource_type=terraform_resource_type, terraform_provider_source=terraform_provider_source, terraform_generator_metadata=terraform_generator_metadata
        )
        jsii_pipeline.create(self.__class__, self, [scope, id, config])

    @jsii.member(jsii_name="askAttributes")
    def ask_attributes(self) -> typing.Mapping[str, Any]:
        return typing.cast(typing.Mapping[str, Any], jsii.invoke(self, "askAttributes", []))


class Block(cdktf.TerraformElement, metaclass=jsii.JSIIMeta, jsii_type=f"{ASSEMBLY}.Block"):
    """cdktf's ``TerraformElement`` for a block cdktf has no class for, answering cdktf's
    ``toTerraform`` with the block :func:`synth` handed over, else with :meth:`ask_terraform`
    (override it)."""

    def __init__(self, scope: constructs.Construct, id: str, element_type: str | None = None) -> None:
        jsii_pipeline.create(self.__class__, self, [scope, id, element_type])

    @jsii.member(jsii_name="askTerraform")
    def ask_terraform(self) -> Any:
        return jsii.invoke(self, "askTerraform", [])


class _HandOver(metaclass=jsii.JSIIMeta, jsii_type=f"{ASSEMBLY}.HandOver"):
    @jsii.member(jsii_name="elementsUnder")
    @classmethod
    def elements_under(cls, scope: constructs.IConstruct) -> list[Any]:
        return typing.cast(list[Any], jsii.sinvoke(cls, "elementsUnder", [scope]))

    @jsii.member(jsii_name="handOver")
    @classmethod
    def hand_over(cls, elements: typing.Sequence[Any], attributes_json: str, referenced: typing.Sequence[Any], references_json: str) -> None:
        jsii.sinvoke(cls, "handOver", [elements, attributes_json, referenced, references_json])

    @jsii.member(jsii_name="takeBack")
    @classmethod
    def take_back(cls, elements: typing.Sequence[Any]) -> None:
        jsii.sinvoke(cls, "takeBack", [elements])


def _json(attributes: Any) -> str | None:
    """``attributes`` (or a block) as JSON, which reads back in JavaScript as the values jsii would make of them;
    None when they hold anything else (a jsii object, NaN): that element keeps asking Python."""
    try:
        return json.dumps(attributes, allow_nan=False)
    except (TypeError, ValueError):
        return None


# --- references made in Python, their cdktf tokens asked in Node.js at the handover ----------------------

_REFERENCE = re.compile(r"\$\{TfToken\[INFRAPLAN\.([0-9]+)\]\}")


class _References:
    """Every reference :func:`reference` made in this process: the element and attribute of each
    number, and cdktf's token for it once Python had to ask (:func:`_resolved`)."""

    elements: typing.ClassVar[list[Any]] = []
    attributes: typing.ClassVar[list[str]] = []
    tokens: typing.ClassVar[dict[int, str]] = {}


def reference(element: Any, attribute: str) -> str:
    """A reference to ``attribute`` of ``element``, made without asking cdktf: a string in the form
    of cdktf's string tokens (``${TfToken[INFRAPLAN.<n>]}``, so that the L1 layer keeps it live as it
    keeps cdktf's), which stands for ``element.get_string_attribute(attribute)``. The handover gives
    Node.js the elements and attributes its attributes refer to, and those references become cdktf's
    tokens there (``attribute_handover.js``); wherever else such a string goes to
    Node.js (an output's value, ``Fn.replace``, an element that asks Python), it is replaced by cdktf's
    token on the way (:func:`_resolving`). The plan cannot hold one: it refuses ``TfToken[``
    (``constructs_lib/plan/loader.py``), and a string Node.js does not know fails cdktf's synth."""
    _References.elements.append(element)
    _References.attributes.append(attribute)
    return f"${{TfToken[INFRAPLAN.{len(_References.elements) - 1}]}}"


def _resolved(text: str) -> str:
    """``text`` with cdktf's token in place of each reference of :func:`reference` (asked once each)."""

    def token(match: re.Match[str]) -> str:
        number = int(match.group(1))
        found = _References.tokens.get(number)
        if found is None:
            found = _References.tokens[number] = _References.elements[number].get_string_attribute(_References.attributes[number])
        return found

    return _REFERENCE.sub(token, text)


def _resolving(serialize: Any) -> Any:
    """jsii's serialization of what Python sends Node.js (``_make_reference_for_native``), with the
    references of strings and of mapping keys replaced first."""

    def make_reference_for_native(kernel: Any, value: Any) -> Any:
        if isinstance(value, str):
            if "INFRAPLAN." in value:
                value = _resolved(value)
        elif isinstance(value, dict) and any(isinstance(k, str) and "INFRAPLAN." in k for k in value):
            value = {_resolved(k) if isinstance(k, str) else k: v for k, v in value.items()}
        return serialize(kernel, value)

    make_reference_for_native._infraplan_resolving = True  # type: ignore[attr-defined]
    return make_reference_for_native


if not getattr(_kernel._make_reference_for_native, "_infraplan_resolving", False):
    _kernel._make_reference_for_native = _resolving(_kernel._make_reference_for_native)


def synth(app: cdktf.App) -> None:
    """``app.synth()``, with the attributes of every element of this module's classes under ``app``
    handed to cdktf in one call first, as one JSON text (taken back afterwards, so that a later
    synth asks again): four round trips instead of two per element."""
    jsii_pipeline.check(app)  # before the handover, which would trip on a refused element first (app.synth checks again)
    handed, texts = [], []
    for element in _HandOver.elements_under(app):
        text = _json(element.ask_terraform() if isinstance(element, Block) else element.ask_attributes())
        if text is not None:
            handed.append(element)
            texts.append(text)
    text = "[" + ",".join(texts) + "]"
    used = sorted({int(n) for n in _REFERENCE.findall(text)})  # only these: an element of another app may be one Node.js refused
    table = {n: [i, _References.attributes[n]] for i, n in enumerate(used)}
    _HandOver.hand_over(handed, text, [_References.elements[n] for n in used], json.dumps(table))
    try:
        app.synth()
    finally:
        _HandOver.take_back(handed)
