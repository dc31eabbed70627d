"""ServerArgs: each step of the EC2 console's launch walkthrough as a typed, validated setting.

The same models read a `servers` entry of a stack file and a team's own Python; a bad value raises
`SettingsError` naming the key (`aws-compute-platform:servers[0].ports[1].cidrs[0]`), what was wrong and what is
allowed. Checks that need other parts of the stack (the allow-list of image owners, the network's zones, the
region) are in `stack_problems`, which the stack settings run.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from aws_compute_platform.args import ArgsModel, Flag
from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.images import (
    DEFAULT_TRUSTED_OWNERS,
    ImageSource,
    TrustedImageOwners,
    located,
    untrusted_image_problem,
)
from aws_compute_platform.foundation.instance_types import BURSTABLE, InstanceType, architecture, is_burstable

# Ports that hand out a shell: never open to the whole internet.
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
VOLUME_TYPES = ("gp3", "gp2", "io1", "io2", "st1", "sc1")
BOOT_VOLUME_TYPES = ("gp3", "gp2", "io1", "io2")
# EBS size limits in GiB per volume type (CreateVolume): throughput HDDs start at 125 GiB.
SIZE_LIMITS = {"gp3": (1, 16384), "gp2": (1, 16384), "io1": (4, 16384), "io2": (4, 65536), "st1": (125, 16384),
               "sc1": (125, 16384)}  # fmt: skip
USER_DATA_LIMIT = 16 * 1024  # bytes, before base64 (RunInstances UserData)
_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")
_DEVICE = re.compile(r"/dev/(sd|xvd)[f-p]")
_ZONE_NAME = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d[a-z]")
_HIDDEN: dict[str, str] = {}  # an error value that is not shown (a secret, or nothing worth repeating)


# -- ports ----------------------------------------------------------------------------------------------------------


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        raise ValueError(f"is not a valid CIDR block ({exc})") from None


Cidr = Annotated[str, AfterValidator(_cidr)]
"""An IPv4 or IPv6 CIDR block (203.0.113.0/24), normalised."""


def is_ipv6(cidr: str) -> bool:
    return ipaddress.ip_network(cidr).version == 6


class PortRule(ArgsModel):
    """One inbound port of the server's security group and the networks allowed to reach it."""

    config_key = "aws-compute-platform:servers[].ports[]"

    port: int = Field(ge=1, le=65535)
    """The port number."""
    protocol: Literal["tcp", "udp"] = "tcp"
    """tcp or udp."""
    cidrs: tuple[Cidr, ...] = Field((), validate_default=True)
    """The networks allowed to connect (for the whole internet: 0.0.0.0/0; never for SSH or RDP)."""

    @field_validator("cidrs")
    @classmethod
    def _some_networks(cls, cidrs: tuple[str, ...]) -> tuple[str, ...]:
        if not cidrs:
            raise located(
                "PortRule",
                ((), "must list the networks allowed to connect (for the whole internet: 0.0.0.0/0)", _HIDDEN),
            )
        return cidrs

    @model_validator(mode="after")
    def _no_shell_for_the_internet(self) -> PortRule:
        admin = ADMIN_PORTS.get(self.port) if self.protocol == "tcp" else None
        world = [(("cidrs", i), c) for i, c in enumerate(self.cidrs) if ipaddress.ip_network(c).prefixlen == 0]
        if admin and world:
            problem = f"must not open {admin} (port {self.port}) to the whole internet; name the admin networks instead"
            raise located("PortRule", *((loc, problem, cidr) for loc, cidr in world))
        return self


# -- volumes --------------------------------------------------------------------------------------------------------


