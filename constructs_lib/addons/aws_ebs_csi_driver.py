"""The Amazon EBS CSI driver (an EKS managed add-on): volumes for PersistentVolumeClaims.

Its controller needs AWS rights to create, attach and delete EBS volumes: the AWS managed
policy written for it, through its own IRSA role.

EKS clusters created at Kubernetes 1.30 or later have no default StorageClass (the in-tree
``gp2`` class is gone), so a claim that names none stays Pending forever. The driver ships
the cluster's default class: encrypted gp3, bound when the pod is scheduled (so the volume
lands in the pod's zone), expandable; in production a released volume is retained."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..resolve import names
from .base import EksAddOn, IrsaSpec, PodPlacement
from .manifests import LABELS

if TYPE_CHECKING:
    from ..resolve.gitops import ClusterGitOps

AWS_MANAGED_POLICY = names.aws_managed_policy_arn("service-role/AmazonEBSCSIDriverPolicy")
PROVISIONER = "ebs.csi.aws.com"
DEFAULT_STORAGE_CLASS = "gp3-encrypted"
"""The default StorageClass every chart's claims name explicitly."""


def reclaim_policy(tier: str) -> str:
    return "Retain" if tier == "production" else "Delete"


def storage_class(g: ClusterGitOps) -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": DEFAULT_STORAGE_CLASS,
            "labels": LABELS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true", "argocd.argoproj.io/sync-wave": str(g.waves["storage"])},
        },
        "provisioner": PROVISIONER,
        "parameters": {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"},
        "reclaimPolicy": reclaim_policy(g.tier),
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def config_objects(g: ClusterGitOps) -> dict[str, dict]:
    return {f"storageclass-{DEFAULT_STORAGE_CLASS}.yaml": storage_class(g)}


ADDON = EksAddOn(
    name="aws-ebs-csi-driver",
    irsa=IrsaSpec("ebs-csi", "kube-system", "ebs-csi-controller-sa", managed_policies=(AWS_MANAGED_POLICY,)),
    config_objects=config_objects,
    # The controller Deployment; the node DaemonSet already tolerates every taint (node.tolerateAllTaints).
    pods=(PodPlacement("controller"),),
)
