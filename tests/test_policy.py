"""The policy pack: each rule stops a resource that breaks the project's promises, and lets both shipped stacks pass.

Rules are fed resource inputs shaped as pulumi-aws sends them (the engine's camelCase names) through the policy SDK's
own `ResourceValidationArgs` / `StackValidationArgs`, so what runs here is what `pulumi preview --policy-pack policy`
runs, without the Pulumi CLI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from plan import Plan
from policy import rules
from tests.yaml_loader import load_yaml

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
URN = "urn:pulumi:dev::aws-compute-platform::{type}::{name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _policy(name: str) -> Policy:
    return next(p for p in rules.POLICIES if p.name == name)


def _collect(found: list[str], prefix: str = "") -> Callable[[str, str | None], None]:
    def report(message: str, urn: str | None = None) -> None:
        found.append(f"{prefix}{message}")

    return report


def violations(
    policy_name: str, resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """What one resource policy reports for a resource named `res`, as the policy runtime would call it."""
    policy = _policy(policy_name)
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[str] = []
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        URN.format(type=resource_type, name="res"),
        "res",
        _options(),
        None,
        dict(config or {}),
    )
    policy.validate(args, _collect(found))
    return found


class Stack:
    """A stack being assembled for a stack policy: resources and which inputs come from which resource."""

    def __init__(self) -> None:
        self.resources: list[PolicyResource] = []

    def add(
        self, resource_type: str, name: str, props: Mapping[str, Any], **from_resources: PolicyResource
    ) -> PolicyResource:
        resource = PolicyResource(
            resource_type,
            unknown_checking_proxy(dict(props)),
            URN.format(type=resource_type, name=name),
            name,
            _options(),
            None,
            None,
            list(from_resources.values()),
            {prop: [source] for prop, source in from_resources.items()},
        )
        self.resources.append(resource)
        return resource

    def violations(self, policy_name: str) -> list[tuple[str | None, str]]:
        policy = _policy(policy_name)
        assert isinstance(policy, StackValidationPolicy)
        found: list[tuple[str | None, str]] = []

        def report(message: str, urn: str | None = None) -> None:
            found.append((urn, message))

        policy.validate(StackValidationArgs(self.resources), report)
        return found


# --- security groups -----------------------------------------------------------------------------------------------

SG_POLICY = "no-admin-ports-from-internet"


def sg_rule(from_port: int, to_port: int, protocol: str = "tcp", **cidrs: list[str]) -> dict[str, Any]:
    return {"protocol": protocol, "fromPort": from_port, "toPort": to_port, **cidrs}


@pytest.mark.parametrize(
    ("rule", "ports"),
    [
        (sg_rule(22, 22, cidrBlocks=["0.0.0.0/0"]), "22 (SSH)"),
        (sg_rule(3389, 3389, ipv6CidrBlocks=["::/0"]), "3389 (RDP)"),
        (sg_rule(0, 65535, cidrBlocks=["10.0.0.0/8", "0.0.0.0/0"]), "22 (SSH) and 3389 (RDP)"),
        (sg_rule(0, 0, protocol="-1", cidrBlocks=["0.0.0.0/0"]), "22 (SSH) and 3389 (RDP)"),
        (sg_rule(3389, 3389, protocol="udp", cidrBlocks=["0.0.0.0/0"]), "3389 (RDP)"),
    ],
)
def test_a_security_group_never_opens_ssh_or_rdp_to_the_internet(rule: dict[str, Any], ports: str) -> None:
    found = violations(SG_POLICY, rules.SECURITY_GROUP, {"vpcId": "vpc-1", "ingress": [rule]})
    assert len(found) == 1
    assert f"'res' (ingress rule 0) opens port {ports} to the whole internet" in found[0]
    assert "Session Manager" in found[0]


@pytest.mark.parametrize(
    "rule",
    [
        sg_rule(22, 22, cidrBlocks=["203.0.113.0/24"]),
        sg_rule(443, 443, cidrBlocks=["0.0.0.0/0"], ipv6CidrBlocks=["::/0"]),
        sg_rule(8, 0, protocol="icmp", cidrBlocks=["0.0.0.0/0"]),
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "securityGroups": ["sg-123"]},
    ],
)
def test_admin_ports_from_known_ranges_and_web_ports_from_anywhere_pass(rule: dict[str, Any]) -> None:
    assert violations(SG_POLICY, rules.SECURITY_GROUP, {"vpcId": "vpc-1", "ingress": [rule]}) == []


def test_ports_not_yet_known_during_preview_are_left_to_the_update() -> None:
    pending = sg_rule(22, 22, cidrBlocks=["0.0.0.0/0"]) | {"toPort": UNKNOWN_STRING_VALUE}
    assert violations(SG_POLICY, rules.SECURITY_GROUP, {"vpcId": "vpc-1", "ingress": [pending]}) == []


def test_the_default_security_group_is_held_to_the_same_rule() -> None:
    bad = {"vpcId": "vpc-1", "ingress": [sg_rule(22, 22, cidrBlocks=["0.0.0.0/0"])]}
    assert len(violations(SG_POLICY, rules.DEFAULT_SECURITY_GROUP, bad)) == 1
    assert violations(SG_POLICY, rules.DEFAULT_SECURITY_GROUP, {"vpcId": "vpc-1"}) == []


def test_a_standalone_vpc_ingress_rule_is_checked() -> None:
    bad = {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"}
    found = violations(SG_POLICY, rules.INGRESS_RULE, bad)
    assert len(found) == 1 and "'res' opens port 22 (SSH)" in found[0]
    v6 = {**bad, "cidrIpv4": None, "cidrIpv6": "::/0", "fromPort": 3389, "toPort": 3389}
    assert len(violations(SG_POLICY, rules.INGRESS_RULE, v6)) == 1
    assert violations(SG_POLICY, rules.INGRESS_RULE, {**bad, "cidrIpv4": "198.51.100.7/32"}) == []
    assert violations(SG_POLICY, rules.INGRESS_RULE, {"securityGroupId": "sg-1", "ipProtocol": "-1"}) == []


def test_a_security_group_rule_is_checked_for_ingress_only() -> None:
    bad = {
        "type": "ingress",
        "securityGroupId": "sg-1",
        "protocol": "tcp",
        "fromPort": 20,
        "toPort": 25,
        "cidrBlocks": ["0.0.0.0/0"],
    }
    assert len(violations(SG_POLICY, rules.SECURITY_GROUP_RULE, bad)) == 1
    assert violations(SG_POLICY, rules.SECURITY_GROUP_RULE, {**bad, "type": "egress"}) == []


# --- EBS -----------------------------------------------------------------------------------------------------------

EBS_POLICY = "ebs-encrypted-with-customer-key"
IMDS_POLICY = "imdsv2-required"


def test_an_ebs_volume_must_be_encrypted_with_the_stack_key() -> None:
    volume = {"availabilityZone": "us-east-1a", "size": 20, "type": "gp3"}
    unencrypted = violations(EBS_POLICY, rules.EBS_VOLUME, volume)
    assert len(unencrypted) == 1 and "EBS volume 'res' is not encrypted" in unencrypted[0]
    aws_managed = violations(EBS_POLICY, rules.EBS_VOLUME, {**volume, "encrypted": True})
    assert len(aws_managed) == 1 and "AWS-managed key" in aws_managed[0] and "kmsKeyId" in aws_managed[0]
    assert violations(EBS_POLICY, rules.EBS_VOLUME, {**volume, "encrypted": True, "kmsKeyId": KEY_ARN}) == []


def test_a_key_not_yet_created_during_preview_counts_as_set() -> None:
    pending = {"availabilityZone": "us-east-1a", "size": 20, "encrypted": True, "kmsKeyId": UNKNOWN_STRING_VALUE}
    assert violations(EBS_POLICY, rules.EBS_VOLUME, pending) == []


def test_an_instance_declares_an_encrypted_root_volume_and_encrypted_data_volumes() -> None:
    base = {"ami": "ami-123", "instanceType": "t4g.small", "metadataOptions": {"httpTokens": "required"}}
    no_root = violations(EBS_POLICY, rules.INSTANCE, base)
    assert len(no_root) == 1 and "has no rootBlockDevice" in no_root[0]
    root = {"volumeType": "gp3", "volumeSize": 20, "encrypted": True, "kmsKeyId": KEY_ARN}
    data = {"deviceName": "/dev/sdf", "volumeSize": 100, "encrypted": False}
    bad_data = violations(EBS_POLICY, rules.INSTANCE, {**base, "rootBlockDevice": root, "ebsBlockDevices": [data]})
    assert len(bad_data) == 1 and "volume /dev/sdf is not encrypted" in bad_data[0]
    root_without_key = violations(EBS_POLICY, rules.INSTANCE, {**base, "rootBlockDevice": {**root, "kmsKeyId": None}})
    assert len(root_without_key) == 1 and "root volume" in root_without_key[0]
    good_data = {**data, "encrypted": True, "kmsKeyId": KEY_ARN}
    assert (
        violations(EBS_POLICY, rules.INSTANCE, {**base, "rootBlockDevice": root, "ebsBlockDevices": [good_data]}) == []
    )


def test_a_launch_template_encrypts_its_block_devices_with_the_stack_key() -> None:
    base = {"imageId": "ami-123", "instanceType": "t4g.small", "metadataOptions": {"httpTokens": "required"}}
    none_declared = violations(EBS_POLICY, rules.LAUNCH_TEMPLATE, base)
    assert len(none_declared) == 1 and "declares no EBS block device" in none_declared[0]
    # Launch templates take these flags as strings (pulumi-aws LaunchTemplateBlockDeviceMappingEbsArgs).
    ebs = {"volumeType": "gp3", "volumeSize": 20, "encrypted": "false", "deleteOnTermination": "true"}
    mapping = {"deviceName": "/dev/xvda", "ebs": ebs}
    unencrypted = violations(EBS_POLICY, rules.LAUNCH_TEMPLATE, {**base, "blockDeviceMappings": [mapping]})
    assert len(unencrypted) == 1 and "volume /dev/xvda is not encrypted" in unencrypted[0]
    good = {"deviceName": "/dev/xvda", "ebs": {**ebs, "encrypted": "true", "kmsKeyId": KEY_ARN}}
    assert violations(EBS_POLICY, rules.LAUNCH_TEMPLATE, {**base, "blockDeviceMappings": [good]}) == []


def test_an_instance_launched_from_a_template_takes_disks_and_metadata_options_from_it() -> None:
    from_template = {"launchTemplate": {"id": "lt-123", "version": "3"}, "subnetId": "subnet-1"}
    assert violations(EBS_POLICY, rules.INSTANCE, from_template) == []
    assert violations(IMDS_POLICY, rules.INSTANCE, from_template) == []
    # What the instance does set is still checked.
    overridden = {**from_template, "metadataOptions": {"httpTokens": "optional"}}
    assert len(violations(IMDS_POLICY, rules.INSTANCE, overridden)) == 1


# --- IMDSv2 --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", [rules.INSTANCE, rules.LAUNCH_TEMPLATE])
def test_instances_and_launch_templates_require_imdsv2(resource_type: str) -> None:
    missing = violations(IMDS_POLICY, resource_type, {"instanceType": "t4g.small"})
    assert len(missing) == 1 and "allows IMDSv1" in missing[0] and 'httpTokens to "required"' in missing[0]
    optional = violations(IMDS_POLICY, resource_type, {"metadataOptions": {"httpTokens": "optional"}})
    assert len(optional) == 1 and 'httpTokens is "optional"' in optional[0]
    required = {"metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}}
    assert violations(IMDS_POLICY, resource_type, required) == []


def test_a_beanstalk_environment_disables_imdsv1() -> None:
    settings = [{"namespace": "aws:ec2:instances", "name": "InstanceTypes", "value": "t3.small"}]
    found = violations(IMDS_POLICY, rules.BEANSTALK_ENVIRONMENT, {"application": "app", "settings": settings})
    assert len(found) == 1 and "DisableIMDSv1" in found[0]
    disabled = [
        *settings,
        {"namespace": "aws:autoscaling:launchconfiguration", "name": "DisableIMDSv1", "value": "true"},
    ]
    assert violations(IMDS_POLICY, rules.BEANSTALK_ENVIRONMENT, {"application": "app", "settings": disabled}) == []


# --- RDS -----------------------------------------------------------------------------------------------------------

RDS_POLICY = "rds-encrypted-and-resilient"
DATABASE = {
    "engine": "mysql",
    "instanceClass": "db.t4g.micro",
    "allocatedStorage": 20,
    "storageEncrypted": True,
    "kmsKeyId": KEY_ARN,
    "multiAz": False,
    "deletionProtection": False,
}


def test_rds_storage_is_always_encrypted() -> None:
    found = violations(RDS_POLICY, rules.RDS_INSTANCE, {**DATABASE, "storageEncrypted": False})
    assert len(found) == 1 and "RDS instance 'res' stores data unencrypted" in found[0]
    cluster = {"engine": "aurora-mysql", "storageEncrypted": False}
    assert len(violations(RDS_POLICY, rules.RDS_CLUSTER, cluster)) == 1


def test_a_dev_database_may_be_single_az_and_unprotected() -> None:
    assert violations(RDS_POLICY, rules.RDS_INSTANCE, DATABASE, {"production": False}) == []
    assert violations(RDS_POLICY, rules.RDS_INSTANCE, DATABASE) == []


def test_a_production_database_is_multi_az_and_deletion_protected() -> None:
    found = violations(RDS_POLICY, rules.RDS_INSTANCE, DATABASE, {"production": True})
    assert len(found) == 2
    assert "Set multiAz to true" in found[0] and "Set deletionProtection to true" in found[1]
    resilient = {**DATABASE, "multiAz": True, "deletionProtection": True}
    assert violations(RDS_POLICY, rules.RDS_INSTANCE, resilient, {"production": True}) == []
    cluster = {"engine": "aurora-mysql", "storageEncrypted": True, "deletionProtection": False}
    assert len(violations(RDS_POLICY, rules.RDS_CLUSTER, cluster, {"production": True})) == 1


def test_a_read_replica_takes_encryption_and_availability_from_its_source() -> None:
    replica = {"replicateSourceDb": "arn:aws:rds:us-east-1:123456789012:db:source", "instanceClass": "db.t4g.micro"}
    found = violations(RDS_POLICY, rules.RDS_INSTANCE, replica, {"production": True})
    assert len(found) == 1 and "deletionProtection" in found[0]
    assert violations(RDS_POLICY, rules.RDS_INSTANCE, replica) == []


# --- Lightsail -----------------------------------------------------------------------------------------------------


def test_a_lightsail_database_is_never_public() -> None:
    database = {"relationalDatabaseName": "site", "blueprintId": "mysql_8_0", "bundleId": "micro_2_0"}
    found = violations("lightsail-database-private", rules.LIGHTSAIL_DATABASE, {**database, "publiclyAccessible": True})
    assert len(found) == 1 and "Set publiclyAccessible to false" in found[0]
    private = {**database, "publiclyAccessible": False}
    assert violations("lightsail-database-private", rules.LIGHTSAIL_DATABASE, private) == []


# --- S3 (stack validation) -----------------------------------------------------------------------------------------

S3_POLICY = "s3-private-and-encrypted"
BLOCK_ALL = dict.fromkeys(rules.PUBLIC_ACCESS_FLAGS, True)
SSE_KMS = {
    "rules": [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
            "bucketKeyEnabled": True,
        }
    ]
}


def test_a_bare_bucket_is_reported_for_both_missing_settings() -> None:
    stack = Stack()
    bucket = stack.add(rules.BUCKET, "uploads", {"bucket": "uploads-1234"})
    found = stack.violations(S3_POLICY)
    assert [urn for urn, _ in found] == [bucket.urn, bucket.urn]
    assert "has no public access block" in found[0][1] and "has no default encryption" in found[1][1]


def test_a_bucket_with_a_full_block_and_kms_encryption_passes() -> None:
    stack = Stack()
    bucket = stack.add(rules.BUCKET, "uploads", {"bucket": "uploads-1234"})
    # During preview the bucket's id is unknown: the engine's record of which resource fed `bucket` links them.
    stack.add(rules.PUBLIC_ACCESS_BLOCK, "uploads-pab", {**BLOCK_ALL, "bucket": UNKNOWN_STRING_VALUE}, bucket=bucket)
    stack.add(rules.BUCKET_ENCRYPTION, "uploads-sse", {**SSE_KMS, "bucket": UNKNOWN_STRING_VALUE}, bucket=bucket)
    assert stack.violations(S3_POLICY) == []


def test_bucket_settings_are_also_matched_by_bucket_name() -> None:
    stack = Stack()
    stack.add(rules.BUCKET, "logs", {"bucket": "logs-1234"})
    stack.add(rules.PUBLIC_ACCESS_BLOCK, "logs-pab", {**BLOCK_ALL, "bucket": "logs-1234"})
    sse_s3 = {"bucket": "logs-1234", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    stack.add(rules.BUCKET_ENCRYPTION, "logs-sse", sse_s3)
    assert stack.violations(S3_POLICY) == []


def test_a_public_access_block_with_a_flag_off_does_not_protect_its_bucket() -> None:
    stack = Stack()
    bucket = stack.add(rules.BUCKET, "site", {"bucket": "site-1234"})
    block = stack.add(rules.PUBLIC_ACCESS_BLOCK, "site-pab", {**BLOCK_ALL, "blockPublicPolicy": False}, bucket=bucket)
    stack.add(rules.BUCKET_ENCRYPTION, "site-sse", SSE_KMS, bucket=bucket)
    found = stack.violations(S3_POLICY)
    assert [urn for urn, _ in found] == [block.urn, bucket.urn]
    assert "leaves blockPublicPolicy off" in found[0][1]


def test_an_encryption_configuration_without_an_algorithm_is_reported() -> None:
    stack = Stack()
    bucket = stack.add(rules.BUCKET, "data", {"bucket": "data-1234"})
    stack.add(rules.PUBLIC_ACCESS_BLOCK, "data-pab", BLOCK_ALL, bucket=bucket)
    config = stack.add(rules.BUCKET_ENCRYPTION, "data-sse", {"rules": [{"bucketKeyEnabled": True}]}, bucket=bucket)
    found = stack.violations(S3_POLICY)
    assert [urn for urn, _ in found] == [config.urn, bucket.urn]
    assert "sets no default encryption algorithm" in found[0][1]


def test_the_deprecated_v2_bucket_resources_are_held_to_the_same_rule() -> None:
    stack = Stack()
    bucket = stack.add("aws:s3/bucketV2:BucketV2", "old", {"bucket": "old-1234"})
    assert [urn for urn, _ in stack.violations(S3_POLICY)] == [bucket.urn, bucket.urn]
    stack.add(rules.PUBLIC_ACCESS_BLOCK, "old-pab", BLOCK_ALL, bucket=bucket)
    v2_encryption = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
    stack.add(v2_encryption, "old-sse", SSE_KMS, bucket=bucket)
    assert stack.violations(S3_POLICY) == []


# --- Lambda behind API Gateway (stack validation) ------------------------------------------------------------------

LAMBDA_POLICY = "lambda-times-out-before-api-gateway"
HTTP_INTEGRATION = {
    "apiId": "api-1",
    "integrationType": "AWS_PROXY",
    "integrationMethod": "POST",
    "payloadFormatVersion": "2.0",
}


def function(stack: Stack, name: str, timeout: int | None) -> PolicyResource:
    props: dict[str, Any] = {"runtime": "python3.12", "handler": "app.handler", "role": "arn:aws:iam::1:role/r"}
    if timeout is not None:
        props["timeout"] = timeout
    return stack.add(rules.LAMBDA_FUNCTION, name, props)


def test_a_function_that_can_outlive_the_http_api_is_reported() -> None:
    stack = Stack()
    fn = function(stack, "orders", 30)
    stack.add(rules.HTTP_API_INTEGRATION, "orders-int", {**HTTP_INTEGRATION, "integrationUri": "x"}, integrationUri=fn)
    found = stack.violations(LAMBDA_POLICY)
    assert len(found) == 1 and found[0][0] == fn.urn
    assert "may run for 30 s" in found[0][1] and "'orders-int' gives up after 30 s" in found[0][1]
    assert "below 30 s" in found[0][1]


def test_a_function_that_gives_up_first_passes_and_the_default_timeout_is_three_seconds() -> None:
    stack = Stack()
    quick = function(stack, "quick", 29)
    default = function(stack, "default", None)
    stack.add(rules.HTTP_API_INTEGRATION, "quick-int", HTTP_INTEGRATION, integrationUri=quick)
    stack.add(
        rules.HTTP_API_INTEGRATION,
        "default-int",
        {**HTTP_INTEGRATION, "timeoutMilliseconds": 5000},
        integrationUri=default,
    )
    assert stack.violations(LAMBDA_POLICY) == []


def test_a_shorter_integration_timeout_and_an_alias_in_between_are_followed() -> None:
    stack = Stack()
    fn = function(stack, "approve", 15)
    alias = stack.add(rules.LAMBDA_ALIAS, "approve-live", {"name": "live", "functionVersion": "1"}, functionName=fn)
    stack.add(
        rules.HTTP_API_INTEGRATION,
        "approve-int",
        {**HTTP_INTEGRATION, "timeoutMilliseconds": 10_000},
        integrationUri=alias,
    )
    found = stack.violations(LAMBDA_POLICY)
    assert len(found) == 1 and "gives up after 10 s" in found[0][1]


def test_a_rest_api_integration_defaults_to_29_seconds() -> None:
    stack = Stack()
    fn = function(stack, "legacy", 29)
    stack.add(rules.REST_API_INTEGRATION, "legacy-int", {"type": "AWS_PROXY", "uri": "x"}, uri=fn)
    assert len(stack.violations(LAMBDA_POLICY)) == 1


def test_an_integration_is_matched_to_its_function_by_arn_when_no_dependency_is_recorded() -> None:
    stack = Stack()
    arn = "arn:aws:lambda:us-east-1:123456789012:function:slow"
    stack.add(rules.LAMBDA_FUNCTION, "slow", {"timeout": 60, "arn": arn})
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    stack.add(rules.HTTP_API_INTEGRATION, "slow-int", {**HTTP_INTEGRATION, "integrationUri": uri})
    assert len(stack.violations(LAMBDA_POLICY)) == 1


# --- the pack ------------------------------------------------------------------------------------------------------


def test_every_rule_is_mandatory_and_named_once() -> None:
    names = [p.name for p in rules.POLICIES]
    assert len(names) == len(set(names)) >= 15
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in rules.POLICIES)


@pytest.mark.parametrize(("stack", "production"), [("dev", False), ("prod", True)])
def test_only_the_prod_policy_config_marks_the_stack_as_production(stack: str, production: bool) -> None:
    config = json.loads((POLICY_DIR / "config" / f"{stack}.json").read_text())
    assert set(config) <= {p.name for p in rules.POLICIES}
    assert config[RDS_POLICY]["production"] is production


def test_the_pack_is_a_python_pack_that_installs_only_the_policy_sdk_from_a_lock() -> None:
    manifest = load_yaml((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["virtualenv"] == "venv"
    wanted = dict(
        line.split("==") for line in (POLICY_DIR / "requirements.in").read_text().splitlines() if line[:1].isalpha()
    )
    # The same versions the project's own lock holds, so the tests run the pack as CI installs it.
    locked = {p["name"]: p["version"] for p in tomllib.loads((POLICY_DIR.parent / "uv.lock").read_text())["package"]}
    assert wanted == {"pulumi-policy": locked["pulumi-policy"], "pulumi": locked["pulumi"]}
    # The lock pins every package, the SDK's dependencies included, each with its hashes.
    lock = (POLICY_DIR / "requirements.txt").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, flags=re.M)
    assert {name: version for name, version in pins if name in wanted} == wanted
    entries = [e for e in re.split(r"\n(?=[A-Za-z])", lock) if e[:1].isalpha()]
    assert len(entries) == len(pins) > 2 and all("--hash=sha256:" in e for e in entries)


# --- the shipped stacks --------------------------------------------------------------------------------------------


# The findings for each whole plan and config, kept for the test process: the same plans (shared builds, only read)
# are checked with the same config here, in tests/test_policy_nag.py and tests/test_variants.py, and running every rule
# over a stack takes about 0.2 s. The plan is kept beside its findings, so its id is not reused while it is cached.
_FINDINGS: dict[tuple[int, str], tuple[Plan, tuple[str, ...]]] = {}


def plan_violations(plan: Plan, config: Mapping[str, Any], extra: list[dict[str, Any]] | None = None) -> list[str]:
    """Every policy over every resource of a plan, as `pulumi preview --policy-pack policy` would run them."""
    if extra:
        return _violations_of(plan, config, extra)
    key = (id(plan), json.dumps(config, sort_keys=True))
    cached = _FINDINGS.get(key)
    if cached is None or cached[0] is not plan:
        cached = _FINDINGS[key] = (plan, tuple(_violations_of(plan, config, [])))
    return list(cached[1])


def _violations_of(plan: Plan, config: Mapping[str, Any], extra: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    custom = [r for r in plan if r.custom]
    resources = [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "props": {**r.inputs, **r.outputs},
            "deps": r.property_dependencies,
        }
        for r in custom
    ] + extra
    by_urn: dict[str, PolicyResource] = {}
    for r in resources:
        by_urn[r["urn"]] = PolicyResource(
            r["type"], unknown_checking_proxy(dict(r["props"])), r["urn"], r["name"], _options(), None, None, [], {}
        )
    for r in resources:
        by_urn[r["urn"]].property_dependencies = {
            prop: [by_urn[u] for u in urns if u in by_urn] for prop, urns in r["deps"].items()
        }
    for policy in rules.POLICIES:
        policy_config = dict(config.get(policy.name, {}))
        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(
                    r["type"],
                    unknown_checking_proxy(dict(r["props"])),
                    r["urn"],
                    r["name"],
                    _options(),
                    None,
                    policy_config,
                )
                policy.validate(args, _collect(found, f"{policy.name}: "))
        else:
            assert isinstance(policy, StackValidationPolicy)
            args_ = StackValidationArgs(list(by_urn.values()), policy_config)
            policy.validate(args_, _collect(found, f"{policy.name}: "))
    return found


def test_both_shipped_stacks_pass_every_rule(stack_plan: Plan) -> None:
    config = json.loads((POLICY_DIR / "config" / f"{stack_plan.stack}.json").read_text())
    assert any(r.type == rules.DEFAULT_SECURITY_GROUP for r in stack_plan)
    assert plan_violations(stack_plan, config) == []


def test_the_stack_check_catches_a_bad_resource_added_to_a_shipped_stack(prod_plan: Plan) -> None:
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    open_ssh = {
        "type": rules.SECURITY_GROUP,
        "name": "bastion",
        "urn": URN.format(type=rules.SECURITY_GROUP, name="bastion"),
        "props": {"ingress": [sg_rule(22, 22, cidrBlocks=["0.0.0.0/0"])]},
        "deps": {},
    }
    bucket = {
        "type": rules.BUCKET,
        "name": "b",
        "urn": URN.format(type=rules.BUCKET, name="b"),
        "props": {},
        "deps": {},
    }
    database = {
        "type": rules.RDS_INSTANCE,
        "name": "db",
        "urn": URN.format(type=rules.RDS_INSTANCE, name="db"),
        "props": DATABASE,
        "deps": {},
    }
    found = plan_violations(prod_plan, config, [open_ssh, bucket, database])
    assert sorted({f.split(":")[0] for f in found}) == [
        "ec2-no-world-ingress",
        "no-admin-ports-from-internet",
        RDS_POLICY,
        "rds-non-default-port",
        "s3-access-logs",
        "s3-private-and-encrypted",
        "s3-tls-only",
    ]


# --- the pack as the Pulumi CLI runs it ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_pack() -> Iterator[Any]:
    """The pack started the way the CLI's `pulumi-analyzer-policy-python` starts it, answering over gRPC."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(POLICY_DIR)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=POLICY_DIR,
    )
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    try:
        assert port.isdigit(), port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(dict(value))
    return result


