"""The promises this project makes, as CrossGuard policies that `pulumi preview` and `pulumi up` enforce.

Each rule is a plain function over a resource's properties (the engine's camelCase names, exactly what the program
passes to pulumi-aws) that returns the violations it finds; `POLICIES` wraps them for the policy pack. Keeping the
checks free of the policy runtime lets the tests feed them captured plans without the Pulumi CLI.

During a preview, values computed from resources that do not exist yet (a new key's ARN, a new bucket's id) are
unknown. A rule never treats "unknown" as a violation: an unknown `kmsKeyId` is wired to a key, so it counts as set;
anything a rule cannot decide it leaves to `pulumi up`, when the policy runs again with every value known.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policy import nag
from policy.values import UNKNOWN, is_set, items, known, mapping, to_int, true

PACK_NAME = "aws-compute-platform"


_Unknown = type(UNKNOWN)

# The engine's types of every resource a rule looks at.
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
EBS_VOLUME = "aws:ebs/volume:Volume"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
BEANSTALK_ENVIRONMENT = "aws:elasticbeanstalk/environment:Environment"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
# The deprecated V2 names of the same resources (pulumi-aws 7 still accepts them).
BUCKET_TYPES = (BUCKET, "aws:s3/bucketV2:BucketV2")
BUCKET_ENCRYPTION_TYPES = (
    BUCKET_ENCRYPTION,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_ALIAS = "aws:lambda/alias:Alias"
HTTP_API_INTEGRATION = "aws:apigatewayv2/integration:Integration"
REST_API_INTEGRATION = "aws:apigateway/integration:Integration"
LIGHTSAIL_DATABASE = "aws:lightsail/database:Database"

# Remote administration ports that must never face the whole internet.
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
WORLD = ("0.0.0.0/0", "::/0")
# Protocols on which a port range means ports (ICMP reuses the fields for type and code).
PORT_PROTOCOLS = {"tcp", "6", "udp", "17"}
ALL_PROTOCOLS = {"-1", "all"}
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
BUCKET_ALGORITHMS = ("aws:kms", "aws:kms:dsse", "AES256")
LAMBDA_DEFAULT_TIMEOUT_S = 3  # pulumi-aws: "Defaults to 3."
# pulumi-aws: HTTP APIs default to 30 s (and cannot go higher); REST APIs default to 29 s.
INTEGRATION_DEFAULT_TIMEOUT_MS = {HTTP_API_INTEGRATION: 30_000, REST_API_INTEGRATION: 29_000}


# --- reading properties -------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Policy-runtime properties as plain dicts and lists, with `UNKNOWN` where the engine does not know a value yet.

    The runtime wraps properties in proxies that raise on every unknown value; reading them once, here, lets each
    rule decide what an unknown value means for it.
    """
    if isinstance(value, _Unknown):
        return value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in list(value):
            try:
                result[str(key)] = plain(value[key])
            except UnknownValueError:
                result[str(key)] = UNKNOWN
        return result
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


_known = known
_is_set = is_set
_true = true
_items = items
_mapping = mapping
_int = to_int


# --- rules over one resource ---------------------------------------------------------------------------------------


def _opens_to_world(cidrs: Iterable[Any]) -> list[str]:
    opened: list[str] = []
    for cidr in cidrs:
        if not isinstance(cidr, str):
            continue
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if network.prefixlen == 0:
            opened.append(cidr)
    return opened


ADMIN_FIX = (
    "Allow these ports only from your office or VPN ranges (the component's admin CIDRs), "
    "or close them and connect through AWS Systems Manager Session Manager."
)


def _admin_ports_in(protocol: Any, from_port: Any, to_port: Any) -> list[int]:
    proto = str(protocol).lower() if _known(protocol) and protocol is not None else ""
    if proto in ALL_PROTOCOLS:
        return sorted(ADMIN_PORTS)
    if proto not in PORT_PROTOCOLS or not (_known(from_port) and _known(to_port)):
        return []
    low = _int(from_port, 0)
    high = _int(to_port, low)
    return [port for port in sorted(ADMIN_PORTS) if low <= port <= high]


def _describe_ports(ports: list[int]) -> str:
    return " and ".join(f"{port} ({ADMIN_PORTS[port]})" for port in ports)


