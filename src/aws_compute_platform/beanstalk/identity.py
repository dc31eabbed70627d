"""Who does what: Elastic Beanstalk's service role, and one instance identity per tier with only what that tier needs.

The web tier may store uploads and queue jobs; the worker tier may read uploads, write results once, consume jobs
and email as our sender. Neither may do anything else with the bucket, the queue or the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.beanstalk.uploads import CLAIMS_PREFIX, NOTICES_PREFIX, RESULTS_PREFIX, UPLOADS_PREFIX
from aws_compute_platform.foundation.tags import tagged

# The AWS managed policies each kind of instance gets (log streaming, health reporting, sqsd's own needs).
WEB_TIER_POLICY = "AWSElasticBeanstalkWebTier"
WORKER_TIER_POLICY = "AWSElasticBeanstalkWorkerTier"


def policy_document(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str, **condition: object) -> str:
    """A trust policy that lets one AWS service assume the role, under an optional condition."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return policy_document(statement)


def _use_key(key_arn: str) -> dict[str, object]:
    return {
        "Sid": "UseTheStackKey",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": key_arn,
    }


def web_permissions(
    uploads_arn: pulumi.Input[str],
    queue_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    signin_secret_arn: pulumi.Input[str],
) -> pulumi.Output[str]:
    """The web tier stores uploads (and nothing else in the bucket), sends jobs and reads its sign-in secret."""
    return pulumi.Output.all(uploads_arn, queue_arn, key_arn, signin_secret_arn).apply(
        lambda a: policy_document(
            {
                "Sid": "StoreUploads",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": f"{a[0]}/{UPLOADS_PREFIX}*",
            },
            {"Sid": "QueueJobs", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": a[1]},
            # The Cognito client secret and the session key, read at run time (beanstalk/signin.py).
            {"Sid": "ReadSignInSecret", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": a[3]},
            _use_key(a[2]),
        )
    )


def worker_permissions(
    uploads_arn: pulumi.Input[str],
    queue_arn: pulumi.Input[str],
    key_arn: pulumi.Input[str],
    *,
    sender_email: str,
    partition: pulumi.Input[str],
    region: pulumi.Input[str],
    account_id: pulumi.Input[str],
) -> pulumi.Output[str]:
    """The worker tier reads uploads, writes results, claims and notices, consumes jobs and emails as our sender only.

    A claim is created with `If-None-Match: *` and taken over with `If-Match: <etag>` (docs/payroll.md, "Emails:
    exactly one per job"): S3 needs GetObject as well as PutObject for a conditional write.
    """
    return pulumi.Output.all(uploads_arn, queue_arn, key_arn, partition, region, account_id).apply(
        lambda a: policy_document(
            {
                "Sid": "ReadUploadsAndResults",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": [
                    f"{a[0]}/{UPLOADS_PREFIX}*",
                    f"{a[0]}/{RESULTS_PREFIX}*",
                    f"{a[0]}/{CLAIMS_PREFIX}*",
                    f"{a[0]}/{NOTICES_PREFIX}*",
                ],
            },
            {
                "Sid": "WriteResultsClaimsAndNotices",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": [f"{a[0]}/{RESULTS_PREFIX}*", f"{a[0]}/{CLAIMS_PREFIX}*", f"{a[0]}/{NOTICES_PREFIX}*"],
            },
            # Without ListBucket a missing result reads as 403 instead of 404.
            {"Sid": "TellMissingFromForbidden", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": a[0]},
            {
                "Sid": "ConsumeJobs",
                "Effect": "Allow",
                "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                ],
                "Resource": a[1],
            },
            _use_key(a[2]),
            # SES authorizes the sender and, in the sandbox, each recipient identity: any identity of this
            # account and region, but only ever as our sender address.
            {
                "Sid": "EmailFromOurSender",
                "Effect": "Allow",
                "Action": "ses:SendEmail",
                "Resource": f"arn:{a[3]}:ses:{a[4]}:{a[5]}:identity/*",
                "Condition": {"StringEquals": {"ses:FromAddress": sender_email}},
            },
        )
    )


class ServiceRole(pulumi.ComponentResource):
    """The role Elastic Beanstalk itself assumes: enhanced health and managed platform updates.

    `policies` lists every grant, so an environment can wait until its service role may act.
    """

    def __init__(
        self,
        name: str,
        *,
        partition: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:ServiceRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._base_name = name
        self.role = aws.iam.Role(
            name,
            assume_role_policy=trust(
                "elasticbeanstalk.amazonaws.com", StringEquals={"sts:ExternalId": "elasticbeanstalk"}
            ),
            tags=tagged(tags, name),
            opts=child,
        )
        self.policies: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{short}",
                role=self.role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, f":iam::aws:policy/{arn}"),
                opts=child,
            )
            for short, arn in (
                ("health", "service-role/AWSElasticBeanstalkEnhancedHealth"),
                ("updates", "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy"),
            )
        ]
        self.arn: pulumi.Output[str] = self.role.arn
        self.role_name: pulumi.Output[str] = self.role.name
        self.register_outputs({"arn": self.arn})

    def allow_deleting_bundles(self, bucket_arn: pulumi.Input[str]) -> aws.iam.RolePolicy:
        """Let the application version lifecycle delete the source bundles of the versions it removes."""
        policy = aws.iam.RolePolicy(
            f"{self._base_name}-bundles",
            role=self.role.id,
            policy=pulumi.Output.from_input(bucket_arn).apply(
                lambda arn: policy_document({"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{arn}/*"})
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policies.append(policy)
        return policy


class InstanceIdentity(pulumi.ComponentResource):
    """The instance profile of one tier: its role, the tier's AWS managed policy and the app's own permissions."""

    def __init__(
        self,
        name: str,
        *,
        managed_policy: str,
        permissions: pulumi.Input[str],
        partition: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:InstanceIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            name, assume_role_policy=trust("ec2.amazonaws.com"), tags=tagged(tags, name), opts=child
        )
        self.policies: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-tier",
                role=self.role.name,
                policy_arn=pulumi.Output.from_input(partition).apply(
                    lambda p: f"arn:{p}:iam::aws:policy/{managed_policy}"
                ),
                opts=child,
            ),
            aws.iam.RolePolicy(f"{name}-app", role=self.role.id, policy=permissions, opts=child),
        ]
        self.profile = aws.iam.InstanceProfile(name, role=self.role.name, tags=tagged(tags, name), opts=child)
        self.profile_name: pulumi.Output[str] = self.profile.name
        self.register_outputs({"profileName": self.profile_name, "roleArn": self.role.arn})
