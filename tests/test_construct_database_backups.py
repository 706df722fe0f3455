"""The DatabaseBackupReplication construct alone, aws-cdk style: in an empty cdktf stack with
hand-written props (no plan), what it synthesizes, and a refusal per check."""

from __future__ import annotations

import pytest

from construct_stack import ACCOUNT, REGION, stack, synth
from constructs_lib.terraform.aws import AwsProvider
from constructs_lib.terraform.database import Database
from constructs_lib.terraform.database_backups import DatabaseBackupReplication, DatabaseBackupReplicationProps
from constructs_lib.terraform.engine import cdktf
from constructs_lib.terraform.kms_key import EncryptionKey
from constructs_lib.terraform.props import ConstructPropsError, ExistingNetwork
from tfjson import one, resources

SOURCE = f"arn:aws:rds:eu-central-1:{ACCOUNT}:db:orders"  # another region than the stack's (REGION)
NET = ExistingNetwork(vpc_id="vpc-0abc", database_subnet_group_name="orders-db")


def test_defaults_copy_for_a_week_under_a_key_of_their_own() -> None:
    s = stack()
    DatabaseBackupReplication(s, "backups", source_arn=SOURCE)
    out = synth(s)
    copies = resources(out, "aws_db_instance_automated_backups_replication")
    # the construct's default child: its Terraform address is the construct id
    assert list(copies) == ["backups"]
    copy = copies["backups"]
    assert copy["source_db_instance_arn"] == SOURCE and copy["retention_period"] == 7
    assert copy["kms_key_id"].startswith("${aws_kms_key.backups_kms_key_")
    assert one(out, "aws_kms_alias")["name"] == "alias/orders-rds-backups"
    assert one(out, "aws_kms_key")["enable_key_rotation"] is True and f"arn:aws:iam::{ACCOUNT}:root" in one(out, "aws_kms_key")["policy"]


def test_a_database_of_another_region_s_stack_is_named_by_its_arn() -> None:
    app = cdktf.Testing.app()
    primary, secondary = cdktf.TerraformStack(app, "primary"), cdktf.TerraformStack(app, "secondary")
    AwsProvider(primary, "aws", region="eu-central-1", allowed_account_ids=[ACCOUNT])
    AwsProvider(secondary, "aws", region=REGION, allowed_account_ids=[ACCOUNT])
    db = Database(primary, "orders", network=NET)
    copies = DatabaseBackupReplication(secondary, "copies", DatabaseBackupReplicationProps(source=db, retention_days=35, key_alias="orders-copies"))
    out = synth(secondary)
    copy = one(out, "aws_db_instance_automated_backups_replication")
    assert copy["source_db_instance_arn"] == SOURCE == copies.source_arn  # a literal: no stack reads the other's state
    assert copy["retention_period"] == 35 and "terraform_remote_state" not in out.get("data", {})
    assert one(out, "aws_kms_alias")["name"] == "alias/orders-copies"


def test_a_key_given_is_used_and_none_is_made() -> None:
    s = stack()
    key = EncryptionKey(s, "backups_kms", alias="shop-rds-backups", description="copies", account_id=ACCOUNT)
    DatabaseBackupReplication(s, "with_construct", source_arn=SOURCE, kms_key=key)
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    DatabaseBackupReplication(s, "with_arn", source_arn=SOURCE, kms_key=arn)
    DatabaseBackupReplication(s, "with_reference", source_arn=SOURCE, kms_key=key.key.ref("arn"))  # a reference is taken as it is
    out = synth(s)
    copies = resources(out, "aws_db_instance_automated_backups_replication")
    assert copies["with_construct"]["kms_key_id"].startswith("${aws_kms_key.backups_kms_key_") and copies["with_arn"]["kms_key_id"] == arn
    assert copies["with_reference"]["kms_key_id"] == copies["with_construct"]["kms_key_id"]
    assert len(resources(out, "aws_kms_key")) == 1


OTHER_STACK_KEY = "other stack's key"

REFUSED = [
    ({"source_arn": None}, "source", "give the instance once"),
    ({"source": "orders"}, "source", "give the instance once"),  # both
    ({"source_arn": None, "source": "orders"}, "source", "not a Database"),
    ({"source_arn": "arn:aws:rds:eu-central-1:111122223333:cluster:orders"}, "source_arn", "not an RDS DB instance ARN"),
    ({"source_arn": "arn:aws:rds:eu-central-1:111122223333:db:Orders_DB"}, "source_arn", "not an RDS DB instance ARN"),
    ({"source_arn": "arn:aws-cn:rds:cn-north-1:111122223333:db:orders"}, "source_arn", "not an RDS DB instance ARN"),
    ({"source_arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders"}, "source_arn", "another region only"),
    ({"source_arn": "arn:aws:rds:eu-central-1:444455556666:db:orders"}, "source_arn", "within one account"),
    ({"retention_days": 0}, "retention_days", "1 to 35"),
    ({"retention_days": 36}, "retention_days", "1 to 35"),
    ({"retention_days": True}, "retention_days", "1 to 35"),
    ({"kms_key": f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/1234abcd"}, "kms_key", f"a KMS key in {REGION}"),
    ({"kms_key": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/backups"}, "kms_key", f"a KMS key in {REGION}"),
    ({"kms_key": 42}, "kms_key", "neither an EncryptionKey nor a key ARN"),
    ({"kms_key": OTHER_STACK_KEY}, "kms_key", "never read each other's"),
    ({"kms_key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd", "key_alias": "copies"}, "key_alias", "kms_key is given"),
    ({"key_alias": "alias/copies"}, "key_alias", "without alias/"),
]


@pytest.mark.parametrize(("props", "prop", "problem"), REFUSED)
def test_what_rds_or_kms_refuse_is_refused(props: dict, prop: str, problem: str) -> None:
    s = stack()
    if props.get("kms_key") == OTHER_STACK_KEY:
        props = {**props, "kms_key": EncryptionKey(stack(), "key", alias="other", description="elsewhere", account_id=ACCOUNT)}
    with pytest.raises(ConstructPropsError) as info:
        DatabaseBackupReplication(s, "backups", **{"source_arn": SOURCE, **props})
    assert info.value.prop == prop and problem in info.value.problem and info.value.fix
    assert str(info.value).startswith("DatabaseBackupReplication 'test/backups': ")


def test_a_database_of_this_stack_is_in_this_region_and_refused() -> None:
    s = stack()
    db = Database(s, "orders", network=NET)
    with pytest.raises(ConstructPropsError) as info:
        DatabaseBackupReplication(s, "backups", source=db)
    assert info.value.prop == "source" and f"in {REGION}, this stack's region" in info.value.problem


def test_the_account_and_region_come_from_the_props_or_the_provider() -> None:
    with pytest.raises(ConstructPropsError) as info:
        DatabaseBackupReplication(stack(provider=False), "backups", source_arn=SOURCE)
    assert info.value.prop == "account_id"
    s = stack(provider=False)
    DatabaseBackupReplication(s, "backups", source_arn=SOURCE, account_id=ACCOUNT, region=REGION)
    assert one(synth(s), "aws_db_instance_automated_backups_replication")["source_db_instance_arn"] == SOURCE
