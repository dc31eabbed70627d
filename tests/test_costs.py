"""Cost estimate: known configurations price to hand-computed totals, nothing is priced as zero by omission."""

from __future__ import annotations

import importlib
import inspect
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pulumi_aws as aws
import pytest
from botocore.stub import Stubber

from costs import estimate, load_prices
from costs.__main__ import main
from costs.assumptions import DEFAULTS, AssumptionError, Assumptions, load_assumptions
from costs.model import Estimate
from costs.progress import Progress
from costs.readme import README, WHY_THEY_DIFFER, block, current_block
from costs.refresh import refresh
from costs.render import as_data, as_json, as_markdown, as_table
from costs.rules import FREE, RULES, cron_runs_per_month, unpriced_types
from plan import Plan, run_program
from tests.conftest import bad_project, build_stack

ROOT = Path(__file__).resolve().parent.parent
ORDERS_EXAMPLE = ROOT / "examples" / "orders-api"
US_EAST_1 = load_prices("us-east-1")
HOURS = 730


def price(program: Callable[[], Any], assumptions: Assumptions | None = None, region: str = "us-east-1") -> Estimate:
    plan = run_program(program, config={"aws:region": region})
    return estimate(plan, load_prices(region), assumptions)


def monthly_of(result: Estimate, resource: str) -> float:
    return sum(i.monthly for i in result.items if i.resource == resource)


# --- hand-computed configurations -------------------------------------------------------------------------------


def test_a_t3_micro_with_20_gb_gp3_and_an_elastic_ip_costs_its_hours_its_disk_and_one_address() -> None:
    def program() -> None:
        server = aws.ec2.Instance(
            "web", ami="ami-0123456789abcdef0", instance_type="t3.micro",
            root_block_device={"volume_size": 20, "volume_type": "gp3"},
        )  # fmt: skip
        aws.ec2.Eip("web-ip", instance=server.id, domain="vpc")

    result = price(program)
    # 0.0104 $/h x 730 h + 20 GB x 0.08 $/GB-month + one public IPv4 x 0.005 $/h x 730 h
    assert result.fixed_total == pytest.approx(7.592 + 1.6 + 3.65)
    assert result.usage_total == 0
    assert not result.unpriced
    # The Elastic IP replaces the instance's own public address: it is counted once.
    assert [i.price_key for i in result.items].count("vpc.public_ipv4") == 1


