"""VolumeEncryptionByDefault: every new EBS volume of the account and region encrypted with the given key.

Elastic Beanstalk has no option to encrypt its instances' root volumes with a given key. EBS encryption by default
does it for every new volume in this account and region, Beanstalk's included, so it is account-wide and opt-in.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


class VolumeEncryptionByDefault(pulumi.ComponentResource):
    """The account's default EBS key set to `key_arn`, then encryption by default switched on.

    `resources` are what instances must wait for: one launched before would keep an unencrypted volume.
    """

    def __init__(self, name: str, *, key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acp:beanstalk:VolumeEncryptionByDefault", name, None, opts)
        default_key = aws.ebs.DefaultKmsKey(
            f"{name}-default-key", key_arn=key_arn, opts=pulumi.ResourceOptions(parent=self)
        )
        by_default = aws.ebs.EncryptionByDefault(
            f"{name}-encryption",
            enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[default_key]),
        )
        self.resources: list[pulumi.Resource] = [default_key, by_default]
        self.register_outputs({})
