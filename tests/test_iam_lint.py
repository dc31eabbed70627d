"""Every IAM document the bootstrap and both stacks produce, linted with parliament (duo-labs' IAM linter).

A finding passes only if it is listed in `ACCEPTED` with the reason it is right for that kind of document; anything
else fails the test with the finding in full.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports pkg_resources, which warns that it is deprecated
    from parliament import analyze_policy_string

from bootstrap.bootstrap import (
    Names,
    boundary_policy,
    deploy_policy,
    preview_policy,
    secrets_key_policy,
    tls_only_policy,
    trust_policy,
)
from plan import Plan

ACCOUNT = "123456789012"
REGION = "us-east-1"
NAMES = Names("aws", ACCOUNT, REGION, f"aws-compute-platform-state-{ACCOUNT}-{REGION}", state_kms_key_arn=None)
NAMES_WITH_STATE_KEY = Names(
    "aws", ACCOUNT, REGION, NAMES.bucket, state_kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/state"
)
KEYS = [f"arn:aws:kms:{REGION}:{ACCOUNT}:key/dev", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/prod"]
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Accepted:
    """A kind of finding that is right for a kind of document, and why."""

    kind: str
    issue: str
    reason: str
    detail: Callable[[Any], bool] = lambda _: True


def _actions_are(*prefixes: str) -> Callable[[Any], bool]:
    """The finding's actions all belong to these services (or are these exact actions)."""

    def check(finding: Any) -> bool:
        location, detail = finding["location"], finding["detail"]
        actions = location.get("actions") if isinstance(location, dict) and location.get("actions") else detail
        names = [a if isinstance(a, str) else a.get("action", "") for a in actions or []]
        return bool(names) and all(n.lower().startswith(tuple(p.lower() for p in prefixes)) for n in names)

    return check


def _mentions(text: str) -> Callable[[Any], bool]:
    return lambda detail: text in json.dumps(detail, default=str)


RESOURCE_POLICY_KINDS = ("key policy", "stack key policy")
ACCEPTED = [
    # --- trust policies ---
    Accepted(
        "trust policy",
        "MALFORMED",
        "A trust policy is a resource policy of the role itself: it has no Resource element, and IAM refuses one.",
        _mentions("neither Resource nor NotResource"),
    ),
    Accepted(
        "trust policy",
        "UNKNOWN_FEDERATION_SOURCE",
        "The federated principal is the account's OIDC provider for GitHub Actions, which parliament's list of "
        "known identity providers (Cognito, SAML, a few OIDC hosts) does not include.",
        _mentions("oidc-provider/token.actions.githubusercontent.com"),
    ),
    # --- key policies (bootstrap's and the stack's) ---
    *(
        Accepted(
            kind,
            "RESOURCE_STAR",
            'In a key policy "Resource": "*" means this key and nothing else (AWS KMS Developer Guide, key policies).',
        )
        for kind in RESOURCE_POLICY_KINDS
    ),
    *(
        Accepted(
            kind,
            "PERMISSIONS_MANAGEMENT_ACTIONS",
            "Key administration (PutKeyPolicy, grants) is given to the account root, as AWS's default key policy "
            "does, so that IAM administrators keep control of the key; the deploy role is denied it explicitly.",
            _actions_are("kms:"),
        )
        for kind in RESOURCE_POLICY_KINDS
    ),
    Accepted(
        "stack key policy",
        "MISMATCHED_TYPE",
        "kms:EncryptionContext:aws:logs:arn holds an ARN; CloudWatch Logs' own guide matches it with ArnLike "
        "(parliament types every encryption-context key as a string).",
        _mentions("ArnLike"),
    ),
    Accepted(
        "stack key policy",
        "UNKNOWN_CONDITION_FOR_ACTION",
        "CloudWatch Logs' documented key policy puts kms:Describe* in the statement scoped by the log group's "
        "encryption context; DescribeKey carries no context, so the statement simply never grants it.",
        _mentions("kms:EncryptionContext:aws:logs:arn"),
    ),
    # --- the deploy role ---
    Accepted(
        "deploy",
        "CREDENTIALS_EXPOSURE",
        "lightsail:* (the program manages Lightsail instances and databases) includes the calls that return "
        "their access details and master password, and cognito-idp:* (payroll's user pool) the call that returns "
        "its app client's secret; the role is trusted only by main and production.",
        _actions_are("lightsail:", "cognito-idp:"),
    ),
    Accepted(
        "deploy",
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        "pulumi up creates the program's roles, policies, bucket policies, key policies and resource policies; "
        "IAM writes are held to the boundary and denied on the CI roles, the boundary and the CI keys.",
    ),
    Accepted(
        "deploy",
        "PRIVILEGE_ESCALATION",
        "Each path parliament names (new policy version, default version, PassRole to EC2, Lambda or "
        "CloudFormation, Lambda code) ends at a project role, which always carries the boundary; "
        "tests/test_iam_escalation.py evaluates each of them and the CI roles stay out of reach.",
    ),
    Accepted(
        "deploy",
        "RESOURCE_STAR",
        "Services whose resources get ids only when created are granted whole but only in the stack's region "
        "(aws:RequestedRegion); the account-wide reads (GetRole, ListRoles, GetBucketLocation) have no narrower form "
        "that still lets pulumi refresh.",
    ),
    Accepted(
        "deploy",
        "RESOURCE_MISMATCH",
        "s3:* and secretsmanager:* are scoped to name patterns; the few actions of those services that act on "
        "another resource type (access grants, GetRandomPassword) are simply not granted, which is intended.",
        _actions_are("s3:", "secretsmanager:"),
    ),
    # --- the preview role ---
    Accepted(
        "preview",
        "RESOURCE_STAR",
        "Describe/List/Get of configuration metadata, limited to the region; these calls take no resource ARN.",
    ),
    Accepted(
        "preview",
        "RESOURCE_MISMATCH",
        "AWS's public parameters (/aws/service/*) have an ARN with an empty account field, which parliament's "
        "pattern (account `*`) does not expect; the ARN is the one AWS documents for them.",
        _actions_are("ssm:GetParameter"),
    ),
    # --- the permissions boundary ---
    Accepted(
        "boundary",
        "CREDENTIALS_EXPOSURE",
        "A boundary grants nothing; it caps. The workloads' own policies grant far less (tests check those).",
        _actions_are("lightsail:"),
    ),
    Accepted(
        "boundary",
        "PERMISSIONS_MANAGEMENT_ACTIONS",
        "A boundary grants nothing; the services' own resource policies (SQS, SNS, S3) stay within the cap.",
    ),
    Accepted(
        "boundary",
        "PRIVILEGE_ESCALATION",
        "PassRole in the boundary is limited to project roles, which carry the same boundary; the CI roles are "
        "denied. The paths parliament names therefore end at a role capped the same way.",
    ),
    Accepted("boundary", "RESOURCE_STAR", "A boundary's workload services are caps, not grants."),
    Accepted(
        "boundary",
        "RESOURCE_MISMATCH",
        "Caps scoped to name patterns; the actions of other resource types are simply not within the cap.",
        _actions_are("s3:", "secretsmanager:", "iam:ListInstanceProfiles"),
    ),
]