def test_an_instance_in_a_public_subnet_pays_for_its_public_address_and_one_in_a_private_subnet_does_not() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        public = aws.ec2.Subnet("public", vpc_id=vpc.id, cidr_block="10.0.0.0/24", map_public_ip_on_launch=True)
        private = aws.ec2.Subnet("private", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
        for name, subnet in (("a", public), ("b", private)):
            aws.ec2.Instance(name, ami="ami-1", instance_type="t4g.micro", subnet_id=subnet.id)

    result = price(program)
    # 0.0084 $/h, the image's 8 GB gp3 root volume, and a public address only in the public subnet.
    assert monthly_of(result, "a") == pytest.approx(0.0084 * HOURS + 8 * 0.08 + 0.005 * HOURS)
    assert monthly_of(result, "b") == pytest.approx(0.0084 * HOURS + 8 * 0.08)


def _database(name: str, multi_az: bool) -> aws.rds.Instance:
    return aws.rds.Instance(
        name, engine="mysql", instance_class="db.t4g.micro", allocated_storage=20, storage_type="gp3",
        multi_az=multi_az, username="admin", manage_master_user_password=True, skip_final_snapshot=True,
    )  # fmt: skip


def test_multi_az_doubles_the_database_hours_and_storage() -> None:
    def program() -> None:
        _database("single", multi_az=False)
        _database("multi", multi_az=True)

    result = price(program)
    database = 0.016 * HOURS + 20 * 0.115  # db.t4g.micro MySQL hours + 20 GB gp3
    secret = 0.40  # the master password RDS keeps in Secrets Manager
    assert monthly_of(result, "single") == pytest.approx(database + secret)
    assert monthly_of(result, "multi") == pytest.approx(2 * database + secret)


def _fleet(desired: int | None) -> Callable[[], None]:
    def program() -> None:
        template = aws.ec2.LaunchTemplate(
            "web", image_id="ami-1", instance_type="t4g.small",
            block_device_mappings=[{"device_name": "/dev/xvda", "ebs": {"volume_size": 10, "volume_type": "gp3"}}],
        )  # fmt: skip
        aws.autoscaling.Group(
            "web", min_size=2, max_size=6, desired_capacity=desired,
            launch_template={"id": template.id, "version": "$Latest"},
        )  # fmt: skip

    return program


@pytest.mark.parametrize(("desired", "size", "basis"), [(3, 3, "desired"), (None, 2, "minimum")])
def test_an_auto_scaling_group_is_priced_at_its_stated_size_and_says_which(
    desired: int | None, size: int, basis: str
) -> None:
    result = price(_fleet(desired))
    per_instance = 0.0168 * HOURS + 10 * 0.08  # t4g.small + 10 GB gp3
    assert result.fixed_total == pytest.approx(size * per_instance)
    assert all(f"group's {basis} size" in i.description for i in result.items)
    assert {i.resource for i in result.items} == {"web"}
    assert {f.type for f in result.free} == {"aws:ec2/launchTemplate:LaunchTemplate"}


def test_a_load_balancer_pays_hours_an_address_per_public_node_and_assumed_capacity_units() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        subnets = [
            aws.ec2.Subnet(f"s{i}", vpc_id=vpc.id, cidr_block=f"10.0.{i}.0/24", availability_zone=f"us-east-1{z}")
            for i, z in enumerate("ab")
        ]
        public = aws.lb.LoadBalancer("public", load_balancer_type="application", subnets=[s.id for s in subnets])
        aws.lb.LoadBalancer("internal", internal=True, subnets=[s.id for s in subnets])
        group = aws.lb.TargetGroup("web", port=80, protocol="HTTP", vpc_id=vpc.id)
        aws.lb.Listener(
            "http", load_balancer_arn=public.arn, port=80,
            default_actions=[{"type": "forward", "target_group_arn": group.arn}],
        )  # fmt: skip
        files = aws.efs.FileSystem("content", encrypted=True, throughput_mode="elastic")
        aws.efs.BackupPolicy("content", file_system_id=files.id, backup_policy={"status": "ENABLED"})
        aws.efs.MountTarget("content-a", file_system_id=files.id, subnet_id=subnets[0].id)

    result = price(program, load_assumptions(settings=["loadBalancer.averageLcu=2"]))
    assert not result.unpriced
    public = [i for i in result.items if i.resource == "public"]
    assert sum(i.monthly for i in public if i.kind == "fixed") == pytest.approx(0.0225 * HOURS + 2 * 0.005 * HOURS)
    assert sum(i.monthly for i in public if i.kind == "usage") == pytest.approx(2 * 0.008 * HOURS)
    internal = [i for i in result.items if i.resource == "internal"]
    assert "vpc.public_ipv4" not in {i.price_key for i in internal}
    # EFS: 10 GB Standard, 10 GB read and 2 GB written with Elastic Throughput, and backups of the 10 GB.
    assert monthly_of(result, "content") == pytest.approx(10 * 0.30 + 10 * 0.03 + 2 * 0.06 + 10 * 0.05)
    assert {"aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener", "aws:efs/mountTarget:MountTarget"} <= {
        f.type for f in result.free
    }


def test_lightsail_is_priced_at_its_bundles_and_an_attached_static_ip_is_free() -> None:
    def program() -> None:
        site = aws.lightsail.Instance(
            "site", availability_zone="us-east-1a", blueprint_id="wordpress", bundle_id="small_3_0",
            add_on={"type": "AutoSnapshot", "snapshot_time": "06:00", "status": "Enabled"},
        )  # fmt: skip
        attached = aws.lightsail.StaticIp("attached", name="attached-ip")
        aws.lightsail.StaticIpAttachment("attach", static_ip_name=attached.name, instance_name=site.name)
        aws.lightsail.StaticIp("spare", name="spare-ip")
        aws.lightsail.Database(
            "db", relational_database_name="db", blueprint_id="mysql_8_0", bundle_id="micro_2_0",
            master_database_name="site", master_username="site", master_password="offline-only",
        )  # fmt: skip

    result = price(program)
    site = [i for i in result.items if i.resource == "site"]
    assert sum(i.monthly for i in site if i.kind == "fixed") == 12.0
    assert sum(i.monthly for i in site if i.kind == "usage") == pytest.approx(20 * 0.05)  # its automatic snapshots
    assert monthly_of(result, "db") == 15.0
    assert monthly_of(result, "spare") == pytest.approx(0.005 * HOURS)
    assert "attached" in {f.resource for f in result.free}
    assert result.fixed_total == pytest.approx(12 + 15 + 3.65)


def test_a_load_balanced_beanstalk_environment_costs_its_instances_and_its_load_balancer() -> None:
    def setting(namespace: str, name: str, value: str) -> dict[str, str]:
        return {"namespace": namespace, "name": name, "value": value}

    def program() -> None:
        aws.elasticbeanstalk.Environment(
            "web", application="payroll", solution_stack_name="64bit Amazon Linux 2023 v4.7.2 running Python 3.12",
            settings=[
                setting("aws:ec2:instances", "InstanceTypes", "t3.small"),
                setting("aws:autoscaling:asg", "MinSize", "2"),
                setting("aws:elasticbeanstalk:environment", "LoadBalancerType", "application"),
                setting("aws:ec2:vpc", "ELBSubnets", "subnet-a,subnet-b"),
                setting("aws:autoscaling:launchconfiguration", "RootVolumeType", "gp3"),
                setting("aws:autoscaling:launchconfiguration", "RootVolumeSize", "10"),
            ],
        )  # fmt: skip
        aws.elasticbeanstalk.Environment(
            "worker", application="payroll", tier="Worker", solution_stack_name="stack",
            settings=[setting("aws:ec2:instances", "InstanceTypes", "t3.micro")],
        )  # fmt: skip

    result = price(program)
    web_fixed = 2 * 0.0208 * HOURS + 2 * 10 * 0.08 + 0.0225 * HOURS + 2 * 0.005 * HOURS
    web = [i for i in result.items if i.resource == "web"]
    assert sum(i.monthly for i in web if i.kind == "fixed") == pytest.approx(web_fixed)
    assert sum(i.monthly for i in web if i.kind == "usage") == pytest.approx(1 * 0.008 * HOURS)  # one LCU
    # A worker has no load balancer: one t3.micro (the default MinSize) and its 8 GB root volume.
    assert monthly_of(result, "worker") == pytest.approx(0.0104 * HOURS + 8 * 0.08)


def test_a_single_instance_environment_costs_one_instance_and_its_elastic_ip_and_no_load_balancer() -> None:
    def setting(namespace: str, name: str, value: str) -> dict[str, str]:
        return {"namespace": namespace, "name": name, "value": value}

    def program() -> None:
        aws.elasticbeanstalk.Environment(
            "web", application="payroll", solution_stack_name="stack",
            settings=[
                setting("aws:ec2:instances", "InstanceTypes", "t4g.micro"),
                setting("aws:elasticbeanstalk:environment", "EnvironmentType", "SingleInstance"),
                setting("aws:ec2:vpc", "AssociatePublicIpAddress", "true"),  # no effect here: the Elastic IP is it
            ],
        )  # fmt: skip
        aws.elasticbeanstalk.Environment(
            "worker", application="payroll", tier="Worker", solution_stack_name="stack",
            settings=[
                setting("aws:ec2:instances", "InstanceTypes", "t4g.micro"),
                setting("aws:autoscaling:asg", "MinSize", "2"),
                setting("aws:ec2:vpc", "AssociatePublicIpAddress", "true"),
            ],
        )  # fmt: skip

    result = price(program)
    web = [i for i in result.items if i.resource == "web"]
    assert not [i for i in web if i.price_key.startswith("elb.")]
    assert [i.price_key for i in web].count("vpc.public_ipv4") == 1
    assert monthly_of(result, "web") == pytest.approx(0.0084 * HOURS + 8 * 0.08 + 0.005 * HOURS)
    # A worker in public subnets pays for one public IPv4 address per instance.
    assert monthly_of(result, "worker") == pytest.approx(2 * (0.0084 * HOURS + 8 * 0.08 + 0.005 * HOURS))


def test_serverless_services_are_priced_at_stated_usage_that_can_be_changed() -> None:
    def program() -> None:
        role = aws.iam.Role("fn", assume_role_policy="{}")
        fn = aws.lambda_.Function(
            "orders", role=role.arn, runtime="python3.12", handler="app.handler", memory_size=512,
            architectures=["arm64"], code=pulumi.AssetArchive({}),
        )  # fmt: skip
        aws.lambda_.ProvisionedConcurrencyConfig(
            "orders-warm", function_name=fn.name, qualifier="live", provisioned_concurrent_executions=2
        )
        aws.apigatewayv2.Api("api", protocol_type="HTTP")
        aws.dynamodb.Table(
            "orders", billing_mode="PAY_PER_REQUEST", hash_key="id", attributes=[{"name": "id", "type": "S"}]
        )
        aws.sqs.Queue("jobs")
        aws.s3.Bucket("uploads")

    result = price(program, load_assumptions(settings=["lambda.requestsPerMonth=2000000"]))
    assert not result.unpriced
    orders_usage = [i for i in result.items if i.resource == "orders" and i.type.startswith("aws:lambda")]
    # 2M requests x $0.20/M; 2M x 0.2 s x 0.5 GB = 200,000 GB-s x $0.0000133334 (arm64)
    assert sum(i.monthly for i in orders_usage) == pytest.approx(0.40 + 200_000 * 0.0000133334)
    assert all(i.kind == "usage" for i in orders_usage)
    # Provisioned concurrency is billed all month whatever the traffic: 2 x 0.5 GB x 730 h x 3600 s.
    assert monthly_of(result, "orders-warm") == pytest.approx(2 * 0.5 * HOURS * 3600 * 0.0000033334)
    assert monthly_of(result, "api") == pytest.approx(1.0)  # 1M requests at $1.00/M
    assert monthly_of(result, "jobs") == pytest.approx(0.40)
    assert "lambda.requestsPerMonth" in result.used_assumptions()
    assert "lambda.requestsPerMonth, changed" in result.assumptions.describe("lambda.requestsPerMonth")


def test_cloudfront_and_its_web_acl_are_priced_per_request_gigabyte_rule_and_acl() -> None:
    def program() -> None:
        origin = {
            "origin_id": "site",
            "domain_name": "origin.example.org",
            "custom_origin_config": {
                "http_port": 80, "https_port": 443, "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": ["TLSv1.2"],
            },
        }  # fmt: skip
        behaviour = {
            "target_origin_id": "site", "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD"], "cached_methods": ["GET", "HEAD"], "cache_policy_id": "policy",
        }  # fmt: skip
        visibility = {"cloudwatch_metrics_enabled": True, "metric_name": "m", "sampled_requests_enabled": True}
        managed = [
            {
                "name": group, "priority": i, "override_action": {"none": {}}, "visibility_config": visibility,
                "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
            }
            for i, group in enumerate(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesPHPRuleSet"])
        ]  # fmt: skip
        acl = aws.wafv2.WebAcl(
            "waf", scope="CLOUDFRONT", region="us-east-1", default_action={"allow": {}},
            visibility_config=visibility, rules=managed,
        )  # fmt: skip
        aws.cloudfront.Distribution(
            "cdn", enabled=True, origins=[origin], default_cache_behavior=behaviour, price_class="PriceClass_100",
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True}, web_acl_id=acl.arn,
        )  # fmt: skip

    changes = ["cloudfront.requestsPerMonth=20000000", "cloudfront.dataOutGbPerMonth=500"]
    result = price(program, load_assumptions(settings=changes))
    assert not result.unpriced
    # 20M HTTPS requests x $0.01/10,000 + 500 GB x $0.085
    assert monthly_of(result, "cdn") == pytest.approx(20.0 + 42.5)
    # $5 the ACL, $1 each managed rule group, 20M inspected requests x $0.60/M
    assert monthly_of(result, "waf") == pytest.approx(5.0 + 2 * 1.0 + 12.0)
    fixed = [i for i in result.items if i.resource == "waf" and i.kind == "fixed"]
    assert sum(i.monthly for i in fixed) == pytest.approx(7.0)


