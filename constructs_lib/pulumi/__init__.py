"""The Pulumi renderer: the cluster bootstrap as a ``pulumi.ComponentResource`` (``cluster_bootstrap.py``).
Importing it imports the Pulumi SDKs (only the Pulumi path needs them)."""

from .cluster_bootstrap import COMPONENT_TYPE, BootstrapPropsError, ClusterBootstrap

__all__ = ["BootstrapPropsError", "COMPONENT_TYPE", "ClusterBootstrap"]
