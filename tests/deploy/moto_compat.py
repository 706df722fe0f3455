"""What moto 5 cannot serve of the synthesized stacks, taken out before a deploy test.

Each entry names a resource type (or a resource matched by a predicate) and the
moto gap that makes ``terraform apply`` fail on it. The list is the test's only
departure from the synthesized JSON; ``docs/deploy.md`` explains each item, and
an item goes away when moto (or a construct) closes the gap.
"""

from __future__ import annotations

import json
from pathlib import Path

# resource type -> why moto cannot apply it
UNSUPPORTED_TYPES = {
    "aws_eks_addon": "moto has no CreateAddon/DescribeAddon (HTTP 404)",
    "aws_eks_access_entry": "moto has no CreateAccessEntry (HTTP 404)",
    "aws_eks_access_policy_association": "moto has no AssociateAccessPolicy (HTTP 404)",
}


# data source type -> why moto cannot read it (only the removed add-ons read it)
UNSUPPORTED_DATA = {
    "aws_eks_addon_version": "moto has no DescribeAddonVersions (HTTP 404)",
}

UNSUPPORTED_RESOURCES: dict = {}  # type -> (predicate(body), why); empty since the launcher adds the cluster security group


def strip_unsupported(stack_json: Path) -> list[str]:
    """Remove what moto cannot apply from ``cdk.tf.json`` in place; return the removed addresses."""
    doc = json.loads(stack_json.read_text())
    resources = doc.get("resource", {})
    removed: list[str] = []
    for rtype in list(resources):
        names = list(resources[rtype])
        for name in names:
            body = resources[rtype][name]
            drop = rtype in UNSUPPORTED_TYPES
            if rtype in UNSUPPORTED_RESOURCES:
                drop = drop or UNSUPPORTED_RESOURCES[rtype][0](body)
            if drop:
                del resources[rtype][name]
                removed.append(f"{rtype}.{name}")
        if not resources[rtype]:
            del resources[rtype]
    data = doc.get("data", {})
    for dtype in [t for t in data if t in UNSUPPORTED_DATA]:
        removed += [f"data.{dtype}.{name}" for name in data.pop(dtype)]
    if "data" in doc and not data:
        del doc["data"]
    gone = set(removed)
    for rtype, items in resources.items():
        for body in items.values():
            if "depends_on" in body:
                body["depends_on"] = [d for d in body["depends_on"] if d not in gone]
                if not body["depends_on"]:
                    del body["depends_on"]
    stack_json.write_text(json.dumps(doc, indent=2))
    return removed