def test_a_cloudfront_web_acl_made_in_us_east_1_is_priced_from_a_stack_in_another_region(tmp_path: Path) -> None:
    document = json.loads((ROOT / "costs" / "prices" / "us-east-1.json").read_text())
    document["region"] = "eu-west-1"
    (tmp_path / "eu-west-1.json").write_text(json.dumps(document))

    def program() -> None:
        visibility = {"cloudwatch_metrics_enabled": True, "metric_name": "m", "sampled_requests_enabled": True}
        aws.wafv2.WebAcl(
            "waf", scope="CLOUDFRONT", region="us-east-1", default_action={"allow": {}}, visibility_config=visibility
        )
        aws.kms.Key("there", region="us-east-1")

    plan = run_program(program, config={"aws:region": "eu-west-1"})
    result = estimate(plan, load_prices("eu-west-1", tmp_path))
    assert monthly_of(result, "waf") > 0
    assert [u.resource for u in result.unpriced] == ["there"]  # a regional resource elsewhere still is not


def test_a_user_pool_is_free_up_to_the_free_tier_and_priced_per_active_user_above_it() -> None:
    def program() -> None:
        pool = aws.cognito.UserPool("users", user_pool_tier="ESSENTIALS")
        aws.cognito.UserPoolClient("web", user_pool_id=pool.id, generate_secret=True)
        aws.cognito.UserPoolDomain("signin", domain="payroll-example", user_pool_id=pool.id)
        api = aws.apigatewayv2.Api("api", protocol_type="HTTP")
        name = aws.apigatewayv2.DomainName(
            "api-domain",
            domain_name="api.example.org",
            domain_name_configuration={
                "certificate_arn": "arn",
                "endpoint_type": "REGIONAL",
                "security_policy": "TLS_1_2",
            },
        )
        aws.apigatewayv2.ApiMapping("api-mapping", api_id=api.id, domain_name=name.id, stage="$default")

    few = price(program)  # the assumed 50 users: within the 10,000 free each month
    assert not few.unpriced and monthly_of(few, "users") == 0
    assert monthly_of(few, "web") == monthly_of(few, "signin") == monthly_of(few, "api-domain") == 0
    many = price(program, load_assumptions(settings=["cognito.monthlyActiveUsers=12000"]))
    assert monthly_of(many, "users") == pytest.approx(2_000 * 0.015)  # Essentials, above the free 10,000
    assert "cognito.monthlyActiveUsers" in many.used_assumptions()


