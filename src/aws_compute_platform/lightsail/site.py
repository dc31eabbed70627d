"""LightsailSite: fixed-price Lightsail instances and managed databases for small sites.

Each instance gets a static IP (its default public address changes on every stop and start), the public ports
the stack file lists and nothing else, and daily automatic snapshots when data is protected. Each database gets
a generated master password that exists only as a secret, no public access unless asked for, and a final
snapshot on deletion when data is protected. Blueprint and bundle ids are checked against
`components/lightsail_catalog.py` before anything is created; an instance on a blueprint its publisher withdrew
(Bitnami's application blueprints) is built as asked but warned about on `pulumi preview` and `pulumi up`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from aws_compute_platform.config import Section, is_ipv6
from aws_compute_platform.foundation.tags import Tags
from aws_compute_platform.lightsail.catalog import (
    DATABASE_BLUEPRINTS,
    DATABASE_BUNDLES,
    INSTANCE_BLUEPRINTS,
    INSTANCE_BUNDLES,
    engine_of,
    withdrawal_notice,
)
from aws_compute_platform.lightsail.peering import DefaultVpcPeering

# `userDataFile` paths are relative to the project (where Pulumi.yaml is), whatever the working directory.
PROJECT_ROOT = Path.cwd()  # the Pulumi program's directory: the CLI runs the program there
WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"
SSH_PORT = 22
PROTOCOLS = ("tcp", "udp")
# The master password may hold any printable ASCII character except "/", '"' and "@" (CreateRelationalDatabase).
# RandomPassword's default special set includes "@", so the allowed ones are given explicitly.
SPECIAL_CHARACTERS = "!#$%&*()-_=+[]{}<>:?"
# MySQL takes 8-41 characters, PostgreSQL 8-128.
PASSWORD_LENGTH = 32
_NAME = r"[a-z][a-z0-9-]{0,30}[a-z0-9]"
_NAME_HELP = "2-32 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit"
# Both engines accept a letter followed by letters and digits; MySQL user names stop at 16 characters.
_DB_IDENTIFIER = r"[A-Za-z][A-Za-z0-9]{0,62}"
_DB_USER = r"[A-Za-z][A-Za-z0-9]{0,15}"
_BACKUP_WINDOW = r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d"
_MAINTENANCE_WINDOW = (
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d-(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d"
)


def _choices(ids: dict[str, Any]) -> str:
    return ", ".join(ids)


@dataclass(frozen=True)
class PortRule:
    """One public port range and who may reach it; IPv4 and IPv6 sources are kept apart as Lightsail wants."""

    from_port: int
    to_port: int
    protocol: str = "tcp"
    cidrs: tuple[str, ...] = (WORLD_IPV4,)
    ipv6_cidrs: tuple[str, ...] = (WORLD_IPV6,)

    @property
    def covers_ssh(self) -> bool:
        return self.protocol == "tcp" and self.from_port <= SSH_PORT <= self.to_port

    @property
    def world_open(self) -> bool:
        return WORLD_IPV4 in self.cidrs or WORLD_IPV6 in self.ipv6_cidrs


@dataclass(frozen=True)
class LightsailInstanceSpec:
    name: str
    blueprint: str
    bundle: str
    availability_zone: str
    ports: tuple[PortRule, ...]
    key_pair_name: str | None = None
    public_key: str | None = None
    user_data: str | None = None

    @property
    def monthly_usd(self) -> float:
        return INSTANCE_BUNDLES[self.bundle].monthly_usd


@dataclass(frozen=True)
class LightsailDatabaseSpec:
    name: str
    blueprint: str
    bundle: str
    availability_zone: str
    master_database_name: str
    master_username: str = "dbadmin"
    backup_retention: bool = True
    publicly_accessible: bool = False
    backup_window: str | None = None
    maintenance_window: str | None = None

    @property
    def monthly_usd(self) -> float:
        return DATABASE_BUNDLES[self.bundle].monthly_usd


@dataclass(frozen=True)
class LightsailArgs:
    region: str = "us-east-1"
    instances: tuple[LightsailInstanceSpec, ...] = ()
    databases: tuple[LightsailDatabaseSpec, ...] = ()
    protect: bool = False
    auto_snapshots: bool = False
    snapshot_time: str = "06:00"
    peer_with_default_vpc: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.instances or self.databases or self.peer_with_default_vpc)

    @property
    def monthly_usd(self) -> float:
        """The fixed part of the bill: every bundle's monthly price (transfer over the allowance is extra)."""
        return sum(i.monthly_usd for i in self.instances) + sum(d.monthly_usd for d in self.databases)

    @classmethod
    def from_config(cls, section: Section, *, protect: bool, region: str) -> LightsailArgs:
        zone_pattern = re.escape(region) + "[a-z]"
        default_zone = f"{region}a"
        instances = tuple(
            spec
            for spec in (_instance(s, zone_pattern, default_zone) for s in section.sections("instances"))
            if spec is not None
        )
        databases = tuple(
            spec
            for spec in (_database(s, zone_pattern, default_zone, protect) for s in section.sections("databases"))
            if spec is not None
        )
        for kind, names in (("instances", [i.name for i in instances]), ("databases", [d.name for d in databases])):
            for duplicate in sorted({n for n in names if names.count(n) > 1}):
                section.error(kind, "names must be unique within the list", duplicate)
        auto_snapshots = section.flag("autoSnapshots", protect)
        if protect and not auto_snapshots:
            section.error("autoSnapshots", "must stay true while protectData is true", auto_snapshots)
            auto_snapshots = True
        args = cls(
            region=region,
            instances=instances,
            databases=databases,
            protect=protect,
            auto_snapshots=auto_snapshots,
            snapshot_time=section.text(
                "snapshotTime", "06:00", pattern=r"([01]\d|2[0-3]):00", pattern_help="a whole UTC hour such as 06:00"
            ),
            peer_with_default_vpc=section.flag("peerWithDefaultVpc", False),
        )
        section.finish()
        return args


