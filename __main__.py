"""aws-compute-platform: read the stack's settings, build each enabled component, export what users need."""

import pulumi
import pulumi_aws as aws

from aws_compute_platform.beanstalk.payroll import BeanstalkApp
from aws_compute_platform.foundation.boundary import boundary_arn, carry_permissions_boundary
from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.foundation.encryption import EncryptionKey
from aws_compute_platform.foundation.network import Network
from aws_compute_platform.foundation.tags import Tags, stack_tags
from aws_compute_platform.images.pipeline import ImagePipeline
from aws_compute_platform.lightsail.site import LightsailSite
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.dashboard import StackDashboard
from aws_compute_platform.operations.network import NetworkWatch
from aws_compute_platform.operations.orders import OrdersWatch
from aws_compute_platform.operations.payroll import PayrollWatch
from aws_compute_platform.operations.servers import ServerWatch
from aws_compute_platform.operations.watch import ComponentWatch
from aws_compute_platform.operations.wordpress import WordPressWatch
from aws_compute_platform.serverless.api import ServerlessApi
from aws_compute_platform.servers.server import Server
from aws_compute_platform.settings import load_settings
from aws_compute_platform.wordpress.fleet import WordPressFleet
from aws_compute_platform.wordpress.image import launches_after
from aws_compute_platform.wordpress.load_balancer import HEALTH_FILE

settings = load_settings()
tags = Tags(
    stack_tags(
        project=settings.project, environment=settings.stack, owner=settings.owner, cost_center=settings.cost_center
    )
)
prefix = settings.name_prefix
if settings.permissions_boundary:
    # Before any component: every role declared from here on carries the boundary the account bootstrap requires.
    carry_permissions_boundary(boundary_arn(settings.permissions_boundary))

key = EncryptionKey(prefix, settings.encryption, tags)
network = Network(prefix, settings.network, key.arn, tags)
# The hosted zone the web-facing parts take their names and certificates from, when the stack has one.
domain = Domain(prefix, settings.domain, tags=tags) if settings.domain else None

# Every alarm notifies this topic (encrypted with the stack key) when it goes off and when it recovers.
alerts = AlertTopic(f"{prefix}-alerts", emails=settings.alerts.emails, key_arn=key.arn, tags=tags)
watches: list[ComponentWatch] = [
    NetworkWatch(
        f"{prefix}-network",
        [nat.id for nat in network.nat_gateways],
        topic=alerts,
        tags=tags,
    )
]

pulumi.export("region", settings.region)
pulumi.export("kmsKeyArn", key.arn)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)

images = None
if settings.image_pipeline.enabled:
    # Bakes the release the fleet runs; the fleet boots from it when wordpress.image is baked (docs/images.md).
    images = ImagePipeline(
        f"{prefix}-images",
        settings.image_pipeline,
        wordpress_version=settings.wordpress.wordpress_version,
        health_file=HEALTH_FILE,
        network=network,
        key_arn=key.arn,
        tags=tags,
    )
if settings.wordpress.enabled:
    fleet_args, fleet_opts = settings.wordpress, None
    if fleet_args.image == "baked" and fleet_args.image_parameter is None and images is not None:
        # The launch template resolves the pipeline's parameter at every launch: it must exist first.
        fleet_args = fleet_args.model_copy(update={"image_parameter": images.parameter_name})
        fleet_opts = pulumi.ResourceOptions(transformations=[launches_after(images.parameter)])
    wordpress = WordPressFleet(
        f"{prefix}-wordpress", fleet_args, network=network, key_arn=key.arn, tags=tags, domain=domain, opts=fleet_opts
    )
    pulumi.export("wordpressSiteUrl", wordpress.site_url)
    if wordpress.distribution_domain_name is not None:
        pulumi.export("wordpressDistributionDomainName", wordpress.distribution_domain_name)
    # The secret's ARN only: `aws secretsmanager get-secret-value --secret-id <it>` reads the password (docs/edge.md).
    pulumi.export("wordpressAdminPasswordSecret", wordpress.admin_password_secret_arn)
    pulumi.export("wordpressLoadBalancerDnsName", wordpress.load_balancer_dns_name)
    pulumi.export("wordpressAutoScalingGroupName", wordpress.autoscaling_group_name)
    pulumi.export("wordpressDatabaseEndpoint", wordpress.database_endpoint)
    watches.append(
        WordPressWatch(
            f"{prefix}-wordpress",
            wordpress,
            settings.alerts.wordpress,
            topic=alerts,
            tags=tags,
            region=settings.region,
        )
    )
if settings.servers:
    servers = [Server(f"{prefix}-{s.name}", s, network=network, key_arn=key.arn, tags=tags) for s in settings.servers]
    pulumi.export("servers", {s.name: server.summary() for s, server in zip(settings.servers, servers, strict=True)})
    partition = aws.get_partition_output().partition
    watches += [
        ServerWatch(
            f"{prefix}-{s.name}",
            server,
            label=s.name,
            partition=partition,
            region=settings.region,
            topic=alerts,
            tags=tags,
        )
        for s, server in zip(settings.servers, servers, strict=True)
    ]
if settings.beanstalk.enabled:
    payroll = BeanstalkApp(
        f"{prefix}-payroll", settings.beanstalk, network=network, key_arn=key.arn, tags=tags, domain=domain
    )
    pulumi.export("payrollUrl", payroll.url)
    pulumi.export("payrollVersion", payroll.version.name)
    pulumi.export("payrollQueueUrl", payroll.queue.url)
    pulumi.export("payrollDeadLetterQueueUrl", payroll.dead_letters.url)
    pulumi.export("payrollUploadsBucket", payroll.uploads.bucket)
    watches.append(
        PayrollWatch(
            f"{prefix}-payroll",
            payroll,
            settings.beanstalk,
            topic=alerts,
            tags=tags,
        )
    )
if settings.serverless.enabled:
    # The approvers' own topic: reminders of pending orders, not alarms.
    approvers = AlertTopic(
        f"{prefix}-approvers",
        emails=settings.alerts.approver_emails,
        key_arn=key.arn,
        tags=tags,
        alarms_publish=False,
        display_name="Purchase orders",
    )
    orders = ServerlessApi(
        f"{prefix}-orders",
        settings.serverless,
        key_arn=key.arn,
        tags=tags,
        approvers_topic_arn=approvers.arn,
        domain=domain,
    )
    watches.append(
        OrdersWatch(
            f"{prefix}-orders",
            orders,
            settings.alerts.orders,
            topic=alerts,
            tags=tags,
        )
    )
    pulumi.export("ordersApiUrl", orders.api_url)
    pulumi.export("ordersTableName", orders.table_name)
    pulumi.export("ordersDocumentsBucket", orders.documents_bucket)
    pulumi.export("ordersUploadsBucket", orders.uploads_bucket)
    pulumi.export("ordersFailedEventsQueueUrl", orders.failed_events_queue_url)
if settings.lightsail.enabled:
    lightsail = LightsailSite(f"{prefix}-lightsail", settings.lightsail, tags=tags, domain=domain)
    pulumi.export("lightsailStaticIps", lightsail.static_ips)
    pulumi.export("lightsailUrls", lightsail.urls)
    pulumi.export("lightsailDatabaseEndpoints", lightsail.endpoints)

# One dashboard for the stack: a row per component that is watched.
dashboard = StackDashboard(prefix, watches, region=settings.region)
pulumi.export("dashboardUrl", dashboard.url)