def test_assumptions_come_from_a_yaml_file_then_the_command_line(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yaml"
    usage.write_text("s3:\n  storageGb: 500\nlambda.requestsPerMonth: 3000000\n")
    assumptions = load_assumptions(usage, ["s3.storageGb=50"])
    assert assumptions["s3.storageGb"] == 50
    assert assumptions["lambda.requestsPerMonth"] == 3_000_000
    assert assumptions["sqs.requestsPerMonth"] == 1_000_000  # untouched default


def test_an_unknown_assumption_is_refused_not_ignored() -> None:
    with pytest.raises(AssumptionError, match=r"lambda\.requestPerMonth: unknown"):
        load_assumptions(settings=["lambda.requestPerMonth=5"])
    with pytest.raises(AssumptionError, match="must be a number"):
        load_assumptions(settings=["s3.storageGb=lots"])


# --- nothing priced as zero by omission -------------------------------------------------------------------------


def test_every_resource_type_of_the_shipped_stacks_is_priced_free_or_usage_based(stack_plan: Plan) -> None:
    missing = unpriced_types(stack_plan)
    assert missing == [], "no pricing rule and no reason to be free for: " + ", ".join(missing)


def test_every_type_named_in_the_rules_is_a_real_pulumi_aws_resource_type() -> None:
    """A misspelt token would never match a planned resource, leaving its real type unpriced."""
    unknown = []
    for token in [*RULES, *FREE]:
        if not token.startswith("aws:"):
            continue
        module_part, class_name = token.split(":")[1:3]
        module = module_part.split("/")[0]
        python_module = importlib.import_module({"lambda": "pulumi_aws.lambda_"}.get(module, f"pulumi_aws.{module}"))
        cls = getattr(python_module, class_name, None)
        source = inspect.getsourcefile(cls) if cls is not None else None
        if source is None or f"'{token}'" not in Path(source).read_text():
            unknown.append(token)
    assert not unknown


def test_a_type_with_no_rule_and_a_price_missing_from_the_file_are_reported_not_counted_as_zero() -> None:
    def program() -> None:
        aws.kinesis.Stream("events", shard_count=1)
        aws.ec2.Instance("big", ami="ami-1", instance_type="x2gd.large", associate_public_ip_address=False)

    result = price(program)
    reasons = {(u.resource, u.reason) for u in result.unpriced}
    assert ("events", "no pricing rule for this type") in reasons
    assert any(r == "big" and "no price 'ec2.instance.x2gd.large'" in why for r, why in reasons)
    assert monthly_of(result, "big") == pytest.approx(8 * 0.08)  # its volume is still priced
    assert "NOT PRICED (2)" in as_table(result)


def test_an_alert_topic_is_priced_per_message_and_email_and_an_alarm_per_metric_it_reads() -> None:
    def program() -> None:
        topic = aws.sns.Topic("alerts")
        for address in ("a@example.org", "b@example.org"):
            aws.sns.TopicSubscription(address, topic=topic.arn, protocol="email", endpoint=address)
        aws.cloudwatch.MetricAlarm("one", comparison_operator="GreaterThanThreshold", evaluation_periods=1)
        query = {"namespace": "AWS/SQS", "metric_name": "NumberOfMessagesSent", "stat": "Sum", "period": 300}
        aws.cloudwatch.MetricAlarm(
            "math",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=1,
            metric_queries=[
                {"id": "a", "metric": query},
                {"id": "b", "metric": query},
                {"id": "total", "expression": "a + b", "return_data": True},
            ],
        )

    result = price(program)
    assert not result.unpriced
    messages = DEFAULTS["sns.messagesPerMonth"][0]
    assert monthly_of(result, "alerts") == pytest.approx(messages * 0.0000005 + 2 * messages * 0.00002)
    assert monthly_of(result, "one") == pytest.approx(0.10)
    assert monthly_of(result, "math") == pytest.approx(0.20)  # two metrics; the expression itself is not billed


def test_a_resource_placed_in_another_region_is_reported_not_priced_at_the_stack_region() -> None:
    def program() -> None:
        aws.kms.Key("here")
        aws.kms.Key("there", region="eu-west-1")

    result = price(program)
    assert monthly_of(result, "here") == 1.0
    assert [(u.resource, "created in eu-west-1" in u.reason) for u in result.unpriced] == [("there", True)]


def test_an_unknown_stack_is_an_error_naming_the_stacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "staging"]) == 2
    assert "no stack file Pulumi.staging.yaml (stacks: dev, prod)" in capsys.readouterr().err


