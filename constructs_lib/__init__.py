"""infraplan's construct library.

Layers, in the order data flows through them:

- :mod:`constructs_lib.plan`: the typed plan model read from plan files.
- :mod:`constructs_lib.resolve`: pure functions that turn the plan into concrete
  settings and record why each value was chosen.
- :mod:`constructs_lib.terraform`: cdktf constructs that render the resolved model
  as Terraform JSON.
- :mod:`constructs_lib.kubernetes`: the GitOps manifest renderer.
"""
