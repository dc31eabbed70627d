"""Server: one EC2 instance, set up the way the EC2 console's launch walkthrough sets it up, but safe by default.

Each console step is a setting: image (trusted sources only, see `images.py`), instance type, network (subnet
tier and AZ), public address (none, auto-assigned or Elastic IP), shutdown behaviour, termination protection,
storage (encrypted with the stack's key), tags, a security group of its own and an optional key pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from aws_compute_platform.config import ConfigError, Section, is_ipv6
from aws_compute_platform.foundation.encryption import EncryptionKey
from aws_compute_platform.foundation.images import ImageSource, resolve_image
from aws_compute_platform.foundation.instance_types import architecture, instance_type
from aws_compute_platform.foundation.network import Network
from aws_compute_platform.foundation.tags import Tags

PUBLIC_IP_MODES = ("elastic", "auto", "none")
SHUTDOWN_BEHAVIOURS = ("stop", "terminate")
SUBNET_TIERS = ("public", "private")
VOLUME_TYPES = ("gp3", "gp2", "io1", "io2", "st1", "sc1")
BOOT_VOLUME_TYPES = ("gp3", "gp2", "io1", "io2")
CPU_CREDITS = ("standard", "unlimited")
# Ports that hand out a shell: never open to the whole internet.
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
# EBS size limits in GiB per volume type (CreateVolume): throughput HDDs start at 125 GiB.
_SIZE_LIMITS = {"gp3": (1, 16384), "gp2": (1, 16384), "io1": (4, 16384), "io2": (4, 65536), "st1": (125, 16384),
                "sc1": (125, 16384)}  # fmt: skip
_NAME = r"[a-z][a-z0-9-]{0,30}"
_DEVICE = r"/dev/(sd|xvd)[f-p]"


@dataclass(frozen=True)
class PortRule:
    port: int
    protocol: str
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class VolumeArgs:
    device: str | None
    size_gb: int | None
    type: str
    delete_on_termination: bool
    iops: int | None = None
    throughput: int | None = None


@dataclass(frozen=True)
class KeyPairArgs:
    """An existing key pair by name, or a public key to import; private keys are never generated or stored."""

    name: str | None = None
    public_key: str | None = None


@dataclass(frozen=True)
class ServerArgs:
    name: str
    image: ImageSource
    instance_type: str
    subnet: str = "public"
    availability_zone: int | str = 0
    public_ip: str = "elastic"
    shutdown_behavior: str = "stop"
    termination_protection: bool = False
    cpu_credits: str | None = "standard"
    key_pair: KeyPairArgs | None = None
    root_volume: VolumeArgs = VolumeArgs(None, None, "gp3", True)
    volumes: tuple[VolumeArgs, ...] = ()
    ports: tuple[PortRule, ...] = ()
    user_data: str | None = None
    config_key: str = "aws-compute-platform:servers"

    @property
    def architecture(self) -> str:
        return architecture(self.instance_type)

    @classmethod
    def from_config(
        cls, section: Section, *, trusted_owners: tuple[str, ...], protect: bool, az_count: int, region: str
    ) -> ServerArgs | None:
        name = section.text("name", required=True, pattern=_NAME, pattern_help="lower-case letters, digits and -")
        image = ImageSource.from_config(section.section("image", required=True), trusted_owners=trusted_owners)
        itype = instance_type(section, "instanceType", required=True)
        public_ip = section.text("publicIp", "elastic", choices=PUBLIC_IP_MODES)
        subnet = section.text("subnet", "private" if public_ip == "none" else "public", choices=SUBNET_TIERS)
        if subnet == "private" and public_ip != "none":
            section.error(
                "subnet",
                f"private subnets have no route from the internet, so publicIp {public_ip} would not be "
                "reachable; use subnet public, or publicIp none",
                subnet,
            )
        zone = _availability_zone(section, az_count, region)
        shutdown = section.text("shutdownBehavior", "stop", choices=SHUTDOWN_BEHAVIOURS)
        protection = section.flag("terminationProtection", protect)
        credits = _cpu_credits(section, itype)
        key_pair = _key_pair(section.section("keyPair")) if section.has("keyPair") else None
        root = _volume(section.section("rootVolume"), root=True, protect=protect)
        volumes = tuple(v for v in (_volume(s, root=False, protect=protect) for s in section.sections("volumes")) if v)
        devices = [v.device for v in volumes]
        for duplicate in sorted({d for d in devices if devices.count(d) > 1 and d}):
            section.error("volumes", f"device {duplicate} is used more than once", duplicate)
        ports = tuple(p for p in (_port(s) for s in section.sections("ports")) if p)
        seen = [(p.port, p.protocol) for p in ports]
        for port, protocol in sorted({s for s in seen if seen.count(s) > 1}):
            section.error("ports", f"port {port}/{protocol} is listed more than once", port)
        user_data = section.optional_text("userData")
        if user_data is not None and len(user_data.encode()) > 16 * 1024:
            section.error("userData", "must be at most 16 KB (the EC2 user data limit)", len(user_data.encode()))
        section.finish()
        if image is not None and image.architecture() not in (None, architecture(itype)) and itype:
            section.error(
                "image",
                f"is an {image.architecture()} image but {itype} is an {architecture(itype)} instance type",
                image.ssm_parameter,
            )
        if image is None or root is None or not name or not itype:
            return None
        return cls(
            name=name,
            image=image,
            instance_type=itype,
            subnet=subnet,
            availability_zone=zone,
            public_ip=public_ip,
            shutdown_behavior=shutdown,
            termination_protection=protection,
            cpu_credits=credits,
            key_pair=key_pair,
            root_volume=root,
            volumes=volumes,
            ports=ports,
            user_data=user_data,
            config_key=section.path,
        )


def servers_from_config(
    section: Section, name: str, *, trusted_owners: tuple[str, ...], protect: bool, az_count: int, region: str
) -> tuple[ServerArgs, ...]:
    """The stack's list of servers, each validated, names unique."""
    servers = [
        ServerArgs.from_config(s, trusted_owners=trusted_owners, protect=protect, az_count=az_count, region=region)
        for s in section.sections(name)
    ]
    found = [s for s in servers if s is not None]
    names = [s.name for s in found]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        section.error(name, f"server name {duplicate} is used more than once", duplicate)
    return tuple(found)


