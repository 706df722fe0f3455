"""Start ``moto_server`` with the fixes infraplan's stacks need to apply and converge.

Each patch below closes one gap where moto answers differently from AWS and
Terraform would otherwise fail or plan a change forever. Nothing is added that
AWS does not do; docs/deploy.md lists them.

1. Bucket policies (the state bucket needs it):

moto 5 evaluates only the ``StringEquals`` condition operator in bucket
policies and treats every other condition as matching. The state bucket's
TLS-only statement (``Deny s3:* if Bool aws:SecureTransport = false``) would
therefore deny *every* object write, and the S3 backend could never store
state. Real S3 endpoints are TLS-only, so this launcher evaluates ``Bool``
conditions with the request context ``aws:SecureTransport = true`` and lets a
Deny whose condition does not hold stay neutral (as AWS does). It also
evaluates ``StringNotEquals`` (true when the key is absent, as in AWS) with an
object write's encryption headers as ``s3:x-amz-server-side-encryption`` and
``s3:x-amz-server-side-encryption-aws-kms-key-id``, taken as sent (AWS compares
the key it resolves), so the state bucket's deny of non-KMS writes is enforced.
2. EKS CreateCluster drops ``accessConfig`` and ``upgradePolicy`` and reports no cluster
   security group; AWS stores the former two (``upgradePolicy.supportType`` defaults to
   EXTENDED) and creates the latter (so a rule can reference it).
3. EKS CreateNodegroup invents ``remoteAccess {ec2SshKey: eksKeypair}`` when none
   is given and drops ``updateConfig``; AWS does neither.
4. RDS DescribeDBParameters omits ``Source``; AWS marks parameters set by the
   user with ``Source = user`` (the provider reads only those back).
5. EC2 CreateLaunchTemplate copies the template's own tags (resource type
   ``launch-template``) into the launch template *data*; AWS does not.
6. EC2 DescribeSecurityGroupRules drops the description of a rule that
   references a security group; AWS returns it.
7. CloudWatch Logs AssociateKmsKey / DisassociateKmsKey are not implemented (HTTP 500);
   AWS sets or removes the group's key (the provider calls them when a group it
   adopted, e.g. one EKS re-created, gets its key again).
8. Budgets DescribeSubscribersForNotification and the budget tag calls (TagResource,
   UntagResource, ListTagsForResource, CreateBudget's ``ResourceTags``) are not
   implemented; AWS returns a notification's subscribers and a budget's tags (the
   provider reads both back after every apply, ``infraplan verify`` the subscribers).

Usage (same arguments as ``moto_server``)::

    MOTO_ACCOUNT_ID=111111111111 MOTO_IAM_LOAD_MANAGED_POLICIES=true \\
        .venv/bin/python tests/deploy/moto_launcher.py -H 127.0.0.1 -p 4566
"""

from __future__ import annotations

import contextvars
import sys

SECURE_TRANSPORT = "true"
# An object request's encryption headers, as S3's condition keys, while moto handles it.
_REQUEST_CONTEXT: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("s3_request_context", default={})
SSE_CONDITION_KEYS = ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id")


def _bool_operation(expected, actual) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return str(actual).lower() in {str(v).lower() for v in values}


def _string_not_equals_operation(expected, actual) -> bool:
    return actual not in (expected if isinstance(expected, list) else [expected])


