"""What a Lightsail site is made of: instances with their public ports, managed databases, snapshots, peering.

Every id is checked against the catalogue (`lightsail/catalog.py`) when the Args are built, because Lightsail refuses
an unknown one only at deploy time, after other resources were created. Port 22 must name the networks that may
use it and may never be open to the whole internet. A launch script comes from exactly one of `userData` (the
script itself), `userDataFile` (a file of the Pulumi project, relative to its directory) or `launchScript` (one
shipped with the library, such as `wordpress`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PrivateAttr,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from aws_compute_platform.args import ArgsModel, Flag, join_key
from aws_compute_platform.config import ConfigError
from aws_compute_platform.lightsail.catalog import (
    DATABASE_BLUEPRINTS,
    DATABASE_BUNDLES,
    INSTANCE_BLUEPRINTS,
    INSTANCE_BUNDLES,
)
from aws_compute_platform.lightsail.launch_scripts import shipped_launch_script, shipped_launch_scripts

KEY = "aws-compute-platform:lightsail"
WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"
SSH_PORT = 22
MAX_PORT = 65535


# -- reusable checks --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Matching:
    """A string that must match `pattern` whole, refused as "must be <description>"; the schema carries the pattern."""

    pattern: str
    description: str

    def _check(self, value: str) -> str:
        if not re.fullmatch(self.pattern, value):
            raise ValueError(f"must be {self.description}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "pattern": f"^(?:{self.pattern})$"}


@dataclass(frozen=True)
class _OneOf:
    """A string that must be one of `ids` (a catalogue's keys), refused listing every one; the schema lists them."""

    ids: tuple[str, ...]

    def _check(self, value: str) -> str:
        if value not in self.ids:
            raise ValueError(f"must be one of: {', '.join(self.ids)}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {**handler(schema), "enum": list(self.ids)}


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        raise ValueError(f"is not a valid CIDR block ({exc})") from None


# An error about a key that is absent has no value to show: like pydantic's own "missing" errors, its input is the
# (here empty) object the key is missing from, which the error report leaves out.
_ABSENT: Mapping[str, Any] = MappingProxyType({})

Problem = tuple[tuple[str | int, ...], str, Any]


def _refuse(model: str, found: Sequence[Problem]) -> None:
    """Raise every problem at once, each at its own location below the field or model being validated."""
    if found:
        raise ValidationError.from_exception_data(
            model,
            [
                InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)
                for loc, message, value in found
            ],
        )


_NAME = r"[a-z][a-z0-9-]{0,30}[a-z0-9]"
Name = Annotated[
    str,
    _Matching(
        _NAME, "2-32 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit"
    ),
]
_ZONE = r"[a-z]{2}(-gov)?-[a-z]+-\d+[a-z]"
Zone = Annotated[str, _Matching(_ZONE, "an availability zone such as us-east-1a")]
Cidr = Annotated[str, AfterValidator(_cidr)]
Port = Annotated[StrictInt, Field(ge=0, le=MAX_PORT)]
PublicKey = Annotated[
    str,
    _Matching(
        r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?",
        "an OpenSSH public key line (ssh-ed25519 AAAA... comment)",
    ),
]
ProjectPath = Annotated[
    str,
    _Matching(r"[A-Za-z0-9_.][A-Za-z0-9_./-]*", "a path relative to the project directory, such as scripts/boot.sh"),
]
LaunchScriptName = Annotated[str, Field(json_schema_extra={"enum": shipped_launch_scripts()})]
# Both engines accept a letter followed by letters and digits: up to 63 for PostgreSQL, 64 for MySQL, so 63 suits
# both (CreateRelationalDatabase, masterDatabaseName). MySQL user names stop at 16 characters.
DatabaseIdentifier = Annotated[
    str, _Matching(r"[A-Za-z][A-Za-z0-9]{0,62}", "1-63 letters and digits, starting with a letter")
]
DatabaseUser = Annotated[
    str, _Matching(r"[A-Za-z][A-Za-z0-9]{0,15}", "1-16 letters and digits, starting with a letter")
]
_HOUR = r"([01]\d|2[0-3])"
_DAY = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
BackupWindow = Annotated[str, _Matching(rf"{_HOUR}:[0-5]\d-{_HOUR}:[0-5]\d", "a UTC time range such as 16:00-16:30")]
MaintenanceWindow = Annotated[
    str,
    _Matching(rf"{_DAY}:{_HOUR}:[0-5]\d-{_DAY}:{_HOUR}:[0-5]\d", "a UTC weekly range such as Tue:17:00-Tue:17:30"),
]
SnapshotHour = Annotated[str, _Matching(rf"{_HOUR}:00", "a whole UTC hour such as 06:00")]


def _read_project_file(relative: str) -> str:
    """A launch script kept in the Pulumi project (the working directory), so it is reviewed and versioned with it."""
    root = Path.cwd()
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError("must stay inside the project directory")
    if not path.is_file():
        raise ValueError(f"names no file (looked for {path})")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError("must be a UTF-8 text file (a shell script)") from None


# -- ports --------------------------------------------------------------------------------------------------------


class LightsailPortArgs(ArgsModel):
    """One public port range of an instance and who may reach it."""

    config_key = f"{KEY}.instances[].ports[]"

    port: Port
    """The first (or only) port of the range."""
    to_port: Port | None = None
    """The last port of the range; defaults to `port`."""
    protocol: Literal["tcp", "udp"] = "tcp"
    """The transport protocol."""
    cidrs: tuple[Cidr, ...] | None = Field(None, validate_default=True)
    """IPv4 and IPv6 networks that may connect; leave it out to open the port to everyone. A range holding port 22
    (tcp) must name its admin networks and may not include 0.0.0.0/0 or ::/0. On a dualstack instance, name networks
    of both families (an IPv4-only list would leave IPv6 open to everyone)."""

    @field_validator("to_port")
    @classmethod
    def _not_below_port(cls, to_port: int | None, info: ValidationInfo) -> int | None:
        port = info.data.get("port")
        if to_port is not None and port is not None and to_port < port:
            raise ValueError(f"must not be below port ({port})")
        return to_port

    @field_validator("cidrs")
    @classmethod
    def _sources(cls, cidrs: tuple[str, ...] | None, info: ValidationInfo) -> tuple[str, ...] | None:
        if cidrs is not None and not cidrs:
            raise ValueError("must name at least one CIDR block; leave the key out to open the port to everyone")
        if not {"port", "to_port", "protocol"} <= info.data.keys():
            return cidrs  # reported under its own key; the range is not known
        first, last = info.data["port"], info.data["to_port"]
        last = first if last is None else last
        if info.data["protocol"] != "tcp" or not first <= SSH_PORT <= last:
            return cidrs
        if cidrs is None:
            _refuse(cls.__name__, [((), "is required for port 22: name the admin networks that may use SSH", _ABSENT)])
        elif WORLD_IPV4 in cidrs or WORLD_IPV6 in cidrs:
            raise ValueError("must not open port 22 to the whole internet; name the admin networks instead")
        return cidrs

    @property
    def from_port(self) -> int:
        return self.port

    @property
    def last_port(self) -> int:
        return self.port if self.to_port is None else self.to_port

    @property
    def ipv4_cidrs(self) -> tuple[str, ...]:
        """Lightsail keeps IPv4 and IPv6 sources in separate lists."""
        if self.cidrs is None:
            return (WORLD_IPV4,)
        return tuple(c for c in self.cidrs if ipaddress.ip_network(c).version == 4)

    @property
    def ipv6_cidrs(self) -> tuple[str, ...]:
        if self.cidrs is None:
            return (WORLD_IPV6,)
        return tuple(c for c in self.cidrs if ipaddress.ip_network(c).version == 6)

    @property
    def families(self) -> set[int]:
        """The IP versions the rule names sources for (both when it is open to everyone)."""
        if self.cidrs is None:
            return {4, 6}
        return {ipaddress.ip_network(c).version for c in self.cidrs}

    @property
    def covers_ssh(self) -> bool:
        return self.protocol == "tcp" and self.from_port <= SSH_PORT <= self.last_port

    @property
    def world_open(self) -> bool:
        return WORLD_IPV4 in self.ipv4_cidrs or WORLD_IPV6 in self.ipv6_cidrs

    @property
    def label(self) -> str:
        return f"{self.protocol}/{self.from_port}-{self.last_port}"


# -- instances ----------------------------------------------------------------------------------------------------


def _family_problems(ports: Sequence[LightsailPortArgs], ip_address_type: str | None) -> list[Problem]:
    """Port rules whose sources leave one IP family to Lightsail's default, which is everyone.

    The provider sends a source list only when it is not empty (terraform-provider-aws
    internal/service/lightsail/instance_public_ports.go, `expandPortInfo`: `if v.Len() > 0`), so a rule naming
    only IPv4 networks reaches PutInstancePublicPorts with no `ipv6Cidrs`, and Lightsail opens a family a PortInfo
    names no source for to every address (the project's issue 16; the perpetual plan changes this resource shows are
    hashicorp/terraform-provider-aws#30286, named in #37703). Every rule therefore names both families on a
    dualstack instance, and only IPv4 on an ipv4 one.
    """
    found: list[Problem] = []
    for i, rule in enumerate(ports):
        if rule.cidrs is None:
            continue
        if ip_address_type == "ipv4" and 6 in rule.families:
            problem = "names IPv6 networks, but ipAddressType is ipv4 (the instance has no IPv6 address)"
            found.append(((i, "cidrs"), problem, list(rule.cidrs)))
        elif ip_address_type == "dualstack" and rule.families != {4, 6}:
            missing = "IPv6" if 4 in rule.families else "IPv4"
            problem = (
                f"names no {missing} network: on a dualstack instance Lightsail would open {rule.label} to every "
                f"{missing} address. Add the {missing} networks that may connect, or set ipAddressType: ipv4 "
                "(for IPv4-only rules)"
            )
            found.append(((i, "cidrs"), problem, list(rule.cidrs)))
    return found


def _ports_required(schema: dict[str, Any]) -> None:
    """`ports` is checked by a validator (to say why it is required), so the schema is told it is required."""
    schema.setdefault("required", []).append("ports")


class LightsailInstanceArgs(ArgsModel):
    """One Lightsail instance: a blueprint (the image) on a bundle (the fixed monthly plan)."""

    config_key = f"{KEY}.instances[]"

    name: Name
    """Unique within the site; the instance is named `<site>-<name>`."""
    blueprint: Annotated[str, _OneOf(tuple(INSTANCE_BLUEPRINTS))]
    """An instance blueprint id from the catalogue (e.g. ubuntu_24_04); Bitnami's withdrawn ones are accepted with a
    warning."""
    bundle: Annotated[str, _OneOf(tuple(INSTANCE_BUNDLES))]
    """An instance bundle id from the catalogue (e.g. nano_3_0)."""
    availability_zone: Zone | None = None
    """A zone of the stack's region; defaults to the region's first (`<region>a`)."""
    ip_address_type: Literal["dualstack", "ipv4"] = "dualstack"
    """dualstack (a public IPv4 and an IPv6 address) or ipv4 (no IPv6 address): set on the instance explicitly, and
    it decides which source lists every port rule must name."""
    ports: tuple[LightsailPortArgs, ...] | None = Field(None, validate_default=True, json_schema_extra={"minItems": 1})
    """Every public port, and nothing else is open. Required: Lightsail's defaults open 22 to the world."""
    key_pair_name: str | None = None
    """An existing Lightsail key pair; defaults to the region's default key pair."""
    public_key: PublicKey | None = None
    """An OpenSSH public key to import as the instance's key pair (not with keyPairName)."""
    user_data: str | None = None
    """The launch script itself, run once as root on first boot (changing it replaces the instance)."""
    user_data_file: ProjectPath | None = None
    """The launch script from a file of the Pulumi project, relative to its directory (e.g. scripts/boot.sh)."""
    launch_script: LaunchScriptName | None = None
    """A launch script shipped with the library, by name (e.g. wordpress: WordPress on ubuntu_24_04)."""

    _script: str | None = PrivateAttr(None)

    model_config = ConfigDict(json_schema_extra=_ports_required)

    @field_validator("key_pair_name", "public_key", "user_data", "user_data_file", "launch_script", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        """An empty string is no value at all (`keyPairName: ""` leaves the key pair to Lightsail's default)."""
        return None if value == "" else value

    @field_validator("ports")
    @classmethod
    def _every_port_listed_once(
        cls, ports: tuple[LightsailPortArgs, ...] | None, info: ValidationInfo
    ) -> tuple[LightsailPortArgs, ...] | None:
        if ports is None:
            message = "is required: list every public port (Lightsail's defaults open 22 to the world)"
            _refuse(cls.__name__, [((), message, _ABSENT)])
            return None
        if not ports:
            raise ValueError("must list at least one port")
        found: list[Problem] = []
        seen: set[str] = set()
        for rule in ports:
            if rule.label in seen:
                found.append(((), "lists the same port twice", rule.label))
            seen.add(rule.label)
        found += _family_problems(ports, info.data.get("ip_address_type"))
        _refuse(cls.__name__, found)
        return ports

    @field_validator("public_key")
    @classmethod
    def _one_key_pair(cls, public_key: str | None, info: ValidationInfo) -> str | None:
        if public_key is not None and info.data.get("key_pair_name") is not None:
            raise ValueError("give either keyPairName (an existing key pair) or publicKey (to import), not both")
        return public_key

    @field_validator("user_data_file")
    @classmethod
    def _readable_file(cls, relative: str | None, info: ValidationInfo) -> str | None:
        if relative is None:
            return None
        if info.data.get("user_data") is not None:
            raise ValueError("give either userData (the script itself) or userDataFile, not both")
        _read_project_file(relative)
        return relative

    @field_validator("launch_script")
    @classmethod
    def _shipped(cls, name: str | None, info: ValidationInfo) -> str | None:
        if name is None:
            return None
        if info.data.get("user_data") is not None or info.data.get("user_data_file") is not None:
            raise ValueError(
                "give only one of userData (the script itself), userDataFile (a file of the project) and "
                "launchScript (one shipped with the library)"
            )
        if name not in shipped_launch_scripts():
            raise ValueError(
                f"must be one of the launch scripts shipped with the library: {', '.join(shipped_launch_scripts())}"
            )
        return name

    def model_post_init(self, context: Any, /) -> None:
        if self.user_data is not None:
            self._script = self.user_data
        elif self.user_data_file is not None:
            self._script = _read_project_file(self.user_data_file)
        elif self.launch_script is not None:
            self._script = shipped_launch_script(self.launch_script)

    @property
    def boot_script(self) -> str | None:
        """The launch script Lightsail runs on first boot, from userData, userDataFile or launchScript."""
        return self._script

    @property
    def port_rules(self) -> tuple[LightsailPortArgs, ...]:
        return self.ports or ()

    @property
    def monthly_usd(self) -> float:
        return INSTANCE_BUNDLES[self.bundle].monthly_usd


# -- databases ----------------------------------------------------------------------------------------------------


class LightsailDatabaseArgs(ArgsModel):
    """One managed MySQL or PostgreSQL database; its master password is generated and kept only as a secret."""

    config_key = f"{KEY}.databases[]"

    name: Name
    """Unique within the site; the database is named `<site>-<name>`."""
    blueprint: Annotated[str, _OneOf(tuple(DATABASE_BLUEPRINTS))]
    """The engine and version (e.g. mysql_8_0, postgres_17)."""
    bundle: Annotated[str, _OneOf(tuple(DATABASE_BUNDLES))]
    """A database bundle id (e.g. micro_2_0; `_ha_` bundles keep a standby in a second zone)."""
    availability_zone: Zone | None = None
    """A zone of the stack's region; defaults to the region's first (`<region>a`)."""
    master_database_name: DatabaseIdentifier | None = None
    """The database created at launch; defaults to the name without hyphens."""
    master_username: DatabaseUser = "dbadmin"
    """The master user."""
    backup_retention: Flag = True
    """Automatic backups; must stay on while protect is on."""
    publicly_accessible: Flag = False
    """Reachable from outside Lightsail (off: only Lightsail resources in the region reach it)."""
    backup_window: BackupWindow | None = None
    """The daily backup window, UTC (e.g. 16:00-16:30); AWS chooses one by default."""
    maintenance_window: MaintenanceWindow | None = None
    """The weekly maintenance window, UTC (e.g. Tue:17:00-Tue:17:30); AWS chooses one by default."""

    @property
    def database_name(self) -> str:
        if self.master_database_name is not None:
            return self.master_database_name
        return re.sub(r"[^A-Za-z0-9]", "", self.name) or "app"

    @property
    def monthly_usd(self) -> float:
        return DATABASE_BUNDLES[self.bundle].monthly_usd


# -- the site -----------------------------------------------------------------------------------------------------


def _duplicates(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


class LightsailArgs(ArgsModel):
    """Lightsail instances with static IPs and explicit public ports, managed databases, optional VPC peering."""

    config_key = KEY

    protect: Flag = False
    """Protect instances and databases (Pulumi protect, final snapshots, backups on). Defaults to protectData."""
    instances: tuple[LightsailInstanceArgs, ...] = ()
    """Lightsail instances, each with its own static IP."""
    databases: tuple[LightsailDatabaseArgs, ...] = ()
    """Managed databases."""
    auto_snapshots: Flag | None = None
    """Daily automatic snapshots of every instance. Defaults to protect, and must stay on while protect is on."""
    snapshot_time: SnapshotHour = "06:00"
    """The whole UTC hour the daily snapshot starts."""
    peer_with_default_vpc: Flag = False
    """Peer Lightsail with the region's default VPC, so instances reach services there privately."""

    @field_validator("instances")
    @classmethod
    def _unique_instances(cls, instances: tuple[LightsailInstanceArgs, ...]) -> tuple[LightsailInstanceArgs, ...]:
        found = [((), "names must be unique within the list", d) for d in _duplicates([i.name for i in instances])]
        _refuse(cls.__name__, found)
        return instances

    @field_validator("databases")
    @classmethod
    def _unique_and_backed_up(
        cls, databases: tuple[LightsailDatabaseArgs, ...], info: ValidationInfo
    ) -> tuple[LightsailDatabaseArgs, ...]:
        found: list[Problem] = [
            ((), "names must be unique within the list", d) for d in _duplicates([d.name for d in databases])
        ]
        if info.data.get("protect"):
            found += [
                ((i, "backupRetention"), "must stay true while protect (the stack's protectData) is true", False)
                for i, database in enumerate(databases)
                if not database.backup_retention
            ]
        _refuse(cls.__name__, found)
        return databases

    @field_validator("auto_snapshots")
    @classmethod
    def _snapshots_while_protected(cls, auto_snapshots: bool | None, info: ValidationInfo) -> bool | None:
        if auto_snapshots is False and info.data.get("protect"):
            raise ValueError("must stay true while protect (the stack's protectData) is true")
        return auto_snapshots

    @property
    def snapshots(self) -> bool:
        """Whether instances take daily automatic snapshots: autoSnapshots, or protect when it is not set."""
        return self.protect if self.auto_snapshots is None else self.auto_snapshots

    @property
    def enabled(self) -> bool:
        return bool(self.instances or self.databases or self.peer_with_default_vpc)

    @property
    def monthly_usd(self) -> float:
        """The fixed part of the bill: every bundle's monthly price (transfer over the allowance is extra)."""
        return sum(i.monthly_usd for i in self.instances) + sum(d.monthly_usd for d in self.databases)


def zone_problems(site: LightsailArgs | Any, region: str, key: str = KEY) -> list[ConfigError]:
    """Each availability zone that is not in `region` (the stack's aws:region), named by its full key.

    `site` is the Args or the raw stack-file section: read raw, the zones are checked even when another problem of
    the stack keeps the Args from being built, so they are reported with it. Zones of the wrong shape are left to
    the Args, which report them already.
    """
    raw = site.model_dump(by_alias=True) if isinstance(site, LightsailArgs) else site
    if not isinstance(raw, Mapping):
        return []
    in_region = re.compile(re.escape(region) + "[a-z]")
    found: list[ConfigError] = []
    for kind in ("instances", "databases"):
        items = raw.get(kind)
        for i, item in enumerate(items if isinstance(items, list | tuple) else []):
            zone = item.get("availabilityZone") if isinstance(item, Mapping) else None
            if isinstance(zone, str) and re.fullmatch(_ZONE, zone) and not in_region.fullmatch(zone):
                where = join_key(join_key(join_key(key, kind), i), "availabilityZone")
                found.append(
                    ConfigError(where, f"must be an availability zone of the stack's region ({region}a, ...)", zone)
                )
    return found


__all__ = [
    "LightsailArgs",
    "LightsailDatabaseArgs",
    "LightsailInstanceArgs",
    "LightsailPortArgs",
    "zone_problems",
]