def _availability_zone(section: Section, az_count: int, region: str) -> int | str:
    raw = section.raw.get("availabilityZone")
    if isinstance(raw, str):
        return section.text(
            "availabilityZone",
            pattern=re.escape(region) + r"[a-z]",
            pattern_help=f"an AZ index 0..{az_count - 1} or a zone name of {region} such as {region}a",
        )
    return section.integer("availabilityZone", 0, min=0, max=max(az_count - 1, 0))


def _cpu_credits(section: Section, itype: str) -> str | None:
    burstable = itype.split(".", maxsplit=1)[0] in ("t3", "t3a", "t4g")
    if not burstable:
        if section.has("cpuCredits"):
            section.text("cpuCredits", choices=CPU_CREDITS)
            section.error("cpuCredits", f"applies only to burstable (t3, t3a, t4g) types, not {itype}", itype)
        return None
    # T3 and T4g launch as `unlimited` by default, which bills surplus CPU; `standard` caps the cost.
    return section.text("cpuCredits", "standard", choices=CPU_CREDITS)


def _key_pair(section: Section) -> KeyPairArgs | None:
    name = section.optional_text("name", pattern=r"[\x20-\x7e]{1,255}", pattern_help="an ASCII key pair name")
    public_key = section.optional_text("publicKey")
    if section.optional_text("privateKey") is not None:
        section.error("privateKey", "private keys must never be in config or state; give publicKey instead")
    section.finish()
    if bool(name) == bool(public_key):
        section.problems.add(section.path, "must give exactly one of name (an existing key pair) or publicKey")
        return None
    if public_key is not None:
        problem = ssh_public_key_problem(public_key)
        if problem:
            section.error("publicKey", problem, public_key[:40] + ("..." if len(public_key) > 40 else ""))
            return None
    return KeyPairArgs(name=name, public_key=public_key)