class _Volume(ArgsModel):
    iops: int | None = Field(None, ge=100, le=256000)
    """Provisioned IOPS: required for io1 and io2, optional for gp3 (3000 without it)."""
    throughput: int | None = Field(None, ge=125, le=2000)
    """MiB/s, gp3 only (125 without it)."""

    def _volume_problems(self, volume_type: str, size_gb: int | None) -> list[tuple[tuple[str | int, ...], str, Any]]:
        found: list[tuple[tuple[str | int, ...], str, Any]] = []
        low, high = SIZE_LIMITS[volume_type]
        if size_gb is not None and not low <= size_gb <= high:
            found.append((("sizeGb",), f"must be at least {low} and at most {high} for {volume_type}", size_gb))
        if volume_type in ("io1", "io2") and self.iops is None:
            found.append((("iops",), f"is required for {volume_type} volumes (provisioned IOPS)", _HIDDEN))
        if self.iops is not None and volume_type not in ("io1", "io2", "gp3"):
            found.append((("iops",), f"applies only to gp3, io1 and io2 volumes, not {volume_type}", self.iops))
        if self.throughput is not None and volume_type != "gp3":
            found.append((("throughput",), f"applies only to gp3 volumes, not {volume_type}", self.throughput))
        return found


class RootVolumeArgs(_Volume):
    """The boot disk, encrypted with the stack's key."""

    config_key = "aws-compute-platform:servers[].rootVolume"

    type: Literal["gp3", "gp2", "io1", "io2"] = "gp3"
    """EBS volume type (boot volumes are SSD: gp3, gp2, io1 or io2)."""
    size_gb: int | None = None
    """Size in GiB; without it, the image's own size."""
    delete_on_termination: Flag = True
    """Delete the disk with the instance: it holds only the image (keep data on `volumes`)."""

    @model_validator(mode="after")
    def _fits_its_type(self) -> RootVolumeArgs:
        found = self._volume_problems(self.type, self.size_gb)
        if found:
            raise located("RootVolumeArgs", *found)
        return self


class VolumeArgs(_Volume):
    """An extra EBS data volume, attached at `device`, encrypted with the stack's key."""

    config_key = "aws-compute-platform:servers[].volumes[]"

    device: str
    """Device name /dev/sdf to /dev/sdp (or /dev/xvdf to /dev/xvdp)."""
    size_gb: int
    """Size in GiB (1-16384 for SSDs; st1 and sc1 start at 125; io2 goes to 65536)."""
    type: Literal["gp3", "gp2", "io1", "io2", "st1", "sc1"] = "gp3"
    """EBS volume type."""
    delete_on_termination: Flag = True
    """Delete the volume with the instance. In a server, defaults to false where the server is protected."""

    @field_validator("device")
    @classmethod
    def _device_name(cls, device: str) -> str:
        if not _DEVICE.fullmatch(device):
            raise ValueError("must be a device name /dev/sdf../dev/sdp (or /dev/xvdf../dev/xvdp)")
        return device

    @model_validator(mode="after")
    def _fits_its_type(self) -> VolumeArgs:
        found = self._volume_problems(self.type, self.size_gb)
        if found:
            raise located("VolumeArgs", *found)
        return self


# -- key pair -------------------------------------------------------------------------------------------------------


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


class KeyPairArgs(ArgsModel):
    """An existing key pair by name, or a public key to import; private keys are never generated or stored."""

    config_key = "aws-compute-platform:servers[].keyPair"

    name: str | None = None
    """An existing EC2 key pair's name."""
    public_key: str | None = None
    """An OpenSSH public key (ssh-ed25519, or ssh-rsa of 2048+ bits) to import as the server's key pair."""

    @model_validator(mode="before")
    @classmethod
    def _never_a_private_key(cls, raw: Any) -> Any:
        if isinstance(raw, Mapping) and _has(raw, "privateKey", "private_key"):
            # The value itself is not repeated in the error: it would end up in logs.
            problem = "private keys must never be in config or state; give publicKey instead"
            raise located("KeyPairArgs", (("privateKey",), problem, _HIDDEN))
        return raw

    @field_validator("name")
    @classmethod
    def _ascii_name(cls, name: str) -> str:
        if not re.fullmatch(r"[\x20-\x7e]{1,255}", name):
            raise ValueError("must be an ASCII key pair name (1-255 characters)")
        return name

    @field_validator("public_key")
    @classmethod
    def _importable(cls, public_key: str) -> str:
        problem = ssh_public_key_problem(public_key)
        if problem:
            shown = public_key[:40] + ("..." if len(public_key) > 40 else "")
            raise located("KeyPairArgs", ((), problem, shown))
        return public_key

    @model_validator(mode="after")
    def _exactly_one(self) -> KeyPairArgs:
        if bool(self.name) == bool(self.public_key):
            raise ValueError("must give exactly one of name (an existing key pair) or publicKey")
        return self