def _zone(section: Section, pattern: str, default: str) -> str:
    return section.text(
        "availabilityZone",
        default,
        pattern=pattern,
        pattern_help=f"an availability zone of the stack's region ({default}, ...)",
    )


def _instance(section: Section, zone_pattern: str, default_zone: str) -> LightsailInstanceSpec | None:
    name = section.text("name", required=True, pattern=_NAME, pattern_help=_NAME_HELP)
    blueprint = section.text("blueprint", required=True, choices=INSTANCE_BLUEPRINTS)
    bundle = section.text("bundle", required=True, choices=INSTANCE_BUNDLES)
    zone = _zone(section, zone_pattern, default_zone)
    key_pair_name = section.optional_text("keyPairName")
    public_key = section.optional_text(
        "publicKey",
        pattern=r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?",
        pattern_help="an OpenSSH public key line (ssh-ed25519 AAAA... comment)",
    )
    if key_pair_name and public_key:
        section.error("publicKey", "give either keyPairName (an existing key pair) or publicKey (to import), not both")
    user_data = section.optional_text("userData")
    user_data_file = section.optional_text(
        "userDataFile",
        pattern=r"[A-Za-z0-9_.][A-Za-z0-9_./-]*",
        pattern_help="a path relative to the project directory, such as scripts/boot.sh",
    )
    if user_data is not None and user_data_file is not None:
        section.error("userDataFile", "give either userData (the script itself) or userDataFile, not both")
    elif user_data_file:
        user_data = _read_launch_script(section, user_data_file)
    if not section.has("ports"):
        section.error("ports", "is required: list every public port (Lightsail's defaults open 22 to the world)")
    port_sections = section.sections("ports")
    if section.has("ports") and not port_sections and isinstance(section.raw.get("ports"), list):
        section.error("ports", "must list at least one port")
    ports = [rule for rule in (_port(p) for p in port_sections) if rule is not None]
    seen: set[tuple[str, int, int]] = set()
    for rule in ports:
        key = (rule.protocol, rule.from_port, rule.to_port)
        if key in seen:
            section.error("ports", "lists the same port twice", f"{rule.protocol}/{rule.from_port}-{rule.to_port}")
        seen.add(key)
    section.finish()
    if not (name and blueprint and bundle and zone):
        return None
    return LightsailInstanceSpec(
        name=name,
        blueprint=blueprint,
        bundle=bundle,
        availability_zone=zone,
        ports=tuple(ports),
        key_pair_name=key_pair_name,
        public_key=public_key,
        user_data=user_data,
    )


def _read_launch_script(section: Section, relative: str) -> str | None:
    """The launch script kept in the repository, so it is reviewed, tested and versioned with the stack."""
    path = (PROJECT_ROOT / relative).resolve()
    if not path.is_relative_to(PROJECT_ROOT):
        section.error("userDataFile", "must stay inside the project directory", relative)
        return None
    if not path.is_file():
        section.error("userDataFile", f"names no file (looked for {path})", relative)
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        section.error("userDataFile", "must be a UTF-8 text file (a shell script)", relative)
        return None


