"""WordPressFleet: WordPress over every AZ behind a load balancer, reached only through it, no secret at boot."""

from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess
from typing import Any

import pytest

from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.instance_types import architecture
from aws_compute_platform.settings import parse_settings
from aws_compute_platform.wordpress.args import WordPressArgs
from aws_compute_platform.wordpress.instances import AMI_PARAMETER
from aws_compute_platform.wordpress.load_balancer import HEALTH_FILE
from aws_compute_platform.wordpress.user_data import LIFECYCLE_HOOK, BootSettings, cloud_config
from plan import Plan, PlannedResource, run_stack
from plan.engine import SECRET_PLACEHOLDER
from plan.mocks import stable_hash
from tests.conftest import build_stack, dev_with_a_domain, stack_settings, stacks_with
from tests.yaml_loader import load_yaml

WORDPRESS = "aws-compute-platform:wordpress"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
WORLD = {"0.0.0.0/0", "::/0"}
DOMAIN = "aws-compute-platform:domain"


@pytest.fixture(scope="session", params=stacks_with("wordpress"))
def stack_plan(request: pytest.FixtureRequest) -> Plan:
    """Each stack whose file turns the fleet on: the tests below hold for whatever fleet a stack file asks for."""
    plan: Plan = request.getfixturevalue(f"{request.param}_plan")
    return plan


def wordpress(plan: Plan) -> WordPressArgs:
    """The fleet's settings as the plan's stack file gives them."""
    return stack_settings(plan.stack).wordpress


@pytest.fixture(scope="module")
def custom_plan() -> Plan:
    """dev with a domain and no CDN (viewers reach the load balancer), admin networks, an x86 instance type and
    request-count scaling (`dev_with_a_domain` in tests/conftest.py, a build shared with payroll's tests)."""
    return build_stack("dev", dev_with_a_domain())


def fleet(plan: Plan) -> list[PlannedResource]:
    component = next(r for r in plan if r.type == "acp:compute:WordPressFleet")
    return plan.within(component)


def one(plan: Plan, type_: str) -> PlannedResource:
    found = [r for r in fleet(plan) if r.type == type_]
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return found[0]


def group(plan: Plan, suffix: str) -> PlannedResource:
    return next(r for r in fleet(plan) if r.type == "aws:ec2/securityGroup:SecurityGroup" and r.name.endswith(suffix))


def rules(plan: Plan, type_: str, sg: PlannedResource) -> set[tuple[int, int, str]]:
    """(fromPort, toPort, source) of each rule of a group; the source is a CIDR, a prefix list id or the referenced
    group's name."""
    names = {f"{r.name}-id": r.name for r in plan.of_type("aws:ec2/securityGroup:SecurityGroup")}
    found = set()
    for rule in plan.of_type(type_):
        if rule.inputs["securityGroupId"] != f"{sg.name}-id":
            continue
        assert rule.inputs["ipProtocol"] == "tcp"
        source = (
            rule.get("cidrIpv4")
            or rule.get("cidrIpv6")
            or rule.get("prefixListId")
            or names[rule.inputs["referencedSecurityGroupId"]]
        )
        found.add((int(rule.inputs["fromPort"]), int(rule.inputs["toPort"]), source))
    return found


def zones_of(plan: Plan, subnet_ids: list[str]) -> set[str]:
    zones = {f"{s.name}-id": s.inputs["availabilityZone"] for s in plan.of_type("aws:ec2/subnet:Subnet")}
    return {zones[i] for i in subnet_ids}


def tier_of(plan: Plan, subnet_ids: list[str]) -> set[str]:
    tiers = {f"{s.name}-id": s.inputs["tags"]["Tier"] for s in plan.of_type("aws:ec2/subnet:Subnet")}
    return {tiers[i] for i in subnet_ids}


def raw_user_data(plan: Plan) -> bytes:
    """What EC2 receives: the launch template's user data, base64-decoded."""
    return base64.b64decode(one(plan, "aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"])


