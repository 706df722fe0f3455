"""The Amazon EBS CSI driver (an EKS managed add-on): volumes for PersistentVolumeClaims.

Its controller needs AWS rights to create, attach and delete EBS volumes: the AWS managed
policy written for it, through its own IRSA role."""

from __future__ import annotations

from .base import EksAddOn, IrsaSpec

AWS_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"

ADDON = EksAddOn(
    name="aws-ebs-csi-driver",
    irsa=IrsaSpec("ebs-csi", "kube-system", "ebs-csi-controller-sa", managed_policies=(AWS_MANAGED_POLICY,)),
)
