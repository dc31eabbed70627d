"""Server: one EC2 instance, set up the way the EC2 console's launch walkthrough sets it up, but safe by default.

Each console step is a setting of `ServerArgs`: image (trusted sources only, see `foundation/images.py`), instance
type, network (subnet tier and AZ), public address (none, auto-assigned or Elastic IP), shutdown behaviour,
termination protection, storage (encrypted with the given key), tags, a security group of its own, an optional
key pair, and an instance profile whose role lets Session Manager in (`identity.py`). The server goes into any
network with a VPC id and subnet ids (ours, or `ExistingNetwork`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from aws_compute_platform.config import ConfigError
from aws_compute_platform.foundation.images import resolve_image
from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.servers.address import public_address
from aws_compute_platform.servers.args import ServerArgs
from aws_compute_platform.servers.identity import ServerIdentity
from aws_compute_platform.servers.key_pair import server_key_pair
from aws_compute_platform.servers.security_group import server_security_group
from aws_compute_platform.servers.volumes import ebs_block_devices, root_block_device


class Server(pulumi.ComponentResource):
    """One EC2 instance with its own security group, encrypted volumes, IMDSv2 and, if asked, an Elastic IP."""

    def __init__(
        self,
        name: str,
        args: ServerArgs,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:Server", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zone = zone_index(args, network.availability_zones)
        subnets = network.public_subnet_ids if args.subnet == "public" else network.private_subnet_ids

        self.security_group = server_security_group(name, args.ports, vpc_id=network.vpc_id, tags=tags, opts=child)
        self.key_pair, key_name = server_key_pair(name, args.key_pair, tags=tags, opts=child)
        self.identity: ServerIdentity | None = None
        if args.instance_profile.enabled:
            self.identity = ServerIdentity(f"{name}-identity", args.instance_profile, tags=tags, opts=child)
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=resolve_image(args.image, args.architecture, pulumi.InvokeOutputOptions(parent=self)),
            instance_type=args.instance_type,
            subnet_id=subnets[zone],
            vpc_security_group_ids=[self.security_group.id],
            associate_public_ip_address=args.public_ip != "none",
            key_name=key_name,
            # Session Manager reaches the server through this role, without port 22.
            iam_instance_profile=self.identity.profile_name if self.identity is not None else None,
            instance_initiated_shutdown_behavior=args.shutdown_behavior,
            disable_api_termination=args.termination_protection,
            credit_specification=(
                aws.ec2.InstanceCreditSpecificationArgs(cpu_credits=args.cpu_credits) if args.cpu_credits else None
            ),
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=root_block_device(args.root_volume, key_arn),
            ebs_block_devices=ebs_block_devices(args.volumes, key_arn),
            user_data=args.user_data,
            tags=tagged(tags, name),
            # Applied by RunInstances to the root and every EBS device at creation, so volumes are never untagged;
            # per-device `tags` would be applied afterwards and conflict with this.
            volume_tags=tagged(tags, f"{name}-volume"),
            # The image is chosen at creation. A newer release of the same image must not silently replace the
            # server (and its disks): upgrade deliberately with `pulumi up --replace <instance urn>`.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]),
        )

        # Our Network exposes its internet gateway: an Elastic IP in a VPC needs the gateway attached first. An
        # existing network already has its gateway.
        gateway = getattr(network, "internet_gateway", None)
        address = public_address(
            name,
            args.public_ip,
            self.instance,
            tags=tags,
            parent=self,
            depends_on=[gateway] if isinstance(gateway, pulumi.Resource) else None,
        )
        self.elastic_ip = address.elastic_ip
        self.public_ip: pulumi.Output[str] = address.ip
        self.public_dns: pulumi.Output[str] = address.dns
        self.instance_id: pulumi.Output[str] = self.instance.id
        self.register_outputs(
            {"instanceId": self.instance_id, "publicIp": self.public_ip, "publicDns": self.public_dns}
        )

    def summary(self) -> pulumi.Output[dict[str, str]]:
        """What the stack exports for this server."""
        return pulumi.Output.all(self.instance_id, self.public_ip, self.public_dns).apply(
            lambda v: {"instanceId": v[0], "publicIp": v[1], "publicDns": v[2]}
        )


def zone_index(args: ServerArgs, zones: Sequence[str]) -> int:
    """The position of the server's zone among the network's zones (and so of its subnet in each tier)."""
    key = f"{ServerArgs.config_key}.availabilityZone"
    if isinstance(args.availability_zone, str):
        if args.availability_zone not in zones:
            raise ConfigError(
                key, f"server {args.name}: the network spans only {', '.join(zones)}", args.availability_zone
            )
        return list(zones).index(args.availability_zone)
    if not 0 <= args.availability_zone < len(zones):
        raise ConfigError(key, f"server {args.name}: must be 0..{len(zones) - 1}", args.availability_zone)
    return args.availability_zone


__all__ = ["Server", "zone_index"]