def user_data(plan: Plan) -> str:
    """What cloud-init reads: the user data decompressed (it is gzip-compressed to fit EC2's limit)."""
    return gzip.decompress(raw_user_data(plan)).decode()


def boot_files(plan: Plan) -> dict[str, str]:
    document = load_yaml(user_data(plan))
    return {f["path"]: f["content"] for f in document["write_files"]}


# -- security groups ------------------------------------------------------------------------------------------------


def test_instances_accept_http_only_from_the_load_balancer_and_no_ssh_by_default(stack_plan: Plan) -> None:
    web, alb = group(stack_plan, "-web-sg"), group(stack_plan, "-alb-sg")
    assert rules(stack_plan, INGRESS, web) == {(80, 80, alb.name)}


def test_ssh_is_opened_exactly_to_the_admin_networks(custom_plan: Plan) -> None:
    web, alb = group(custom_plan, "-web-sg"), group(custom_plan, "-alb-sg")
    assert rules(custom_plan, INGRESS, web) == {
        (80, 80, alb.name),
        (22, 22, "203.0.113.0/24"),
        (22, 22, "2001:db8::/32"),
    }


def test_without_the_cdn_the_load_balancer_opens_80_and_443_to_the_world_and_reaches_only_the_instances(
    custom_plan: Plan,
) -> None:
    web, alb = group(custom_plan, "-web-sg"), group(custom_plan, "-alb-sg")
    assert rules(custom_plan, INGRESS, alb) == {(80, 80, "0.0.0.0/0"), (443, 443, "0.0.0.0/0")}
    assert rules(custom_plan, EGRESS, alb) == {(80, 80, web.name)}


def test_the_load_balancer_reaches_only_the_instances(stack_plan: Plan) -> None:
    web, alb = group(stack_plan, "-web-sg"), group(stack_plan, "-alb-sg")
    assert rules(stack_plan, EGRESS, alb) == {(80, 80, web.name)}


def test_no_security_group_anywhere_opens_port_22_to_the_internet(stack_plan: Plan, custom_plan: Plan) -> None:
    for plan in (stack_plan, custom_plan):
        open_to_world = []
        for rule in plan.of_type(INGRESS):
            covers_22 = rule.inputs["ipProtocol"] == "-1" or rule.get("fromPort", 0) <= 22 <= rule.get("toPort", 65535)
            if covers_22 and {rule.get("cidrIpv4"), rule.get("cidrIpv6")} & WORLD:
                open_to_world.append(rule.name)
        for sg in plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
            for inline in sg.inputs.get("ingress") or []:
                if (
                    inline.get("fromPort", 0) <= 22 <= inline.get("toPort", 65535)
                    and (set(inline.get("cidrBlocks") or []) | set(inline.get("ipv6CidrBlocks") or [])) & WORLD
                ):
                    open_to_world.append(sg.name)
        assert not open_to_world


def test_the_database_and_the_file_system_accept_only_the_instances(stack_plan: Plan) -> None:
    web = group(stack_plan, "-web-sg")
    assert rules(stack_plan, INGRESS, group(stack_plan, "-db-sg")) == {(3306, 3306, web.name)}
    assert rules(stack_plan, INGRESS, group(stack_plan, "-efs-sg")) == {(2049, 2049, web.name)}
    assert rules(stack_plan, EGRESS, web) == {
        (443, 443, "0.0.0.0/0"),
        (3306, 3306, group(stack_plan, "-db-sg").name),
        (2049, 2049, group(stack_plan, "-efs-sg").name),
    }


# -- launch template --------------------------------------------------------------------------------------------------


def test_every_launch_template_volume_is_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    template = one(stack_plan, "aws:ec2/launchTemplate:LaunchTemplate")
    volumes = template.inputs["blockDeviceMappings"]
    assert volumes
    for volume in volumes:
        ebs = volume["ebs"]
        assert ebs["encrypted"] == "true"
        assert ebs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
        assert ebs["deleteOnTermination"] == "true"
        assert ebs["volumeType"] == "gp3"


