"""The L1 layer: AWS resources and data sources emitted through cdktf core.

cdktf core knows nothing about AWS; these classes give it the resource type
and the attributes, named exactly as the AWS provider names them (snake_case,
nested blocks as lists of mappings). ``tests/test_provider_schema.py`` proves
every emitted type, attribute and block against the real provider schema.

Every string an element is given is a literal. Terraform reads each string of
``cdk.tf.json`` as a template, so ``${...}`` and ``%{...}`` in a plan value (a tag,
a group, a label) would be evaluated on the machine that runs Terraform: a tag
``${file("/etc/hostname")}`` would read that file. :class:`_Attributes`, which every
resource, data source, ephemeral resource and the provider block go through,
therefore writes every string (map keys included: they are templates too) in
Terraform's escaped form (``$${`` / ``%%{``), and keeps live only what the constructs
themselves make: cdktf's tokens (``vpc.ref("id")``, ``cdktf.Fn.*``) and the
:class:`Template` of :func:`hcl_jsonencode`.

What needs no escaping, and must not have it: backend blocks and output
descriptions are not templates (Terraform uses them as written, ``$${`` included;
checked with Terraform 1.11), and the plan values that reach a backend are
validated names anyway. cdktf's ``Fn.*`` escape ``${`` in their string arguments
but neither ``%{`` nor quotes, so plan text never goes into them.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from constructs import Construct

from .. import attribute_handover as handover
from ..engine import cdktf

AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION = "5.100.0"


def _clean(value: Any) -> Any:
    """Drop None values so that the provider's defaults apply; keep order stable."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value if v is not None]
    return value


# cdktf 0.21 stands an unresolved value in for a marker inside a string:
# ``${TfToken[TOKEN.12]}`` (a string), ``#{TfToken[...]}`` (the element of a list),
# ``&{TfToken[...]}`` (a map key), with the key characters of its encoding.ts
# (numbers are encoded as doubles, never in strings). At synth, cdktf replaces each
# marker with the reference, e.g. ``${aws_vpc.network_vpc.id}``.
_TOKEN_MARKER = re.compile(r"([$#&]\{TfToken\[[a-zA-Z0-9:._-]+\]\})")
# A run of ``$`` that a template sequence or a reference would follow.
_DOLLARS = re.compile(r"\$+(?=\{)")


class Template(str):
    """Terraform template text the constructs wrote themselves (see :func:`hcl_jsonencode`):
    written to Terraform as it is, never escaped."""


def terraform_literal(text: str) -> str:
    """``text`` written so that Terraform reads it as exactly ``text``; cdktf token
    markers in it stay live references, the text around them is escaped.

    A plain string escapes ``${`` as ``$${`` and ``%{`` as ``%%{``. Beside a token,
    cdktf itself reads a bare ``${`` as the start of an expression and strips the
    braces of the references after it, and a ``$`` just before a reference would
    turn it into ``$${``: there each ``$`` run before ``{`` or before a reference is
    written as the interpolation ``${"$"}`` instead."""
    if isinstance(text, Template):
        return text
    pieces = _TOKEN_MARKER.split(text)
    if len(pieces) == 1:
        return text.replace("${", "$${").replace("%{", "%%{")
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:  # a token marker
            out.append(piece)
            continue
        piece = _DOLLARS.sub(_interpolated, piece.replace("%{", "%%{"))
        if i + 1 < len(pieces):  # a reference follows
            piece = re.sub(r"\$+\Z", _interpolated, piece)
        out.append(piece)
    return "".join(out)


def _interpolated(match: re.Match[str]) -> str:
    return '${"' + match.group() + '"}'


