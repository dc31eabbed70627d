"""ServerWatch: a stand-alone server's status checks; a failed system check recovers the instance onto new hardware."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from aws_compute_platform.operations.alarms import Watch
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.watch import ComponentWatch
from aws_compute_platform.servers.server import Server

EC2 = "AWS/EC2"


def recover_action(partition: pulumi.Input[str], region: pulumi.Input[str]) -> pulumi.Output[str]:
    """EC2's own alarm action that moves an instance to healthy hardware, keeping its id, addresses and EBS volumes
    (EC2 user guide, "Add recover actions to Amazon CloudWatch alarms")."""
    return pulumi.Output.concat("arn:", partition, ":automate:", region, ":ec2:recover")


class ServerWatch(ComponentWatch):
    """System status check failed: recover and notify. Instance status check failed: notify (it is the instance's
    own operating system or configuration, which only someone can fix)."""

    def __init__(
        self,
        name: str,
        server: Server,
        *,
        label: str,
        partition: pulumi.Input[str],
        region: pulumi.Input[str],
        topic: AlertTopic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("ServerWatch", name, topic=topic, tags=tags, opts=opts)
        self.title = f"Server {label}"
        instance = {"InstanceId": server.instance_id}
        system = Watch(EC2, "StatusCheckFailed_System", "Maximum", instance)
        own = Watch(EC2, "StatusCheckFailed_Instance", "Maximum", instance)
        self.alarms.on(
            "system-check-failed",
            f"Server {label} failed AWS's system status check (its host's hardware, power or network) for 2 "
            "minutes. EC2 recovers it onto other hardware by itself; check it came back.",
            system,
            threshold=1,
            period=60,
            evaluation_periods=2,
            extra_actions=[recover_action(partition, region)],
        )
        self.alarms.on(
            "instance-check-failed",
            f"Server {label} failed its instance status check for 3 minutes: its operating system does not answer "
            "(full disk, exhausted memory, a bad network configuration, a kernel that did not boot). Look at its "
            "system log (EC2 console: Monitor and troubleshoot, Get system log) and reboot it.",
            own,
            threshold=1,
            period=60,
            evaluation_periods=3,
        )
        self.row(f"Server {label} CPU (%)", Watch(EC2, "CPUUtilization", "Average", instance))
        self.row(f"Server {label} status checks", system, own)


__all__ = ["ServerWatch", "recover_action"]