def _port(section: Section) -> PortRule | None:
    from_port = section.integer("port", 0, required=True, min=0, max=65535)
    to_port = section.integer("toPort", from_port, min=0, max=65535)
    protocol = section.text("protocol", "tcp", choices=PROTOCOLS)
    if to_port < from_port:
        section.error("toPort", f"must not be below port ({from_port})", to_port)
        return None
    sources = section.cidr_list("cidrs")
    given = section.has("cidrs")
    section.finish()
    rule = PortRule(from_port=from_port, to_port=to_port, protocol=protocol)
    if given:
        if not sources:
            section.error("cidrs", "must name at least one CIDR block; leave the key out to open the port to everyone")
            return None
        rule = PortRule(
            from_port=from_port,
            to_port=to_port,
            protocol=protocol,
            cidrs=tuple(c for c in sources if not is_ipv6(c)),
            ipv6_cidrs=tuple(c for c in sources if is_ipv6(c)),
        )
    if rule.covers_ssh and not given:
        section.error("cidrs", "is required for port 22: name the admin networks that may use SSH")
        return None
    if rule.covers_ssh and rule.world_open:
        section.error("cidrs", "must not open port 22 to the whole internet; name the admin networks instead", sources)
        return None
    return rule


def _database(section: Section, zone_pattern: str, default_zone: str, protect: bool) -> LightsailDatabaseSpec | None:
    name = section.text("name", required=True, pattern=_NAME, pattern_help=_NAME_HELP)
    blueprint = section.text("blueprint", required=True, choices=DATABASE_BLUEPRINTS)
    bundle = section.text("bundle", required=True, choices=DATABASE_BUNDLES)
    zone = _zone(section, zone_pattern, default_zone)
    default_db_name = re.sub(r"[^A-Za-z0-9]", "", name) or "app"
    master_database_name = section.text(
        "masterDatabaseName",
        default_db_name,
        pattern=_DB_IDENTIFIER,
        pattern_help="1-63 letters and digits, starting with a letter",
    )
    master_username = section.text(
        "masterUsername",
        "dbadmin",
        pattern=_DB_USER,
        pattern_help="1-16 letters and digits, starting with a letter",
    )
    backup_retention = section.flag("backupRetention", True)
    if protect and not backup_retention:
        section.error("backupRetention", "must stay true while protectData is true", backup_retention)
        backup_retention = True
    publicly_accessible = section.flag("publiclyAccessible", False)
    backup_window = section.optional_text(
        "backupWindow", pattern=_BACKUP_WINDOW, pattern_help="a UTC time range such as 16:00-16:30"
    )
    maintenance_window = section.optional_text(
        "maintenanceWindow", pattern=_MAINTENANCE_WINDOW, pattern_help="a UTC weekly range such as Tue:17:00-Tue:17:30"
    )
    section.finish()
    if not (name and blueprint and bundle and zone):
        return None
    if engine_of(blueprint) == "mysql" and len(master_database_name) > 64:
        section.error("masterDatabaseName", "must be at most 64 characters for MySQL", master_database_name)
    return LightsailDatabaseSpec(
        name=name,
        blueprint=blueprint,
        bundle=bundle,
        availability_zone=zone,
        master_database_name=master_database_name,
        master_username=master_username,
        backup_retention=backup_retention,
        publicly_accessible=publicly_accessible,
        backup_window=backup_window,
        maintenance_window=maintenance_window,
    )


def site_url(ip: str, ports: tuple[PortRule, ...]) -> str:
    """Where a browser finds the site: plain HTTP when port 80 is open (a fresh blueprint has no certificate)."""
    open_ports = {(p.from_port, p.to_port) for p in ports if p.protocol == "tcp"}
    if any(low <= 80 <= high for low, high in open_ports) or not any(low <= 443 <= high for low, high in open_ports):
        return f"http://{ip}/"
    return f"https://{ip}/"