# -- instance profile -----------------------------------------------------------------------------------------------

# The AWS managed policy Session Manager needs on an instance (ssm, ssmmessages, ec2messages): a shell without port 22
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
SSM_MANAGED_INSTANCE_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
# IAM's quota "Managed policies attached to an IAM role" is 10 unless raised (IAM and AWS STS quotas).
MAX_MANAGED_POLICIES = 10
_POLICY_ARN = re.compile(r"arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}")
# AWS managed policies that hand a server (and whoever gets a shell on it) the account: never on a server's role.
_TOO_BROAD = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


class InstanceProfileArgs(ArgsModel):
    """The server's IAM role, through an instance profile: Session Manager only, unless more policies are named."""

    config_key = "aws-compute-platform:servers[].instanceProfile"

    enabled: Flag = True
    """Give the server a role (named under the project's prefix, with the stack's permissions boundary)."""
    managed_policy_arns: tuple[str, ...] = Field(
        (SSM_MANAGED_INSTANCE_CORE,), min_length=1, max_length=MAX_MANAGED_POLICIES
    )
    """Managed policies attached to the role; AmazonSSMManagedInstanceCore alone by default (Session Manager). Name
    it again when adding others, or Session Manager stops working."""

    @field_validator("managed_policy_arns")
    @classmethod
    def _policies(cls, arns: tuple[str, ...]) -> tuple[str, ...]:
        found: list[tuple[tuple[str | int, ...], str, Any]] = []
        for i, arn in enumerate(arns):
            if not _POLICY_ARN.fullmatch(arn):
                found.append(((i,), "must be a managed policy ARN such as " + SSM_MANAGED_INSTANCE_CORE, arn))
            elif arn.split("/")[-1] in _TOO_BROAD and ":iam::aws:" in arn:
                found.append(((i,), "must not give a server the whole account; name a narrower policy", arn))
            elif [a.split("/")[-1] for a in arns].index(arn.split("/")[-1]) != i:
                found.append(((i,), "is listed more than once (or another ARN names a policy of that name)", arn))
        if found:
            raise located("InstanceProfileArgs", *found)
        return arns

    @model_validator(mode="after")
    def _policies_only_when_enabled(self) -> InstanceProfileArgs:
        if not self.enabled and "managed_policy_arns" in self.model_fields_set:
            problem = "applies only with enabled: true (a server without a role has no policies)"
            raise located("InstanceProfileArgs", (("managedPolicyArns",), problem, _HIDDEN))
        return self


# -- the server -----------------------------------------------------------------------------------------------------


def _zone(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _ZONE_NAME.fullmatch(value):
        return value
    raise ValueError("must be an AZ index (0 is the network's first zone) or a zone name such as us-east-1a")


Zone = Annotated[
    int | str,
    PlainValidator(_zone),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": f"^{_ZONE_NAME.pattern}$"}]}
    ),
]


def _has(raw: Mapping[str, Any], alias: str, name: str) -> bool:
    return raw.get(alias) is not None or raw.get(name) is not None


def _get(raw: Mapping[str, Any], alias: str, name: str, default: Any = None) -> Any:
    return raw[alias] if raw.get(alias) is not None else raw.get(name, default)


