"""The L1 layer: AWS resources and data sources emitted through cdktf core.

cdktf core knows nothing about AWS; these classes give it the resource type
and the attributes, named exactly as the AWS provider names them (snake_case,
nested blocks as lists of mappings). ``tests/test_provider_schema.py`` proves
every emitted type, attribute and block against the real provider schema.
"""

from __future__ import annotations

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
