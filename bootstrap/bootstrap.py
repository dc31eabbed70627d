"""One-time setup of an AWS account for this repository's CI: run once per account, again after any change here.

Creates, or brings up to date (every step is idempotent):

- the GitHub Actions OpenID Connect provider, so workflows get short-lived credentials and no access key exists;
- a *preview* role that pull requests of this repository may assume: read-only access to configuration (no data),
  to the state of the preview stacks (dev) and to their secrets key, and nothing of prod;
- a *deploy* role that only the main branch and the protected `production` environment may assume, with the
  permissions `pulumi up` needs for the services this project manages; every role it creates or changes must carry
  the permissions boundary, and it can never change itself, the preview role or the boundary;
- the permissions boundary `<prefix>-boundary`: the most any role the program creates may ever do (no IAM
  administration, nothing of the CI roles, keys or state);
- one KMS key per stack for the stack's secrets (`awskms://alias/<prefix>-secrets-<stack>`): the preview role may
  decrypt only the preview stacks' keys; prod's key only the deploy role may use;
- the S3 bucket that holds Pulumi state: versioned, encrypted, public access blocked, TLS only;
- the EC2 Auto Scaling service-linked role, which the stack's KMS key policy names (KMS refuses a policy naming a
  role that does not exist yet, and AWS creates it only with the first Auto Scaling group).

Usage (with administrator credentials for the target account, e.g. `aws sso login` first):

    uv run python -m bootstrap --repository my-org/aws-compute-platform --region us-east-1
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

PROJECT = "aws-compute-platform"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
STS_AUDIENCE = "sts.amazonaws.com"
AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"
# What a preview reads: configuration metadata only. No object, item, log event, secret or parameter value (AWS's
# ReadOnlyAccess would allow all of those to any pull request), and no Lightsail call that returns keys or passwords.
PREVIEW_READ_ACTIONS = (
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "apigateway:GET",
    "application-autoscaling:Describe*",
    "autoscaling:Describe*",
    "backup:Describe*",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:List*",
    "cloudwatch:Describe*",
    "cloudwatch:GetDashboard",
    "cloudwatch:List*",
    "dynamodb:Describe*",
    "dynamodb:ListTables",
    "dynamodb:ListTagsOfResource",
    "ec2:Describe*",
    "elasticbeanstalk:CheckDNSAvailability",
    "elasticbeanstalk:Describe*",
    "elasticbeanstalk:List*",
    "elasticfilesystem:Describe*",
    "elasticloadbalancing:Describe*",
    "events:Describe*",
    "events:List*",
    "kms:Describe*",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:List*",
    "lambda:GetAlias",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:GetPolicy",
    "lambda:List*",
    "lightsail:GetBlueprints",
    "lightsail:GetBundles",
    "lightsail:GetDisk",
    "lightsail:GetDisks",
    "lightsail:GetInstance",
    "lightsail:GetInstancePortStates",
    "lightsail:GetInstances",
    "lightsail:GetRegions",
    "lightsail:GetRelationalDatabase",
    "lightsail:GetRelationalDatabaseBlueprints",
    "lightsail:GetRelationalDatabaseBundles",
    "lightsail:GetRelationalDatabases",
    "lightsail:GetStaticIp",
    "lightsail:GetStaticIps",
    "logs:Describe*",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "rds:Describe*",
    "rds:ListTagsForResource",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:ListAllMyBuckets",
    "scheduler:GetSchedule",
    "scheduler:List*",
    "ses:GetEmailIdentity",
    "ses:ListEmailIdentities",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:ListTopics",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ListQueueTags",
    "sqs:ListQueues",
    "ssm:DescribeParameters",
)
NONCURRENT_STATE_DAYS = 90

# Services the program manages. Their resources get ids only when created, so the deploy role cannot name them in
# advance: it gets these services whole, limited to the stack's region (see `deploy_policy`).
REGIONAL_SERVICES = (
    "acm",
    "apigateway",
    "application-autoscaling",
    "autoscaling",
    "backup",
    "backup-storage",  # creating a backup vault mounts its storage capsule
    "cloudformation",
    "cloudwatch",
    "cognito-idp",  # payroll's sign-in user pool
    "dynamodb",
    "ec2",
    "elasticbeanstalk",
    "elasticfilesystem",
    "elasticloadbalancing",
    "events",
    "imagebuilder",  # the WordPress image pipeline
    "kms",
    "lambda",
    "lightsail",
    "logs",
    "rds",
    "scheduler",
    "ses",
    "sns",
    "sqs",
    "ssm",
)
# Services whose own console or API makes them ask for a service-linked role on first use.
SERVICE_LINKED_ROLE_SERVICES = (
    AUTOSCALING_SERVICE,
    "elasticbeanstalk.amazonaws.com",
    "elasticfilesystem.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "imagebuilder.amazonaws.com",
    "rds.amazonaws.com",
    # AWSServiceRoleForCloudFrontVPCOrigin, made with the first VPC origin (CloudFront developer guide, "Use
    # service-linked roles for CloudFront").
    "vpcorigin.cloudfront.amazonaws.com",
)
# CloudFront is a global service whose API, like the web ACLs and certificates a distribution uses, lives in
# us-east-1 (CloudFront developer guide, "Requirements for using SSL/TLS certificates with CloudFront"; AWS WAF
# developer guide, "Web ACLs": CLOUDFRONT scope).
EDGE_REGION = "us-east-1"
EDGE_SERVICES = ("acm", "cloudfront", "wafv2")
# What a preview's lookups read of Route 53 (the hosted zone by name).
ROUTE53_READ_ACTIONS = (
    "route53:GetHostedZone",
    "route53:ListHostedZones",
    "route53:ListHostedZonesByName",
    "route53:ListTagsForResource",
)
# Route 53 records in the hosted zone a stack names (`domain`); never the zones themselves.
ROUTE53_RECORD_ACTIONS = (
    *ROUTE53_READ_ACTIONS,
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
    "route53:ListResourceRecordSets",
)


@dataclass(frozen=True)
class BootstrapConfig:
    repository: str
    region: str
    branch: str = "main"
    environments: tuple[str, ...] = ("production",)
    pull_requests: bool = True
    state_bucket: str | None = None
    state_kms_key_arn: str | None = None
    name_prefix: str = PROJECT
    # Every stack gets a secrets key; pull requests preview (and may decrypt) only `preview_stacks`.
    stacks: tuple[str, ...] = ("dev", "prod")
    preview_stacks: tuple[str, ...] = ("dev",)

    def __post_init__(self) -> None:
        owner, _, name = self.repository.partition("/")
        if not owner or not name or "/" in name or "*" in self.repository:
            raise ValueError(f"repository must be 'owner/name' (no wildcards), got {self.repository!r}")
        if not set(self.preview_stacks) <= set(self.stacks):
            raise ValueError(f"preview stacks {list(self.preview_stacks)} must be among the stacks {list(self.stacks)}")
        for stack in self.stacks:
            if not stack.replace("-", "").isalnum():
                raise ValueError(f"stack names are letters, digits and '-', got {stack!r}")


@dataclass
class BootstrapResult:
    account_id: str
    oidc_provider_arn: str
    preview_role_arn: str | None
    deploy_role_arn: str
    boundary_arn: str
    secrets_providers: dict[str, str]
    state_bucket: str
    backend_url: str
    created: list[str] = field(default_factory=list)


# Sessions outlast the longest job that holds them (deploy.yml: prod `up` 90 minutes; pull-request.yml: 30).
# IAM accepts 3,600 to 43,200 seconds (CreateRole, MaxSessionDuration).
DEPLOY_SESSION_SECONDS = 2 * 3600
PREVIEW_SESSION_SECONDS = 3600
# What the program's roles (EC2 instance profiles, Lambda, Beanstalk service and instance roles, flow logs) may ever
# be granted, in any region: the services their own policies and the AWS managed policies they attach use. The
# boundary adds no permission by itself; it only caps.
WORKLOAD_SERVICES = (
    # Not Cognito: user pools are configuration the deploy role makes; no workload calls their API.
    *(service for service in REGIONAL_SERVICES if service != "cognito-idp"),
    "ec2messages",  # AmazonSSMManagedInstanceCore (Session Manager)
    "ssmmessages",
    "xray",  # Lambda tracing, Beanstalk's X-Ray daemon
)
# AWS's default key policy splits key administration from key use ("Allows key administrators to administer the KMS
# key", AWS KMS Developer Guide, "Default key policy"): administration goes to the account, use only to named roles.
# Named one by one rather than as `kms:Create*`, which would include kms:CreateGrant: a grant is a way to give
# another principal the key's use.
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# What Pulumi's awskms secrets provider calls: Decrypt for the stack's data key (`encryptedkey`), Encrypt and
# GenerateDataKey when it makes or rotates one.
SECRETS_WRITE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*")
SECRETS_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
# Every IAM call whose request carries the role's permissions boundary in `iam:PermissionsBoundary` (IAM User Guide,
# "Permissions boundaries for IAM entities", delegating example): for CreateRole and PutRolePermissionsBoundary the
# boundary being set, for the policy calls the boundary the role already has.
ROLE_CALLS_UNDER_BOUNDARY = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
# Every IAM action that changes something (the IAM service authorization reference's write and permissions-management
# actions); reads are Get*, List*, Simulate* and Generate*/GetAccountAuthorizationDetails-style reports.
IAM_WRITE_ACTIONS = (
    "iam:Add*",
    "iam:Attach*",
    "iam:Change*",
    "iam:Create*",
    "iam:Deactivate*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Enable*",
    "iam:PassRole",
    "iam:Put*",
    "iam:Remove*",
    "iam:Reset*",
    "iam:Resync*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
)


@dataclass(frozen=True)
class Names:
    """Every name and ARN the bootstrap creates or refers to, for one account and region."""

    partition: str
    account_id: str
    region: str
    bucket: str
    prefix: str = PROJECT
    state_kms_key_arn: str | None = None

    @property
    def iam(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}"

    @property
    def account_root(self) -> str:
        return f"{self.iam}:root"

    @property
    def deploy_role(self) -> str:
        return f"{self.prefix}-deploy"

    @property
    def preview_role(self) -> str:
        return f"{self.prefix}-preview"

    @property
    def deploy_role_arn(self) -> str:
        return f"{self.iam}:role/{self.deploy_role}"

    @property
    def preview_role_arn(self) -> str:
        return f"{self.iam}:role/{self.preview_role}"

    @property
    def boundary_name(self) -> str:
        return f"{self.prefix}-boundary"

    @property
    def boundary_arn(self) -> str:
        return f"{self.iam}:policy/{self.boundary_name}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    @property
    def objects_arn(self) -> str:
        return f"{self.bucket_arn}/*"

    def secrets_alias(self, stack: str) -> str:
        return f"alias/{self.prefix}-secrets-{stack}"

    def secrets_alias_arn(self, stack: str) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account_id}:{self.secrets_alias(stack)}"

    def secrets_provider(self, stack: str) -> str:
        """The stack file's `secretsprovider` (Pulumi: `awskms://alias/<name>?region=<region>`)."""
        return f"awskms://{self.secrets_alias(stack)}?region={self.region}"

    def state_objects_of(self, stack: str) -> list[str]:
        """What the bucket keeps of one stack: the S3 backend's checkpoint, backups and update history (project layout
        `.pulumi/{stacks,backups,history}/<project>/<stack>...`) and the update plans CI saves (`ci-plans/<stack>/`)."""
        return [
            f"{self.bucket_arn}/.pulumi/stacks/*/{stack}.json*",
            f"{self.bucket_arn}/.pulumi/backups/*/{stack}/*",
            f"{self.bucket_arn}/.pulumi/history/*/{stack}/*",
            f"{self.bucket_arn}/ci-plans/{stack}/*",
        ]


