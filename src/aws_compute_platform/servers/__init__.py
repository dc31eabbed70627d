"""Stand-alone EC2 servers: `ServerArgs` (the launch walkthrough as settings) and the `Server` component."""

from aws_compute_platform.servers.args import KeyPairArgs, PortRule, RootVolumeArgs, ServerArgs, VolumeArgs
from aws_compute_platform.servers.server import Server

__all__ = ["KeyPairArgs", "PortRule", "RootVolumeArgs", "Server", "ServerArgs", "VolumeArgs"]