def test_instances_require_imdsv2_and_carry_tags_on_instance_and_volume(stack_plan: Plan) -> None:
    template = one(stack_plan, "aws:ec2/launchTemplate:LaunchTemplate")
    assert template.get("metadataOptions.httpTokens") == "required"
    assert template.get("metadataOptions.httpPutResponseHopLimit") == 1
    specs = {s["resourceType"]: s["tags"] for s in template.inputs["tagSpecifications"]}
    assert set(specs) == {"instance", "volume"}
    assert all(t["Environment"] == stack_plan.stack for t in specs.values())


# prod boots from the image its pipeline bakes (wordpress.image: baked): tests/test_images_pipeline.py.
@pytest.mark.parametrize(("stack", "arch"), [("dev", "arm64"), ("custom", "x86_64")])
def test_a_stock_image_is_amazon_linux_2023_from_the_ssm_parameter_for_the_instance_architecture(
    stack: str, arch: str, request: pytest.FixtureRequest
) -> None:
    """Graviton types (t4g) get the arm64 image, others (t3 in custom_plan) x86_64."""
    plan: Plan = request.getfixturevalue(f"{stack}_plan")
    parameter = AMI_PARAMETER.format(arch=arch)
    assert one(plan, "aws:ec2/launchTemplate:LaunchTemplate").inputs["imageId"] == f"ami-{stable_hash(parameter)}"
    assert architecture("t3.small") == "x86_64" and architecture("t4g.small") == "arm64"


def test_the_instance_role_reads_only_the_database_secret_and_signals_only_its_own_group(stack_plan: Plan) -> None:
    database = one(stack_plan, "aws:rds/instance:Instance")
    secret_arn = database.outputs["masterUserSecrets"][0]["secretArn"]
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    policy = json.loads(next(r for r in fleet(stack_plan) if r.name.endswith("-instance-boot")).inputs["policy"])
    grants = {s["Sid"]: s for s in policy["Statement"]}
    assert all(s["Effect"] == "Allow" and s["Resource"] != "*" for s in grants.values())
    assert grants["ReadTheDatabaseSecret"]["Resource"] == secret_arn
    assert grants["DecryptTheSecretThroughSecretsManager"]["Resource"] == stack_plan.outputs["kmsKeyArn"]
    assert grants["DecryptTheSecretThroughSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }
    admin_secret = one(stack_plan, "aws:secretsmanager/secret:Secret")
    assert grants["ReadTheAdminPassword"]["Resource"] == admin_secret.outputs["arn"]
    assert grants["ReadTheAdminPassword"]["Action"] == "secretsmanager:GetSecretValue"
    assert grants["SignalReadiness"]["Action"] == "autoscaling:CompleteLifecycleAction"
    assert grants["SignalReadiness"]["Resource"].endswith(f":autoScalingGroupName/{asg.inputs['name']}")
    managed = [
        r.inputs["policyArn"]
        for r in fleet(stack_plan)
        if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    ]
    assert managed == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]


# -- Auto Scaling group -----------------------------------------------------------------------------------------------


def test_the_group_spans_every_az_in_the_subnet_tier_public_instances_names(stack_plan: Plan) -> None:
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    subnets = asg.inputs["vpcZoneIdentifiers"]
    assert zones_of(stack_plan, subnets) == set(stack_plan.outputs["availabilityZones"])
    assert tier_of(stack_plan, subnets) == ({"public"} if wordpress(stack_plan).public_instances else {"private"})


def test_the_group_keeps_the_configured_bounds(stack_plan: Plan) -> None:
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    args = wordpress(stack_plan)
    assert (asg.inputs["minSize"], asg.inputs["maxSize"]) == (args.min_size, args.max_size)