def test_the_served_pack_lists_every_rule(served_pack: Any) -> None:
    info = served_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == rules.PACK_NAME
    assert [p.name for p in info.policies] == [p.name for p in rules.POLICIES]


def test_the_served_pack_reports_a_bad_resource_as_mandatory(served_pack: Any) -> None:
    request = analyzer_pb2.AnalyzeRequest(
        type=rules.SECURITY_GROUP,
        properties=_struct({"ingress": [sg_rule(22, 22, cidrBlocks=["0.0.0.0/0"])]}),
        urn=URN.format(type=rules.SECURITY_GROUP, name="web"),
        name="web",
    )
    diagnostics = served_pack.Analyze(request).diagnostics
    assert sorted(d.policyName for d in diagnostics) == ["ec2-no-world-ingress", SG_POLICY]
    (diagnostic,) = [d for d in diagnostics if d.policyName == SG_POLICY]
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "'web' (ingress rule 0) opens port 22 (SSH)" in diagnostic.message


def test_the_served_pack_reads_the_production_flag_from_the_prod_policy_config(served_pack: Any) -> None:
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    served_pack.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct(values))
                for name, values in config.items()
            }
        )
    )
    request = analyzer_pb2.AnalyzeRequest(
        type=rules.RDS_INSTANCE,
        properties=_struct(DATABASE),
        urn=URN.format(type=rules.RDS_INSTANCE, name="db"),
        name="db",
    )
    messages = [d.message for d in served_pack.Analyze(request).diagnostics if d.policyName == RDS_POLICY]
    assert len(messages) == 2 and "multiAz" in messages[0] and "deletionProtection" in messages[1]
