"""BeanstalkApp: the payroll application on Elastic Beanstalk, a web environment and an SQS worker environment.

The web tier (load balanced, ALB in the public subnets, instances in the private ones) stores an uploaded CSV in
the uploads bucket and queues a message; the worker tier's sqsd daemon reads OUR queue (with a dead-letter queue)
and POSTs each message to the app, which checks the file, writes a result and emails the uploader through SES.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from aws_compute_platform.config import Section
from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.encryption import EncryptionKey
from aws_compute_platform.foundation.instance_types import architecture, instance_type
from aws_compute_platform.foundation.network import Network
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import Tags

APP_DIR = Path(__file__).resolve().parent / "app"
TASK_PATH = "/tasks/payroll"
HEALTH_PATH = "/health"
# sqsd keeps a message this long (its RetentionPeriod) and the queue keeps it as long: four days, the SQS default.
MESSAGE_RETENTION_S = 345_600
DEAD_LETTER_RETENTION_S = 1_209_600  # 14 days, the SQS maximum: time to look at a file that kept failing
# nginx waits at most this long for the app (beanstalk/app/.platform/nginx/conf.d/payroll.conf).
NGINX_READ_TIMEOUT_S = 3600
# sqsd gives up on a request this long before the message's visibility timeout ends, so a job that ran to the
# limit is answered (and its message deleted) before SQS hands the message to another worker.
INACTIVITY_MARGIN_S = 60
WEB_JOB_TIMEOUT_S = 120
WORKER_PROCESSES = 2  # Gunicorn workers per worker instance; sqsd opens as many connections, no more
WEB_PROCESSES = 3
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # matches client_max_body_size in the nginx configuration
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# aws:elasticbeanstalk:cloudwatch:logs RetentionInDays accepts fewer values than CloudWatch Logs itself.
BEANSTALK_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]")
_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")

# Every option namespace and name the environments may set, as Elastic Beanstalk documents them in "General options
# for all environments" (awsdocs/aws-elastic-beanstalk-developer-guide doc_source/command-options-general.md and
# https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html). Beanstalk silently ignores
# an unknown option, which then shows as a diff on every `pulumi up`: a test holds both tiers to this list.
DOCUMENTED_OPTIONS: Mapping[str, frozenset[str]] = {
    "aws:autoscaling:asg": frozenset({"MinSize", "MaxSize", "Cooldown", "Availability Zones"}),
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
        }
    ),
    "aws:ec2:instances": frozenset({"InstanceTypes", "SupportedArchitectures", "EnableSpot"}),
    "aws:ec2:vpc": frozenset({"VPCId", "Subnets", "ELBSubnets", "ELBScheme", "AssociatePublicIpAddress"}),
    "aws:elasticbeanstalk:environment": frozenset({"EnvironmentType", "ServiceRole", "LoadBalancerType"}),
    "aws:elasticbeanstalk:environment:process:default": frozenset(
        {"HealthCheckPath", "MatcherHTTPCode", "Port", "Protocol", "DeregistrationDelay", "HealthCheckInterval"}
    ),
    "aws:elasticbeanstalk:healthreporting:system": frozenset({"SystemType"}),
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
}
# Environment properties: "any environment variable name" (same page, aws:elasticbeanstalk:application:environment).
ENVIRONMENT_PROPERTIES = "aws:elasticbeanstalk:application:environment"
# Options that exist only with a load balancer: a worker environment has none, and setting them fails its creation.
LOAD_BALANCER_OPTIONS = {
    ("aws:ec2:vpc", "ELBSubnets"),
    ("aws:ec2:vpc", "ELBScheme"),
    ("aws:elasticbeanstalk:environment", "LoadBalancerType"),
}


@dataclass(frozen=True)
class BeanstalkArgs:
    environment_prefix: str
    sender_email: str
    enabled: bool = False
    platform: str = r"^64bit Amazon Linux 2023 (.*) running Python 3.12$"
    instance_type: str = "t4g.small"
    web_min_size: int = 1
    web_max_size: int = 4
    worker_min_size: int = 1
    worker_max_size: int = 2
    visibility_timeout_s: int = 1800
    max_receive_count: int = 3
    keep_versions: int = 20
    uploads_expire_days: int = 30
    maintenance_window: str = "Sun:03:00"
    certificate_arn: str | None = None
    encrypt_volumes_by_default: bool = False
    log_retention_days: int = 30
    protect: bool = False

    @property
    def inactivity_timeout_s(self) -> int:
        return self.visibility_timeout_s - INACTIVITY_MARGIN_S

    @property
    def web_environment_name(self) -> str:
        return f"{self.environment_prefix}-web"

    @property
    def worker_environment_name(self) -> str:
        return f"{self.environment_prefix}-worker"

    @classmethod
    def from_config(
        cls,
        section: Section,
        *,
        name_prefix: str,
        protect: bool,
        log_retention_days: int,
        az_count: int,
        nat_gateways: str,
    ) -> BeanstalkArgs:
        enabled = section.flag("enabled", False)
        platform = section.text("platform", cls.platform)
        try:
            re.compile(platform)
        except re.error as exc:
            section.error("platform", f"is not a valid regular expression ({exc})", platform)
        web = section.section("web")
        worker = section.section("worker")
        sender = section.text("senderEmail", required=enabled)
        if sender and not _EMAIL.fullmatch(sender):
            section.error("senderEmail", "must be an email address such as payroll@example.com", sender)
        args = cls(
            environment_prefix=f"{name_prefix}-payroll",
            sender_email=sender,
            enabled=enabled,
            platform=platform,
            instance_type=instance_type(section, "instanceType", cls.instance_type),
            web_min_size=web.integer("minSize", 1, min=1, max=100),
            web_max_size=web.integer("maxSize", 4, min=1, max=100),
            worker_min_size=worker.integer("minSize", 1, min=1, max=100),
            worker_max_size=worker.integer("maxSize", 2, min=1, max=100),
            # sqsd's VisibilityTimeout (0-43200) must exceed its InactivityTimeout, and the app's nginx waits 3600 s.
            visibility_timeout_s=worker.integer(
                "visibilityTimeout", 1800, min=INACTIVITY_MARGIN_S + 60, max=NGINX_READ_TIMEOUT_S
            ),
            # sqsd MaxRetries accepts 1-100 and must equal the dead-letter queue's maxReceiveCount.
            max_receive_count=worker.integer("maxReceiveCount", 3, min=1, max=100),
            # Elastic Beanstalk keeps at most 1000 application versions per account.
            keep_versions=section.integer("keepVersions", 20, min=1, max=1000),
            uploads_expire_days=section.integer("uploadsExpireDays", 30, min=1, max=3650),
            maintenance_window=section.text(
                "maintenanceWindow",
                "Sun:03:00",
                pattern=rf"({'|'.join(_DAYS)}):([01]\d|2[0-3]):[0-5]\d",
                pattern_help="a UTC day and time such as Sun:03:00",
            ),
            certificate_arn=section.optional_text(
                "certificateArn",
                pattern=r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+",
                pattern_help="an ACM certificate ARN in the stack's region",
            ),
            encrypt_volumes_by_default=section.flag("encryptVolumesByDefault", False),
            log_retention_days=log_retention_days,
            protect=protect,
        )
        for tier, tier_section, low, high in (
            ("web", web, args.web_min_size, args.web_max_size),
            ("worker", worker, args.worker_min_size, args.worker_max_size),
        ):
            if low > high:
                tier_section.error("minSize", f"must not exceed {tier}.maxSize ({high})", low)
        web.finish()
        worker.finish()
        if enabled:
            for env_name in (args.web_environment_name, args.worker_environment_name):
                if not _ENV_NAME.fullmatch(env_name):
                    section.error(
                        "enabled",
                        f"the environment name {env_name!r} must be 4-40 letters, digits or dashes: shorten the "
                        "project or stack name",
                    )
            if log_retention_days not in BEANSTALK_LOG_RETENTION_DAYS:
                allowed = ", ".join(map(str, BEANSTALK_LOG_RETENTION_DAYS))
                section.error(
                    "enabled",
                    f"needs logRetentionDays to be one Elastic Beanstalk accepts ({allowed})",
                    log_retention_days,
                )
            if az_count < 2:
                section.error("enabled", "needs network.azCount >= 2: an Application Load Balancer spans two AZs")
            if nat_gateways == "none":
                section.error(
                    "enabled",
                    "needs network.natGateways single or perAz: instances in private subnets reach Elastic "
                    "Beanstalk, SQS and SES through NAT",
                )
        section.finish()
        return args


def source_files(root: Path = APP_DIR) -> list[Path]:
    """The files of the source bundle, in a stable order (no caches, no editor leftovers)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo") and p.name != ".DS_Store"
    )