class ServerArgs(ArgsModel):
    """One EC2 instance as the launch walkthrough sets it up: only name, image and instance type are required, and
    every default is the safe one (no open port, IMDSv2, encrypted disks, CPU credits capped)."""

    config_key = "aws-compute-platform:servers[]"

    name: str
    """Lower-case letters, digits and -; the server's resources are named `<project>-<stack>-<name>`."""
    instance_type: InstanceType
    """EC2 instance type such as t3.small; the image must match its architecture (t4g, m7g, ... are arm64)."""
    image: ImageSource
    """Where the image comes from: exactly one of ssmParameter, marketplace or ami with its owner."""
    public_ip: Literal["elastic", "auto", "none"] = "elastic"
    """elastic (a fixed address), auto (changes on stop/start) or none (reachable only inside the VPC)."""
    subnet: Literal["public", "private"] = "public"
    """The subnet tier; defaults to private when publicIp is none."""
    availability_zone: Zone = 0
    """An index into the network's zones (0 is the first) or a zone name of the stack's region (us-east-1a)."""
    shutdown_behavior: Literal["stop", "terminate"] = "stop"
    """What an OS shutdown does: stop (keep the disks) or terminate."""
    protect: Flag = False
    """Protect the server and its data. Defaults to the stack's protectData."""
    termination_protection: Flag = False
    """Refuse TerminateInstances until turned off (DisableApiTermination). Defaults to `protect`."""
    cpu_credits: Literal["standard", "unlimited"] | None = None
    """Burstable types only: standard (the default, caps cost) or unlimited (bills surplus CPU)."""
    key_pair: KeyPairArgs | None = None
    """SSH access: an existing key pair's name or a public key; none by default (use Session Manager)."""
    instance_profile: InstanceProfileArgs = Field(default_factory=InstanceProfileArgs)
    """The server's IAM role: AmazonSSMManagedInstanceCore alone by default, so Session Manager reaches it."""
    root_volume: RootVolumeArgs = Field(default_factory=RootVolumeArgs)
    """The boot disk."""
    volumes: tuple[VolumeArgs, ...] = ()
    """Extra EBS data volumes."""
    ports: tuple[PortRule, ...] = ()
    """Inbound ports of the server's own security group; nothing is open unless listed."""
    user_data: str | None = None
    """A launch script (at most 16 KB)."""

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_other_settings(cls, raw: Any) -> Any:
        """Defaults that follow other settings: the subnet from publicIp, protection and kept volumes from protect,
        standard CPU credits for burstable types."""
        if not isinstance(raw, Mapping):
            return raw
        merged = dict(raw)
        protect = _get(raw, "protect", "protect", False)
        if not isinstance(protect, bool):
            protect = False  # reported under protect itself
        if not _has(raw, "subnet", "subnet") and _get(raw, "publicIp", "public_ip") == "none":
            merged["subnet"] = "private"
        if not _has(raw, "terminationProtection", "termination_protection"):
            merged["terminationProtection"] = protect
        itype = _get(raw, "instanceType", "instance_type")
        if not _has(raw, "cpuCredits", "cpu_credits") and isinstance(itype, str) and is_burstable(itype):
            # T3 and T4g launch as `unlimited` by default, which bills surplus CPU; `standard` caps the cost.
            merged["cpuCredits"] = "standard"
        volumes = _get(raw, "volumes", "volumes")
        if protect and isinstance(volumes, list | tuple):
            # Data outlives a terminated instance where data is protected; the root disk holds only the image.
            merged["volumes"] = [_kept(v) for v in volumes]
        return merged

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError("must be lower-case letters, digits and - (starting with a letter, at most 31)")
        return name

    @field_validator("image")
    @classmethod
    def _image_matches_the_instance(cls, image: ImageSource, info: ValidationInfo) -> ImageSource:
        itype = info.data.get("instance_type")
        arch = image.architecture()
        if itype and arch not in (None, architecture(itype)):
            problem = f"is an {arch} image but {itype} is an {architecture(itype)} instance type"
            raise located("ServerArgs", ((), problem, image.ssm_parameter or _HIDDEN))
        return image

    @field_validator("subnet")
    @classmethod
    def _reachable(cls, subnet: str, info: ValidationInfo) -> str:
        public_ip = info.data.get("public_ip")
        if subnet == "private" and public_ip not in (None, "none"):
            raise ValueError(
                f"private subnets have no route from the internet, so publicIp {public_ip} would not be reachable; "
                "use subnet public, or publicIp none"
            )
        return subnet

    @field_validator("cpu_credits")
    @classmethod
    def _burstable_only(cls, credits: str | None, info: ValidationInfo) -> str | None:
        itype = info.data.get("instance_type")
        if credits is not None and itype and not is_burstable(itype):
            raise ValueError(f"applies only to burstable ({', '.join(BURSTABLE)}) types, not {itype}")
        return credits

    @field_validator("volumes")
    @classmethod
    def _devices_used_once(cls, volumes: tuple[VolumeArgs, ...]) -> tuple[VolumeArgs, ...]:
        devices = [v.device for v in volumes]
        duplicates = sorted({d for d in devices if devices.count(d) > 1})
        if duplicates:
            raise ValueError(f"device {', '.join(duplicates)} is used more than once")
        return volumes

    @field_validator("ports")
    @classmethod
    def _ports_listed_once(cls, ports: tuple[PortRule, ...]) -> tuple[PortRule, ...]:
        seen = [(p.port, p.protocol) for p in ports]
        duplicates = sorted({s for s in seen if seen.count(s) > 1})
        if duplicates:
            listed = ", ".join(f"{port}/{protocol}" for port, protocol in duplicates)
            raise ValueError(f"port {listed} is listed more than once (one rule per port lists all its networks)")
        return ports

    @field_validator("user_data")
    @classmethod
    def _fits(cls, user_data: str) -> str:
        size = len(user_data.encode())
        if size > USER_DATA_LIMIT:
            raise located("ServerArgs", ((), "must be at most 16 KB (the EC2 user data limit)", size))
        return user_data

    @property
    def architecture(self) -> str:
        return architecture(self.instance_type)


