"""The live check: each construct's deployed AWS resources compared with the resolved model.

``infraplan verify`` (``stacks/verify.py``) reads with boto3 only, never Terraform state, and
finds each resource by the name the resolved model gives it. One module per construct module it
checks, under the same name (``verify/network.py`` checks what ``terraform/network.py`` builds):
a change to a construct and to its check are made side by side. Every check returns the
:class:`Difference` list it found (empty: the resource matches); ``base.py`` holds the boto3
clients (short timeouts) the checks share.

Public names are imported on first use (``constructs_lib/_lazy.py``): this package loads boto3
only when :class:`Clients` makes a client, and synthesizing never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_exports

if TYPE_CHECKING:
    from .base import Clients, Difference
    from .budget import check_budget
    from .cluster import check_api_access, check_cluster
    from .database import check_database
    from .iam import check_roles
    from .network import check_network
    from .secrets import check_secret
    from .state_backend import check_state

__all__ = [
    "Clients",
    "Difference",
    "check_api_access",
    "check_budget",
    "check_cluster",
    "check_database",
    "check_network",
    "check_roles",
    "check_secret",
    "check_state",
]
__getattr__, __dir__ = lazy_exports(__name__, __all__)
