"""A platform composed in Python, without a plan: VPC, EKS and RDS as Terraform (through cdktf or
CDK Terrain, whichever infraplan runs on) with an EKS managed add-on of the user's choice, and the
cluster's GitOps tree with ArgoCD and two add-ons.

    .venv/bin/python examples/platform_in_python.py OUT
    # OUT/terraform/stacks/shop/cdk.tf.json   -> terraform -chdir=... init && plan
    # OUT/kubernetes/shop/...                 -> commit to the GitOps repository

Every construct checks its props and holds the security floor itself (private API endpoint,
encrypted storage, TLS-only database reachable from the cluster's nodes only); tests/test_examples.py
runs this script and validates what it writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from constructs_lib.kubernetes.gitops_tree import GitOpsTree
from constructs_lib.terraform.aws import AwsProvider
from constructs_lib.terraform.cluster import Cluster, NodeGroup
from constructs_lib.terraform.database import Database
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.network import Network

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def terraform(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = cdktf.App(outdir=str(out))
    stack = cdktf.TerraformStack(app, "shop")
    AwsProvider(stack, "aws", region=REGION, allowed_account_ids=[ACCOUNT])  # the account and region of every construct
    net = Network(stack, "shop", cidr="10.40.0.0/16", azs=(f"{REGION}a", f"{REGION}b"), nat="single")
    eks = Cluster(
        stack,
        "shop-eks",
        network=net,
        admin_principal_arns=(f"arn:aws:iam::{ACCOUNT}:role/platform-admin",),
        node_groups=(NodeGroup(name="general", instance_types=("m7g.large",)),),
    )
    eks.add_addon("metrics-server")  # an EKS managed add-on, at the version EKS marks default for the cluster's Kubernetes version
    Database(stack, "shop-pg", network=net, clients=[eks], multi_az=True)  # PostgreSQL 5432 from the cluster's nodes only
    app.synth()


def gitops(out: Path) -> None:
    tree = GitOpsTree(None, "shop", repo_url="https://git.example.com/acme/platform.git", environment="dev")
    tree.add_argocd(admin_groups=["platform-admins"])
    tree.add_addon("cert-manager", values={"crds": {"enabled": True}})
    tree.add_addon("ingress-nginx", values={"controller": {"replicaCount": 2}})
    tree.add_tenant("shop", namespaces=["shop"], developer_groups=["shop-devs"], ingress_namespace="ingress-nginx")
    tree.add_app(
        "storefront", namespace="shop", tenant="shop", image="ghcr.io/acme/storefront", tag="2.0.1", host="shop.dev.acme.example.com", ingress_class="nginx"
    )
    for name, text in tree.synth().items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main(out: Path) -> None:
    terraform(out / "terraform")
    gitops(out / "kubernetes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT")
    main(Path(sys.argv[1]))
