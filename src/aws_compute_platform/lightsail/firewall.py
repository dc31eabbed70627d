"""The instance's own firewall, written into a shipped launch script so it is the first thing the instance does.

Lightsail creates an instance with its default public ports (22 and 80 open to everyone) and only then accepts the
stack's `InstancePublicPorts`; the launch script runs inside that window, and again on every replacement. A launch
script can close it from inside the instance: `firewall_function` turns the instance's port rules into ufw commands
(Ubuntu's firewall front end, present on Lightsail's Ubuntu blueprints) that deny every other inbound connection.
What stays open is the time from boot to the script's first line (cloud-init runs launch scripts last), see
docs/lightsail.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aws_compute_platform.lightsail.args import LightsailPortArgs

_EVERYONE = "any"


def _sources(rule: LightsailPortArgs, ip_address_type: str) -> list[str]:
    """ufw `from` values: `any` for a rule open to everyone, else each network (IPv6 ones only on dualstack)."""
    if rule.cidrs is None:
        return [_EVERYONE]
    networks = [ipaddress.ip_network(c) for c in rule.cidrs]
    if ip_address_type == "ipv4":
        networks = [n for n in networks if n.version == 4]
    sources: list[str] = []
    for network in networks:
        source = _EVERYONE if network.prefixlen == 0 else str(network)
        if source not in sources:
            sources.append(source)
    return sources


def ufw_commands(rules: Iterable[LightsailPortArgs], ip_address_type: str) -> list[str]:
    """The ufw commands that let in exactly the rules' ports from their sources, and nothing else."""
    commands = ["ufw default deny incoming", "ufw default allow outgoing"]
    for rule in rules:
        ports = str(rule.from_port) if rule.from_port == rule.last_port else f"{rule.from_port}:{rule.last_port}"
        commands += [
            f"ufw allow proto {rule.protocol} from {source} to any port {ports}"
            for source in _sources(rule, ip_address_type)
        ]
    commands.append("ufw --force enable")
    return commands


def firewall_function(rules: Iterable[LightsailPortArgs], ip_address_type: str) -> str:
    """A bash function `firewall` that installs ufw if the image lacks it and applies `ufw_commands`."""
    body = "\n".join(f"    {command}" for command in ufw_commands(rules, ip_address_type))
    return (
        "# The instance's own firewall, from the stack's port rules: every other inbound connection is refused.\n"
        "firewall() {\n"
        "    if ! command -v ufw >/dev/null; then\n"
        "        apt-get -o DPkg::Lock::Timeout=600 update\n"
        "        apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends ufw\n"
        "    fi\n"
        f"{body}\n"
        "}\n"
    )


__all__ = ["firewall_function", "ufw_commands"]
