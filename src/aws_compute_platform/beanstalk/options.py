"""Elastic Beanstalk option settings: those both tiers share, the web tier's and the worker tier's, and no others.

Every value is a string (booleans lowercase), as the option settings API takes them; every namespace and name is
one Elastic Beanstalk documents, because it silently ignores any other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from aws_compute_platform.beanstalk.args import (
    JOBS_PER_WORKER_INSTANCE,
    BeanstalkArgs,
    WebTierArgs,
    WorkerTierArgs,
    min_in_service,
)
from aws_compute_platform.beanstalk.queue import MESSAGE_RETENTION_S
from aws_compute_platform.foundation.instance_types import architecture
from aws_compute_platform.foundation.network import NetworkRef

TASK_PATH = "/tasks/payroll"
HEALTH_PATH = "/health"
# The web tier's JOB_TIMEOUT_SECONDS (Gunicorn's timeout): an upload streams to S3 within it; the ALB's idle timeout
# (60 s) applies only while no byte moves.
WEB_JOB_TIMEOUT_S = 120
WORKER_PROCESSES = JOBS_PER_WORKER_INSTANCE  # Gunicorn workers per worker instance; sqsd opens as many connections
WEB_PROCESSES = 3
# The app's upload limit, 100 MiB. nginx's client_max_body_size is 101m, 1 MiB more (app/.platform/nginx/conf.d/
# payroll.conf), so a file just over the limit reaches the app and gets its JSON 413, which the upload page shows.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

# Every option namespace and name the environments may set, as Elastic Beanstalk documents them in "General options
# for all environments" (awsdocs/aws-elastic-beanstalk-developer-guide doc_source/command-options-general.md and
# https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html). Beanstalk silently ignores
# an unknown option, which then shows as a diff on every `pulumi up`: a test holds both tiers to this list.
DOCUMENTED_OPTIONS: Mapping[str, frozenset[str]] = {
    "aws:autoscaling:asg": frozenset({"MinSize", "MaxSize", "Cooldown", "Availability Zones"}),
    "aws:autoscaling:trigger": frozenset(
        {
            "BreachDuration",
            "EvaluationPeriods",
            "LowerBreachScaleIncrement",
            "LowerThreshold",
            "MeasureName",
            "Period",
            "Statistic",
            "Unit",
            "UpperBreachScaleIncrement",
            "UpperThreshold",
        }
    ),
    "aws:autoscaling:updatepolicy:rollingupdate": frozenset(
        {"MaxBatchSize", "MinInstancesInService", "RollingUpdateEnabled", "RollingUpdateType", "PauseTime", "Timeout"}
    ),
    "aws:autoscaling:launchconfiguration": frozenset(
        {
            "IamInstanceProfile",
            "DisableIMDSv1",
            "RootVolumeType",
            "RootVolumeSize",
            "RootVolumeIOPS",
            "RootVolumeThroughput",
            "MonitoringInterval",
            "SecurityGroups",
            "DisableDefaultEC2SecurityGroup",
        }
    ),
    "aws:ec2:instances": frozenset({"InstanceTypes", "SupportedArchitectures", "EnableSpot"}),
    "aws:ec2:vpc": frozenset({"VPCId", "Subnets", "ELBSubnets", "ELBScheme", "AssociatePublicIpAddress"}),
    "aws:elasticbeanstalk:environment": frozenset({"EnvironmentType", "ServiceRole", "LoadBalancerType"}),
    "aws:elasticbeanstalk:environment:process:default": frozenset(
        {"HealthCheckPath", "MatcherHTTPCode", "Port", "Protocol", "DeregistrationDelay", "HealthCheckInterval"}
    ),
    "aws:elasticbeanstalk:healthreporting:system": frozenset({"SystemType", "ConfigDocument"}),
    "aws:elasticbeanstalk:managedactions": frozenset(
        {"ManagedActionsEnabled", "PreferredStartTime", "ServiceRoleForManagedUpdates"}
    ),
    "aws:elasticbeanstalk:managedactions:platformupdate": frozenset({"UpdateLevel", "InstanceRefreshEnabled"}),
    "aws:elasticbeanstalk:cloudwatch:logs": frozenset({"StreamLogs", "DeleteOnTerminate", "RetentionInDays"}),
    "aws:elasticbeanstalk:cloudwatch:logs:health": frozenset(
        {"HealthStreamingEnabled", "DeleteOnTerminate", "RetentionInDays"}
    ),
    "aws:elasticbeanstalk:command": frozenset({"DeploymentPolicy", "Timeout", "BatchSizeType", "BatchSize"}),
    "aws:elasticbeanstalk:sqsd": frozenset(
        {
            "WorkerQueueURL",
            "HttpPath",
            "MimeType",
            "HttpConnections",
            "ConnectTimeout",
            "InactivityTimeout",
            "VisibilityTimeout",
            "ErrorVisibilityTimeout",
            "RetentionPeriod",
            "MaxRetries",
        }
    ),
    "aws:elbv2:listener:default": frozenset({"ListenerEnabled", "Protocol", "DefaultProcess"}),
    "aws:elbv2:listener:443": frozenset({"ListenerEnabled", "Protocol", "SSLCertificateArns", "SSLPolicy"}),
    "aws:elbv2:loadbalancer": frozenset({"SecurityGroups", "ManagedSecurityGroup"}),
}
# Environment properties: "any environment variable name" (same page, aws:elasticbeanstalk:application:environment).
ENVIRONMENT_PROPERTIES = "aws:elasticbeanstalk:application:environment"
# Options that exist only with a load balancer: a worker environment has none, and setting them fails its creation.
LOAD_BALANCER_OPTIONS = {
    ("aws:ec2:vpc", "ELBSubnets"),
    ("aws:ec2:vpc", "ELBScheme"),
    ("aws:elasticbeanstalk:environment", "LoadBalancerType"),
    ("aws:elbv2:loadbalancer", "SecurityGroups"),
    ("aws:elbv2:loadbalancer", "ManagedSecurityGroup"),
}


def needs_a_load_balancer(namespace: str, name: str) -> bool:
    """Whether an option configures a load balancer, which a worker or SingleInstance environment does not have.

    Besides LOAD_BALANCER_OPTIONS: the aws:elb* namespaces and the default process, which is the load balancer's
    target group and its health check ("General options for all environments", aws:elasticbeanstalk:environment:
    process:default; "Environment types": a single-instance environment "doesn't have a load balancer").
    """
    return (namespace, name) in LOAD_BALANCER_OPTIONS or namespace.startswith(
        ("aws:elb:", "aws:elbv2:", "aws:elasticbeanstalk:environment:process:")
    )


Setting = dict[str, pulumi.Input[str]]

# Enhanced health publishes EnvironmentHealth to CloudWatch by itself (free); this document adds each tier's request
# count and 5xx count (custom metrics, billed per metric) for the stack's dashboard. Format and names: Elastic
# Beanstalk developer guide, "Publishing Amazon CloudWatch custom metrics for an environment" (60 s is the only
# period it supports).
HEALTH_METRICS = json.dumps(
    {
        "CloudWatchMetrics": {"Environment": {"ApplicationRequestsTotal": 60, "ApplicationRequests5xx": 60}},
        "Version": 1,
    },
    separators=(",", ":"),
)


def option(namespace: str, name: str, value: pulumi.Input[str]) -> Setting:
    return {"namespace": namespace, "name": name, "value": value}


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class WebEntry:
    """How users reach the web tier and sign in: what only the web tier is told.

    `certificate_arn` is None for a stack without a domain (plain HTTP, restricted by the load balancer's group);
    `security_group_id` (the load balancer's) is None for a SingleInstance web tier, which has none.
    The sign-in secret is named only: the app reads the SecureString parameter at run time.
    """

    security_group_id: pulumi.Input[str] | None
    certificate_arn: pulumi.Input[str] | None
    public_url: str
    issuer: pulumi.Input[str]
    client_id: pulumi.Input[str]
    signin_secret: pulumi.Input[str]


@dataclass(frozen=True)
class Wiring:
    """What both tiers are told about the rest of the application: where they run and what they work with."""

    network: NetworkRef
    service_role_arn: pulumi.Input[str]
    service_role_name: pulumi.Input[str]
    uploads_bucket: pulumi.Input[str]
    queue_url: pulumi.Input[str]
    region: pulumi.Input[str]
    # Each tier's own security group when its instances are in public subnets (InstanceFirewalls); None: Elastic
    # Beanstalk's default group, for instances in private subnets.
    web_group_id: pulumi.Input[str] | None = None
    worker_group_id: pulumi.Input[str] | None = None


def _single(tier: WebTierArgs | WorkerTierArgs) -> bool:
    return isinstance(tier, WebTierArgs) and tier.environment_type == "SingleInstance"


def _placement(args: BeanstalkArgs, network: NetworkRef, group_id: pulumi.Input[str] | None) -> list[Setting]:
    """Which subnets the instances run in, whether they get public addresses, and which security group guards them.

    Instances in public subnets reach Elastic Beanstalk, SQS, SES, S3 and CloudWatch Logs over the internet instead
    of through a NAT gateway. Interface VPC endpoints would keep them private without NAT, but cost more than the NAT
    gateway they replace: $0.01 an hour ($7.30 a month) per endpoint in each zone, and the tiers call at least six
    services that have no free gateway endpoint (elasticbeanstalk, elasticbeanstalk-health, cloudformation, sqs,
    email, logs): about $88 a month over two zones, against $36.50 for one NAT gateway and its address, or $3.65 per
    public instance address. Nor would endpoints alone do: the platform installs requirements.txt from PyPI.
    """
    public = args.instance_subnets == "public"
    subnets = network.public_subnet_ids if public else network.private_subnet_ids
    settings = [
        option("aws:ec2:vpc", "Subnets", pulumi.Output.all(*subnets).apply(",".join)),
        # "This option has no effect on a single-instance environment, which always has a single Amazon EC2 instance
        # with an Elastic IP address" (aws:ec2:vpc AssociatePublicIpAddress, "General options for all environments").
        option("aws:ec2:vpc", "AssociatePublicIpAddress", _flag(public)),
    ]
    if group_id is not None:
        # Our group replaces Beanstalk's default one, which admits port 80 from the whole internet in a
        # single-instance environment ("Managing EC2 security groups", using-features.managing.ec2.instances.sg).
        settings += [
            option("aws:autoscaling:launchconfiguration", "SecurityGroups", group_id),
            option("aws:autoscaling:launchconfiguration", "DisableDefaultEC2SecurityGroup", "true"),
        ]
    return settings


def _updates(tier: WebTierArgs | WorkerTierArgs) -> list[Setting]:
    """How deployments and instance-replacing configuration changes roll out."""
    rolling = "aws:autoscaling:updatepolicy:rollingupdate"
    if _single(tier):
        # A single-instance environment supports only All at once and Immutable deployments ("Deploying applications
        # to Elastic Beanstalk environments", Supported deployment policies). Immutable for both deployments and
        # configuration changes: a new instance must pass health checks before the old one goes, and a deployment
        # that changes instance settings does not fail ("Immutable environment updates").
        return [
            option("aws:elasticbeanstalk:command", "DeploymentPolicy", "Immutable"),
            option(rolling, "RollingUpdateEnabled", "true"),
            option(rolling, "RollingUpdateType", "Immutable"),
        ]
    return [
        # Replace instances in batches so a bad version never takes the whole tier down at once.
        option("aws:elasticbeanstalk:command", "DeploymentPolicy", "RollingWithAdditionalBatch"),
        # DeploymentPolicy covers code deployments only. A configuration change that replaces instances (instance
        # type, launch template, VPC) or a platform version change made through the API follows this namespace,
        # whose RollingUpdateEnabled defaults to false: every instance at once ("Configuration changes: rolling
        # updates", using-features.rollingupdates). Health-based: a batch must pass enhanced health checks before
        # the next one is replaced.
        option(rolling, "RollingUpdateEnabled", "true"),
        option(rolling, "RollingUpdateType", "Health"),
        option(rolling, "MaxBatchSize", str(tier.update_batch_size)),
        option(rolling, "MinInstancesInService", str(min_in_service(tier))),
    ]


def _instances(
    args: BeanstalkArgs,
    wiring: Wiring,
    profile_name: pulumi.Input[str],
    tier: WebTierArgs | WorkerTierArgs,
    group_id: pulumi.Input[str] | None = None,
) -> list[Setting]:
    """Options both tiers share: instances, network, health, updates and logs."""
    network = wiring.network
    return [
        option("aws:autoscaling:launchconfiguration", "IamInstanceProfile", profile_name),
        # Both force launch templates: accounts made after October 2024 cannot create launch configurations.
        option("aws:autoscaling:launchconfiguration", "DisableIMDSv1", "true"),
        option("aws:autoscaling:launchconfiguration", "RootVolumeType", "gp3"),
        option("aws:ec2:instances", "InstanceTypes", args.instance_type),
        option("aws:ec2:instances", "SupportedArchitectures", architecture(args.instance_type)),
        option("aws:autoscaling:asg", "MinSize", str(tier.min_size)),
        option("aws:autoscaling:asg", "MaxSize", str(tier.max_size)),
        option("aws:ec2:vpc", "VPCId", network.vpc_id),
        *_placement(args, network, group_id),
        option("aws:elasticbeanstalk:environment", "ServiceRole", wiring.service_role_arn),
        option("aws:elasticbeanstalk:healthreporting:system", "SystemType", "enhanced"),
        option("aws:elasticbeanstalk:healthreporting:system", "ConfigDocument", HEALTH_METRICS),
        option("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled", "true"),
        option("aws:elasticbeanstalk:managedactions", "PreferredStartTime", args.maintenance_window),
        # Without a role here managed updates have no one to run them as (the option's default is none). Our service
        # role carries AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy, and "the same role that you specified for
        # the ServiceRole option" is one of the two documented values ("General options for all environments",
        # aws:elasticbeanstalk:managedactions). The other, the account's AWSServiceRoleForElasticBeanstalkManagedUpdates
        # service-linked role, is one per account: naming our own role needs nothing outside this stack.
        option("aws:elasticbeanstalk:managedactions", "ServiceRoleForManagedUpdates", wiring.service_role_name),
        option("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel", "minor"),
        option("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs", "true"),
        option("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate", _flag(not args.protect)),
        option("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays", str(args.log_retention_days)),
        option("aws:elasticbeanstalk:cloudwatch:logs:health", "HealthStreamingEnabled", "true"),
        option("aws:elasticbeanstalk:cloudwatch:logs:health", "DeleteOnTerminate", _flag(not args.protect)),
        option("aws:elasticbeanstalk:cloudwatch:logs:health", "RetentionInDays", str(args.log_retention_days)),
        *_updates(tier),
    ]


def _properties(args: BeanstalkArgs, wiring: Wiring, **extra: pulumi.Input[str]) -> list[Setting]:
    """Environment variables the app reads (beanstalk/app/application.py)."""
    values: dict[str, pulumi.Input[str]] = {
        "UPLOADS_BUCKET": wiring.uploads_bucket,
        "JOBS_QUEUE_URL": wiring.queue_url,
        "SENDER_EMAIL": args.sender_email,
        "AWS_DEFAULT_REGION": wiring.region,
        **extra,
    }
    return [option(ENVIRONMENT_PROPERTIES, k, v) for k, v in values.items()]


def web_settings(
    args: BeanstalkArgs, wiring: Wiring, profile_name: pulumi.Input[str], entry: WebEntry
) -> list[Setting]:
    """The web tier: load balanced behind an ALB in the public subnets, instances in the private ones; or one
    instance at an Elastic IP in a public subnet (SingleInstance), which has no load balancer option at all. Users
    sign in."""
    settings = [
        *_instances(args, wiring, profile_name, args.web, wiring.web_group_id),
        option("aws:elasticbeanstalk:environment", "EnvironmentType", args.web.environment_type),
        # The API's default is a Classic Load Balancer; the type can only be chosen when the environment is created.
        option("aws:elasticbeanstalk:environment", "LoadBalancerType", "application"),
        option("aws:ec2:vpc", "ELBSubnets", pulumi.Output.all(*wiring.network.public_subnet_ids).apply(",".join)),
        option("aws:ec2:vpc", "ELBScheme", "public"),
        option("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath", HEALTH_PATH),
        option("aws:elasticbeanstalk:environment:process:default", "MatcherHTTPCode", "200"),
        # Our group instead of Beanstalk's: it admits only the allowed networks (PayrollEntry).
        *(
            option("aws:elbv2:loadbalancer", name, entry.security_group_id)
            for name in ("SecurityGroups", "ManagedSecurityGroup")
            if entry.security_group_id is not None
        ),
        *_properties(
            args,
            wiring,
            PAYROLL_TIER="web",
            JOB_TIMEOUT_SECONDS=str(WEB_JOB_TIMEOUT_S),
            GUNICORN_WORKERS=str(WEB_PROCESSES),
            MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
            PUBLIC_URL=entry.public_url,
            OIDC_ISSUER=entry.issuer,
            OIDC_CLIENT_ID=entry.client_id,
            SIGNIN_PARAMETER=entry.signin_secret,
        ),
    ]
    if entry.certificate_arn is not None:
        # Payroll data only over TLS: HTTPS on 443; the HTTP listener stays only to redirect (PayrollEntry's rule).
        settings += [
            option("aws:elbv2:listener:443", "ListenerEnabled", "true"),
            option("aws:elbv2:listener:443", "Protocol", "HTTPS"),
            option("aws:elbv2:listener:443", "SSLCertificateArns", entry.certificate_arn),
            option("aws:elbv2:listener:443", "SSLPolicy", TLS_POLICY),
        ]
    if _single(args.web):
        return [s for s in settings if not needs_a_load_balancer(str(s["namespace"]), str(s["name"]))]
    return settings


# The worker tier scales on its queue's backlog per instance (scaling.py). Elastic Beanstalk always creates its own
# trigger, two alarms with simple scaling policies on the group, by default on NetworkOut; left alone they would add
# and remove instances on network traffic against the backlog policy. No option removes them, so they measure
# something that can never cross either threshold: average CPU can be neither above 20000000 % (the largest
# UpperThreshold) nor below 0 % (aws:autoscaling:trigger, "General options for all environments").
INERT_TRIGGER: Mapping[str, str] = {
    "MeasureName": "CPUUtilization",
    "Statistic": "Average",
    "Unit": "Percent",
    "UpperThreshold": "20000000",
    "LowerThreshold": "0",
}


def worker_settings(args: BeanstalkArgs, wiring: Wiring, profile_name: pulumi.Input[str]) -> list[Setting]:
    """The worker tier: no load balancer, so no ELB option at all; sqsd reads our queue."""
    sqsd = "aws:elasticbeanstalk:sqsd"
    worker = args.worker
    return [
        *_instances(args, wiring, profile_name, worker, wiring.worker_group_id),
        *(option("aws:autoscaling:trigger", name, value) for name, value in INERT_TRIGGER.items()),
        option(sqsd, "WorkerQueueURL", wiring.queue_url),
        option(sqsd, "HttpPath", TASK_PATH),
        option(sqsd, "MimeType", "application/json"),
        option(sqsd, "HttpConnections", str(WORKER_PROCESSES)),
        # JOB_TIMEOUT_SECONDS < InactivityTimeout (<= 36000) < VisibilityTimeout (<= 43200), each 60 s apart
        # ("Elastic Beanstalk worker environments", aws:elasticbeanstalk:sqsd): the app stops a job before sqsd
        # stops waiting for it, and sqsd stops waiting before SQS gives the message to another worker.
        option(sqsd, "VisibilityTimeout", str(worker.visibility_timeout_s)),
        option(sqsd, "InactivityTimeout", str(worker.inactivity_timeout_s)),
        # A failed job waits a minute before its retry instead of sqsd's 2 s, so a brief outage is ridden out.
        option(sqsd, "ErrorVisibilityTimeout", "60"),
        option(sqsd, "RetentionPeriod", str(MESSAGE_RETENTION_S)),
        # MaxRetries equals the queue's maxReceiveCount (our own WorkerQueueURL: the redrive policy is ours), and the
        # app is told the same count so it recognises the last attempt and emails the uploader that it failed.
        option(sqsd, "MaxRetries", str(worker.max_receive_count)),
        *_properties(
            args,
            wiring,
            PAYROLL_TIER="worker",
            JOB_TIMEOUT_SECONDS=str(worker.job_timeout_s),
            GUNICORN_WORKERS=str(WORKER_PROCESSES),
            MAX_RECEIVE_COUNT=str(worker.max_receive_count),
        ),
    ]