def trust_policy(provider_arn: str, subjects: Sequence[str]) -> dict[str, Any]:
    """Who may assume a role: GitHub's tokens for these exact `sub` claims, minted for AWS STS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActionsOfThisRepository",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                # Exact matches, no wildcard: no other repository, branch, environment or fork gets in.
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": sorted(subjects),
                    }
                },
            }
        ],
    }


def deploy_subjects(config: BootstrapConfig) -> list[str]:
    """The main branch, and each protected environment (a job in an environment gets an environment `sub`)."""
    repo = f"repo:{config.repository}"
    return [f"{repo}:ref:refs/heads/{config.branch}", *(f"{repo}:environment:{env}" for env in config.environments)]


def preview_subjects(config: BootstrapConfig) -> list[str]:
    return [f"repo:{config.repository}:pull_request"]


def state_bucket_arns(partition: str, bucket: str) -> tuple[str, str]:
    return f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"


def _state_key_use(names: Names, actions: Sequence[str]) -> dict[str, Any]:
    """Use of the state bucket's KMS key, only by S3 and only for this bucket (SSE-KMS's encryption context is the
    object's ARN, or the bucket's with an S3 Bucket Key)."""
    return {
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": names.state_kms_key_arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{names.region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [names.bucket_arn, names.objects_arn]},
        },
    }


def ci_key_arns(names: Names, key_arns: Sequence[str]) -> list[str]:
    return sorted({*key_arns, *([names.state_kms_key_arn] if names.state_kms_key_arn else [])})


def deploy_policy(names: Names, key_arns: Sequence[str] = ()) -> dict[str, Any]:
    """What `pulumi up` needs, as narrow as AWS allows for a program that creates these services' resources.

    - Regional services whole, but only in the stack's region (`aws:RequestedRegion`); CloudFront, its web ACLs and
      certificates only in us-east-1, where their API is; of Route 53 only records, never hosted zones.
    - IAM only on roles, instance profiles and policies named with the project prefix; every role it creates or
      changes carries the permissions boundary; it can never touch the CI roles or the boundary, never remove a
      boundary, and never pass the CI roles to a service.
    - S3 only on the project's buckets, Elastic Beanstalk's own buckets, and the state bucket.
    - Secrets only those RDS creates for managed master passwords and the project's own.
    - The CI's keys (stack secrets, state) only used, never administered; the state bucket's protections and its old
      versions out of reach, even where its name matches the project prefix.
    """
    iam = names.iam
    prefix = names.prefix
    protected = [names.deploy_role_arn, names.preview_role_arn, names.boundary_arn]
    keys = ci_key_arns(names, key_arns)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ManageProjectServicesInTheStackRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in REGIONAL_SERVICES],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": names.region}},
        },
        {
            "Sid": "ManageTheEdgeInUsEast1",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in EDGE_SERVICES],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": EDGE_REGION}},
        },
        {
            "Sid": "ManageRecordsInHostedZones",
            "Effect": "Allow",
            "Action": list(ROUTE53_RECORD_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "ReadAccountWideFacts",
            "Effect": "Allow",
            "Action": [
                "sts:GetCallerIdentity",
                "iam:GetRole",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListRoles",
                "iam:ListPolicies",
                "iam:ListInstanceProfiles",
                "iam:ListAccountAliases",
                "ec2:DescribeRegions",
                "ec2:DescribeAvailabilityZones",
            ],
            "Resource": "*",
        },
        {
            "Sid": "CreateAndChangeProjectRolesOnlyWithinTheBoundary",
            "Effect": "Allow",
            "Action": list(ROLE_CALLS_UNDER_BOUNDARY),
            "Resource": f"{iam}:role/{prefix}-*",
            "Condition": {"ArnEquals": {"iam:PermissionsBoundary": names.boundary_arn}},
        },
        {
            "Sid": "ManageProjectRoles",
            "Effect": "Allow",
            "Action": [
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
                "iam:PassRole",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            "Resource": f"{iam}:role/{prefix}-*",
        },
        {
            "Sid": "ManageProjectInstanceProfiles",
            "Effect": "Allow",
            "Action": [
                "iam:AddRoleToInstanceProfile",
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:UntagInstanceProfile",
            ],
            "Resource": f"{iam}:instance-profile/{prefix}-*",
        },
        {
            "Sid": "ManageProjectManagedPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": f"{iam}:policy/{prefix}-*",
        },
        {
            "Sid": "CreateServiceLinkedRolesOfManagedServices",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"{iam}:role/aws-service-role/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
        },
        {
            "Sid": "NeverChangeTheCiRolesOrTheBoundary",
            "Effect": "Deny",
            "Action": list(IAM_WRITE_ACTIONS),
            "Resource": protected,
        },
        {
            "Sid": "NeverCreateOrChangeARoleOutsideTheBoundary",
            "Effect": "Deny",
            "Action": list(ROLE_CALLS_UNDER_BOUNDARY),
            "Resource": "*",
            # Another boundary, or none: a role without a boundary has no value for the key, and a negated operator
            # then holds, so the call is denied.
            "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": names.boundary_arn}},
        },
        {
            "Sid": "NeverCreateOrChangeARoleWithoutABoundary",
            "Effect": "Deny",
            "Action": list(ROLE_CALLS_UNDER_BOUNDARY),
            "Resource": "*",
            "Condition": {"Null": {"iam:PermissionsBoundary": "true"}},
        },
        {
            "Sid": "NeverRemoveABoundary",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
            "Resource": "*",
        },
        {
            "Sid": "ManageProjectAndBeanstalkBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [f"arn:{names.partition}:s3:::{prefix}-*", f"arn:{names.partition}:s3:::elasticbeanstalk-*"],
        },
        {
            "Sid": "ListBuckets",
            "Effect": "Allow",
            "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
            "Resource": "*",
        },
        {
            "Sid": "ReadAndWriteState",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketVersioning", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [names.bucket_arn, names.objects_arn],
        },
        {
            "Sid": "KeepTheStateBucketProtected",
            "Effect": "Deny",
            "Action": [
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:DeleteObjectVersion",
                "s3:PutBucketAcl",
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ],
            "Resource": [names.bucket_arn, names.objects_arn],
        },
        {
            "Sid": "ManageDatabaseSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:*",
            "Resource": [
                f"arn:{names.partition}:secretsmanager:{names.region}:{names.account_id}:secret:rds!*",
                f"arn:{names.partition}:secretsmanager:{names.region}:{names.account_id}:secret:{prefix}-*",
            ],
        },
    ]
    if keys:
        statements.append(
            {
                "Sid": "UseTheStackSecretsKeys",
                "Effect": "Allow",
                "Action": list(SECRETS_WRITE_ACTIONS),
                "Resource": keys,
            }
        )
        statements.append(
            {
                "Sid": "NeverAdministerTheCiKeys",
                "Effect": "Deny",
                "NotAction": list(SECRETS_WRITE_ACTIONS),
                "Resource": keys,
            }
        )
    if names.state_kms_key_arn:
        statements.append(
            {"Sid": "EncryptState", **_state_key_use(names, ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"])}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def preview_policy(
    names: Names, preview_keys: Sequence[str] = (), private_stacks: Sequence[str] = ()
) -> dict[str, Any]:
    """A preview reads configuration, public image parameters, its stacks' state and secrets key, and writes nothing.

    The S3 backend takes its stack lock only for updates, refreshes, imports and destroys, not for previews. The
    state and the secrets of `private_stacks` (prod) stay out of reach even if a key policy or bucket policy were
    ever loosened.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadConfigurationInTheStackRegion",
            "Effect": "Allow",
            "Action": list(PREVIEW_READ_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": names.region}},
        },
        {
            "Sid": "ReadIdentityAndRoles",
            "Effect": "Allow",
            "Action": ["sts:GetCallerIdentity", "iam:Get*", "iam:List*"],
            "Resource": "*",
        },
        {
            "Sid": "FindHostedZones",
            "Effect": "Allow",
            "Action": list(ROUTE53_READ_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "ReadPublicImageParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            "Resource": f"arn:{names.partition}:ssm:{names.region}::parameter/aws/service/*",
        },
        {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": names.bucket_arn},
        {"Sid": "ReadState", "Effect": "Allow", "Action": "s3:GetObject", "Resource": names.objects_arn},
    ]
    if private_stacks:
        statements.append(
            {
                "Sid": "NeverReadTheStateOfPrivateStacks",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": [arn for stack in private_stacks for arn in names.state_objects_of(stack)],
            }
        )
    if preview_keys:
        statements.append(
            {
                "Sid": "DecryptThePreviewStacksSecrets",
                "Effect": "Allow",
                "Action": list(SECRETS_READ_ACTIONS),
                "Resource": list(preview_keys),
            }
        )
    if names.state_kms_key_arn:
        statements.append({"Sid": "DecryptState", **_state_key_use(names, ["kms:Decrypt"])})
    return {"Version": "2012-10-17", "Statement": statements}


def boundary_policy(names: Names, key_arns: Sequence[str] = ()) -> dict[str, Any]:
    """The most any role the program creates may do, whatever policies the program gives it.

    Allowed: the services the workloads use; S3 and Secrets Manager only on the project's names (and Beanstalk's
    own buckets); of IAM only reading and passing the project's roles. Denied outright: every IAM write except
    passing a project role, passing or touching the CI roles and the boundary, the state bucket and the CI's keys.
    """
    partition, prefix = names.partition, names.prefix
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WorkloadServices",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in WORKLOAD_SERVICES],
            "Resource": "*",
        },
        {
            "Sid": "ProjectBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [
                f"arn:{partition}:s3:::{prefix}-*",
                f"arn:{partition}:s3:::elasticbeanstalk-*",
            ],
        },
        {
            "Sid": "ProjectSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:*",
            "Resource": [
                f"arn:{partition}:secretsmanager:*:{names.account_id}:secret:rds!*",
                f"arn:{partition}:secretsmanager:*:{names.account_id}:secret:{prefix}-*",
            ],
        },
        {
            "Sid": "ReadAndPassProjectRoles",
            "Effect": "Allow",
            "Action": ["iam:GetInstanceProfile", "iam:GetRole", "iam:ListInstanceProfiles", "iam:PassRole"],
            "Resource": [f"{names.iam}:role/{prefix}-*", f"{names.iam}:instance-profile/{prefix}-*"],
        },
        {
            "Sid": "NoIamAdministration",
            "Effect": "Deny",
            "Action": [a for a in IAM_WRITE_ACTIONS if a != "iam:PassRole"],
            "Resource": "*",
        },
        {
            "Sid": "NothingOfTheCiRolesOrTheBoundary",
            "Effect": "Deny",
            "Action": ["iam:*", "sts:*"],
            "Resource": [names.deploy_role_arn, names.preview_role_arn, names.boundary_arn],
        },
        {
            "Sid": "NothingOfTheState",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": [names.bucket_arn, names.objects_arn],
        },
    ]
    keys = ci_key_arns(names, key_arns)
    if keys:
        statements.append({"Sid": "NothingOfTheCiKeys", "Effect": "Deny", "Action": "kms:*", "Resource": keys})
    return {"Version": "2012-10-17", "Statement": statements}


def secrets_key_policy(names: Names, stack: str, users: Sequence[str], readers: Sequence[str]) -> dict[str, Any]:
    """A stack's secrets key: administered by the account, used only by the roles named here.

    No statement lets the account root *use* the key, so no IAM policy anywhere in the account can grant its use:
    only the key policy can (AWS KMS Developer Guide, "Key policies": without the root statement IAM policies do
    not apply to the key).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": names.account_root},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": f"DeployEncryptsAndDecrypts{stack.title()}Secrets",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(users)},
            "Action": list(SECRETS_WRITE_ACTIONS),
            "Resource": "*",
        },
    ]
    if readers:
        statements.append(
            {
                "Sid": f"PreviewDecrypts{stack.title()}Secrets",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(readers)},
                "Action": list(SECRETS_READ_ACTIONS),
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def tls_only_policy(partition: str, bucket: str) -> dict[str, Any]:
    bucket_arn, objects_arn = state_bucket_arns(partition, bucket)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, objects_arn],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


TAGS = [{"Key": "Project", "Value": PROJECT}, {"Key": "ManagedBy", "Value": "bootstrap"}]


def ensure_oidc_provider(iam: Any, created: list[str]) -> str:
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        arn = str(provider["Arn"])
        if arn.endswith(f"oidc-provider/{GITHUB_OIDC_HOST}"):
            clients = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get("ClientIDList", [])
            if STS_AUDIENCE not in clients:
                iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=STS_AUDIENCE)
            return arn
    # No thumbprint: IAM trusts GitHub's OIDC endpoint through its own library of root certificate authorities.
    arn = str(
        iam.create_open_id_connect_provider(Url=GITHUB_OIDC_URL, ClientIDList=[STS_AUDIENCE], Tags=TAGS)[
            "OpenIDConnectProviderArn"
        ]
    )
    created.append(arn)
    return arn


def ensure_role(
    iam: Any, name: str, *, trust: dict[str, Any], description: str, max_session_seconds: int, created: list[str]
) -> str:
    """The role with this trust and session length, created or brought up to date."""
    document = json.dumps(trust)
    try:
        arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
    except ClientError as error:
        if _error_code(error) != "NoSuchEntity":
            raise
        arn = str(
            iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=document,
                Description=description,
                MaxSessionDuration=max_session_seconds,
                Tags=TAGS,
            )["Role"]["Arn"]
        )
        created.append(arn)
    else:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=document)
        iam.update_role(RoleName=name, Description=description, MaxSessionDuration=max_session_seconds)
    return arn


def ensure_managed_policy(iam: Any, arn: str, name: str, document: dict[str, Any], created: list[str]) -> str:
    """A customer managed policy with this document as its default version (the oldest spare version is deleted
    when IAM's limit of five versions is reached)."""
    text = json.dumps(document)
    try:
        iam.get_policy(PolicyArn=arn)
    except ClientError as error:
        if _error_code(error) != "NoSuchEntity":
            raise
        iam.create_policy(PolicyName=name, PolicyDocument=text, Description="Most a project role may do", Tags=TAGS)
        created.append(arn)
        return arn
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    spare = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
    if len(versions) >= 5:
        iam.delete_policy_version(PolicyArn=arn, VersionId=spare[0]["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=text, SetAsDefault=True)
    return arn


def ensure_secrets_key(kms: Any, names: Names, stack: str, policy: dict[str, Any], created: list[str]) -> str:
    """The stack's secrets key behind its alias, with this policy and yearly rotation."""
    alias = names.secrets_alias(stack)
    try:
        key_id = str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
    except ClientError as error:
        if _error_code(error) != "NotFoundException":
            raise
        key_id = str(
            kms.create_key(
                Policy=json.dumps(policy),
                Description=f"Pulumi secrets of the {stack} stack of {names.prefix}",
                KeyUsage="ENCRYPT_DECRYPT",
                Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in TAGS],
            )["KeyMetadata"]["Arn"]
        )
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        created.append(alias)
    else:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    kms.enable_key_rotation(KeyId=key_id)
    return key_id


def ensure_autoscaling_service_linked_role(iam: Any, created: list[str]) -> None:
    try:
        iam.get_role(RoleName=AUTOSCALING_ROLE)
    except ClientError as error:
        if _error_code(error) != "NoSuchEntity":
            raise
        iam.create_service_linked_role(AWSServiceName=AUTOSCALING_SERVICE)
        created.append(AUTOSCALING_ROLE)


def ensure_state_bucket(
    s3: Any, bucket: str, *, region: str, partition: str, kms_key_arn: str | None, created: list[str]
) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if _error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        arguments: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**arguments)
        created.append(f"s3://{bucket}")
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    default: dict[str, str] = {"SSEAlgorithm": "AES256"}
    if kms_key_arn:
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn}
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
        },
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(partition, bucket)))
    # Every update writes a new checkpoint; old versions are the undo history, kept for a while, not forever.
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-old-state-versions",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_STATE_DAYS},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )


def bootstrap(config: BootstrapConfig, session: Any) -> BootstrapResult:
    """Create or update everything CI needs in the account `session` belongs to."""
    identity = session.client("sts", region_name=config.region).get_caller_identity()
    account_id = str(identity["Account"])
    partition = str(identity["Arn"]).split(":")[1]
    iam = session.client("iam", region_name=config.region)
    s3 = session.client("s3", region_name=config.region)
    kms = session.client("kms", region_name=config.region)
    created: list[str] = []
    names = Names(
        partition=partition,
        account_id=account_id,
        region=config.region,
        bucket=config.state_bucket or f"{config.name_prefix}-state-{account_id}-{config.region}",
        prefix=config.name_prefix,
        state_kms_key_arn=config.state_kms_key_arn,
    )

    ensure_autoscaling_service_linked_role(iam, created)
    ensure_state_bucket(
        s3,
        names.bucket,
        region=config.region,
        partition=partition,
        kms_key_arn=config.state_kms_key_arn,
        created=created,
    )
    provider_arn = ensure_oidc_provider(iam, created)

    # Roles first (a key policy may name only roles that exist), then keys, then what refers to the keys.
    deploy_arn = ensure_role(
        iam,
        names.deploy_role,
        trust=trust_policy(provider_arn, deploy_subjects(config)),
        description=f"pulumi up from {config.repository} ({config.branch} and protected environments)",
        max_session_seconds=DEPLOY_SESSION_SECONDS,
        created=created,
    )
    preview_arn: str | None = None
    if config.pull_requests:
        preview_arn = ensure_role(
            iam,
            names.preview_role,
            trust=trust_policy(provider_arn, preview_subjects(config)),
            description=f"pulumi preview from pull requests of {config.repository} (read-only)",
            max_session_seconds=PREVIEW_SESSION_SECONDS,
            created=created,
        )

    keys: dict[str, str] = {}
    for stack in config.stacks:
        readers = [preview_arn] if preview_arn and stack in config.preview_stacks else []
        policy = secrets_key_policy(names, stack, users=[deploy_arn], readers=readers)
        keys[stack] = ensure_secrets_key(kms, names, stack, policy, created)

    boundary_arn = ensure_managed_policy(
        iam, names.boundary_arn, names.boundary_name, boundary_policy(names, list(keys.values())), created
    )
    iam.put_role_policy(
        RoleName=names.deploy_role,
        PolicyName="deploy",
        PolicyDocument=json.dumps(deploy_policy(names, list(keys.values()))),
    )
    if preview_arn:
        private = [s for s in config.stacks if s not in config.preview_stacks]
        preview_keys = [keys[s] for s in config.stacks if s in config.preview_stacks]
        iam.put_role_policy(
            RoleName=names.preview_role,
            PolicyName="preview",
            PolicyDocument=json.dumps(preview_policy(names, preview_keys, private)),
        )

    return BootstrapResult(
        account_id=account_id,
        oidc_provider_arn=provider_arn,
        preview_role_arn=preview_arn,
        deploy_role_arn=deploy_arn,
        boundary_arn=boundary_arn,
        secrets_providers={stack: names.secrets_provider(stack) for stack in config.stacks},
        state_bucket=names.bucket,
        backend_url=f"s3://{names.bucket}?region={config.region}&awssdk=v2",
        created=created,
    )


def parse_args(argv: Sequence[str] | None = None) -> BootstrapConfig:
    parser = argparse.ArgumentParser(prog="python -m bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repository", required=True, help="GitHub repository allowed to assume the roles: owner/name")
    parser.add_argument("--region", required=True, help="Region of the stacks and of the state bucket")
    parser.add_argument("--branch", default="main", help="Branch whose pushes deploy (default: main)")
    parser.add_argument(
        "--environment",
        action="append",
        dest="environments",
        help="Protected GitHub environment whose jobs deploy (repeatable; default: production)",
    )
    parser.add_argument(
        "--no-pull-requests", action="store_true", help="Create no preview role: pull requests get no AWS access"
    )
    parser.add_argument(
        "--state-bucket", help="State bucket name (default: aws-compute-platform-state-<account>-<region>)"
    )
    parser.add_argument("--state-kms-key-arn", help="Encrypt state with this KMS key instead of SSE-S3")
    parser.add_argument(
        "--stack",
        action="append",
        dest="stacks",
        help="A stack that gets a secrets key (repeatable; default: dev, prod)",
    )
    parser.add_argument(
        "--preview-stack",
        action="append",
        dest="preview_stacks",
        help="A stack pull requests preview and may decrypt (repeatable; default: dev)",
    )
    args = parser.parse_args(argv)
    return BootstrapConfig(
        repository=args.repository,
        region=args.region,
        branch=args.branch,
        environments=tuple(args.environments or ("production",)),
        pull_requests=not args.no_pull_requests,
        state_bucket=args.state_bucket,
        state_kms_key_arn=args.state_kms_key_arn,
        stacks=tuple(args.stacks or ("dev", "prod")),
        preview_stacks=tuple(args.preview_stacks or ("dev",)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    result = bootstrap(config, boto3.session.Session())
    print(f"Account {result.account_id}: {'created ' + ', '.join(result.created) if result.created else 'up to date'}")
    print("Set these in the repository (Settings > Secrets and variables > Actions > Variables):")
    print(f"  PULUMI_BACKEND_URL   = {result.backend_url}")
    print(f"  AWS_REGION           = {config.region}")
    print(f"  AWS_DEPLOY_ROLE_ARN  = {result.deploy_role_arn}")
    if result.preview_role_arn:
        print(f"  AWS_PREVIEW_ROLE_ARN = {result.preview_role_arn}")
    print("Each stack file's secrets provider (no passphrase: each stack has its own KMS key):")
    for stack, provider in result.secrets_providers.items():
        print(f"  Pulumi.{stack}.yaml: secretsprovider: {provider}")
    print(f"Every role the program creates must set permissions_boundary = {result.boundary_arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
