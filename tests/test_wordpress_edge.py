"""WordPress's edge: CloudFront and AWS WAF in front, an origin only CloudFront can use, HTTPS for every viewer, and
a site that installs itself with no wizard and no password anywhere it could be read."""

from __future__ import annotations

import base64
import gzip
import json
import re
import runpy
import subprocess
from typing import Any

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.wordpress.edge import (
    ADMIN_PATHS,
    ALL_VIEWER_AND_CLOUDFRONT_HEADERS,
    CACHING_DISABLED,
    MANAGED_RULE_GROUPS,
    SESSION_COOKIES,
    STATIC_PATHS,
)
from aws_compute_platform.wordpress.load_balancer import CLOUDFRONT_PREFIX_LIST, INSTALLER_PATHS, ORIGIN_HEADER
from aws_compute_platform.wordpress.user_data import WP_CLI_SHA512, WP_CLI_VERSION
from plan import Plan, PlannedResource, run_program
from plan.engine import ROOT, load_stack_config
from tests.yaml_loader import load_yaml

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER_CERTIFICATE = "aws:lb/listenerCertificate:ListenerCertificate"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PASSWORD = "random:index/randomPassword:RandomPassword"
WORLD = {"0.0.0.0/0", "::/0"}
# How the Pulumi engine marks a secret value (pulumi.runtime.rpc: _special_sig_key, _special_secret_sig).
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE_VALUE = "1b47061264138c4ac30d75fd1eb44270"
# The id `aws ec2 describe-managed-prefix-lists` gives CloudFront's origin-facing list in us-east-1.
CLOUDFRONT_PREFIX_LIST_ID = "pl-3b927c52"


def fleet(plan: Plan) -> list[PlannedResource]:
    component = next(r for r in plan if r.type == "acp:compute:WordPressFleet")
    return plan.within(component)


def of(plan: Plan, type_: str) -> list[PlannedResource]:
    return [r for r in fleet(plan) if r.type == type_]


def one(plan: Plan, type_: str) -> PlannedResource:
    [found] = of(plan, type_)
    return found


def load_balancer_group(plan: Plan) -> PlannedResource:
    return next(r for r in of(plan, "aws:ec2/securityGroup:SecurityGroup") if r.name.endswith("-alb-sg"))


def user_data(plan: Plan) -> str:
    """What cloud-init reads: the launch template's user data, decompressed (gzip, to fit EC2's 16 KiB)."""
    raw = base64.b64decode(one(plan, "aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"])
    return gzip.decompress(raw).decode()


def boot_files(plan: Plan) -> dict[str, str]:
    return {f["path"]: f["content"] for f in load_yaml(user_data(plan))["write_files"]}


def behaviours(plan: Plan) -> dict[str, dict[str, Any]]:
    """Each cache behaviour of the distribution by path pattern; `*` is the default behaviour."""
    distribution = one(plan, DISTRIBUTION).inputs
    found = {b["pathPattern"]: b for b in distribution["orderedCacheBehaviors"]}
    found["*"] = distribution["defaultCacheBehavior"]
    return found


def cache_policy(plan: Plan, policy_id: str) -> dict[str, Any]:
    policy = next(p for p in of(plan, CACHE_POLICY) if plan.id_of(p) == policy_id)
    return dict(policy.inputs)


def certificate_behind(plan: Plan, arn: str) -> PlannedResource:
    """The ACM certificate whose DNS validation resolved to `arn` (components use the validation's ARN)."""
    [validation] = [v for v in plan.of_type(VALIDATION) if v.outputs["certificateArn"] == arn]
    return next(c for c in plan.of_type(CERTIFICATE) if c.name == validation.name)


def validated_in_the_zone(plan: Plan, certificate: PlannedResource) -> bool:
    zone_id = one_zone_id(plan)
    option = certificate.outputs["domainValidationOptions"][0]
    records = [r for r in plan.of_type(RECORD) if r.name == f"{certificate.name}-validation"]
    return (
        certificate.inputs["validationMethod"] == "DNS"
        and len(records) == 1
        and records[0].inputs["zoneId"] == zone_id
        and records[0].inputs["name"] == option["resourceRecordName"]
    )