def _world_ingress_message(resource_type: str, name: str, where: str, ports: list[int], cidrs: list[str]) -> str:
    return (
        f"{resource_type} '{name}'{where} opens port {_describe_ports(ports)} to the whole internet "
        f"({', '.join(cidrs)}). {ADMIN_FIX}"
    )


def check_security_group_ingress(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """No security group rule lets 0.0.0.0/0 or ::/0 reach SSH (22) or RDP (3389)."""
    violations: list[str] = []
    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for index, rule in enumerate(_items(props.get("ingress"))):
            ports = _admin_ports_in(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
            cidrs = _opens_to_world([*_list(rule.get("cidrBlocks")), *_list(rule.get("ipv6CidrBlocks"))])
            if ports and cidrs:
                where = f" (ingress rule {index})"
                violations.append(_world_ingress_message(resource_type, name, where, ports, cidrs))
    elif resource_type == INGRESS_RULE:
        ports = _admin_ports_in(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"))
        cidrs = _opens_to_world([props.get("cidrIpv4"), props.get("cidrIpv6")])
        if ports and cidrs:
            violations.append(_world_ingress_message(resource_type, name, "", ports, cidrs))
    elif resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        ports = _admin_ports_in(props.get("protocol"), props.get("fromPort"), props.get("toPort"))
        cidrs = _opens_to_world([*_list(props.get("cidrBlocks")), *_list(props.get("ipv6CidrBlocks"))])
        if ports and cidrs:
            violations.append(_world_ingress_message(resource_type, name, "", ports, cidrs))
    return violations


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


CMK_FIX = "Set encrypted to true and kmsKeyId to the stack's KMS key (key.arn)."


def _volume_problem(volume: Mapping[str, Any]) -> str | None:
    encrypted = volume.get("encrypted")
    if _known(encrypted) and not _true(encrypted):
        return "is not encrypted"
    if not _is_set(volume.get("kmsKeyId")):
        return "is encrypted with the AWS-managed key instead of the stack's customer-managed key"
    return None


def check_ebs_encryption(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """Every EBS volume, instance disk and launch-template disk is encrypted with a customer-managed KMS key."""
    violations: list[str] = []
    if resource_type == EBS_VOLUME:
        problem = _volume_problem(props)
        if problem:
            violations.append(f"EBS volume '{name}' {problem}. {CMK_FIX}")
    elif resource_type == INSTANCE:
        root = props.get("rootBlockDevice")
        if not isinstance(root, Mapping):
            # An instance launched from a template takes its disks from it; the template is checked on its own.
            if _known(root) and not _is_set(props.get("launchTemplate")):
                violations.append(
                    f"EC2 instance '{name}' has no rootBlockDevice, so its root volume takes the image's settings, "
                    f"which are usually unencrypted. Declare rootBlockDevice: {CMK_FIX}"
                )
        else:
            problem = _volume_problem(root)
            if problem:
                violations.append(f"EC2 instance '{name}': the root volume {problem}. {CMK_FIX}")
        for device in _items(props.get("ebsBlockDevices")):
            problem = _volume_problem(device)
            if problem:
                where = device.get("deviceName") or "an EBS block device"
                violations.append(f"EC2 instance '{name}': volume {where} {problem}. {CMK_FIX}")
    elif resource_type == LAUNCH_TEMPLATE:
        mappings = props.get("blockDeviceMappings")
        ebs_mappings = [m for m in _items(mappings) if isinstance(m.get("ebs"), Mapping)]
        if _known(mappings) and not ebs_mappings:
            violations.append(
                f"Launch template '{name}' declares no EBS block device, so instances boot from the image's own, "
                f"usually unencrypted, root volume. Add a blockDeviceMappings entry for the root device with ebs: "
                f'encrypted "true" and kmsKeyId set to the stack\'s KMS key.'
            )
        for mapping in ebs_mappings:
            problem = _volume_problem(mapping["ebs"])
            if problem:
                where = mapping.get("deviceName") or "a block device"
                violations.append(
                    f"Launch template '{name}': volume {where} {problem}. "
                    f'Set ebs.encrypted to "true" and ebs.kmsKeyId to the stack\'s KMS key (key.arn).'
                )
    return violations


IMDS_FIX = 'Set metadataOptions.httpTokens to "required" (and keep httpPutResponseHopLimit at 1).'


def check_imdsv2(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """Instances answer only IMDSv2 (session tokens), which blocks SSRF-style theft of their role's credentials."""
    if resource_type in (INSTANCE, LAUNCH_TEMPLATE):
        options = props.get("metadataOptions")
        if not _known(options) or (
            options is None and resource_type == INSTANCE and _is_set(props.get("launchTemplate"))
        ):
            return []
        options = _mapping(options)
        tokens = options.get("httpTokens")
        if not _known(tokens) or tokens == "required" or options.get("httpEndpoint") == "disabled":
            return []
        kind = "EC2 instance" if resource_type == INSTANCE else "Launch template"
        found = f'httpTokens is "{tokens}"' if tokens else "httpTokens is not set, so IMDSv1 stays open"
        return [f"{kind} '{name}' allows IMDSv1 ({found}). {IMDS_FIX}"]
    if resource_type == BEANSTALK_ENVIRONMENT:
        settings = props.get("settings")
        if not _known(settings):
            return []
        for setting in _items(settings):
            if (
                setting.get("namespace") == "aws:autoscaling:launchconfiguration"
                and setting.get("name") == "DisableIMDSv1"
            ):
                value = setting.get("value")
                if not _known(value) or _true(value):
                    return []
        return [
            f"Elastic Beanstalk environment '{name}' lets its instances use IMDSv1. Add the setting namespace "
            f'"aws:autoscaling:launchconfiguration", name "DisableIMDSv1", value "true".'
        ]
    return []


@dataclass(frozen=True)
class RdsRules:
    """What a database must have; `production` adds what an outage or a slip of the hand would otherwise cost."""

    production: bool = False

    def check(self, resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
        if resource_type not in (RDS_INSTANCE, RDS_CLUSTER):
            return []
        kind = "RDS instance" if resource_type == RDS_INSTANCE else "RDS cluster"
        violations: list[str] = []
        # A read replica takes its encryption from its source, which this rule checks.
        replica = _is_set(props.get("replicateSourceDb"))
        encrypted = props.get("storageEncrypted")
        if _known(encrypted) and not _true(encrypted) and not replica:
            violations.append(
                f"{kind} '{name}' stores data unencrypted. Set storageEncrypted to true and kmsKeyId to the stack's "
                "KMS key (an existing database must be restored from an encrypted snapshot copy)."
            )
        if not self.production:
            return violations
        if resource_type == RDS_INSTANCE and not replica:
            multi_az = props.get("multiAz")
            if _known(multi_az) and not _true(multi_az):
                violations.append(
                    f"{kind} '{name}' runs in one availability zone on a production stack, so an AZ outage or "
                    "maintenance takes the site down. Set multiAz to true."
                )
        protection = props.get("deletionProtection")
        if _known(protection) and not _true(protection):
            violations.append(
                f"{kind} '{name}' can be deleted by a single command on a production stack. "
                "Set deletionProtection to true (protectData: true in the stack file)."
            )
        return violations


def check_lightsail_database(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """A Lightsail database answers only inside Lightsail, never on a public address."""
    if resource_type != LIGHTSAIL_DATABASE:
        return []
    if _true(props.get("publiclyAccessible")):
        return [
            f"Lightsail database '{name}' is publicly accessible, so anyone on the internet can try its password. "
            "Set publiclyAccessible to false; the site's instances reach it privately."
        ]
    return []


# --- rules over the whole stack -----------------------------------------------------------------------------------


@dataclass
class StackResource:
    """One resource as a stack validation sees it: its properties and where each input came from."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def _feeds(resource: StackResource, prop: str, source: StackResource) -> bool:
    return source.urn in resource.property_dependencies.get(prop, [])


def _bucket_of(resource: StackResource, buckets: list[StackResource]) -> StackResource | None:
    """The bucket a bucket-level setting applies to: by the dependency the engine recorded, else by bucket name."""
    for bucket in buckets:
        if _feeds(resource, "bucket", bucket):
            return bucket
    target = resource.props.get("bucket")
    if not isinstance(target, str):
        return None
    for bucket in buckets:
        if target in (bucket.props.get("bucket"), bucket.props.get("id")):
            return bucket
    return None


def _encrypts(config: StackResource) -> bool:
    for rule in _items(config.props.get("rules")):
        default = _mapping(rule.get("applyServerSideEncryptionByDefault"))
        algorithm = default.get("sseAlgorithm")
        if not _known(algorithm) or algorithm in BUCKET_ALGORITHMS:
            return True
    return False


def check_buckets(resources: list[StackResource]) -> list[tuple[str, str]]:
    """Every bucket has a public access block with all four flags on, and default encryption (SSE-KMS or SSE-S3).

    Returns (urn, message) pairs.
    """
    buckets = [r for r in resources if r.type in BUCKET_TYPES]
    blocked: set[str] = set()
    encrypted: set[str] = set()
    violations: list[tuple[str, str]] = []
    for block in (r for r in resources if r.type == PUBLIC_ACCESS_BLOCK):
        off = [
            flag for flag in PUBLIC_ACCESS_FLAGS if _known(block.props.get(flag)) and not _true(block.props.get(flag))
        ]
        if off:
            violations.append(
                (
                    block.urn,
                    f"Public access block '{block.name}' leaves {', '.join(off)} off, so the bucket can be made "
                    f"public by an ACL or bucket policy. Set all four of {', '.join(PUBLIC_ACCESS_FLAGS)} to true.",
                )
            )
            continue
        bucket = _bucket_of(block, buckets)
        if bucket is not None:
            blocked.add(bucket.urn)
    for config in (r for r in resources if r.type in BUCKET_ENCRYPTION_TYPES):
        bucket = _bucket_of(config, buckets)
        if bucket is None:
            continue
        if _encrypts(config):
            encrypted.add(bucket.urn)
        else:
            violations.append(
                (
                    config.urn,
                    f"Encryption configuration '{config.name}' sets no default encryption algorithm. Set "
                    'rules[0].applyServerSideEncryptionByDefault.sseAlgorithm to "aws:kms" with kmsMasterKeyId '
                    'set to the stack\'s KMS key (or "AES256").',
                )
            )
    for bucket in buckets:
        if bucket.urn not in blocked:
            violations.append(
                (
                    bucket.urn,
                    f"S3 bucket '{bucket.name}' has no public access block. Add an aws.s3.BucketPublicAccessBlock "
                    f"for it (bucket=bucket.id) with {', '.join(PUBLIC_ACCESS_FLAGS)} all true.",
                )
            )
        if bucket.urn not in encrypted:
            violations.append(
                (
                    bucket.urn,
                    f"S3 bucket '{bucket.name}' has no default encryption. Add an "
                    "aws.s3.BucketServerSideEncryptionConfiguration for it (bucket=bucket.id) with sseAlgorithm "
                    '"aws:kms" and the stack\'s KMS key (or "AES256").',
                )
            )
    return violations


def _functions_behind(
    integration: StackResource, functions: list[StackResource], aliases: list[StackResource]
) -> list[StackResource]:
    found = [f for f in functions if _feeds(integration, "integrationUri", f) or _feeds(integration, "uri", f)]
    for alias in aliases:
        if _feeds(integration, "integrationUri", alias) or _feeds(integration, "uri", alias):
            found += [f for f in functions if _feeds(alias, "functionName", f) and f not in found]
    if found:
        return found
    uri = integration.props.get("integrationUri", integration.props.get("uri"))
    if not isinstance(uri, str):
        return []
    return [
        f
        for f in functions
        if any(isinstance(ref, str) and ref and ref in uri for ref in (f.props.get("invokeArn"), f.props.get("arn")))
    ]


def check_lambda_timeouts(resources: list[StackResource]) -> list[tuple[str, str]]:
    """A Lambda function behind API Gateway gives up before the gateway does.

    Otherwise the caller gets a bare 503/504 from the gateway while the function keeps running (and billing), and
    its own logs never say it timed out.
    """
    functions = [r for r in resources if r.type == LAMBDA_FUNCTION]
    aliases = [r for r in resources if r.type == LAMBDA_ALIAS]
    violations: list[tuple[str, str]] = []
    for integration in (r for r in resources if r.type in INTEGRATION_DEFAULT_TIMEOUT_MS):
        limit_ms = _int(integration.props.get("timeoutMilliseconds"), INTEGRATION_DEFAULT_TIMEOUT_MS[integration.type])
        for function in _functions_behind(integration, functions, aliases):
            if not _known(function.props.get("timeout")):
                continue
            timeout_s = _int(function.props.get("timeout"), LAMBDA_DEFAULT_TIMEOUT_S)
            if timeout_s * 1000 >= limit_ms:
                violations.append(
                    (
                        function.urn,
                        f"Lambda function '{function.name}' may run for {timeout_s} s, but API Gateway integration "
                        f"'{integration.name}' gives up after {limit_ms / 1000:g} s and answers 503/504 while the "
                        f"function keeps running. Set the function's timeout below {limit_ms // 1000} s "
                        "(move longer work to a queue or an asynchronous invocation).",
                    )
                )
    return violations


# --- the policies --------------------------------------------------------------------------------------------------

ResourceCheck = Callable[[str, str, Mapping[str, Any]], list[str]]
StackCheck = Callable[[list[StackResource]], list[tuple[str, str]]]

# Like cdk-nag's acknowledgements: a rule stays on, and a finding on one resource is accepted with the reason, in the
# stack's policy config: {"<policy>": {"suppressions": {"<resource name>": "<reason>"}}}.
MIN_REASON = 20
SUPPRESSIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Findings accepted per resource: resource name -> why this resource may break the rule.",
    "additionalProperties": {"type": "string", "minLength": MIN_REASON},
    "default": {},
}


def suppressions(config: Mapping[str, Any]) -> dict[str, str]:
    """The resources whose findings the stack's config accepts, each with its reason (too short a reason: none)."""
    found = config.get("suppressions") or {}
    return {
        str(name): str(reason)
        for name, reason in dict(found).items()
        if isinstance(reason, str) and len(reason.strip()) >= MIN_REASON
    }


def _resource_validation(check: ResourceCheck) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.name in suppressions(args.get_config()):
            return
        for message in check(args.resource_type, args.name, plain(args.props)):
            report_violation(message, None)

    return validate


def _rds_validation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    if args.name in suppressions(config):
        return
    rules = RdsRules(production=_true(config.get("production", False)))
    for message in rules.check(args.resource_type, args.name, plain(args.props)):
        report_violation(message, None)


def stack_resources(args: StackValidationArgs) -> list[StackResource]:
    return [
        StackResource(
            type=r.resource_type,
            name=r.name,
            urn=r.urn,
            props=plain(r.props),
            property_dependencies={k: [d.urn for d in deps] for k, deps in r.property_dependencies.items()},
        )
        for r in args.resources
    ]


def _stack_validation(check: StackCheck) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = stack_resources(args)
        names = {r.urn: r.name for r in resources}
        accepted = suppressions(args.get_config())
        for urn, message in check(resources):
            if names.get(urn) not in accepted:
                report_violation(message, urn)

    return validate


RDS_POLICY = "rds-encrypted-and-resilient"


def _schema() -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={"suppressions": SUPPRESSIONS_SCHEMA})


def _resource_policy(name: str, description: str, check: ResourceCheck) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=_resource_validation(check),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=_schema(),
    )


def _stack_policy(name: str, description: str, check: StackCheck) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=_stack_validation(check),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=_schema(),
    )


POLICIES: list[Policy] = [
    _resource_policy(
        "no-admin-ports-from-internet",
        "No security group opens SSH (22) or RDP (3389) to 0.0.0.0/0 or ::/0.",
        check_security_group_ingress,
    ),
    _resource_policy(
        "ebs-encrypted-with-customer-key",
        "EC26: EBS volumes, instance disks and launch-template disks are encrypted with a customer-managed key.",
        check_ebs_encryption,
    ),
    _resource_policy(
        "imdsv2-required",
        "EC2 instances, launch templates and Beanstalk environments require IMDSv2.",
        check_imdsv2,
    ),
    ResourceValidationPolicy(
        name=RDS_POLICY,
        description="RDS2, RDS3, RDS10: RDS storage is encrypted; on production stacks databases are Multi-AZ with "
        "deletion protection.",
        validate=_rds_validation,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                "production": {
                    "type": "boolean",
                    "default": False,
                    "description": "The stack serves production: databases must be Multi-AZ and deletion-protected.",
                },
                "suppressions": SUPPRESSIONS_SCHEMA,
            }
        ),
    ),
    _resource_policy(
        "lightsail-database-private",
        "Lightsail databases are not publicly accessible.",
        check_lightsail_database,
    ),
    _stack_policy(
        "s3-private-and-encrypted",
        "S2, S3: every S3 bucket has a full public access block and default encryption (SSE-KMS or SSE-S3).",
        check_buckets,
    ),
    _stack_policy(
        "lambda-times-out-before-api-gateway",
        "Lambda functions behind API Gateway time out before the gateway's integration does.",
        check_lambda_timeouts,
    ),
    _resource_policy(
        "ec2-no-world-ingress", "EC23: no security group rule admits 0.0.0.0/0 or ::/0.", nag.check_world_ingress
    ),
    _resource_policy(
        "ec2-termination-protection",
        "EC29: an instance outside an Auto Scaling group has termination protection.",
        nag.check_termination_protection,
    ),
    _resource_policy("elb-access-logs", "ELB2: load balancers write access logs.", nag.check_load_balancer_logs),
    _resource_policy("rds-non-default-port", "RDS11: databases listen on a non-default port.", nag.check_database_port),
    _resource_policy("rds-backups", "RDS13: databases keep automated backups.", nag.check_database_backups),
    _resource_policy("efs-encrypted", "EFS1: file systems are encrypted at rest.", nag.check_efs_encryption),
    _resource_policy(
        "lightsail-no-admin-ports-from-internet",
        "Lightsail: no port rule opens 22 or 3389 to the whole internet, and every rule names its sources.",
        nag.check_lightsail_ports,
    ),
    _resource_policy("api-access-logs", "APIG1: API stages write access logs.", nag.check_api_access_logs),
    _resource_policy("api-authorization", "APIG4: API routes require authorization.", nag.check_api_authorization),
    _resource_policy(
        "dynamodb-point-in-time-recovery", "DDB3: tables have point-in-time recovery.", nag.check_table_recovery
    ),
    _resource_policy("sqs-encrypted", "SQS2: queues are encrypted.", nag.check_queue_encryption),
    _resource_policy("kms-key-rotation", "KMS5: symmetric keys rotate.", nag.check_key_rotation),
    _resource_policy(
        "lambda-supported-runtime", "L1: functions run on a runtime AWS still supports.", nag.check_lambda_runtime
    ),
    _resource_policy(
        "iam-no-wildcards", "IAM5: the program's policies name actions and resources.", nag.check_policy_wildcards
    ),
    _resource_policy("beanstalk-in-a-vpc", "EB1: Beanstalk environments name their VPC.", nag.check_beanstalk_vpc),
    _resource_policy(
        "beanstalk-managed-updates",
        "EB3: Beanstalk environments apply platform updates themselves.",
        nag.check_beanstalk_managed_updates,
    ),
    _resource_policy(
        "beanstalk-logs-leave-the-instance",
        "EB4: Beanstalk instance logs go to S3 or CloudWatch Logs.",
        nag.check_beanstalk_logs,
    ),
    _stack_policy("vpc-flow-logs", "VPC7: every VPC has a flow log.", nag.check_vpc_flow_logs),
    _stack_policy("s3-access-logs", "S1: every bucket has server access logging.", nag.check_bucket_access_logs),
    _stack_policy("s3-tls-only", "S10: every bucket's policy refuses requests without TLS.", nag.check_bucket_tls),
    _stack_policy("sqs-tls-only", "SQS4: every queue's policy refuses requests without TLS.", nag.check_queue_tls),
    _stack_policy(
        "sqs-dead-letter-queue", "SQS3: every queue has a dead-letter queue or is one.", nag.check_dead_letter_queues
    ),
    _stack_policy(
        "secrets-rotated", "SMG4: secrets rotate (RDS-managed master passwords count).", nag.check_secret_rotation
    ),
]
