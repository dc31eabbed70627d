"""The account bootstrap: CI roles only this repository can assume, and a private, versioned, encrypted state bucket.

Run against moto's IAM, S3 and STS, twice where it matters: a second run must change nothing and fail on nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.kms import models as kms_models
from moto.kms.utils import generate_private_key

from bootstrap.bootstrap import (
    AUTOSCALING_ROLE,
    DEPLOY_SESSION_SECONDS,
    PREVIEW_SESSION_SECONDS,
    BootstrapConfig,
    BootstrapResult,
    Names,
    bootstrap,
    boundary_policy,
    deploy_policy,
    ensure_oidc_provider,
    main,
    parse_args,
    preview_policy,
)
from bootstrap.evaluate import Principal, Request, allows
from tests.yaml_loader import load_yaml

REPO = "acme/aws-compute-platform"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
SUB = "token.actions.githubusercontent.com:sub"
ROOT = Path(__file__).resolve().parent.parent


class Clients:
    """What the bootstrap takes as its session (`.client(service, region_name=...)`), each client made once.

    Making a boto3 client loads its service's model, tens of milliseconds each, and a run makes four: one client per
    service and region serves every run of the module. Clients hold no account state, so each test still starts from
    an empty account (its own `mock_aws`).
    """

    def __init__(self, session: boto3.session.Session) -> None:
        self._session = session
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region_name: str | None = None) -> Any:
        key = (service, region_name or self._session.region_name)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=key[1])  # type: ignore[call-overload]
        return self._clients[key]


def _symmetric_keys_without_an_rsa_pair(real: Callable[[str], Any]) -> Callable[[str], Any]:
    """moto generates a 2048-bit RSA pair for every KMS key, a symmetric one too (about 40 ms each, over a second for
    the module). A symmetric key never uses it: Sign and GetPublicKey take asymmetric keys only
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html). Symmetric keys share one pair made
    once; any other key spec gets its own, as before."""
    shared: list[Any] = []

    def generate(key_spec: str) -> Any:
        if key_spec != "SYMMETRIC_DEFAULT":
            return real(key_spec)
        if not shared:
            shared.append(real(key_spec))
        return shared[0]

    return generate


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        patch.setattr(kms_models, "generate_private_key", _symmetric_keys_without_an_rsa_pair(generate_private_key))
        yield Clients(boto3.session.Session(region_name=REGION))


@pytest.fixture
def session(clients: Clients) -> Iterator[Clients]:
    """An empty account (moto's backends start empty with each `mock_aws`), reached through the module's clients."""
    with mock_aws():
        yield clients


def run(session: Clients, **overrides: Any) -> BootstrapResult:
    return bootstrap(BootstrapConfig(repository=REPO, region=REGION, **overrides), session)


def trust_of(session: Clients, role: str) -> dict[str, Any]:
    document = session.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return document if isinstance(document, dict) else json.loads(document)


def test_the_deploy_role_trusts_only_main_and_the_production_environment_of_this_repository(
    session: Clients,
) -> None:
    result = run(session)
    statement = trust_of(session, "aws-compute-platform-deploy")["Statement"][0]
    assert statement["Principal"] == {"Federated": result.oidc_provider_arn}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert condition[SUB] == [f"repo:{REPO}:environment:production", f"repo:{REPO}:ref:refs/heads/main"]
    assert not any("*" in subject for subject in condition[SUB])


def test_pull_requests_get_a_separate_read_only_role(session: Clients) -> None:
    result = run(session)
    assert result.preview_role_arn == f"arn:aws:iam::{ACCOUNT}:role/aws-compute-platform-preview"
    condition = trust_of(session, "aws-compute-platform-preview")["Statement"][0]["Condition"]["StringEquals"]
    assert condition[SUB] == [f"repo:{REPO}:pull_request"]
    iam = session.client("iam")
    policy = iam.get_role_policy(RoleName="aws-compute-platform-preview", PolicyName="preview")["PolicyDocument"]
    role = Principal(result.preview_role_arn, (policy,))
    in_region = {"aws:RequestedRegion": REGION}
    # Configuration and state only: no way to read data, secrets or keys, and no way to change anything.
    for action, resource in (
        ("s3:GetObject", "arn:aws:s3:::aws-compute-platform-dev-uploads/payslips.csv"),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1"),
        ("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/password"),
        ("dynamodb:Scan", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"),
        ("logs:GetLogEvents", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:x"),
        ("lightsail:GetInstanceAccessDetails", "*"),
        ("lightsail:GetRelationalDatabaseMasterUserPassword", "*"),
        ("s3:PutObject", f"arn:aws:s3:::{result.state_bucket}/.pulumi/stacks/aws-compute-platform/dev.json"),
        ("ec2:CreateVpc", "*"),
    ):
        assert not allows(role, Request(action, resource, in_region)), action
    for action, resource in (
        ("s3:GetObject", f"arn:aws:s3:::{result.state_bucket}/.pulumi/stacks/aws-compute-platform/dev.json"),
        ("ssm:GetParameter", f"arn:aws:ssm:{REGION}::parameter/aws/service/ami-amazon-linux-latest/x"),
        ("ec2:DescribeVpcs", "*"),
        ("lightsail:GetInstance", "*"),
    ):
        assert allows(role, Request(action, resource, in_region)), action


def test_both_roles_last_longer_than_the_longest_job_that_holds_them(session: Clients) -> None:
    run(session)
    iam = session.client("iam")
    assert iam.get_role(RoleName="aws-compute-platform-deploy")["Role"]["MaxSessionDuration"] == DEPLOY_SESSION_SECONDS
    assert iam.get_role(RoleName="aws-compute-platform-preview")["Role"]["MaxSessionDuration"] == (
        PREVIEW_SESSION_SECONDS
    )
    assert DEPLOY_SESSION_SECONDS >= 90 * 60  # deploy.yml's prod job; tests/test_delivery.py holds each job to it


def test_a_second_run_brings_an_older_roles_session_length_up_to_date(session: Clients) -> None:
    iam = session.client("iam")
    iam.create_role(RoleName="aws-compute-platform-deploy", AssumeRolePolicyDocument="{}", MaxSessionDuration=3600)
    run(session)
    assert iam.get_role(RoleName="aws-compute-platform-deploy")["Role"]["MaxSessionDuration"] == DEPLOY_SESSION_SECONDS


def test_each_stack_gets_its_own_secrets_key_with_rotation(session: Clients) -> None:
    result = run(session)
    kms = session.client("kms")
    keys = {
        stack: kms.describe_key(KeyId=f"alias/aws-compute-platform-secrets-{stack}")["KeyMetadata"]["KeyId"]
        for stack in ("dev", "prod")
    }
    assert len(set(keys.values())) == 2
    assert all(kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] for key in keys.values())
    assert result.secrets_providers == {
        stack: f"awskms://alias/aws-compute-platform-secrets-{stack}?region={REGION}" for stack in ("dev", "prod")
    }
    again = run(session)
    assert [c for c in again.created if c.startswith("alias/")] == []
    assert {
        stack: kms.describe_key(KeyId=f"alias/aws-compute-platform-secrets-{stack}")["KeyMetadata"]["KeyId"]
        for stack in ("dev", "prod")
    } == keys


def test_the_stack_files_name_the_keys_the_bootstrap_makes() -> None:
    names = Names(partition="aws", account_id=ACCOUNT, region=REGION, bucket="b")
    for stack in ("dev", "prod"):
        document = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())
        region = document["config"]["aws:region"]
        assert document["secretsprovider"] == Names("aws", ACCOUNT, region, "b").secrets_provider(stack)
        assert document["secretsprovider"] == names.secrets_provider(stack)


def test_the_boundary_is_a_managed_policy_updated_in_place(session: Clients) -> None:
    first = run(session)
    iam = session.client("iam")
    for _ in range(6):  # more runs than IAM keeps versions: the oldest spare one makes room
        run(session)
    versions = iam.list_policy_versions(PolicyArn=first.boundary_arn)["Versions"]
    assert len(versions) <= 5
    assert first.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/aws-compute-platform-boundary"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"preview_stacks": ("staging",)}, "must be among the stacks"),
        ({"stacks": ("dev", "pr*d"), "preview_stacks": ("dev",)}, "stack names"),
    ],
)
def test_stack_names_are_checked(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BootstrapConfig(repository=REPO, region=REGION, **overrides)


def test_without_pull_requests_no_preview_role_exists(session: Clients) -> None:
    result = run(session, pull_requests=False)
    assert result.preview_role_arn is None
    with pytest.raises(ClientError):
        session.client("iam").get_role(RoleName="aws-compute-platform-preview")


def test_the_oidc_provider_is_github_for_sts_and_created_once(session: Clients) -> None:
    first = run(session)
    second = run(session)
    iam = session.client("iam")
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in providers] == [first.oidc_provider_arn] == [second.oidc_provider_arn]
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=first.oidc_provider_arn)
    assert provider["Url"].endswith("token.actions.githubusercontent.com")
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert first.created and second.created == []


def test_a_second_run_updates_the_trust_to_the_new_settings(session: Clients) -> None:
    run(session)
    run(session, branch="release", environments=("production", "staging"))
    condition = trust_of(session, "aws-compute-platform-deploy")["Statement"][0]["Condition"]["StringEquals"]
    assert condition[SUB] == [
        f"repo:{REPO}:environment:production",
        f"repo:{REPO}:environment:staging",
        f"repo:{REPO}:ref:refs/heads/release",
    ]


def test_the_state_bucket_is_versioned_encrypted_private_and_tls_only(session: Clients) -> None:
    result = run(session)
    s3 = session.client("s3")
    bucket = result.state_bucket
    assert bucket == f"aws-compute-platform-state-{ACCOUNT}-{REGION}"
    assert result.backend_url == f"s3://{bucket}?region={REGION}&awssdk=v2"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def test_state_can_be_encrypted_with_a_kms_key_in_another_region(session: Clients) -> None:
    key_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = bootstrap(
        BootstrapConfig(repository=REPO, region="eu-west-1", state_bucket="acme-state", state_kms_key_arn=key_arn),
        session,
    )
    s3 = session.client("s3", region_name="eu-west-1")
    assert s3.get_bucket_location(Bucket="acme-state")["LocationConstraint"] == "eu-west-1"
    default = s3.get_bucket_encryption(Bucket="acme-state")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert default["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert result.backend_url == "s3://acme-state?region=eu-west-1&awssdk=v2"


def test_the_auto_scaling_service_linked_role_is_created_when_missing_and_kept_when_present(
    session: Clients,
) -> None:
    first = run(session)
    role = session.client("iam").get_role(RoleName=AUTOSCALING_ROLE)["Role"]
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert AUTOSCALING_ROLE in first.created
    assert AUTOSCALING_ROLE not in run(session).created


def test_the_deploy_policy_limits_services_to_the_region_and_iam_to_project_names(
    session: Clients,
) -> None:
    result = run(session)
    document = session.client("iam").get_role_policy(RoleName="aws-compute-platform-deploy", PolicyName="deploy")
    role = Principal(result.deploy_role_arn, (document["PolicyDocument"],))
    bucket = result.state_bucket
    assert allows(role, Request("ec2:CreateVpc", "*", {"aws:RequestedRegion": REGION}))
    assert not allows(role, Request("ec2:CreateVpc", "*", {"aws:RequestedRegion": "eu-west-1"}))
    assert allows(role, Request("s3:CreateBucket", "arn:aws:s3:::aws-compute-platform-dev-uploads"))
    assert not allows(role, Request("s3:GetObject", "arn:aws:s3:::someone-elses-bucket/x"))
    assert allows(role, Request("s3:PutObject", f"arn:aws:s3:::{bucket}/.pulumi/stacks/aws-compute-platform/dev.json"))
    # The state bucket matches the project prefix by default: its protections stay out of the role's reach.
    for action in ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteObjectVersion"):
        assert not allows(role, Request(action, f"arn:aws:s3:::{bucket}")), action
        assert not allows(role, Request(action, f"arn:aws:s3:::{bucket}/x")), action
    assert not allows(role, Request("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/admin"))
    assert not any(s["Action"] in ("*", ["*"]) for s in document["PolicyDocument"]["Statement"] if "Action" in s)


def test_the_policies_fit_in_iams_size_limits() -> None:
    names = Names("aws", ACCOUNT, "ap-southeast-2", "a" * 63, state_kms_key_arn="arn:aws:kms:x:1:key/" + "k" * 36)
    keys = [f"arn:aws:kms:ap-southeast-2:{ACCOUNT}:key/{'k' * 36}"] * 2
    # IAM quotas: a role's inline policies 10,240 characters; a managed policy 6,144 (whitespace not counted).
    assert len(json.dumps(deploy_policy(names, keys), separators=(",", ":"))) < 10_240
    assert len(json.dumps(preview_policy(names, keys[:1], ["prod"]), separators=(",", ":"))) < 10_240
    assert len(json.dumps(boundary_policy(names, keys), separators=(",", ":"))) < 6_144


@pytest.mark.parametrize("repository", ["acme", "acme/*", "*/repo", "acme/a/b"])
def test_the_repository_must_be_one_exact_owner_and_name(repository: str) -> None:
    with pytest.raises(ValueError, match="owner/name"):
        BootstrapConfig(repository=repository, region=REGION)


def test_the_command_line_reads_every_option() -> None:
    config = parse_args(
        [
            "--repository",
            REPO,
            "--region",
            "eu-central-1",
            "--environment",
            "production",
            "--environment",
            "staging",
            "--no-pull-requests",
            "--state-bucket",
            "acme-state",
            "--stack",
            "dev",
            "--stack",
            "staging",
            "--stack",
            "prod",
            "--preview-stack",
            "dev",
            "--preview-stack",
            "staging",
        ]
    )
    assert config == BootstrapConfig(
        repository=REPO,
        region="eu-central-1",
        environments=("production", "staging"),
        pull_requests=False,
        state_bucket="acme-state",
        stacks=("dev", "staging", "prod"),
        preview_stacks=("dev", "staging"),
    )


def test_the_command_prints_the_repository_settings_to_create(
    session: Clients, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--repository", REPO, "--region", REGION]) == 0
    printed = capsys.readouterr().out
    assert f"AWS_DEPLOY_ROLE_ARN  = arn:aws:iam::{ACCOUNT}:role/aws-compute-platform-deploy" in printed
    assert f"AWS_PREVIEW_ROLE_ARN = arn:aws:iam::{ACCOUNT}:role/aws-compute-platform-preview" in printed
    assert f"PULUMI_BACKEND_URL   = s3://aws-compute-platform-state-{ACCOUNT}-{REGION}?region={REGION}" in printed
    assert f"Pulumi.prod.yaml: secretsprovider: awskms://alias/aws-compute-platform-secrets-prod?region={REGION}" in (
        printed
    )
    assert f"permissions_boundary = arn:aws:iam::{ACCOUNT}:policy/aws-compute-platform-boundary" in printed
    assert "PULUMI_CONFIG_PASSPHRASE" not in printed


class ProviderWithoutStsAudience:
    """IAM as seen by a second run in an account whose GitHub provider was made for another audience (moto does not
    implement AddClientIDToOpenIDConnectProvider, so this one call is recorded instead)."""

    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"

    def __init__(self) -> None:
        self.added: list[tuple[str, str]] = []

    def list_open_id_connect_providers(self) -> dict[str, Any]:
        return {
            "OpenIDConnectProviderList": [
                {"Arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/example.com"},
                {"Arn": self.arn},
            ]
        }

    def get_open_id_connect_provider(self, OpenIDConnectProviderArn: str) -> dict[str, Any]:  # noqa: N803
        assert OpenIDConnectProviderArn == self.arn
        return {"ClientIDList": ["https://github.com/acme"]}

    def add_client_id_to_open_id_connect_provider(self, OpenIDConnectProviderArn: str, ClientID: str) -> None:  # noqa: N803
        self.added.append((OpenIDConnectProviderArn, ClientID))


def test_an_existing_github_provider_gains_the_sts_audience_instead_of_a_second_provider() -> None:
    iam = ProviderWithoutStsAudience()
    created: list[str] = []
    assert ensure_oidc_provider(iam, created) == iam.arn
    assert iam.added == [(iam.arn, "sts.amazonaws.com")]
    assert created == []
