"""aws-compute-platform: read the stack's settings, build each enabled component, export what users need."""

import pulumi

from components.encryption import EncryptionKey
from components.network import Network
from components.settings import load_settings
from components.tags import Tags
from components.wordpress_fleet import WordPressFleet

settings = load_settings()
tags = Tags(
    project=settings.project, environment=settings.stack, owner=settings.owner, cost_center=settings.cost_center
)
prefix = settings.name_prefix

key = EncryptionKey(prefix, settings.encryption, tags)
network = Network(prefix, settings.network, key, tags)

pulumi.export("region", settings.region)
pulumi.export("kmsKeyArn", key.arn)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)

if settings.wordpress.enabled:
    wordpress = WordPressFleet(f"{prefix}-wordpress", settings.wordpress, network=network, key=key, tags=tags)
    pulumi.export("wordpressSiteUrl", wordpress.site_url)
    pulumi.export("wordpressLoadBalancerDnsName", wordpress.load_balancer_dns_name)
    pulumi.export("wordpressAutoScalingGroupName", wordpress.autoscaling_group_name)
    pulumi.export("wordpressDatabaseEndpoint", wordpress.database_endpoint)
