"""The stack's settings a shipped launch script needs, written into it where it says `# @instance-settings@`.

A shipped script (`lightsail/boot/*.sh`) cannot read the stack file, so the instance's settings are written into its
text: the `firewall` function built from the instance's port rules (`firewall.py`), and `SITE_NAME`, the name the
site answers to over HTTPS (empty without a domain). A script of the user's own (`userData`, `userDataFile`) is used
exactly as given.
"""

from __future__ import annotations

import re
import shlex

from aws_compute_platform.lightsail.args import LightsailInstanceArgs
from aws_compute_platform.lightsail.firewall import firewall_function

MARKER = "# @instance-settings@"
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def instance_settings(args: LightsailInstanceArgs, site_name: str | None) -> str:
    """The bash text that replaces the marker: the firewall function and the site's name."""
    if site_name is not None and not _HOSTNAME.fullmatch(site_name):
        raise ValueError(f"'{site_name}' is not a DNS name a certificate can be issued for")
    return (
        "# Written by the library from the stack's settings (lightsail/launch_settings.py).\n"
        f"{firewall_function(args.port_rules, args.ip_address_type)}"
        "# The name the site answers to over HTTPS, with a Let's Encrypt certificate; empty: plain HTTP only.\n"
        f"readonly SITE_NAME={shlex.quote(site_name or '')}\n"
    )


def launch_script(args: LightsailInstanceArgs, site_name: str | None = None) -> str | None:
    """The launch script Lightsail runs: a shipped one with the instance's settings written in, or the user's own."""
    script = args.boot_script
    if script is None or args.launch_script is None:
        return script
    if script.count(MARKER) != 1:
        raise ValueError(f"launch script '{args.launch_script}' must hold the line '{MARKER}' exactly once")
    return script.replace(MARKER, instance_settings(args, site_name).rstrip("\n"))


__all__ = ["MARKER", "instance_settings", "launch_script"]
