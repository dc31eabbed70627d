"""WordPressFleet: highly available WordPress over several AZs behind an Application Load Balancer.

Instances run from a launch template in an Auto Scaling group spread over every AZ; `wp-content` and the shared
salts live on EFS; the database is RDS for MySQL with its master password managed by Secrets Manager. Instances read
that password at boot (and after each rotation) with their own role; it never appears in user data or state.
"""

from __future__ import annotations

import base64
import functools
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import yaml

from aws_compute_platform.config import Section
from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.encryption import EncryptionKey
from aws_compute_platform.foundation.instance_types import architecture, instance_type
from aws_compute_platform.foundation.network import Network
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import Tags

APP_DIR = Path(__file__).resolve().parent / "boot"
HEALTH_FILE = "healthz.html"
LIFECYCLE_HOOK = "wordpress-ready"
DATABASE_NAME = "wordpress"
# ELBSecurityPolicy-TLS13-1-2-2021-06 is the ELB console's recommended policy: TLS 1.3 and 1.2 with forward secrecy.
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
SCALING_METRICS = {"cpu": "ASGAverageCPUUtilization", "requestCount": "ALBRequestCountPerTarget"}
# Group metrics at one-minute granularity are free; they show capacity in the console.
GROUP_METRICS = ("GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTotalInstances")
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"


@dataclass(frozen=True)
class DatabaseArgs:
    instance_class: str = "db.t4g.micro"
    allocated_storage_gb: int = 20
    max_allocated_storage_gb: int = 100
    engine_version: str = "8.4"
    multi_az: bool = True
    backup_retention_days: int = 7
    deletion_protection: bool = False
    final_snapshot: bool = False

    @classmethod
    def from_config(cls, section: Section, *, protect: bool) -> DatabaseArgs:
        instance_class = section.text(
            "instanceClass",
            "db.t4g.micro",
            pattern=r"db\.[a-z0-9-]+\.[a-z0-9]+",
            pattern_help="an RDS instance class such as db.t4g.micro (db.<family>.<size>)",
        )
        allocated = section.integer("allocatedStorageGb", 20, min=20, max=65_536)
        args = cls(
            instance_class=instance_class,
            allocated_storage_gb=allocated,
            max_allocated_storage_gb=section.integer("maxAllocatedStorageGb", max(100, allocated), min=20, max=65_536),
            engine_version=section.text(
                "engineVersion", "8.4", pattern=r"8\.\d+(\.\d+)?", pattern_help="a MySQL 8 version such as 8.4"
            ),
            multi_az=section.flag("multiAz", True),
            backup_retention_days=section.integer("backupRetentionDays", 7, min=1, max=35),
            deletion_protection=section.flag("deletionProtection", protect),
            final_snapshot=section.flag("finalSnapshot", protect),
        )
        if args.max_allocated_storage_gb < args.allocated_storage_gb:
            section.error(
                "maxAllocatedStorageGb",
                f"must be at least allocatedStorageGb ({args.allocated_storage_gb})",
                args.max_allocated_storage_gb,
            )
        section.finish()
        return args


@dataclass(frozen=True)
class LoadBalancerArgs:
    deletion_protection: bool = False
    access_logs: bool = False
    drop_invalid_header_fields: bool = True
    idle_timeout_s: int = 60
    ssl_policy: str = DEFAULT_SSL_POLICY

    @classmethod
    def from_config(cls, section: Section, *, protect: bool) -> LoadBalancerArgs:
        args = cls(
            deletion_protection=section.flag("deletionProtection", protect),
            access_logs=section.flag("accessLogs", False),
            drop_invalid_header_fields=section.flag("dropInvalidHeaderFields", True),
            idle_timeout_s=section.integer("idleTimeoutSeconds", 60, min=1, max=4000),
            ssl_policy=section.text(
                "sslPolicy",
                DEFAULT_SSL_POLICY,
                pattern=r"ELBSecurityPolicy-[A-Za-z0-9-]+",
                pattern_help="an ELB security policy name such as " + DEFAULT_SSL_POLICY,
            ),
        )
        section.finish()
        return args


