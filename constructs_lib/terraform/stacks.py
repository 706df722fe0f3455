"""The Terraform stacks of a plan: a state bootstrap and a platform stack per
environment, and a stack per tenant × environment.

Stacks do not reference each other's state. A tenant stack finds what the
environment stack made by name (names come from the resolved model), so each
stack can be planned, applied and destroyed on its own and the blast radius of
a change is the stack it lives in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cdktf
from constructs import Construct

from ..resolve.model import ResolvedEnvironment, ResolvedStateBackend, ResolvedTenant
from .aws import AwsProvider
from .aws import vpc as vpc_l1
from .network import Network, NetworkProps
from .target import REAL_AWS, AwsTarget


@dataclass(frozen=True)
class EnvironmentStackProps:
    environment: ResolvedEnvironment
    target: AwsTarget = REAL_AWS


@dataclass(frozen=True)
class TenantStackProps:
    environment: ResolvedEnvironment
    tenant: ResolvedTenant
    target: AwsTarget = REAL_AWS


def configure_stack(stack: cdktf.TerraformStack, *, region: str, account_id: str, tags: dict[str, str], state: ResolvedStateBackend | None, target: AwsTarget) -> AwsProvider:
    """Provider (pinned, default tags, account guard) and S3 backend for a stack."""
    provider = AwsProvider(
        stack,
        "aws",
        region=region,
        allowed_account_ids=[account_id],
        default_tags=[{"tags": dict(sorted(tags.items()))}],
        **target.provider_settings(),
    )
    if state is not None:
        cdktf.S3Backend(
            stack,
            bucket=state.bucket,
            key=state.key,
            region=state.region,
            encrypt=True,
            dynamodb_table=state.lock_table,
        )
        if state.use_lockfile:
            stack.add_override("terraform.backend.s3.use_lockfile", True)
        for key, value in target.backend_settings().items():
            stack.add_override(f"terraform.backend.s3.{key}", value)
    return provider


class EnvironmentStack(cdktf.TerraformStack):
    """The shared platform of one environment: network, cluster, database."""

    def __init__(self, scope: Construct, id: str, props: EnvironmentStackProps):
        super().__init__(scope, id)
        env = props.environment
        configure_stack(self, region=env.region, account_id=env.account_id, tags=env.tag_map, state=env.state, target=props.target)
        self.network = Network(self, "network", NetworkProps(env.network, env.region, env.cluster.name))
        cdktf.TerraformOutput(self, "vpc_id", value=self.network.vpc.id_ref)
        cdktf.TerraformOutput(self, "private_subnet_ids", value=[s.id_ref for s in self.network.private_subnets])


class TenantStack(cdktf.TerraformStack):
    """One tenant in one environment."""

    def __init__(self, scope: Construct, id: str, props: TenantStackProps):
        super().__init__(scope, id)
        env, tenant = props.environment, props.tenant
        configure_stack(self, region=env.region, account_id=env.account_id, tags=tenant.tag_map, state=tenant.state, target=props.target)
        if tenant.network is not None:
            self.network = Network(self, "network", NetworkProps(tenant.network, env.region, tenant.cluster_name))
            vpc_id = self.network.vpc.id_ref
        else:
            shared = vpc_l1.DataVpc(self, "shared_vpc", tags={"Name": env.network.name})
            vpc_id = shared.ref("id")
        cdktf.TerraformOutput(self, "vpc_id", value=vpc_id)