def source_hash(root: Path = APP_DIR) -> str:
    """A hash of every bundled file's path and content: it changes exactly when the deployed code would."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(service: str, **condition: object) -> str:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return _policy(statement)


Setting = dict[str, pulumi.Input[str]]


def _option(namespace: str, name: str, value: pulumi.Input[str]) -> Setting:
    return {"namespace": namespace, "name": name, "value": value}


def _flag(value: bool) -> str:
    return "true" if value else "false"


class BeanstalkApp(pulumi.ComponentResource):
    """Payroll uploads on Elastic Beanstalk: web environment, worker environment, queue + DLQ, bucket, SES sender."""

    def __init__(
        self,
        name: str,
        args: BeanstalkArgs,
        network: Network,
        key: EncryptionKey,
        tags: Tags,
        *,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:BeanstalkApp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)

        # -- storage and messaging ---------------------------------------------------------------------------------
        self.uploads = PrivateBucket(
            f"{name}-uploads",
            key_arn=key.arn,
            tags=tags,
            versioned=True,
            force_destroy=not args.protect,
            protect=args.protect,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-uploads-lifecycle",
            bucket=self.uploads.id,
            rules=[
                {
                    "id": "expire-processed-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": "uploads/"},
                    "expiration": {"days": args.uploads_expire_days},
                },
                {
                    "id": "expire-delivery-markers",
                    "status": "Enabled",
                    "filter": {"prefix": "notices/"},
                    "expiration": {"days": args.uploads_expire_days},
                },
                {
                    # Versioning keeps overwritten or expired objects as noncurrent versions: drop those too, and
                    # the parts of uploads that never completed (a rejected file aborts its multipart upload).
                    "id": "expire-old-versions-and-abandoned-parts",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": args.uploads_expire_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            opts=child,
        )
        self.dead_letters = aws.sqs.Queue(
            f"{name}-jobs-dlq",
            message_retention_seconds=DEAD_LETTER_RETENTION_S,
            kms_master_key_id=key.arn,
            tags=tags(f"{name}-jobs-dlq"),
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-jobs",
            visibility_timeout_seconds=args.visibility_timeout_s,
            message_retention_seconds=MESSAGE_RETENTION_S,
            kms_master_key_id=key.arn,
            redrive_policy=self.dead_letters.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count})
            ),
            tags=tags(f"{name}-jobs"),
            opts=child,
        )
        self.sender = aws.sesv2.EmailIdentity(
            f"{name}-sender", email_identity=args.sender_email, tags=tags(f"{name}-sender"), opts=child
        )

        # -- application and its versions -------------------------------------------------------------------------
        # Elastic Beanstalk cannot read source bundles encrypted with a customer-managed KMS key, so the bundle
        # bucket uses S3-managed keys; it holds only code, never payroll data.
        self.versions = PrivateBucket(
            f"{name}-versions", key_arn=None, tags=tags, versioned=False, force_destroy=True, opts=child
        )
        self.service_role = aws.iam.Role(
            f"{name}-service",
            assume_role_policy=_trust(
                "elasticbeanstalk.amazonaws.com", StringEquals={"sts:ExternalId": "elasticbeanstalk"}
            ),
            tags=tags(f"{name}-service"),
            opts=child,
        )
        service_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-service-{short}",
                role=self.service_role.name,
                policy_arn=pulumi.Output.concat("arn:", context.partition, f":iam::aws:policy/{arn}"),
                opts=child,
            )
            for short, arn in (
                ("health", "service-role/AWSElasticBeanstalkEnhancedHealth"),
                ("updates", "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy"),
            )
        ]
        # The version lifecycle deletes the bundles of the versions it removes.
        service_policies.append(
            aws.iam.RolePolicy(
                f"{name}-service-bundles",
                role=self.service_role.id,
                policy=self.versions.arn.apply(
                    lambda arn: _policy({"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{arn}/*"})
                ),
                opts=child,
            )
        )
        self.application = aws.elasticbeanstalk.Application(
            name,
            description="Payroll uploads: web tier takes the CSV, worker tier checks it and emails the result",
            appversion_lifecycle={
                "service_role": self.service_role.arn,
                "max_count": args.keep_versions,
                "delete_source_from_s3": True,
            },
            tags=tags(name),
            opts=child,
        )
        digest = source_hash()
        label = f"payroll-{digest[:16]}"
        # Pulumi deletes the previous version once both environments run the new one. Keeping it instead would
        # make a revert to the same code fail: its label would already exist. Rolling back is reverting the code.
        bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle",
            bucket=self.versions.id,
            key=f"payroll/{label}.zip",
            source=pulumi.AssetArchive(
                {p.relative_to(APP_DIR).as_posix(): pulumi.FileAsset(str(p)) for p in source_files()}
            ),
            content_type="application/zip",
            tags=tags(label),
            opts=child,
        )
        self.version = aws.elasticbeanstalk.ApplicationVersion(
            f"{name}-version",
            application=self.application.name,
            name=label,
            bucket=self.versions.id,
            key=bundle.key,
            description=f"beanstalk/app sha256 {digest}",
            tags=tags(label),
            opts=child,
        )

        # -- instances: one role per tier, least privilege ------------------------------------------------------
        web_profile, web_policies = self._instance_profile(
            f"{name}-web",
            "AWSElasticBeanstalkWebTier",
            context.partition,
            tags,
            pulumi.Output.all(self.uploads.arn, self.queue.arn, key.arn).apply(
                lambda a: _policy(
                    {
                        "Sid": "StoreUploads",
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                        "Resource": f"{a[0]}/uploads/*",
                    },
                    {"Sid": "QueueJobs", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": a[1]},
                    {
                        "Sid": "UseTheStackKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": a[2],
                    },
                )
            ),
        )
        worker_profile, worker_policies = self._instance_profile(
            f"{name}-worker",
            "AWSElasticBeanstalkWorkerTier",
            context.partition,
            tags,
            pulumi.Output.all(
                self.uploads.arn, self.queue.arn, key.arn, context.partition, context.region, context.account_id
            ).apply(
                lambda a: _policy(
                    {
                        "Sid": "ReadUploadsAndResults",
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": [f"{a[0]}/uploads/*", f"{a[0]}/results/*", f"{a[0]}/notices/*"],
                    },
                    {
                        "Sid": "WriteResultsOnce",
                        "Effect": "Allow",
                        "Action": "s3:PutObject",
                        "Resource": [f"{a[0]}/results/*", f"{a[0]}/notices/*"],
                    },
                    # Without ListBucket a missing result reads as 403 instead of 404.
                    {"Sid": "TellMissingFromForbidden", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": a[0]},
                    {
                        "Sid": "ConsumeJobs",
                        "Effect": "Allow",
                        "Action": [
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:ChangeMessageVisibility",
                            "sqs:GetQueueAttributes",
                            "sqs:GetQueueUrl",
                        ],
                        "Resource": a[1],
                    },
                    {
                        "Sid": "UseTheStackKey",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": a[2],
                    },
                    # SES authorizes the sender and, in the sandbox, each recipient identity: any identity of this
                    # account and region, but only ever as our sender address.
                    {
                        "Sid": "EmailFromOurSender",
                        "Effect": "Allow",
                        "Action": "ses:SendEmail",
                        "Resource": f"arn:{a[3]}:ses:{a[4]}:{a[5]}:identity/*",
                        "Condition": {"StringEquals": {"ses:FromAddress": args.sender_email}},
                    },
                )
            ),
        )

        # -- volume encryption (account-wide, opt-in) -------------------------------------------------------------
        # Beanstalk has no option to encrypt root volumes with a given key. EBS encryption by default makes every
        # new volume in this account and region encrypted with the stack key, Beanstalk's included.
        encryption: list[pulumi.Resource] = []
        if args.encrypt_volumes_by_default:
            default_key = aws.ebs.DefaultKmsKey(f"{name}-ebs-default-key", key_arn=key.arn, opts=child)
            encryption = [
                default_key,
                aws.ebs.EncryptionByDefault(
                    f"{name}-ebs-encryption",
                    enabled=True,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[default_key]),
                ),
            ]

        # -- environments -------------------------------------------------------------------------------------------
        platform = aws.elasticbeanstalk.get_solution_stack_output(
            most_recent=True, name_regex=args.platform, opts=pulumi.InvokeOutputOptions(parent=self)
        ).name
        self.web_settings = web_settings(
            args,
            network=network,
            service_role=self.service_role,
            profile=web_profile,
            uploads=self.uploads,
            queue=self.queue,
            region=context.region,
        )
        self.worker_settings = worker_settings(
            args,
            network=network,
            service_role=self.service_role,
            profile=worker_profile,
            uploads=self.uploads,
            queue=self.queue,
            region=context.region,
        )

        def environment(
            suffix: str, env_name: str, tier: str, settings: list[Setting], policies: list[pulumi.Resource]
        ) -> aws.elasticbeanstalk.Environment:
            return aws.elasticbeanstalk.Environment(
                f"{name}-{suffix}",
                name=env_name,
                application=self.application.name,
                tier=tier,
                solution_stack_name=platform,
                version=self.version.name,
                settings=settings,
                tags=tags(env_name),
                # An explicit name is needed (autonaming would pass 40 characters); it forces delete-then-create.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[*service_policies, *encryption, *policies],
                    delete_before_replace=True,
                ),
            )

        self.web = environment("web", args.web_environment_name, "WebServer", self.web_settings, web_policies)
        self.worker = environment(
            "worker", args.worker_environment_name, "Worker", self.worker_settings, worker_policies
        )

        self.url: pulumi.Output[str] = self.web.cname.apply(
            lambda c: f"{'https' if args.certificate_arn else 'http'}://{c}"
        )
        self.register_outputs(
            {
                "url": self.url,
                "applicationName": self.application.name,
                "versionLabel": self.version.name,
                "webEnvironment": self.web.name,
                "workerEnvironment": self.worker.name,
                "queueUrl": self.queue.url,
                "deadLetterQueueUrl": self.dead_letters.url,
                "uploadsBucket": self.uploads.bucket,
            }
        )

    def _instance_profile(
        self,
        name: str,
        managed_policy: str,
        partition: pulumi.Output[str],
        tags: Tags,
        app_policy: pulumi.Output[str],
    ) -> tuple[aws.iam.InstanceProfile, list[pulumi.Resource]]:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(name, assume_role_policy=_trust("ec2.amazonaws.com"), tags=tags(name), opts=child)
        policies: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-tier",
                role=role.name,
                policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{managed_policy}"),
                opts=child,
            ),
            aws.iam.RolePolicy(f"{name}-app", role=role.id, policy=app_policy, opts=child),
        ]
        profile = aws.iam.InstanceProfile(name, role=role.name, tags=tags(name), opts=child)
        return profile, policies


def _instances(
    args: BeanstalkArgs,
    *,
    network: Network,
    service_role: aws.iam.Role,
    profile: aws.iam.InstanceProfile,
    min_size: int,
    max_size: int,
) -> list[Setting]:
    """Options both tiers share: instances, network, health, updates and logs."""
    return [
        _option("aws:autoscaling:launchconfiguration", "IamInstanceProfile", profile.name),
        # Both force launch templates: accounts made after October 2024 cannot create launch configurations.
        _option("aws:autoscaling:launchconfiguration", "DisableIMDSv1", "true"),
        _option("aws:autoscaling:launchconfiguration", "RootVolumeType", "gp3"),
        _option("aws:ec2:instances", "InstanceTypes", args.instance_type),
        _option("aws:ec2:instances", "SupportedArchitectures", architecture(args.instance_type)),
        _option("aws:autoscaling:asg", "MinSize", str(min_size)),
        _option("aws:autoscaling:asg", "MaxSize", str(max_size)),
        _option("aws:ec2:vpc", "VPCId", network.vpc_id),
        _option("aws:ec2:vpc", "Subnets", pulumi.Output.all(*network.private_subnet_ids).apply(",".join)),
        _option("aws:ec2:vpc", "AssociatePublicIpAddress", "false"),
        _option("aws:elasticbeanstalk:environment", "ServiceRole", service_role.arn),
        _option("aws:elasticbeanstalk:healthreporting:system", "SystemType", "enhanced"),
        _option("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled", "true"),
        _option("aws:elasticbeanstalk:managedactions", "PreferredStartTime", args.maintenance_window),
        _option("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel", "minor"),
        _option("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs", "true"),
        _option("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate", _flag(not args.protect)),
        _option("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays", str(args.log_retention_days)),
        _option("aws:elasticbeanstalk:cloudwatch:logs:health", "HealthStreamingEnabled", "true"),
        _option("aws:elasticbeanstalk:cloudwatch:logs:health", "DeleteOnTerminate", _flag(not args.protect)),
        _option("aws:elasticbeanstalk:cloudwatch:logs:health", "RetentionInDays", str(args.log_retention_days)),
        # Replace instances in batches so a bad version never takes the whole tier down at once.
        _option("aws:elasticbeanstalk:command", "DeploymentPolicy", "RollingWithAdditionalBatch"),
    ]


def _properties(
    args: BeanstalkArgs, uploads: PrivateBucket, queue: aws.sqs.Queue, region: pulumi.Input[str], **extra: str
) -> list[Setting]:
    values: dict[str, pulumi.Input[str]] = {
        "UPLOADS_BUCKET": uploads.bucket,
        "JOBS_QUEUE_URL": queue.url,
        "SENDER_EMAIL": args.sender_email,
        "AWS_DEFAULT_REGION": region,
        **extra,
    }
    return [_option(ENVIRONMENT_PROPERTIES, k, v) for k, v in values.items()]


def web_settings(
    args: BeanstalkArgs,
    *,
    network: Network,
    service_role: aws.iam.Role,
    profile: aws.iam.InstanceProfile,
    uploads: PrivateBucket,
    queue: aws.sqs.Queue,
    region: pulumi.Input[str],
) -> list[Setting]:
    """The web tier: load balanced behind an ALB in the public subnets, instances in the private ones."""
    settings = [
        *_instances(
            args,
            network=network,
            service_role=service_role,
            profile=profile,
            min_size=args.web_min_size,
            max_size=args.web_max_size,
        ),
        _option("aws:elasticbeanstalk:environment", "EnvironmentType", "LoadBalanced"),
        # The API's default is a Classic Load Balancer; the type can only be chosen when the environment is created.
        _option("aws:elasticbeanstalk:environment", "LoadBalancerType", "application"),
        _option("aws:ec2:vpc", "ELBSubnets", pulumi.Output.all(*network.public_subnet_ids).apply(",".join)),
        _option("aws:ec2:vpc", "ELBScheme", "public"),
        _option("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath", HEALTH_PATH),
        _option("aws:elasticbeanstalk:environment:process:default", "MatcherHTTPCode", "200"),
        *_properties(
            args,
            uploads,
            queue,
            region,
            JOB_TIMEOUT_SECONDS=str(WEB_JOB_TIMEOUT_S),
            GUNICORN_WORKERS=str(WEB_PROCESSES),
            MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
        ),
    ]
    if args.certificate_arn:
        # Payroll data only over TLS: HTTPS on 443, and the plain-HTTP listener switched off.
        settings += [
            _option("aws:elbv2:listener:443", "ListenerEnabled", "true"),
            _option("aws:elbv2:listener:443", "Protocol", "HTTPS"),
            _option("aws:elbv2:listener:443", "SSLCertificateArns", args.certificate_arn),
            _option("aws:elbv2:listener:443", "SSLPolicy", TLS_POLICY),
            _option("aws:elbv2:listener:default", "ListenerEnabled", "false"),
        ]
    return settings


def worker_settings(
    args: BeanstalkArgs,
    *,
    network: Network,
    service_role: aws.iam.Role,
    profile: aws.iam.InstanceProfile,
    uploads: PrivateBucket,
    queue: aws.sqs.Queue,
    region: pulumi.Input[str],
) -> list[Setting]:
    """The worker tier: no load balancer, so no ELB option at all; sqsd reads our queue."""
    sqsd = "aws:elasticbeanstalk:sqsd"
    return [
        *_instances(
            args,
            network=network,
            service_role=service_role,
            profile=profile,
            min_size=args.worker_min_size,
            max_size=args.worker_max_size,
        ),
        _option(sqsd, "WorkerQueueURL", queue.url),
        _option(sqsd, "HttpPath", TASK_PATH),
        _option(sqsd, "MimeType", "application/json"),
        _option(sqsd, "HttpConnections", str(WORKER_PROCESSES)),
        _option(sqsd, "VisibilityTimeout", str(args.visibility_timeout_s)),
        _option(sqsd, "InactivityTimeout", str(args.inactivity_timeout_s)),
        # A failed job waits a minute before its retry instead of sqsd's 2 s, so a brief outage is ridden out.
        _option(sqsd, "ErrorVisibilityTimeout", "60"),
        _option(sqsd, "RetentionPeriod", str(MESSAGE_RETENTION_S)),
        _option(sqsd, "MaxRetries", str(args.max_receive_count)),
        *_properties(
            args,
            uploads,
            queue,
            region,
            JOB_TIMEOUT_SECONDS=str(args.inactivity_timeout_s),
            GUNICORN_WORKERS=str(WORKER_PROCESSES),
        ),
    ]
