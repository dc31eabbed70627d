"""Operations: every part of the stack that can break has alarms that reach the alert topic, and one dashboard.

Each test is a promise about whatever the stack files declare: it walks every queue, function, load balancer,
database, environment, server and NAT gateway of the plan, not a list of the shipped ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.operations.alarms import Watch
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.args import AlertsArgs, WordPressThresholds
from aws_compute_platform.operations.dashboard import StackDashboard
from aws_compute_platform.operations.metrics import TABLE, UnknownMetricError, metric
from aws_compute_platform.operations.watch import ComponentWatch
from aws_compute_platform.operations.wordpress import watch_distribution
from plan import Plan, PlannedResource, run_program
from tests.conftest import DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"


# -- reading the plan -------------------------------------------------------------------------------------------------


def alarms(plan: Plan) -> list[PlannedResource]:
    return plan.of_type(ALARM)


def metrics_of(alarm: PlannedResource) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(namespace, metric name, statistic, dimensions) of each metric an alarm reads, itself or through math."""
    if alarm.get("metricName"):
        statistic = alarm.get("statistic") or alarm.get("extendedStatistic")
        yield alarm.get("namespace"), alarm.get("metricName"), statistic, alarm.get("dimensions") or {}
    for query in alarm.get("metricQueries") or []:
        if "metric" in query:
            m = query["metric"]
            yield m["namespace"], m["metricName"], m["stat"], m.get("dimensions") or {}


def watching(plan: Plan, namespace: str, dimension: str, value: str) -> list[PlannedResource]:
    """The alarms that read a metric of `namespace` whose `dimension` is `value`."""
    return [
        a
        for a in alarms(plan)
        if any(ns == namespace and dims.get(dimension) == value for ns, _, _, dims in metrics_of(a))
    ]


def alert_topic(plan: Plan) -> PlannedResource:
    [topic] = [t for t in plan.of_type(TOPIC) if t.name.endswith("-alerts")]
    return topic


def topic_arn(plan: Plan, topic: PlannedResource) -> str:
    return str(topic.outputs["arn"])


def output(resource: PlannedResource, key: str) -> str:
    return str(resource.outputs.get(key) or resource.inputs.get(key))


# -- every resource that can break is watched -------------------------------------------------------------------------


def test_every_alarm_notifies_the_alert_topic_when_it_fires_and_when_it_recovers(stack_plan: Plan) -> None:
    arn = topic_arn(stack_plan, alert_topic(stack_plan))
    assert alarms(stack_plan)
    for alarm in alarms(stack_plan):
        assert arn in alarm.get("alarmActions"), alarm.name
        assert alarm.get("okActions") == [arn], alarm.name
        assert alarm.get("treatMissingData") in {"missing", "ignore", "breaching", "notBreaching"}
        assert alarm.get("alarmDescription"), alarm.name


def test_every_dead_letter_queue_has_an_alarm_on_any_message(stack_plan: Plan) -> None:
    """Every queue that something fails into: a redrive policy's target, or a function's on-failure destination."""
    queues = stack_plan.of_type("aws:sqs/queue:Queue")
    by_arn = {q.outputs["arn"]: q for q in queues}
    dead = {json.loads(q.get("redrivePolicy"))["deadLetterTargetArn"] for q in queues if q.get("redrivePolicy")}
    dead |= {
        c.get("destinationConfig.onFailure.destination")
        for c in stack_plan.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    }
    assert dead
    for arn in dead:
        name = by_arn[arn].outputs["name"]
        found = [
            a
            for a in watching(stack_plan, "AWS/SQS", "QueueName", name)
            if a.get("metricName") == "ApproximateNumberOfMessagesVisible"
        ]
        assert found, name
        assert all(
            a.get("threshold") == 1 and a.get("comparisonOperator") == "GreaterThanOrEqualToThreshold" for a in found
        )


def test_the_payroll_queue_alarms_when_its_oldest_job_is_older_than_a_job_may_run(stack_plan: Plan) -> None:
    environments = stack_plan.of_type("aws:elasticbeanstalk/environment:Environment")
    worker = next(e for e in environments if e.get("tier") == "Worker")
    timeout = next(
        int(s["value"])
        for s in worker.get("settings")
        if s["namespace"] == "aws:elasticbeanstalk:sqsd" and s["name"] == "InactivityTimeout"
    )
    queue_url = next(s["value"] for s in worker.get("settings") if s["name"] == "WorkerQueueURL")
    queue = next(q for q in stack_plan.of_type("aws:sqs/queue:Queue") if q.outputs["url"] == queue_url)
    [age] = [
        a
        for a in watching(stack_plan, "AWS/SQS", "QueueName", queue.outputs["name"])
        if a.get("metricName") == "ApproximateAgeOfOldestMessage"
    ]
    assert age.get("threshold") == timeout


