"""Every IAM document the bootstrap and both stacks produce, linted with parliament (duo-labs' IAM linter).

A finding passes only if it is listed in `ACCEPTED` with the reason it is right for that kind of document; anything
else fails the test with the finding in full.
"""

from __future__ import annotations

import contextlib
import functools
import json
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports pkg_resources, which warns that it is deprecated
    import parliament
    import parliament.policy
    import parliament.statement
    from parliament import analyze_policy_string
    from parliament.misc import make_list

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


# Parliament answers "which resources does this policy allow for action X" by scanning, for every action a policy
# could grant (all of a service's for `ec2:*`, every one in AWS for `"Action": "*"`), each statement's expanded
# action list and then its whole IAM database for the action's definition, and four of its auditors each ask the
# question again for every action. A document with wildcards took seconds. `_indexed_parliament` answers the same
# questions from indexes built once: each statement's expanded actions as a set, the database keyed by action, and
# one answer per policy and action. The results are parliament's own (the algorithms are unchanged, only lookups);
# `test_the_indexed_linter_finds_what_parliament_finds` holds that on documents that take every branch.
def _statement_actions(statement: Any, element: str) -> tuple[bool, frozenset[tuple[str, str]]]:
    """Whether the statement's `element` (Action or NotAction) names `*`, and the actions it expands to."""
    cache: dict[str, tuple[bool, frozenset[tuple[str, str]]]] = statement.__dict__.setdefault("_indexed_actions", {})
    if element not in cache:
        values = [a.value for a in make_list(statement.stmt[element])]
        expanded = (parliament.expand_action(v, raise_exceptions=False) for v in values)
        cache[element] = (
            any(v in ("*", "*:*") for v in values),
            frozenset((a["service"], a["action"]) for actions in expanded for a in actions),
        )
    return cache[element]


def _in_actions(statement: Any, prefix: str, name: str) -> bool:
    """`Statement.in_actions`: an Action list names the privilege (or `*`); a NotAction list does not name it."""
    if "Action" in statement.stmt:
        star, actions = _statement_actions(statement, "Action")
        return star or (prefix, name) in actions
    return (prefix, name) not in _statement_actions(statement, "NotAction")[1]


@functools.cache
def _privileges() -> dict[tuple[str, str], tuple[Any, Any]]:
    index: dict[tuple[str, str], tuple[Any, Any]] = {}
    for service in parliament.iam_definition:
        for privilege in service["privileges"]:
            # The first entry wins, as in parliament's own scan.
            index.setdefault((service["prefix"], privilege["privilege"]), (service, privilege))
    return index


@contextlib.contextmanager
def _indexed_parliament() -> Iterator[None]:
    scan = parliament.statement.get_privilege_info
    allowed_resources = parliament.policy.Policy.get_allowed_resources

    def privilege_info(service: str, action: str) -> Any:
        found = _privileges().get((service, action))
        if found is None:
            return scan(service, action)  # parliament's own error for an unknown action
        service_info, privilege = found
        privilege["service_resources"] = service_info["resources"]  # what parliament's scan adds to the entry
        privilege["service_conditions"] = service_info["conditions"]
        return privilege

    def allowed_once(policy: Any, prefix: str, name: str) -> list[str]:
        # Asked only once the policy's statements are all read (Policy.analyze), so one answer per action holds.
        answers: dict[tuple[str, str], list[str]] = policy.__dict__.setdefault("_indexed_allowed", {})
        if (prefix, name) not in answers:
            answers[prefix, name] = allowed_resources(policy, prefix, name)
        return list(answers[prefix, name])

    with (
        mock.patch.object(parliament.statement.Statement, "in_actions", _in_actions),
        mock.patch.object(parliament.statement, "get_privilege_info", privilege_info),
        mock.patch.object(parliament.policy.Policy, "get_allowed_resources", allowed_once),
    ):
        yield


def _findings(document: Any, *, indexed: bool = True, community: bool = True) -> list[Any]:
    with _indexed_parliament() if indexed else contextlib.nullcontext():
        return list(analyze_policy_string(json.dumps(document), include_community_auditors=community).findings)


def lint(kind: str, document: Any) -> tuple[list[str], frozenset[int]]:
    """Parliament's findings that no `ACCEPTED` entry explains, and the indexes of the entries used."""
    unexplained, used = _lint(kind, json.dumps(document))
    return list(unexplained), used


@functools.cache
def _lint(kind: str, document: str) -> tuple[tuple[str, ...], frozenset[int]]:
    """Once per process for each kind and document: dev and prod share most of theirs."""
    unexplained: list[str] = []
    used: set[int] = set()
    for finding in _findings(json.loads(document)):
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
    return tuple(unexplained), frozenset(used)


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


QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue"


@pytest.mark.parametrize(
    ("statements", "community"),
    [
        pytest.param(
            [
                {
                    "Effect": "Allow",
                    "Action": ["s3:*", "sqs:Send*", "iam:PassRole", "iam:CreatePolicyVersion"],
                    "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*", QUEUE],
                },
                {"Effect": "Allow", "Action": ["kms:Decrypt", "lightsail:GetInstance*"], "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {"Effect": "Deny", "Action": "sqs:SendMessage", "NotResource": QUEUE},
            ],
            True,
            id="wildcards-denies-conditions-notresource",
        ),
        pytest.param(
            [
                {"Effect": "Allow", "Action": ["sqs:*", "sns:Publish"], "Resource": "*"},
                {"Effect": "Deny", "NotAction": ["sqs:Get*", "sns:*"], "Resource": "*"},
            ],
            True,
            id="notaction",
        ),
        # `"Action": "*"` with the community auditors asks about every action in AWS: seconds for plain parliament.
        # Its own checks (bucket privilege escalation) take the same branch of `in_actions` at no such cost.
        pytest.param(
            [
                {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]},
                {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"},
            ],
            False,
            id="action-star",
        ),
    ],
)
def test_the_indexed_linter_finds_what_parliament_finds(statements: list[dict[str, Any]], community: bool) -> None:
    document = {"Version": "2012-10-17", "Statement": statements}

    def findings(indexed: bool) -> list[str]:
        # Parliament lists a finding's actions from a set, in no fixed order: compare them sorted.
        def canonical(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: canonical(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
            return value

        found = _findings(document, indexed=indexed, community=community)
        return sorted(json.dumps(canonical([f.issue, f.detail, f.location]), default=str) for f in found)

    plain = findings(indexed=False)
    assert plain  # each document gives findings to compare
    assert findings(indexed=True) == plain
