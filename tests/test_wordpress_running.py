"""Running a WordPress fleet: cron, health, permalinks, keep-alive, pool size, snapshots, hooks, placement, logs.

What a real run shows and a plan alone does not: each test states what the instances or AWS would do with what the
program declares, and runs the boot scripts themselves where they decide something.
"""

from __future__ import annotations

import base64
import gzip
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aws_compute_platform.config import ConfigError
from aws_compute_platform.foundation.network import ExistingNetwork
from aws_compute_platform.settings import parse_settings
from aws_compute_platform.wordpress.database import db_identifier
from aws_compute_platform.wordpress.fleet import WordPressFleet
from aws_compute_platform.wordpress.load_balancer import HEALTH_FILE
from aws_compute_platform.wordpress.user_data import APP_DIR, LIFECYCLE_HOOK, BootSettings, cloud_config, compressed
from plan import Plan, PlannedResource, run_program
from tests.conftest import build_stack, dev_in_six_zones
from tests.yaml_loader import load_yaml

WORDPRESS = "aws-compute-platform:wordpress"
NETWORK = "aws-compute-platform:network"
PROJECT = "aws-compute-platform"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def fleet(plan: Plan) -> list[PlannedResource]:
    return plan.within(next(r for r in plan if r.type == "acp:compute:WordPressFleet"))


def one(plan: Plan, type_: str) -> PlannedResource:
    found = [r for r in fleet(plan) if r.type == type_]
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return found[0]


