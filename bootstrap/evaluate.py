"""A small IAM policy evaluator: enough of AWS's evaluation logic to prove what the bootstrap's policies allow.

It follows "Policy evaluation logic" in the IAM User Guide for one account:

1. An explicit `Deny` in any policy that applies (identity policies, the permissions boundary, a resource policy)
   wins.
2. Otherwise the request needs an `Allow` from an identity policy or from a resource policy naming the principal
   (KMS is the exception: a key policy must allow, either directly or by delegating to the account's IAM policies
   through the account root principal; see `kms_allows`).
3. A permissions boundary caps identity-based allows: the boundary must allow the request too.

Supported, because the bootstrap uses them: `Action`/`NotAction` and `Resource`/`NotResource` with `*` and `?`
wildcards (actions match case-insensitively), `Principal` (`"*"` or `{"AWS": ...}`), and the condition operators
`StringEquals`, `StringNotEquals`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`, `ArnNotEquals`,
`ArnNotLike`, `Bool` and `Null`, each with the `IfExists` suffix and the `ForAnyValue:` / `ForAllValues:` set
prefixes. Anything else raises `UnsupportedPolicyError`, so a policy the evaluator cannot read never passes as
"denied" by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

Policy = Mapping[str, Any]
ContextValue = str | bool | Sequence[str]


class UnsupportedPolicyError(ValueError):
    """The policy uses an element or operator this evaluator does not implement."""


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: the action, the resource ARN and the request context (condition keys)."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def value(self, key: str) -> ContextValue | None:
        """Condition keys are case-insensitive (tag values and the like are not)."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return value
        return None


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in glob)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters (including none and `/` or `:`), `?` exactly one character."""
    return _pattern(glob, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """ArnLike: both split into arn:partition:service:region:account:resource, each part matched on its own."""
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        # Only `*` stands for any ARN; a pattern with fewer parts than an ARN matches no ARN.
        return pattern == "*" or (not arn.startswith("arn:") and glob_match(pattern, arn))
    return all(glob_match(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(policy: Policy) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(glob_match(a, action, ignore_case=True) for a in _list(statement["Action"]))
    if "NotAction" in statement:
        return not any(glob_match(a, action, ignore_case=True) for a in _list(statement["NotAction"]))
    raise UnsupportedPolicyError(f"statement {statement.get('Sid', '')!r} has neither Action nor NotAction")


def _matches_resource(statement: Mapping[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(arn_match(r, resource) for r in _list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(arn_match(r, resource) for r in _list(statement["NotResource"]))
    # A resource policy may leave Resource out only where the service implies it; ours never do.
    raise UnsupportedPolicyError(f"statement {statement.get('Sid', '')!r} has neither Resource nor NotResource")


def _matches_principal(statement: Mapping[str, Any], principal: str | None) -> bool:
    if "Principal" not in statement:
        return True  # an identity policy: it applies to whoever it is attached to
    if "NotPrincipal" in statement:
        raise UnsupportedPolicyError("NotPrincipal is not supported")
    value = statement["Principal"]
    if value == "*":
        return True
    if principal is None or not isinstance(value, Mapping):
        return False
    return any(p in ("*", principal) for p in _list(value.get("AWS", [])))


Comparison = Callable[[str, str], bool]
_STRING_OPERATORS: dict[str, tuple[Comparison, bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (glob_match, False),
    "StringNotLike": (glob_match, True),
    "ArnEquals": (lambda p, v: p == v, False),
    "ArnNotEquals": (lambda p, v: p == v, True),
    "ArnLike": (arn_match, False),
    "ArnNotLike": (arn_match, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
}


def _as_strings(value: ContextValue) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _condition_holds(operator: str, key: str, policy_values: list[Any], request: Request) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    base = name.removesuffix("IfExists")
    present = request.value(key)
    if base == "Null":
        if qualifier:
            raise UnsupportedPolicyError(f"{operator} is not supported")
        wanted_absent = {str(v).lower() for v in policy_values}
        return ("true" if present is None else "false") in wanted_absent
    if base not in _STRING_OPERATORS:
        raise UnsupportedPolicyError(f"condition operator {operator!r} is not supported")
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnsupportedPolicyError(f"set operator {qualifier!r} is not supported")
    compare, negated = _STRING_OPERATORS[base]
    patterns = [str(v).lower() if isinstance(v, bool) else str(v) for v in policy_values]
    if present is None:
        # A key the request does not carry: IfExists treats it as a match, ForAllValues holds vacuously, and a
        # negated operator holds (there is nothing equal to the value); every other operator fails.
        return if_exists or qualifier == "ForAllValues" or (negated and qualifier == "")
    values = _as_strings(present)

    def matches(value: str) -> bool:
        found = any(compare(pattern, value) for pattern in patterns)
        return not found if negated else found

    if qualifier == "ForAllValues":
        return all(matches(v) for v in values)
    if qualifier == "ForAnyValue":
        return any(matches(v) for v in values)
    if len(values) != 1:
        raise UnsupportedPolicyError(f"{key} has several values: use ForAnyValue or ForAllValues")
    return matches(values[0])


def _matches_conditions(statement: Mapping[str, Any], request: Request) -> bool:
    conditions = statement.get("Condition", {})
    return all(
        _condition_holds(operator, key, _list(values), request)
        for operator, by_key in conditions.items()
        for key, values in by_key.items()
    )


def statement_applies(statement: Mapping[str, Any], request: Request, principal: str | None = None) -> bool:
    return (
        _matches_principal(statement, principal)
        and _matches_action(statement, request.action)
        and _matches_resource(statement, request.resource)
        and _matches_conditions(statement, request)
    )


def decide(policies: Iterable[Policy], request: Request, principal: str | None = None) -> Decision:
    """The verdict of a set of policies alone: any matching Deny, else any matching Allow, else implicit deny."""
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            effect = statement.get("Effect")
            if effect not in ("Allow", "Deny"):
                raise UnsupportedPolicyError(f"Effect must be Allow or Deny, got {effect!r}")
            if statement_applies(statement, request, principal):
                if effect == "Deny":
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


@dataclass(frozen=True)
class Principal:
    """An IAM role as the evaluator sees it: its ARN, its identity policies and its permissions boundary."""

    arn: str
    policies: tuple[Policy, ...]
    boundary: Policy | None = None


def allows(principal: Principal, request: Request, resource_policy: Policy | None = None) -> bool:
    """Whether a request by this role, in its own account, is allowed."""
    identity = decide(principal.policies, request)
    boundary = decide([principal.boundary], request) if principal.boundary is not None else Decision.ALLOW
    resource = (
        decide([resource_policy], request, principal.arn) if resource_policy is not None else Decision.IMPLICIT_DENY
    )
    if Decision.EXPLICIT_DENY in (identity, boundary, resource):
        return False
    # Within one account a resource policy naming the role allows on its own; the boundary still caps it.
    return (identity is Decision.ALLOW or resource is Decision.ALLOW) and boundary is Decision.ALLOW


def kms_allows(principal: Principal, request: Request, key_policy: Policy, account_root: str) -> bool:
    """KMS: the key policy decides. It allows a role directly, or delegates to IAM by allowing the account root."""
    if decide(principal.policies, request) is Decision.EXPLICIT_DENY:
        return False
    if principal.boundary is not None and decide([principal.boundary], request) is not Decision.ALLOW:
        return False
    key = decide([key_policy], request, principal.arn)
    if key is Decision.EXPLICIT_DENY:
        return False
    if key is Decision.ALLOW:
        return True
    delegated = decide([key_policy], request, account_root) is Decision.ALLOW
    return delegated and decide(principal.policies, request) is Decision.ALLOW