def one_zone_id(plan: Plan) -> str:
    [zone_id] = {r.inputs["zoneId"] for r in plan.of_type(RECORD)}
    return str(zone_id)


def wordpress_settings(stack: str) -> dict[str, Any]:
    """The stack file's wordpress section, as written."""
    stack_file = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return dict(stack_file["config"]["aws-compute-platform:wordpress"])


def reveal(value: Any) -> Any:
    """A secret input's value; the engine keeps a top-level secret input wrapped with Pulumi's secret signature."""
    return value["value"] if is_secret(value) else value


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE) == SECRET_SIGNATURE_VALUE


def passwords(plan: Plan) -> list[str]:
    return [str(p.outputs["result"]) for p in plan.of_type(PASSWORD)]


# -- the origin takes traffic from CloudFront only --------------------------------------------------------------------


def test_the_load_balancer_admits_only_cloudfronts_origin_facing_addresses(stack_plan: Plan) -> None:
    alb = load_balancer_group(stack_plan)
    ingress = [r for r in stack_plan.of_type(INGRESS) if r.inputs["securityGroupId"] == stack_plan.id_of(alb)]
    # One rule: the prefix list weighs its maximum entries against the group's rule quota.
    [rule] = ingress
    assert rule.inputs["prefixListId"] == CLOUDFRONT_PREFIX_LIST_ID
    assert not {rule.get("cidrIpv4"), rule.get("cidrIpv6")} & WORLD
    port = {"dev": 80, "prod": 443}[stack_plan.stack]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (port, port)
    for anywhere in stack_plan.of_type(INGRESS):
        if anywhere.inputs["securityGroupId"] == stack_plan.id_of(alb):
            assert not anywhere.get("cidrIpv4") and not anywhere.get("cidrIpv6")


def test_the_prefix_list_is_looked_up_by_cloudfronts_name() -> None:
    assert CLOUDFRONT_PREFIX_LIST == "com.amazonaws.global.cloudfront.origin-facing"


def test_only_requests_carrying_cloudfronts_secret_header_are_forwarded(stack_plan: Plan) -> None:
    [listener] = of(stack_plan, LISTENER)
    assert listener.inputs["defaultActions"] == [
        {
            "type": "fixed-response",
            "fixedResponse": {"contentType": "text/plain", "messageBody": "Forbidden", "statusCode": "403"},
        }
    ]
    forwarding = [r for r in of(stack_plan, LISTENER_RULE) if r.inputs["actions"][0]["type"] == "forward"]
    [rule] = forwarding
    [condition] = rule.inputs["conditions"]
    header = condition["httpHeader"]
    assert header["httpHeaderName"] == ORIGIN_HEADER
    [origin] = one(stack_plan, DISTRIBUTION).inputs["origins"]
    assert origin["customHeaders"] == [{"name": ORIGIN_HEADER, "value": header["values"][0]}]
    # The value is a generated secret of the load balancer's own, not something written in config.
    secret = next(p for p in of(stack_plan, PASSWORD) if p.name.endswith("-origin-secret"))
    assert header["values"] == [secret.outputs["result"]]
    assert secret.inputs["length"] >= 32
    assert secret.outputs["result"] not in json.dumps(load_stack_config(stack_plan.stack)[1])
    assert secret.outputs["result"] not in (ROOT / f"Pulumi.{stack_plan.stack}.yaml").read_text()


def vpc_origin(plan: Plan) -> PlannedResource:
    return one(plan, "aws:cloudfront/vpcOrigin:VpcOrigin")


def test_cloudfront_reaches_the_internal_load_balancer_through_a_vpc_origin(stack_plan: Plan) -> None:
    [origin] = one(stack_plan, DISTRIBUTION).inputs["origins"]
    alb = one(stack_plan, "aws:lb/loadBalancer:LoadBalancer")
    endpoint = vpc_origin(stack_plan).inputs["vpcOriginEndpointConfig"]
    assert endpoint["arn"] == alb.outputs["arn"]
    assert origin["vpcOriginConfig"]["vpcOriginId"] == stack_plan.id_of(vpc_origin(stack_plan))
    # One way in: a VPC origin, not also the load balancer's name over the internet.
    assert "customOriginConfig" not in origin and "s3OriginConfig" not in origin
    assert alb.inputs["internal"] is True
    assert endpoint["originSslProtocols"] == {"items": ["TLSv1.2"], "quantity": 1}
    assert (endpoint["httpPort"], endpoint["httpsPort"]) == (80, 443)


