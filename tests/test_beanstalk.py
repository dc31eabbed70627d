"""BeanstalkApp: a web tier and a worker tier that reads our own queue, each with only the options it may have."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic.alias_generators import to_snake

from aws_compute_platform.beanstalk.application import APP_DIR, bundle_contents, source_files, source_hash
from aws_compute_platform.beanstalk.args import (
    MAX_JOB_TIMEOUT_MINUTES,
    SQSD_MAX_INACTIVITY_S,
    SQSD_MAX_VISIBILITY_S,
    BeanstalkArgs,
    WorkerTierArgs,
)
from aws_compute_platform.beanstalk.options import DOCUMENTED_OPTIONS, ENVIRONMENT_PROPERTIES, LOAD_BALANCER_OPTIONS
from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.settings import Settings, parse_settings
from plan import Plan, PlannedResource
from tests.conftest import DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS, build_stack, dev_in_six_zones, dev_with_a_domain
from tests.yaml_loader import load_yaml

BEANSTALK = "aws-compute-platform:beanstalk"
ENVIRONMENT = "aws:elasticbeanstalk/environment:Environment"
QUEUE = "aws:sqs/queue:Queue"
ROOT = Path(__file__).resolve().parent.parent


def stack_config(stack: str) -> dict[str, Any]:
    config: dict[str, Any] = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"][BEANSTALK]
    return config


def environment(plan: Plan, tier: str) -> PlannedResource:
    found = [e for e in plan.of_type(ENVIRONMENT) if e.inputs["tier"] == tier]
    assert len(found) == 1, f"expected one {tier} environment"
    return found[0]


def options(env: PlannedResource) -> dict[tuple[str, str], Any]:
    settings = env.inputs["settings"]
    keys = [(s["namespace"], s["name"]) for s in settings]
    assert len(keys) == len(set(keys)), "an option is set twice"
    return {(s["namespace"], s["name"]): s["value"] for s in settings}


def sqsd(env: PlannedResource, name: str) -> Any:
    return options(env)[("aws:elasticbeanstalk:sqsd", name)]


def queue_named(plan: Plan, suffix: str) -> PlannedResource:
    return next(q for q in plan.of_type(QUEUE) if q.name.endswith(suffix))


def uploads_bucket(plan: Plan) -> PlannedResource:
    return next(b for b in plan.of_type("aws:s3/bucket:Bucket") if b.name.endswith("-payroll-uploads"))


def attached_to(plan: Plan, type_: str, bucket: PlannedResource) -> PlannedResource:
    return next(r for r in plan.of_type(type_) if r.inputs.get("bucket") == plan.id_of(bucket))


# -- two environments, two tiers ---------------------------------------------------------------------------------------
def test_there_is_a_web_environment_and_a_worker_environment_running_the_same_version(stack_plan: Plan) -> None:
    envs = stack_plan.of_type(ENVIRONMENT)
    assert sorted(e.inputs["tier"] for e in envs) == ["WebServer", "Worker"]
    [version] = stack_plan.of_type("aws:elasticbeanstalk/applicationVersion:ApplicationVersion")
    [app] = stack_plan.of_type("aws:elasticbeanstalk/application:Application")
    for env in envs:
        assert env.inputs["version"] == version.inputs["name"]
        assert env.inputs["application"] == app.outputs["name"]
        assert env.inputs["solutionStackName"] == "64bit Amazon Linux 2023 v4.7.2 running Python 3.12"
        assert 4 <= len(env.inputs["name"]) <= 40 and re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]", env.inputs["name"]
        )
    assert "cnamePrefix" not in environment(stack_plan, "Worker").inputs


def test_both_tiers_use_launch_templates_with_imdsv2_only_and_gp3_root_volumes(stack_plan: Plan) -> None:
    for env in stack_plan.of_type(ENVIRONMENT):
        opts = options(env)
        assert opts[("aws:autoscaling:launchconfiguration", "DisableIMDSv1")] == "true"
        assert opts[("aws:autoscaling:launchconfiguration", "RootVolumeType")] == "gp3"
        assert opts[("aws:ec2:instances", "InstanceTypes")] == stack_config(stack_plan.stack)["instanceType"]
        assert opts[("aws:ec2:instances", "SupportedArchitectures")] == "arm64"


def test_the_web_tier_has_an_application_load_balancer_in_public_subnets_and_instances_in_private_ones(
    prod_plan: Plan,
) -> None:
    # prod's shape, unchanged; dev's web tier is a single instance instead (test_dev_cost.py).
    opts = options(environment(prod_plan, "WebServer"))
    subnets = {tier: [] for tier in ("public", "private")}  # type: dict[str, list[str]]
    for subnet in prod_plan.of_type("aws:ec2/subnet:Subnet"):
        if subnet.inputs["tags"]["Tier"] in subnets:
            subnets[subnet.inputs["tags"]["Tier"]].append(prod_plan.id_of(subnet))
    assert opts[("aws:elasticbeanstalk:environment", "LoadBalancerType")] == "application"
    assert opts[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced"
    assert sorted(opts[("aws:ec2:vpc", "ELBSubnets")].split(",")) == sorted(subnets["public"])
    assert sorted(opts[("aws:ec2:vpc", "Subnets")].split(",")) == sorted(subnets["private"])
    assert opts[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "false"
    assert opts[("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath")] == "/health"


def test_the_worker_tier_has_no_load_balancer_option_at_all(stack_plan: Plan) -> None:
    opts = options(environment(stack_plan, "Worker"))
    assert not [k for k in opts if k[0].startswith(("aws:elb:", "aws:elbv2:"))]
    assert not [k for k in opts if k[0].startswith("aws:elasticbeanstalk:environment:process")]
    assert not LOAD_BALANCER_OPTIONS & set(opts)


def test_each_tier_gets_only_its_own_options(stack_plan: Plan) -> None:
    web, worker = options(environment(stack_plan, "WebServer")), options(environment(stack_plan, "Worker"))
    assert not [k for k in web if k[0] == "aws:elasticbeanstalk:sqsd"]
    assert [k for k in worker if k[0] == "aws:elasticbeanstalk:sqsd"]
    load_balanced = web[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced"
    assert set(web) >= LOAD_BALANCER_OPTIONS if load_balanced else not LOAD_BALANCER_OPTIONS & set(web)
    shared = set(web) & set(worker)
    assert ("aws:autoscaling:asg", "MinSize") in shared and ("aws:ec2:vpc", "Subnets") in shared


def test_every_option_is_one_elastic_beanstalk_documents(stack_plan: Plan) -> None:
    for env in stack_plan.of_type(ENVIRONMENT):
        for namespace, name in options(env):
            if namespace == ENVIRONMENT_PROPERTIES:
                assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), name
                continue
            assert name in DOCUMENTED_OPTIONS.get(namespace, frozenset()), f"{env.inputs['tier']}: {namespace} {name}"


def test_option_values_are_strings_with_lowercase_booleans_and_no_resource_field(stack_plan: Plan) -> None:
    for env in stack_plan.of_type(ENVIRONMENT):
        for setting in env.inputs["settings"]:
            assert isinstance(setting["value"], str) and setting["value"], setting
            assert setting["value"] not in ("True", "False", "TRUE", "FALSE"), setting
            # `resource` is only for scheduled actions; anywhere else it never reads back and diffs forever.
            assert not setting.get("resource"), setting


def test_sizes_come_from_the_stack_file(stack_plan: Plan) -> None:
    config = stack_config(stack_plan.stack)
    for tier, section in (("WebServer", "web"), ("Worker", "worker")):
        opts = options(environment(stack_plan, tier))
        assert opts[("aws:autoscaling:asg", "MinSize")] == str(config[section]["minSize"])
        assert opts[("aws:autoscaling:asg", "MaxSize")] == str(config[section]["maxSize"])


def test_both_tiers_report_enhanced_health_take_managed_updates_and_stream_logs(stack_plan: Plan) -> None:
    days = {"dev": "14", "prod": "90"}[stack_plan.stack]
    for env in stack_plan.of_type(ENVIRONMENT):
        opts = options(env)
        assert opts[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] == "enhanced"
        assert opts[("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled")] == "true"
        assert re.fullmatch(
            r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):\d\d:\d\d",
            opts[("aws:elasticbeanstalk:managedactions", "PreferredStartTime")],
        )
        assert opts[("aws:elasticbeanstalk:cloudwatch:logs", "StreamLogs")] == "true"
        assert opts[("aws:elasticbeanstalk:cloudwatch:logs", "RetentionInDays")] == days
        # Prod keeps an environment's logs after it is terminated; dev cleans up.
        kept = opts[("aws:elasticbeanstalk:cloudwatch:logs", "DeleteOnTerminate")] == "false"
        assert kept == (stack_plan.stack == "prod")


# -- the queue ---------------------------------------------------------------------------------------------------------
def test_the_worker_reads_our_queue_which_dead_letters_after_as_many_receives_as_sqsd_retries(stack_plan: Plan) -> None:
    worker = environment(stack_plan, "Worker")
    queue, dlq = queue_named(stack_plan, "-payroll-jobs"), queue_named(stack_plan, "-payroll-jobs-dlq")
    assert sqsd(worker, "WorkerQueueURL") == queue.outputs["url"]
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq.outputs["arn"]
    assert redrive["maxReceiveCount"] == int(sqsd(worker, "MaxRetries"))
    assert redrive["maxReceiveCount"] == stack_config(stack_plan.stack)["worker"]["maxReceiveCount"]
    assert dlq.inputs["messageRetentionSeconds"] == 1_209_600
    assert int(sqsd(worker, "RetentionPeriod")) == queue.inputs["messageRetentionSeconds"]
    for q in (queue, dlq):
        assert q.inputs["kmsMasterKeyId"] == stack_plan.outputs["kmsKeyArn"]


def test_the_web_tier_is_told_the_queue_and_the_bucket(stack_plan: Plan) -> None:
    opts = options(environment(stack_plan, "WebServer"))
    assert opts[(ENVIRONMENT_PROPERTIES, "JOBS_QUEUE_URL")] == queue_named(stack_plan, "-payroll-jobs").outputs["url"]
    assert opts[(ENVIRONMENT_PROPERTIES, "UPLOADS_BUCKET")] == uploads_bucket(stack_plan).outputs["bucket"]


def test_long_jobs_are_neither_cut_short_nor_handed_to_a_second_worker(stack_plan: Plan) -> None:
    """The app stops a job before sqsd stops waiting, and sqsd stops waiting before SQS hands the message on."""
    worker = environment(stack_plan, "Worker")
    visibility, inactivity = int(sqsd(worker, "VisibilityTimeout")), int(sqsd(worker, "InactivityTimeout"))
    job = int(options(worker)[(ENVIRONMENT_PROPERTIES, "JOB_TIMEOUT_SECONDS")])
    assert job == stack_config(stack_plan.stack)["worker"]["jobTimeoutMinutes"] * 60
    assert 0 < job < inactivity < visibility
    # sqsd's own limits (aws:elasticbeanstalk:sqsd): InactivityTimeout 1-36000 s, VisibilityTimeout 0-43200 s.
    assert inactivity <= SQSD_MAX_INACTIVITY_S and visibility <= SQSD_MAX_VISIBILITY_S
    assert visibility == queue_named(stack_plan, "-payroll-jobs").inputs["visibilityTimeoutSeconds"]
    gunicorn = (APP_DIR / "gunicorn.conf.py").read_text()
    assert 'timeout = int(os.environ.get("JOB_TIMEOUT_SECONDS"' in gunicorn
    assert "--config gunicorn.conf.py" in (APP_DIR / "Procfile").read_text()
    assert job <= app_limit("MAX_JOB_TIMEOUT_S")
    assert nginx_read_timeout() >= inactivity
    assert int(sqsd(worker, "HttpConnections")) == int(options(worker)[(ENVIRONMENT_PROPERTIES, "GUNICORN_WORKERS")])
    assert sqsd(worker, "HttpPath") == "/tasks/payroll"


def test_the_shipped_stacks_give_the_half_hour_payroll_job_time_to_finish(stack_plan: Plan) -> None:
    job = int(options(environment(stack_plan, "Worker"))[(ENVIRONMENT_PROPERTIES, "JOB_TIMEOUT_SECONDS")])
    assert job > 30 * 60


def test_the_web_tier_answers_a_request_within_two_minutes(stack_plan: Plan) -> None:
    assert options(environment(stack_plan, "WebServer"))[(ENVIRONMENT_PROPERTIES, "JOB_TIMEOUT_SECONDS")] == "120"


def test_the_longest_job_allowed_still_fits_within_sqsd_and_the_app() -> None:
    worker = WorkerTierArgs(job_timeout_minutes=MAX_JOB_TIMEOUT_MINUTES)
    assert worker.job_timeout_s <= app_limit("MAX_JOB_TIMEOUT_S")
    assert worker.job_timeout_s < worker.inactivity_timeout_s <= SQSD_MAX_INACTIVITY_S
    assert worker.inactivity_timeout_s < worker.visibility_timeout_s <= SQSD_MAX_VISIBILITY_S
    assert worker.inactivity_timeout_s <= nginx_read_timeout()
    # One more minute and sqsd could no longer wait for it.
    assert (MAX_JOB_TIMEOUT_MINUTES + 1) * 60 + 60 > SQSD_MAX_INACTIVITY_S
    [found] = from_both_paths({**GOOD, "worker": {"jobTimeoutMinutes": MAX_JOB_TIMEOUT_MINUTES + 1}})
    assert found.key == f"{BEANSTALK}.worker.jobTimeoutMinutes"


def test_by_default_a_job_may_run_45_minutes() -> None:
    assert WorkerTierArgs().job_timeout_minutes == 45
    assert BeanstalkArgs.from_config(GOOD).worker.job_timeout_s == 45 * 60


def test_the_retired_visibility_timeout_is_refused_with_what_replaced_it() -> None:
    found = from_both_paths({**GOOD, "worker": {"visibilityTimeout": 1800, "minSize": 3}})
    by_key = {p.key: p.problem for p in found}
    assert "jobTimeoutMinutes" in by_key[f"{BEANSTALK}.worker.visibilityTimeout"]
    assert "no longer a setting" in by_key[f"{BEANSTALK}.worker.visibilityTimeout"]
    # Every other problem of the section is still reported with it.
    assert "must not exceed worker.maxSize" in by_key[f"{BEANSTALK}.worker.minSize"]


def test_the_worker_knows_how_many_deliveries_a_job_gets(stack_plan: Plan) -> None:
    """MAX_RECEIVE_COUNT lets the app recognise the last attempt and email the uploader that the job failed."""
    worker = environment(stack_plan, "Worker")
    redrive = json.loads(queue_named(stack_plan, "-payroll-jobs").inputs["redrivePolicy"])
    told = options(worker)[(ENVIRONMENT_PROPERTIES, "MAX_RECEIVE_COUNT")]
    assert int(told) == redrive["maxReceiveCount"] == int(sqsd(worker, "MaxRetries"))
    assert (ENVIRONMENT_PROPERTIES, "MAX_RECEIVE_COUNT") not in options(environment(stack_plan, "WebServer"))


def app_limit(name: str) -> int:
    """A whole-number constant of gunicorn.conf.py, also when assigned with others (`LOW, HIGH = 10, 35_999`)."""
    for line in (APP_DIR / "gunicorn.conf.py").read_text().splitlines():
        assigned = re.fullmatch(r"([A-Z_, ]+) = ([\d_, ]+)", line.strip())
        if assigned:
            names = [n.strip() for n in assigned.group(1).split(",")]
            values = [int(v.strip().replace("_", "")) for v in assigned.group(2).split(",")]
            if name in names:
                return values[names.index(name)]
    raise AssertionError(f"gunicorn.conf.py sets no {name}")


def nginx_read_timeout() -> int:
    nginx = (APP_DIR / ".platform" / "nginx" / "conf.d" / "payroll.conf").read_text()
    found = re.search(r"^proxy_read_timeout (\d+)s;", nginx, re.MULTILINE)
    assert found
    return int(found.group(1))


# -- updates -----------------------------------------------------------------------------------------------------------
ROLLING = "aws:autoscaling:updatepolicy:rollingupdate"


def test_configuration_and_platform_changes_replace_instances_in_healthy_batches(stack_plan: Plan) -> None:
    config = stack_config(stack_plan.stack)
    for tier, section in (("WebServer", "web"), ("Worker", "worker")):
        opts = options(environment(stack_plan, tier))
        assert opts[(ROLLING, "RollingUpdateEnabled")] == "true"
        if opts.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance":
            # One instance: a new one passes its health checks before the old one goes (no batches to roll).
            assert opts[(ROLLING, "RollingUpdateType")] == "Immutable"
            assert opts[("aws:elasticbeanstalk:command", "DeploymentPolicy")] == "Immutable"
            continue
        assert opts[(ROLLING, "RollingUpdateType")] == "Health"
        assert int(opts[(ROLLING, "MaxBatchSize")]) == config[section].get("updateBatchSize", 1)
        low, high = int(opts[("aws:autoscaling:asg", "MinSize")]), int(opts[("aws:autoscaling:asg", "MaxSize")])
        in_service = int(opts[(ROLLING, "MinInstancesInService")])
        # Elastic Beanstalk's own rule: at most MinSize, and below MaxSize so a batch can be replaced at all.
        assert in_service == min(low, high - 1)
        assert 1 <= int(opts[(ROLLING, "MaxBatchSize")]) <= high


def test_prod_keeps_web_instances_serving_while_a_batch_is_replaced(prod_plan: Plan) -> None:
    assert int(options(environment(prod_plan, "WebServer"))[(ROLLING, "MinInstancesInService")]) >= 1


def test_a_batch_larger_than_the_tier_is_refused() -> None:
    [found] = from_both_paths({**GOOD, "web": {"maxSize": 2, "updateBatchSize": 3}})
    assert (found.key, found.problem) == (f"{BEANSTALK}.web.updateBatchSize", "must not exceed web.maxSize (2)")


def test_managed_updates_run_as_the_stacks_own_service_role_and_need_no_account_wide_role(stack_plan: Plan) -> None:
    role = next(r for r in stack_plan.of_type("aws:iam/role:Role") if r.name.endswith("-payroll-service"))
    for env in stack_plan.of_type(ENVIRONMENT):
        opts = options(env)
        assert opts[("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled")] == "true"
        assert opts[("aws:elasticbeanstalk:managedactions", "ServiceRoleForManagedUpdates")] == role.outputs["name"]
    # The service-linked role is one per account: a second stack creating it would fail, so none creates it.
    assert not stack_plan.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")


# -- scaling -----------------------------------------------------------------------------------------------------------
POLICY = "aws:autoscaling/policy:Policy"


def test_the_worker_tier_scales_on_its_queue_backlog_per_instance(stack_plan: Plan) -> None:
    worker = environment(stack_plan, "Worker")
    [group] = worker.outputs["autoscalingGroups"]
    [policy] = [p for p in stack_plan.of_type(POLICY) if p.inputs["autoscalingGroupName"] == group]
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    tracking = policy.inputs["targetTrackingConfiguration"]
    assert tracking["targetValue"] == stack_config(stack_plan.stack)["worker"]["backlogPerInstance"]
    assert not tracking.get("disableScaleIn")
    metrics = {m["id"]: m for m in tracking["customizedMetricSpecification"]["metrics"]}
    [returned] = [m for m in metrics.values() if m.get("returnData", True)]
    queue_name = queue_named(stack_plan, "-payroll-jobs").outputs["name"]
    stats = {
        m["metricStat"]["metric"]["metricName"]: (m["id"], m["metricStat"]["metric"]["dimensions"])
        for m in metrics.values()
        if "metricStat" in m
    }
    waiting, waiting_on = stats["ApproximateNumberOfMessagesVisible"]
    running, running_on = stats["ApproximateNumberOfMessagesNotVisible"]
    instances, counted_on = stats["GroupInServiceInstances"]
    assert waiting_on == running_on == [{"name": "QueueName", "value": queue_name}]
    assert counted_on == [{"name": "AutoScalingGroupName", "value": group}]
    assert returned["expression"].replace(" ", "") == f"({waiting}+{running})/{instances}"


def test_the_worker_group_publishes_the_instance_count_the_policy_divides_by() -> None:
    bundle = bundle_contents()
    config = json.loads(bundle[".ebextensions/group-metrics.config"])
    group = config["Resources"]["AWSEBAutoScalingGroup"]
    assert group["Type"] == "AWS::AutoScaling::AutoScalingGroup"
    [collected] = group["Properties"]["MetricsCollection"]
    assert collected == {"Granularity": "1Minute", "Metrics": ["GroupInServiceInstances"]}


def test_the_bundle_uploaded_is_the_bundle_hashed(stack_plan: Plan) -> None:
    [bundle] = stack_plan.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert ".ebextensions/group-metrics.config" in bundle_contents()
    assert bundle.inputs["key"] == f"payroll/payroll-{source_hash()[:16]}.zip"


def test_beanstalks_own_trigger_on_the_worker_can_never_fire(stack_plan: Plan) -> None:
    """Left at its NetworkOut default it would add and remove workers against the backlog policy."""
    opts = options(environment(stack_plan, "Worker"))
    trigger = {name: value for (namespace, name), value in opts.items() if namespace == "aws:autoscaling:trigger"}
    assert trigger["MeasureName"] == "CPUUtilization" and trigger["Unit"] == "Percent"
    assert trigger["Statistic"] in ("Average", "Maximum", "Minimum")
    assert float(trigger["UpperThreshold"]) > 100 and float(trigger["LowerThreshold"]) <= 0


# -- the uploads bucket ------------------------------------------------------------------------------------------------
def test_the_uploads_bucket_is_private_versioned_and_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    bucket = uploads_bucket(stack_plan)
    block = attached_to(stack_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
    for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[setting] is True, setting
    versioning = attached_to(stack_plan, "aws:s3/bucketVersioning:BucketVersioning", bucket)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    sse = attached_to(
        stack_plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket
    )
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": stack_plan.outputs["kmsKeyArn"]}


def test_every_payroll_bucket_refuses_plain_http(stack_plan: Plan) -> None:
    buckets = [b for b in stack_plan.of_type("aws:s3/bucket:Bucket") if "-payroll-" in b.name]
    assert len(buckets) == 2
    for bucket in buckets:
        policy = json.loads(attached_to(stack_plan, "aws:s3/bucketPolicy:BucketPolicy", bucket).inputs["policy"])
        [deny] = policy["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert set(deny["Resource"]) == {bucket.outputs["arn"], f"{bucket.outputs['arn']}/*"}


def test_processed_uploads_expire_after_the_configured_days(stack_plan: Plan) -> None:
    rules = attached_to(
        stack_plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", uploads_bucket(stack_plan)
    ).inputs["rules"]
    days = stack_config(stack_plan.stack)["uploadsExpireDays"]
    for prefix in ("uploads/", "claims/", "notices/"):
        rule = next(r for r in rules if r["filter"] == {"prefix": prefix})
        assert rule["expiration"]["days"] == days and rule["status"] == "Enabled", prefix
    rest = next(r for r in rules if r["filter"] == {"prefix": ""})
    assert rest["noncurrentVersionExpiration"]["noncurrentDays"] == days
    assert rest["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1


def test_prod_protects_the_uploads_and_dev_can_be_destroyed(prod_plan: Plan, dev_plan: Plan) -> None:
    assert uploads_bucket(prod_plan).protect and uploads_bucket(prod_plan).inputs["forceDestroy"] is False
    assert not uploads_bucket(dev_plan).protect and uploads_bucket(dev_plan).inputs["forceDestroy"] is True


# -- IAM ---------------------------------------------------------------------------------------------------------------
def payroll_policies(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    return {
        p.name: json.loads(p.inputs["policy"])["Statement"]
        for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if "-payroll-" in p.name
    }


def test_iam_policies_name_their_resources_never_a_bare_star(stack_plan: Plan) -> None:
    policies = payroll_policies(stack_plan)
    assert len(policies) == 3
    for name, statements in policies.items():
        for statement in statements:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(r != "*" and r.startswith("arn:aws:") for r in resources), (name, statement)
            assert statement["Action"] != "*" and not str(statement["Action"]).endswith(":*"), (name, statement)


def test_the_web_tier_may_only_store_uploads_and_queue_them(stack_plan: Plan) -> None:
    statements = next(s for n, s in payroll_policies(stack_plan).items() if n.endswith("-web-app"))
    queue = queue_named(stack_plan, "-payroll-jobs")
    bucket_arn = uploads_bucket(stack_plan).outputs["arn"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["QueueJobs"]["Action"] == "sqs:SendMessage"
    assert by_sid["QueueJobs"]["Resource"] == queue.outputs["arn"]
    assert by_sid["StoreUploads"]["Resource"] == f"{bucket_arn}/uploads/*"
    assert not any("ses:" in json.dumps(s["Action"]) or "GetObject" in json.dumps(s["Action"]) for s in statements)


def test_the_worker_may_read_and_write_the_claims_that_make_one_email_per_job(stack_plan: Plan) -> None:
    statements = next(s for n, s in payroll_policies(stack_plan).items() if n.endswith("-worker-app"))
    claims = f"{uploads_bucket(stack_plan).outputs['arn']}/claims/*"

    def allowed(action: str) -> set[str]:
        found: set[str] = set()
        for st in statements:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if st["Effect"] == "Allow" and action in actions:
                found |= set(st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
        return found

    # A conditional write (If-None-Match, If-Match) needs both.
    assert claims in allowed("s3:PutObject") and claims in allowed("s3:GetObject")
    # ...and nothing more: the worker still never overwrites an upload.
    assert f"{uploads_bucket(stack_plan).outputs['arn']}/uploads/*" not in allowed("s3:PutObject")


def test_the_worker_may_email_only_as_the_configured_sender(stack_plan: Plan) -> None:
    statements = next(s for n, s in payroll_policies(stack_plan).items() if n.endswith("-worker-app"))
    ses = next(s for s in statements if s["Action"] == "ses:SendEmail")
    assert ses["Resource"] == "arn:aws:ses:us-east-1:123456789012:identity/*"
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": stack_config(stack_plan.stack)["senderEmail"]}}
    [identity] = stack_plan.of_type("aws:sesv2/emailIdentity:EmailIdentity")
    assert identity.inputs["emailIdentity"] == stack_config(stack_plan.stack)["senderEmail"]


def test_each_tier_has_its_own_instance_profile_with_its_managed_tier_policy(stack_plan: Plan) -> None:
    attachments = {
        a.name: a.inputs["policyArn"] for a in stack_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    profiles = {p.name: p for p in stack_plan.of_type("aws:iam/instanceProfile:InstanceProfile")}
    for tier, short, managed in (("WebServer", "web", "WebTier"), ("Worker", "worker", "WorkerTier")):
        name = next(n for n in profiles if n.endswith(f"-payroll-{short}"))
        assert (
            options(environment(stack_plan, tier))[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")]
            == profiles[name].outputs["name"]
        )
        assert attachments[f"{name}-tier"] == f"arn:aws:iam::aws:policy/AWSElasticBeanstalk{managed}"


def test_the_service_role_is_trusted_by_beanstalk_only_and_carries_health_and_update_policies(
    stack_plan: Plan,
) -> None:
    role = next(r for r in stack_plan.of_type("aws:iam/role:Role") if r.name.endswith("-payroll-service"))
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "elasticbeanstalk.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "elasticbeanstalk"}}
    attached = {
        a.inputs["policyArn"]
        for a in stack_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith(role.name)
    }
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
        "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy",
    }
    for env in stack_plan.of_type(ENVIRONMENT):
        assert options(env)[("aws:elasticbeanstalk:environment", "ServiceRole")] == role.outputs["arn"]


# -- versions ----------------------------------------------------------------------------------------------------------
def test_the_version_label_and_bundle_key_carry_the_content_hash(stack_plan: Plan) -> None:
    [version] = stack_plan.of_type("aws:elasticbeanstalk/applicationVersion:ApplicationVersion")
    [bundle] = stack_plan.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    digest = source_hash()
    assert version.inputs["name"] == f"payroll-{digest[:16]}"
    assert bundle.inputs["key"] == f"payroll/payroll-{digest[:16]}.zip" == version.inputs["key"]
    # A replaced version is deleted, so reverting to the same code can create its label again.
    assert not version.retain_on_delete and not bundle.retain_on_delete
    [app] = stack_plan.of_type("aws:elasticbeanstalk/application:Application")
    lifecycle = app.inputs["appversionLifecycle"]
    assert lifecycle["maxCount"] == stack_config(stack_plan.stack)["keepVersions"]
    role = next(r for r in stack_plan.of_type("aws:iam/role:Role") if r.name.endswith("-payroll-service"))
    assert lifecycle["deleteSourceFromS3"] is True and lifecycle["serviceRole"] == role.outputs["arn"]


def test_changing_any_bundled_file_changes_the_hash_and_caches_do_not(tmp_path: Path) -> None:
    copy = tmp_path / "payroll"
    shutil.copytree(APP_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_hash(copy)
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "application.cpython-312.pyc").write_bytes(b"\0")
    assert source_hash(copy) == before
    nginx = copy / ".platform" / "nginx" / "conf.d" / "payroll.conf"
    nginx.write_text(nginx.read_text() + "\n")
    assert source_hash(copy) != before


def test_the_bundle_holds_the_app_the_platform_expects() -> None:
    bundled = {p.relative_to(APP_DIR).as_posix() for p in source_files()}
    assert {"application.py", "Procfile", "requirements.txt", ".platform/nginx/conf.d/payroll.conf"} <= bundled
    assert not [p for p in bundled if "__pycache__" in p or p.endswith(".pyc")]
    requirements = (APP_DIR / "requirements.txt").read_text()
    assert re.search(r"^boto3==", requirements, re.MULTILINE) and re.search(r"^gunicorn==", requirements, re.MULTILINE)


# -- opt-ins -----------------------------------------------------------------------------------------------------------
def test_account_wide_volume_encryption_is_off_unless_asked_for(stack_plan: Plan) -> None:
    assert not [r for r in stack_plan if r.type.startswith("aws:ebs/")]


def test_account_wide_volume_encryption_is_on_when_asked_for(dev_with_domain: Plan) -> None:
    assert dev_with_a_domain()[BEANSTALK]["encryptVolumesByDefault"] is True  # the build asks for it
    plan = dev_with_domain
    [default_key] = plan.of_type("aws:ebs/defaultKmsKey:DefaultKmsKey")
    [by_default] = plan.of_type("aws:ebs/encryptionByDefault:EncryptionByDefault")
    assert default_key.inputs["keyArn"] == plan.outputs["kmsKeyArn"]
    assert by_default.inputs["enabled"] is True
    # Instances launched before encryption by default is on would keep unencrypted volumes.
    for env in plan.of_type(ENVIRONMENT):
        assert by_default.urn in env.dependencies


def test_the_worker_tier_has_no_load_balancer_option(stack_plan: Plan) -> None:
    assert not [k for k in options(environment(stack_plan, "Worker")) if k[0].startswith("aws:elbv2")]


def test_when_disabled_nothing_is_created(plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("dev", DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS)
    assert not [r for r in plan if "payroll" in r.name]
    assert "payrollUrl" not in plan.outputs


# -- configuration ---------------------------------------------------------------------------------------------------
GOOD = {"enabled": True, "senderEmail": "payroll@example.com"}
SINGLE = {"environmentType": "SingleInstance", "maxSize": 1}
SINGLE_PUBLIC = {"web": SINGLE, "instanceSubnets": "public", "allowedCidrs": ["203.0.113.0/24"]}


def python_names(raw: dict[str, Any]) -> dict[str, Any]:
    """A stack-file section spelt as a team's Python would spell the same Args."""
    return {to_snake(k): python_names(v) if isinstance(v, dict) else v for k, v in raw.items()}


