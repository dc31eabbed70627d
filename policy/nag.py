"""Checks after cdk-nag's AwsSolutions pack, for the resources this project declares (the code in each docstring).

Like `policy.rules`, every check is a plain function over the engine's camelCase properties; values unknown
during a preview never count as violations.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any

from policy.values import UNKNOWN, is_set, items, known, mapping, to_int, true

# The engine's types.
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INSTANCE = "aws:ec2/instance:Instance"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LOAD_BALANCER_TYPES = (LOAD_BALANCER, "aws:alb/loadBalancer:LoadBalancer")
RDS_INSTANCE = "aws:rds/instance:Instance"
EFS = "aws:efs/fileSystem:FileSystem"
LIGHTSAIL_PORTS = "aws:lightsail/instancePublicPorts:InstancePublicPorts"
HTTP_API_STAGE = "aws:apigatewayv2/stage:Stage"
REST_API_STAGE = "aws:apigateway/stage:Stage"
HTTP_API_ROUTE = "aws:apigatewayv2/route:Route"
REST_API_METHOD = "aws:apigateway/method:Method"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
KMS_KEY = "aws:kms/key:Key"
SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 (a type token)
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"  # noqa: S105
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BEANSTALK_ENVIRONMENT = "aws:elasticbeanstalk/environment:Environment"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
PORT_PROTOCOLS = {"tcp", "6", "udp", "17"}
ALL_PROTOCOLS = {"-1", "all"}
# The engines' default ports (RDS User Guide, each engine's "Connecting"): RDS11 asks for another one.
DEFAULT_DB_PORTS = {"mysql": 3306, "mariadb": 3306, "postgres": 5432, "sqlserver": 1433, "oracle": 1521}
# Lambda runtimes past their end of support (AWS Lambda Developer Guide, "Lambda runtimes", deprecated runtimes;
# python3.9 since 2025-12-15, nodejs18.x since 2025-09-01).
DEPRECATED_RUNTIMES = frozenset(
    {
        "python2.7",
        "python3.6",
        "python3.7",
        "python3.8",
        "python3.9",
        "nodejs",
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "nodejs14.x",
        "nodejs16.x",
        "nodejs18.x",
        "java8",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "dotnetcore3.1",
        "dotnet5.0",
        "dotnet6",
        "dotnet7",
        "ruby2.5",
        "ruby2.7",
        "go1.x",
        "provided",
    }
)
# Actions that accept no resource narrower than "*" (Service Authorization Reference: no resource types listed).
STAR_ONLY_ACTIONS = (
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "cloudwatch:PutMetricData",
    "ec2:Describe*",
    "ses:SendEmail",
)


def _world(cidrs: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for cidr in cidrs:
        if not isinstance(cidr, str):
            continue
        try:
            if ipaddress.ip_network(cidr, strict=False).prefixlen == 0:
                found.append(cidr)
        except ValueError:
            continue
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ports(protocol: Any, low: Any, high: Any) -> str:
    proto = str(protocol).lower() if known(protocol) and protocol is not None else ""
    if proto in ALL_PROTOCOLS:
        return "every port"
    return f"port {to_int(low, 0)}" + (f"-{to_int(high, 0)}" if to_int(high, 0) != to_int(low, 0) else "")


# --- EC23: no ingress from the whole internet -------------------------------------------------------------------------


def check_world_ingress(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """EC23: no security group rule admits 0.0.0.0/0 or ::/0 (a public load balancer acknowledges it per resource)."""
    rules: list[tuple[str, Any, Any, Any, list[str]]] = []
    if resource_type in (SECURITY_GROUP, DEFAULT_SECURITY_GROUP):
        for index, rule in enumerate(items(props.get("ingress"))):
            cidrs = [*_list(rule.get("cidrBlocks")), *_list(rule.get("ipv6CidrBlocks"))]
            rules.append(
                (f" (ingress rule {index})", rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"), cidrs)
            )
    elif resource_type == INGRESS_RULE:
        cidrs = [props.get("cidrIpv4"), props.get("cidrIpv6")]
        rules.append(("", props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"), cidrs))
    elif resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = [*_list(props.get("cidrBlocks")), *_list(props.get("ipv6CidrBlocks"))]
        rules.append(("", props.get("protocol"), props.get("fromPort"), props.get("toPort"), cidrs))
    violations: list[str] = []
    for where, protocol, low, high, cidrs in rules:
        world = _world(cidrs)
        if world:
            violations.append(
                f"Security group rule '{name}'{where} admits {', '.join(world)} on {_ports(protocol, low, high)}. "
                "Admit only the sources that need it (a load balancer's security group, an admin range); "
                "a public entry point acknowledges this per resource in policy/config/<stack>.json."
            )
    return violations


# --- EC29: termination protection of a stand-alone instance -----------------------------------------------------------


def check_termination_protection(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """EC29: an instance outside an Auto Scaling group has API termination protection."""
    if resource_type != INSTANCE:
        return []
    value = props.get("disableApiTermination")
    if not known(value) or true(value):
        return []
    return [
        f"EC2 instance '{name}' can be terminated by a single API call, and it is not in an Auto Scaling group that "
        "would replace it. Set disableApiTermination to true."
    ]


# --- ELB2: load balancer access logs ----------------------------------------------------------------------------------


def check_load_balancer_logs(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """ELB2: a load balancer writes access logs."""
    if resource_type not in LOAD_BALANCER_TYPES:
        return []
    logs = props.get("accessLogs")
    if not known(logs):
        return []
    enabled = mapping(logs).get("enabled")
    if not known(enabled) or (true(enabled) and is_set(mapping(logs).get("bucket"))):
        return []
    return [
        f"Load balancer '{name}' keeps no access logs, so a request cannot be traced after the fact. Set "
        "accessLogs: {bucket: <log bucket>, enabled: true}."
    ]


# --- RDS11 and RDS13 --------------------------------------------------------------------------------------------------


def check_database_port(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """RDS11: a database listens on a port other than its engine's default."""
    if resource_type != RDS_INSTANCE or is_set(props.get("replicateSourceDb")):
        return []
    engine = str(props.get("engine") or "").lower()
    default = next((port for prefix, port in DEFAULT_DB_PORTS.items() if engine.startswith(prefix)), None)
    port = props.get("port")
    if default is None or not known(port) or (port is not None and to_int(port, default) != default):
        return []
    return [
        f"RDS instance '{name}' listens on {engine}'s default port {default}, the first one scanners try. "
        "Set port to another value."
    ]


