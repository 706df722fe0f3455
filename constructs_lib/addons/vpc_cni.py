"""The Amazon VPC CNI (an EKS managed add-on): pod networking, and the enforcement of
Kubernetes NetworkPolicies.

The GitOps tree gives every tenant namespace a default-deny policy and narrow allows
(DNS, the ingress controller, the database). The VPC CNI enforces NetworkPolicies only
when its network policy agent is on (``enableNetworkPolicy``, VPC CNI 1.14+); without it
every policy is accepted by the API server and does nothing."""

from __future__ import annotations

from .base import EksAddOn

ADDON = EksAddOn(name="vpc-cni", configuration={"enableNetworkPolicy": "true"})
