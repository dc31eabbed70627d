"""The pack's checks after cdk-nag's AwsSolutions rules: each fires on a bad resource and passes a good one; findings
are accepted only per resource with a reason, and every recorded reason still matches a finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from plan import Plan
from policy import nag, rules
from tests.test_policy import Stack, plan_violations, violations

CONFIG = Path(__file__).resolve().parent.parent / "policy" / "config"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k"

# (policy, resource type, a bad resource's properties, the same resource made good, words of the message)
RESOURCE_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    (
        "ec2-no-world-ingress",
        nag.INGRESS_RULE,
        {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "0.0.0.0/0"},
        {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "referencedSecurityGroupId": "sg-1"},
        "admits 0.0.0.0/0 on port 5432",
    ),
    (
        "ec2-no-world-ingress",
        nag.SECURITY_GROUP,
        {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]},
        {"ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.0.0/8"]}]},
        "admits ::/0 on every port",
    ),
    (
        "ec2-termination-protection",
        nag.INSTANCE,
        {"instanceType": "t3.micro"},
        {"instanceType": "t3.micro", "disableApiTermination": True},
        "disableApiTermination",
    ),
    (
        "elb-access-logs",
        nag.LOAD_BALANCER,
        {"loadBalancerType": "application", "accessLogs": {"bucket": "logs", "enabled": False}},
        {"loadBalancerType": "application", "accessLogs": {"bucket": "logs", "enabled": True}},
        "keeps no access logs",
    ),
    (
        "rds-non-default-port",
        nag.RDS_INSTANCE,
        {"engine": "postgres", "port": 5432},
        {"engine": "postgres", "port": 15432},
        "default port 5432",
    ),
    (
        "rds-backups",
        nag.RDS_INSTANCE,
        {"engine": "mysql", "backupRetentionPeriod": 0},
        {"engine": "mysql", "backupRetentionPeriod": 7},
        "keeps no automated backups",
    ),
    ("efs-encrypted", nag.EFS, {"encrypted": False}, {"encrypted": True, "kmsKeyId": KEY}, "not encrypted at rest"),
    (
        "lightsail-no-admin-ports-from-internet",
        nag.LIGHTSAIL_PORTS,
        {"portInfos": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrs": ["0.0.0.0/0"]}]},
        {"portInfos": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrs": ["203.0.113.0/24"]}]},
        "open 22 (SSH) to the whole internet",
    ),
    (
        "lightsail-no-admin-ports-from-internet",
        nag.LIGHTSAIL_PORTS,
        {"portInfos": [{"protocol": "tcp", "fromPort": 3389, "toPort": 3389, "ipv6Cidrs": ["::/0"], "cidrs": []}]},
        {"portInfos": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrs": ["0.0.0.0/0"]}]},
        "open 3389 (RDP)",
    ),
    (
        "lightsail-no-admin-ports-from-internet",
        nag.LIGHTSAIL_PORTS,
        {"portInfos": [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080}]},
        {
            "portInfos": [
                {"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrListAliases": ["lightsail-connect"]}
            ]
        },
        "names no sources",
    ),
    (
        "api-access-logs",
        nag.HTTP_API_STAGE,
        {"name": "$default", "apiId": "a"},
        {"name": "$default", "apiId": "a", "accessLogSettings": {"destinationArn": "arn:aws:logs:x", "format": "$x"}},
        "keeps no access logs",
    ),
    (
        "api-authorization",
        nag.HTTP_API_ROUTE,
        {"routeKey": "GET /orders", "authorizationType": "NONE"},
        {"routeKey": "GET /orders", "authorizationType": "AWS_IAM"},
        "authorization is NONE",
    ),
    (
        "api-authorization",
        nag.REST_API_METHOD,
        {"httpMethod": "GET", "authorization": "NONE"},
        {"httpMethod": "GET", "authorization": "COGNITO_USER_POOLS"},
        "authorization is NONE",
    ),
    (
        "dynamodb-point-in-time-recovery",
        nag.DYNAMODB_TABLE,
        {"hashKey": "id", "pointInTimeRecovery": {"enabled": False}},
        {"hashKey": "id", "pointInTimeRecovery": {"enabled": True}},
        "no point-in-time recovery",
    ),
    ("sqs-encrypted", nag.QUEUE, {"sqsManagedSseEnabled": False}, {"kmsMasterKeyId": KEY}, "is not encrypted"),
    ("kms-key-rotation", nag.KMS_KEY, {"enableKeyRotation": False}, {"enableKeyRotation": True}, "never rotates"),
    ("lambda-supported-runtime", nag.LAMBDA_FUNCTION, {"runtime": "python3.9"}, {"runtime": "python3.13"}, "python3.9"),
    (
        "iam-no-wildcards",
        nag.ROLE_POLICY,
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]})},
        {
            "policy": json.dumps(
                {
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                        {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"},
                        {"Effect": "Deny", "Action": "*", "Resource": "*"},
                    ]
                }
            )
        },
        "allows s3:*",
    ),
    (
        "iam-no-wildcards",
        nag.ROLE_POLICY,
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}]})},
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:q"}]})},
        "on every resource",
    ),
    (
        "beanstalk-in-a-vpc",
        nag.BEANSTALK_ENVIRONMENT,
        {"settings": []},
        {"settings": [{"namespace": "aws:ec2:vpc", "name": "VPCId", "value": "vpc-1"}]},
        "names no VPC",
    ),
    (
        "beanstalk-managed-updates",
        nag.BEANSTALK_ENVIRONMENT,
        {
            "settings": [
                {"namespace": "aws:elasticbeanstalk:managedactions", "name": "ManagedActionsEnabled", "value": "false"}
            ]
        },
        {
            "settings": [
                {"namespace": "aws:elasticbeanstalk:managedactions", "name": "ManagedActionsEnabled", "value": "true"},
                {
                    "namespace": "aws:elasticbeanstalk:managedactions:platformupdate",
                    "name": "UpdateLevel",
                    "value": "minor",
                },
            ]
        },
        "platform updates",
    ),
    (
        "beanstalk-logs-leave-the-instance",
        nag.BEANSTALK_ENVIRONMENT,
        {"settings": [{"namespace": "aws:elasticbeanstalk:cloudwatch:logs", "name": "StreamLogs", "value": "false"}]},
        {
            "settings": [
                {"namespace": "aws:elasticbeanstalk:hostmanager", "name": "LogPublicationControl", "value": "true"}
            ]
        },
        "keeps its logs only on the instances",
    ),
]


@pytest.mark.parametrize(("policy", "resource_type", "bad", "good", "words"), RESOURCE_CASES)
def test_each_rule_fires_on_a_bad_resource_and_passes_a_good_one(
    policy: str, resource_type: str, bad: dict[str, Any], good: dict[str, Any], words: str
) -> None:
    found = violations(policy, resource_type, bad)
    assert len(found) == 1 and words in found[0], found
    assert violations(policy, resource_type, good) == []


@pytest.mark.parametrize(("policy", "resource_type", "bad", "good", "words"), RESOURCE_CASES[:8])
def test_values_unknown_during_a_preview_are_left_to_the_update(
    policy: str, resource_type: str, bad: dict[str, Any], good: dict[str, Any], words: str
) -> None:
    pending = {key: UNKNOWN_STRING_VALUE for key in {*bad, *good}}
    assert violations(policy, resource_type, pending) == []


def test_a_suppression_with_a_reason_accepts_one_resource_only() -> None:
    bad = {"engine": "mysql"}
    reason = {"suppressions": {"res": "Private subnets only; the security group admits the fleet alone."}}
    assert violations("rds-non-default-port", nag.RDS_INSTANCE, bad, reason) == []
    other = {"suppressions": {"another-db": "Private subnets only; the security group admits the fleet alone."}}
    assert len(violations("rds-non-default-port", nag.RDS_INSTANCE, bad, other)) == 1


def test_a_suppression_without_a_real_reason_accepts_nothing() -> None:
    for reason in ("", "ok", "   because   "):
        config = {"suppressions": {"res": reason}}
        assert len(violations("rds-non-default-port", nag.RDS_INSTANCE, {"engine": "mysql"}, config)) == 1


def test_the_rds_rule_keeps_its_production_flag_beside_suppressions() -> None:
    database = {"engine": "mysql", "storageEncrypted": True, "multiAz": False, "deletionProtection": True}
    assert len(violations(rules.RDS_POLICY, rules.RDS_INSTANCE, database, {"production": True})) == 1
    accepted = {"production": True, "suppressions": {"res": "A replica under migration, deleted next week."}}
    assert violations(rules.RDS_POLICY, rules.RDS_INSTANCE, database, accepted) == []


# --- stack rules ---------------------------------------------------------------------------------------------------


def test_a_vpc_needs_a_flow_log() -> None:
    stack = Stack()
    vpc = stack.add(nag.VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    assert [urn for urn, _ in stack.violations("vpc-flow-logs")] == [vpc.urn]
    stack.add(nag.FLOW_LOG, "flow", {"vpcId": UNKNOWN_STRING_VALUE, "trafficType": "ALL"}, vpcId=vpc)
    assert stack.violations("vpc-flow-logs") == []


def test_a_bucket_needs_access_logging() -> None:
    stack = Stack()
    bucket = stack.add(nag.BUCKET_TYPES[0], "data", {"bucket": "data-1"})
    assert [urn for urn, _ in stack.violations("s3-access-logs")] == [bucket.urn]
    stack.add(nag.BUCKET_LOGGING_TYPES[0], "data-logging", {"bucket": "data-1", "targetBucket": "logs"})
    assert stack.violations("s3-access-logs") == []


def test_a_bucket_policy_must_refuse_plain_http() -> None:
    stack = Stack()
    bucket = stack.add(nag.BUCKET_TYPES[0], "data", {"bucket": "data-1"})
    allow_only = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    stack.add(nag.BUCKET_POLICY, "data-policy", {"policy": json.dumps(allow_only)}, bucket=bucket)
    assert [urn for urn, _ in stack.violations("s3-tls-only")] == [bucket.urn]
    tls = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    good = Stack()
    bucket = good.add(nag.BUCKET_TYPES[0], "data", {"bucket": "data-1"})
    good.add(nag.BUCKET_POLICY, "data-policy", {"policy": json.dumps(tls)}, bucket=bucket)
    assert good.violations("s3-tls-only") == []


def test_a_queue_policy_must_refuse_plain_http() -> None:
    stack = Stack()
    queue = stack.add(nag.QUEUE, "jobs", {"kmsMasterKeyId": KEY})
    assert [urn for urn, _ in stack.violations("sqs-tls-only")] == [queue.urn]
    deny = {"Statement": [{"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": False}}}]}
    stack.add(nag.QUEUE_POLICY, "jobs-policy", {"policy": json.dumps(deny)}, queueUrl=queue)
    assert stack.violations("sqs-tls-only") == []


def test_a_queue_needs_a_dead_letter_queue_unless_it_is_one() -> None:
    stack = Stack()
    jobs = stack.add(nag.QUEUE, "jobs", {"kmsMasterKeyId": KEY})
    dlq = stack.add(nag.QUEUE, "jobs-dlq", {"kmsMasterKeyId": KEY})
    failures = stack.add(nag.QUEUE, "failures", {"kmsMasterKeyId": KEY})
    assert sorted(urn or "" for urn, _ in stack.violations("sqs-dead-letter-queue")) == sorted(
        [jobs.urn, dlq.urn, failures.urn]
    )
    fixed = Stack()
    dlq = fixed.add(nag.QUEUE, "jobs-dlq", {"kmsMasterKeyId": KEY})
    fixed.add(nag.QUEUE, "jobs", {"redrivePolicy": UNKNOWN_STRING_VALUE}, redrivePolicy=dlq)
    failures = fixed.add(nag.QUEUE, "failures", {"kmsMasterKeyId": KEY})
    fixed.add(nag.EVENT_INVOKE_CONFIG, "fn-async", {"functionName": "fn"}, destinationConfig=failures)
    assert fixed.violations("sqs-dead-letter-queue") == []


def test_secrets_rotate_and_database_passwords_are_rds_managed() -> None:
    stack = Stack()
    secret = stack.add(nag.SECRET, "api-token", {"name": "api-token"})
    database = stack.add(nag.RDS_INSTANCE, "db", {"engine": "mysql", "password": "hunter2hunter2"})
    assert sorted(urn or "" for urn, _ in stack.violations("secrets-rotated")) == sorted([secret.urn, database.urn])
    good = Stack()
    secret = good.add(nag.SECRET, "api-token", {"name": "api-token"})
    good.add(nag.SECRET_ROTATION, "api-token-rotation", {"secretId": UNKNOWN_STRING_VALUE}, secretId=secret)
    good.add(nag.RDS_INSTANCE, "db", {"engine": "mysql", "manageMasterUserPassword": True})
    assert good.violations("secrets-rotated") == []


def test_a_stack_rule_suppression_accepts_its_resource_only() -> None:
    stack = Stack()
    stack.add(nag.VPC, "legacy", {"cidrBlock": "10.0.0.0/16"})
    other = stack.add(nag.VPC, "new", {"cidrBlock": "10.1.0.0/16"})
    policy = next(p for p in rules.POLICIES if p.name == "vpc-flow-logs")
    found: list[str | None] = []
    from pulumi_policy import StackValidationArgs

    reason = {"suppressions": {"legacy": "Imported from the old account; its flow log lives there until the cut-over."}}
    policy.validate(StackValidationArgs(stack.resources, reason), lambda message, urn=None: found.append(urn))  # type: ignore[attr-defined]
    assert found == [other.urn]


# --- the shipped stacks ----------------------------------------------------------------------------------------------


def _config(stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONFIG / f"{stack}.json").read_text())
    return loaded


def test_every_suppression_of_a_shipped_stack_still_matches_a_finding(stack_plan: Plan) -> None:
    """Like cdk-nag's acknowledgements: a reason is recorded for a finding that exists, never in advance."""
    config = _config(stack_plan.stack)
    unsuppressed = {k: {kk: vv for kk, vv in v.items() if kk != "suppressions"} for k, v in config.items()}
    findings = plan_violations(stack_plan, unsuppressed)
    for policy, settings in config.items():
        for name in settings.get("suppressions", {}):
            assert any(f.startswith(f"{policy}: ") and f"'{name}'" in f for f in findings), (policy, name)


def test_no_rule_fires_on_a_shipped_stack_without_a_recorded_reason(stack_plan: Plan) -> None:
    config = _config(stack_plan.stack)
    assert plan_violations(stack_plan, config) == []
    reasons = [r for settings in config.values() for r in settings.get("suppressions", {}).values()]
    assert reasons and all(len(r) >= rules.MIN_REASON for r in reasons)


def test_the_pack_covers_the_cdk_nag_rules_the_issue_names() -> None:
    described = " ".join(p.description or "" for p in rules.POLICIES)
    for code in [
        "EC23",
        "EC26",
        "EC29",
        "ELB2",
        "RDS2",
        "RDS3",
        "RDS10",
        "RDS11",
        "RDS13",
        "EFS1",
        "S1",
        "S2",
        "S10",
        "EB1",
        "EB3",
        "EB4",
        "L1",
        "APIG1",
        "APIG4",
        "DDB3",
        "SQS2",
        "SQS3",
        "SQS4",
        "IAM5",
        "KMS5",
        "SMG4",
        "VPC7",
    ]:
        assert f"{code}:" in described or f"{code}," in described, code
    assert any("Lightsail" in (p.description or "") and "3389" in (p.description or "") for p in rules.POLICIES)
