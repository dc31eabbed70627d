"""The IAM evaluator the escalation tests rely on: each rule of AWS's evaluation logic it implements, both ways."""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.evaluate import (
    Decision,
    Principal,
    Request,
    UnsupportedPolicyError,
    allows,
    arn_match,
    decide,
    glob_match,
    kms_allows,
)

ROLE = "arn:aws:iam::123456789012:role/app"
ROOT = "arn:aws:iam::123456789012:root"
KEY = "arn:aws:kms:us-east-1:123456789012:key/abc"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def verdict(document: dict[str, Any], action: str, resource: str = "*", **context: Any) -> Decision:
    return decide([document], Request(action, resource, context))


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "anything/at:all", True),
        ("role/app-*", "role/app-web", True),
        ("role/app-*", "role/other", False),
        ("role/app-?", "role/app-1", True),
        ("role/app-?", "role/app-12", False),
        ("a.b", "axb", False),  # regex characters are literal
        ("", "", True),
    ],
)
def test_wildcards_match_like_iam(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def test_actions_match_case_insensitively_and_resources_case_sensitively() -> None:
    document = policy(allow("IAM:createRole", "arn:aws:iam::1:role/App"))
    assert verdict(document, "iam:CreateRole", "arn:aws:iam::1:role/App") is Decision.ALLOW
    assert verdict(document, "iam:CreateRole", "arn:aws:iam::1:role/app") is Decision.IMPLICIT_DENY


def test_arn_like_matches_each_part_on_its_own() -> None:
    assert arn_match("arn:aws:iam::*:role/x", "arn:aws:iam::123:role/x")
    # `*` in the account part cannot swallow the colon that ends it.
    assert not arn_match("arn:aws:iam::*", "arn:aws:iam::123:role/x")
    assert arn_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c")


def test_explicit_deny_wins_over_any_allow() -> None:
    document = policy(allow(), deny("iam:*", "arn:aws:iam::1:role/ci"))
    assert verdict(document, "iam:PutRolePolicy", "arn:aws:iam::1:role/ci") is Decision.EXPLICIT_DENY
    assert verdict(document, "iam:PutRolePolicy", "arn:aws:iam::1:role/app") is Decision.ALLOW
    assert verdict(policy(), "s3:GetObject", "x") is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource_match_everything_else() -> None:
    document = policy({"Effect": "Deny", "NotAction": ["kms:Decrypt"], "Resource": KEY}, allow("kms:*"))
    assert verdict(document, "kms:Decrypt", KEY) is Decision.ALLOW
    assert verdict(document, "kms:PutKeyPolicy", KEY) is Decision.EXPLICIT_DENY
    assert verdict(document, "kms:PutKeyPolicy", "arn:aws:kms:us-east-1:1:key/other") is Decision.ALLOW
    not_resource = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::state/*"})
    assert verdict(not_resource, "s3:GetObject", "arn:aws:s3:::state/x") is Decision.IMPLICIT_DENY
    assert verdict(not_resource, "s3:GetObject", "arn:aws:s3:::other/x") is Decision.ALLOW


def test_string_equals_and_string_like_need_the_key_and_one_matching_value() -> None:
    document = policy(allow(Condition={"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}))
    assert verdict(document, "ec2:RunInstances", **{"aws:requestedregion": "eu-west-1"}) is Decision.ALLOW
    assert verdict(document, "ec2:RunInstances", **{"aws:RequestedRegion": "us-west-2"}) is Decision.IMPLICIT_DENY
    assert verdict(document, "ec2:RunInstances") is Decision.IMPLICIT_DENY
    like = policy(allow(Condition={"StringLike": {"k": "repo:acme/*"}}))
    assert verdict(like, "x:y", k="repo:acme/app") is Decision.ALLOW
    assert verdict(like, "x:y", k="repo:evil/app") is Decision.IMPLICIT_DENY


def test_several_operators_and_keys_must_all_hold() -> None:
    document = policy(allow(Condition={"StringEquals": {"a": "1", "b": "2"}, "Bool": {"c": "true"}}))
    assert verdict(document, "x:y", a="1", b="2", c=True) is Decision.ALLOW
    assert verdict(document, "x:y", a="1", b="2", c=False) is Decision.IMPLICIT_DENY
    assert verdict(document, "x:y", a="1", c=True) is Decision.IMPLICIT_DENY


def test_negated_operators_hold_when_the_key_is_missing() -> None:
    document = policy(deny(Condition={"ArnNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}}))
    assert verdict(document, "iam:CreateRole") is Decision.EXPLICIT_DENY
    assert verdict(document, "iam:CreateRole", **{"iam:PermissionsBoundary": "arn:aws:iam::1:policy/x"}) is (
        Decision.EXPLICIT_DENY
    )
    assert verdict(document, "iam:CreateRole", **{"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}) is (
        Decision.IMPLICIT_DENY
    )
    string_not = policy(deny(Condition={"StringNotLike": {"k": "a*"}}))
    assert verdict(string_not, "x:y") is Decision.EXPLICIT_DENY
    assert verdict(string_not, "x:y", k="abc") is Decision.IMPLICIT_DENY


def test_if_exists_matches_a_missing_key() -> None:
    document = policy(allow(Condition={"StringEqualsIfExists": {"k": "v"}}))
    assert verdict(document, "x:y") is Decision.ALLOW
    assert verdict(document, "x:y", k="v") is Decision.ALLOW
    assert verdict(document, "x:y", k="w") is Decision.IMPLICIT_DENY


def test_null_checks_whether_the_key_is_present() -> None:
    absent = policy(deny(Condition={"Null": {"iam:PermissionsBoundary": "true"}}))
    assert verdict(absent, "iam:CreateRole") is Decision.EXPLICIT_DENY
    assert verdict(absent, "iam:CreateRole", **{"iam:PermissionsBoundary": "b"}) is Decision.IMPLICIT_DENY
    present = policy(allow(Condition={"Null": {"k": "false"}}))
    assert verdict(present, "x:y", k="v") is Decision.ALLOW
    assert verdict(present, "x:y") is Decision.IMPLICIT_DENY


def test_bool_compares_the_string_form() -> None:
    document = policy(deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    assert verdict(document, "s3:GetObject", "*", **{"aws:SecureTransport": False}) is Decision.EXPLICIT_DENY
    assert verdict(document, "s3:GetObject", "*", **{"aws:SecureTransport": True}) is Decision.IMPLICIT_DENY
    assert verdict(document, "s3:GetObject") is Decision.IMPLICIT_DENY


def test_set_operators_over_multivalued_keys() -> None:
    any_value = policy(allow(Condition={"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}))
    assert verdict(any_value, "x:y", tags=["z", "b"]) is Decision.ALLOW
    assert verdict(any_value, "x:y", tags=["z"]) is Decision.IMPLICIT_DENY
    assert verdict(any_value, "x:y") is Decision.IMPLICIT_DENY
    all_values = policy(allow(Condition={"ForAllValues:StringLike": {"tags": ["a*"]}}))
    assert verdict(all_values, "x:y", tags=["ab", "ac"]) is Decision.ALLOW
    assert verdict(all_values, "x:y", tags=["ab", "b"]) is Decision.IMPLICIT_DENY
    assert verdict(all_values, "x:y") is Decision.ALLOW  # vacuous truth, as AWS documents it
    with pytest.raises(UnsupportedPolicyError, match="several values"):
        verdict(policy(allow(Condition={"StringEquals": {"tags": "a"}})), "x:y", tags=["a", "b"])


def test_unsupported_elements_raise_instead_of_deciding() -> None:
    with pytest.raises(UnsupportedPolicyError, match="NumericLessThan"):
        verdict(policy(allow(Condition={"NumericLessThan": {"k": "1"}})), "x:y", k="0")
    with pytest.raises(UnsupportedPolicyError, match="Effect"):
        verdict(policy({"Effect": "Maybe", "Action": "*", "Resource": "*"}), "x:y")
    with pytest.raises(UnsupportedPolicyError, match="neither Action"):
        verdict(policy({"Effect": "Allow", "Resource": "*"}), "x:y")


def test_a_permissions_boundary_caps_identity_allows() -> None:
    admin = policy(allow())
    boundary = policy(allow("s3:*"))
    role = Principal(ROLE, (admin,), boundary)
    assert allows(role, Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert not allows(role, Request("iam:CreateUser", "arn:aws:iam::1:user/x"))
    assert allows(Principal(ROLE, (admin,)), Request("iam:CreateUser", "arn:aws:iam::1:user/x"))


def test_a_resource_policy_naming_the_role_allows_and_its_deny_applies() -> None:
    bucket = policy(
        allow("s3:GetObject", "arn:aws:s3:::b/*", Principal={"AWS": ROLE}),
        deny("s3:*", "arn:aws:s3:::b/*", Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    role = Principal(ROLE, ())
    assert allows(role, Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": True}), bucket)
    assert not allows(role, Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": False}), bucket)
    other = Principal("arn:aws:iam::123456789012:role/other", ())
    assert not allows(other, Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": True}), bucket)


def test_kms_needs_the_key_policy_directly_or_through_the_account_root() -> None:
    direct = policy(allow("kms:Decrypt", Principal={"AWS": ROLE}))
    delegated = policy(allow("kms:*", Principal={"AWS": ROOT}))
    decrypt = Request("kms:Decrypt", KEY)
    no_iam = Principal(ROLE, ())
    with_iam = Principal(ROLE, (policy(allow("kms:Decrypt", KEY)),))
    assert kms_allows(no_iam, decrypt, direct, ROOT)
    assert not kms_allows(no_iam, decrypt, delegated, ROOT)
    assert kms_allows(with_iam, decrypt, delegated, ROOT)
    # A key policy that neither names the role nor delegates: no IAM policy helps.
    assert not kms_allows(with_iam, decrypt, policy(allow("kms:*", Principal={"AWS": "arn:aws:iam::1:role/x"})), ROOT)
    # An identity-policy deny still applies to a role the key policy names.
    denied = Principal(ROLE, (policy(deny("kms:*", KEY)),))
    assert not kms_allows(denied, decrypt, direct, ROOT)
