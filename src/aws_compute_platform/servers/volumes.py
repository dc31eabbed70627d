"""The server's disks: the boot volume and the extra EBS volumes, all encrypted with the given KMS key.

They are declared on the instance (root_block_device, ebs_block_devices), so RunInstances creates, encrypts and
tags them together with the instance; no volume ever exists unencrypted or untagged.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from aws_compute_platform.servers.args import RootVolumeArgs, VolumeArgs


def root_block_device(volume: RootVolumeArgs, key_arn: pulumi.Input[str]) -> aws.ec2.InstanceRootBlockDeviceArgs:
    return aws.ec2.InstanceRootBlockDeviceArgs(
        volume_type=volume.type,
        volume_size=volume.size_gb,
        iops=volume.iops,
        throughput=volume.throughput,
        encrypted=True,
        kms_key_id=key_arn,
        delete_on_termination=volume.delete_on_termination,
    )


def ebs_block_devices(
    volumes: Sequence[VolumeArgs], key_arn: pulumi.Input[str]
) -> list[aws.ec2.InstanceEbsBlockDeviceArgs]:
    return [
        aws.ec2.InstanceEbsBlockDeviceArgs(
            device_name=volume.device,
            volume_type=volume.type,
            volume_size=volume.size_gb,
            iops=volume.iops,
            throughput=volume.throughput,
            encrypted=True,
            kms_key_id=key_arn,
            delete_on_termination=volume.delete_on_termination,
        )
        for volume in volumes
    ]
