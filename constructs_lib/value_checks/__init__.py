"""Checks of single values that the plan model's validators and the constructs' own props checks
share, one definition each: AWS's accepted values (``aws``), IPv4 ranges (``ipv4``), DNS names
(``dns``) and characters that are not what they look like (``characters``).

Plain Python, no pydantic: the Terraform worker imports the constructs, which run these checks,
without loading the plan model (docs/performance.md). A check raises the plan's
:class:`~constructs_lib.plan.errors.FieldValueError` (a plain exception) with the same words
wherever it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from . import aws, characters, dns, ipv4

__all__ = ["aws", "characters", "dns", "ipv4"]

__getattr__, __dir__ = lazy_exports(__name__, __all__)
