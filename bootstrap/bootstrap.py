"""One-time setup of an AWS account for this repository's CI: run once per account, again after any change here.

Creates, or brings up to date (every step is idempotent):

- the GitHub Actions OpenID Connect provider, so workflows get short-lived credentials and no access key exists;
- a *preview* role that pull requests of this repository may assume: read-only access to configuration (no data)
  and to the state bucket;
- a *deploy* role that only the main branch and the protected `production` environment may assume, with the
  permissions `pulumi up` needs for the services this project manages;
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
    "dynamodb",
    "ec2",
    "elasticbeanstalk",
    "elasticfilesystem",
    "elasticloadbalancing",
    "events",
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
    "rds.amazonaws.com",
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

    def __post_init__(self) -> None:
        owner, _, name = self.repository.partition("/")
        if not owner or not name or "/" in name or "*" in self.repository:
            raise ValueError(f"repository must be 'owner/name' (no wildcards), got {self.repository!r}")


@dataclass
class BootstrapResult:
    account_id: str
    oidc_provider_arn: str
    preview_role_arn: str | None
    deploy_role_arn: str
    state_bucket: str
    backend_url: str
    created: list[str] = field(default_factory=list)


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


def deploy_policy(partition: str, account_id: str, region: str, bucket: str, prefix: str) -> dict[str, Any]:
    """What `pulumi up` needs, as narrow as AWS allows for a program that creates these services' resources.

    - Regional services whole, but only in the stack's region (`aws:RequestedRegion`).
    - IAM only on roles, instance profiles and policies named with the project prefix, and PassRole only of those.
    - S3 only on the project's buckets, Elastic Beanstalk's own buckets, and the state bucket.
    - Secrets only those RDS creates for managed master passwords and the project's own.
    - The state bucket's protections (versioning, encryption, policy, public access block) and its old versions
      out of reach, even where its name matches the project prefix.
    """
    iam = f"arn:{partition}:iam::{account_id}"
    bucket_arn, objects_arn = state_bucket_arns(partition, bucket)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ManageProjectServicesInTheStackRegion",
                "Effect": "Allow",
                "Action": [f"{service}:*" for service in REGIONAL_SERVICES],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
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
                "Sid": "ManageProjectIamRoles",
                "Effect": "Allow",
                "Action": "iam:*",
                "Resource": [
                    f"{iam}:role/{prefix}-*",
                    f"{iam}:instance-profile/{prefix}-*",
                    f"{iam}:policy/{prefix}-*",
                ],
            },
            {
                "Sid": "CreateServiceLinkedRolesOfManagedServices",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": f"{iam}:role/aws-service-role/*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
            },
            {
                "Sid": "ManageProjectAndBeanstalkBuckets",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [
                    f"arn:{partition}:s3:::{prefix}-*",
                    f"arn:{partition}:s3:::elasticbeanstalk-*",
                ],
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
                "Action": [
                    "s3:ListBucket",
                    "s3:GetBucketVersioning",
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                ],
                "Resource": [bucket_arn, objects_arn],
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
                "Resource": [bucket_arn, objects_arn],
            },
            {
                "Sid": "ManageDatabaseSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:*",
                "Resource": [
                    f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:rds!*",
                    f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{prefix}-*",
                ],
            },
        ],
    }


def preview_policy(partition: str, region: str, bucket: str) -> dict[str, Any]:
    """A preview reads configuration, public image parameters and state, and writes nothing.

    The S3 backend takes its stack lock only for updates, refreshes, imports and destroys, not for previews.
    """
    bucket_arn, _ = state_bucket_arns(partition, bucket)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadConfigurationInTheStackRegion",
                "Effect": "Allow",
                "Action": list(PREVIEW_READ_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "ReadIdentityAndRoles",
                "Effect": "Allow",
                "Action": ["sts:GetCallerIdentity", "iam:Get*", "iam:List*"],
                "Resource": "*",
            },
            {
                "Sid": "ReadPublicImageParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                "Resource": f"arn:{partition}:ssm:{region}::parameter/aws/service/*",
            },
            {"Sid": "ListState", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn},
            {
                "Sid": "ReadState",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
            },
        ],
    }


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
        iam.create_open_id_connect_provider(
            Url=GITHUB_OIDC_URL,
            ClientIDList=[STS_AUDIENCE],
            Tags=[{"Key": "Project", "Value": PROJECT}, {"Key": "ManagedBy", "Value": "bootstrap"}],
        )["OpenIDConnectProviderArn"]
    )
    created.append(arn)
    return arn


def ensure_role(
    iam: Any,
    name: str,
    *,
    trust: dict[str, Any],
    description: str,
    policy_name: str,
    policy: dict[str, Any],
    created: list[str],
) -> str:
    """The role with this trust and its one inline policy, created or brought up to date."""
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
                MaxSessionDuration=3600,
                Tags=[{"Key": "Project", "Value": PROJECT}, {"Key": "ManagedBy", "Value": "bootstrap"}],
            )["Role"]["Arn"]
        )
        created.append(arn)
    else:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=document)
    iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
    return arn


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
    created: list[str] = []
    bucket = config.state_bucket or f"{config.name_prefix}-state-{account_id}-{config.region}"

    ensure_autoscaling_service_linked_role(iam, created)
    ensure_state_bucket(
        s3, bucket, region=config.region, partition=partition, kms_key_arn=config.state_kms_key_arn, created=created
    )
    provider_arn = ensure_oidc_provider(iam, created)

    deploy_arn = ensure_role(
        iam,
        f"{config.name_prefix}-deploy",
        trust=trust_policy(provider_arn, deploy_subjects(config)),
        description=f"pulumi up from {config.repository} ({config.branch} and protected environments)",
        policy_name="deploy",
        policy=deploy_policy(partition, account_id, config.region, bucket, config.name_prefix),
        created=created,
    )

    preview_arn: str | None = None
    if config.pull_requests:
        preview_arn = ensure_role(
            iam,
            f"{config.name_prefix}-preview",
            trust=trust_policy(provider_arn, preview_subjects(config)),
            description=f"pulumi preview from pull requests of {config.repository} (read-only)",
            policy_name="preview",
            policy=preview_policy(partition, config.region, bucket),
            created=created,
        )

    return BootstrapResult(
        account_id=account_id,
        oidc_provider_arn=provider_arn,
        preview_role_arn=preview_arn,
        deploy_role_arn=deploy_arn,
        state_bucket=bucket,
        backend_url=f"s3://{bucket}?region={config.region}&awssdk=v2",
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
    args = parser.parse_args(argv)
    return BootstrapConfig(
        repository=args.repository,
        region=args.region,
        branch=args.branch,
        environments=tuple(args.environments or ("production",)),
        pull_requests=not args.no_pull_requests,
        state_bucket=args.state_bucket,
        state_kms_key_arn=args.state_kms_key_arn,
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
    print("and the secret PULUMI_CONFIG_PASSPHRASE (Secrets tab).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
