"""Server: the EC2 launch walkthrough as settings; safe defaults, exactly the configured ports, encrypted disks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.images import ImageSource
from aws_compute_platform.servers import KeyPairArgs, PortRule, RootVolumeArgs, ServerArgs, VolumeArgs
from aws_compute_platform.servers.args import ssh_public_key_problem
from aws_compute_platform.settings import parse_settings
from plan import Plan, PlannedResource, load_stack_config

SERVERS = "aws-compute-platform:servers"
KEY = "aws-compute-platform:servers[0]"
PYTHON_KEY = "aws-compute-platform:servers[]"  # a ServerArgs built in Python is not at an index of a list
STACK = {"owner": "platform-team", "costCenter": "cc-1234", "network": {"azCount": 2}}
INSTANCE = "aws:ec2/instance:Instance"
EIP = "aws:ec2/eip:Eip"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def ed25519_public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + " admin"


def server(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": "app", "image": {"ssmParameter": AL2023}, "instanceType": "t3.small"}
    raw.update(overrides)
    return raw


def parse(raw: dict[str, Any], *, protect: bool = False) -> ServerArgs:
    """One `servers` entry as the stack settings read it (protect comes from the stack's protectData)."""
    config = {**STACK, "protectData": protect, "servers": [raw]}
    settings = parse_settings("aws-compute-platform", "dev", "us-east-1", config)
    [args] = settings.servers
    return args


def stack_problems(raw_servers: list[dict[str, Any]], **stack: Any) -> list[ConfigError]:
    """Every problem the stack settings find in these `servers` entries (and `stack` overrides)."""
    with pytest.raises(SettingsError) as failure:
        parse_settings("aws-compute-platform", "dev", "us-east-1", {**STACK, **stack, "servers": raw_servers})
    return failure.value.problems


def ingress_by_port(group: PlannedResource) -> dict[int, list[str]]:
    rules: dict[int, list[str]] = {}
    for rule in group.inputs.get("ingress", []):
        assert rule["fromPort"] == rule["toPort"]
        rules[rule["fromPort"]] = sorted(rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", []))
    return rules


# -- every server the stack files configure ------------------------------------------------------------------------


def configured_servers(plan: Plan) -> list[tuple[dict[str, Any], PlannedResource]]:
    """Each `servers` entry of the plan's stack file with its `Server` component."""
    _, config, _ = load_stack_config(plan.stack)
    raw_servers = config.get(SERVERS) or "[]"
    entries = json.loads(raw_servers) if isinstance(raw_servers, str) else raw_servers
    return [(raw, plan.named(f"aws-compute-platform-{plan.stack}-{raw['name']}")) for raw in entries]


def test_every_server_opens_exactly_its_configured_ports(stack_plan: Plan) -> None:
    for raw, component in configured_servers(stack_plan):
        [group] = [g for g in stack_plan.within(component) if g.type == "aws:ec2/securityGroup:SecurityGroup"]
        configured = {p["port"]: sorted(p.get("cidrs", [])) for p in raw.get("ports", [])}
        assert ingress_by_port(group) == configured, raw["name"]
        [instance] = [r for r in stack_plan.within(component) if r.type == INSTANCE]
        assert instance.inputs["vpcSecurityGroupIds"] == [stack_plan.id_of(group)]


def test_no_server_is_ever_reachable_on_port_22_from_the_internet(stack_plan: Plan) -> None:
    for group in stack_plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress", []):
            if rule["fromPort"] <= 22 <= rule["toPort"]:
                assert not {"0.0.0.0/0", "::/0"} & set(rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", []))


def test_every_server_volume_is_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    for instance in stack_plan.of_type(INSTANCE):
        volumes = [instance.inputs["rootBlockDevice"], *instance.inputs.get("ebsBlockDevices", [])]
        for volume in volumes:
            assert volume["encrypted"] is True, instance.name
            assert volume["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"], instance.name


def test_every_server_requires_imdsv2_and_keeps_its_image_until_replaced_on_purpose(stack_plan: Plan) -> None:
    for instance in stack_plan.of_type(INSTANCE):
        assert instance.get("metadataOptions.httpTokens") == "required", instance.name
        assert instance.get("metadataOptions.httpPutResponseHopLimit") == 1, instance.name
        assert "ami" in instance.ignore_changes, instance.name


def test_every_server_its_volumes_and_its_group_carry_cost_tags(stack_plan: Plan) -> None:
    required = {"Project", "Environment", "Owner", "CostCenter", "ManagedBy"}
    for server in stack_plan.of_type("acp:compute:Server"):
        [instance] = [r for r in stack_plan.within(server) if r.type == INSTANCE]
        for tags in (instance.inputs["tags"], instance.inputs["volumeTags"]):
            assert required <= set(tags) and tags["Environment"] == stack_plan.stack, server.name
        assert instance.inputs["volumeTags"]["Name"] == f"{server.name}-volume"
        for resource in stack_plan.within(server):
            if resource.custom and "tags" in resource.inputs:
                assert required <= set(resource.inputs["tags"]), resource.name


# One dev and one prod stack, each with a server per setting the tests below look at: each test reads its own
# server, so the two builds (shared through `plan_with`) prove what a build per setting did.
PUBLIC_KEY = ed25519_public_key()
DATA_VOLUME = {"device": "/dev/sdf", "sizeGb": 50}
DEV_SERVERS = [
    server(name="burstable", instanceType="t3.small"),
    server(name="data", volumes=[DATA_VOLUME]),
    server(name="auto-ip", publicIp="auto", availabilityZone=1),
    server(name="own-key", keyPair={"publicKey": PUBLIC_KEY}),
    server(name="named-key", keyPair={"name": "ops-laptop"}),
]
PROD_SERVERS = [
    server(name="data", volumes=[DATA_VOLUME]),
    server(name="unprotected", terminationProtection=False),
    server(name="private", publicIp="none", availabilityZone="us-east-1c"),
]


@pytest.fixture
def dev_servers(plan_with: Callable[..., Plan]) -> Plan:
    return plan_with("dev", {SERVERS: DEV_SERVERS})


@pytest.fixture
def prod_servers(plan_with: Callable[..., Plan]) -> Plan:
    return plan_with("prod", {SERVERS: PROD_SERVERS})


def within_server(plan: Plan, name: str) -> list[PlannedResource]:
    return plan.within(plan.named(f"aws-compute-platform-{plan.stack}-{name}"))


def instance_of(plan: Plan, name: str) -> PlannedResource:
    [instance] = [r for r in within_server(plan, name) if r.type == INSTANCE]
    return instance


def test_burstable_servers_do_not_bill_surplus_cpu_by_default(dev_servers: Plan) -> None:
    assert instance_of(dev_servers, "burstable").get("creditSpecification.cpuCredits") == "standard"


def test_termination_protection_is_on_in_prod_and_off_in_dev(dev_servers: Plan, prod_servers: Plan) -> None:
    prod, dev = instance_of(prod_servers, "data"), instance_of(dev_servers, "data")
    assert prod.inputs["disableApiTermination"] is True
    assert dev.inputs["disableApiTermination"] is False
    # Data volumes outlive a terminated instance where data is protected; the root disk is disposable.
    assert prod.inputs["ebsBlockDevices"][0]["deleteOnTermination"] is False
    assert dev.inputs["ebsBlockDevices"][0]["deleteOnTermination"] is True
    assert prod.inputs["rootBlockDevice"]["deleteOnTermination"] is True


def test_termination_protection_can_be_set_explicitly(prod_servers: Plan) -> None:
    assert instance_of(prod_servers, "unprotected").inputs["disableApiTermination"] is False


# -- network placement ----------------------------------------------------------------------------------------------


def test_a_server_without_a_public_ip_goes_to_the_private_subnet_of_its_zone(prod_servers: Plan) -> None:
    instance = instance_of(prod_servers, "private")
    assert instance.inputs["subnetId"] == "aws-compute-platform-prod-private-2-id"
    assert instance.inputs["associatePublicIpAddress"] is False
    assert [r for r in within_server(prod_servers, "private") if r.type == EIP] == []
    assert prod_servers.outputs["servers"]["private"]["publicIp"] == ""


def test_an_auto_assigned_public_ip_is_reported_from_the_instance(dev_servers: Plan) -> None:
    instance = instance_of(dev_servers, "auto-ip")
    assert instance.inputs["subnetId"] == "aws-compute-platform-dev-public-1-id"
    assert instance.inputs["associatePublicIpAddress"] is True
    assert dev_servers.outputs["servers"]["auto-ip"]["publicIp"] == "198.51.100.10"


def test_a_zone_the_stack_does_not_span_is_refused(plan_with: Callable[..., Plan]) -> None:
    with pytest.raises(ConfigError) as failure:
        plan_with("dev", {SERVERS: [server(availabilityZone="us-east-1f")]})
    assert failure.value.key == f"{PYTHON_KEY}.availabilityZone"
    assert "server app" in str(failure.value)
    assert "us-east-1a, us-east-1b" in str(failure.value)


# -- key pairs --------------------------------------------------------------------------------------------------


def test_a_public_key_from_config_becomes_a_key_pair_and_no_private_key_exists(dev_servers: Plan) -> None:
    [pair] = dev_servers.of_type("aws:ec2/keyPair:KeyPair")  # own-key's: named-key's is not created
    assert pair in within_server(dev_servers, "own-key")
    assert pair.inputs["publicKey"] == PUBLIC_KEY
    assert instance_of(dev_servers, "own-key").inputs["keyName"] == pair.outputs["keyName"]
    assert pair.outputs["keyName"].startswith("aws-compute-platform-dev-own-key-key")
    assert not dev_servers.of_type("tls:index/privateKey:PrivateKey")


def test_an_existing_key_pair_is_used_by_name(dev_servers: Plan) -> None:
    assert instance_of(dev_servers, "named-key").inputs["keyName"] == "ops-laptop"
    assert [r for r in within_server(dev_servers, "named-key") if r.type == "aws:ec2/keyPair:KeyPair"] == []


def test_without_a_key_pair_no_key_is_set() -> None:
    assert parse(server()).key_pair is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ssh-ed25519 not-base64!", "not an OpenSSH public key"),
        ("hello world", "not an OpenSSH public key"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
            "private key",
        ),
    ],
)
def test_text_that_is_not_a_public_key_is_refused(text: str, problem: str) -> None:
    found = ssh_public_key_problem(text)
    assert found is not None and problem in found


def test_short_rsa_keys_are_refused_and_long_ones_accepted() -> None:
    def rsa_key(bits: int) -> str:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
        return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()

    assert "1024 bits" in (ssh_public_key_problem(rsa_key(1024)) or "")
    assert ssh_public_key_problem(rsa_key(2048)) is None
    assert ssh_public_key_problem(ed25519_public_key()) is None


# -- bad configuration ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key", "problem"),
    [
        ({"instanceType": "t9.micro"}, "instanceType", "not a known EC2 instance type"),
        ({"instanceType": "t3.mega"}, "instanceType", "t3 sizes: nano, micro, small, medium, large, xlarge, 2xlarge"),
        ({"ports": [{"port": 0, "cidrs": ["0.0.0.0/0"]}]}, "ports[0].port", "at least 1"),
        ({"ports": [{"port": 70000, "cidrs": ["0.0.0.0/0"]}]}, "ports[0].port", "at most 65535"),
        ({"ports": [{"port": 22, "cidrs": ["0.0.0.0/0"]}]}, "ports[0].cidrs[0]", "whole internet"),
        ({"ports": [{"port": 22, "cidrs": ["::/0"]}]}, "ports[0].cidrs[0]", "whole internet"),
        ({"ports": [{"port": 3389, "cidrs": ["10.0.0.0/8", "0.0.0.0/0"]}]}, "ports[0].cidrs[1]", "RDP"),
        ({"ports": [{"port": 80, "cidrs": ["10.0.0.0/33"]}]}, "ports[0].cidrs[0]", "not a valid CIDR"),
        ({"ports": [{"port": 80}]}, "ports[0].cidrs", "must list the networks"),
        ({"ports": [{"port": 80, "cidrs": []}]}, "ports[0].cidrs", "must list the networks"),
        (
            {"ports": [{"port": 80, "cidrs": ["0.0.0.0/0"]}, {"port": 80, "cidrs": ["10.0.0.0/8"]}]},
            "ports",
            "more than once",
        ),
        ({"shutdownBehavior": "hibernate"}, "shutdownBehavior", "'stop' or 'terminate'"),
        ({"keyPair": {"publicKey": "not a key"}}, "keyPair.publicKey", "not an OpenSSH public key"),
        ({"keyPair": {"privateKey": "-----BEGIN"}}, "keyPair.privateKey", "never"),
        ({"keyPair": {}}, "keyPair", "exactly one of"),
        ({"keyPair": {"keypair": "ops"}}, "keyPair.keypair", "known: name, publicKey"),
        ({"publicIp": "static"}, "publicIp", "'elastic', 'auto' or 'none'"),
        ({"publicIp": "elastic", "subnet": "private"}, "subnet", "no route from the internet"),
        ({"availabilityZone": 2}, "availabilityZone", "at most 1"),
        ({"availabilityZone": -1}, "availabilityZone", "an AZ index"),
        ({"availabilityZone": "eu-west-1a"}, "availabilityZone", "zone name of us-east-1"),
        ({"rootVolume": {"type": "st1"}}, "rootVolume.type", "one of"),
        ({"rootVolume": {"device": "/dev/sdf"}}, "rootVolume.device", "not a known setting"),
        ({"volumes": [{"device": "/dev/sda1", "sizeGb": 10}]}, "volumes[0].device", "/dev/sdf"),
        ({"volumes": [{"device": "/dev/sdf"}]}, "volumes[0].sizeGb", "required"),
        ({"volumes": [{"device": "/dev/sdf", "sizeGb": 20, "type": "sc1"}]}, "volumes[0].sizeGb", "at least 125"),
        ({"volumes": [{"device": "/dev/sdf", "sizeGb": 20, "type": "io2"}]}, "volumes[0].iops", "required"),
        ({"volumes": [{"device": "/dev/sdf", "sizeGb": 200, "type": "st1", "iops": 500}]}, "volumes[0].iops", "gp3"),
        ({"volumes": [{"device": "/dev/sdf", "sizeGb": 20, "type": "gp2", "throughput": 200}]}, "volumes[0].throughput",
         "only to gp3"),
        (
            {"volumes": [{"device": "/dev/sdf", "sizeGb": 10}, {"device": "/dev/sdf", "sizeGb": 20}]},
            "volumes",
            "/dev/sdf is used more than once",
        ),
        ({"instanceType": "t4g.small"}, "image", "x86_64 image but t4g.small is an arm64"),
        ({"instanceType": "m7i.large", "cpuCredits": "standard"}, "cpuCredits", "burstable"),
        ({"userData": "x" * (16 * 1024 + 1)}, "userData", "at most 16 KB"),
        ({"terminationProtection": "yes"}, "terminationProtection", "true or false"),
        ({"colour": "blue"}, "colour", "not a known setting"),
        ({"keypair": {"name": "ops"}}, "keypair", "keyPair"),  # the known list names every key
        ({"name": "Web Server"}, "name", "lower-case"),
    ],
)  # fmt: skip
def test_bad_server_settings_are_refused_with_the_key_named(overrides: dict[str, Any], key: str, problem: str) -> None:
    found = stack_problems([server(**overrides)])
    keys = [p.key for p in found]
    assert f"{KEY}.{key}" in keys, keys
    assert problem in str(found[keys.index(f"{KEY}.{key}")]), str(found)


