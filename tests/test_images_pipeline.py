"""The image pipeline: an AWS-owned parent, the stack key, IMDSv2-only builders, an image published to SSM and shared
with exactly the configured accounts, AWSTOE documents of known actions, and a fleet that boots from the baked image
without installing anything."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.foundation.network import ExistingNetwork
from aws_compute_platform.images import documents
from aws_compute_platform.images.args import ImagePipelineArgs
from aws_compute_platform.images.build_infrastructure import BUILD_INSTANCE_POLICIES
from aws_compute_platform.images.distribution import STOCK_IMAGE_PARAMETER
from aws_compute_platform.images.pipeline import ImagePipeline
from aws_compute_platform.settings import parse_settings
from aws_compute_platform.wordpress.image import BAKED_MARKER
from aws_compute_platform.wordpress.load_balancer import HEALTH_FILE
from aws_compute_platform.wordpress.user_data import APP_DIR, BootSettings, cloud_config
from plan import Plan, run_program
from plan.mocks import stable_hash
from tests.yaml_loader import load_yaml

PIPELINE = "aws:imagebuilder/imagePipeline:ImagePipeline"
RECIPE = "aws:imagebuilder/imageRecipe:ImageRecipe"
COMPONENT = "aws:imagebuilder/component:Component"
INFRASTRUCTURE = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
DISTRIBUTION = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration"
PARAMETER = "aws:ssm/parameter:Parameter"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
PIPELINE_KEY = "aws-compute-platform:imagePipeline"

# Every AWSTOE action module, as the AWSTOE reference lists them ("Action modules supported by AWSTOE component
# manager": general execution, file download and upload, file system operations, software installation, system
# actions; awsdocs/ec2-image-builder-user-guide doc_source/toe-action-modules.md), the same set the CDK's
# ComponentAction enum carries (aws/aws-cdk @aws-cdk/aws-imagebuilder-alpha lib/component.ts).
AWSTOE_ACTIONS = frozenset(
    {
        # general execution
        "ExecuteBash", "ExecuteBinary", "ExecuteDocument", "ExecutePowerShell",
        # file download and upload
        "S3Download", "S3Upload", "WebDownload",
        # file system operations
        "AppendFile", "CopyFile", "CopyFolder", "CreateFile", "CreateFolder", "CreateSymlink", "DeleteFile",
        "DeleteFolder", "ListFiles", "MoveFile", "MoveFolder", "ReadFile", "SetFileEncoding", "SetFileOwner",
        "SetFolderOwner", "SetFilePermissions", "SetFolderPermissions",
        # software installation
        "InstallMSI", "UninstallMSI",
        # system actions
        "Reboot", "SetRegistry", "UpdateOS",
        # assertion
        "Assert",
    }
)  # fmt: skip
AWSTOE_PHASES = frozenset({"build", "validate", "test"})
PARENT = re.compile(r"arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:aws:image/amazon-linux-2023-(arm64|x86)/x\.x\.x")


def one(plan: Plan, type_: str) -> Any:
    found = plan.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def image_parameter(plan: Plan) -> Any:
    return next(p for p in plan.of_type(PARAMETER) if p.inputs.get("dataType") == "aws:ec2:image")


# --- the recipe ---------------------------------------------------------------------------------------------------


def test_every_recipe_starts_from_amazon_linux_2023_published_by_aws_never_a_community_image(prod_plan: Plan) -> None:
    recipes = prod_plan.of_type(RECIPE)
    assert recipes
    for recipe in recipes:
        parent = recipe.inputs["parentImage"]
        # The account field of the ARN is `aws`: an image AWS owns, not an AMI id anyone could have published.
        assert PARENT.fullmatch(parent), parent
        assert not parent.startswith(("ami-", "ssm:"))


def pipeline_alone(args: ImagePipelineArgs) -> Plan:
    """The pipeline component on its own, in a network a team already has (no stack around it)."""
    network = ExistingNetwork(
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["us-east-1a", "us-east-1b"],
        public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
        private_subnet_ids=["subnet-app-a", "subnet-app-b"],
    )
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
    return run_program(
        lambda: ImagePipeline(
            "images", args, wordpress_version="7.0", health_file=HEALTH_FILE, network=network, key_arn=key_arn, tags={}
        ),
        config={"aws:region": "us-east-1"},
    )


@pytest.mark.parametrize(
    ("instance_type", "arch"), [("t4g.small", "arm64"), ("m7g.large", "arm64"), ("t3.small", "x86")]
)
def test_the_parent_image_has_the_architecture_of_the_build_instances(instance_type: str, arch: str) -> None:
    # The recipe is the pipeline's own: the component alone shows it. That a stack refuses a fleet of another
    # architecture is test_a_pipeline_baking_for_another_architecture_than_the_fleet_is_refused.
    plan = pipeline_alone(ImagePipelineArgs(enabled=True, instance_type=instance_type))
    assert one(plan, RECIPE).inputs["parentImage"].endswith(f":aws:image/amazon-linux-2023-{arch}/x.x.x")


def test_the_image_volumes_and_the_distributed_image_are_encrypted_with_the_stack_key(prod_plan: Plan) -> None:
    key = prod_plan.outputs["kmsKeyArn"]
    for recipe in prod_plan.of_type(RECIPE):
        mappings = recipe.inputs["blockDeviceMappings"]
        assert mappings
        for mapping in mappings:
            assert mapping["ebs"]["encrypted"] == "true"
            assert mapping["ebs"]["kmsKeyId"] == key
    for distribution in prod_plan.of_type(DISTRIBUTION):
        for target in distribution.inputs["distributions"]:
            assert target["amiDistributionConfiguration"]["kmsKeyId"] == key


def test_the_recipe_applies_every_component_document_hardening_last(prod_plan: Plan) -> None:
    components = {c.outputs["arn"]: c for c in prod_plan.of_type(COMPONENT)}
    applied = [components[c["componentArn"]] for c in one(prod_plan, RECIPE).inputs["components"]]
    assert [c.inputs["data"] for c in applied] == [documents.text(d) for d in documents.DOCUMENTS]
    assert documents.DOCUMENTS[-1] == documents.HARDENING


# --- the build instances ------------------------------------------------------------------------------------------


def test_build_instances_require_imdsv2_and_are_terminated_when_a_build_fails(prod_plan: Plan) -> None:
    configurations = prod_plan.of_type(INFRASTRUCTURE)
    assert configurations
    for configuration in configurations:
        assert configuration.get("instanceMetadataOptions.httpTokens") == "required"
        assert configuration.get("instanceMetadataOptions.httpPutResponseHopLimit") == 1
        assert configuration.inputs["terminateInstanceOnFailure"] is True


def test_build_instances_accept_no_inbound_traffic_and_log_to_a_private_bucket(prod_plan: Plan) -> None:
    configuration = one(prod_plan, INFRASTRUCTURE)
    (group_id,) = configuration.inputs["securityGroupIds"]
    group = next(g for g in prod_plan.of_type("aws:ec2/securityGroup:SecurityGroup") if f"{g.name}-id" == group_id)
    assert not group.inputs.get("ingress")
    assert not [
        r
        for r in prod_plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == group_id
    ]
    egress = [
        r
        for r in prod_plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == group_id
    ]
    assert [(r.inputs["fromPort"], r.inputs["toPort"]) for r in egress] == [(443, 443)]
    bucket_name = configuration.get("logging.s3Logs.s3BucketName")
    bucket = next(b for b in prod_plan.of_type("aws:s3/bucket:Bucket") if b.outputs["bucket"] == bucket_name)
    block = next(
        b
        for b in prod_plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
        if b.inputs["bucket"] == f"{bucket.name}-id"
    )
    assert all(block.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))


def test_build_instances_have_their_own_profile_with_the_image_builder_and_ssm_core_policies(prod_plan: Plan) -> None:
    configuration = one(prod_plan, INFRASTRUCTURE)
    profile = next(
        p
        for p in prod_plan.of_type("aws:iam/instanceProfile:InstanceProfile")
        if p.outputs["name"] == configuration.inputs["instanceProfileName"]
    )
    role = next(r for r in prod_plan.of_type("aws:iam/role:Role") if r.outputs["name"] == profile.inputs["role"])
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in prod_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    }
    assert (
        attached
        == set(BUILD_INSTANCE_POLICIES)
        == {"EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore"}
    )
    fleet_profiles = [p for p in prod_plan.of_type("aws:iam/instanceProfile:InstanceProfile") if "wordpress" in p.name]
    assert profile not in fleet_profiles


# --- distribution -------------------------------------------------------------------------------------------------


def test_each_new_image_id_is_published_to_the_ssm_parameter_the_fleet_launches_from(prod_plan: Plan) -> None:
    parameter = image_parameter(prod_plan)
    (target,) = one(prod_plan, DISTRIBUTION).inputs["distributions"]
    assert target["ssmParameterConfigurations"] == [
        {"parameterName": parameter.inputs["name"], "dataType": "aws:ec2:image"}
    ]


def test_the_parameter_exists_before_any_build_holding_stock_amazon_linux_and_leaves_its_value_to_image_builder(
    prod_plan: Plan,
) -> None:
    parameter = image_parameter(prod_plan)
    stock = STOCK_IMAGE_PARAMETER.format(arch="arm64")
    assert stock.startswith("/aws/service/ami-amazon-linux-latest/")
    assert parameter.inputs["insecureValue"] == f"ami-{stable_hash(stock)}"
    assert "insecureValue" in parameter.ignore_changes


def test_the_shipped_prod_image_is_shared_with_no_one(prod_plan: Plan) -> None:
    (target,) = one(prod_plan, DISTRIBUTION).inputs["distributions"]
    assert "launchPermission" not in target["amiDistributionConfiguration"]
    assert not [g for g in prod_plan.of_type("aws:kms/grant:Grant") if g.inputs["granteePrincipal"].endswith(":root")]


def test_launch_permission_and_key_use_go_to_exactly_the_configured_accounts(plan_with: Callable[..., Plan]) -> None:
    accounts = ["111122223333", "444455556666"]
    plan = plan_with("prod", {PIPELINE_KEY: {"enabled": True, "shareWithAccounts": [*accounts, accounts[0]]}})
    (target,) = one(plan, DISTRIBUTION).inputs["distributions"]
    assert target["amiDistributionConfiguration"]["launchPermission"] == {"userIds": accounts}
    assert set(target["amiDistributionConfiguration"]["launchPermission"]) == {"userIds"}
    shared = sorted(
        g.inputs["granteePrincipal"]
        for g in plan.of_type("aws:kms/grant:Grant")
        if g.inputs["granteePrincipal"].endswith(":root")
    )
    assert shared == [f"arn:aws:iam::{a}:root" for a in accounts]
    for grant in plan.of_type("aws:kms/grant:Grant"):
        assert grant.inputs["keyId"] == plan.outputs["kmsKeyArn"]
        assert (
            "Encrypt" not in grant.inputs["operations"]
            or "imagebuilder.amazonaws.com" in grant.inputs["granteePrincipal"]
        )


# --- the pipeline -------------------------------------------------------------------------------------------------


def test_the_pipeline_runs_on_its_schedule_when_the_parent_updates_with_tests_and_enhanced_metadata(
    prod_plan: Plan,
) -> None:
    pipeline = one(prod_plan, PIPELINE)
    assert pipeline.get("schedule.scheduleExpression") == "cron(0 4 ? * SUN *)"
    assert (
        pipeline.get("schedule.pipelineExecutionStartCondition") == "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"
    )
    assert pipeline.get("imageTestsConfiguration.imageTestsEnabled") is True
    assert pipeline.inputs["enhancedImageMetadataEnabled"] is True
    assert pipeline.inputs["imageRecipeArn"] == one(prod_plan, RECIPE).outputs["arn"]
    assert pipeline.inputs["infrastructureConfigurationArn"] == one(prod_plan, INFRASTRUCTURE).outputs["arn"]
    assert pipeline.inputs["distributionConfigurationArn"] == one(prod_plan, DISTRIBUTION).outputs["arn"]


def test_the_shipped_dev_stack_has_no_pipeline_and_boots_the_stock_image(dev_plan: Plan) -> None:
    assert not dev_plan.of_type(PIPELINE)
    image_id = one(dev_plan, LAUNCH_TEMPLATE).inputs["imageId"]
    assert image_id.startswith("ami-")


# --- the component documents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", documents.DOCUMENTS)
def test_each_component_document_is_an_awstoe_document_of_known_actions_with_validate_and_test(name: str) -> None:
    document = load_yaml(documents.text(name))
    assert str(document["schemaVersion"]) == "1.0"
    phases = {phase["name"]: phase["steps"] for phase in document["phases"]}
    assert set(phases) <= AWSTOE_PHASES
    assert {"build", "validate", "test"} <= set(phases)
    for steps in phases.values():
        assert steps
        names = [step["name"] for step in steps]
        assert len(names) == len(set(names))
        for step in steps:
            assert step["action"] in AWSTOE_ACTIONS, step["action"]
    for parameter in document.get("parameters", []):
        ((_, spec),) = parameter.items()
        assert spec["type"] == "string" and "default" in spec


def test_the_parameters_the_recipe_passes_are_the_ones_the_document_declares(prod_plan: Plan) -> None:
    declared = {next(iter(p)) for p in documents.parsed(documents.WORDPRESS_WEB)["parameters"]}
    components = {c.outputs["arn"]: c for c in prod_plan.of_type(COMPONENT)}
    for entry in one(prod_plan, RECIPE).inputs["components"]:
        document = load_yaml(components[entry["componentArn"]].inputs["data"])
        passed = {p["name"] for p in entry.get("parameters") or []}
        assert passed <= {next(iter(p)) for p in document.get("parameters", [])}
        if document["name"] == "wordpress-web":
            assert passed == declared
            values = {p["name"]: p["value"] for p in entry["parameters"]}
            assert values["WordPressVersion"] == "7.0"


def _dnf_installs(script: str) -> set[str]:
    found: set[str] = set()
    for line in script.splitlines():
        words = shlex.split(line.strip(), comments=True) if "dnf install" in line else []
        if words[:2] == ["dnf", "install"]:
            found.update(w for w in words[2:] if not w.startswith("-"))
    return found


def test_the_image_installs_every_package_the_boot_script_installs_on_a_stock_image() -> None:
    at_boot = _dnf_installs((APP_DIR / "boot.sh").read_text())
    web = load_yaml(documents.text(documents.WORDPRESS_WEB))
    build = next(p for p in web["phases"] if p["name"] == "build")
    baked = _dnf_installs("\n".join(c for s in build["steps"] for c in s.get("inputs", {}).get("commands", [])))
    assert at_boot and at_boot <= baked


def test_the_image_marks_itself_baked_with_the_release_the_boot_script_looks_for() -> None:
    web = documents.text(documents.WORDPRESS_WEB)
    assert f">{BAKED_MARKER}" in web and "WP_VERSION=%s" in web
    assert BAKED_MARKER in (APP_DIR / "boot.sh").read_text()


def test_hardening_leaves_no_password_ssh_no_keys_and_no_history() -> None:
    hardening = documents.parsed(documents.HARDENING)
    build = next(p for p in hardening["phases"] if p["name"] == "build")
    actions = [s["action"] for s in build["steps"]]
    assert actions[0] == "UpdateOS"
    sshd = next(s for s in build["steps"] if s["action"] == "CreateFile")["inputs"][0]["content"]
    for line in ("PasswordAuthentication no", "PermitRootLogin no", "PermitEmptyPasswords no"):
        assert line in sshd.splitlines()
    cleanup = documents.text(documents.HARDENING)
    for left in ("authorized_keys", "ssh_host_", "_history", "cloud-init clean"):
        assert left in cleanup


# --- the fleet ----------------------------------------------------------------------------------------------------


def test_the_shipped_prod_launch_template_takes_the_baked_image_from_the_pipeline_parameter(prod_plan: Plan) -> None:
    template = one(prod_plan, LAUNCH_TEMPLATE)
    parameter = image_parameter(prod_plan)
    assert template.inputs["imageId"] == f"resolve:ssm:{parameter.inputs['name']}"
    # The parameter is there before the template (and any instance) resolves it.
    assert parameter.urn in template.dependencies


def _boot(tmp_path: Path, *, image: str, baked_release: str | None) -> list[str]:
    """Run the rendered boot script with every outside command recorded instead of run; the commands it ran."""
    document = load_yaml(
        cloud_config(
            BootSettings(
                region="us-east-1", db_host="db.example", db_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:x",
                efs_id="fs-1", asg_name="web", wordpress_version="7.0", image=image,
                site_url="https://www.example.org", site_title="News", admin_user="editor",
                admin_email="e@example.org", admin_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:admin",
            )
        ).removeprefix("#cloud-config\n")
    )  # fmt: skip
    root = tmp_path / "root"
    files = {f["path"]: (f["content"], int(f["permissions"], 8)) for f in document["write_files"]}

    def rooted(text: str) -> str:
        for top in ("/etc/", "/srv/", "/var/www/", "/usr/local/sbin/"):
            text = text.replace(top, f"{root}{top}")
        return text

    for path, (content, mode) in files.items():
        target = Path(rooted(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rooted(content))
        target.chmod(mode)
    (root / "var/www/html").mkdir(parents=True, exist_ok=True)
    (root / "etc/php-fpm.d").mkdir(parents=True, exist_ok=True)  # php-fpm's package makes it (recorded, not run here)
    if baked_release is not None:
        Path(rooted(BAKED_MARKER)).write_text(f"WP_VERSION={baked_release}\nWP_SHA1=0\n")
    log = tmp_path / "commands.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Real: what the script needs to read and lay out files under the fake root. Everything else is recorded.
    for real in ("mkdir", "mktemp", "grep", "cat", "awk"):
        (bin_dir / real).symlink_to(f"/usr/bin/{real}" if Path(f"/usr/bin/{real}").exists() else f"/bin/{real}")
    meminfo = tmp_path / "meminfo"  # the php-fpm pool is sized from it: a 2 GiB instance
    meminfo.write_text("MemTotal:        2000000 kB\n")
    env = {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path),
        "MEMINFO": str(meminfo),
        # A recorded command reads its input (as the real one would), so `echo ... | sha1sum -c -` sees no broken pipe.
        "BASH_FUNC_command_not_found_handle%%": (
            f'() {{ echo "$*" >>{shlex.quote(str(log))}; cat >/dev/null 2>&1; return 0; }}'
        ),
    }
    script = Path(rooted("/usr/local/sbin/wordpress-boot"))
    result = subprocess.run(
        ["/bin/bash", str(script)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines() if log.exists() else []


def test_a_boot_from_the_baked_image_installs_no_package_and_downloads_no_wordpress(tmp_path: Path) -> None:
    commands = _boot(tmp_path, image="baked", baked_release="7.0")
    assert commands, "the boot ran no outside command at all: the harness is broken"
    assert not [c for c in commands if c.split()[:1] in (["dnf"], ["yum"]) or "wordpress.org" in c]
    # It still configures: mounts the shared content and tells Auto Scaling it is ready.
    assert any(c.startswith("mount ") for c in commands)
    assert any("complete-lifecycle-action" in c and "CONTINUE" in c for c in commands)


@pytest.mark.parametrize(("image", "baked_release"), [("stock", None), ("baked", None), ("baked", "6.9")])
def test_a_boot_from_a_stock_image_or_another_release_installs_as_before(
    image: str, baked_release: str | None, tmp_path: Path
) -> None:
    commands = _boot(tmp_path, image=image, baked_release=baked_release)
    assert any(c.startswith("dnf install") for c in commands)
    assert any("wordpress.org/wordpress-7.0.tar.gz" in c for c in commands)


# --- settings -----------------------------------------------------------------------------------------------------


def _problems(config: dict[str, Any]) -> dict[str, str]:
    base: dict[str, Any] = {"owner": "team", "costCenter": "cc-1", "network": {"azCount": 2, "natGateways": "single"}}
    with pytest.raises(SettingsError) as caught:
        parse_settings("aws-compute-platform", "test", "us-east-1", {**base, **config})
    return {p.key: p.problem for p in caught.value.problems}


def test_a_baked_fleet_without_a_pipeline_is_refused_naming_the_key() -> None:
    problems = _problems({"wordpress": {"enabled": True, "image": "baked", "adminEmail": "webmaster@example.org"}})
    assert "imagePipeline.enabled" in problems["aws-compute-platform:wordpress.image"]


def test_a_pipeline_baking_for_another_architecture_than_the_fleet_is_refused() -> None:
    problems = _problems(
        {
            "wordpress": {
                "enabled": True,
                "image": "baked",
                "instanceType": "t4g.small",
                "adminEmail": "webmaster@example.org",
            },
            "imagePipeline": {"enabled": True, "instanceType": "t3.small"},
        }
    )
    assert "arm64" in problems["aws-compute-platform:imagePipeline.instanceType"]


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("schedule", "cron(0 4 * * *)", "schedule"),
        ("schedule", "rate(7 days)", "schedule"),
        ("share_with_accounts", ("12345",), "shareWithAccounts[0]"),
        ("wordpress_sha1", "not-a-digest", "wordpressSha1"),
        ("test_timeout_minutes", 30, "testTimeoutMinutes"),
    ],
)
def test_bad_pipeline_settings_name_their_key_from_the_stack_file_and_from_python(
    field: str, value: Any, key: str
) -> None:
    alias = ImagePipelineArgs.model_fields[field].alias or field
    raw = {alias: list(value) if isinstance(value, tuple) else value}
    with pytest.raises(SettingsError) as from_config:
        ImagePipelineArgs.from_config(raw)
    with pytest.raises(SettingsError) as from_python:
        ImagePipelineArgs(**{field: value})
    for caught in (from_config, from_python):
        assert [p.key for p in caught.value.problems] == [f"{PIPELINE_KEY}.{key}"]


def test_the_build_logs_follow_the_stacks_log_retention() -> None:
    settings = parse_settings(
        "aws-compute-platform", "test", "us-east-1",
        {"owner": "t", "costCenter": "c", "logRetentionDays": 90, "imagePipeline": {"enabled": True}},
    )  # fmt: skip
    assert settings.image_pipeline.log_retention_days == 90
    assert os.path.basename(BAKED_MARKER) == "baked-image"
