"""RDS family: DB instance (resource and data source), subnet group, parameter group."""

from __future__ import annotations

from .base import AwsDataSource, AwsResource


class DbInstance(AwsResource):
    resource_type = "aws_db_instance"


class DbSubnetGroup(AwsResource):
    resource_type = "aws_db_subnet_group"


class DbParameterGroup(AwsResource):
    resource_type = "aws_db_parameter_group"


class DbInstanceAutomatedBackupsReplication(AwsResource):
    resource_type = "aws_db_instance_automated_backups_replication"



class DataDbInstance(AwsDataSource):
    data_type = "aws_db_instance"
