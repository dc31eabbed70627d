"""LightsailInstance: one instance, its static IP, exactly the public ports it lists, and an imported key pair.

With a hosted zone (`domain`), the instance also gets an A record `<name>.<zone>` pointing at its static IP (a
static IP is not an AWS resource Route 53 can alias), and a shipped launch script serves the site over HTTPS there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.lightsail.args import LightsailInstanceArgs, LightsailPortArgs
from aws_compute_platform.lightsail.catalog import withdrawal_notice
from aws_compute_platform.lightsail.launch_settings import launch_script

# How long resolvers may keep the address: short, because a new static IP (a replaced site) must be found quickly.
RECORD_TTL = 300


def site_url(ip: str, ports: Iterable[LightsailPortArgs]) -> str:
    """Where a browser finds the site: plain HTTP when port 80 is open (a fresh blueprint has no certificate)."""
    open_ports = {(p.from_port, p.last_port) for p in ports if p.protocol == "tcp"}
    if any(low <= 80 <= high for low, high in open_ports) or not any(low <= 443 <= high for low, high in open_ports):
        return f"http://{ip}/"
    return f"https://{ip}/"


class LightsailInstance(pulumi.ComponentResource):
    """An instance reachable only on the ports it lists, at a static IP that survives stop and start."""

    def __init__(
        self,
        name: str,
        args: LightsailInstanceArgs,
        *,
        availability_zone: pulumi.Input[str],
        snapshot_time: str | None,
        protect: bool,
        tags: Mapping[str, str],
        domain: Domain | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`snapshot_time` (a whole UTC hour) turns on daily automatic snapshots; None leaves them off. `domain` names
        the instance `<name>.<zone>` and gives a shipped launch script that name for its certificate."""
        super().__init__("acp:lightsail:LightsailInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key_pair_name: pulumi.Input[str] | None = args.key_pair_name
        if args.public_key:
            # Only the public half is imported; a key pair Lightsail generated would put the private key in state.
            key_pair = aws.lightsail.KeyPair(name, public_key=args.public_key, tags=tagged(tags, name), opts=child)
            key_pair_name = key_pair.name
        add_on = None
        if snapshot_time is not None:
            add_on = aws.lightsail.InstanceAddOnArgs(type="AutoSnapshot", snapshot_time=snapshot_time, status="Enabled")
        self.fqdn: str | None = domain.fqdn(args.name) if domain is not None else None
        self.instance = aws.lightsail.Instance(
            name,
            availability_zone=availability_zone,
            blueprint_id=args.blueprint,
            bundle_id=args.bundle,
            key_pair_name=key_pair_name,
            # Set explicitly: the port rules are validated for this address type (LightsailInstanceArgs.ports).
            ip_address_type=args.ip_address_type,
            user_data=launch_script(args, self.fqdn),
            add_on=add_on,
            tags=tagged(tags, name, Bundle=args.bundle),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        # A withdrawn blueprint is still accepted (an account may still list it), but never silently.
        notice = withdrawal_notice(args.blueprint)
        if notice is not None:
            pulumi.log.warn(f"Lightsail instance '{args.name}': {notice}", resource=self.instance)
        # The default public address changes on every stop and start; a static IP is free while attached.
        static_ip = aws.lightsail.StaticIp(f"{name}-ip", opts=child)
        # The attachment's delete is DetachStaticIp(staticIpName) alone, whatever instance holds the address
        # (terraform-provider-aws internal/service/lightsail/static_ip_attachment.go, resourceStaticIPAttachmentDelete).
        # Replaced create-first, the new attachment would move the address to the new instance and the old one's
        # delete would then detach it from there. Delete first. The instance's name is chosen by Pulumi, so a
        # replaced instance has a new name and its attachment (instance_name forces a new one) is replaced with it.
        self.static_ip_attachment = aws.lightsail.StaticIpAttachment(
            f"{name}-ip",
            static_ip_name=static_ip.name,
            instance_name=self.instance.name,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        # PutInstancePublicPorts replaces every port of the instance, and a replacement created before the old one
        # is deleted ends with all ports closed (pulumi/pulumi-aws#1511): delete first.
        aws.lightsail.InstancePublicPorts(
            f"{name}-ports",
            instance_name=self.instance.name,
            port_infos=[
                aws.lightsail.InstancePublicPortsPortInfoArgs(
                    protocol=rule.protocol,
                    from_port=rule.from_port,
                    to_port=rule.last_port,
                    cidrs=list(rule.ipv4_cidrs),
                    ipv6_cidrs=list(rule.ipv6_cidrs),
                )
                for rule in args.port_rules
            ],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        ports = args.port_rules
        self.static_ip: pulumi.Output[str] = static_ip.ip_address
        self.record: aws.route53.Record | None = None
        if domain is not None and self.fqdn is not None:
            self.record = aws.route53.Record(
                f"{name}-a",
                zone_id=domain.zone_id,
                name=self.fqdn,
                type="A",
                ttl=RECORD_TTL,
                records=[static_ip.ip_address],
                opts=child,
            )
            self.url: pulumi.Output[str] = pulumi.Output.from_input(f"https://{self.fqdn}/")
        else:
            self.url = static_ip.ip_address.apply(lambda ip: site_url(ip, ports))
        self.register_outputs({"staticIp": self.static_ip, "url": self.url})
