"""The permissions boundary every IAM role of the program carries.

The account bootstrap lets the deploy role create or change a role only when the role carries the boundary policy
(`bootstrap/`, docs/delivery.md): the boundary caps what any role the program makes can ever do, so neither a bug
nor a compromised dependency running in the deploy job can create a role more powerful than the boundary allows.

Applied once, in the composition root, as a stack transformation: every `aws.iam.Role` declared afterwards, in any
component, gets the boundary unless it names one itself. A team using a component in its own program calls
`carry_permissions_boundary()` the same way, or passes nothing if its account has no such rule.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

ROLE = "aws:iam/role:Role"


def boundary_arn(name_or_arn: str) -> pulumi.Output[str]:
    """The boundary policy's ARN: given as one, or a customer-managed policy's name in this account."""
    if name_or_arn.startswith("arn:"):
        return pulumi.Output.from_input(name_or_arn)
    identity = aws.get_caller_identity_output()
    partition = aws.get_partition_output()
    return pulumi.Output.all(partition.partition, identity.account_id).apply(
        lambda p: f"arn:{p[0]}:iam::{p[1]}:policy/{name_or_arn}"
    )


def carry_permissions_boundary(boundary: pulumi.Input[str]) -> None:
    """From now on, every IAM role the program declares carries `boundary` (a managed policy's ARN)."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != ROLE or args.props.get("permissions_boundary"):
            return None
        return pulumi.ResourceTransformationResult({**args.props, "permissions_boundary": boundary}, args.opts)

    pulumi.runtime.register_stack_transformation(transform)
