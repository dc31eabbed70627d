"""aws-compute-platform: read the stack's settings, build each enabled component, export what users need."""

import pulumi

from components.beanstalk import BeanstalkApp
from components.encryption import EncryptionKey
from components.network import Network
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

if settings.beanstalk.enabled:
    payroll = BeanstalkApp(f"{prefix}-payroll", settings.beanstalk, network, key, tags)
    pulumi.export("payrollUrl", payroll.url)
    pulumi.export("payrollVersion", payroll.version.name)
    pulumi.export("payrollQueueUrl", payroll.queue.url)
    pulumi.export("payrollDeadLetterQueueUrl", payroll.dead_letters.url)
    pulumi.export("payrollUploadsBucket", payroll.uploads.bucket)