def test_a_region_without_a_price_file_is_reported_as_unpriced(dev_plan: Plan) -> None:
    result = estimate(dev_plan, load_prices("ap-south-2"))
    assert result.items == []
    assert result.unpriced
    assert all("no price file for region ap-south-2" in u.reason for u in result.unpriced)
    assert result.free  # what is free stays free anywhere


# --- output formats and the command -----------------------------------------------------------------------------


def test_json_parses_and_its_items_add_up_to_its_totals(prod_plan: Plan) -> None:
    data = json.loads(as_json(estimate(prod_plan, US_EAST_1)))
    fixed = sum(i["monthly"] for i in data["items"] if i["kind"] == "fixed")
    usage = sum(i["monthly"] for i in data["items"] if i["kind"] == "usage")
    assert data["fixedMonthly"] == pytest.approx(fixed)
    assert data["usageMonthly"] == pytest.approx(usage)
    assert data["totalMonthly"] == pytest.approx(fixed + usage)
    assert data["fixedMonthly"] > 0 and data["unpriced"] == []
    assert set(data["assumptions"]) == {k for i in data["items"] for k in i["assumes"]}


def test_markdown_is_a_table_with_one_row_per_line_item(prod_plan: Plan) -> None:
    result = estimate(prod_plan, US_EAST_1)
    rows = [line for line in as_markdown(result).splitlines() if line.startswith("|")]
    assert rows[0] == "| Component | Resource | Item | Quantity | Monthly |"
    assert rows[1] == "|---|---|---|---:|---:|"
    assert all(row.count("|") == 6 for row in rows)
    assert len(rows) == 2 + len(result.items) + len(result.components())


