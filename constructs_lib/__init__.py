"""infraplan's construct library.

Layers, in the order data flows through them:

- :mod:`constructs_lib.plan`: the typed plan model read from plan files.
- :mod:`constructs_lib.resolve`: pure functions that turn the plan into concrete
  settings and record why each value was chosen.
- :mod:`constructs_lib.terraform`: cdktf constructs that render the resolved model
  as Terraform JSON.
- :mod:`constructs_lib.kubernetes`: the GitOps manifest renderer.
- :mod:`constructs_lib.pulumi`: the cluster bootstrap as a Pulumi component.
- :mod:`constructs_lib.addons`: the add-on registry both renderers read.

docs/api.md describes the public API. The subpackages are imported on first use
(``constructs_lib/_lazy.py`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from . import addons, kubernetes, plan, pulumi, resolve, terraform

__all__ = ["addons", "kubernetes", "plan", "pulumi", "resolve", "terraform"]
__getattr__, __dir__ = lazy_exports(__name__, __all__)