def test_cloudfront_reaches_the_origin_over_https_under_a_name_in_the_zone_in_prod(prod_plan: Plan) -> None:
    [origin] = one(prod_plan, DISTRIBUTION).inputs["origins"]
    # The name CloudFront asks for, which the load balancer's certificate covers.
    assert origin["domainName"] == "origin.www.example.org"
    assert vpc_origin(prod_plan).inputs["vpcOriginEndpointConfig"]["originProtocolPolicy"] == "https-only"
    alias = next(r for r in prod_plan.of_type(RECORD) if r.inputs["name"] == "origin.www.example.org")
    alb = one(prod_plan, "aws:lb/loadBalancer:LoadBalancer")
    assert alias.inputs["aliases"][0]["name"] == alb.outputs["dnsName"]


def test_without_a_domain_cloudfront_reaches_the_load_balancer_by_its_own_name_over_http(dev_plan: Plan) -> None:
    [origin] = one(dev_plan, DISTRIBUTION).inputs["origins"]
    assert origin["domainName"] == one(dev_plan, "aws:lb/loadBalancer:LoadBalancer").outputs["dnsName"]
    assert vpc_origin(dev_plan).inputs["vpcOriginEndpointConfig"]["originProtocolPolicy"] == "http-only"


# -- HTTPS everywhere in prod ----------------------------------------------------------------------------------------


def test_no_wordpress_http_listener_in_prod_forwards(prod_plan: Plan) -> None:
    listeners = of(prod_plan, LISTENER)
    assert listeners
    for listener in listeners:
        if listener.inputs["protocol"] != "HTTP":
            continue
        assert all(a["type"] != "forward" for a in listener.inputs["defaultActions"])
        rules = [r for r in of(prod_plan, LISTENER_RULE) if r.inputs["listenerArn"] == listener.outputs["arn"]]
        assert all(a["type"] != "forward" for r in rules for a in r.inputs["actions"])


def test_every_prod_entry_point_serves_https_with_a_certificate_validated_in_the_zone(prod_plan: Plan) -> None:
    distribution = one(prod_plan, DISTRIBUTION).inputs
    viewer = distribution["viewerCertificate"]
    assert viewer["sslSupportMethod"] == "sni-only"
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021"
    cdn_certificate = certificate_behind(prod_plan, viewer["acmCertificateArn"])
    assert cdn_certificate.inputs["domainName"] == "www.example.org"
    assert cdn_certificate.inputs["region"] == "us-east-1"  # CloudFront takes certificates from us-east-1 only
    assert validated_in_the_zone(prod_plan, cdn_certificate)
    assert distribution["aliases"] == ["www.example.org"]

    [https] = [r for r in of(prod_plan, LISTENER) if r.inputs["protocol"] == "HTTPS"]
    arns = [https.inputs["certificateArn"], *[c.inputs["certificateArn"] for c in of(prod_plan, LISTENER_CERTIFICATE)]]
    names = set()
    for arn in arns:
        certificate = certificate_behind(prod_plan, arn)
        assert validated_in_the_zone(prod_plan, certificate)
        names.add(certificate.inputs["domainName"])
    # The origin's name (static paths) and the site's (paths that forward the viewer's Host) both match.
    assert names == {"origin.www.example.org", "www.example.org"}
    assert https.inputs["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-")


def test_the_site_name_points_at_the_distribution_on_ipv4_and_ipv6(prod_plan: Plan) -> None:
    distribution = one(prod_plan, DISTRIBUTION)
    records = [
        r for r in prod_plan.of_type(RECORD) if r.inputs["name"] == "www.example.org" and r.inputs.get("aliases")
    ]
    assert {r.inputs["type"] for r in records} == {"A", "AAAA"}
    for record in records:
        [alias] = record.inputs["aliases"]
        assert alias["name"] == distribution.outputs["domainName"]
        assert alias["zoneId"] == distribution.outputs["hostedZoneId"]
        assert alias["evaluateTargetHealth"] is False  # Route 53 refuses it for CloudFront targets


