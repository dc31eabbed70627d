"""OrdersTable: the purchase orders in DynamoDB, on demand, encrypted with the stack key, indexed by status."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged

# The table's key and status index: these must match serverless/app/orders_api/orders.py (a test holds them together).
TABLE_KEY = "id"
STATUS_INDEX = "by-status"
INDEX_HASH_KEY = "status"
INDEX_RANGE_KEY = "createdAt"


class OrdersTable(pulumi.ComponentResource):
    """The orders table (`<name>-orders`) and its status index; `protect` adds deletion protection."""

    def __init__(
        self,
        name: str,
        *,
        key_arn: pulumi.Input[str],
        point_in_time_recovery: bool,
        protect: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:OrdersTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            f"{name}-orders",
            billing_mode="PAY_PER_REQUEST",
            hash_key=TABLE_KEY,
            # Only the key and index attributes: declaring any other attribute makes the create fail.
            attributes=[
                {"name": TABLE_KEY, "type": "S"},
                {"name": INDEX_HASH_KEY, "type": "S"},
                {"name": INDEX_RANGE_KEY, "type": "S"},
            ],
            global_secondary_indexes=[
                {
                    "name": STATUS_INDEX,
                    "key_schemas": [
                        {"attribute_name": INDEX_HASH_KEY, "key_type": "HASH"},
                        {"attribute_name": INDEX_RANGE_KEY, "key_type": "RANGE"},
                    ],
                    "projection_type": "ALL",
                }
            ],
            server_side_encryption={"enabled": True, "kms_key_arn": key_arn},
            point_in_time_recovery={"enabled": point_in_time_recovery},
            deletion_protection_enabled=protect,
            tags=tagged(tags, f"{name}-orders"),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.name: pulumi.Output[str] = self.table.name
        self.arn: pulumi.Output[str] = self.table.arn
        self.index_arn: pulumi.Output[str] = self.table.arn.apply(lambda arn: f"{arn}/index/{STATUS_INDEX}")
        self.register_outputs({"name": self.name, "arn": self.arn})