def _kept(volume: Any) -> Any:
    """A data volume of a protected server: kept when the instance is terminated, unless it says otherwise."""
    if isinstance(volume, VolumeArgs):
        if "delete_on_termination" in volume.model_fields_set:
            return volume
        return volume.model_copy(update={"delete_on_termination": False})
    if isinstance(volume, Mapping) and not _has(volume, "deleteOnTermination", "delete_on_termination"):
        return {**volume, "deleteOnTermination": False}
    return volume


# -- checks against the rest of the stack ---------------------------------------------------------------------------


def stack_problems(config: Mapping[str, Any], *, prefix: str, az_count: int, region: str) -> list[ConfigError]:
    """What the stack's other settings make wrong in its `servers`: duplicate names, zones the network does not
    span or that are not in the region, images from owners the stack does not trust.

    `config` is the project's raw configuration (without the `project:` prefix); servers that are invalid on their
    own were reported already and are skipped here.
    """
    raw = config.get("servers")
    if not isinstance(raw, list):
        return []
    key = f"{prefix}servers"
    found: list[ConfigError] = []
    names = [_get(item, "name", "name") for item in raw if isinstance(item, Mapping)]
    for duplicate in sorted({n for n in names if isinstance(n, str) and names.count(n) > 1}):
        found.append(ConfigError(key, f"server name {duplicate} is used more than once", duplicate))
    try:
        trusted: tuple[str, ...] | None = TypeAdapter(TrustedImageOwners).validate_python(
            config.get("trustedImageOwners", DEFAULT_TRUSTED_OWNERS)
        )
    except ValueError:
        trusted = None  # reported under trustedImageOwners itself
    for i, item in enumerate(raw):
        try:
            server = ServerArgs.from_config(item)
        except SettingsError:
            continue
        found.extend(_placement_problems(server, f"{key}[{i}]", az_count=az_count, region=region))
        untrusted = untrusted_image_problem(server.image, trusted) if trusted is not None else None
        if untrusted:
            found.append(ConfigError(f"{key}[{i}].image.{untrusted[0]}", untrusted[1]))
    return found


def _placement_problems(server: ServerArgs, key: str, *, az_count: int, region: str) -> list[ConfigError]:
    zone = server.availability_zone
    where = f"{key}.availabilityZone"
    if isinstance(zone, int) and zone >= az_count:
        problem = f"must be at least 0 and at most {az_count - 1} (network.azCount is {az_count})"
        return [ConfigError(where, problem, zone)]
    if isinstance(zone, str) and not re.fullmatch(re.escape(region) + r"[a-z]", zone):
        return [
            ConfigError(
                where, f"must be an AZ index 0..{az_count - 1} or a zone name of {region} such as {region}a", zone
            )
        ]
    return []


__all__ = [
    "ADMIN_PORTS",
    "SSM_MANAGED_INSTANCE_CORE",
    "InstanceProfileArgs",
    "KeyPairArgs",
    "PortRule",
    "RootVolumeArgs",
    "ServerArgs",
    "VolumeArgs",
    "is_ipv6",
    "ssh_public_key_problem",
    "stack_problems",
]