def ssh_public_key_problem(text: str) -> str | None:
    """Why `text` is not an OpenSSH public key EC2 can import (ssh-ed25519, or ssh-rsa of 2048+ bits), or None."""
    if "PRIVATE KEY" in text:
        return "is a private key: never put a private key in config; give the .pub file's single line instead"
    try:
        key = serialization.load_ssh_public_key(text.strip().encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"is not an OpenSSH public key such as 'ssh-ed25519 AAAA... comment' ({exc})"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return None
    if isinstance(key, rsa.RSAPublicKey):
        return None if key.key_size >= 2048 else f"is an RSA key of {key.key_size} bits; use at least 2048"
    return "is a key type EC2 cannot import; use ssh-ed25519 or ssh-rsa"


def _volume(section: Section, *, root: bool, protect: bool) -> VolumeArgs | None:
    device = None if root else section.text("device", required=True, pattern=_DEVICE, pattern_help="/dev/sdf../dev/sdp")
    vtype = section.text("type", "gp3", choices=BOOT_VOLUME_TYPES if root else VOLUME_TYPES)
    low, high = _SIZE_LIMITS.get(vtype, (1, 16384))
    # The root volume defaults to the image's own size; a data volume must say how big it is.
    size: int | None = None
    if section.has("sizeGb") or not root:
        size = section.integer("sizeGb", low, required=not root, min=low, max=high)
    iops: int | None = None
    if vtype in ("io1", "io2") or section.has("iops"):
        iops = section.integer("iops", 3000, required=vtype in ("io1", "io2"), min=100, max=256000)
        if vtype not in ("io1", "io2", "gp3"):
            section.error("iops", f"applies only to gp3, io1 and io2 volumes, not {vtype}", iops)
    throughput: int | None = None
    if section.has("throughput"):
        throughput = section.integer("throughput", 125, min=125, max=2000)
        if vtype != "gp3":
            section.error("throughput", f"applies only to gp3 volumes, not {vtype}", throughput)
    # Data outlives a terminated instance where data is protected; the root disk holds only the image.
    delete = section.flag("deleteOnTermination", True if root else not protect)
    section.finish()
    return VolumeArgs(device, size, vtype, delete, iops, throughput)


def _port(section: Section) -> PortRule | None:
    port = section.integer("port", 0, required=True, min=1, max=65535)
    protocol = section.text("protocol", "tcp", choices=("tcp", "udp"))
    admin = ADMIN_PORTS.get(port) if protocol == "tcp" else None
    cidrs = section.cidr_list("cidrs", allow_world=admin is None)
    if not section.has("cidrs") or not section.raw.get("cidrs"):
        section.error("cidrs", "must list the networks allowed to connect (for the whole internet: 0.0.0.0/0)")
    section.finish()
    if port == 0 or not cidrs:
        return None
    return PortRule(port, protocol, tuple(cidrs))


class Server(pulumi.ComponentResource):
    """One EC2 instance with its own security group, encrypted volumes, IMDSv2 and, if asked, an Elastic IP."""

    def __init__(
        self,
        name: str,
        args: ServerArgs,
        *,
        network: Network,
        key: EncryptionKey,
        tags: Tags,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:Server", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zone_index = _zone_index(args, network.availability_zones)
        subnets = network.public_subnets if args.subnet == "public" else network.private_subnets
        subnet = subnets[zone_index]

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=network.vpc_id,
            description=f"{name}: exactly the ports its configuration opens",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol=rule.protocol,
                    from_port=rule.port,
                    to_port=rule.port,
                    cidr_blocks=[c for c in rule.cidrs if not is_ipv6(c)] or None,
                    ipv6_cidr_blocks=[c for c in rule.cidrs if is_ipv6(c)] or None,
                    description=f"{rule.port}/{rule.protocol} from configured networks",
                )
                for rule in args.ports
            ],
            # Outbound is open so the server can fetch updates; inbound is what the configuration lists, nothing more.
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"], description="all outbound"
                )
            ],
            tags=tags(f"{name}-sg"),
            opts=child,
        )

        key_name: pulumi.Input[str] | None = None
        if args.key_pair is not None and args.key_pair.public_key:
            self.key_pair: aws.ec2.KeyPair | None = aws.ec2.KeyPair(
                f"{name}-key",
                public_key=args.key_pair.public_key,
                tags=tags(f"{name}-key"),
                opts=child,
            )
            key_name = self.key_pair.key_name
        else:
            self.key_pair = None
            key_name = args.key_pair.name if args.key_pair else None

        image_id = resolve_image(args.image, args.architecture, pulumi.InvokeOutputOptions(parent=self))
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            ami=image_id,
            instance_type=args.instance_type,
            subnet_id=subnet.id,
            vpc_security_group_ids=[self.security_group.id],
            associate_public_ip_address=args.public_ip != "none",
            key_name=key_name,
            instance_initiated_shutdown_behavior=args.shutdown_behavior,
            disable_api_termination=args.termination_protection,
            credit_specification=(
                aws.ec2.InstanceCreditSpecificationArgs(cpu_credits=args.cpu_credits) if args.cpu_credits else None
            ),
            metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                volume_type=args.root_volume.type,
                volume_size=args.root_volume.size_gb,
                iops=args.root_volume.iops,
                throughput=args.root_volume.throughput,
                encrypted=True,
                kms_key_id=key.arn,
                delete_on_termination=args.root_volume.delete_on_termination,
            ),
            ebs_block_devices=[
                aws.ec2.InstanceEbsBlockDeviceArgs(
                    device_name=v.device or "",
                    volume_type=v.type,
                    volume_size=v.size_gb,
                    iops=v.iops,
                    throughput=v.throughput,
                    encrypted=True,
                    kms_key_id=key.arn,
                    delete_on_termination=v.delete_on_termination,
                )
                for v in args.volumes
            ],
            user_data=args.user_data,
            tags=tags(name),
            # Applied by RunInstances to the root and every EBS device at creation, so volumes are never untagged;
            # per-device `tags` would be applied afterwards and conflict with this.
            volume_tags=tags(f"{name}-volume"),
            # The image is chosen at creation. A newer release of the same image must not silently replace the
            # server (and its disks): upgrade deliberately with `pulumi up --replace <instance urn>`.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["ami"]),
        )

        self.elastic_ip: aws.ec2.Eip | None = None
        if args.public_ip == "elastic":
            self.elastic_ip = aws.ec2.Eip(
                f"{name}-eip",
                domain="vpc",
                instance=self.instance.id,
                tags=tags(f"{name}-eip"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[network.internet_gateway]),
            )
            self.public_ip: pulumi.Output[str] = self.elastic_ip.public_ip
            self.public_dns: pulumi.Output[str] = self.elastic_ip.public_dns
        elif args.public_ip == "auto":
            self.public_ip = self.instance.public_ip
            self.public_dns = self.instance.public_dns
        else:
            self.public_ip = pulumi.Output.from_input("")
            self.public_dns = pulumi.Output.from_input("")

        self.instance_id: pulumi.Output[str] = self.instance.id
        self.register_outputs(
            {"instanceId": self.instance_id, "publicIp": self.public_ip, "publicDns": self.public_dns}
        )

    def summary(self) -> pulumi.Output[dict[str, str]]:
        """What the stack exports for this server."""
        return pulumi.Output.all(self.instance_id, self.public_ip, self.public_dns).apply(
            lambda v: {"instanceId": v[0], "publicIp": v[1], "publicDns": v[2]}
        )


def _zone_index(args: ServerArgs, zones: list[str]) -> int:
    key = f"{args.config_key}.availabilityZone"
    if isinstance(args.availability_zone, str):
        if args.availability_zone not in zones:
            raise ConfigError(
                key, f"server {args.name}: the stack spans only {', '.join(zones)}", args.availability_zone
            )
        return zones.index(args.availability_zone)
    if not 0 <= args.availability_zone < len(zones):
        raise ConfigError(key, f"server {args.name}: must be 0..{len(zones) - 1}", args.availability_zone)
    return args.availability_zone


__all__ = ["KeyPairArgs", "PortRule", "Server", "ServerArgs", "VolumeArgs", "servers_from_config"]
