"""The server's identity: an IAM role EC2 may assume, its managed policies, and the instance profile that carries it.

By default the role has AmazonSSMManagedInstanceCore and nothing else, so Session Manager opens a shell without port
22 and the server can do nothing more with AWS. Every role gets the stack's permissions boundary from the composition
root (`foundation/boundary.py`); the role's name starts with the server's name, which starts with the project's
prefix, as the account bootstrap's deploy role requires (`role/<project>-*`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.servers.args import InstanceProfileArgs

EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


class ServerIdentity(pulumi.ComponentResource):
    """A role for one server with exactly the managed policies its Args name, and its instance profile."""

    def __init__(
        self,
        name: str,
        args: InstanceProfileArgs,
        *,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:ServerIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=EC2_TRUST,
            description=f"{name}: the server's own role, with only the managed policies its settings name",
            tags=tagged(tags, f"{name}-role"),
            opts=child,
        )
        self.attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}", role=self.role.name, policy_arn=arn, opts=child
            )
            for arn in args.managed_policy_arns
        ]
        self.profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=self.role.name, tags=tagged(tags, f"{name}-profile"), opts=child
        )
        self.profile_name: pulumi.Output[str] = self.profile.name
        self.register_outputs({"roleArn": self.role.arn, "profileName": self.profile_name})


__all__ = ["EC2_TRUST", "ServerIdentity"]