class LightsailSite(pulumi.ComponentResource):
    """Lightsail instances with static IPs and explicit public ports, managed databases, optional VPC peering."""

    def __init__(
        self,
        name: str,
        args: LightsailArgs,
        tags: Tags,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:lightsail:LightsailSite", name, None, opts)
        self.static_ips: dict[str, pulumi.Output[str]] = {}
        self.urls: dict[str, pulumi.Output[str]] = {}
        self.endpoints: dict[str, pulumi.Output[str]] = {}

        for spec in args.instances:
            self._instance(name, spec, args, tags)
        for db in args.databases:
            self._database(name, db, args, tags)

        self.peering: DefaultVpcPeering | None = None
        if args.peer_with_default_vpc:
            self.peering = DefaultVpcPeering(
                f"{name}-default-vpc-peering", region=args.region, opts=pulumi.ResourceOptions(parent=self)
            )

        self.register_outputs(
            {
                "staticIps": self.static_ips,
                "urls": self.urls,
                "databaseEndpoints": self.endpoints,
                "monthlyUsd": args.monthly_usd,
            }
        )

    def _instance(self, name: str, spec: LightsailInstanceSpec, args: LightsailArgs, tags: Tags) -> None:
        child = pulumi.ResourceOptions(parent=self)
        base = f"{name}-{spec.name}"
        key_pair_name: pulumi.Input[str] | None = spec.key_pair_name
        if spec.public_key:
            # Only the public half is imported; a key pair Lightsail generated would put the private key in state.
            key_pair = aws.lightsail.KeyPair(base, public_key=spec.public_key, tags=tags(base), opts=child)
            key_pair_name = key_pair.name
        add_on = None
        if args.auto_snapshots:
            add_on = aws.lightsail.InstanceAddOnArgs(
                type="AutoSnapshot", snapshot_time=args.snapshot_time, status="Enabled"
            )
        instance = aws.lightsail.Instance(
            base,
            availability_zone=spec.availability_zone,
            blueprint_id=spec.blueprint,
            bundle_id=spec.bundle,
            key_pair_name=key_pair_name,
            user_data=spec.user_data,
            add_on=add_on,
            tags=tags(base, Bundle=spec.bundle),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # A withdrawn blueprint is still accepted (an account may still list it), but never silently.
        notice = withdrawal_notice(spec.blueprint)
        if notice is not None:
            pulumi.log.warn(f"Lightsail instance '{spec.name}': {notice}", resource=instance)
        # The default public address changes on every stop and start; a static IP is free while attached.
        static_ip = aws.lightsail.StaticIp(f"{base}-ip", opts=child)
        aws.lightsail.StaticIpAttachment(
            f"{base}-ip", static_ip_name=static_ip.name, instance_name=instance.name, opts=child
        )
        # PutInstancePublicPorts replaces every port of the instance, and a replacement created before the old one
        # is deleted ends with all ports closed (pulumi/pulumi-aws#1511): delete first.
        aws.lightsail.InstancePublicPorts(
            f"{base}-ports",
            instance_name=instance.name,
            port_infos=[
                aws.lightsail.InstancePublicPortsPortInfoArgs(
                    protocol=rule.protocol,
                    from_port=rule.from_port,
                    to_port=rule.to_port,
                    cidrs=list(rule.cidrs),
                    ipv6_cidrs=list(rule.ipv6_cidrs),
                )
                for rule in spec.ports
            ],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.static_ips[spec.name] = static_ip.ip_address
        self.urls[spec.name] = static_ip.ip_address.apply(lambda ip: site_url(ip, spec.ports))

    def _database(self, name: str, db: LightsailDatabaseSpec, args: LightsailArgs, tags: Tags) -> None:
        child = pulumi.ResourceOptions(parent=self)
        base = f"{name}-{db.name}"
        password = random.RandomPassword(
            f"{base}-master-password",
            length=PASSWORD_LENGTH,
            special=True,
            override_special=SPECIAL_CHARACTERS,
            min_lower=1,
            min_upper=1,
            min_numeric=1,
            opts=child,
        )
        database = aws.lightsail.Database(
            base,
            relational_database_name=base,
            availability_zone=db.availability_zone,
            blueprint_id=db.blueprint,
            bundle_id=db.bundle,
            master_database_name=db.master_database_name,
            master_username=db.master_username,
            master_password=password.result.apply(pulumi.Output.secret),
            backup_retention_enabled=db.backup_retention,
            preferred_backup_window=db.backup_window,
            preferred_maintenance_window=db.maintenance_window,
            publicly_accessible=db.publicly_accessible,
            skip_final_snapshot=not args.protect,
            final_snapshot_name=f"{base}-final" if args.protect else None,
            tags=tags(base, Bundle=db.bundle),
            # The name is fixed (Lightsail requires one), so a replacement cannot be created next to the old
            # database: delete first. With protectData the database is protected and is never replaced silently.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, delete_before_replace=True),
        )
        self.endpoints[db.name] = pulumi.Output.concat(
            database.master_endpoint_address, ":", database.master_endpoint_port.apply(str)
        )