def from_both_paths(raw: dict[str, Any]) -> list[ConfigError]:
    """The problems of one section read from stack config; the same Args built in Python must fail alike."""
    with pytest.raises(SettingsError) as from_config:
        BeanstalkArgs.from_config(raw)
    with pytest.raises(SettingsError) as from_python:
        BeanstalkArgs(**python_names(raw))
    assert [str(p) for p in from_python.value.problems] == [str(p) for p in from_config.value.problems]
    return from_config.value.problems


def test_the_issue_config_shape_parses() -> None:
    args = BeanstalkArgs.from_config(stack_config("prod"))
    assert (args.worker.max_size, args.worker.job_timeout_minutes, args.worker.max_receive_count) == (2, 45, 3)
    assert (args.worker.job_timeout_s, args.worker.inactivity_timeout_s, args.worker.visibility_timeout_s) == (
        2700,
        2760,
        2820,
    )
    assert BeanstalkArgs(**python_names(stack_config("prod"))) == args


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ({"web": {"minSize": 3, "maxSize": 2}}, "web.minSize", "must not exceed web.maxSize"),
        ({"worker": {"minSize": 3}}, "worker.minSize", "must not exceed worker.maxSize (2)"),
        ({"worker": {"maxReceiveCount": 0}}, "worker.maxReceiveCount", "at least 1"),
        ({"worker": {"jobTimeoutMinutes": 0}}, "worker.jobTimeoutMinutes", "at least 1 and at most 599"),
        ({"worker": {"backlogPerInstance": 0}}, "worker.backlogPerInstance", "at least 1"),
        ({"worker": {"visibilityTimeout": 7200}}, "worker.visibilityTimeout", "no longer a setting"),
        ({"platform": "^64bit (Amazon"}, "platform", "not a valid regular expression"),
        ({"senderEmail": "payroll"}, "senderEmail", "email address"),
        ({"instanceType": "t4g.huge"}, "instanceType", "not a known EC2 instance type"),
        ({"maintenanceWindow": "Sunday 3am"}, "maintenanceWindow", "UTC day and time"),
        ({"allowedCidrs": ["0.0.0.0/0"]}, "allowedCidrs[0]", "must not admit the whole internet"),
        ({"allowedCidrs": ["203.0.113.7/24"]}, "allowedCidrs[0]", "not a valid CIDR block"),
        ({"mfa": "off"}, "mfa", "'required' or 'optional'"),
        ({"keepVersions": 1001}, "keepVersions", "at most 1000"),
        ({"logRetentionDays": 1096}, "logRetentionDays", "Elastic Beanstalk accepts"),
        ({"web": {"environmentType": "SingleInstance"}}, "web.environmentType", "set web.maxSize to 1 (not 4)"),
        ({"web": SINGLE, "allowedCidrs": ["203.0.113.0/24"]}, "instanceSubnets", "must be public"),
        ({"instanceSubnets": "public"}, "instanceSubnets", "must be private while web.environmentType is Load"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(raw: dict[str, Any], key: str, problem: str) -> None:
    [found] = from_both_paths({**GOOD, **raw})
    assert found.key == f"{BEANSTALK}.{key}"
    assert problem in found.problem


@pytest.mark.parametrize(
    ("raw", "key"), [({"worker": {"maxRetries": 3}}, "worker.maxRetries"), ({"keepVersion": 5}, "keepVersion")]
)
def test_unknown_settings_are_refused_listing_the_known_ones(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(SettingsError) as failure:
        BeanstalkArgs.from_config({**GOOD, **raw})
    [found] = failure.value.problems
    assert found.key == f"{BEANSTALK}.{key}"
    assert "not a known setting" in found.problem
    assert ("maxReceiveCount" if "." in key else "keepVersions") in found.problem


def test_a_tier_built_on_its_own_in_python_names_the_same_key() -> None:
    [found] = from_both_paths({"worker": {"minSize": 3, "maxSize": 2}})
    with pytest.raises(SettingsError) as failure:
        WorkerTierArgs(min_size=3, max_size=2)
    assert [str(p) for p in failure.value.problems] == [str(found)]
    assert found.key == f"{BEANSTALK}.worker.minSize"


def test_a_sender_is_required_only_when_enabled() -> None:
    assert BeanstalkArgs.from_config({"enabled": False}).sender_email == ""
    [found] = from_both_paths({"enabled": True})
    assert (found.key, found.problem) == (f"{BEANSTALK}.senderEmail", "is required")


def test_a_log_retention_beanstalk_refuses_matters_only_when_enabled() -> None:
    assert BeanstalkArgs.from_config({"logRetentionDays": 1096}).log_retention_days == 1096


# -- what the environments need from the rest of the stack --------------------------------------------------------
def stack_settings(stack: str = "dev", stack_name: str | None = None, **overrides: Any) -> Settings:
    """parse_settings over a shipped stack file, with some of its `aws-compute-platform:` keys replaced."""
    config = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    prefix = "aws-compute-platform:"
    raw = {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}
    raw.update(overrides)
    return parse_settings("aws-compute-platform", stack_name or stack, config["aws:region"], raw)


def beanstalk_problems(stack_name: str | None = None, **overrides: Any) -> list[ConfigError]:
    with pytest.raises(SettingsError) as failure:
        stack_settings("dev", stack_name, **overrides)
    return [p for p in failure.value.problems if p.key.startswith(BEANSTALK)]


# prod's payroll: a load-balanced web tier, instances in private subnets.
LOAD_BALANCED = stack_config("prod")


@pytest.mark.parametrize(
    ("overrides", "key", "problem"),
    [
        ({"network": {"azCount": 1, "natGateways": "single"}, "beanstalk": LOAD_BALANCED}, "enabled", "azCount >= 2"),
        ({"network": {"azCount": 2, "natGateways": "none"}, "beanstalk": LOAD_BALANCED}, "enabled", "natGateways"),
        ({"logRetentionDays": 1096}, "logRetentionDays", "Elastic Beanstalk accepts"),
        ({"stack_name": "staging"}, "enabled", "aws-compute-platform-staging-payroll-worker' must be 4-40"),
    ],
)
def test_what_the_environments_need_from_the_rest_of_the_stack_is_checked(
    overrides: dict[str, Any], key: str, problem: str
) -> None:
    [found] = beanstalk_problems(**overrides)
    assert found.key == f"{BEANSTALK}.{key}"
    assert problem in found.problem


def test_a_single_instance_web_tier_in_public_subnets_needs_neither_nat_nor_two_zones() -> None:
    settings = stack_settings(
        "dev",
        network={"azCount": 1, "natGateways": "none"},
        wordpress={"enabled": False},  # its load balancer needs two zones
        beanstalk={**GOOD, **SINGLE_PUBLIC},
    )
    assert settings.beanstalk.instance_subnets == "public"


def test_a_disabled_application_needs_nothing_from_the_rest_of_the_stack() -> None:
    off = {"beanstalk": {"enabled": False}}
    settings = stack_settings("dev", "staging", logRetentionDays=1096, **off)
    assert not settings.beanstalk.enabled


def test_the_stack_wide_protection_and_log_retention_reach_the_application_unless_it_sets_its_own() -> None:
    dev, prod = stack_settings("dev"), stack_settings("prod")
    assert (dev.beanstalk.protect, dev.beanstalk.log_retention_days) == (False, 14)
    assert (prod.beanstalk.protect, prod.beanstalk.log_retention_days) == (True, 90)
    own = stack_settings("prod", beanstalk={**stack_config("prod"), "protect": False, "logRetentionDays": 30})
    assert (own.beanstalk.protect, own.beanstalk.log_retention_days) == (False, 30)


# -- HTTPS, sign-in and who reaches the web tier ----------------------------------------------------------------------
DOMAIN = "aws-compute-platform:domain"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
USER_POOL = "aws:cognito/userPool:UserPool"


@pytest.fixture(scope="module")
def dev_with_domain() -> Plan:
    """The shipped dev stack given a hosted zone (the shipped dev file has none), and so a load-balanced payroll with
    private instances behind a NAT gateway: a load balancer holds the certificate, which a single instance cannot."""
    return build_stack("dev", dev_with_a_domain())


@pytest.fixture(scope="module")
def dev_load_balanced() -> Plan:
    """The shipped dev stack, no domain, with a load-balanced payroll (in a six-zone network)."""
    return build_stack("dev", dev_in_six_zones())


def entry_rules(plan: Plan) -> list[PlannedResource]:
    return [r for r in plan.of_type(LISTENER_RULE) if "-payroll-" in r.name]


def load_balancer_group(plan: Plan) -> PlannedResource:
    [group] = [g for g in plan.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-payroll-entry-lb")]
    return group


@pytest.mark.parametrize("which", ["prod", "dev_with_domain"])
def test_with_a_domain_no_http_listener_forwards_and_https_uses_the_zones_certificate(
    which: str, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue("prod_plan" if which == "prod" else which)
    zone = "example.org"  # the shipped prod file's placeholder, and the zone given to dev above
    opts = options(environment(plan, "WebServer"))
    assert opts[("aws:elbv2:listener:443", "Protocol")] == "HTTPS"
    assert opts[("aws:elbv2:listener:443", "SSLPolicy")].startswith("ELBSecurityPolicy-TLS13")
    # The certificate is the one ACM issued for payroll.<zone>, validated by a record in the zone.
    [certificate] = [
        c for c in plan.of_type("aws:acm/certificate:Certificate") if c.inputs["domainName"] == f"payroll.{zone}"
    ]
    assert certificate.inputs["validationMethod"] == "DNS"
    [validation] = [
        v
        for v in plan.of_type("aws:acm/certificateValidation:CertificateValidation")
        if v.inputs["certificateArn"] == certificate.outputs["arn"]
    ]
    assert opts[("aws:elbv2:listener:443", "SSLCertificateArns")] == validation.outputs["certificateArn"]
    # Every request to port 80, whatever its path, is redirected to HTTPS before the listener could forward it.
    redirects = [r for r in entry_rules(plan) if r.inputs["actions"][0]["type"] == "redirect"]
    [redirect] = redirects
    assert redirect.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert redirect.inputs["actions"][0]["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert redirect.inputs["priority"] == 1
    assert all(r.inputs["actions"][0]["type"] != "forward" for r in entry_rules(plan))
    # payroll.<zone> points at the environment's load balancer, and the app is told that address.
    [alias] = [r for r in plan.of_type("aws:route53/record:Record") if r.inputs["name"] == f"payroll.{zone}"]
    assert alias.inputs["type"] == "A" and alias.inputs["aliases"][0]["name"].endswith(".elb.amazonaws.com")
    assert plan.outputs["payrollUrl"] == f"https://payroll.{zone}"
    assert opts[(ENVIRONMENT_PROPERTIES, "PUBLIC_URL")] == f"https://payroll.{zone}"


def test_the_redirect_rule_sits_on_port_80_and_the_worker_paths_are_closed_on_the_public_listener(
    dev_with_domain: Plan, dev_load_balanced: Plan, dev_plan: Plan
) -> None:
    [to_https] = [r for r in entry_rules(dev_with_domain) if r.name.endswith("-to-https")]
    [no_tasks] = [r for r in entry_rules(dev_with_domain) if r.name.endswith("-no-tasks")]
    assert to_https.inputs["listenerArn"] != no_tasks.inputs["listenerArn"]  # 80 redirects, 443 refuses /tasks/*
    for plan in (dev_with_domain, dev_load_balanced):
        [closed] = [r for r in entry_rules(plan) if r.name.endswith("-no-tasks")]
        assert closed.inputs["conditions"] == [{"pathPattern": {"values": ["/tasks/*"]}}]
        action = closed.inputs["actions"][0]
        assert action["type"] == "fixed-response" and action["fixedResponse"]["statusCode"] == "404"
    # The worker route exists only on the worker tier, where sqsd posts it from the instance itself.
    assert sqsd(environment(dev_plan, "Worker"), "HttpPath").startswith("/tasks/")
    web = options(environment(dev_plan, "WebServer"))
    assert web[(ENVIRONMENT_PROPERTIES, "PAYROLL_TIER")] == "web"
    assert options(environment(dev_plan, "Worker"))[(ENVIRONMENT_PROPERTIES, "PAYROLL_TIER")] == "worker"


def test_the_load_balancer_admits_only_the_allowed_networks_and_otherwise_https_from_everyone(
    stack_plan: Plan,
) -> None:
    beanstalk = BeanstalkArgs.from_config(stack_plan_config(stack_plan))
    opts = options(environment(stack_plan, "WebServer"))
    if opts[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "SingleInstance":
        # No load balancer and no group for one: the instance's own group admits the networks (test_dev_cost.py).
        groups = stack_plan.of_type("aws:ec2/securityGroup:SecurityGroup")
        assert not [g for g in groups if g.name.endswith("-payroll-entry-lb")]
        assert not entry_rules(stack_plan)
        return
    group = load_balancer_group(stack_plan)
    assert opts[("aws:elbv2:loadbalancer", "SecurityGroups")] == f"{group.name}-id"
    assert opts[("aws:elbv2:loadbalancer", "ManagedSecurityGroup")] == f"{group.name}-id"
    sources = list(beanstalk.allowed_cidrs) or ["0.0.0.0/0"]
    has_domain = ("aws:elbv2:listener:443", "Protocol") in opts
    ports = {rule["fromPort"] for rule in group.inputs["ingress"]}
    assert ports == ({80, 443} if has_domain else {80})
    assert all(rule["cidrBlocks"] == sources for rule in group.inputs["ingress"])
    if not has_domain:  # plain HTTP only ever for the allowed networks
        assert beanstalk.allowed_cidrs and "0.0.0.0/0" not in sources


def stack_plan_config(plan: Plan) -> dict[str, Any]:
    stack = "prod" if [r for r in plan if "-prod-" in r.name] else "dev"
    return stack_config(stack)


def test_the_shipped_dev_stack_has_no_domain_and_restricts_payroll_to_the_documentation_range(dev_plan: Plan) -> None:
    assert stack_config("dev")["allowedCidrs"] == ["203.0.113.0/24"]
    assert plan_url_is_plain_http(dev_plan)


def plan_url_is_plain_http(plan: Plan) -> bool:
    return bool(plan.outputs["payrollUrl"].startswith("http://"))


def test_a_stack_without_a_domain_or_allowed_networks_is_refused_naming_the_key(plan_with: Callable[..., Plan]) -> None:
    raw = {k: v for k, v in stack_config("dev").items() if k != "allowedCidrs"}
    with pytest.raises(SettingsError) as failure:
        plan_with("dev", {BEANSTALK: raw})
    assert failure.value.keys == [f"{BEANSTALK}.allowedCidrs"]
    assert "aws-compute-platform:domain" in failure.value.problems[0].problem


def test_the_user_pool_takes_only_users_an_administrator_creates_with_mfa_as_configured(stack_plan: Plan) -> None:
    [pool] = stack_plan.of_type(USER_POOL)
    beanstalk = BeanstalkArgs.from_config(stack_plan_config(stack_plan))
    assert pool.inputs["adminCreateUserConfig"]["allowAdminCreateUserOnly"] is True
    assert pool.inputs["mfaConfiguration"] == {"required": "ON", "optional": "OPTIONAL"}[beanstalk.mfa]
    assert pool.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    policy = pool.inputs["passwordPolicy"]
    assert policy["minimumLength"] >= 14 and policy["temporaryPasswordValidityDays"] <= 1
    assert all(policy[k] for k in ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"))
    assert pool.inputs["autoVerifiedAttributes"] == ["email"]


def test_prod_requires_mfa_of_every_payroll_user(prod_plan: Plan) -> None:
    [pool] = prod_plan.of_type(USER_POOL)
    assert pool.inputs["mfaConfiguration"] == "ON" and pool.protect


def test_the_app_client_uses_the_code_flow_with_a_secret_and_calls_back_to_the_apps_address(stack_plan: Plan) -> None:
    [client] = stack_plan.of_type("aws:cognito/userPoolClient:UserPoolClient")
    public_url = options(environment(stack_plan, "WebServer"))[(ENVIRONMENT_PROPERTIES, "PUBLIC_URL")]
    assert client.inputs["generateSecret"] is True and client.inputs["allowedOauthFlows"] == ["code"]
    assert client.inputs["allowedOauthFlowsUserPoolClient"] is True
    assert "openid" in client.inputs["allowedOauthScopes"] and client.inputs["supportedIdentityProviders"] == [
        "COGNITO"
    ]
    assert client.inputs["callbackUrls"] == [f"{public_url}/auth/callback"]
    # Cognito accepts a plain-HTTP callback only for localhost.
    assert public_url.startswith("https://") or public_url.startswith("http://localhost")
    [domain] = stack_plan.of_type("aws:cognito/userPoolDomain:UserPoolDomain")
    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", domain.inputs["domain"])
    assert not re.search("aws|amazon|cognito", domain.inputs["domain"])


def test_the_client_secret_reaches_the_web_tier_only_through_an_encrypted_parameter(stack_plan: Plan) -> None:
    [client] = stack_plan.of_type("aws:cognito/userPoolClient:UserPoolClient")
    secret = client.outputs["clientSecret"]
    # The stack's one SecureString (other parameters, such as the baked image's id, are plain Strings).
    [parameter] = [p for p in stack_plan.of_type("aws:ssm/parameter:Parameter") if p.inputs["type"] == "SecureString"]
    assert parameter.inputs["type"] == "SecureString" and parameter.inputs["keyId"] == stack_plan.outputs["kmsKeyArn"]
    # A secret output: Pulumi keeps it encrypted in the state (the engine's secret envelope).
    value = parameter.inputs["value"]
    assert value["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270" and secret in value["value"]
    web = options(environment(stack_plan, "WebServer"))
    assert web[(ENVIRONMENT_PROPERTIES, "SIGNIN_PARAMETER")] == parameter.inputs["name"]
    for env in stack_plan.of_type(ENVIRONMENT):
        assert secret not in json.dumps(env.inputs)
    assert secret not in json.dumps(stack_plan.outputs)
    # Only the web tier's role may read it.
    readers = [
        p for p in stack_plan.of_type("aws:iam/rolePolicy:RolePolicy") if "ssm:GetParameter" in p.inputs["policy"]
    ]
    assert [r.name for r in readers] == [f"{environment(stack_plan, 'WebServer').inputs['name']}-app"]