def literal_attributes(value: Any) -> Any:
    """Every string in ``value`` (keys of mappings too) through :func:`terraform_literal`."""
    if isinstance(value, str):
        return terraform_literal(value)
    if isinstance(value, dict):
        return {terraform_literal(k) if isinstance(k, str) else k: literal_attributes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [literal_attributes(v) for v in value]
    return value


class _Attributes:
    """What cdktf writes for an element: the attributes given (None dropped), every
    string a literal (see the module's docstring).

    Resources, data sources and the provider derive from :mod:`..attribute_handover`'s classes:
    ``infraplan synth`` hands these attributes to cdktf once, just before it synthesizes; an app
    synthesized directly has cdktf ask :meth:`ask_attributes` at each synth. Either way cdktf
    writes what they return when it synthesizes, so a change made before (a cluster tagging a
    network's subnets) is written."""

    _attributes: dict[str, Any]

    def ask_attributes(self) -> dict[str, Any]:
        return literal_attributes(self._attributes)

    @property
    def attributes(self) -> dict[str, Any]:
        """The attributes as given: tokens unresolved, strings not yet escaped."""
        return self._attributes

    def _token(self, attribute: str) -> str:
        """A reference to ``attribute``, made in Python once per attribute (see
        :func:`..attribute_handover.reference`): it becomes cdktf's token in Node.js, where asking
        cdktf for one would have been a round trip."""
        tokens = self.__dict__.setdefault("_tokens", {})
        if attribute not in tokens:
            tokens[attribute] = handover.reference(self, attribute)
        return tokens[attribute]

    def _unique_id(self) -> str:
        """cdktf's ``friendly_unique_id`` (the element's name in Terraform), asked once: it never changes once read."""
        if "_friendly_id" not in self.__dict__:
            self.__dict__["_friendly_id"] = self.friendly_unique_id  # type: ignore[attr-defined]
        return self.__dict__["_friendly_id"]


class AwsResource(_Attributes, handover.Resource):
    """Base of every AWS resource class: ``resource_type`` plus provider-named attributes."""

    resource_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, *, depends_on: list[cdktf.ITerraformDependable] | None = None, lifecycle: cdktf.TerraformResourceLifecycle | None = None, **attributes: Any):
        super().__init__(scope, id, terraform_resource_type=self.resource_type, depends_on=depends_on, lifecycle=lifecycle)
        self._attributes = _clean(attributes)

    # References to the resource's attributes, e.g. ``vpc.ref("id")`` -> ``${aws_vpc.x.id}``.
    def ref(self, attribute: str) -> str:
        return self._token(attribute)

    def expr(self, attribute: str) -> str:
        """The attribute as a bare HCL traversal, for use inside :func:`hcl_jsonencode`."""
        return f"{self.resource_type}.{self._unique_id()}.{attribute}"

    @property
    def id_ref(self) -> str:
        return self._token("id")

    @property
    def arn(self) -> str:
        return self._token("arn")


class AwsDataSource(_Attributes, handover.DataSource):
    """Base of every AWS data source class."""

    data_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, **attributes: Any):
        super().__init__(scope, id, terraform_resource_type=self.data_type)
        self._attributes = _clean(attributes)

    def ref(self, attribute: str) -> str:
        return self._token(attribute)

    def expr(self, attribute: str) -> str:
        return f"data.{self.data_type}.{self._unique_id()}.{attribute}"


class AwsEphemeralResource(_Attributes, handover.Block):
    """Base of every AWS ephemeral resource class (Terraform >= 1.10).

    An ephemeral resource is opened during plan and apply and never stored in state
    or plan files; its values may flow only into write-only attributes (such as
    ``secret_string_wo``), provider blocks and other ephemeral contexts. cdktf core
    predates them, so the element writes its own ``ephemeral`` block."""

    ephemeral_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, **attributes: Any):
        super().__init__(scope, id, "ephemeral")
        self._attributes = _clean(attributes)

    def ask_terraform(self) -> Any:
        return {"ephemeral": {self.ephemeral_type: {self._unique_id(): self.ask_attributes()}}}

    def expr(self, attribute: str) -> str:
        return f"ephemeral.{self.ephemeral_type}.{self._unique_id()}.{attribute}"


class Expression(str):
    """A bare HCL expression (a traversal such as ``data.aws_db_instance.x.address``)."""


def hcl_jsonencode(values: dict[str, Any]) -> Template:
    """``${jsonencode({...})}`` of literals and :class:`Expression` values.

    cdktf's ``Fn.jsonencode`` cannot carry a reference to an ephemeral value (it has
    no token for one), so the expression is written out here; keys are sorted for
    deterministic output. Its quoted strings are templates as well, so the literals
    are written escaped (:func:`hcl_string`)."""
    parts = [f"{hcl_string(key)} = {_hcl_value(values[key])}" for key in sorted(values)]
    return Template("${jsonencode({" + ", ".join(parts) + "})}")


def _hcl_value(value: Any) -> str:
    if isinstance(value, Expression):
        return str(value)
    if isinstance(value, str):
        return hcl_string(value)
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)  # null, true, false and numbers are written alike in HCL
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_hcl_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{hcl_string(k)} = {_hcl_value(v)}" for k, v in sorted(value.items())) + "}"
    raise TypeError(f"hcl_jsonencode cannot write a {type(value).__name__}")


_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_string(text: str) -> str:
    """``text`` as a quoted HCL string that evaluates to exactly ``text``: HCL's
    backslash escapes, then the template escapes ``$${`` and ``%%{``.

    A cdktf token cannot stand in such a string (inside an expression cdktf drops
    its braces): a reference is given as an :class:`Expression` instead."""
    if _TOKEN_MARKER.search(text):
        raise ValueError(f"{text!r} holds a cdktf token; inside hcl_jsonencode pass a reference as Expression(element.expr(attribute))")
    escaped = "".join(_HCL_ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in text)
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


class AwsProvider(_Attributes, handover.Provider):
    """The ``aws`` provider block, pinned to :data:`AWS_PROVIDER_VERSION`."""

    def __init__(self, scope: Construct, id: str, **attributes: Any):
        super().__init__(
            scope,
            id,
            terraform_resource_type="aws",
            terraform_provider_source=AWS_PROVIDER_SOURCE,
            terraform_generator_metadata=cdktf.TerraformProviderGeneratorMetadata(
                provider_name="aws", provider_version_constraint=AWS_PROVIDER_VERSION
            ),
        )
        self._attributes = _clean(attributes)