@dataclass(frozen=True)
class WordPressArgs:
    """The `wordpress` config section: sizes, access, and what protects the data (defaults follow `protectData`)."""

    enabled: bool = False
    instance_type: str = "t4g.small"
    min_size: int = 2
    max_size: int = 6
    desired_capacity: int = 2
    admin_cidrs: tuple[str, ...] = ()
    key_name: str | None = None
    certificate_arn: str | None = None
    public_instances: bool = False
    detailed_monitoring: bool = False
    root_volume_gb: int = 16
    health_check_grace_period_s: int = 60
    boot_timeout_s: int = 900
    scaling_metric: str = "cpu"
    scaling_target: int = 50
    wordpress_version: str = "7.0"
    content_backups: bool = False
    protect: bool = False
    log_retention_days: int = 30
    load_balancer: LoadBalancerArgs = field(default_factory=LoadBalancerArgs)
    database: DatabaseArgs = field(default_factory=DatabaseArgs)

    @classmethod
    def from_config(cls, section: Section, *, protect: bool, az_count: int, log_retention_days: int) -> WordPressArgs:
        enabled = section.flag("enabled", False)
        min_size = section.integer("minSize", 2, min=0, max=100)
        max_size = section.integer("maxSize", 6, min=1, max=100)
        desired = section.integer("desiredCapacity", min_size, min=0, max=100)
        if min_size > max_size:
            section.error("minSize", f"must not be larger than maxSize ({max_size})", min_size)
        elif not min_size <= desired <= max_size:
            section.error("desiredCapacity", f"must lie between minSize ({min_size}) and maxSize ({max_size})", desired)
        if enabled and az_count < 2:
            project = section.path.split(":", maxsplit=1)[0]
            section.problems.add(
                f"{project}:network.azCount",
                "must be at least 2 when wordpress is enabled (a load balancer and a Multi-AZ database need 2 AZs)",
                az_count,
            )
        certificate_arn = section.optional_text(
            "certificateArn",
            pattern=r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+",
            pattern_help="an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
        )
        args = cls(
            enabled=enabled,
            instance_type=instance_type(section, "instanceType", "t4g.small"),
            min_size=min_size,
            max_size=max_size,
            desired_capacity=desired,
            admin_cidrs=tuple(section.cidr_list("adminCidrs", [], allow_world=False)),
            key_name=section.optional_text("keyName"),
            certificate_arn=certificate_arn,
            public_instances=section.flag("publicInstances", False),
            detailed_monitoring=section.flag("detailedMonitoring", False),
            root_volume_gb=section.integer("rootVolumeGb", 16, min=8, max=1024),
            health_check_grace_period_s=section.integer("healthCheckGracePeriodSeconds", 60, min=0, max=7200),
            boot_timeout_s=section.integer("bootTimeoutSeconds", 900, min=300, max=7200),
            scaling_metric=section.text("scalingMetric", "cpu", choices=SCALING_METRICS),
            scaling_target=section.integer("scalingTarget", 50, min=1, max=100_000),
            wordpress_version=section.text(
                "wordpressVersion",
                "7.0",
                pattern=r"\d+\.\d+(\.\d+)?",
                pattern_help="a WordPress release such as 7.0 or 7.0.1 (pinned, so every instance runs the same code)",
            ),
            content_backups=section.flag("contentBackups", protect),
            protect=protect,
            log_retention_days=log_retention_days,
            load_balancer=LoadBalancerArgs.from_config(section.section("loadBalancer"), protect=protect),
            database=DatabaseArgs.from_config(section.section("database"), protect=protect),
        )
        if args.scaling_metric == "cpu" and args.scaling_target > 100:
            section.error(
                "scalingTarget", "must be a CPU percentage (1-100) when scalingMetric is cpu", args.scaling_target
            )
        section.finish()
        return args

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None


@dataclass(frozen=True)
class BootSettings:
    """What an instance needs to know at boot. Nothing here is secret: the password is fetched by ARN."""

    region: str
    db_host: str
    db_secret_arn: str
    efs_id: str
    asg_name: str
    wordpress_version: str
    db_name: str = DATABASE_NAME
    lifecycle_hook: str = LIFECYCLE_HOOK
    health_file: str = HEALTH_FILE