def boot_files(plan: Plan) -> dict[str, str]:
    text = gzip.decompress(base64.b64decode(one(plan, "aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]))
    return {f["path"]: f["content"] for f in load_yaml(text)["write_files"]}


def wordpress(stack: str, **changes: Any) -> dict[str, Any]:
    """The stack file's wordpress section with some keys changed."""
    raw = load_yaml(Path(f"Pulumi.{stack}.yaml").read_text())["config"][WORDPRESS]
    return {**raw, **changes}


# Dev with each edit the tests below make to it, in one build shared with tests/test_beanstalk.py (`dev_in_six_zones`
# in tests/conftest.py): a six-zone network and a type every zone offers, a longer load balancer idle timeout,
# database logs not exported. Each test reads the part its edit changes, which no other edit touches.
SIX_ZONES = {"cidr": "10.20.0.0/16", "azCount": 6, "natGateways": "single"}


@pytest.fixture
def edited_dev() -> Plan:
    return build_stack("dev", dev_in_six_zones())


def run_script(name: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(APP_DIR / name)],
        env={"PATH": os.environ["PATH"], **env},
        text=True,
        capture_output=True,
        check=False,
        **kwargs,
    )


# -- 1. WP-Cron -----------------------------------------------------------------------------------------------------


def test_wp_cron_runs_from_a_timer_on_every_instance_not_from_page_views(stack_plan: Plan) -> None:
    files = boot_files(stack_plan)
    assert "define('DISABLE_WP_CRON', true);" in files["/etc/wordpress/wp-config.php"]
    timer = files["/etc/systemd/system/wordpress-cron.timer"]
    assert re.search(r"^OnUnitActiveSec=\S+", timer, re.MULTILINE)
    assert "WantedBy=timers.target" in timer
    service = files["/etc/systemd/system/wordpress-cron.service"]
    assert "ExecStart=/usr/local/sbin/wordpress-cron\n" in service
    assert "RequiresMountsFor=/srv/wordpress-shared" in service  # the lock lives on the shared file system
    assert "systemctl enable --now wordpress-cron.timer" in files["/usr/local/sbin/wordpress-boot"]
    runner = files["/usr/local/sbin/wordpress-cron"]
    assert "/usr/local/bin/wp" in runner
    assert "cron event run --due-now" in runner
    assert "flock --nonblock" in runner
    assert "/srv/wordpress-shared/" in runner


def _fake_wp(directory: Path) -> Path:
    """A stand-in for WP-CLI: records each call; `cron event run` says it started and waits to be released."""
    wp = directory / "wp"
    wp.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >>"{directory}/calls"\n'
        'if [ "$2 $3 $4" = "cron event run" ]; then\n'
        f'  touch "{directory}/started"\n'
        f'  while [ ! -e "{directory}/release" ]; do sleep 0.05; done\n'
        "fi\n"
        f'[ "$2 $3" != "core is-installed" ] || [ -e "{directory}/installed" ]\n'
    )
    wp.chmod(0o755)
    return wp


def _runner_env(directory: Path, wp: Path) -> dict[str, str]:
    """The runner with a fake WP-CLI, a lock in `directory`, and the test's own user as the web server's."""
    user = subprocess.run(["id", "-un"], text=True, capture_output=True, check=True).stdout.strip()
    return {"WP_CLI": str(wp), "WP_CRON_LOCK": str(directory / "cron.lock"), "WP_USER": user}


def _wait_for(path: Path) -> None:
    for _ in range(400):
        if path.exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def test_only_one_instance_runs_the_due_events_at_a_time(tmp_path: Path) -> None:
    wp = _fake_wp(tmp_path)
    (tmp_path / "installed").touch()
    env = {**_runner_env(tmp_path, wp), "WP_PATH": "/var/www/html"}
    first = subprocess.Popen(
        ["bash", str(APP_DIR / "wp-cron.sh")],
        env={"PATH": os.environ["PATH"], **env},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(tmp_path / "started")
        # A second instance's timer fires while the first is still running the events: it must not run them too.
        second = run_script("wp-cron.sh", env)
        assert second.returncode == 0, second.stderr
        assert "another instance" in second.stdout
    finally:
        (tmp_path / "release").touch()
        first.wait(timeout=60)
    assert first.returncode == 0
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["--path=/var/www/html core is-installed", "--path=/var/www/html cron event run --due-now"]
    # Once the lock is free the next run takes it.
    third = run_script("wp-cron.sh", env)
    assert third.returncode == 0 and "another instance" not in third.stdout


def test_the_cron_runner_waits_quietly_until_wordpress_is_installed(tmp_path: Path) -> None:
    wp = _fake_wp(tmp_path)
    result = run_script("wp-cron.sh", _runner_env(tmp_path, wp))
    assert result.returncode == 0
    assert "not installed" in result.stdout
    assert "cron event run" not in (tmp_path / "calls").read_text()


# -- 2. health check ------------------------------------------------------------------------------------------------


def test_the_health_page_needs_php_fpm_and_the_shared_content_but_never_the_database(stack_plan: Plan) -> None:
    assert one(stack_plan, "aws:lb/targetGroup:TargetGroup").get("healthCheck.path") == "/healthz.php"
    page = boot_files(stack_plan)["/etc/wordpress/healthz.php"]
    assert page.startswith("<?php")
    assert HEALTH_FILE == "healthz.php"
    # Opens a file on the EFS mount: a hung mount blocks the check past the load balancer's timeout.
    assert "fopen('/srv/wordpress-shared/" in page
    assert "http_response_code(503)" in page
    assert not re.search(r"(?i)mysqli|PDO|wp-load|wp-config|wpdb|DB_", page)


# -- 3. pretty permalinks ---------------------------------------------------------------------------------------------


def test_pretty_permalinks_come_from_the_apache_configuration(stack_plan: Plan) -> None:
    conf = boot_files(stack_plan)["/etc/httpd/conf.d/wordpress.conf"]
    [docroot] = re.findall(r'<Directory "/var/www/html">(.*?)</Directory>', conf, re.DOTALL)
    directives = [line.strip() for line in docroot.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert "AllowOverride None" in directives  # nothing can write .htaccess; Apache does not look for one
    assert "AllowOverride All" not in conf
    rules = [d for d in directives if d.startswith("Rewrite")]
    assert rules[0] == "RewriteEngine On"
    # WordPress's own block: anything that is not a file or a directory goes to index.php.
    assert rules[-4:] == [
        r"RewriteRule ^index\.php$ - [L]",
        "RewriteCond %{REQUEST_FILENAME} !-f",
        "RewriteCond %{REQUEST_FILENAME} !-d",
        "RewriteRule . /index.php [L]",
    ]
    assert "RewriteBase /" in rules


# -- 4. keep-alive --------------------------------------------------------------------------------------------------


def _keep_alive_timeout(plan: Plan) -> int:
    conf = boot_files(plan)["/etc/httpd/conf.d/wordpress-keepalive.conf"]
    assert re.search(r"^KeepAlive On$", conf, re.MULTILINE)
    [timeout] = re.findall(r"^KeepAliveTimeout (\d+)$", conf, re.MULTILINE)
    return int(timeout)


def test_apache_keeps_connections_open_longer_than_the_load_balancer(stack_plan: Plan) -> None:
    idle = one(stack_plan, "aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"]
    assert _keep_alive_timeout(stack_plan) > idle


def test_the_keep_alive_follows_a_configured_idle_timeout(edited_dev: Plan) -> None:
    assert one(edited_dev, "aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"] == 300
    assert _keep_alive_timeout(edited_dev) > 300


# -- 5. php-fpm pool ------------------------------------------------------------------------------------------------


def _pool_for(tmp_path: Path, mem_total_kib: int) -> dict[str, str]:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal:       {mem_total_kib} kB\nMemFree:         123456 kB\nSwapTotal:             0 kB\n")
    conf = tmp_path / "pool.conf"
    result = run_script("php-fpm-pool.sh", {"MEMINFO": str(meminfo), "POOL_CONF": str(conf)})
    assert result.returncode == 0, result.stderr
    lines = [line for line in conf.read_text().splitlines() if line and not line.startswith(";")]
    assert lines[0] == "[www]"  # reopens the distribution's pool and overrides it
    return dict(line.split(" = ", 1) for line in lines[1:])


# MemTotal of a t4g.micro (1 GiB) and a t4g.small (2 GiB) as the kernel reports it, and a 512 MiB instance.
@pytest.mark.parametrize("mem_total_kib", [948_000, 1_929_000, 460_000])
def test_the_pool_fits_the_instances_memory_without_swap(tmp_path: Path, mem_total_kib: int) -> None:
    pool = _pool_for(tmp_path, mem_total_kib)
    children = int(pool["pm.max_children"])
    assert pool["pm"] == "dynamic"
    assert 2 <= children < 50  # php-fpm's default of 50 is what ran these instances out of memory
    if mem_total_kib >= 900_000:
        # Every worker at 64 MiB plus the reserve for the OS, Apache and OPcache stays within memory.
        assert children * 64 + 384 <= mem_total_kib // 1024
    start, low, high = (int(pool[k]) for k in ("pm.start_servers", "pm.min_spare_servers", "pm.max_spare_servers"))
    # php-fpm refuses to start unless min_spare <= start <= max_spare <= max_children.
    assert 1 <= low <= start <= high <= children
    assert int(pool["pm.max_requests"]) > 0


def test_a_larger_instance_gets_a_larger_pool(tmp_path: Path) -> None:
    small = int(_pool_for(tmp_path, 948_000)["pm.max_children"])
    large = int(_pool_for(tmp_path, 1_929_000)["pm.max_children"])
    assert large > small


def test_the_pool_is_sized_before_php_fpm_starts(stack_plan: Plan) -> None:
    files = boot_files(stack_plan)
    boot = files["/usr/local/sbin/wordpress-boot"]
    assert files["/usr/local/sbin/wordpress-php-fpm-pool"] == (APP_DIR / "php-fpm-pool.sh").read_text()
    assert boot.index("/usr/local/sbin/wordpress-php-fpm-pool") < boot.index("systemctl enable --now php-fpm")


# -- 6. final snapshots ----------------------------------------------------------------------------------------------


def test_each_database_gets_its_own_final_snapshot_name(prod_plan: Plan) -> None:
    db = one(prod_plan, "aws:rds/instance:Instance")
    suffix = one(prod_plan, "random:index/randomId:RandomId")
    identifier = db.inputs["identifier"]
    assert identifier == db_identifier(db.name.removesuffix("-db"), suffix.outputs["hex"])
    assert db.inputs["finalSnapshotIdentifier"] == f"{identifier}-final"
    # The id changes with the settings that replace the database, so a replacement snapshots under a new name.
    assert suffix.inputs["keepers"]["kmsKeyId"] == prod_plan.outputs["kmsKeyArn"]
    assert {"engine", "dbName", "username", "storageEncrypted"} <= set(suffix.inputs["keepers"])


def test_identifiers_are_valid_rds_names() -> None:
    for name, suffix in [("aws-compute-platform-prod-wordpress", "1a2b3c4d"), ("My_Stack.x" * 10, "00ff00ff")]:
        identifier = db_identifier(name, suffix)
        assert re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", identifier), identifier
        assert "--" not in identifier and len(identifier) <= 63
        assert identifier.endswith(f"-{suffix}")
        assert len(f"{identifier}-final") <= 255


# -- 7. lifecycle hook -----------------------------------------------------------------------------------------------


def fleet_alone(stack: str, **changes: Any) -> Plan:
    """The fleet built alone (as in tests/test_wordpress_existing_network.py) from a stack file's settings with some
    of its wordpress keys changed, read by the same models as the program, in a VPC a team already has."""
    config = load_yaml(Path(f"Pulumi.{stack}.yaml").read_text())["config"]
    raw = {k.removeprefix(f"{PROJECT}:"): v for k, v in config.items() if k.startswith(f"{PROJECT}:")}
    raw["wordpress"] = wordpress(stack, **changes)
    settings = parse_settings(PROJECT, stack, config["aws:region"], raw)
    network = ExistingNetwork(
        vpc_id="vpc-0a1b2c3d",
        availability_zones=["us-east-1a", "us-east-1b"],
        public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
        private_subnet_ids=["subnet-app-a", "subnet-app-b"],
        data_subnet_ids=["subnet-db-a", "subnet-db-b"],
    )
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/0f3c6a2e-1b2c-4d5e-8f90-123456789abc"

    def program() -> None:
        WordPressFleet("blog", settings.wordpress, network=network, key_arn=key_arn, tags={"Team": "web"})

    return run_program(program, config={"aws:region": config["aws:region"]})


def test_the_launch_hook_is_a_resource_so_a_new_boot_timeout_applies() -> None:
    # The hook is the fleet's own: the fleet alone, with prod's settings and another boot timeout, shows it. Alone it
    # is told where its baked image is published, which in the stack the image pipeline tells it.
    plan = fleet_alone("prod", bootTimeoutSeconds=1500, imageParameter="/images/wordpress-web")
    asg = one(plan, "aws:autoscaling/group:Group")
    hook = one(plan, "aws:autoscaling/lifecycleHook:LifecycleHook")
    assert hook.inputs["autoscalingGroupName"] == asg.inputs["name"]
    assert hook.inputs["name"] == LIFECYCLE_HOOK
    assert hook.inputs["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert hook.inputs["heartbeatTimeout"] == 1500
    assert hook.inputs["defaultResult"] == "ABANDON"
    # The group declares the same hook only so it exists before its first instances; a later change of it must not
    # replace the group (the provider replaces a group whose initial hooks change), the resource applies it.
    [initial] = asg.inputs["initialLifecycleHooks"]
    assert {k: initial[k] for k in ("name", "lifecycleTransition", "defaultResult", "heartbeatTimeout")} == {
        k: hook.inputs[k] for k in ("name", "lifecycleTransition", "defaultResult", "heartbeatTimeout")
    }
    assert "initialLifecycleHooks" in asg.ignore_changes


# -- 9. instance type offered in every zone -------------------------------------------------------------------------


def test_a_zone_that_does_not_offer_the_instance_type_is_named(plan_with: Callable[..., Plan]) -> None:
    # us-east-1e offers no Graviton types in the offline account; a six-zone network includes it.
    with pytest.raises(ConfigError) as failure:
        plan_with("dev", {NETWORK: SIX_ZONES, WORDPRESS: wordpress("dev", instanceType="t4g.micro")})
    assert failure.value.key == f"{WORDPRESS}.instanceType"
    assert "us-east-1e" in failure.value.problem
    assert "us-east-1a" not in failure.value.problem.split("(")[0]


def test_a_type_every_zone_offers_passes(edited_dev: Plan) -> None:
    assert len(edited_dev.outputs["availabilityZones"]) == 6
    assert one(edited_dev, "aws:ec2/launchTemplate:LaunchTemplate").inputs["instanceType"] == "t3.micro"


# -- 10. public addresses ---------------------------------------------------------------------------------------------


def test_instances_get_a_public_address_only_where_the_config_asks(stack_plan: Plan) -> None:
    template = one(stack_plan, "aws:ec2/launchTemplate:LaunchTemplate")
    [interface] = template.inputs["networkInterfaces"]
    asks = wordpress(stack_plan.stack)["publicInstances"]
    assert interface["associatePublicIpAddress"] == ("true" if asks else "false")
    assert interface["deviceIndex"] == 0
    web_sg = next(r for r in fleet(stack_plan) if r.name.endswith("-web-sg") and r.type.endswith("SecurityGroup"))
    assert interface["securityGroups"] == [f"{web_sg.name}-id"]
    assert "vpcSecurityGroupIds" not in template.inputs  # EC2 takes the groups from the interface then


# -- 11. database logs ----------------------------------------------------------------------------------------------


def test_prod_exports_the_error_and_slow_query_logs_into_groups_the_stack_made_first(prod_plan: Plan) -> None:
    db = one(prod_plan, "aws:rds/instance:Instance")
    assert db.inputs["enabledCloudwatchLogsExports"] == ["error", "slowquery"]
    groups = {g.inputs["name"]: g for g in fleet(prod_plan) if g.type == LOG_GROUP}
    for log in ("error", "slowquery"):
        group = groups[f"/aws/rds/instance/{db.inputs['identifier']}/{log}"]
        assert group.inputs["kmsKeyId"] == prod_plan.outputs["kmsKeyArn"]
        assert group.inputs["retentionInDays"] == 90  # prod's logRetentionDays
        assert group.urn in db.dependencies
    params = one(prod_plan, "aws:rds/parameterGroup:ParameterGroup")
    assert db.inputs["parameterGroupName"] == params.outputs["name"]
    assert params.inputs["family"] == f"mysql{db.inputs['engineVersion']}"
    values = {p["name"]: p["value"] for p in params.inputs["parameters"]}
    assert values["slow_query_log"] == "1"
    assert values["log_output"] == "FILE"
    assert float(values["long_query_time"]) > 0


def test_log_exports_can_be_turned_off(edited_dev: Plan) -> None:
    db = one(edited_dev, "aws:rds/instance:Instance")
    assert not db.inputs.get("enabledCloudwatchLogsExports")
    assert not db.inputs.get("parameterGroupName")
    assert not [g for g in fleet(edited_dev) if g.type == LOG_GROUP and "/aws/rds/" in g.inputs["name"]]


def test_the_compressed_user_data_is_the_same_bytes_every_time() -> None:
    # No timestamp in the gzip header: an unchanged document must not make a new launch template version (a refresh).
    boot = BootSettings(
        region="us-east-1", db_host="h", db_secret_arn="a", efs_id="fs-1", asg_name="g", wordpress_version="7.0",
        site_url="https://www.example.org", site_title="News", admin_user="editor", admin_email="e@example.org",
        admin_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:admin",
    )  # fmt: skip
    document = cloud_config(boot)
    assert compressed(document) == compressed(document)
    assert gzip.decompress(compressed(document)).decode() == document
