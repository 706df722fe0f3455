"""The L1 layer: AWS resources and data sources emitted through cdktf core.

cdktf core knows nothing about AWS; these classes give it the resource type
and the attributes, named exactly as the AWS provider names them (snake_case,
nested blocks as lists of mappings). ``tests/test_provider_schema.py`` proves
every emitted type, attribute and block against the real provider schema.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import cdktf
from constructs import Construct

AWS_PROVIDER_SOURCE = "hashicorp/aws"
AWS_PROVIDER_VERSION = "5.100.0"


def _clean(value: Any) -> Any:
    """Drop None values so that the provider's defaults apply; keep order stable."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value if v is not None]
    return value


class _Attributes:
    """What cdktf writes for an element: the attributes given, as given (None dropped)."""

    _attributes: dict[str, Any]

    def _synthesize_attributes(self) -> dict[str, Any]:
        return self._attributes

    @property
    def attributes(self) -> dict[str, Any]:
        """The attributes as written (tokens unresolved)."""
        return self._attributes


class AwsResource(_Attributes, cdktf.TerraformResource):
    """Base of every AWS resource class: ``resource_type`` plus provider-named attributes."""

    resource_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, *, depends_on: list[cdktf.ITerraformDependable] | None = None, lifecycle: cdktf.TerraformResourceLifecycle | None = None, **attributes: Any):
        super().__init__(scope, id, terraform_resource_type=self.resource_type, depends_on=depends_on, lifecycle=lifecycle)
        self._attributes = _clean(attributes)

    # References to the resource's attributes, e.g. ``vpc.ref("id")`` -> ``${aws_vpc.x.id}``.
    def ref(self, attribute: str) -> str:
        return self.get_string_attribute(attribute)

    def expr(self, attribute: str) -> str:
        """The attribute as a bare HCL traversal, for use inside :func:`hcl_jsonencode`."""
        return f"{self.resource_type}.{self.friendly_unique_id}.{attribute}"

    @property
    def id_ref(self) -> str:
        return self.get_string_attribute("id")

    @property
    def arn(self) -> str:
        return self.get_string_attribute("arn")


class AwsDataSource(_Attributes, cdktf.TerraformDataSource):
    """Base of every AWS data source class."""

    data_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, **attributes: Any):
        super().__init__(scope, id, terraform_resource_type=self.data_type)
        self._attributes = _clean(attributes)

    def ref(self, attribute: str) -> str:
        return self.get_string_attribute(attribute)


    def expr(self, attribute: str) -> str:
        return f"data.{self.data_type}.{self.friendly_unique_id}.{attribute}"


class AwsEphemeralResource(_Attributes, cdktf.TerraformElement):
    """Base of every AWS ephemeral resource class (Terraform >= 1.10).

    An ephemeral resource is opened during plan and apply and never stored in state
    or plan files; its values may flow only into write-only attributes (such as
    ``secret_string_wo``), provider blocks and other ephemeral contexts. cdktf core
    predates them, so the element writes its own ``ephemeral`` block."""

    ephemeral_type: ClassVar[str]

    def __init__(self, scope: Construct, id: str, **attributes: Any):
        super().__init__(scope, id, "ephemeral")
        self._attributes = _clean(attributes)

    def to_terraform(self) -> Any:
        return {"ephemeral": {self.ephemeral_type: {self.friendly_unique_id: self._attributes}}}

    def expr(self, attribute: str) -> str:
        return f"ephemeral.{self.ephemeral_type}.{self.friendly_unique_id}.{attribute}"


class Expression(str):
    """A bare HCL expression (a traversal such as ``data.aws_db_instance.x.address``)."""


def hcl_jsonencode(values: dict[str, Any]) -> str:
    """``${jsonencode({...})}`` of literals and :class:`Expression` values.

    cdktf's ``Fn.jsonencode`` cannot carry a reference to an ephemeral value (it has
    no token for one), so the expression is written out here; keys are sorted for
    deterministic output."""
    parts = []
    for key in sorted(values):
        value = values[key]
        rendered = str(value) if isinstance(value, Expression) else json.dumps(value)
        parts.append(f"{json.dumps(key)} = {rendered}")
    return "${jsonencode({" + ", ".join(parts) + "})}"


class AwsProvider(_Attributes, cdktf.TerraformProvider):
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
