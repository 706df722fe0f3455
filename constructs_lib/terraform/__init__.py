"""Terraform rendering through cdktf core.

- :mod:`.aws`: L1 classes, one file per AWS resource family, that emit resources
  and data sources with the AWS provider's own attribute names (no prebuilt
  provider bindings).
- :mod:`.network`, :mod:`.cluster`, :mod:`.database`, :mod:`.database_backups`, :mod:`.state_backend`, :mod:`.dns`,
  :mod:`.budget`, :mod:`.grafana_admin`, :mod:`.tenant_database`: L2 constructs with their own
  flat keyword props, checked when built; :mod:`.stacks` maps the resolved model onto them.
- :mod:`.stacks`: the stacks of an environment and of a tenant.
- :mod:`.verify`: the live check (``infraplan verify``), one module per construct module it checks.

Public names are imported on first use (``constructs_lib/_lazy.py`` says why): importing
one module does not load them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .jsii_host import use_host

use_host()  # before any module here imports constructs or the engine, which starts jsii's Node runtime

if TYPE_CHECKING:
    from . import aws, policy
    from .budget import AccountBudget, AccountBudgetProps, CostAlert
    from .cluster import Cluster, ClusterProps, NodeGroup
    from .database import Database, DatabaseAdminAccess, DatabaseAdminAccessProps, DatabaseProps
    from .database_backups import DatabaseBackupReplication, DatabaseBackupReplicationProps
    from .dns import EnvironmentZone, EnvironmentZoneProps
    from .extensions import ExtensionError, StackContext
    from .grafana_admin import GrafanaAdminSecret, GrafanaAdminSecretProps
    from .kms_key import EncryptionKey
    from .log_group import EncryptedLogGroup
    from .network import Network, NetworkProps
    from .props import ConstructPropsError, ExistingNetwork, SecurityGroupPeer
    from .stacks import EnvironmentStack, EnvironmentStackProps, RegionalStack, RegionalStackProps, StateStack, StateStackProps, TenantStack, TenantStackProps
    from .state_backend import StateBackend, StateBackendProps
    from .target import AwsTarget
    from .tenant_database import ExistingDatabase, TenantDatabaseCredentials, TenantDatabaseCredentialsProps

__all__ = [
    "AccountBudget",
    "AccountBudgetProps",
    "AwsTarget",
    "Cluster",
    "ClusterProps",
    "ConstructPropsError",
    "CostAlert",
    "Database",
    "DatabaseAdminAccess",
    "DatabaseAdminAccessProps",
    "DatabaseBackupReplication",
    "DatabaseBackupReplicationProps",
    "DatabaseProps",
    "EncryptedLogGroup",
    "EncryptionKey",
    "EnvironmentStack",
    "EnvironmentStackProps",
    "EnvironmentZone",
    "EnvironmentZoneProps",
    "ExistingDatabase",
    "ExistingNetwork",
    "ExtensionError",
    "GrafanaAdminSecret",
    "GrafanaAdminSecretProps",
    "Network",
    "NetworkProps",
    "NodeGroup",
    "RegionalStack",
    "RegionalStackProps",
    "SecurityGroupPeer",
    "StackContext",
    "StateBackend",
    "StateBackendProps",
    "StateStack",
    "StateStackProps",
    "TenantDatabaseCredentials",
    "TenantDatabaseCredentialsProps",
    "TenantStack",
    "TenantStackProps",
    "aws",
    "policy",
]
__getattr__, __dir__ = lazy_exports(__name__, __all__)
