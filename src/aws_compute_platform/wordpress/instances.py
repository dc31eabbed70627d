"""WebInstances: the WordPress servers, an Auto Scaling group over every AZ launched from a hardened template.

Amazon Linux 2023 from AWS's public SSM parameter (or the image pipeline's baked image: wordpress/image.py),
IMDSv2 only, an encrypted gp3 root volume, a role that may read the database secret and signal its own readiness,
and nothing else. A lifecycle hook keeps each new instance out of
the load balancer until its boot script says it is ready; a new launch template version rolls the group.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from aws_compute_platform.config import ConfigError
from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import asg_tags, tagged
from aws_compute_platform.wordpress.admin import AdminPassword
from aws_compute_platform.wordpress.args import WordPressArgs
from aws_compute_platform.wordpress.connections import Connections, security_group
from aws_compute_platform.wordpress.content import SharedContent
from aws_compute_platform.wordpress.database import Database, secret_read_statements
from aws_compute_platform.wordpress.iam import policy_document
from aws_compute_platform.wordpress.image import STOCK_PARAMETER, launch_image
from aws_compute_platform.wordpress.load_balancer import WEB_PORT, LoadBalancer
from aws_compute_platform.wordpress.user_data import LIFECYCLE_HOOK, BootSettings, cloud_config, compressed

AMI_PARAMETER = STOCK_PARAMETER
# Group metrics at one-minute granularity are free; they show capacity in the console.
GROUP_METRICS = ("GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTotalInstances")


class WebInstances(pulumi.ComponentResource):
    """The Auto Scaling group behind `load_balancer`, reading `database` and mounting `content` at boot."""

    def __init__(
        self,
        name: str,
        args: WordPressArgs,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        database: Database,
        content: SharedContent,
        load_balancer: LoadBalancer,
        site_url: pulumi.Input[str],
        admin_password: AdminPassword,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:WebInstances", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        _refuse_zones_without(args.instance_type, network.availability_zones)
        context = aws_context(self)
        # A fixed group name lets the instance role name the group before it exists (instances signal readiness).
        asg_name = f"{name}-web"

        self.security_group = security_group(
            name,
            "web-sg",
            "WordPress instances: HTTP from the load balancer only",
            vpc_id=network.vpc_id,
            tags=tags,
            parent=self,
        )
        self.connections = Connections(name, "web", self.security_group, port=WEB_PORT, tags=tags, parent=self)
        for i, cidr in enumerate(args.admin_cidrs):
            self.connections.allow_from_cidr(f"ssh-from-admin-{i}", 22, cidr)
        # Instances reach package repositories, wordpress.org, SSM and Secrets Manager over HTTPS only.
        self.connections.allow_to_cidr("web-to-https", 443, "0.0.0.0/0")

        role = aws.iam.Role(
            f"{name}-instance",
            assume_role_policy=policy_document(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            tags=tagged(tags, f"{name}-instance"),
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
                database.secret_arn,
                key_arn,
                context.partition,
                context.region,
                context.account_id,
                admin_password.secret_arn,
            ).apply(
                lambda a: _boot_policy(
                    secret_arn=a[0],
                    key_arn=a[1],
                    partition=a[2],
                    region=a[3],
                    account_id=a[4],
                    asg_name=asg_name,
                    admin_secret_arn=a[5],
                )
            ),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            f"{name}-instance", role=role.name, tags=tagged(tags, f"{name}-instance"), opts=child
        )

        user_data = pulumi.Output.all(
            context.region,
            database.address,
            database.secret_arn,
            content.file_system_id,
            site_url,
            admin_password.secret_arn,
        ).apply(
            lambda a: base64.b64encode(
                compressed(
                    cloud_config(
                        BootSettings(
                            region=a[0],
                            db_host=a[1],
                            db_secret_arn=a[2],
                            efs_id=a[3],
                            asg_name=asg_name,
                            wordpress_version=args.wordpress_version,
                            load_balancer_idle_timeout_s=args.load_balancer.idle_timeout_s,
                            image=args.image,
                            site_url=a[4].rstrip("/"),
                            site_title=args.site_title,
                            admin_user=args.admin_user,
                            admin_email=args.admin_email or "",
                            admin_secret_arn=a[5],
                        )
                    )
                )
            ).decode()
        )
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-web",
            description="WordPress instances: Amazon Linux 2023, IMDSv2 only, encrypted root volume",
            image_id=launch_image(args, self),
            instance_type=args.instance_type,
            key_name=args.key_name,
            iam_instance_profile={"arn": profile.arn},
            # Subnets hand out no public addresses: an instance gets one only where publicInstances asks for it
            # (it then reaches the internet without a NAT gateway; port 80 stays open only to the load balancer).
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "true" if args.public_instances else "false",
                    "security_groups": [self.security_group.id],
                    "delete_on_termination": "true",
                }
            ],
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
                        "kms_key_id": key_arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[
                {"resource_type": "instance", "tags": tagged(tags, f"{name}-web")},
                {"resource_type": "volume", "tags": tagged(tags, f"{name}-web")},
            ],
            tags=tagged(tags, f"{name}-web"),
            opts=child,
        )
        subnets = network.public_subnet_ids if args.public_instances else network.private_subnet_ids
        # A failed or slow boot is abandoned: Auto Scaling terminates the instance and launches another.
        launch_hook: dict[str, Any] = {
            "lifecycle_transition": "autoscaling:EC2_INSTANCE_LAUNCHING",
            "heartbeat_timeout": args.boot_timeout_s,
            "default_result": "ABANDON",
        }
        self.group = aws.autoscaling.Group(
            f"{name}-web",
            name=asg_name,
            vpc_zone_identifiers=list(subnets),
            min_size=args.min_size,
            max_size=args.max_size,
            desired_capacity=args.desired_capacity,
            launch_template={"id": self.launch_template.id, "version": self.launch_template.latest_version.apply(str)},
            target_group_arns=[load_balancer.target_group_arn],
            health_check_type="ELB",
            # The lifecycle hook holds an instance out of service until its boot is done; the grace period only
            # covers the load balancer's first checks after that.
            health_check_grace_period=args.health_check_grace_period_s,
            # The same hook as the LifecycleHook below, declared here only so it exists before the group's first
            # instances launch (see there); ignored after creation.
            initial_lifecycle_hooks=[{"name": LIFECYCLE_HOOK, **launch_hook}],
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
            tags=asg_tags(tags, f"{name}-web"),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The first boot reads the administrator's password: its version must exist before any instance.
                depends_on=[boot_policy, admin_password.version, *content.mount_targets],
                # Scaling policies own the desired capacity once the group exists; the LifecycleHook resource owns
                # the launch hook (a changed initial hook would replace the whole group).
                ignore_changes=["desired_capacity", "initial_lifecycle_hooks"],
            ),
        )
        # The launch hook as its own resource, so a changed bootTimeoutSeconds reaches the group: the provider applies
        # `initial_lifecycle_hooks` only when it creates the group, and since hashicorp/terraform-provider-aws#34260
        # replaces the group when they change. A LifecycleHook alone is created after the group, "and depending on
        # your capacity settings, after the initial instances have been launched" (pulumi-aws LifecycleHook docs,
        # which recommend `initial_lifecycle_hook` for hooks that must run on all instances; aws/aws-cdk#16356): so
        # the group also declares the same hook at creation. PutLifecycleHook creates or updates by name, so this
        # resource takes over the hook the group created, with the same values.
        aws.autoscaling.LifecycleHook(
            f"{name}-web-ready",
            name=LIFECYCLE_HOOK,
            autoscaling_group_name=self.group.name,
            **launch_hook,
            opts=child,
        )
        aws.autoscaling.Policy(
            f"{name}-scaling",
            autoscaling_group_name=self.group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration={
                "target_value": float(args.scaling_target),
                "predefined_metric_specification": {
                    "predefined_metric_type": args.scaling_metric_type,
                    "resource_label": load_balancer.request_count_label
                    if args.scaling_metric == "requestCount"
                    else None,
                },
            },
            opts=child,
        )
        self.group_name: pulumi.Output[str] = self.group.name
        self.register_outputs({"autoScalingGroupName": self.group_name})


def _refuse_zones_without(instance_type: str, zones: Sequence[str]) -> None:
    """Stop the preview when a zone of the network does not offer the instance type, naming the zone.

    Zone names map to different physical zones in each account, so whether us-east-1e offers a type can only be asked
    of EC2 in the account itself (DescribeInstanceTypeOfferings, location type availability-zone).
    """
    offered = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone",
        filters=[
            {"name": "instance-type", "values": [instance_type]},
            {"name": "location", "values": list(zones)},
        ],
    ).locations
    missing = [zone for zone in zones if zone not in offered]
    if missing:
        raise ConfigError(
            f"{WordPressArgs.config_key}.instanceType",
            f"{instance_type} is not offered in {', '.join(missing)} (the fleet spans {', '.join(zones)}); choose a "
            "type every zone offers (aws ec2 describe-instance-type-offerings --location-type availability-zone)",
            instance_type,
        )


def _boot_policy(
    *, secret_arn: str, key_arn: str, partition: str, region: str, account_id: str, asg_name: str, admin_secret_arn: str
) -> str:
    """The instances may read the database secret and the administrator's password (to install the site), decrypt
    them through Secrets Manager, and finish their own launch."""
    return policy_document(
        *secret_read_statements(secret_arn=secret_arn, key_arn=key_arn, region=region),
        {
            "Sid": "ReadTheAdminPassword",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": admin_secret_arn,
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