def test_prod_pays_for_three_nat_gateways_and_their_addresses_dev_for_none(dev_plan: Plan, prod_plan: Plan) -> None:
    for plan, nats in ((dev_plan, 0), (prod_plan, 3)):
        data = as_data(estimate(plan, US_EAST_1))
        network = [i for i in data["items"] if i["component"].endswith("(acp:network:Network)")]
        keys = [i["priceKey"] for i in network]
        assert keys.count("vpc.nat_gateway.hour") == nats
        assert keys.count("vpc.public_ipv4") == nats


ESTIMATE_ARGS = ["--format", "json", "--set", "logs.ingestedGbPerMonth=100"]


def check_estimate_json(stack: str, stdout: str) -> None:
    data = json.loads(stdout)  # progress, if any, went to stderr
    assert data["stack"] == stack
    ingested = [i for i in data["items"] if i["priceKey"] == "logs.ingest.gb"]
    assert ingested and all(i["monthly"] == pytest.approx(100 * 0.50) for i in ingested)


def test_the_command_estimates_another_projects_stack_as_a_process() -> None:
    # The command end to end in a process of its own, on the smallest program there is: the orders-API example, a
    # team's own program using one component. This project's stacks are estimated in this process below, on the
    # shared builds, and as processes by `python -m benchmarks` (CI's smoke step), which measures how long it takes.
    done = subprocess.run(
        [sys.executable, "-m", "costs", "--root", str(ORDERS_EXAMPLE), "--stack", "dev", *ESTIMATE_ARGS],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    check_estimate_json("dev", done.stdout)
    # Its own resources, priced: the example's API, not this project's stack of the same name.
    items = json.loads(done.stdout)["items"]
    assert {i["component"] for i in items} == {"orders (acp:serverless:ServerlessApi)"}
    assert {"aws:apigatewayv2/api:Api", "aws:lambda/function:Function"} <= {i["type"] for i in items}


def test_a_stack_file_with_bad_settings_prints_its_problems_each_with_its_key_and_no_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(bad_project(tmp_path)), "--stack", "dev", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing a tool could take for an estimate
    assert "The stack file has 3 problem(s); nothing was estimated:" in err
    assert "aws-compute-platform:network.azCount: must be at least 1 and at most 6 (got 9)" in err
    assert "Traceback" not in err


def test_an_unknown_stack_of_another_project_names_that_project_and_its_stacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--root", str(ORDERS_EXAMPLE), "--stack", "prod"]) == 2
    assert f"no stack file Pulumi.prod.yaml in {ORDERS_EXAMPLE} (stacks: dev)" in capsys.readouterr().err


def test_the_command_estimates_each_stack_with_usage_set_on_the_command_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command's own work (arguments, assumptions, pricing, output) on the test process's shared prod build: the
    # build itself is the one a process makes, tested as a process above.
    built: list[str] = []

    def shared_build(stack: str, root: Path) -> Plan:
        assert root == ROOT  # this project's stack, when no --root is given
        built.append(stack)
        return build_stack(stack)

    monkeypatch.setattr("costs.__main__.run_stack", shared_build)
    assert main(["--stack", "prod", *ESTIMATE_ARGS]) == 0
    assert built == ["prod"]
    check_estimate_json("prod", capsys.readouterr().out)


class _Written(io.StringIO):
    """A stream that says when something was written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def write(self, text: str) -> int:
        self.written.set()
        return super().write(text)


def test_progress_shows_only_when_the_work_takes_longer_than_the_delay() -> None:
    # No timing is asserted: the quick work ends long before its delay, the slow work waits until the line appears.
    quick, slow = _Written(), _Written()
    with Progress("pricing", quick, delay=60):
        pass
    with Progress("pricing", slow, delay=0.01):
        assert slow.written.wait(timeout=30), "the progress line never appeared while the work ran"
    assert quick.getvalue() == ""
    assert slow.getvalue() == "pricing...\n"


def test_the_readme_shows_the_current_estimates_of_both_stacks(dev_plan: Plan, prod_plan: Plan) -> None:
    fresh = block({"dev": estimate(dev_plan, US_EAST_1), "prod": estimate(prod_plan, US_EAST_1)})
    assert current_block(README.read_text()) == fresh, "stale: run `uv run python -m costs readme`"


def test_the_readme_says_in_a_sentence_why_each_component_costs_differently_in_each_stack(
    dev_plan: Plan, prod_plan: Plan
) -> None:
    components = {i.component for plan in (dev_plan, prod_plan) for i in estimate(plan, US_EAST_1).items}
    types = {c[c.rindex("(") + 1 : -1] for c in components}
    assert sorted(t for t in types if not WHY_THEY_DIFFER.get(t)) == []


# --- the price file and its refresh -----------------------------------------------------------------------------


def test_every_price_says_where_and_when_it_was_taken() -> None:
    document = json.loads((ROOT / "costs" / "prices" / "us-east-1.json").read_text())
    assert document["region"] == "us-east-1" and document["schema"] == 1
    for key, entry in document["prices"].items():
        assert entry["price"] > 0, key
        assert entry["source"] and entry["taken"], key


def _product(sku: str, usd: str, unit: str = "Hrs", usagetype: str = "BoxUsage:t3.micro") -> str:
    """One PriceList entry as the API returns it: a JSON document in a string."""
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "attributes": {"instanceType": "t3.micro", "regionCode": "us-east-1", "usagetype": usagetype},
                "sku": sku,
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": unit,
                                "endRange": "Inf",
                                "description": f"${usd} per On Demand Linux t3.micro Instance Hour",
                                "appliesTo": [],
                                "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                                "beginRange": "0",
                                "pricePerUnit": {"USD": usd},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


def test_refresh_rebuilds_prices_from_paginated_price_list_answers_and_reports_what_it_could_not() -> None:
    query = {"serviceCode": "AmazonEC2", "filters": {"instanceType": "t3.micro"}, "unit": "Hrs"}
    template: dict[str, Any] = {
        "schema": 1, "region": "us-east-1", "currency": "USD", "taken": "2020-01-01",
        "prices": {
            "ec2.instance.t3.micro": {"price": 0.01, "unit": "hour", "source": "old", "taken": "2020-01-01",
                                      "query": query},
            "ec2.instance.t3.small": {"price": 0.0208, "unit": "hour", "source": "old", "taken": "2020-01-01",
                                      "query": {**query, "filters": {"instanceType": "t3.small"}}},
            "lightsail.bundle.nano_3_0": {"price": 5.0, "unit": "month", "source": "page", "taken": "2020-01-01"},
        },
    }  # fmt: skip
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    expected: dict[str, Any] = {
        "ServiceCode": "AmazonEC2",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "t3.micro"},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    with Stubber(client) as stub:
        # Two pages for t3.micro: the second carries a reserved-only product (no on-demand hours) that is ignored.
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [_product("AAA", "0.0104000000")], "NextToken": "page-2"},
            expected,
        )
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [_product("BBB", "0.0000000000")]},
            {**expected, "NextToken": "page-2"},
        )
        small = {**expected, "Filters": [expected["Filters"][0], {**expected["Filters"][1], "Value": "t3.small"}]}
        stub.add_response(
            "get_products",
            {"FormatVersion": "aws_v1", "PriceList": [_product("CCC", "0.0208"), _product("DDD", "0.0416")]},
            small,
        )
        document, report = refresh(client, template, "us-east-1", "2026-11-25")
        stub.assert_no_pending_responses()

    micro = document["prices"]["ec2.instance.t3.micro"]
    assert micro["price"] == 0.0104 and micro["taken"] == "2026-11-25" and "sku AAA" in micro["source"]
    assert report.changed == ["ec2.instance.t3.micro: 0.01 -> 0.0104"]
    # Two products with different prices: ambiguous, so the old price stays and the problem is reported.
    assert document["prices"]["ec2.instance.t3.small"]["taken"] == "2020-01-01"
    assert any("ec2.instance.t3.small: 2 products" in p for p in report.problems)
    assert any(k.startswith("lightsail.bundle.nano_3_0") for k in report.by_hand)
    assert template["prices"]["ec2.instance.t3.micro"]["price"] == 0.01  # the template is untouched


def test_refresh_for_a_new_region_leaves_out_what_the_price_list_cannot_confirm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    queries = [
        e for e in json.loads((ROOT / "costs/prices/us-east-1.json").read_text())["prices"].values() if "query" in e
    ]
    with Stubber(client) as stub:
        for _ in queries:
            stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []})
        monkeypatch.setattr("costs.__main__.boto3.client", lambda *args, **kwargs: client)
        assert main(["refresh", "--region", "eu-west-3", "--dry-run"]) == 1
    out = capsys.readouterr()
    assert "0 prices refreshed" in out.out
    assert "ec2.instance.t3.micro: no product matched; left out" in out.out
    assert "lightsail.bundle.nano_3_0: no Price List query and no price for eu-west-3" in out.out
    assert "price file is left as it was" in out.err
    assert not (ROOT / "costs/prices/eu-west-3.json").exists()


def test_an_image_pipeline_pays_build_time_per_scheduled_build_and_the_snapshots_it_keeps() -> None:
    def program() -> None:
        recipe = aws.imagebuilder.ImageRecipe(
            "recipe", name="recipe", version="1.0.0", parent_image="arn:aws:imagebuilder:us-east-1:aws:image/x/x.x.x",
            components=[{"component_arn": "arn:c"}],
            block_device_mappings=[{"device_name": "/dev/xvda", "ebs": {"volume_size": 10, "volume_type": "gp3"}}],
        )  # fmt: skip
        infrastructure = aws.imagebuilder.InfrastructureConfiguration(
            "infra", name="infra", instance_profile_name="p", instance_types=["t4g.small"]
        )
        aws.imagebuilder.ImagePipeline(
            "pipeline", name="pipeline", image_recipe_arn=recipe.arn,
            infrastructure_configuration_arn=infrastructure.arn,
            schedule={"schedule_expression": "cron(0 4 ? * MON-FRI *)"},
        )  # fmt: skip

    result = price(program, Assumptions().with_changes({"imagePipeline.buildMinutesPerRun": 60}))
    # Five weekdays a week: 5 x 52.1775 / 12 builds a month, each an hour of t4g.small; 4 images x 10 GB snapshots.
    builds = 5 * 52.1775 / 12
    assert monthly_of(result, "pipeline") == pytest.approx(builds * 0.0168 + 4 * 10 * 0.05)
    assert result.fixed_total == 0
    assert not result.unpriced


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [
        ("cron(0 4 ? * SUN *)", 52.1775 / 12),
        ("cron(0 4 * * ? *)", 365.2425 / 12),
        ("cron(0 */6 * * ? *)", 4 * 365.2425 / 12),
        ("cron(30 2 1,15 * ? *)", 2),
        ("cron(0 0 1 JAN,JUL ? *)", 2 / 12),
    ],
)
def test_scheduled_builds_per_month_follow_the_cron_expression(schedule: str, runs: float) -> None:
    assert cron_runs_per_month(schedule) == pytest.approx(runs)