def test_every_function_has_an_errors_and_a_throttles_alarm(stack_plan: Plan) -> None:
    functions = stack_plan.of_type("aws:lambda/function:Function")
    assert functions
    for function in functions:
        watched = {
            a.get("metricName") for a in watching(stack_plan, "AWS/Lambda", "FunctionName", output(function, "name"))
        }
        assert {"Errors", "Throttles"} <= watched, function.name


def test_every_load_balancer_has_5xx_rate_host_and_latency_alarms(stack_plan: Plan) -> None:
    for lb in stack_plan.of_type("aws:lb/loadBalancer:LoadBalancer"):
        read = {
            name
            for a in watching(stack_plan, "AWS/ApplicationELB", "LoadBalancer", lb.outputs["arnSuffix"])
            for _, name, _, _ in metrics_of(a)
        }
        assert {
            "HTTPCode_Target_5XX_Count",
            "HTTPCode_ELB_5XX_Count",
            "RequestCount",
            "UnHealthyHostCount",
            "HealthyHostCount",
            "TargetResponseTime",
        } <= read, lb.name


def test_5xx_alarms_are_rates_of_requests_that_ignore_a_quiet_period(stack_plan: Plan) -> None:
    rates = [a for a in alarms(stack_plan) if "5xx-rate" in a.get("name")]
    assert rates
    for alarm in rates:
        [expression] = [q["expression"] for q in alarm.get("metricQueries") if q.get("returnData")]
        assert "100 *" in expression and "IF(" in expression
        assert {name for _, name, _, _ in metrics_of(alarm)} & {"RequestCount", "Requests"}


def test_every_database_is_watched_for_cpu_storage_memory_and_connections(stack_plan: Plan) -> None:
    databases = stack_plan.of_type("aws:rds/instance:Instance")
    for db in databases:
        watched = {
            a.get("metricName")
            for a in watching(stack_plan, "AWS/RDS", "DBInstanceIdentifier", db.outputs["identifier"])
        }
        assert watched == {"CPUUtilization", "FreeStorageSpace", "FreeableMemory", "DatabaseConnections"}, db.name


def test_every_beanstalk_environment_alarms_on_its_health(stack_plan: Plan) -> None:
    for env in stack_plan.of_type("aws:elasticbeanstalk/environment:Environment"):
        [health] = watching(stack_plan, "AWS/ElasticBeanstalk", "EnvironmentName", env.get("name"))
        assert health.get("metricName") == "EnvironmentHealth"
        assert health.get("threshold") == 20  # Degraded (20) and Severe (25)


def test_every_beanstalk_environment_publishes_its_request_metrics(stack_plan: Plan) -> None:
    """EnvironmentHealth comes with enhanced health; the dashboard's request counts need the ConfigDocument."""
    for env in stack_plan.of_type("aws:elasticbeanstalk/environment:Environment"):
        options = {(s["namespace"], s["name"]): s["value"] for s in env.get("settings")}
        assert options[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] == "enhanced"
        document = json.loads(options[("aws:elasticbeanstalk:healthreporting:system", "ConfigDocument")])
        assert document["Version"] == 1
        published = document["CloudWatchMetrics"]["Environment"]
        assert set(published.values()) == {60}  # the only period Elastic Beanstalk supports
        assert all(("AWS/ElasticBeanstalk", name) in TABLE for name in published)


def test_every_server_recovers_from_a_failed_system_check_and_reports_a_failed_instance_check(
    stack_plan: Plan,
) -> None:
    for server in stack_plan.of_type("aws:ec2/instance:Instance"):
        found = {
            a.get("metricName"): a for a in watching(stack_plan, "AWS/EC2", "InstanceId", stack_plan.id_of(server))
        }
        assert set(found) == {"StatusCheckFailed_System", "StatusCheckFailed_Instance"}, server.name
        assert "arn:aws:automate:us-east-1:ec2:recover" in found["StatusCheckFailed_System"].get("alarmActions")
        assert not any(":ec2:" in a for a in found["StatusCheckFailed_Instance"].get("alarmActions"))


