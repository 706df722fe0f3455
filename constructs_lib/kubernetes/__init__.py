"""The GitOps renderer: Kubernetes manifests from the resolved model, as files.

Public names are imported on first use (``constructs_lib/_lazy.py`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .argocd_bootstrap import ArgoCdBootstrap
    from .gitops_tree import GitOpsTree
    from .helm_addon import HelmAddOn
    from .kustomize_app import KustomizeApp
    from .platform_objects import DatabaseBootstrap, ManifestComponent, ObjectFolder
    from .tenant_namespace import Tenant, TenantNamespace, TenantProject
    from .tree import build_tree, render_cluster, render_environment
    from .tree_base import ConstructError, TreeConstruct

__all__ = [
    "ArgoCdBootstrap",
    "ConstructError",
    "DatabaseBootstrap",
    "GitOpsTree",
    "HelmAddOn",
    "KustomizeApp",
    "ManifestComponent",
    "ObjectFolder",
    "Tenant",
    "TenantNamespace",
    "TenantProject",
    "TreeConstruct",
    "build_tree",
    "render_cluster",
    "render_environment",
]
__getattr__, __dir__ = lazy_exports(__name__, __all__)