def test_every_viewer_is_on_https_and_dev_uses_cloudfronts_certificate(stack_plan: Plan) -> None:
    for pattern, behaviour in behaviours(stack_plan).items():
        assert behaviour["viewerProtocolPolicy"] in ("redirect-to-https", "https-only"), pattern
    if stack_plan.stack == "dev":
        assert one(stack_plan, DISTRIBUTION).inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
        assert (
            stack_plan.outputs["wordpressSiteUrl"]
            == f"https://{stack_plan.outputs['wordpressDistributionDomainName']}/"
        )


# -- cache behaviours (whitepaper "Best Practices for WordPress on AWS") -----------------------------------------------


def test_admin_paths_are_never_cached_forward_everything_and_take_https_only(stack_plan: Plan) -> None:
    found = behaviours(stack_plan)
    for path in ADMIN_PATHS:
        behaviour = found[path]
        assert behaviour["cachePolicyId"] == CACHING_DISABLED
        assert behaviour["originRequestPolicyId"] == ALL_VIEWER_AND_CLOUDFRONT_HEADERS
        assert behaviour["viewerProtocolPolicy"] == "https-only"
        assert set(behaviour["allowedMethods"]) >= {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}
    assert set(ADMIN_PATHS) == {"wp-admin/*", "wp-login.php"}
    # CloudFront takes the first matching behaviour: the admin paths come before every other pattern.
    order = [b["pathPattern"] for b in one(stack_plan, DISTRIBUTION).inputs["orderedCacheBehaviors"]]
    assert order[: len(ADMIN_PATHS)] == list(ADMIN_PATHS)


def test_static_paths_are_cached_by_query_string_without_cookies_or_headers(stack_plan: Plan) -> None:
    found = behaviours(stack_plan)
    assert set(STATIC_PATHS) == {"wp-content/*", "wp-includes/*"}
    for path in STATIC_PATHS:
        behaviour = found[path]
        assert behaviour["allowedMethods"] == ["GET", "HEAD"]
        assert "originRequestPolicyId" not in behaviour
        policy = cache_policy(stack_plan, behaviour["cachePolicyId"])
        assert policy["defaultTtl"] > 0 and policy["maxTtl"] >= policy["defaultTtl"]
        key = policy["parametersInCacheKeyAndForwardedToOrigin"]
        assert key["cookiesConfig"] == {"cookieBehavior": "none"}
        assert key["headersConfig"] == {"headerBehavior": "none"}
        assert key["queryStringsConfig"] == {"queryStringBehavior": "all"}


