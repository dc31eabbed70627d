"""aws-compute-platform: read the stack's settings, build each enabled component, export what users need."""

import pulumi

from components.encryption import EncryptionKey
from components.network import Network
from components.serverless_api import ServerlessApi
from components.settings import load_settings
from components.tags import Tags

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

if settings.serverless.enabled:
    orders = ServerlessApi(f"{prefix}-orders", settings.serverless, key, tags)
    pulumi.export("ordersApiUrl", orders.api_url)
    pulumi.export("ordersTableName", orders.table_name)
    pulumi.export("ordersDocumentsBucket", orders.documents_bucket)
    pulumi.export("ordersUploadsBucket", orders.uploads_bucket)
    pulumi.export("ordersFailedEventsQueueUrl", orders.failed_events_queue_url)