def patch_moto() -> None:
    from moto.iam import access_control, policy_conditions
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    from moto.s3.responses import S3Response

    policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_operation)
    policy_conditions.CONDITION_OPERATIONS.setdefault("StringNotEquals", _string_not_equals_operation)
    key_response = S3Response._key_response

    def _key_response(self, request, full_url):
        headers = {k.lower(): v for k, v in request.headers.items()}
        token = _REQUEST_CONTEXT.set({f"s3:{h}": headers[h] for h in SSE_CONDITION_KEYS if h in headers})
        try:
            return key_response(self, request, full_url)
        finally:
            _REQUEST_CONTEXT.reset(token)

    S3Response._key_response = _key_response
    original_check = IAMPolicyStatement._check_conditions
    original_permitted = IAMPolicyStatement.is_action_permitted

    def _check_conditions(self, incoming_condition_values=None):
        context = {"aws:SecureTransport": SECURE_TRANSPORT, **_REQUEST_CONTEXT.get(), **(incoming_condition_values or {})}
        return original_check(self, context)

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        if self._statement.get("Effect") == "Deny" and self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
            return PermissionResult.NEUTRAL  # a Deny whose condition does not hold does not apply
        return original_permitted(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement._check_conditions = _check_conditions
    IAMPolicyStatement.is_action_permitted = is_action_permitted
    assert access_control.IAMPolicyStatement is IAMPolicyStatement
    _patch_eks()
    _patch_rds()
    _patch_ec2()
    _patch_logs()
    _patch_budgets()


def _patch_logs() -> None:
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    def _group(response):
        group = response.logs_backend.groups.get(response._get_param("logGroupName"))
        if group is None:
            raise ResourceNotFoundException()
        return group

    def associate_kms_key(self) -> str:
        _group(self).kms_key_id = self._get_param("kmsKeyId")
        return ""

    def disassociate_kms_key(self) -> str:
        _group(self).kms_key_id = None
        return ""

    LogsResponse.associate_kms_key = associate_kms_key
    LogsResponse.disassociate_kms_key = disassociate_kms_key


def _patch_budgets() -> None:
    import json

    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.responses import BudgetsResponse

    tags: dict[str, list[dict]] = {}  # budget ARN -> [{Key, Value}]
    create = BudgetsResponse.create_budget

    def _budget(response, account_id: str, name: str):
        budget = response.backend.budgets[account_id].get(name)
        if budget is None:
            raise NotFoundException(f"Unable to get budget: {name} - the budget doesn't exist.")
        return budget

    def _arn(account_id: str, name: str) -> str:
        return f"arn:aws:budgets::{account_id}:budget/{name}"

    def _merge(arn: str, new: list[dict]) -> None:
        kept = {t["Key"]: t["Value"] for t in tags.get(arn, [])}
        kept.update({t["Key"]: t["Value"] for t in new})
        tags[arn] = [{"Key": k, "Value": v} for k, v in kept.items()]

    def create_budget(self) -> str:
        result = create(self)
        budget = self._get_param("Budget")
        _merge(_arn(self._get_param("AccountId"), budget["BudgetName"]), self._get_param("ResourceTags") or [])
        return result

    def describe_subscribers_for_notification(self) -> str:
        budget = _budget(self, self._get_param("AccountId"), self._get_param("BudgetName"))
        wanted = self._get_param("Notification")
        same = lambda n: all(n.get(k) == wanted.get(k) for k in ("NotificationType", "ComparisonOperator")) and float(n.get("Threshold")) == float(wanted.get("Threshold"))  # noqa: E731
        found = next((n for n in budget.notifications if same(n.details)), None)
        if found is None:
            raise NotFoundException("Unable to get subscribers - the notification doesn't exist.")
        return json.dumps({"Subscribers": found.subscribers})

    def _arn_parts(arn: str) -> tuple[str, str]:
        account_id, _, name = arn.split(":", 4)[4].partition(":budget/")
        return account_id, name

    def list_tags_for_resource(self) -> str:
        arn = self._get_param("ResourceARN")
        _budget(self, *_arn_parts(arn))
        return json.dumps({"ResourceTags": tags.get(arn, [])})

    def tag_resource(self) -> str:
        arn = self._get_param("ResourceARN")
        _budget(self, *_arn_parts(arn))
        _merge(arn, self._get_param("ResourceTags") or [])
        return "{}"

    def untag_resource(self) -> str:
        arn = self._get_param("ResourceARN")
        drop = set(self._get_param("ResourceTagKeys") or [])
        tags[arn] = [t for t in tags.get(arn, []) if t["Key"] not in drop]
        return "{}"

    BudgetsResponse.create_budget = create_budget
    BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification
    BudgetsResponse.list_tags_for_resource = list_tags_for_resource
    BudgetsResponse.tag_resource = tag_resource
    BudgetsResponse.untag_resource = untag_resource


def _patch_ec2() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ec2.responses.launch_templates import LaunchTemplates

    create = LaunchTemplates.create_launch_template

    def create_launch_template(self):
        result = create(self)
        template = self.ec2_backend.launch_template_name_to_ids.get(self._get_param("LaunchTemplateName"))
        template = self.ec2_backend.launch_templates.get(template) if template else None
        for version in template.versions if template else []:
            specs = version.data.get("TagSpecifications")
            if specs:
                version.data["TagSpecifications"] = [t for t in specs if t.get("ResourceType") != "launch-template"]
        return result

    LaunchTemplates.create_launch_template = create_launch_template
    SecurityGroupRule.description = property(lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description"))


def _patch_eks() -> None:
    from moto.eks import models
    from moto.eks.responses import EKSResponse

    create_cluster = EKSResponse.create_cluster
    create_nodegroup = EKSResponse.create_nodegroup

    def eks_create_cluster(self):
        result = create_cluster(self)
        cluster = self.eks_backend.clusters[self._get_param("name")]
        access = self._get_param("accessConfig") or {}
        cluster.access_config = {
            "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": access.get("bootstrapClusterCreatorAdminPermissions", True),
        }
        cluster.upgrade_policy = {"supportType": (self._get_param("upgradePolicy") or {}).get("supportType", "EXTENDED")}
        _add_cluster_security_group(self, cluster)
        return result

    def eks_create_nodegroup(self):
        result = create_nodegroup(self)
        group = self.eks_backend.clusters[self._get_param("name")].nodegroups[self._get_param("nodegroupName")]
        if self._get_param("remoteAccess") is None:
            group.remote_access = None
        if self._get_param("updateConfig"):
            group.update_config = self._get_param("updateConfig")
        return result

    def _add_cluster_security_group(response, cluster) -> None:
        from moto.ec2.models import ec2_backends

        vpc_config = cluster.resources_vpc_config
        ec2 = ec2_backends[response.current_account][response.region]
        subnet_ids = vpc_config.get("subnetIds") or []
        if not subnet_ids:
            return
        vpc_id = ec2.get_subnet(subnet_ids[0]).vpc_id
        group = ec2.create_security_group(
            name=f"eks-cluster-sg-{cluster.name}", description="EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.", vpc_id=vpc_id
        )
        vpc_config["clusterSecurityGroupId"] = group.id
        vpc_config["vpcId"] = vpc_id
        vpc_config.setdefault("securityGroupIds", [])

    delete_cluster = models.EKSBackend.delete_cluster

    def eks_delete_cluster(self, name):
        cluster = self.clusters.get(name)
        sg = cluster.resources_vpc_config.get("clusterSecurityGroupId") if cluster else None
        result = delete_cluster(self, name)
        if sg:  # AWS deletes the cluster security group with the cluster
            from moto.ec2.models import ec2_backends

            try:
                ec2_backends[self.account_id][self.region_name].delete_security_group(group_id=sg)
            except Exception:
                pass
        return result

    EKSResponse.create_cluster = eks_create_cluster
    EKSResponse.create_nodegroup = eks_create_nodegroup
    models.EKSBackend.delete_cluster = eks_delete_cluster


def _patch_rds() -> None:
    from moto.rds.responses import RDSResponse

    describe = RDSResponse.describe_db_parameters

    def describe_db_parameters(self):
        result = describe(self)
        source = self.params.get("Source")
        for param in result.result["Parameters"] if hasattr(result, "result") else []:
            if isinstance(param, dict):
                param.setdefault("Source", "user")
        if source and source != "user" and hasattr(result, "result"):
            result.result["Parameters"] = []
        return result

    RDSResponse.describe_db_parameters = describe_db_parameters


def main(argv: list[str] | None = None) -> None:
    patch_moto()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
