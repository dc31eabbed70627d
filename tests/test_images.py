"""Trusted images: AWS public parameters, Marketplace products, allow-listed owners; community images refused."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.images import ImageSource, MarketplaceImage
from aws_compute_platform.settings import parse_settings
from plan import Plan, engine, run_stack
from plan.mocks import AwsMocks, stable_hash

SERVERS = "aws-compute-platform:servers"
IMAGE = "aws-compute-platform:servers[0].image"
TRUSTED = ["amazon", "aws-marketplace", "111122223333"]
PRODUCT_CODE = "abcdefghij0123456789klmno"
STACK = {"owner": "platform-team", "costCenter": "cc-1234"}


def read_image(raw: Any, trusted: list[str] = TRUSTED) -> tuple[ImageSource | None, list[ConfigError]]:
    """The image of a one-server stack as the settings read it: the image alone, then against the allow-list."""
    config = {
        **STACK,
        "trustedImageOwners": trusted,
        "servers": [{"name": "app", "image": raw, "instanceType": "t3.small"}],
    }
    try:
        settings = parse_settings("aws-compute-platform", "dev", "us-east-1", config)
    except SettingsError as failure:
        return None, failure.problems
    return settings.servers[0].image, []


class RecordingMocks(AwsMocks):
    """The offline AWS, also keeping every provider call so a test can read the lookups the program made."""

    calls: list[pulumi.runtime.MockCallArgs] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        RecordingMocks.calls.append(args)
        return super().call(args)


MARKETPLACE = {"marketplace": {"productCode": PRODUCT_CODE, "namePattern": "vendor-wordpress-*"}}
EXPLICIT = {"ami": "ami-0abc1234def567890", "owner": "amazon"}
UBUNTU = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"


@pytest.fixture(scope="module")
def images_build() -> tuple[Plan, list[pulumi.runtime.MockCallArgs]]:
    """Dev with one server per kind of image source, and every provider call the program made to build it.

    One build for the three: each source's lookups are told apart by their arguments (owners, filters, parameter
    name), and `test_each_source_makes_only_its_own_lookups` holds that no server made another's.
    """
    servers = [
        server("marketplace", MARKETPLACE),
        server("explicit", EXPLICIT),
        server("ubuntu", {"ssmParameter": UBUNTU}),
    ]
    RecordingMocks.calls = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "AwsMocks", RecordingMocks)
        plan = run_stack("dev", {SERVERS: servers})  # not the shared builder: the calls are made by this build
    return plan, list(RecordingMocks.calls)


def server(name: str, image: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "image": image, "instanceType": "t3.small", "ports": [{"port": 443, "cidrs": ["0.0.0.0/0"]}]}


def ami_lookups(calls: list[pulumi.runtime.MockCallArgs]) -> list[dict[str, Any]]:
    return [dict(c.args) for c in calls if c.token == "aws:ec2/getAmi:getAmi"]


def test_each_source_makes_only_its_own_lookups(images_build: tuple[Plan, list[pulumi.runtime.MockCallArgs]]) -> None:
    _, calls = images_build
    # One AMI lookup for the Marketplace product and one for the explicit AMI: none for the public parameter.
    assert sorted(lookup["owners"][0] for lookup in ami_lookups(calls)) == ["amazon", "aws-marketplace"]
    parameters = [dict(c.args)["name"] for c in calls if c.token == "aws:ssm/getParameter:getParameter"]
    assert parameters.count(UBUNTU) == 1


def test_a_marketplace_image_is_looked_up_by_owner_aws_marketplace_and_its_product_code(
    images_build: tuple[Plan, list[pulumi.runtime.MockCallArgs]],
) -> None:
    plan, calls = images_build
    [lookup] = [lookup for lookup in ami_lookups(calls) if lookup["owners"] == ["aws-marketplace"]]
    assert lookup["mostRecent"] is True
    filters = {f["name"]: f["values"] for f in lookup["filters"]}
    assert filters["product-code"] == [PRODUCT_CODE]
    assert filters["name"] == ["vendor-wordpress-*"]
    assert filters["architecture"] == ["x86_64"]  # t3.small
    instance = plan.named("aws-compute-platform-dev-marketplace-instance")
    assert instance.inputs["ami"].startswith("ami-")


def test_an_explicit_ami_is_looked_up_only_among_its_owners_images(
    images_build: tuple[Plan, list[pulumi.runtime.MockCallArgs]],
) -> None:
    plan, calls = images_build
    [lookup] = [lookup for lookup in ami_lookups(calls) if lookup["owners"] != ["aws-marketplace"]]
    assert lookup["owners"] == ["amazon"]
    assert lookup["filters"] == [{"name": "image-id", "values": ["ami-0abc1234def567890"]}]
    assert plan.named("aws-compute-platform-dev-explicit-instance").inputs["ami"] == "ami-0abc1234def567890"


def test_an_ssm_public_parameter_names_the_image(images_build: tuple[Plan, list[pulumi.runtime.MockCallArgs]]) -> None:
    plan, _ = images_build
    assert plan.named("aws-compute-platform-dev-ubuntu-instance").inputs["ami"] == f"ami-{stable_hash(UBUNTU)}"


def test_an_ami_without_an_owner_is_refused_as_a_community_image() -> None:
    source, problems = read_image({"ami": "ami-0abc1234def567890"})
    assert source is None
    assert [p.key for p in problems] == [f"{IMAGE}.owner"]
    assert "community image" in problems[0].problem
    assert "supply-chain risk" in problems[0].problem


def test_an_owner_not_on_the_allow_list_is_refused_and_named() -> None:
    source, problems = read_image({"ami": "ami-0abc1234def567890", "owner": "999988887777"})
    assert source is None
    assert [p.key for p in problems] == [f"{IMAGE}.owner"]
    assert "999988887777 is not a trusted image owner" in problems[0].problem
    assert "supply-chain risk" in problems[0].problem


def test_an_allow_listed_account_may_publish_images() -> None:
    source, problems = read_image({"ami": "ami-0abc1234def567890", "owner": "111122223333"})
    assert not problems
    assert source == ImageSource(ami="ami-0abc1234def567890", owner="111122223333")


def test_a_parameter_outside_the_aws_public_namespace_is_refused() -> None:
    source, problems = read_image({"ssmParameter": "/my-team/golden-ami"})
    assert source is None
    assert [p.key for p in problems] == [f"{IMAGE}.ssmParameter"]
    assert "/aws/service/" in problems[0].problem


def test_marketplace_images_need_aws_marketplace_on_the_allow_list() -> None:
    raw = {"marketplace": {"productCode": PRODUCT_CODE, "namePattern": "vendor-*"}}
    source, problems = read_image(raw, trusted=["amazon"])
    assert source is None
    assert [p.key for p in problems] == [f"{IMAGE}.marketplace"]
    assert read_image(raw)[0] == ImageSource(
        marketplace=MarketplaceImage(product_code=PRODUCT_CODE, name_pattern="vendor-*")
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"marketplace": {"productCode": "not-a-code", "namePattern": "vendor-*"}}, f"{IMAGE}.marketplace.productCode"),
        ({"marketplace": {"productCode": PRODUCT_CODE}}, f"{IMAGE}.marketplace.namePattern"),
        ({"ami": "ubuntu-latest", "owner": "amazon"}, f"{IMAGE}.ami"),
        ({"ami": "ami-0abc1234def567890", "owner": "some-vendor"}, f"{IMAGE}.owner"),
        ({"ssmParameter": "/aws/service/x", "owner": "amazon"}, f"{IMAGE}.owner"),
        ({"name": "wordpress-*"}, IMAGE),  # a name search among public images is how community images get in
        ({"ssmParameter": "/aws/service/x", "ami": "ami-0abc1234def567890", "owner": "amazon"}, IMAGE),
        ({}, IMAGE),
    ],
)
def test_image_settings_that_do_not_name_one_trusted_source_are_refused(raw: dict[str, Any], key: str) -> None:
    source, problems = read_image(raw)
    assert source is None
    assert key in [p.key for p in problems]
    # The same image built in Python is refused for the same key (named at the image's place in a server).
    with pytest.raises(SettingsError) as in_python:
        ImageSource(**raw)
    assert [k.replace("servers[]", "servers[0]") for k in in_python.value.keys] == [p.key for p in problems]


def test_a_name_search_is_refused_as_a_community_image_naming_what_is_not_a_source() -> None:
    _, [problem] = read_image({"name": "wordpress-*"})
    assert "community images" in problem.problem
    assert "(name is not an image source)" in problem.problem


def test_the_allow_list_defaults_to_amazon_and_the_marketplace_and_refuses_unknown_aliases() -> None:
    settings = parse_settings("aws-compute-platform", "dev", "us-east-1", STACK)
    assert settings.trusted_image_owners == ("amazon", "aws-marketplace")
    deduplicated = {**STACK, "trustedImageOwners": ["amazon", "123456789012", "amazon"]}
    assert parse_settings("p", "dev", "us-east-1", deduplicated).trusted_image_owners == ("amazon", "123456789012")
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            "p", "dev", "us-east-1", {**STACK, "trustedImageOwners": ["amazon", "123456789012", "community"]}
        )
    assert failure.value.keys == ["p:trustedImageOwners[2]"]
    assert "12-digit AWS account id" in str(failure.value)


def test_both_stacks_trust_only_amazon_and_the_marketplace(stack_plan: Plan) -> None:
    from plan.engine import load_stack_config

    _, config, _ = load_stack_config(stack_plan.stack)
    assert config["aws-compute-platform:trustedImageOwners"] == '["amazon", "aws-marketplace"]'
