"""What every construct of a GitOps tree shares: :class:`TreeConstruct` (a construct that owns
files of its cluster's tree), the folder helper that writes one object per file plus the
folder's ``kustomization.yaml``, and :class:`ConstructError`, the error every constructor check
raises (it names the construct, the value and the fix). The constructs are plain Python
(``tree_node.py``: no jsii, no Node.js)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..plan.base import parse_quantity
from .tree_node import Construct, ConstructError, check_scope
from .yaml_out import dump

if TYPE_CHECKING:
    from .gitops_tree import GitOpsTree

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def check_dns_label(construct: str, prop: str, value: object) -> str:
    """A Kubernetes object or namespace name (RFC 1123 label: what the API server accepts)."""
    if not isinstance(value, str) or not DNS_LABEL.match(value):
        raise ConstructError(construct, f"{prop}={value!r} is not a DNS label", "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit")
    return value


def positive_quantity(value: object) -> bool:
    """A Kubernetes quantity above zero (``250m``, ``4Gi``), as a ResourceQuota or a container's requests take it."""
    try:
        return parse_quantity(value) > 0  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


def kustomization(resources: list[str]) -> str:
    return dump({"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "resources": sorted(resources)})


def folder_files(path: str, objects: Mapping[str, dict], includes: tuple[str, ...] = ()) -> dict[str, str]:
    """One folder of the tree: each object in its own file and a kustomization listing the
    files and the sub-folders ``includes`` (sorted, so the order of composition never shows)."""
    files = {f"{path}/{name}": dump(obj) for name, obj in objects.items()}
    files[f"{path}/kustomization.yaml"] = kustomization([*objects, *includes])
    return files


def check_objects(construct: str, prop: str, objects: Mapping[str, Any], *, reserved: tuple[str, ...] = ("kustomization.yaml",)) -> dict[str, dict]:
    """Extra objects a construct ships in its folder: file name -> one Kubernetes object."""
    out = {}
    for name, obj in objects.items():
        if not isinstance(name, str) or not name.endswith(".yaml") or "/" in name or name in reserved:
            raise ConstructError(construct, f"{prop} file name {name!r} is not allowed", f"name each object file '<name>.yaml' in the folder, other than {', '.join(reserved)}")
        if not isinstance(obj, Mapping) or not obj.get("apiVersion") or not obj.get("kind") or not (obj.get("metadata") or {}).get("name"):
            raise ConstructError(construct, f"{prop}[{name!r}] is not a Kubernetes object", "give a mapping with apiVersion, kind and metadata.name")
        out[name] = dict(obj)
    return out


class TreeConstruct(Construct):
    """A construct that owns part of its cluster's GitOps tree.

    ``files()`` gives its files (path relative to the cluster folder -> text); ``entries()`` the
    lines it adds to the tree's shared kustomizations (folder, resource), e.g. a namespace's
    folder in ``bootstrap/namespaces``. Both are computed when the tree synthesizes, so a
    construct may read what was composed after it (the ArgoCD roots list every app).

    A subclass calls ``super().__init__(scope, id)``: it tells the tree a construct was added
    (:meth:`GitOpsTree.composed`), which keeps the tree's list of its constructs current."""

    def __init__(self, scope: Construct, id: str):
        super().__init__(scope, id)
        self._tree = tree_of(scope, id)
        self._tree.composed(self, scope)

    def files(self) -> dict[str, str]:
        return {}

    def entries(self) -> tuple[tuple[str, str], ...]:
        return ()

    @property
    def tree(self) -> GitOpsTree:
        """The :class:`GitOpsTree` this construct belongs to (found once: a construct never moves)."""
        if "_tree" not in self.__dict__:
            self._tree = tree_of(self, self.node.path)
        return self._tree


def tree_of(scope: Construct | None, construct: str) -> GitOpsTree:
    """The :class:`GitOpsTree` at or above ``scope`` (a construct of the tree must be created in one)."""
    check_scope(construct, scope)
    while scope is not None:
        if getattr(scope, "is_gitops_tree", False):
            return scope  # type: ignore[return-value]
        scope = scope.node.scope
    raise ConstructError(construct, "is not inside a GitOpsTree", "create it with a GitOpsTree (or one of its constructs) as scope")
