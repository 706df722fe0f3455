"""AWS Load Balancer Controller: provisions the Network Load Balancer of ingress-nginx's Service
(the in-tree cloud controller ignores ``aws-load-balancer-scheme`` and target-type annotations).

Pods cannot reach the instance metadata service (IMDSv2, hop limit 1 on every node), so the
controller is told its region and finds its VPC by the VPC's ``Name`` tag (``--aws-vpc-tags``),
which the network construct sets to the resolved network name. Its webhook certificate comes from
cert-manager: ArgoCD renders charts without Helm's ``lookup``, so the chart's self-generated
certificate would change at every render.

Least privilege, written for what infraplan uses (Network Load Balancers for Services, no ALB
Ingress, no WAF, Shield, Cognito or ACM): read-only describes (which take no resource), and every
change limited to load balancers, target groups and security groups tagged
``elbv2.k8s.aws/cluster=<this cluster>`` — the shared cluster's controller cannot touch the
load balancers of a dedicated tenant cluster in the same account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..resolve import names
from .base import AddOn, AddOnContext, AddOnSettings, IrsaPolicyInputs, IrsaSpec, PodPlacement, PolicyStatement
from .kube_prometheus_stack import prometheus_selector_labels

if TYPE_CHECKING:
    from ..plan.platform import PlatformPlan

SERVICE_ACCOUNT = "aws-load-balancer-controller"
LOAD_BALANCER_CLASS = "service.k8s.aws/nlb"  # Services of this class are the controller's (the in-tree controller skips them)
CLUSTER_TAG = "elbv2.k8s.aws/cluster"  # the controller tags what it creates with it, value: the cluster name

DESCRIBE = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:DescribeRouteTables",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeCapacityReservation",
)


# What the controller may do to a load balancer or target group it created (tagged with its cluster).
OWN_LOAD_BALANCER_ACTIONS = (
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:ModifyCapacityReservation",
)


def statements(inputs: IrsaPolicyInputs) -> tuple[PolicyStatement, ...]:
    cluster = inputs.cluster_name
    assert cluster and inputs.region, "the controller's policy names its cluster and region"
    def elb(resource: str) -> str:
        return names.arn("elasticloadbalancing", inputs.region, inputs.account_id, resource)

    sg = names.arn("ec2", inputs.region, inputs.account_id, "security-group/*")
    nlb, target_groups, listeners = elb("loadbalancer/net/*/*"), elb("targetgroup/*/*"), elb("listener/net/*/*/*")
    ours = ("StringEquals", f"aws:ResourceTag/{CLUSTER_TAG}", (cluster,))
    tagging_ours = ("StringEquals", f"aws:RequestTag/{CLUSTER_TAG}", (cluster,))
    return (
        PolicyStatement("Describe", DESCRIBE, ("*",)),
        PolicyStatement(
            "ServiceLinkedRole", ("iam:CreateServiceLinkedRole",), ("*",), (("StringEquals", "iam:AWSServiceName", (names.service_principal("elasticloadbalancing"),)),)
        ),
        # Security groups: created tagged as this cluster's, then changed only while so tagged.
        PolicyStatement("CreateSecurityGroup", ("ec2:CreateSecurityGroup",), (names.arn("ec2", inputs.region, inputs.account_id, "vpc/*"), sg)),
        PolicyStatement("TagNewSecurityGroup", ("ec2:CreateTags",), (sg,), (("StringEquals", "ec2:CreateAction", ("CreateSecurityGroup",)), tagging_ours)),
        PolicyStatement("OwnSecurityGroups", ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "ec2:CreateTags", "ec2:DeleteTags"), (sg,), (ours,)),
        # The cluster's own security group (EKS tags it with the cluster name): rules letting the load balancer reach the pods.
        PolicyStatement(
            "ClusterSecurityGroupRules",
            ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"),
            (sg,),
            (("StringEquals", "aws:ResourceTag/aws:eks:cluster-name", (cluster,)),),
        ),
        # Load balancers and target groups: created with this cluster's tag, changed only while tagged so.
        PolicyStatement("CreateLoadBalancers", ("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"), (nlb, target_groups), (tagging_ours,)),
        PolicyStatement(
            "TagOnCreate",
            ("elasticloadbalancing:AddTags",),
            (nlb, target_groups),
            (("StringEquals", "elasticloadbalancing:CreateAction", ("CreateLoadBalancer", "CreateTargetGroup")), tagging_ours),
        ),
        PolicyStatement(
            "OwnLoadBalancers",
            OWN_LOAD_BALANCER_ACTIONS,
            (nlb, target_groups),
            (ours,),
        ),
        # Listeners carry no tag of their own: those of Network Load Balancers in this account and region.
        PolicyStatement(
            "NlbListeners",
            ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:AddTags"),
            (listeners,),
        ),
    )


def values(ctx: AddOnContext) -> dict[str, Any]:
    assert ctx.vpc_name, "the controller finds its VPC by Name tag: the resolved network name"
    role = ctx.irsa("aws-load-balancer-controller")
    monitored = ctx.has("kube-prometheus-stack")
    n = 2 if ctx.tier != "development" else 1  # leader election: a second replica takes over at once
    out: dict[str, Any] = {
        "clusterName": ctx.cluster_name,
        "region": ctx.region,  # IMDS is out of reach of pods (hop limit 1)
        "vpcTags": {"Name": ctx.vpc_name},
        "replicaCount": n,
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": {"eks.amazonaws.com/role-arn": role.role_arn} if role else {}},
        "enableCertManager": True,
        # Services only: no ALB IngressClass, no legacy ingress.class annotation (so no ALB, WAF or Shield rights needed).
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        "disableIngressClassAnnotation": True,
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        # Services name the controller by loadBalancerClass: no webhook (failurePolicy Fail) on every Service creation.
        "enableServiceMutatorWebhook": False,
        "serviceMonitor": {"enabled": True, "additionalLabels": prometheus_selector_labels()} if monitored else {"enabled": False},
    }
    if n > 1:
        out["podDisruptionBudget"] = {"maxUnavailable": 1}
    return out


@dataclass(frozen=True)
class LoadBalancerControllerSettings(AddOnSettings):
    """What Services need of the AWS Load Balancer Controller."""

    load_balancer_class: str
    """The ``loadBalancerClass`` of the Services it makes Network Load Balancers for."""


def settings(ctx: AddOnContext) -> tuple[LoadBalancerControllerSettings, str]:
    return LoadBalancerControllerSettings(load_balancer_class=LOAD_BALANCER_CLASS), (
        f"Network Load Balancers for Services of class {LOAD_BALANCER_CLASS} in VPC Name={ctx.vpc_name}, {ctx.region}; "
        "webhook certificate from cert-manager; IAM limited to resources tagged with this cluster"
    )


def enabled(platform: PlatformPlan) -> bool:
    return "aws-load-balancer-controller" in platform.components


ADDON = AddOn(
    name="aws-load-balancer-controller",
    values_by_series={"3": values},
    enabled=enabled,
    irsa=IrsaSpec("aws-load-balancer-controller", "aws-load-balancer-controller", SERVICE_ACCOUNT, statements=statements),
    settings=settings,
    pods=(PodPlacement(""),),
)
