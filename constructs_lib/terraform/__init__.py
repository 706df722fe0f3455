"""Terraform rendering through cdktf core.

- :mod:`.aws`: L1 classes, one file per AWS resource family, that emit resources
  and data sources with the AWS provider's own attribute names (no prebuilt
  provider bindings).
- :mod:`.network`, :mod:`.cluster`, :mod:`.database`, :mod:`.state_backend`:
  L2 constructs ``(scope, id, props)`` that read only the resolved model.
- :mod:`.stacks`: the stacks of an environment and of a tenant.
"""