def check_database_backups(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """RDS13: automated backups are on (a retention of at least one day; RDS's default is one)."""
    if resource_type != RDS_INSTANCE or is_set(props.get("replicateSourceDb")):
        return []
    retention = props.get("backupRetentionPeriod")
    if not known(retention) or retention is None or to_int(retention, 1) >= 1:
        return []
    return [f"RDS instance '{name}' keeps no automated backups. Set backupRetentionPeriod to 1 day or more."]


# --- EFS1 -------------------------------------------------------------------------------------------------------------


def check_efs_encryption(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """EFS1: a file system is encrypted at rest."""
    if resource_type != EFS:
        return []
    encrypted = props.get("encrypted")
    if not known(encrypted) or true(encrypted):
        return []
    return [
        f"EFS file system '{name}' is not encrypted at rest (this cannot be changed later). "
        "Set encrypted to true and kmsKeyId to the stack's KMS key."
    ]


# --- Lightsail public ports -------------------------------------------------------------------------------------------


def check_lightsail_ports(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """Lightsail: no port rule opens SSH or RDP to the whole internet, and every rule names its sources."""
    if resource_type != LIGHTSAIL_PORTS:
        return []
    violations: list[str] = []
    for info in items(props.get("portInfos")):
        low, high, protocol = info.get("fromPort"), info.get("toPort"), info.get("protocol")
        sources = [info.get(k) for k in ("cidrs", "ipv6Cidrs", "cidrListAliases")]
        if not all(known(s) for s in sources) or not (known(low) and known(high)):
            continue
        where = _ports(protocol, low, high)
        if not any(_list(s) for s in sources):
            violations.append(
                f"Lightsail port rule of '{name}' on {where} names no sources (cidrs, ipv6Cidrs or cidrListAliases), "
                "leaving who may connect to Lightsail's default. Name the ranges that may connect."
            )
            continue
        proto = str(protocol).lower()
        opens = proto == "all" or (proto in PORT_PROTOCOLS and True)
        admin = [p for p in sorted(ADMIN_PORTS) if opens and to_int(low, 0) <= p <= to_int(high, 0)]
        world = _world([*_list(sources[0]), *_list(sources[1])])
        if admin and world:
            ports = " and ".join(f"{p} ({ADMIN_PORTS[p]})" for p in admin)
            violations.append(
                f"Lightsail instance ports '{name}' open {ports} to the whole internet ({', '.join(world)}). Allow "
                "only the admins' ranges, or close the port and use the Lightsail browser SSH/RDP client."
            )
    return violations


# --- API Gateway: APIG1, APIG4 ----------------------------------------------------------------------------------------


def check_api_access_logs(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """APIG1: an API stage writes access logs."""
    if resource_type not in (HTTP_API_STAGE, REST_API_STAGE):
        return []
    settings = props.get("accessLogSettings")
    if not known(settings) or (isinstance(settings, Mapping) and is_set(settings.get("destinationArn"))):
        return []
    return [
        f"API stage '{name}' keeps no access logs. Set accessLogSettings with destinationArn (a log group) "
        "and a format."
    ]


def check_api_authorization(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """APIG4: every route or method asks for authorization."""
    if resource_type == HTTP_API_ROUTE:
        value = props.get("authorizationType")
    elif resource_type == REST_API_METHOD:
        value = props.get("authorization")
    else:
        return []
    if not known(value) or (value and str(value).upper() != "NONE"):
        return []
    return [
        f"API route '{name}' answers anyone: its authorization is NONE. Set authorizationType to AWS_IAM, JWT or "
        "CUSTOM (authorization: iam in the stack file)."
    ]


# --- DDB3, SQS2, KMS5, L1 ---------------------------------------------------------------------------------------------


def check_table_recovery(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """DDB3: a table has point-in-time recovery."""
    if resource_type != DYNAMODB_TABLE:
        return []
    recovery = props.get("pointInTimeRecovery")
    if not known(recovery):
        return []
    enabled = mapping(recovery).get("enabled")
    if not known(enabled) or true(enabled):
        return []
    return [
        f"DynamoDB table '{name}' has no point-in-time recovery: a bad write cannot be undone. "
        "Set pointInTimeRecovery: {enabled: true}."
    ]


def check_queue_encryption(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """SQS2: a queue is encrypted (the stack's KMS key, or SQS-managed keys)."""
    if resource_type != QUEUE:
        return []
    if is_set(props.get("kmsMasterKeyId")) or true(props.get("sqsManagedSseEnabled")):
        return []
    if not known(props.get("sqsManagedSseEnabled")):
        return []
    return [f"SQS queue '{name}' is not encrypted. Set kmsMasterKeyId to the stack's KMS key."]


def check_key_rotation(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """KMS5: a symmetric key rotates yearly."""
    if resource_type != KMS_KEY:
        return []
    spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
    rotation = props.get("enableKeyRotation")
    if spec != "SYMMETRIC_DEFAULT" or not known(rotation) or true(rotation):
        return []
    return [f"KMS key '{name}' never rotates its key material. Set enableKeyRotation to true."]


def check_lambda_runtime(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """L1: a function does not run on a runtime past its end of support."""
    if resource_type != LAMBDA_FUNCTION:
        return []
    runtime = props.get("runtime")
    if not isinstance(runtime, str) or runtime not in DEPRECATED_RUNTIMES:
        return []
    return [
        f"Lambda function '{name}' runs on {runtime}, which AWS no longer patches; soon it cannot be updated "
        "either. Move it to a supported runtime (python3.13 or later)."
    ]


# --- IAM5: wildcards in the program's own policies --------------------------------------------------------------------


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    statements = mapping(document).get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else items(statements)


def _star_only(action: str) -> bool:
    return any(
        action.lower() == a.lower() or (a.endswith("*") and action.startswith(a[:-1])) for a in STAR_ONLY_ACTIONS
    )


def check_policy_wildcards(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """IAM5: the program's policies name actions and resources, not wildcards (actions that accept only "*" aside)."""
    if resource_type not in (ROLE_POLICY, MANAGED_POLICY) or not known(props.get("policy")):
        return []
    violations: list[str] = []
    for statement in _statements(props.get("policy")):
        if statement.get("Effect") != "Allow":
            continue
        actions = [a for a in _list(statement.get("Action")) or [statement.get("Action")] if isinstance(a, str)]
        resources = [r for r in _list(statement.get("Resource")) or [statement.get("Resource")] if isinstance(r, str)]
        wild_actions = [a for a in actions if "*" in a and not _star_only(a)]
        if "Resource" in statement and "*" in resources:
            wild_actions += [a for a in actions if not _star_only(a) and a not in wild_actions]
        if "NotAction" in statement or "NotResource" in statement or wild_actions:
            sid = statement.get("Sid") or "a statement"
            violations.append(
                f"IAM policy '{name}' ({sid}) allows {', '.join(wild_actions) or 'NotAction/NotResource'} "
                f"{'on every resource' if '*' in resources else 'with a wildcard action'}. Name the actions and the "
                "resources (ARNs of this stack's own resources)."
            )
    return violations


# --- EB1, EB3, EB4 ----------------------------------------------------------------------------------------------------


def _setting(props: Mapping[str, Any], namespace: str, option: str) -> Any:
    settings = props.get("settings")
    if not known(settings):
        return UNKNOWN
    for setting in items(settings):
        if setting.get("namespace") == namespace and setting.get("name") == option:
            return setting.get("value")
    return None


def check_beanstalk_vpc(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """EB1: an environment runs in a VPC named for it, not the account's default VPC."""
    if resource_type != BEANSTALK_ENVIRONMENT:
        return []
    value = _setting(props, "aws:ec2:vpc", "VPCId")
    if not known(value) or is_set(value):
        return []
    return [
        f"Elastic Beanstalk environment '{name}' names no VPC, so it lands in the account's default VPC. "
        'Add the setting namespace "aws:ec2:vpc", name "VPCId".'
    ]


def check_beanstalk_managed_updates(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """EB3: an environment applies platform updates itself (managed actions on, with an update level)."""
    if resource_type != BEANSTALK_ENVIRONMENT:
        return []
    enabled = _setting(props, "aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled")
    level = _setting(props, "aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel")
    if not (known(enabled) and known(level)) or (true(enabled) and is_set(level)):
        return []
    return [
        f"Elastic Beanstalk environment '{name}' does not take platform updates by itself. Set "
        "aws:elasticbeanstalk:managedactions ManagedActionsEnabled to true and "
        "aws:elasticbeanstalk:managedactions:platformupdate UpdateLevel to minor or patch."
    ]


def check_beanstalk_logs(resource_type: str, name: str, props: Mapping[str, Any]) -> list[str]:
    """EB4: instance logs leave the instance before it is replaced: to S3 (LogPublicationControl, cdk-nag's own
    check) or, as this project does, streamed to CloudWatch Logs (StreamLogs)."""
    if resource_type != BEANSTALK_ENVIRONMENT:
        return []
    to_s3 = _setting(props, "aws:elasticbeanstalk:hostmanager", "LogPublicationControl")
    streamed = _setting(props, "aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs")
    if not (known(to_s3) and known(streamed)) or true(to_s3) or true(streamed):
        return []
    return [
        f"Elastic Beanstalk environment '{name}' keeps its logs only on the instances, which are replaced. Set "
        "aws:elasticbeanstalk:cloudwatch:logs StreamLogs to true (or hostmanager LogPublicationControl)."
    ]


# --- stack rules ------------------------------------------------------------------------------------------------------


def _refers_to(resource: Any, source: Any, *props: str) -> bool:
    """Whether `resource` takes one of `props` from `source`: by the engine's dependency, or by id, name or ARN."""
    deps = resource.property_dependencies
    if any(source.urn in deps.get(prop, []) for prop in props):
        return True
    handles = [h for h in (source.props.get(k) for k in ("id", "arn", "bucket", "name", "url")) if isinstance(h, str)]
    for prop in props:
        value = resource.props.get(prop)
        text = value if isinstance(value, str) else json.dumps(value, default=str) if value else ""
        if any(h and h in text for h in handles):
            return True
    return False


def _denies_insecure_transport(document: Any) -> bool:
    for statement in _statements(document):
        condition = mapping(statement.get("Condition"))
        secure = mapping(condition.get("Bool")).get("aws:SecureTransport")
        if statement.get("Effect") == "Deny" and str(secure).lower() == "false":
            return True
    return False


def check_vpc_flow_logs(resources: list[Any]) -> list[tuple[str, str]]:
    """VPC7: every VPC has a flow log."""
    logs = [r for r in resources if r.type == FLOW_LOG]
    return [
        (
            vpc.urn,
            f"VPC '{vpc.name}' has no flow log, so rejected and accepted traffic leaves no trace. Add an "
            "aws.ec2.FlowLog with vpc_id=vpc.id.",
        )
        for vpc in resources
        if vpc.type == VPC and not any(_refers_to(log, vpc, "vpcId") for log in logs)
    ]


def check_bucket_access_logs(resources: list[Any]) -> list[tuple[str, str]]:
    """S1: every bucket has server access logging."""
    logging = [r for r in resources if r.type in BUCKET_LOGGING_TYPES]
    return [
        (
            bucket.urn,
            f"S3 bucket '{bucket.name}' has no server access logging. Add an aws.s3.BucketLogging for it with a "
            "log bucket as target.",
        )
        for bucket in resources
        if bucket.type in BUCKET_TYPES and not any(_refers_to(log, bucket, "bucket") for log in logging)
    ]


def check_bucket_tls(resources: list[Any]) -> list[tuple[str, str]]:
    """S10: every bucket's policy refuses requests without TLS."""
    policies = [r for r in resources if r.type == BUCKET_POLICY]
    violations: list[tuple[str, str]] = []
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        mine = [p for p in policies if _refers_to(p, bucket, "bucket")]
        if any(not known(p.props.get("policy")) or _denies_insecure_transport(p.props.get("policy")) for p in mine):
            continue
        violations.append(
            (
                bucket.urn,
                f"S3 bucket '{bucket.name}' accepts requests without TLS. Give it a bucket policy that denies s3:* "
                'when "aws:SecureTransport" is "false".',
            )
        )
    return violations


def check_queue_tls(resources: list[Any]) -> list[tuple[str, str]]:
    """SQS4: every queue's policy refuses requests without TLS."""
    policies = [r for r in resources if r.type == QUEUE_POLICY]
    violations: list[tuple[str, str]] = []
    for queue in (r for r in resources if r.type == QUEUE):
        mine = [p for p in policies if _refers_to(p, queue, "queueUrl")]
        if any(not known(p.props.get("policy")) or _denies_insecure_transport(p.props.get("policy")) for p in mine):
            continue
        violations.append(
            (
                queue.urn,
                f"SQS queue '{queue.name}' accepts requests without TLS. Give it an aws.sqs.QueuePolicy that denies "
                'sqs:* when "aws:SecureTransport" is "false".',
            )
        )
    return violations


def check_dead_letter_queues(resources: list[Any]) -> list[tuple[str, str]]:
    """SQS3: every queue either has a dead-letter queue or is one (of a queue, or of a function's failures)."""
    queues = [r for r in resources if r.type == QUEUE]
    holders = [
        (r, ("redrivePolicy",))
        if r.type == QUEUE
        else (r, ("destinationConfig",))
        if r.type == EVENT_INVOKE_CONFIG
        else (r, ("deadLetterConfig",))
        for r in resources
        if r.type in (QUEUE, EVENT_INVOKE_CONFIG, LAMBDA_FUNCTION)
    ]
    violations: list[tuple[str, str]] = []
    for queue in queues:
        if is_set(queue.props.get("redrivePolicy")):
            continue
        if any(holder is not queue and _refers_to(holder, queue, *props) for holder, props in holders):
            continue
        violations.append(
            (
                queue.urn,
                f"SQS queue '{queue.name}' has no dead-letter queue: a message that keeps failing is retried until "
                "it expires, and is lost. Set redrivePolicy to a dead-letter queue.",
            )
        )
    return violations


def check_secret_rotation(resources: list[Any]) -> list[tuple[str, str]]:
    """SMG4: every secret rotates: a Secrets Manager secret has a rotation, and a database's master password is the
    one RDS manages (and rotates) rather than a password the program set."""
    rotations = [r for r in resources if r.type == SECRET_ROTATION]
    violations: list[tuple[str, str]] = []
    for resource in resources:
        if resource.type == SECRET and not any(_refers_to(r, resource, "secretId") for r in rotations):
            violations.append(
                (
                    resource.urn,
                    f"Secret '{resource.name}' never rotates. Add an aws.secretsmanager.SecretRotation for it.",
                )
            )
        elif (
            resource.type == RDS_INSTANCE
            and is_set(resource.props.get("password"))
            and not true(resource.props.get("manageMasterUserPassword"))
        ):
            violations.append(
                (
                    resource.urn,
                    f"RDS instance '{resource.name}' has a master password set by the program, which never rotates. "
                    "Set manageMasterUserPassword to true (RDS keeps it in Secrets Manager and rotates it).",
                )
            )
    return violations
