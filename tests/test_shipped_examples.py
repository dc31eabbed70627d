"""Facts about the example the stack files ship with, not promises about every stack.

The rest of the suite holds whatever the stack files say to the same properties. These tests describe the shipped
`dev` and `prod` as the docs present them; a user who changes what they describe changes these tests with it.
"""

from __future__ import annotations

from plan import Plan

INSTANCE = "aws:ec2/instance:Instance"
EIP = "aws:ec2/eip:Eip"


def test_the_shipped_dev_web_server_is_small_in_a_public_subnet_with_an_elastic_ip(dev_plan: Plan) -> None:
    server = dev_plan.named("aws-compute-platform-dev-web")
    [instance] = [r for r in dev_plan.within(server) if r.type == INSTANCE]
    assert instance.inputs["instanceType"] == "t4g.nano"
    public_subnet_0 = dev_plan.named("aws-compute-platform-dev-public-0")
    assert instance.inputs["subnetId"] == dev_plan.id_of(public_subnet_0)
    [eip] = [r for r in dev_plan.within(server) if r.type == EIP]
    assert eip.inputs["instance"] == dev_plan.id_of(instance)
    assert eip.inputs["domain"] == "vpc"
    assert dev_plan.outputs["servers"]["web"] == {
        "instanceId": dev_plan.id_of(instance),
        "publicIp": "198.51.100.20",
        "publicDns": "ec2-198-51-100-20.us-east-1.compute.amazonaws.com",
    }
    volumes = [instance.inputs["rootBlockDevice"], *instance.inputs["ebsBlockDevices"]]
    assert [v["volumeType"] for v in volumes] == ["gp3", "gp3"]


def test_the_shipped_prod_stack_has_no_server_and_no_lightsail_site(prod_plan: Plan, dev_plan: Plan) -> None:
    """As docs/configuration.md says of the outputs: only dev exports `servers` and the Lightsail outputs."""
    assert prod_plan.of_type(INSTANCE) == []
    only_dev = set(dev_plan.outputs) - set(prod_plan.outputs)
    assert only_dev == {"servers", "lightsailStaticIps", "lightsailUrls", "lightsailDatabaseEndpoints"}


def test_the_shipped_prod_fleet_runs_at_least_two_instances_over_three_azs(prod_plan: Plan) -> None:
    [asg] = prod_plan.of_type("aws:autoscaling/group:Group")
    assert asg.inputs["minSize"] >= 2
    assert len(prod_plan.outputs["availabilityZones"]) == 3