def test_pages_are_cached_per_host_scheme_and_wordpress_session_cookies_only(stack_plan: Plan) -> None:
    default = behaviours(stack_plan)["*"]
    assert "originRequestPolicyId" not in default  # WordPress gets exactly what the cache key holds
    policy = cache_policy(stack_plan, default["cachePolicyId"])
    assert policy["defaultTtl"] > 0
    key = policy["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["cookiesConfig"]["cookieBehavior"] == "whitelist"
    assert set(key["cookiesConfig"]["cookies"]["items"]) == set(SESSION_COOKIES)
    assert set(SESSION_COOKIES) == {"comment_*", "wordpress_*", "wp-settings-*"}
    assert key["headersConfig"]["headerBehavior"] == "whitelist"
    assert set(key["headersConfig"]["headers"]["items"]) == {"Host", "CloudFront-Forwarded-Proto"}


# -- AWS WAF ----------------------------------------------------------------------------------------------------------


def test_the_prod_web_acl_is_on_the_distribution_with_the_managed_rule_groups(prod_plan: Plan) -> None:
    acl = one(prod_plan, WEB_ACL)
    assert one(prod_plan, DISTRIBUTION).inputs["webAclId"] == acl.outputs["arn"]
    assert acl.inputs["scope"] == "CLOUDFRONT"
    assert acl.inputs["region"] == "us-east-1"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    groups = {
        r["statement"]["managedRuleGroupStatement"]["name"]: r
        for r in acl.inputs["rules"]
        if "managedRuleGroupStatement" in r["statement"]
    }
    assert set(groups) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesWordPressRuleSet",
        "AWSManagedRulesPHPRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    assert set(groups) == set(MANAGED_RULE_GROUPS)
    for rule in groups.values():
        assert rule["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
        assert rule["overrideAction"] == {"none": {}}  # the groups block; they are not left counting
    priorities = [r["priority"] for r in acl.inputs["rules"]]
    assert len(priorities) == len(set(priorities))


def test_the_web_acl_rate_limits_wp_login_per_address(prod_plan: Plan) -> None:
    acl = one(prod_plan, WEB_ACL)
    [rule] = [r for r in acl.inputs["rules"] if "rateBasedStatement" in r["statement"]]
    assert rule["action"] == {"block": {}}
    rate = rule["statement"]["rateBasedStatement"]
    assert rate["aggregateKeyType"] == "IP"
    assert 10 <= rate["limit"] <= 1000
    match = rate["scopeDownStatement"]["byteMatchStatement"]
    assert match["searchString"] == "/wp-login.php"
    assert match["fieldToMatch"] == {"uriPath": {}}


def test_every_web_acl_rule_publishes_metrics_and_samples(prod_plan: Plan) -> None:
    acl = one(prod_plan, WEB_ACL)
    configs = [acl.inputs["visibilityConfig"], *[r["visibilityConfig"] for r in acl.inputs["rules"]]]
    for config in configs:
        assert config["cloudwatchMetricsEnabled"] is True
        assert config["sampledRequestsEnabled"] is True
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,128}", config["metricName"])


def test_the_waf_is_off_in_dev_by_its_config(dev_plan: Plan) -> None:
    assert wordpress_settings("dev")["cdn"]["waf"] is False
    assert wordpress_settings("prod")["cdn"]["waf"] is True
    assert not of(dev_plan, WEB_ACL)
    assert "webAclId" not in one(dev_plan, DISTRIBUTION).inputs


# -- the site installs itself ------------------------------------------------------------------------------------------


def test_the_install_wizard_is_refused_at_the_listener_before_any_other_rule_and_by_apache(stack_plan: Plan) -> None:
    [rule] = [r for r in of(stack_plan, LISTENER_RULE) if r.inputs["actions"][0]["type"] == "fixed-response"]
    assert rule.inputs["priority"] == min(r.inputs["priority"] for r in of(stack_plan, LISTENER_RULE))
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": list(INSTALLER_PATHS)}}]
    assert rule.inputs["actions"][0]["fixedResponse"]["statusCode"] == "403"
    apache = boot_files(stack_plan)["/etc/httpd/conf.d/wordpress.conf"]
    assert '<LocationMatch "^/wp-admin/(install|setup-config)\\.php">' in apache


def test_wp_cli_is_pinned_and_checked_against_its_sha512_before_it_runs(stack_plan: Plan) -> None:
    files = boot_files(stack_plan)
    env = files["/etc/wordpress/boot.env"]
    assert f"WP_CLI_VERSION={WP_CLI_VERSION}\n" in env
    assert f"WP_CLI_SHA512={WP_CLI_SHA512}\n" in env
    assert re.fullmatch(r"[0-9a-f]{128}", WP_CLI_SHA512)
    install = files["/usr/local/sbin/wordpress-install"]
    download = install.index('curl -sSfL --retry 5 -o "${download}"')
    check = install.index('echo "${WP_CLI_SHA512}  ${download}" | sha512sum --check -')
    installed = install.index('install -o root -g root -m 0755 "${download}" "${WP_CLI}"')
    assert download < check < installed


def test_the_install_is_non_interactive_and_reads_the_password_from_secrets_manager(stack_plan: Plan) -> None:
    files = boot_files(stack_plan)
    env = files["/etc/wordpress/boot.env"]
    settings = wordpress_settings(stack_plan.stack)
    secret = one(stack_plan, "aws:secretsmanager/secret:Secret")
    assert f"WP_ADMIN_SECRET_ARN={secret.outputs['arn']}\n" in env
    assert f"WP_ADMIN_EMAIL={settings['adminEmail']}\n" in env
    assert f"WP_ADMIN_USER={settings['adminUser']}\n" in env
    assert f"WP_SITE_URL={stack_plan.outputs['wordpressSiteUrl'].rstrip('/')}\n" in env
    install = files["/usr/local/sbin/wordpress-install"]
    # The value flows from Secrets Manager to WP-CLI's standard input, never through an argument or a variable.
    assert re.search(
        r'get-secret-value --region "\$\{AWS_REGION\}" --secret-id "\$\{WP_ADMIN_SECRET_ARN\}" \\\n'
        r"\s+--query SecretString --output text \|\n\s+wp core install ",
        install,
    )
    assert "--prompt=admin_password" in install and "--skip-email" in install
    assert "--admin_password=" not in install
    assert "wp core is-installed" in install
    checked = subprocess.run(["bash", "-n"], input=install, text=True, capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_install_runs_once_under_the_fleets_lock_before_the_instance_can_be_healthy(stack_plan: Plan) -> None:
    boot = boot_files(stack_plan)["/usr/local/sbin/wordpress-boot"]
    config = boot.index('install -o root -g apache -m 0640 /etc/wordpress/wp-config.php "${DOCROOT}/wp-config.php"')
    lock = boot.index("flock -w 900 9\n/usr/local/sbin/wordpress-install\nflock -u 9\n")
    health = boot.index('/etc/wordpress/healthz.php "${DOCROOT}/${WP_HEALTH_FILE}"')
    ready = boot.index("signal CONTINUE")
    assert config < lock < health < ready
    assert 'exec 9>"${SHARED}/config/.boot.lock"' in boot


def test_the_admin_password_is_generated_into_secrets_manager_under_the_stack_key(stack_plan: Plan) -> None:
    secret = one(stack_plan, "aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    version = one(stack_plan, "aws:secretsmanager/secretVersion:SecretVersion")
    password = next(p for p in of(stack_plan, PASSWORD) if p.name.endswith("-admin-password"))
    assert version.inputs["secretId"] == stack_plan.id_of(secret)
    # A secret in the state (encrypted with the stack's secrets provider), never a plain value.
    assert is_secret(version.inputs["secretString"])
    assert reveal(version.inputs["secretString"]) == password.outputs["result"]
    assert password.inputs["length"] >= 24
    asg = one(stack_plan, "aws:autoscaling/group:Group")
    assert version.urn in asg.dependencies  # no instance boots before the password exists
    assert stack_plan.outputs["wordpressAdminPasswordSecret"] == secret.outputs["arn"]


def test_no_generated_secret_appears_in_user_data_outputs_or_warnings(stack_plan: Plan) -> None:
    secrets = passwords(stack_plan)
    assert len(secrets) >= 2  # the administrator's password and the origin header
    exposed = user_data(stack_plan) + json.dumps(stack_plan.outputs) + "\n".join(stack_plan.warnings)
    for value in secrets:
        assert value not in exposed
    # Besides the secret's version, only the two places that must compare the origin header hold it.
    admin = next(p for p in of(stack_plan, PASSWORD) if p.name.endswith("-admin-password")).outputs["result"]
    holders = {r.type for r in stack_plan if r.type != PASSWORD and admin in json.dumps(r.inputs, default=str)}
    assert holders == {"aws:secretsmanager/secretVersion:SecretVersion"}


# -- settings ---------------------------------------------------------------------------------------------------------


def test_prod_refuses_to_build_without_a_domain() -> None:
    project, config, secret_keys = load_stack_config("prod")
    config.pop("aws-compute-platform:domain")
    with pytest.raises(SettingsError) as failure:
        run_program(
            lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
            project=project,
            stack="prod",
            config=config,
            secret_keys=secret_keys,
        )
    assert failure.value.keys == ["aws-compute-platform:domain"]
    assert "requireDomain" in failure.value.problems[0].problem


def test_the_shipped_prod_domain_is_a_marked_placeholder() -> None:
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    assert re.search(r"PLACEHOLDER[^\n]*\n(#[^\n]*\n|\s+#[^\n]*\n)*\s+aws-compute-platform:domain: example\.org", text)
    assert "aws-compute-platform:requireDomain: true" in text
    assert "certificateArn" not in text and "certificateArn" not in (ROOT / "Pulumi.dev.yaml").read_text()