def bootstrap_documents() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for names in (NAMES, NAMES_WITH_STATE_KEY):
        yield "deploy", "deploy", deploy_policy(names, KEYS)
        yield "preview", "preview", preview_policy(names, KEYS[:1], ["prod"])
        yield "boundary", "boundary", boundary_policy(names, KEYS)
    yield "key policy", "dev key", secrets_key_policy(NAMES, "dev", [NAMES.deploy_role_arn], [NAMES.preview_role_arn])
    yield "key policy", "prod key", secrets_key_policy(NAMES, "prod", [NAMES.deploy_role_arn], [])
    yield "bucket policy", "state bucket", tls_only_policy("aws", NAMES.bucket)
    yield "trust policy", "deploy trust", trust_policy(PROVIDER, ["repo:acme/app:ref:refs/heads/main"])


# The documents each resource type carries, and what kind of document each is.
STACK_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": ("policy", "role policy"),
    "aws:iam/policy:Policy": ("policy", "role policy"),
    "aws:iam/role:Role": ("assumeRolePolicy", "trust policy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "bucket policy"),
    "aws:kms/key:Key": ("policy", "stack key policy"),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": ("policy", "file system policy"),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy", "queue policy"),
}


def stack_documents(plan: Plan) -> Iterator[tuple[str, str, Any]]:
    for resource in plan:
        if resource.type in STACK_DOCUMENTS:
            field, kind = STACK_DOCUMENTS[resource.type]
            document = resource.inputs.get(field)
            if document is not None:
                yield kind, resource.name, json.loads(document) if isinstance(document, str) else document


def lint(kind: str, document: Any) -> tuple[list[str], set[int]]:
    """Parliament's findings that no `ACCEPTED` entry explains, and the indexes of the entries used."""
    analysed = analyze_policy_string(json.dumps(document), include_community_auditors=True)
    unexplained: list[str] = []
    used: set[int] = set()
    for finding in analysed.findings:
        matches = [
            i
            for i, accepted in enumerate(ACCEPTED)
            if accepted.kind == kind
            and accepted.issue == finding.issue
            and accepted.detail({"detail": finding.detail, "location": finding.location})
        ]
        if matches:
            used.update(matches)
        else:
            unexplained.append(f"{finding.issue}: {finding.detail} {finding.location}")
    return unexplained, used


def test_every_finding_on_the_bootstraps_documents_is_explained() -> None:
    used: set[int] = set()
    problems: list[str] = []
    for kind, name, document in bootstrap_documents():
        unexplained, found = lint(kind, document)
        used |= found
        problems += [f"{name}: {u}" for u in unexplained]
    assert problems == []
    # No acceptance outlives its finding: each one for a bootstrap document still matches something.
    bootstrap_kinds = {"deploy", "preview", "boundary", "key policy", "trust policy"}
    stale = [a.kind + " " + a.issue for i, a in enumerate(ACCEPTED) if a.kind in bootstrap_kinds and i not in used]
    assert stale == []


def test_every_finding_on_the_stacks_documents_is_explained(stack_plan: Plan) -> None:
    documents = list(stack_documents(stack_plan))
    assert {kind for kind, _, _ in documents} >= {"role policy", "trust policy", "bucket policy", "stack key policy"}
    problems = [f"{name}: {u}" for kind, name, document in documents for u in lint(kind, document)[0]]
    assert problems == []


def test_every_acceptance_gives_a_reason() -> None:
    assert all(len(a.reason) > 40 for a in ACCEPTED)


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]},
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}]},
    ],
)
def test_the_linter_flags_what_a_deploy_role_must_not_have(document: dict[str, Any]) -> None:
    unexplained, _ = lint("role policy", document)
    assert unexplained