def cloud_config(boot: BootSettings) -> str:
    """The instance user data: a `#cloud-config` document that writes the files of `wordpress/boot/` and runs them."""
    env = {
        "AWS_REGION": boot.region,
        "WP_DB_HOST": boot.db_host,
        "WP_DB_NAME": boot.db_name,
        "WP_DB_SECRET_ARN": boot.db_secret_arn,
        "WP_EFS_ID": boot.efs_id,
        "WP_ASG_NAME": boot.asg_name,
        "WP_LIFECYCLE_HOOK": boot.lifecycle_hook,
        "WP_VERSION": boot.wordpress_version,
        "WP_HEALTH_FILE": boot.health_file,
    }
    files = [
        ("/etc/wordpress/boot.env", "0644", "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())),
        ("/usr/local/sbin/wordpress-boot", "0755", "boot.sh"),
        ("/usr/local/sbin/wordpress-db-credentials", "0755", "db-credentials.sh"),
        ("/etc/wordpress/wp-config.php", "0644", "wp-config.php"),
        ("/etc/httpd/conf.d/wordpress.conf", "0644", "wordpress.conf"),
        ("/etc/systemd/system/wordpress-db-credentials.service", "0644", "wordpress-db-credentials.service"),
        ("/etc/systemd/system/wordpress-db-credentials.timer", "0644", "wordpress-db-credentials.timer"),
    ]
    document = {
        "write_files": [
            {
                "path": path,
                "owner": "root:root",
                "permissions": mode,
                "content": source if "\n" in source else (APP_DIR / source).read_text(),
            }
            for path, mode, source in files
        ],
        "runcmd": [["/usr/local/sbin/wordpress-boot"]],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=10_000)


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class WordPressFleet(pulumi.ComponentResource):
    """ALB in every public subnet, an Auto Scaling group over every AZ, RDS MySQL and EFS for shared content."""

    def __init__(
        self,
        name: str,
        args: WordPressArgs,
        *,
        network: Network,
        key: EncryptionKey,
        tags: Tags,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:WordPressFleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        context = aws_context(self)

        # -- security groups: each tier accepts only the tier in front of it ----------------------------------
        def group(suffix: str, description: str) -> aws.ec2.SecurityGroup:
            return aws.ec2.SecurityGroup(
                f"{name}-{suffix}",
                description=description,
                vpc_id=network.vpc_id,
                tags=tags(f"{name}-{suffix}"),
                opts=child,
            )

        self.lb_group = group("alb-sg", "WordPress load balancer: HTTP and HTTPS from the internet")
        self.web_group = group("web-sg", "WordPress instances: HTTP from the load balancer only")
        self.db_group = group("db-sg", "WordPress database: MySQL from the instances only")
        self.efs_group = group("efs-sg", "WordPress content: NFS from the instances only")

        def tcp_rule(
            kind: type[aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule],
            rule: str,
            group: aws.ec2.SecurityGroup,
            port: int,
            **peer: pulumi.Input[str],
        ) -> None:
            kind(
                f"{name}-{rule}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=rule,
                tags=tags(f"{name}-{rule}"),
                opts=child,
                **peer,
            )

        ingress = functools.partial(tcp_rule, aws.vpc.SecurityGroupIngressRule)
        egress = functools.partial(tcp_rule, aws.vpc.SecurityGroupEgressRule)

        # 443 stays open without a certificate too, so adding one later changes only the listeners.
        ingress("http-from-internet", self.lb_group, 80, cidr_ipv4="0.0.0.0/0")
        ingress("https-from-internet", self.lb_group, 443, cidr_ipv4="0.0.0.0/0")
        egress("alb-to-web", self.lb_group, 80, referenced_security_group_id=self.web_group.id)
        ingress("web-from-alb", self.web_group, 80, referenced_security_group_id=self.lb_group.id)
        for i, cidr in enumerate(args.admin_cidrs):
            family = "cidr_ipv6" if ":" in cidr else "cidr_ipv4"
            ingress(f"ssh-from-admin-{i}", self.web_group, 22, **{family: cidr})
        # Instances reach package repositories, wordpress.org, SSM and Secrets Manager over HTTPS only.
        egress("web-to-https", self.web_group, 443, cidr_ipv4="0.0.0.0/0")
        egress("web-to-db", self.web_group, 3306, referenced_security_group_id=self.db_group.id)
        egress("web-to-efs", self.web_group, 2049, referenced_security_group_id=self.efs_group.id)
        ingress("db-from-web", self.db_group, 3306, referenced_security_group_id=self.web_group.id)
        ingress("efs-from-web", self.efs_group, 2049, referenced_security_group_id=self.web_group.id)

        # -- database -------------------------------------------------------------------------------------------
        data_protection = pulumi.ResourceOptions(parent=self, protect=args.protect)
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-db-subnets",
            subnet_ids=network.data_subnet_ids,
            description="WordPress database: the data subnets of every AZ",
            tags=tags(f"{name}-db-subnets"),
            opts=child,
        )
        db = args.database
        self.database = aws.rds.Instance(
            f"{name}-db",
            engine="mysql",
            engine_version=db.engine_version,
            # Past the end of standard support RDS bills Extended Support automatically; refuse it, upgrade instead.
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            auto_minor_version_upgrade=True,
            instance_class=db.instance_class,
            allocated_storage=db.allocated_storage_gb,
            max_allocated_storage=db.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=DATABASE_NAME,
            username="wpadmin",
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.db_group.id],
            publicly_accessible=False,
            multi_az=db.multi_az,
            backup_retention_period=db.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=db.deletion_protection,
            skip_final_snapshot=not db.final_snapshot,
            final_snapshot_identifier=f"{name}-db-final" if db.final_snapshot else None,
            tags=tags(f"{name}-db"),
            opts=data_protection,
        )
        self.db_secret_arn: pulumi.Output[str] = self.database.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else ""
        )

        # -- shared content -------------------------------------------------------------------------------------
        self.file_system = aws.efs.FileSystem(
            f"{name}-content",
            encrypted=True,
            kms_key_id=key.arn,
            # Bursting throughput runs out of credits on small file systems and stalls PHP; elastic does not.
            throughput_mode="elastic",
            lifecycle_policies=[
                {"transition_to_ia": "AFTER_30_DAYS"},
                {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
            ],
            tags=tags(f"{name}-content"),
            opts=data_protection,
        )
        aws.efs.BackupPolicy(
            f"{name}-content-backup",
            file_system_id=self.file_system.id,
            backup_policy={"status": "ENABLED" if args.content_backups else "DISABLED"},
            opts=child,
        )
        aws.efs.FileSystemPolicy(
            f"{name}-content-policy",
            file_system_id=self.file_system.id,
            policy=self.file_system.arn.apply(
                lambda arn: _policy(
                    {
                        "Sid": "MountThroughTheMountTargets",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": [
                            "elasticfilesystem:ClientMount",
                            "elasticfilesystem:ClientWrite",
                            "elasticfilesystem:ClientRootAccess",
                        ],
                        "Resource": arn,
                        "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
                    },
                    {
                        "Sid": "RefuseUnencryptedClients",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "*",
                        "Resource": arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                )
            ),
            opts=child,
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-content-mount-{i}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[self.efs_group.id],
                opts=child,
            )
            for i, subnet_id in enumerate(network.data_subnet_ids)
        ]

        # -- load balancer ----------------------------------------------------------------------------------------
        lb = args.load_balancer
        access_logs = self._access_log_bucket(name, args, tags, context.account_id) if lb.access_logs else None
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            # Load balancer and target group names are limited to 32 characters, too few for the stack's logical
            # names plus a random suffix; a short prefix keeps them unique, so a replacement never collides.
            name_prefix="wp-",
            load_balancer_type="application",
            internal=False,
            subnets=network.public_subnet_ids,
            security_groups=[self.lb_group.id],
            drop_invalid_header_fields=lb.drop_invalid_header_fields,
            enable_deletion_protection=lb.deletion_protection,
            idle_timeout=lb.idle_timeout_s,
            access_logs={"bucket": access_logs.bucket, "prefix": "alb", "enabled": True} if access_logs else None,
            tags=tags(f"{name}-alb"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_logs.policy] if access_logs else None),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-web",
            name_prefix="wp-",
            port=80,
            protocol="HTTP",
            target_type="instance",
            vpc_id=network.vpc_id,
            deregistration_delay=30,
            health_check={
                "enabled": True,
                "path": f"/{HEALTH_FILE}",
                "protocol": "HTTP",
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=tags(f"{name}-web"),
            opts=child,
        )
        forward = {"type": "forward", "target_group_arn": self.target_group.arn}
        if args.certificate_arn:
            aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=lb.ssl_policy,
                certificate_arn=args.certificate_arn,
                default_actions=[forward],
                tags=tags(f"{name}-https"),
                opts=child,
            )
            http_action: dict[str, object] = {
                "type": "redirect",
                "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
            }
        else:
            http_action = forward
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[http_action],
            tags=tags(f"{name}-http"),
            opts=child,
        )

        # -- instances --------------------------------------------------------------------------------------------
        # A fixed group name lets the instance role name the group before it exists (instances signal readiness).
        asg_name = f"{name}-web"
        role = aws.iam.Role(
            f"{name}-instance",
            assume_role_policy=_policy(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            tags=tags(f"{name}-instance"),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-instance-ssm",
            role=role.name,
            policy_arn=context.partition.apply(lambda p: f"arn:{p}:iam::aws:policy/AmazonSSMManagedInstanceCore"),
            opts=child,
        )
        boot_policy = aws.iam.RolePolicy(
            f"{name}-instance-boot",
            role=role.id,
            policy=pulumi.Output.all(
                self.db_secret_arn, key.arn, context.partition, context.region, context.account_id
            ).apply(
                lambda a: _instance_policy(
                    secret_arn=a[0], key_arn=a[1], partition=a[2], region=a[3], account_id=a[4], asg_name=asg_name
                )
            ),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(f"{name}-instance", role=role.name, tags=tags(f"{name}-instance"), opts=child)

        image = aws.ssm.get_parameter_output(
            name=AMI_PARAMETER.format(arch=architecture(args.instance_type)), opts=invoke
        )
        user_data = pulumi.Output.all(
            context.region, self.database.address, self.db_secret_arn, self.file_system.id
        ).apply(
            lambda a: base64.b64encode(
                cloud_config(
                    BootSettings(
                        region=a[0],
                        db_host=a[1],
                        db_secret_arn=a[2],
                        efs_id=a[3],
                        asg_name=asg_name,
                        wordpress_version=args.wordpress_version,
                    )
                ).encode()
            ).decode()
        )
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-web",
            description="WordPress instances: Amazon Linux 2023, IMDSv2 only, encrypted root volume",
            image_id=image.insecure_value,
            instance_type=args.instance_type,
            key_name=args.key_name,
            iam_instance_profile={"arn": profile.arn},
            vpc_security_group_ids=[self.web_group.id],
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                # 1 hop: only the instance itself, not containers on it, can reach the metadata service.
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            monitoring={"enabled": args.detailed_monitoring},
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_type": "gp3",
                        "volume_size": args.root_volume_gb,
                        "encrypted": "true",
                        "kms_key_id": key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[
                {"resource_type": "instance", "tags": tags(f"{name}-web")},
                {"resource_type": "volume", "tags": tags(f"{name}-web")},
            ],
            tags=tags(f"{name}-web"),
            opts=child,
        )
        subnets = network.public_subnet_ids if args.public_instances else network.private_subnet_ids
        self.group = aws.autoscaling.Group(
            f"{name}-web",
            name=asg_name,
            vpc_zone_identifiers=subnets,
            min_size=args.min_size,
            max_size=args.max_size,
            desired_capacity=args.desired_capacity,
            launch_template={"id": self.launch_template.id, "version": self.launch_template.latest_version.apply(str)},
            target_group_arns=[self.target_group.arn],
            health_check_type="ELB",
            # The lifecycle hook holds an instance out of service until its boot is done; the grace period only
            # covers the load balancer's first checks after that.
            health_check_grace_period=args.health_check_grace_period_s,
            initial_lifecycle_hooks=[
                {
                    "name": LIFECYCLE_HOOK,
                    "lifecycle_transition": "autoscaling:EC2_INSTANCE_LAUNCHING",
                    "heartbeat_timeout": args.boot_timeout_s,
                    "default_result": "ABANDON",
                }
            ],
            wait_for_capacity_timeout=f"{args.boot_timeout_s // 60 + 10}m",
            default_instance_warmup=args.health_check_grace_period_s,
            capacity_rebalance=True,
            enabled_metrics=list(GROUP_METRICS),
            instance_refresh={
                "strategy": "Rolling",
                # Launch before terminate: a refresh never takes capacity below the desired count. No auto
                # rollback: the provider saves the new launch template version on the group before it starts the
                # refresh, so a "rollback" would relaunch the failing version in a loop
                # (hashicorp/terraform-provider-aws#34189). A failed boot is abandoned and the refresh stops.
                "preferences": {
                    "min_healthy_percentage": 100,
                    "max_healthy_percentage": 200,
                    "skip_matching": True,
                },
            },
            tags=tags.as_asg_tags(f"{name}-web"),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[boot_policy, *self.mount_targets],
                # Scaling policies own the desired capacity once the group exists.
                ignore_changes=["desired_capacity"],
            ),
        )
        metric = SCALING_METRICS[args.scaling_metric]
        aws.autoscaling.Policy(
            f"{name}-scaling",
            autoscaling_group_name=self.group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration={
                "target_value": float(args.scaling_target),
                "predefined_metric_specification": {
                    "predefined_metric_type": metric,
                    "resource_label": pulumi.Output.concat(
                        self.load_balancer.arn_suffix, "/", self.target_group.arn_suffix
                    )
                    if args.scaling_metric == "requestCount"
                    else None,
                },
            },
            opts=child,
        )

        if not args.https:
            pulumi.log.warn(
                "the WordPress site is served over plain HTTP: logins and admin pages cross the internet unencrypted. "
                "Set wordpress.certificateArn to an ACM certificate for the site's domain.",
                resource=self,
            )
        scheme = "https" if args.https else "http"
        self.site_url: pulumi.Output[str] = self.load_balancer.dns_name.apply(lambda d: f"{scheme}://{d}/")
        self.load_balancer_dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.autoscaling_group_name: pulumi.Output[str] = self.group.name
        self.database_endpoint: pulumi.Output[str] = self.database.endpoint
        self.register_outputs(
            {
                "siteUrl": self.site_url,
                "loadBalancerDnsName": self.load_balancer_dns_name,
                "autoScalingGroupName": self.autoscaling_group_name,
                "databaseEndpoint": self.database_endpoint,
                "databaseSecretArn": self.db_secret_arn,
            }
        )

    def _access_log_bucket(
        self,
        name: str,
        args: WordPressArgs,
        tags: Tags,
        account_id: pulumi.Output[str],
    ) -> PrivateBucket:
        """A private, TLS-only bucket for the load balancer's access logs.

        ALB log delivery supports only SSE-S3 (AES256) buckets, not KMS keys, so this is the one bucket of the stack
        not encrypted with the stack key.
        """
        child = pulumi.ResourceOptions(parent=self)
        elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(parent=self))
        logs = PrivateBucket(
            f"{name}-alb-logs",
            key_arn=None,
            tags=tags,
            versioned=False,
            force_destroy=not args.protect,
            grants=lambda arn: pulumi.Output.all(arn, account_id, elb_account.arn).apply(
                lambda a: _log_delivery_statements(a[0], a[1], a[2])
            ),
            tls_statement_id="RefuseUnencryptedTransport",
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-alb-logs", bucket=logs.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-alb-logs",
            bucket=logs.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.log_retention_days},
                }
            ],
            opts=child,
        )
        return logs


def _log_delivery_statements(bucket_arn: str, account_id: str, elb_account_arn: str) -> list[dict[str, object]]:
    """ELB writes under alb/AWSLogs/<account>/: the regional ELB account (older regions) or the log-delivery service."""
    logs = f"{bucket_arn}/alb/AWSLogs/{account_id}/*"
    return [
        {
            "Sid": "ElbDeliversAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": elb_account_arn},
            "Action": "s3:PutObject",
            "Resource": logs,
        },
        {
            "Sid": "ElbLogDeliveryServiceDeliversAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": logs,
        },
    ]


def _instance_policy(
    *, secret_arn: str, key_arn: str, partition: str, region: str, account_id: str, asg_name: str
) -> str:
    """The instances may read the database secret, decrypt it through Secrets Manager, and finish their own launch."""
    return _policy(
        {
            "Sid": "ReadTheDatabaseSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": secret_arn,
        },
        {
            "Sid": "DecryptTheSecretThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        },
        {
            "Sid": "SignalReadiness",
            "Effect": "Allow",
            "Action": "autoscaling:CompleteLifecycleAction",
            "Resource": (
                f"arn:{partition}:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/{asg_name}"
            ),
        },
    )
