"""NetworkWatch: each NAT gateway running out of ports, or dropping packets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from aws_compute_platform.operations.alarms import Watch
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.watch import ComponentWatch

NAT = "AWS/NATGateway"


class NetworkWatch(ComponentWatch):
    """`nat_gateway_ids`: the network's NAT gateways (none: no alarm, no row)."""

    title = "Network"

    def __init__(
        self,
        name: str,
        nat_gateway_ids: Sequence[pulumi.Input[str]],
        *,
        topic: AlertTopic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("NetworkWatch", name, topic=topic, tags=tags, opts=opts)
        drops = []
        for i, nat_id in enumerate(nat_gateway_ids):
            nat = {"NatGatewayId": nat_id}
            self.alarms.on(
                f"nat-{i}-port-allocation-errors",
                f"NAT gateway {i} could not allocate a source port: more than 55,000 simultaneous connections to "
                "one destination. Look for a client opening connections without reusing them; spread the traffic "
                "over more destinations or NAT gateways.",
                Watch(NAT, "ErrorPortAllocation", "Sum", nat),
                threshold=1,
            )
            drops.append(Watch(NAT, "PacketsDropCount", "Sum", nat))
            self.alarms.on(
                f"nat-{i}-dropping-packets",
                f"NAT gateway {i} has dropped packets for 15 minutes running. Check the AWS Health Dashboard for "
                "a NAT gateway event in the zone; a persistent drop rate is a case for AWS Support.",
                drops[-1],
                threshold=1,
                evaluation_periods=3,
            )
        if drops:
            self.row(
                "NAT gateways' connections",
                *(Watch(NAT, "ActiveConnectionCount", "Maximum", {"NatGatewayId": n}) for n in nat_gateway_ids),
            )
            self.row("NAT gateways' dropped packets", *drops)


__all__ = ["NetworkWatch"]
