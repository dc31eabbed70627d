"""Where the stack deploys: the account, partition and region, as the provider reports them."""

from __future__ import annotations

from typing import NamedTuple

import pulumi
import pulumi_aws as aws


class AwsContext(NamedTuple):
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]


def aws_context(parent: pulumi.Resource) -> AwsContext:
    """The three lookups that ARNs and service principals are built from, asked on behalf of `parent`."""
    opts = pulumi.InvokeOutputOptions(parent=parent)
    return AwsContext(
        account_id=aws.get_caller_identity_output(opts=opts).account_id,
        partition=aws.get_partition_output(opts=opts).partition,
        region=aws.get_region_output(opts=opts).region,
    )