def test_every_nat_gateway_is_watched_for_port_allocation_errors_and_dropped_packets(stack_plan: Plan) -> None:
    nats = stack_plan.of_type("aws:ec2/natGateway:NatGateway")
    # The shipped dev stack has none (test_without_nat_gateways_there_are_no_nat_alarms); prod one per zone.
    for nat in nats:
        watched = {
            a.get("metricName") for a in watching(stack_plan, "AWS/NATGateway", "NatGatewayId", stack_plan.id_of(nat))
        }
        assert watched == {"ErrorPortAllocation", "PacketsDropCount"}, nat.name


def test_without_nat_gateways_there_are_no_nat_alarms(plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("dev", DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS)
    assert not plan.of_type("aws:ec2/natGateway:NatGateway")
    assert not [a for a in alarms(plan) if any(ns == "AWS/NATGateway" for ns, *_ in metrics_of(a))]


def test_the_orders_table_and_api_are_watched(stack_plan: Plan) -> None:
    for table in stack_plan.of_type("aws:dynamodb/table:Table"):
        [throttled] = watching(stack_plan, "AWS/DynamoDB", "TableName", output(table, "name"))
        read = {(name, "GlobalSecondaryIndexName" in dims) for _, name, _, dims in metrics_of(throttled)}
        assert read == {(m, gsi) for m in ("ReadThrottleEvents", "WriteThrottleEvents") for gsi in (False, True)}
    for api in stack_plan.of_type("aws:apigatewayv2/api:Api"):
        watched = {a.get("metricName") for a in watching(stack_plan, "AWS/ApiGateway", "ApiId", stack_plan.id_of(api))}
        assert "5xx" in watched


# -- every metric is one the service documents, of a resource of the stack -------------------------------------------


def stack_names(plan: Plan) -> dict[str, set[str]]:
    """The values each dimension may take: the identifiers of the stack's own resources."""

    def outs(type_: str, key: str) -> set[str]:
        return {str(r.outputs.get(key)) for r in plan.of_type(type_)}

    def ids(type_: str) -> set[str]:
        return {plan.id_of(r) for r in plan.of_type(type_)}

    return {
        "LoadBalancer": outs("aws:lb/loadBalancer:LoadBalancer", "arnSuffix"),
        "TargetGroup": outs("aws:lb/targetGroup:TargetGroup", "arnSuffix"),
        "DBInstanceIdentifier": outs("aws:rds/instance:Instance", "identifier"),
        "QueueName": outs("aws:sqs/queue:Queue", "name"),
        "FunctionName": outs("aws:lambda/function:Function", "name"),
        "ApiId": ids("aws:apigatewayv2/api:Api"),
        "Stage": outs("aws:apigatewayv2/stage:Stage", "name"),
        "TableName": outs("aws:dynamodb/table:Table", "name"),
        "GlobalSecondaryIndexName": {
            i["name"] for t in plan.of_type("aws:dynamodb/table:Table") for i in t.get("globalSecondaryIndexes") or []
        },
        "InstanceId": ids("aws:ec2/instance:Instance"),
        "NatGatewayId": ids("aws:ec2/natGateway:NatGateway"),
        "EnvironmentName": outs("aws:elasticbeanstalk/environment:Environment", "name"),
        "AutoScalingGroupName": outs("aws:autoscaling/group:Group", "name"),
        "FileSystemId": ids("aws:efs/fileSystem:FileSystem"),
    }


def assert_documented_metric_of_the_stack(plan: Plan, read: tuple[str, str, str, dict[str, Any]], where: str) -> None:
    namespace, name, statistic, dimensions = read
    spec = TABLE.get((namespace, name))
    assert spec is not None, f"{where}: {namespace} {name} is not in the metric table"
    assert statistic in spec.statistics, f"{where}: {statistic} of {name}"
    assert frozenset(dimensions) in spec.dimension_sets, f"{where}: {sorted(dimensions)} for {name}"
    names = stack_names(plan)
    for key, value in dimensions.items():
        assert value in names[key], f"{where}: {key}={value!r} names no resource of the stack"


def test_every_alarm_reads_documented_metrics_of_the_stacks_own_resources(stack_plan: Plan) -> None:
    for alarm in alarms(stack_plan):
        read = list(metrics_of(alarm))
        assert read, alarm.name
        for namespace, name, statistic, dimensions in read:
            assert_documented_metric_of_the_stack(stack_plan, (namespace, name, statistic, dimensions), alarm.name)


def test_alarm_names_say_which_stack_and_what_broke(stack_plan: Plan) -> None:
    names = [a.get("name") for a in alarms(stack_plan)]
    assert len(names) == len(set(names))
    assert all(n.startswith(f"aws-compute-platform-{stack_plan.stack}-") for n in names)


def test_the_table_refuses_a_metric_statistic_or_dimension_the_docs_do_not_list() -> None:
    with pytest.raises(UnknownMetricError):
        metric("AWS/SQS", "ApproximateNumberOfMessages Visible")
    with pytest.raises(UnknownMetricError):
        Watch("AWS/SQS", "ApproximateAgeOfOldestMessage", "Sum", {"QueueName": "q"})
    with pytest.raises(UnknownMetricError):
        Watch("AWS/Lambda", "Errors", "Sum", {"Function": "f"})


# -- the topic ---------------------------------------------------------------------------------------------------------


def test_the_alert_topic_is_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    [key] = stack_plan.of_type("aws:kms/key:Key")
    for topic in stack_plan.of_type(TOPIC):
        assert topic.get("kmsMasterKeyId") == key.outputs["arn"], topic.name


def test_the_stack_key_lets_cloudwatch_alarms_publish_to_encrypted_topics_of_this_account(stack_plan: Plan) -> None:
    [key] = stack_plan.of_type("aws:kms/key:Key")
    statements = json.loads(key.get("policy"))["Statement"]
    [cloudwatch] = [s for s in statements if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_only_this_accounts_alarms_may_publish_to_the_alert_topic(stack_plan: Plan) -> None:
    topic = alert_topic(stack_plan)
    [policy] = [
        p for p in stack_plan.of_type("aws:sns/topicPolicy:TopicPolicy") if p.get("arn") == topic_arn(stack_plan, topic)
    ]
    statements = json.loads(policy.get("policy"))["Statement"]
    [alarms_may] = [s for s in statements if s.get("Principal", {}) != "*" and s["Principal"].get("Service")]
    assert alarms_may["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms_may["Action"] == "sns:Publish"
    assert alarms_may["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert alarms_may["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}
    assert not any(s["Effect"] == "Allow" and s["Principal"] == "*" for s in statements)


def configured(stack: str) -> dict[str, Any]:
    from plan import load_stack_config

    _, config, _ = load_stack_config(stack)
    return dict(json.loads(config["aws-compute-platform:alerts"]))


def subscribed(plan: Plan, topic: PlannedResource) -> list[str]:
    arn = topic_arn(plan, topic)
    subscriptions = [s for s in plan.of_type("aws:sns/topicSubscription:TopicSubscription") if s.get("topic") == arn]
    assert all(s.get("protocol") == "email" for s in subscriptions)
    return sorted(s.get("endpoint") for s in subscriptions)


def test_the_subscriptions_are_the_configured_addresses(stack_plan: Plan) -> None:
    alerts = configured(stack_plan.stack)
    assert subscribed(stack_plan, alert_topic(stack_plan)) == sorted(alerts["emails"])
    [approvers] = [t for t in stack_plan.of_type(TOPIC) if t.name.endswith("-approvers")]
    assert subscribed(stack_plan, approvers) == sorted(alerts["approverEmails"])


def test_addresses_are_validated_on_both_paths() -> None:
    key = "aws-compute-platform:alerts.emails"
    with pytest.raises(SettingsError) as from_config:
        AlertsArgs.from_config({"emails": ["ops@example.org", "not an address"]})
    with pytest.raises(SettingsError) as in_python:
        AlertsArgs(emails=("ops@example.org", "not an address"))
    assert [p.key for p in from_config.value.problems] == [key] == [p.key for p in in_python.value.problems]
    with pytest.raises(SettingsError, match="twice"):
        AlertsArgs(approver_emails=("a@example.org", "A@example.org"))


# -- reminders reach the approvers ------------------------------------------------------------------------------------


def test_only_the_reminder_function_may_publish_to_the_approvers_topic(stack_plan: Plan) -> None:
    [approvers] = [t for t in stack_plan.of_type(TOPIC) if t.name.endswith("-approvers")]
    arn = topic_arn(stack_plan, approvers)
    for function in stack_plan.of_type("aws:lambda/function:Function"):
        reminds = function.get("handler") == "orders_api.handlers.remind_pending"
        assert (function.get("environment.variables.APPROVERS_TOPIC_ARN") == arn) is reminds, function.name
    publishers = []
    for policy in stack_plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.get("policy"))["Statement"]:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            if any(a.startswith("sns:") for a in actions):
                assert actions == ["sns:Publish"] and statement["Resource"] == arn
                publishers.append(policy.name)
    assert len(publishers) == 1 and "remindPending" in publishers[0]


# -- the dashboard -----------------------------------------------------------------------------------------------------


def dashboard_body(plan: Plan) -> dict[str, Any]:
    [board] = plan.of_type("aws:cloudwatch/dashboard:Dashboard")
    return dict(json.loads(board.get("dashboardBody")))


def dashboard(plan: Plan) -> dict[str, Any]:
    [board] = plan.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert board.get("dashboardName") == f"aws-compute-platform-{plan.stack}"
    return dashboard_body(plan)


def test_the_dashboard_draws_only_documented_metrics_of_the_stack(stack_plan: Plan) -> None:
    widgets = [w for w in dashboard(stack_plan)["widgets"] if w["type"] == "metric"]
    assert widgets
    for widget in widgets:
        for row in widget["properties"]["metrics"]:
            namespace, name, *pairs, rendering = row
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            where = widget["properties"]["title"]
            read = (namespace, name, rendering["stat"], dimensions)
            assert_documented_metric_of_the_stack(stack_plan, read, where)


def test_the_dashboard_has_a_row_per_component_and_stays_on_the_grid(stack_plan: Plan) -> None:
    widgets = dashboard(stack_plan)["widgets"]
    headings = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    expected = {"## WordPress", "## Payroll", "## Purchase orders"}
    if stack_plan.of_type("aws:ec2/natGateway:NatGateway"):  # the network's row watches its NAT gateways
        expected.add("## Network")
    expected |= {
        f"## Server {s.get('tags')['Name'].split('-')[-1]}" for s in stack_plan.of_type("aws:ec2/instance:Instance")
    }
    assert set(headings) == expected
    cells = set()
    for w in widgets:
        assert w["x"] >= 0 and w["x"] + w["width"] <= 24
        for dx in range(w["width"]):
            for dy in range(w["height"]):
                assert (w["x"] + dx, w["y"] + dy) not in cells, "widgets overlap"
                cells.add((w["x"] + dx, w["y"] + dy))


def test_the_dashboard_url_is_exported(stack_plan: Plan) -> None:
    url = stack_plan.outputs["dashboardUrl"]
    assert url.endswith(f"#dashboards/dashboard/aws-compute-platform-{stack_plan.stack}")
    assert "region=us-east-1" in url


def test_a_disabled_component_has_no_alarms_and_no_row(plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("dev", DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS)  # the orders API is off
    assert not [a for a in alarms(plan) if "-orders-" in a.get("name")]
    headings = [w["properties"]["markdown"] for w in dashboard(plan)["widgets"] if w["type"] == "text"]
    assert "## Purchase orders" not in headings
    assert not [t for t in plan.of_type(TOPIC) if t.name.endswith("-approvers")]


# -- the CDN, once the fleet has a distribution ---------------------------------------------------------------------


def _distribution_watch(region: str) -> Plan:
    def program() -> None:
        topic = AlertTopic("alerts", emails=["ops@example.org"], key_arn="arn:aws:kms:us-east-1:1:key/k", tags={})
        watch = ComponentWatch("WordPressWatch", "site", topic=topic, tags={})
        watch_distribution(watch, "E2EXAMPLE", WordPressThresholds(), region=region)
        StackDashboard("board", [watch], region=region)

    return run_program(program, config={"aws:region": region})


def test_a_distribution_gets_a_5xx_rate_alarm_in_us_east_1_where_its_metrics_are() -> None:
    plan = _distribution_watch("us-east-1")
    [alarm] = alarms(plan)
    assert (alarm.get("namespace"), alarm.get("metricName")) == ("AWS/CloudFront", "5xxErrorRate")
    assert alarm.get("dimensions") == {"DistributionId": "E2EXAMPLE", "Region": "Global"}
    assert alarm.get("threshold") == WordPressThresholds().cdn_error_rate_percent


def test_outside_us_east_1_the_distribution_is_drawn_but_not_alarmed_and_the_program_says_so() -> None:
    plan = _distribution_watch("eu-west-1")
    assert not alarms(plan)
    assert any("CloudFront" in w for w in plan.warnings)
    [graph] = [w for w in dashboard_body(plan)["widgets"] if w["type"] == "metric"]
    assert graph["properties"]["region"] == "us-east-1"
