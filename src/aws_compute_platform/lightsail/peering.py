"""Peering of Lightsail with the region's default VPC, which no Pulumi resource type manages.

Lightsail resources live in a VPC that AWS manages. `PeerVpc` connects it to the account's *default* VPC in
the region (no other VPC can be chosen), so Lightsail instances reach RDS, EFS or other services there over
private addresses. The three API calls take no arguments: `peer_vpc`, `unpeer_vpc`, `is_vpc_peered`.

The dynamic resource below wraps them. A peering that already existed before the stack created its own is
left in place on delete: someone else set it up and may depend on it.

Pulumi stores the provider in the state with dill, which refers to this module by name; the provider process
imports it again by that name, from the installed package. So this module must stay importable on its own and free
of side effects (it declares no resources and imports no other component).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi.dynamic

# Builds a Lightsail client for a region. Tests pass one that returns a client wired to botocore's Stubber.
ClientFactory = Callable[[str], Any]


class DefaultVpcPeeringProvider(pulumi.dynamic.ResourceProvider):
    """Create, read and delete the one peering Lightsail allows per region."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self._client_factory = client_factory

    def _client(self, region: str) -> Any:
        if self._client_factory is not None:
            return self._client_factory(region)
        # Imported here so that the serialized provider refers to boto3 by name instead of capturing it.
        import boto3  # noqa: PLC0415

        return boto3.client("lightsail", region_name=region)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        region = str(props["region"])
        client = self._client(region)
        already_peered = bool(client.is_vpc_peered()["isPeered"])
        operation_id = ""
        if not already_peered:
            operation_id = str(client.peer_vpc()["operation"].get("id", ""))
        outs = {"region": region, "peered": True, "createdPeering": not already_peered, "operationId": operation_id}
        return pulumi.dynamic.CreateResult(id_=f"lightsail-default-vpc-{region}", outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        region = str(props["region"])
        peered = bool(self._client(region).is_vpc_peered()["isPeered"])
        return pulumi.dynamic.ReadResult(id_=id_, outs={**props, "peered": peered})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        # The peering belongs to a region; another region is another peering. A peering removed outside Pulumi
        # (seen on refresh) is made again.
        changed = olds.get("region") != news.get("region") or olds.get("peered") is False
        return pulumi.dynamic.DiffResult(
            changes=changed,
            replaces=["region"] if changed else [],
            delete_before_replace=True,
        )

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if not props.get("createdPeering"):
            return
        client = self._client(str(props["region"]))
        if client.is_vpc_peered()["isPeered"]:
            client.unpeer_vpc()


class DefaultVpcPeering(pulumi.dynamic.Resource, module="lightsail", name="DefaultVpcPeering"):
    """Lightsail peered with the default VPC of `region`."""

    region: pulumi.Output[str]
    peered: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        provider: DefaultVpcPeeringProvider | None = None,
    ) -> None:
        super().__init__(
            provider or DefaultVpcPeeringProvider(),
            name,
            {"region": region, "peered": None, "createdPeering": None, "operationId": None},
            opts,
        )
