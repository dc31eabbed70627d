"""No path from the CI roles to administrator, and no stack's secrets to anyone who may not read them.

The bootstrap runs against moto; the policies it left in the account (the roles' inline policies, the boundary's
default version, the keys' policies) are read back and evaluated as IAM would (`bootstrap.evaluate`), request by
request, with the request context IAM fills in (`iam:PermissionsBoundary`, `aws:RequestedRegion`, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bootstrap.bootstrap import BootstrapConfig, BootstrapResult, bootstrap
from bootstrap.evaluate import Principal, Request, allows, kms_allows

REPO = "acme/aws-compute-platform"
REGION = "us-east-1"
ACCOUNT = "123456789012"
IAM = f"arn:aws:iam::{ACCOUNT}"
ROOT = f"{IAM}:root"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
STATE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000aaaa-1111-2222-3333-444455556666"
# A key policy as AWS writes it by default: the account root may do everything, so IAM policies decide.
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}],
}


def _document(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


@dataclass
class Account:
    result: BootstrapResult
    deploy: Principal
    preview: Principal
    boundary: dict[str, Any]
    key_arns: dict[str, str]
    key_policies: dict[str, dict[str, Any]]

    def created_role(self, name: str, *policies: dict[str, Any]) -> Principal:
        """A role the deploy role made: it must carry the boundary, whatever policies it was given."""
        return Principal(f"{IAM}:role/{name}", policies, self.boundary)


@pytest.fixture(scope="module")
def account() -> Iterator[Account]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            session = boto3.session.Session(region_name=REGION)
            result = bootstrap(BootstrapConfig(repository=REPO, region=REGION, state_kms_key_arn=STATE_KEY), session)
            iam = session.client("iam")
            kms = session.client("kms")

            def inline(role: str, name: str) -> dict[str, Any]:
                return _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])

            version = iam.get_policy(PolicyArn=result.boundary_arn)["Policy"]["DefaultVersionId"]
            boundary = _document(
                iam.get_policy_version(PolicyArn=result.boundary_arn, VersionId=version)["PolicyVersion"]["Document"]
            )
            keys = {
                stack: kms.describe_key(KeyId=f"alias/aws-compute-platform-secrets-{stack}")["KeyMetadata"]["Arn"]
                for stack in ("dev", "prod")
            }
            key_policies = {
                stack: _document(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
                for stack, arn in keys.items()
            }
            assert result.preview_role_arn is not None
            yield Account(
                result=result,
                deploy=Principal(result.deploy_role_arn, (inline("aws-compute-platform-deploy", "deploy"),)),
                preview=Principal(result.preview_role_arn, (inline("aws-compute-platform-preview", "preview"),)),
                boundary=boundary,
                key_arns=keys,
                key_policies=key_policies,
            )


def iam_call(action: str, resource: str, boundary: str | None = None, **context: Any) -> Request:
    """An IAM request; `boundary` is what IAM puts in iam:PermissionsBoundary (the one set, or the one the role has)."""
    if boundary is not None:
        context["iam:PermissionsBoundary"] = boundary
    return Request(action, resource, context)


def project_role(name: str = "aws-compute-platform-dev-app") -> str:
    return f"{IAM}:role/{name}"


# --- the deploy role: everything `pulumi up` needs, and no way up -------------------------------------------------


def test_the_deploy_role_can_create_project_roles_that_carry_the_boundary(account: Account) -> None:
    boundary = account.result.boundary_arn
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePolicy"):
        assert allows(account.deploy, iam_call(action, project_role(), boundary, **{"iam:PolicyARN": "x"})), action
    for action in ("iam:PassRole", "iam:TagRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"):
        assert allows(account.deploy, iam_call(action, project_role())), action
    assert allows(
        account.deploy, iam_call("iam:CreateInstanceProfile", f"{IAM}:instance-profile/aws-compute-platform-x")
    )
    assert allows(
        account.deploy,
        Request("ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-1", {"aws:RequestedRegion": REGION}),
    )
    assert not allows(
        account.deploy,
        Request("ec2:RunInstances", "arn:aws:ec2:eu-west-1::image/ami-1", {"aws:RequestedRegion": "eu-west-1"}),
    )


@pytest.mark.parametrize("action", ["iam:AttachRolePolicy", "iam:PutRolePolicy"])
def test_the_deploy_role_cannot_give_itself_administrator(account: Account, action: str) -> None:
    # The deploy role carries no boundary: IAM sends no iam:PermissionsBoundary for it.
    request = iam_call(action, account.result.deploy_role_arn, **{"iam:PolicyARN": ADMINISTRATOR_ACCESS})
    assert not allows(account.deploy, request)


@pytest.mark.parametrize(
    "action",
    [
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:DeleteRole",
        "iam:TagRole",
        "iam:UpdateRole",
        "iam:PassRole",
    ],
)
@pytest.mark.parametrize("role", ["deploy", "preview"])
def test_the_deploy_role_cannot_change_or_pass_either_ci_role(account: Account, action: str, role: str) -> None:
    arn = account.result.deploy_role_arn if role == "deploy" else account.result.preview_role_arn
    assert arn is not None
    assert not allows(account.deploy, iam_call(action, arn, account.result.boundary_arn))


@pytest.mark.parametrize(
    "boundary", [None, f"{IAM}:policy/aws-compute-platform-open", "arn:aws:iam::aws:policy/AdministratorAccess"]
)
def test_the_deploy_role_cannot_create_a_role_without_the_boundary(account: Account, boundary: str | None) -> None:
    assert not allows(account.deploy, iam_call("iam:CreateRole", project_role(), boundary))


@pytest.mark.parametrize(
    "action", ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy"]
)
def test_a_role_without_the_boundary_cannot_be_given_policies(account: Account, action: str) -> None:
    # An older project role made before the boundary existed (no key in the request), or one with another boundary.
    assert not allows(account.deploy, iam_call(action, project_role()))
    assert not allows(account.deploy, iam_call(action, project_role(), f"{IAM}:policy/other"))


def test_the_deploy_role_cannot_remove_or_replace_a_boundary(account: Account) -> None:
    boundary = account.result.boundary_arn
    assert not allows(account.deploy, iam_call("iam:DeleteRolePermissionsBoundary", project_role(), boundary))
    assert not allows(account.deploy, iam_call("iam:PutRolePermissionsBoundary", project_role(), ADMINISTRATOR_ACCESS))
    # Setting the same boundary again is harmless and allowed (pulumi sends it on every role update).
    assert allows(account.deploy, iam_call("iam:PutRolePermissionsBoundary", project_role(), boundary))


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
        "iam:TagPolicy",
    ],
)
def test_the_deploy_role_cannot_edit_the_boundary_policy(account: Account, action: str) -> None:
    assert not allows(account.deploy, iam_call(action, account.result.boundary_arn))
    # ... while a project policy of the same shape of name stays manageable.
    assert allows(account.deploy, iam_call(action, f"{IAM}:policy/aws-compute-platform-dev-app"))


@pytest.mark.parametrize(
    "arn",
    [
        f"{IAM}:role/OrganizationAccountAccessRole",
        f"{IAM}:role/admin",
        f"{IAM}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    ],
)
def test_the_deploy_role_cannot_pass_or_change_roles_outside_the_project(account: Account, arn: str) -> None:
    for action in ("iam:PassRole", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"):
        assert not allows(account.deploy, iam_call(action, arn, account.result.boundary_arn)), action


def test_the_deploy_role_cannot_create_users_or_access_keys(account: Account) -> None:
    for action, resource in (
        ("iam:CreateUser", f"{IAM}:user/aws-compute-platform-x"),
        ("iam:CreateAccessKey", f"{IAM}:user/admin"),
        ("iam:CreateLoginProfile", f"{IAM}:user/admin"),
        ("iam:AddUserToGroup", f"{IAM}:group/admins"),
        ("iam:CreateOpenIDConnectProvider", f"{IAM}:oidc-provider/example.com"),
    ):
        assert not allows(account.deploy, iam_call(action, resource, account.result.boundary_arn)), action


def test_the_deploy_role_uses_the_ci_keys_but_cannot_administer_or_grant_them(account: Account) -> None:
    context = {"aws:RequestedRegion": REGION}
    for key in account.key_arns.values():
        assert allows(account.deploy, Request("kms:Decrypt", key, context))
        for action in ("kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:DisableKey"):
            assert not allows(account.deploy, Request(action, key, context)), action
    # Keys the program makes (the stack's own) stay fully manageable.
    assert allows(account.deploy, Request("kms:PutKeyPolicy", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/new", context))


# --- roles the program creates: capped by the boundary, whatever their policies say -------------------------------


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateUser", f"{IAM}:user/backdoor"),
        ("iam:AttachRolePolicy", f"{IAM}:role/aws-compute-platform-dev-app"),
        ("iam:PutRolePolicy", f"{IAM}:role/aws-compute-platform-deploy"),
        ("iam:CreatePolicyVersion", f"{IAM}:policy/aws-compute-platform-boundary"),
        ("iam:DeleteRolePermissionsBoundary", f"{IAM}:role/aws-compute-platform-dev-app"),
        ("iam:PassRole", f"{IAM}:role/aws-compute-platform-deploy"),
        ("iam:PassRole", f"{IAM}:role/admin"),
        ("sts:AssumeRole", f"{IAM}:role/aws-compute-platform-deploy"),
        ("s3:GetObject", "arn:aws:s3:::aws-compute-platform-state-123456789012-us-east-1/.pulumi/stacks/x/prod.json"),
        ("s3:GetObject", "arn:aws:s3:::someone-elses-bucket/secret.txt"),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:payroll-admin"),
        ("organizations:LeaveOrganization", "*"),
    ],
)
def test_an_administrator_role_made_by_the_program_is_capped(account: Account, action: str, resource: str) -> None:
    role = account.created_role("aws-compute-platform-dev-app", ADMIN)
    assert not allows(role, Request(action, resource, {"aws:RequestedRegion": REGION}))


def test_a_program_role_keeps_what_its_workload_needs(account: Account) -> None:
    role = account.created_role("aws-compute-platform-dev-app", ADMIN)
    for action, resource in (
        ("s3:PutObject", "arn:aws:s3:::aws-compute-platform-dev-uploads-1/uploads/a.csv"),
        ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"),
        ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-1"),
        ("iam:PassRole", f"{IAM}:role/aws-compute-platform-dev-payroll-web"),
        ("xray:PutTraceSegments", "*"),
    ):
        assert allows(role, Request(action, resource)), action


def test_a_program_role_cannot_use_the_ci_keys(account: Account) -> None:
    role = account.created_role("aws-compute-platform-dev-app", ADMIN)
    for stack, key in account.key_arns.items():
        assert not kms_allows(role, Request("kms:Decrypt", key), account.key_policies[stack], ROOT), stack
    assert not kms_allows(role, Request("kms:Decrypt", STATE_KEY), DEFAULT_KEY_POLICY, ROOT)


# --- secrets and state: dev for pull requests, prod only for main --------------------------------------------------


def test_the_preview_role_decrypts_dev_secrets_and_never_prod(account: Account) -> None:
    dev, prod = account.key_arns["dev"], account.key_arns["prod"]
    assert kms_allows(account.preview, Request("kms:Decrypt", dev), account.key_policies["dev"], ROOT)
    assert not kms_allows(account.preview, Request("kms:Decrypt", prod), account.key_policies["prod"], ROOT)
    assert not kms_allows(account.preview, Request("kms:Encrypt", dev), account.key_policies["dev"], ROOT)
    # Even an IAM policy granting everything would not reach prod's key: its policy does not delegate use to IAM.
    loosened = Principal(account.preview.arn, (*account.preview.policies, ADMIN))
    assert not kms_allows(loosened, Request("kms:Decrypt", prod), account.key_policies["prod"], ROOT)


def test_the_deploy_role_uses_both_stacks_secrets(account: Account) -> None:
    for stack, key in account.key_arns.items():
        for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
            assert kms_allows(account.deploy, Request(action, key), account.key_policies[stack], ROOT), (stack, action)


def test_dev_and_prod_have_different_keys_and_only_prod_excludes_the_preview_role(account: Account) -> None:
    assert account.key_arns["dev"] != account.key_arns["prod"]
    principals = {
        stack: {
            p for s in policy["Statement"] for p in s["Principal"]["AWS"] if isinstance(s["Principal"]["AWS"], list)
        }
        for stack, policy in account.key_policies.items()
    }
    assert account.preview.arn in principals["dev"]
    assert account.preview.arn not in principals["prod"]


def test_the_preview_role_decrypts_a_kms_encrypted_state_bucket(account: Account) -> None:
    bucket = f"arn:aws:s3:::{account.result.state_bucket}"
    through_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucket}
    assert kms_allows(account.preview, Request("kms:Decrypt", STATE_KEY, through_s3), DEFAULT_KEY_POLICY, ROOT)
    # Only through S3 and only for this bucket: not a direct Decrypt, not another bucket's objects.
    assert not kms_allows(account.preview, Request("kms:Decrypt", STATE_KEY), DEFAULT_KEY_POLICY, ROOT)
    other = {**through_s3, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::other-bucket/x"}
    assert not kms_allows(account.preview, Request("kms:Decrypt", STATE_KEY, other), DEFAULT_KEY_POLICY, ROOT)
    # The deploy role writes state: it may make data keys with it.
    assert kms_allows(account.deploy, Request("kms:GenerateDataKey", STATE_KEY, through_s3), DEFAULT_KEY_POLICY, ROOT)


@pytest.mark.parametrize(
    ("key", "readable"),
    [
        (".pulumi/meta.yaml", True),
        (".pulumi/stacks/aws-compute-platform/dev.json", True),
        (".pulumi/stacks/aws-compute-platform/dev.json.gz", True),
        (".pulumi/stacks/aws-compute-platform/prod.json", False),
        (".pulumi/stacks/aws-compute-platform/prod.json.bak", False),
        (".pulumi/backups/aws-compute-platform/prod/prod.1700000000.json", False),
        (".pulumi/history/aws-compute-platform/prod/prod-1700000000.checkpoint.json", False),
        ("ci-plans/prod/0123456789abcdef0123456789abcdef01234567.json", False),
    ],
)
def test_the_preview_role_reads_dev_state_and_never_prod_state(account: Account, key: str, readable: bool) -> None:
    arn = f"arn:aws:s3:::{account.result.state_bucket}/{key}"
    assert allows(account.preview, Request("s3:GetObject", arn)) is readable
    assert allows(account.deploy, Request("s3:GetObject", arn))


def test_the_preview_role_writes_nothing(account: Account) -> None:
    bucket = account.result.state_bucket
    for action, resource in (
        ("s3:PutObject", f"arn:aws:s3:::{bucket}/.pulumi/stacks/aws-compute-platform/dev.json"),
        ("iam:PutRolePolicy", account.preview.arn),
        ("ec2:RunInstances", "*"),
        ("kms:Encrypt", account.key_arns["dev"]),
    ):
        assert not allows(account.preview, Request(action, resource, {"aws:RequestedRegion": REGION})), action