def test_a_new_launch_template_version_rolls_the_fleet(stack_plan: Plan) -> None:
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    template = one(stack_plan, "aws:ec2/launchTemplate:LaunchTemplate")
    assert asg.get("launchTemplate.id") == f"{template.name}-id"
    assert asg.get("launchTemplate.version") == str(template.outputs["latestVersion"])
    assert asg.get("instanceRefresh.strategy") == "Rolling"
    assert asg.get("instanceRefresh.preferences.minHealthyPercentage") == 100
    # The provider saves the new version before refreshing, so an auto rollback would relaunch it in a loop.
    assert not asg.get("instanceRefresh.preferences.autoRollback")
    assert "desiredCapacity" in asg.ignore_changes
    assert asg.inputs["capacityRebalance"] is True


def test_instances_join_the_load_balancer_only_after_their_boot_signals_ready(stack_plan: Plan) -> None:
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    target_group = one(stack_plan, "aws:lb/targetGroup:TargetGroup")
    assert asg.inputs["healthCheckType"] == "ELB"
    assert asg.inputs["targetGroupArns"] == [target_group.outputs["arn"]]
    [hook] = asg.inputs["initialLifecycleHooks"]
    assert hook["name"] == LIFECYCLE_HOOK
    assert hook["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert hook["defaultResult"] == "ABANDON"
    assert hook["heartbeatTimeout"] >= 600
    env = boot_files(stack_plan)["/etc/wordpress/boot.env"]
    assert f"WP_ASG_NAME={asg.inputs['name']}\n" in env
    assert f"WP_LIFECYCLE_HOOK={LIFECYCLE_HOOK}\n" in env


def test_the_health_check_asks_for_the_php_page_the_boot_script_installs(stack_plan: Plan) -> None:
    health = one(stack_plan, "aws:lb/targetGroup:TargetGroup").inputs["healthCheck"]
    assert health["path"] == f"/{HEALTH_FILE}"
    assert HEALTH_FILE.endswith(".php")  # answered by php-fpm, not by Apache from a static file
    assert health["matcher"] == "200"
    files = boot_files(stack_plan)
    assert f"WP_HEALTH_FILE={HEALTH_FILE}\n" in files["/etc/wordpress/boot.env"]
    assert '/etc/wordpress/healthz.php "${DOCROOT}/${WP_HEALTH_FILE}"' in files["/usr/local/sbin/wordpress-boot"]


def test_scaling_tracks_cpu_by_default_or_requests_per_instance(stack_plan: Plan, custom_plan: Plan) -> None:
    cpu = one(stack_plan, "aws:autoscaling/policy:Policy").inputs["targetTrackingConfiguration"]
    assert cpu["predefinedMetricSpecification"]["predefinedMetricType"] == "ASGAverageCPUUtilization"
    assert cpu["targetValue"] == 50
    requests = one(custom_plan, "aws:autoscaling/policy:Policy").inputs["targetTrackingConfiguration"]
    lb = one(custom_plan, "aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    tg = one(custom_plan, "aws:lb/targetGroup:TargetGroup").outputs["arnSuffix"]
    assert requests["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": f"{lb}/{tg}",
    }


# -- load balancer --------------------------------------------------------------------------------------------------


def test_behind_cloudfront_the_load_balancer_is_internal_in_every_private_subnet(stack_plan: Plan) -> None:
    """No public address to find and bypass CloudFront through, and none to pay for: CloudFront's VPC origin
    reaches it; without the CDN viewers reach it, so it is internet-facing in the public subnets."""
    alb = one(stack_plan, "aws:lb/loadBalancer:LoadBalancer")
    behind_cdn = wordpress(stack_plan).cdn.enabled
    assert alb.inputs["internal"] is behind_cdn
    assert zones_of(stack_plan, alb.inputs["subnets"]) == set(stack_plan.outputs["availabilityZones"])
    assert tier_of(stack_plan, alb.inputs["subnets"]) == {"private" if behind_cdn else "public"}
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is wordpress(stack_plan).load_balancer.deletion_protection


def test_without_the_cdn_viewers_reach_an_internet_facing_load_balancer_in_the_public_subnets(
    custom_plan: Plan,
) -> None:
    alb = one(custom_plan, "aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["internal"] is False
    assert tier_of(custom_plan, alb.inputs["subnets"]) == {"public"}
    assert not custom_plan.of_type("aws:cloudfront/vpcOrigin:VpcOrigin")


def test_without_the_cdn_and_with_a_domain_http_redirects_to_https_with_a_tls13_policy(custom_plan: Plan) -> None:
    listeners = {r.inputs["port"]: r.inputs for r in fleet(custom_plan) if r.type == "aws:lb/listener:Listener"}
    assert set(listeners) == {80, 443}
    assert listeners[80]["defaultActions"] == [
        {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}
    ]
    [validation] = [
        v
        for v in custom_plan.of_type("aws:acm/certificateValidation:CertificateValidation")
        if v.outputs["certificateArn"] == listeners[443]["certificateArn"]
    ]
    certificate = next(c for c in custom_plan.of_type("aws:acm/certificate:Certificate") if c.name == validation.name)
    assert certificate.inputs["domainName"] == "www.example.org"
    assert listeners[443]["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    assert listeners[443]["defaultActions"][0]["type"] == "forward"
    assert custom_plan.outputs["wordpressSiteUrl"] == "https://www.example.org/"
    assert "wordpressDistributionDomainName" not in custom_plan.outputs


def test_access_logs_go_to_a_private_tls_only_sse_s3_bucket_where_configured(stack_plan: Plan) -> None:
    if not wordpress(stack_plan).load_balancer.access_logs:
        assert not [r for r in fleet(stack_plan) if r.type.startswith("aws:s3/")]
        assert "accessLogs" not in one(stack_plan, "aws:lb/loadBalancer:LoadBalancer").inputs
        return
    alb = one(stack_plan, "aws:lb/loadBalancer:LoadBalancer")
    bucket = one(stack_plan, "aws:s3/bucket:Bucket")
    assert alb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "prefix": "alb", "enabled": True}
    sse = one(stack_plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    block = one(stack_plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    policy = json.loads(one(stack_plan, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["RefuseUnencryptedTransport"]["Effect"] == "Deny"
    assert statements["RefuseUnencryptedTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    writes = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert writes and all(s["Action"] == "s3:PutObject" for s in writes)
    assert all(s["Resource"].endswith("/alb/AWSLogs/123456789012/*") for s in writes)


# -- data -------------------------------------------------------------------------------------------------------------


def test_the_database_is_encrypted_and_its_password_managed_by_secrets_manager(stack_plan: Plan) -> None:
    db = one(stack_plan, "aws:rds/instance:Instance").inputs
    key = stack_plan.outputs["kmsKeyArn"]
    assert db["engine"] == "mysql" and db["engineVersion"].startswith("8.")
    assert db["storageEncrypted"] is True and db["kmsKeyId"] == key
    assert db["manageMasterUserPassword"] is True and db["masterUserSecretKmsKeyId"] == key
    assert "password" not in db
    assert db["dbName"] == "wordpress"
    assert db["publiclyAccessible"] is False
    assert db["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    subnets = one(stack_plan, "aws:rds/subnetGroup:SubnetGroup").inputs["subnetIds"]
    assert tier_of(stack_plan, subnets) == {"data"}
    assert zones_of(stack_plan, subnets) == set(stack_plan.outputs["availabilityZones"])


def test_the_database_is_as_available_and_as_protected_as_its_settings_say(stack_plan: Plan) -> None:
    db = one(stack_plan, "aws:rds/instance:Instance")
    args = wordpress(stack_plan).database
    assert db.inputs["multiAz"] is args.multi_az
    assert db.inputs["deletionProtection"] is args.deletion_protection
    assert db.inputs["skipFinalSnapshot"] is not args.final_snapshot
    assert bool(db.inputs.get("finalSnapshotIdentifier")) is args.final_snapshot
    assert db.inputs["backupRetentionPeriod"] == args.backup_retention_days
    assert db.protect is args.protect


def test_shared_content_is_encrypted_elastic_and_mounted_in_every_az(stack_plan: Plan) -> None:
    efs = one(stack_plan, "aws:efs/fileSystem:FileSystem")
    assert efs.inputs["encrypted"] is True
    assert efs.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert efs.inputs["throughputMode"] == "elastic"
    targets = [r for r in fleet(stack_plan) if r.type == "aws:efs/mountTarget:MountTarget"]
    subnets = [t.inputs["subnetId"] for t in targets]
    assert len(targets) == len(stack_plan.outputs["availabilityZones"])
    assert zones_of(stack_plan, subnets) == set(stack_plan.outputs["availabilityZones"])
    assert all(t.inputs["securityGroups"] == [f"{group(stack_plan, '-efs-sg').name}-id"] for t in targets)
    policy = json.loads(one(stack_plan, "aws:efs/fileSystemPolicy:FileSystemPolicy").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_content_is_backed_up_and_protected_as_its_settings_say(stack_plan: Plan) -> None:
    args = wordpress(stack_plan)
    status = one(stack_plan, "aws:efs/backupPolicy:BackupPolicy").inputs["backupPolicy"]["status"]
    assert status == ("ENABLED" if args.content_backups else "DISABLED")
    assert one(stack_plan, "aws:efs/fileSystem:FileSystem").protect is args.protect


def test_the_boot_script_is_valid_cloud_init_with_valid_bash(stack_plan: Plan) -> None:
    text = user_data(stack_plan)
    assert text.startswith("#cloud-config\n")
    assert len(raw_user_data(stack_plan)) <= 16_384  # EC2's limit on user data before base64
    document = load_yaml(text)
    assert set(document) == {"write_files", "runcmd"}
    assert document["runcmd"] == [["/usr/local/sbin/wordpress-boot"]]
    scripts = {f["path"]: f for f in document["write_files"] if f["content"].startswith("#!/bin/bash")}
    assert {
        "/usr/local/sbin/wordpress-boot",
        "/usr/local/sbin/wordpress-db-credentials",
        "/usr/local/sbin/wordpress-install",
    } <= set(scripts)
    for path, script in scripts.items():
        assert script["permissions"] == "0755"
        checked = subprocess.run(["bash", "-n"], input=script["content"], text=True, capture_output=True, check=False)
        assert checked.returncode == 0, f"{path}: {checked.stderr}"


def test_the_boot_script_uses_an_imdsv2_token_for_every_metadata_read(stack_plan: Plan) -> None:
    script = boot_files(stack_plan)["/usr/local/sbin/wordpress-boot"]
    assert re.search(r"-X PUT http://169\.254\.169\.254/latest/api/token", script)
    metadata_reads = [line for line in script.splitlines() if "169.254.169.254/latest/meta-data" in line]
    assert metadata_reads
    assert all("X-aws-ec2-metadata-token: " in line for line in metadata_reads)


def test_the_boot_script_reads_the_database_secret_by_arn_and_contains_no_secret(stack_plan: Plan) -> None:
    text = user_data(stack_plan)
    files = boot_files(stack_plan)
    secret_arn = one(stack_plan, "aws:rds/instance:Instance").outputs["masterUserSecrets"][0]["secretArn"]
    assert f"WP_DB_SECRET_ARN='{secret_arn}'" in files["/etc/wordpress/boot.env"]
    assert (
        'get-secret-value --region "${AWS_REGION}" --secret-id "${WP_DB_SECRET_ARN}"'
        in files["/usr/local/sbin/wordpress-db-credentials"]
    )
    assert SECRET_PLACEHOLDER not in text
    # wp-config.php takes the password and the salts from files written on the instance, never as literals.
    assert not re.search(r"define\(\s*'(DB_PASSWORD|DB_USER|[A-Z_]+_(KEY|SALT))'\s*,\s*'", text)
    assert "define('DB_PASSWORD', $acp_db['password'])" in files["/etc/wordpress/wp-config.php"]
    assert not re.search(r"(?i)(password|secret)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{8,}", files["/etc/wordpress/boot.env"])


def test_wordpress_trusts_the_viewers_scheme_from_cloudfront_or_the_load_balancer(stack_plan: Plan) -> None:
    config = boot_files(stack_plan)["/etc/wordpress/wp-config.php"]
    assert "$_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] ?? ($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '')" in config
    assert "$_SERVER['HTTPS'] = 'on'" in config


def test_rendered_values_are_shell_quoted() -> None:
    boot = BootSettings(
        region="us-east-1",
        db_host="db.example",
        db_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:rds!db-$(reboot)",
        efs_id="fs-1",
        asg_name="web",
        wordpress_version="6.8.3",
        site_url="https://www.example.org",
        site_title="Tom's $(reboot) `news`",
        admin_user="editor",
        admin_email="editor@example.org",
        admin_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:admin",
    )
    env = load_yaml(cloud_config(boot))["write_files"][0]["content"]
    sourced = subprocess.run(
        ["bash", "-c", 'source /dev/stdin; printf "%s\\n%s" "$WP_DB_SECRET_ARN" "$WP_SITE_TITLE"'],
        input=env,
        text=True,
        capture_output=True,
        check=True,
    )
    assert sourced.stdout == f"{boot.db_secret_arn}\n{boot.site_title}"


# -- outputs ----------------------------------------------------------------------------------------------------------


def test_the_stack_exports_the_site_and_the_password_secrets_arn_only(stack_plan: Plan) -> None:
    outputs = stack_plan.outputs
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    alb = one(stack_plan, "aws:lb/loadBalancer:LoadBalancer")
    assert outputs["wordpressLoadBalancerDnsName"] == alb.outputs["dnsName"]
    distribution = one(stack_plan, "aws:cloudfront/distribution:Distribution")
    assert outputs["wordpressDistributionDomainName"] == distribution.outputs["domainName"]
    site = {"dev": distribution.outputs["domainName"], "prod": "www.example.org"}[stack_plan.stack]
    assert outputs["wordpressSiteUrl"] == f"https://{site}/"
    assert outputs["wordpressAutoScalingGroupName"] == asg.inputs["name"]
    assert outputs["wordpressDatabaseEndpoint"].endswith(":3306")
    # The one output named after a password is the secret's ARN, never a password.
    admin_secret = one(stack_plan, "aws:secretsmanager/secret:Secret")
    assert [k for k in outputs if "password" in k.lower()] == ["wordpressAdminPasswordSecret"]
    assert outputs["wordpressAdminPasswordSecret"] == admin_secret.outputs["arn"]


# -- settings -------------------------------------------------------------------------------------------------------


def parse(raw: dict[str, Any], *, protect: bool = False) -> tuple[WordPressArgs | None, list[ConfigError]]:
    """The wordpress section as the stack settings read it: protectData arrives as `protect`."""
    try:
        return WordPressArgs.from_config({"protect": protect, "adminEmail": "webmaster@example.org", **raw}), []
    except SettingsError as failure:
        return None, failure.problems


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ({"minSize": 4, "maxSize": 2}, "maxSize", "must be at least minSize (4)"),
        ({"minSize": 1, "maxSize": 2, "desiredCapacity": 3}, "desiredCapacity", "between minSize"),
        ({"adminCidrs": ["0.0.0.0/0"]}, "adminCidrs[0]", "whole internet"),
        ({"adminCidrs": ["203.0.113.0/24", "::/0"]}, "adminCidrs[1]", "whole internet"),
        ({"instanceType": "q9.small"}, "instanceType", "not a known EC2 instance type"),
        ({"instanceType": "t4g.huge"}, "instanceType", "not a known EC2 instance type"),
        ({"database": {"instanceClass": "t4g.micro"}}, "database.instanceClass", "RDS instance class"),
        ({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}, "certificateArn", "domain"),
        ({"adminEmail": "webmaster"}, "adminEmail", "email address"),
        ({"cdn": {"priceClass": "PriceClass_50"}}, "cdn.priceClass", "one of"),
        ({"scalingMetric": "memory"}, "scalingMetric", "one of"),
        ({"scalingTarget": 150}, "scalingTarget", "CPU percentage"),
        ({"loadBalancer": {"accesLogs": True}}, "loadBalancer.accesLogs", "not a known setting"),
        ({"minsize": 2}, "minsize", "not a known setting"),
    ],
)
def test_bad_wordpress_settings_are_refused_with_the_key_named(raw: dict[str, Any], key: str, problem: str) -> None:
    _, problems = parse({"enabled": True, **raw})
    assert [p.key for p in problems] == [f"{WORDPRESS}.{key}"]
    assert problem in problems[0].problem


def test_one_availability_zone_is_refused_only_when_wordpress_is_enabled() -> None:
    base = {"owner": "team", "costCenter": "cc-1", "network": {"azCount": 1}}
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            "aws-compute-platform",
            "dev",
            "us-east-1",
            {**base, "wordpress": {"enabled": True, "adminEmail": "webmaster@example.org"}},
        )
    assert failure.value.keys == ["aws-compute-platform:network.azCount"]
    settings = parse_settings("aws-compute-platform", "dev", "us-east-1", {**base, "wordpress": {"enabled": False}})
    assert not settings.wordpress.enabled


@pytest.mark.parametrize(
    ("public_instances", "nat_gateways", "refused"),
    [
        (False, "none", True),
        (True, "none", False),
        (False, "single", False),
    ],
)
def test_private_instances_without_a_nat_gateway_are_refused_before_anything_is_created(
    public_instances: bool, nat_gateways: str, refused: bool
) -> None:
    """They would boot, find no way to the package repositories or Secrets Manager, and never become healthy."""
    config = {
        "owner": "team",
        "costCenter": "cc-1",
        "network": {"azCount": 2, "natGateways": nat_gateways},
        "wordpress": {"enabled": True, "adminEmail": "webmaster@example.org", "publicInstances": public_instances},
    }
    if not refused:
        assert parse_settings("aws-compute-platform", "dev", "us-east-1", config).wordpress.enabled
        return
    with pytest.raises(SettingsError) as failure:
        parse_settings("aws-compute-platform", "dev", "us-east-1", config)
    assert failure.value.keys == ["aws-compute-platform:wordpress.publicInstances"]
    assert "natGateways is none" in str(failure.value) and "publicInstances: true" in str(failure.value)


def test_data_protection_defaults_follow_protect_data() -> None:
    protected, _ = parse({"enabled": True}, protect=True)
    assert protected is not None
    assert protected.database.deletion_protection and protected.database.final_snapshot
    assert protected.load_balancer.deletion_protection and protected.content_backups
    disposable, _ = parse({"enabled": True})
    assert disposable is not None
    assert not (disposable.database.deletion_protection or disposable.load_balancer.deletion_protection)
    assert disposable.desired_capacity == disposable.min_size


def test_a_stack_with_one_az_and_wordpress_fails_before_any_resource_is_declared() -> None:
    with pytest.raises(SettingsError) as failure:
        run_stack(
            "dev",
            {
                "aws-compute-platform:network": {"cidr": "10.20.0.0/16", "azCount": 1},
                "aws-compute-platform:wordpress": {"enabled": True, "adminEmail": "webmaster@example.org"},
                "aws-compute-platform:beanstalk": {"enabled": False},
            },
        )
    assert failure.value.keys == ["aws-compute-platform:network.azCount"]
    assert failure.value.plan.resources == []  # type: ignore[attr-defined]