AL2023_IMAGE = ImageSource(ssm_parameter=AL2023)


def python_server(**overrides: Any) -> ServerArgs:
    return ServerArgs(**{"name": "app", "image": AL2023_IMAGE, "instance_type": "t3.small", **overrides})


@pytest.mark.parametrize(
    ("build", "raw", "key"),
    [
        (lambda: python_server(instance_type="t3.mega"), {"instanceType": "t3.mega"}, "instanceType"),
        (lambda: python_server(shutdown_behavior="hibernate"), {"shutdownBehavior": "hibernate"}, "shutdownBehavior"),
        (lambda: python_server(public_ip="auto", subnet="private"), {"publicIp": "auto", "subnet": "private"},
         "subnet"),
        (lambda: python_server(instance_type="m7i.large", cpu_credits="unlimited"),
         {"instanceType": "m7i.large", "cpuCredits": "unlimited"}, "cpuCredits"),
        (lambda: python_server(instance_type="t4g.small"), {"instanceType": "t4g.small"}, "image"),
        (lambda: python_server(name="Web Server"), {"name": "Web Server"}, "name"),
        (lambda: python_server(volumes=[VolumeArgs(device="/dev/sdf", size_gb=n) for n in (1, 2)]),
         {"volumes": [{"device": "/dev/sdf", "sizeGb": 1}, {"device": "/dev/sdf", "sizeGb": 2}]}, "volumes"),
        (lambda: PortRule(port=22, cidrs=["0.0.0.0/0"]), {"ports": [{"port": 22, "cidrs": ["0.0.0.0/0"]}]},
         "ports[0].cidrs[0]"),
        (lambda: VolumeArgs(device="/dev/sdf", size_gb=20, type="sc1"),
         {"volumes": [{"device": "/dev/sdf", "sizeGb": 20, "type": "sc1"}]}, "volumes[0].sizeGb"),
        (lambda: RootVolumeArgs(type="io1"), {"rootVolume": {"type": "io1"}}, "rootVolume.iops"),
        (lambda: KeyPairArgs(public_key="not a key"), {"keyPair": {"publicKey": "not a key"}}, "keyPair.publicKey"),
        (lambda: KeyPairArgs(private_key="x"),  # type: ignore[call-arg]
         {"keyPair": {"privateKey": "x"}}, "keyPair.privateKey"),
        (lambda: ImageSource(ami="ami-0abc1234def567890"), {"image": {"ami": "ami-0abc1234def567890"}}, "image.owner"),
    ],
)  # fmt: skip
def test_args_built_in_python_raise_the_same_keys_as_the_stack_file(
    build: Callable[[], object], raw: dict[str, Any], key: str
) -> None:
    with pytest.raises(SettingsError) as in_python:
        build()
    with pytest.raises(SettingsError) as in_stack_file:
        ServerArgs.from_config(server(**raw), KEY)
    assert [f"{KEY}.{key}"] == in_stack_file.value.keys
    # A model built on its own names its place with [] where the stack file has the item's index.
    [python_key] = in_python.value.keys
    assert python_key == f"{PYTHON_KEY}.{key}".replace("ports[0]", "ports[]").replace("volumes[0]", "volumes[]")
    assert in_python.value.problems[0].problem == in_stack_file.value.problems[0].problem


def test_only_name_image_and_instance_type_are_required_and_defaults_are_safe() -> None:
    args = parse(server())
    assert args.ports == ()  # no open port unless configured
    assert args.key_pair is None
    assert (args.public_ip, args.subnet, args.shutdown_behavior) == ("elastic", "public", "stop")
    assert args.root_volume.type == "gp3" and args.root_volume.size_gb is None
    assert args.termination_protection is False
    assert args.cpu_credits == "standard"
    assert args == python_server()
    protected = parse(server(), protect=True)
    assert protected == python_server(protect=True, termination_protection=True)


def test_a_protected_server_keeps_its_data_volumes_unless_told_otherwise() -> None:
    volumes = [{"device": "/dev/sdf", "sizeGb": 10}, {"device": "/dev/sdg", "sizeGb": 10, "deleteOnTermination": True}]
    kept, deleted = parse(server(volumes=volumes), protect=True).volumes
    assert (kept.delete_on_termination, deleted.delete_on_termination) == (False, True)
    [in_python] = python_server(protect=True, volumes=[VolumeArgs(device="/dev/sdf", size_gb=10)]).volumes
    assert in_python.delete_on_termination is False
    assert parse(server(volumes=volumes[:1])).volumes[0].delete_on_termination is True


def test_a_server_without_a_public_ip_defaults_to_a_private_subnet_and_non_burstable_types_to_no_credits() -> None:
    args = parse(server(publicIp="none", instanceType="m7i.large"))
    assert (args.subnet, args.cpu_credits) == ("private", None)


def test_missing_required_settings_are_named() -> None:
    keys = {p.key for p in stack_problems([{}])}
    assert {f"{KEY}.name", f"{KEY}.image", f"{KEY}.instanceType"} <= keys


def test_a_private_key_is_never_repeated_in_the_error() -> None:
    [problem] = stack_problems([server(keyPair={"privateKey": "-----BEGIN OPENSSH PRIVATE KEY----- s3cr3t"})])
    assert "s3cr3t" not in str(problem)


def test_a_bad_server_stops_the_stack_before_anything_is_declared(plan_with: Callable[..., Plan]) -> None:
    with pytest.raises(SettingsError) as failure:
        plan_with("dev", {SERVERS: [server(ports=[{"port": 22, "cidrs": ["0.0.0.0/0"]}]), server()]})
    assert f"{KEY}.ports[0].cidrs[0]" in failure.value.keys
    assert SERVERS in failure.value.keys  # the name app is used twice
    assert failure.value.plan.resources == []  # type: ignore[attr-defined]
