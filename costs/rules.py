"""Pricing rules per resource type: what each resource is billed for, read from its inputs in the plan.

Every resource type the program creates must appear in `RULES` (priced: fixed, usage-based, or free as configured)
or in `FREE` (never billed by itself, with the reason). Anything else is reported as unpriced.
"""

from __future__ import annotations

import json
from typing import Any

from costs.model import Charge, Context, Rule, RuleResult, UnpriceableError, billable, hours
from costs.prices import HOURS_PER_MONTH
from plan import Plan, PlannedResource

PUBLIC_IPV4 = "vpc.public_ipv4"
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
# When a launch template or instance does not size its root volume, the image decides; Amazon Linux 2023 uses 8 GB gp3.
DEFAULT_ROOT_GB = 8
DEFAULT_ROOT_TYPE = "gp3"
GP3_FREE_IOPS = 3000
GP3_FREE_THROUGHPUT = 125


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _number(value: Any, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _volume(label: str, size: Any, volume_type: Any, iops: Any = None, throughput: Any = None) -> list[Charge]:
    """An EBS volume: GB-months by type, plus gp3 IOPS and throughput above what is included, or io1/io2 IOPS."""
    if size is None:
        size_gb, size_note = float(DEFAULT_ROOT_GB), f" (size not set: the image's {DEFAULT_ROOT_GB} GB assumed)"
    else:
        size_gb, size_note = float(size), ""
    vtype = str(volume_type or DEFAULT_ROOT_TYPE)
    charges = [Charge(f"{label}: {size_gb:g} GB {vtype}{size_note}", size_gb, f"ebs.volume.{vtype}")]
    if vtype == "gp3":
        extra_iops = _number(iops, GP3_FREE_IOPS) - GP3_FREE_IOPS
        extra_throughput = _number(throughput, GP3_FREE_THROUGHPUT) - GP3_FREE_THROUGHPUT
        if extra_iops > 0:
            charges.append(Charge(f"{label}: {extra_iops:g} IOPS above 3,000", extra_iops, "ebs.gp3.iops"))
        if extra_throughput > 0:
            charges.append(
                Charge(f"{label}: {extra_throughput:g} MiB/s above 125", extra_throughput, "ebs.gp3.throughput")
            )
    elif vtype in ("io1", "io2") and iops:
        charges.append(Charge(f"{label}: {float(iops):g} provisioned IOPS", float(iops), "ebs.io.iops"))
    return charges


def _subnet_is_public(ctx: Context, subnet_id: Any) -> bool | None:
    subnet = ctx.find_by_id(subnet_id, "aws:ec2/subnet:Subnet")
    return None if subnet is None else bool(subnet.get("mapPublicIpOnLaunch"))


def _eip_attached_to(plan: Plan, resource: PlannedResource) -> bool:
    instance_id = f"{resource.name}-id"
    return any(e.get("instance") == instance_id for e in plan.of_type("aws:ec2/eip:Eip")) or any(
        a.get("instanceId") == instance_id for a in plan.of_type("aws:ec2/eipAssociation:EipAssociation")
    )


def ec2_instance(ctx: Context) -> RuleResult:
    r = ctx.resource
    itype = r.get("instanceType")
    if not itype and r.get("launchTemplate"):
        itype = _launch_template(ctx, r).get("instanceType")
    if not itype:
        raise UnpriceableError("no instanceType, on the instance or its launch template")
    charges = [hours(f"{itype} Linux on-demand", f"ec2.instance.{itype}")]
    root = r.get("rootBlockDevice") or {}
    charges += _volume(
        "root volume", root.get("volumeSize"), root.get("volumeType"), root.get("iops"), root.get("throughput")
    )
    for i, device in enumerate(r.get("ebsBlockDevices") or []):
        charges += _volume(
            f"volume {device.get('deviceName') or i}",
            device.get("volumeSize"),
            device.get("volumeType"),
            device.get("iops"),
            device.get("throughput"),
        )
    public = r.get("associatePublicIpAddress")
    if public is None:
        public = _subnet_is_public(ctx, r.get("subnetId"))
        # Without a subnet the instance lands in the default VPC, whose subnets hand out public addresses.
        public = True if public is None else public
    if _truthy(public) and not _eip_attached_to(ctx.plan, r):
        charges.append(hours("public IPv4 address", PUBLIC_IPV4))
    return charges


def elastic_ip(ctx: Context) -> RuleResult:
    return [hours("Elastic IP (public IPv4 address, attached or not)", PUBLIC_IPV4)]


def nat_gateway(ctx: Context) -> RuleResult:
    charges = [hours("NAT gateway (its public IPv4 is priced on its Elastic IP)", "vpc.nat_gateway.hour")]
    gb = ctx.assumptions["natGateway.processedGbPerMonth"]
    charges.append(ctx.usage(f"{gb:g} GB processed", gb, "vpc.nat_gateway.gb", "natGateway.processedGbPerMonth"))
    return charges


def _lb_charges(ctx: Context, kind: str, nodes: int, nodes_note: str, internal: bool) -> list[Charge]:
    label = {"application": "Application Load Balancer", "network": "Network Load Balancer"}.get(kind, kind)
    charges = [hours(label, f"elb.{kind}.hour")]
    if kind == "classic":
        gb = ctx.assumptions["classicLoadBalancer.processedGbPerMonth"]
        charges.append(
            ctx.usage(f"{gb:g} GB processed", gb, "elb.classic.gb", "classicLoadBalancer.processedGbPerMonth")
        )
    else:
        lcu = ctx.assumptions["loadBalancer.averageLcu"]
        charges.append(
            ctx.usage(
                f"{lcu:g} LCU around the clock", lcu * HOURS_PER_MONTH, f"elb.{kind}.lcu", "loadBalancer.averageLcu"
            )
        )
    if not internal:
        charges.append(hours(f"public IPv4 for {nodes} load balancer nodes ({nodes_note})", PUBLIC_IPV4, nodes))
    return charges


def load_balancer(ctx: Context) -> RuleResult:
    r = ctx.resource
    kind = r.get("loadBalancerType") or "application"
    mappings = r.get("subnetMappings") or []
    subnets = r.get("subnets") or mappings
    # A network load balancer node given an Elastic IP uses that address, priced on the Elastic IP's own line.
    own_addresses = [m for m in mappings if not m.get("allocationId")] if mappings else subnets
    nodes, note = (len(own_addresses), "one per subnet") if subnets else (2, "subnets unknown: 2 assumed")
    return _lb_charges(ctx, str(kind), nodes, note, _truthy(r.get("internal")))


def classic_load_balancer(ctx: Context) -> RuleResult:
    r = ctx.resource
    zones = r.get("subnets") or r.get("availabilityZones") or []
    nodes, note = (len(zones), "one per zone") if zones else (2, "zones unknown: 2 assumed")
    return _lb_charges(ctx, "classic", nodes, note, _truthy(r.get("internal")))


def _launch_template(ctx: Context, group: PlannedResource) -> PlannedResource:
    spec = group.get("launchTemplate") or group.get("mixedInstancesPolicy.launchTemplate.launchTemplateSpecification")
    if not spec:
        raise UnpriceableError("no launch template the estimate can follow")
    template_id = spec.get("id") or spec.get("launchTemplateId")
    template = ctx.find_by_id(template_id, "aws:ec2/launchTemplate:LaunchTemplate")
    if template is None:
        template = ctx.find_by_name(
            spec.get("name") or spec.get("launchTemplateName"), "aws:ec2/launchTemplate:LaunchTemplate"
        )
    if template is None:
        raise UnpriceableError(f"launch template {template_id or spec} is not in the plan")
    return template


def autoscaling_group(ctx: Context) -> RuleResult:
    group = ctx.resource
    template = _launch_template(ctx, group)
    itype = group.get("mixedInstancesPolicy.launchTemplate.overrides.0.instanceType") or template.get("instanceType")
    if not itype:
        raise UnpriceableError("the launch template sets no instanceType")
    desired = group.get("desiredCapacity")
    minimum, maximum = group.get("minSize"), group.get("maxSize")
    size, basis = (int(desired), "desired") if desired is not None else (int(minimum or 0), "minimum")
    sized = f"x{size} (priced at the group's {basis} size; min {minimum}, max {maximum})"
    charges = [hours(f"{itype} Linux on-demand {sized}", f"ec2.instance.{itype}", size)]
    mappings = template.get("blockDeviceMappings") or []
    volumes = [m for m in mappings if m.get("ebs")]
    if not volumes:
        volumes = [{"deviceName": "root", "ebs": {}}]
    for m in volumes:
        ebs = m["ebs"]
        for charge in _volume(
            f"{m.get('deviceName') or 'volume'} of each instance",
            ebs.get("volumeSize"),
            ebs.get("volumeType"),
            ebs.get("iops"),
            ebs.get("throughput"),
        ):
            charges.append(Charge(f"{charge.description} {sized}", charge.quantity * size, charge.price_key))
    public = template.get("networkInterfaces.0.associatePublicIpAddress")
    if public is None:
        subnets = group.get("vpcZoneIdentifiers") or []
        public = _subnet_is_public(ctx, subnets[0]) if subnets else False
    if _truthy(public):
        charges.append(hours(f"public IPv4 of each instance {sized}", PUBLIC_IPV4, size))
    return charges


def launch_template(ctx: Context) -> RuleResult:
    return "priced through the instances of the Auto Scaling group that uses it"


def rds_instance(ctx: Context) -> RuleResult:
    r = ctx.resource
    engine = str(r.get("engine") or "")
    instance_class = r.get("instanceClass")
    multi_az = _truthy(r.get("multiAz"))
    factor = 2 if multi_az else 1
    deployment = "Multi-AZ: a standby in a second AZ doubles it" if multi_az else "Single-AZ"
    charges = [hours(f"{instance_class} {engine} ({deployment})", f"rds.instance.{engine}.{instance_class}", factor)]
    storage_type = r.get("storageType") or ("io1" if r.get("iops") else "gp2")
    size = _number(r.get("allocatedStorage"), 0)
    if size:
        charges.append(
            Charge(
                f"{size:g} GB {storage_type} storage ({deployment})",
                size * factor,
                f"rds.storage.{engine}.{storage_type}",
            )
        )
    if storage_type in ("io1", "io2") and r.get("iops"):
        iops = float(r.get("iops"))
        charges.append(Charge(f"{iops:g} provisioned IOPS", iops * factor, f"rds.iops.{engine}.{storage_type}"))
    if _truthy(r.get("manageMasterUserPassword")):
        charges.append(Charge("master password secret kept by RDS in Secrets Manager", 1, "secretsmanager.secret"))
    return charges


def efs_file_system(ctx: Context) -> RuleResult:
    r = ctx.resource
    one_zone = bool(r.get("availabilityZoneName"))
    gb = ctx.assumptions["efs.storageGb"]
    klass = "One Zone" if one_zone else "Standard"
    charges = [
        ctx.usage(
            f"{gb:g} GB stored ({klass})", gb, "efs.one_zone.gb" if one_zone else "efs.standard.gb", "efs.storageGb"
        )
    ]
    mode = r.get("throughputMode") or "bursting"
    if mode == "elastic":
        read, write = ctx.assumptions["efs.readGbPerMonth"], ctx.assumptions["efs.writeGbPerMonth"]
        charges.append(
            ctx.usage(f"{read:g} GB read (Elastic Throughput)", read, "efs.elastic.read_gb", "efs.readGbPerMonth")
        )
        charges.append(
            ctx.usage(
                f"{write:g} GB written (Elastic Throughput)", write, "efs.elastic.write_gb", "efs.writeGbPerMonth"
            )
        )
    elif mode == "provisioned":
        mibps = _number(r.get("provisionedThroughputInMibps"), 0)
        charges.append(Charge(f"{mibps:g} MiB/s provisioned throughput", mibps, "efs.provisioned.mibps"))
    return charges


def efs_backup_policy(ctx: Context) -> RuleResult:
    if str(ctx.resource.get("backupPolicy.status") or "").upper() != "ENABLED":
        return "backups disabled"
    gb = ctx.assumptions["efs.storageGb"]
    return [ctx.usage(f"AWS Backup copies of {gb:g} GB (warm storage)", gb, "backup.efs.warm_gb", "efs.storageGb")]


def monthly(description: str, price_key: str) -> Rule:
    def rule(ctx: Context) -> RuleResult:
        return [Charge(description, 1, price_key)]

    return rule


def lightsail_instance(ctx: Context) -> RuleResult:
    bundle = ctx.resource.get("bundleId")
    charges = [
        Charge(
            f"Lightsail bundle {bundle} (fixed monthly, public IPv4 and transfer allowance included)",
            1,
            f"lightsail.bundle.{bundle}",
        )
    ]
    if ctx.resource.get("addOn.type") == "AutoSnapshot" and ctx.resource.get("addOn.status") == "Enabled":
        gb = ctx.assumptions["lightsail.snapshotGb"]
        charges.append(
            ctx.usage(f"{gb:g} GB of automatic snapshots", gb, "lightsail.snapshot.gb", "lightsail.snapshotGb")
        )
    return charges


def lightsail_database(ctx: Context) -> RuleResult:
    bundle = ctx.resource.get("bundleId")
    return [Charge(f"Lightsail database bundle {bundle} (fixed monthly)", 1, f"lightsail.database.{bundle}")]


def lightsail_static_ip(ctx: Context) -> RuleResult:
    names = {ctx.resource.get("name"), ctx.resource.outputs.get("name"), ctx.resource.name}
    for attachment in ctx.plan.of_type("aws:lightsail/staticIpAttachment:StaticIpAttachment"):
        if attachment.get("staticIpName") in names:
            return "free while attached to an instance"
    return [hours("static IP not attached to any instance", "lightsail.static_ip.idle")]


def lightsail_disk(ctx: Context) -> RuleResult:
    size = _number(ctx.resource.get("sizeInGb"), 0)
    return [Charge(f"{size:g} GB block storage disk", size, "lightsail.disk.gb")]


def _eb_settings(resource: PlannedResource) -> dict[tuple[str, str], str]:
    return {(s.get("namespace"), s.get("name")): str(s.get("value")) for s in resource.get("settings") or []}


def beanstalk_environment(ctx: Context) -> RuleResult:
    r = ctx.resource
    settings = _eb_settings(r)
    tier = r.get("tier") or "WebServer"
    types = settings.get(("aws:ec2:instances", "InstanceTypes"))
    if not types:
        raise UnpriceableError("aws:ec2:instances/InstanceTypes is not set, so Beanstalk chooses the instance type")
    itype = types.split(",")[0].strip()
    single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    if single:
        size, basis = 1, "a single-instance environment"
    else:
        size = int(settings.get(("aws:autoscaling:asg", "MinSize"), "1"))
        basis = f"its minimum size; max {settings.get(('aws:autoscaling:asg', 'MaxSize'), '4')}"
    sized = f"x{size} ({tier} tier, {basis})"
    charges = [hours(f"{itype} Linux on-demand {sized}", f"ec2.instance.{itype}", size)]
    for charge in _volume(
        "root volume of each instance",
        settings.get(("aws:autoscaling:launchconfiguration", "RootVolumeSize")),
        settings.get(("aws:autoscaling:launchconfiguration", "RootVolumeType")),
        settings.get(("aws:autoscaling:launchconfiguration", "RootVolumeIOPS")),
        settings.get(("aws:autoscaling:launchconfiguration", "RootVolumeThroughput")),
    ):
        charges.append(Charge(f"{charge.description} {sized}", charge.quantity * size, charge.price_key))
    if single:
        # A single-instance environment gets an Elastic IP for its instance.
        charges.append(hours("Elastic IP of the single instance", PUBLIC_IPV4))
    elif _truthy(settings.get(("aws:ec2:vpc", "AssociatePublicIpAddress"))):
        charges.append(hours(f"public IPv4 of each instance {sized}", PUBLIC_IPV4, size))
    shared = _truthy(settings.get(("aws:elasticbeanstalk:environment", "LoadBalancerIsShared")))
    if tier == "WebServer" and not single and not shared:
        kind = settings.get(("aws:elasticbeanstalk:environment", "LoadBalancerType")) or "classic"
        subnets = settings.get(("aws:ec2:vpc", "ELBSubnets")) or settings.get(("aws:ec2:vpc", "Subnets")) or ""
        count = len([s for s in subnets.split(",") if s.strip()])
        nodes, note = (count, "one per subnet") if count else (2, "subnets unknown: 2 assumed")
        internal = settings.get(("aws:ec2:vpc", "ELBScheme")) == "internal"
        charges += _lb_charges(ctx, kind, nodes, note, internal)
    charges += _health_metrics(settings.get(("aws:elasticbeanstalk:healthreporting:system", "ConfigDocument")))
    return charges


def _health_metrics(document: str | None) -> list[Charge]:
    """Enhanced-health metrics a ConfigDocument publishes, each billed as a custom metric (EnvironmentHealth is
    free); instance-level ones are published per instance, counted here once."""
    if not document:
        return []
    try:
        published = json.loads(document).get("CloudWatchMetrics") or {}
    except (ValueError, AttributeError) as exc:
        raise UnpriceableError(f"the ConfigDocument option is not JSON ({exc})") from None
    names = [
        n for level in ("Environment", "Instance") for n in (published.get(level) or {}) if n != "EnvironmentHealth"
    ]
    if not names:
        return []
    return [
        Charge(
            f"{len(names)} enhanced-health custom metrics ({', '.join(names)})", len(names), "cloudwatch.custom_metric"
        )
    ]


def lambda_function(ctx: Context) -> RuleResult:
    r = ctx.resource
    memory_gb = _number(r.get("memorySize"), 128) / 1024
    arch = (r.get("architectures") or ["x86_64"])[0]
    requests = ctx.assumptions["lambda.requestsPerMonth"]
    seconds = requests * ctx.assumptions["lambda.averageDurationMs"] / 1000
    charges = [
        ctx.usage(f"{requests:,.0f} requests", requests, "lambda.request", "lambda.requestsPerMonth"),
        ctx.usage(
            f"{seconds * memory_gb:,.0f} GB-seconds ({memory_gb * 1024:g} MB, {arch})",
            seconds * memory_gb,
            f"lambda.gb_second.{arch}",
            "lambda.requestsPerMonth",
            "lambda.averageDurationMs",
        ),
    ]
    extra_storage_gb = (_number(r.get("ephemeralStorage.size"), 512) - 512) / 1024
    if extra_storage_gb > 0:
        charges.append(
            ctx.usage(
                f"{extra_storage_gb * 1024:g} MB of /tmp above 512 MB while running",
                seconds * extra_storage_gb,
                "lambda.ephemeral.gb_second",
                "lambda.requestsPerMonth",
                "lambda.averageDurationMs",
            )
        )
    return charges


def provisioned_concurrency(ctx: Context) -> RuleResult:
    r = ctx.resource
    function = ctx.find_by_name(r.get("functionName"), "aws:lambda/function:Function")
    if function is None:
        raise UnpriceableError(f"function {r.get('functionName')!r} is not in the plan, so its memory is unknown")
    count = _number(r.get("provisionedConcurrentExecutions"), 0)
    memory_gb = _number(function.get("memorySize"), 128) / 1024
    arch = (function.get("architectures") or ["x86_64"])[0]
    return [
        Charge(
            f"{count:g} provisioned environments x {memory_gb * 1024:g} MB ({arch}), all month",
            count * memory_gb * SECONDS_PER_MONTH,
            f"lambda.provisioned.{arch}",
        )
    ]


def http_api(ctx: Context) -> RuleResult:
    protocol = ctx.resource.get("protocolType") or "HTTP"
    requests = ctx.assumptions["apiGateway.requestsPerMonth"]
    key = "apigateway.http.request" if protocol == "HTTP" else f"apigateway.{str(protocol).lower()}.message"
    return [ctx.usage(f"{requests:,.0f} requests ({protocol} API)", requests, key, "apiGateway.requestsPerMonth")]


def rest_api(ctx: Context) -> RuleResult:
    requests = ctx.assumptions["apiGateway.requestsPerMonth"]
    return [
        ctx.usage(
            f"{requests:,.0f} requests (REST API)", requests, "apigateway.rest.request", "apiGateway.requestsPerMonth"
        )
    ]


def dynamodb_table(ctx: Context) -> RuleResult:
    r = ctx.resource
    a = ctx.assumptions
    charges: list[Charge] = []
    if (r.get("billingMode") or "PROVISIONED") == "PAY_PER_REQUEST":
        writes, reads = a["dynamodb.writeRequestsPerMonth"], a["dynamodb.readRequestsPerMonth"]
        charges.append(
            ctx.usage(
                f"{writes:,.0f} write request units", writes, "dynamodb.write_request", "dynamodb.writeRequestsPerMonth"
            )
        )
        charges.append(
            ctx.usage(
                f"{reads:,.0f} read request units", reads, "dynamodb.read_request", "dynamodb.readRequestsPerMonth"
            )
        )
    else:
        wcu, rcu = _number(r.get("writeCapacity"), 0), _number(r.get("readCapacity"), 0)
        charges.append(hours(f"{wcu:g} provisioned write capacity units", "dynamodb.write_capacity.hour", wcu))
        charges.append(hours(f"{rcu:g} provisioned read capacity units", "dynamodb.read_capacity.hour", rcu))
    gb = a["dynamodb.storageGb"]
    charges.append(ctx.usage(f"{gb:g} GB stored", gb, "dynamodb.storage.gb", "dynamodb.storageGb"))
    if _truthy(r.get("pointInTimeRecovery.enabled")):
        charges.append(ctx.usage(f"point-in-time recovery of {gb:g} GB", gb, "dynamodb.pitr.gb", "dynamodb.storageGb"))
    return charges


def sqs_queue(ctx: Context) -> RuleResult:
    fifo = _truthy(ctx.resource.get("fifoQueue"))
    requests = ctx.assumptions["sqs.requestsPerMonth"]
    kind = "fifo" if fifo else "standard"
    return [
        ctx.usage(f"{requests:,.0f} requests ({kind} queue)", requests, f"sqs.{kind}.request", "sqs.requestsPerMonth")
    ]


def s3_bucket(ctx: Context) -> RuleResult:
    a = ctx.assumptions
    gb, puts, gets = a["s3.storageGb"], a["s3.putRequestsPerMonth"], a["s3.getRequestsPerMonth"]
    return [
        ctx.usage(f"{gb:g} GB stored (S3 Standard)", gb, "s3.standard.gb", "s3.storageGb"),
        ctx.usage(f"{puts:,.0f} PUT/LIST requests", puts, "s3.put_request", "s3.putRequestsPerMonth"),
        ctx.usage(f"{gets:,.0f} GET requests", gets, "s3.get_request", "s3.getRequestsPerMonth"),
    ]


def log_group(ctx: Context) -> RuleResult:
    gb = ctx.assumptions["logs.ingestedGbPerMonth"]
    days = int(_number(ctx.resource.get("retentionInDays"), 0))
    kept, note = (days, f"{days} days' retention") if days else (365, "never expires: one year kept assumed")
    stored = gb * kept / 30
    return [
        ctx.usage(f"{gb:g} GB ingested", gb, "logs.ingest.gb", "logs.ingestedGbPerMonth"),
        ctx.usage(
            f"{stored:.3g} GB kept ({note}; uncompressed, an upper bound)",
            stored,
            "logs.storage.gb",
            "logs.ingestedGbPerMonth",
        ),
    ]


def ses_identity(ctx: Context) -> RuleResult:
    emails = ctx.assumptions["ses.emailsPerMonth"]
    return [ctx.usage(f"{emails:,.0f} emails sent", emails, "ses.email", "ses.emailsPerMonth")]


# Lite and Essentials user pools: the first 10,000 monthly active users of the account are free every month
# (https://aws.amazon.com/cognito/pricing/); the estimate charges only the users above that, pool by pool.
COGNITO_FREE_MAUS = 10_000


def cognito_user_pool(ctx: Context) -> RuleResult:
    users = ctx.assumptions["cognito.monthlyActiveUsers"]
    tier = str(ctx.resource.get("userPoolTier") or "ESSENTIALS").lower()
    if tier == "plus":
        raise UnpriceableError("the Plus tier has no free users and is not in the price file")
    billed = max(0.0, users - COGNITO_FREE_MAUS)
    return [
        ctx.usage(
            f"{users:,.0f} monthly active users ({tier}; the first {COGNITO_FREE_MAUS:,} are free)",
            billed,
            f"cognito.mau.{tier}",
            "cognito.monthlyActiveUsers",
        )
    ]


def vpc_endpoint(ctx: Context) -> RuleResult:
    r = ctx.resource
    kind = r.get("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return "gateway endpoints (S3, DynamoDB) are free"
    zones = len(r.get("subnetIds") or []) or 1
    return [
        hours(f"{kind} endpoint in {zones} AZ(s) (data processed not included)", "vpc.interface_endpoint.hour", zones)
    ]


def ssm_parameter(ctx: Context) -> RuleResult:
    tier = ctx.resource.get("tier") or "Standard"
    if tier == "Standard":
        return "standard parameters are free"
    return [Charge(f"{tier} parameter", 1, "ssm.parameter.advanced")]


_CRON_FIELDS = {
    # field: (lowest, highest, names)
    "minutes": (0, 59, {}),
    "hours": (0, 23, {}),
    "day-of-month": (1, 31, {}),
    "month": (
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
        },
    ),
    "day-of-week": (1, 7, {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}),
}
WEEKS_PER_MONTH = 52.1775 / 12
DAYS_PER_MONTH = 365.2425 / 12


def _cron_count(field: str, value: str) -> int | None:
    """How many values a cron field matches (`*`, lists, ranges, steps); None for `?` or a form not understood."""
    low, high, names = _CRON_FIELDS[field]
    if value == "?":
        return None
    matched: set[int] = set()
    for part in value.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if span == "*":
            first, last = low, high
        else:
            ends = [names.get(end.upper(), None) or (int(end) if end.isdigit() else None) for end in span.split("-")]
            if None in ends or len(ends) > 2:
                raise UnpriceableError(f"cron field {field} {value!r} is not a plain list, range or step")
            first, last = int(ends[0] or 0), int(ends[-1] or 0)
            if step_text and len(ends) == 1:
                last = high
        matched.update(range(first, last + 1, step))
    return len(matched)


def cron_runs_per_month(expression: str) -> float:
    """How often a six-field `cron(minutes hours day-of-month month day-of-week year)` matches in an average month."""
    fields = expression.removeprefix("cron(").removesuffix(")").split()
    if len(fields) != 6:
        raise UnpriceableError(f"{expression!r} is not a six-field cron expression")
    minutes, hours, dom, month, dow, _year = fields
    per_day = (_cron_count("minutes", minutes) or 1) * (_cron_count("hours", hours) or 1)
    days_of_week, days_of_month = _cron_count("day-of-week", dow), _cron_count("day-of-month", dom)
    if days_of_week is not None and dow != "*":
        days = days_of_week * WEEKS_PER_MONTH
    elif days_of_month is not None and dom != "*":
        days = float(days_of_month)
    else:
        days = DAYS_PER_MONTH
    months = _cron_count("month", month) or 12
    return per_day * days * months / 12


def image_pipeline(ctx: Context) -> RuleResult:
    """Build-instance time per scheduled build, and the snapshots of the images kept."""
    r = ctx.resource
    infrastructure = _by_arn(ctx, r.get("infrastructureConfigurationArn"))
    recipe = _by_arn(ctx, r.get("imageRecipeArn"))
    if infrastructure is None or recipe is None:
        raise UnpriceableError("its infrastructure configuration or recipe is not in the plan")
    itype = (infrastructure.get("instanceTypes") or [None])[0]
    if not itype:
        raise UnpriceableError("its infrastructure configuration names no instance type")
    schedule = str(r.get("schedule.scheduleExpression") or "")
    runs = cron_runs_per_month(schedule) if schedule else 0.0
    minutes = ctx.assumptions["imagePipeline.buildMinutesPerRun"]
    charges = [
        ctx.usage(
            f"{itype} build and test instances: {runs:.3g} scheduled builds x {minutes:g} min (an upper bound: a "
            "scheduled build runs only when Amazon Linux or a component has a new version)",
            runs * minutes / 60,
            f"ec2.instance.{itype}",
            "imagePipeline.buildMinutesPerRun",
        )
    ]
    size = sum(
        _number((m.get("ebs") or {}).get("volumeSize"), DEFAULT_ROOT_GB)
        for m in recipe.get("blockDeviceMappings") or []
    ) or float(DEFAULT_ROOT_GB)
    kept = ctx.assumptions["imagePipeline.imagesKept"]
    charges.append(
        ctx.usage(
            f"snapshots of {kept:g} images x {size:g} GB (full size: an upper bound, snapshots store used blocks)",
            kept * size,
            "ebs.snapshot.standard",
            "imagePipeline.imagesKept",
        )
    )
    return charges


def _by_arn(ctx: Context, arn: object) -> PlannedResource | None:
    return next((x for x in ctx.plan if arn is not None and x.outputs.get("arn") == arn), None)


def cloudfront_distribution(ctx: Context) -> RuleResult:
    a = ctx.assumptions
    requests, gb = a["cloudfront.requestsPerMonth"], a["cloudfront.dataOutGbPerMonth"]
    where = ctx.resource.get("priceClass") or "PriceClass_All"
    return [
        ctx.usage(
            f"{requests:,.0f} HTTPS requests (North America and Europe rate; {where})",
            requests,
            "cloudfront.request.https",
            "cloudfront.requestsPerMonth",
        ),
        ctx.usage(
            f"{gb:g} GB to viewers (first-10-TB North America and Europe rate)",
            gb,
            "cloudfront.data_out.gb",
            "cloudfront.dataOutGbPerMonth",
        ),
    ]


def waf_web_acl(ctx: Context) -> RuleResult:
    rules = ctx.resource.get("rules") or []
    managed = sum(1 for r in rules if (r.get("statement") or {}).get("managedRuleGroupStatement"))
    requests = ctx.assumptions["cloudfront.requestsPerMonth"]
    return [
        Charge("web ACL", 1, "waf.web_acl"),
        Charge(
            f"{len(rules)} rules ({managed} of them AWS managed rule groups, priced as one rule each)",
            len(rules),
            "waf.rule",
        ),
        ctx.usage(
            f"{requests:,.0f} requests inspected (every request to the distribution)",
            requests,
            "waf.request",
            "cloudfront.requestsPerMonth",
        ),
    ]


def metric_alarm(ctx: Context) -> RuleResult:
    """A standard-resolution alarm is billed per metric it reads: one, or each metric of its metric math."""
    queries = ctx.resource.get("metricQueries") or []
    metrics = sum(1 for q in queries if q.get("metric")) or 1
    what = f"metric-math alarm over {metrics} metrics" if queries else "alarm on one metric"
    return [Charge(f"CloudWatch {what} (standard resolution)", metrics, "cloudwatch.alarm")]


def sns_topic(ctx: Context) -> RuleResult:
    """Publishes and email deliveries: its subscriptions times the assumed messages (SNS's free tier not taken off)."""
    topic = ctx.resource.outputs.get("arn")
    emails = sum(
        1
        for s in ctx.plan.of_type("aws:sns/topicSubscription:TopicSubscription")
        if s.get("topic") == topic and s.get("protocol") in ("email", "email-json")
    )
    messages = ctx.assumptions["sns.messagesPerMonth"]
    charges = [ctx.usage(f"{messages:,.0f} messages published", messages, "sns.publish", "sns.messagesPerMonth")]
    if emails:
        charges.append(
            ctx.usage(
                f"{messages * emails:,.0f} email notifications ({emails} {'address' if emails == 1 else 'addresses'}; "
                "the first 1,000 a month are free)",
                messages * emails,
                "sns.email_notification",
                "sns.messagesPerMonth",
            )
        )
    return charges


def event_rule(ctx: Context) -> RuleResult:
    return "scheduled rules and AWS service events on the default event bus are free"


# Services billed the same whatever the region a resource is created in: a CLOUDFRONT-scope web ACL must be created
# in us-east-1 but is priced like any other ("The pricing for AWS WAF is consistent across all AWS Regions").
GLOBAL: frozenset[str] = frozenset({"aws:wafv2/webAcl:WebAcl"})

RULES: dict[str, Rule] = {
    "aws:cloudfront/distribution:Distribution": cloudfront_distribution,
    "aws:wafv2/webAcl:WebAcl": waf_web_acl,
    "aws:cognito/userPool:UserPool": cognito_user_pool,
    "aws:ec2/instance:Instance": ec2_instance,
    "aws:ec2/eip:Eip": elastic_ip,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:ebs/volume:Volume": lambda ctx: _volume(
        "EBS volume",
        ctx.resource.get("size"),
        ctx.resource.get("type"),
        ctx.resource.get("iops"),
        ctx.resource.get("throughput"),
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": launch_template,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:elb/loadBalancer:LoadBalancer": classic_load_balancer,
    "aws:autoscaling/group:Group": autoscaling_group,
    "aws:rds/instance:Instance": rds_instance,
    "aws:efs/fileSystem:FileSystem": efs_file_system,
    "aws:efs/backupPolicy:BackupPolicy": efs_backup_policy,
    "aws:kms/key:Key": monthly("customer-managed KMS key (requests not included)", "kms.key"),
    "aws:secretsmanager/secret:Secret": monthly(
        "Secrets Manager secret (API calls not included)", "secretsmanager.secret"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:sns/topic:Topic": sns_topic,
    "aws:cloudwatch/dashboard:Dashboard": monthly(
        "CloudWatch dashboard (the account's first three are free)", "cloudwatch.dashboard"
    ),
    "aws:route53/zone:Zone": monthly("Route 53 hosted zone (queries not included)", "route53.hosted_zone"),
    "aws:lightsail/instance:Instance": lightsail_instance,
    "aws:lightsail/database:Database": lightsail_database,
    "aws:lightsail/staticIp:StaticIp": lightsail_static_ip,
    "aws:lightsail/disk:Disk": lightsail_disk,
    "aws:elasticbeanstalk/environment:Environment": beanstalk_environment,
    "aws:lambda/function:Function": lambda_function,
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": provisioned_concurrency,
    "aws:apigatewayv2/api:Api": http_api,
    "aws:apigateway/restApi:RestApi": rest_api,
    "aws:dynamodb/table:Table": dynamodb_table,
    "aws:sqs/queue:Queue": sqs_queue,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketV2:BucketV2": s3_bucket,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:ses/domainIdentity:DomainIdentity": ses_identity,
    "aws:ses/emailIdentity:EmailIdentity": ses_identity,
    "aws:sesv2/emailIdentity:EmailIdentity": ses_identity,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:ssm/parameter:Parameter": ssm_parameter,
    "aws:imagebuilder/imagePipeline:ImagePipeline": image_pipeline,
}

_NETWORK_PLUMBING = "part of the VPC's configuration, not billed"
_IAM = "IAM is free"
_CONFIG = "configuration of a priced resource, not billed by itself"
_PRICED_ELSEWHERE = "its cost is on the line of the resource it serves"

FREE: dict[str, str] = {
    # network
    "aws:ec2/vpc:Vpc": _NETWORK_PLUMBING,
    "aws:ec2/subnet:Subnet": _NETWORK_PLUMBING,
    "aws:ec2/internetGateway:InternetGateway": _NETWORK_PLUMBING,
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": _NETWORK_PLUMBING,
    "aws:ec2/routeTable:RouteTable": _NETWORK_PLUMBING,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _NETWORK_PLUMBING,
    "aws:ec2/route:Route": _NETWORK_PLUMBING,
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": _NETWORK_PLUMBING,
    "aws:ec2/defaultRouteTable:DefaultRouteTable": _NETWORK_PLUMBING,
    "aws:ec2/networkAcl:NetworkAcl": _NETWORK_PLUMBING,
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _NETWORK_PLUMBING,
    "aws:ec2/securityGroup:SecurityGroup": _NETWORK_PLUMBING,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _NETWORK_PLUMBING,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _NETWORK_PLUMBING,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _NETWORK_PLUMBING,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _NETWORK_PLUMBING,
    "aws:ec2/flowLog:FlowLog": "delivery is priced as ingestion into its log group",
    "aws:ec2/eipAssociation:EipAssociation": "the address is priced on its Elastic IP",
    "aws:ec2/keyPair:KeyPair": "key pairs are free",
    "aws:ebs/encryptionByDefault:EncryptionByDefault": "an account setting",
    "aws:ebs/defaultKmsKey:DefaultKmsKey": "an account setting",
    # image building: Image Builder charges nothing itself; instances and snapshots are priced on the pipeline
    "aws:imagebuilder/component:Component": "Image Builder is free; builds are priced on the pipeline",
    "aws:imagebuilder/imageRecipe:ImageRecipe": "Image Builder is free; builds are priced on the pipeline",
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": _PRICED_ELSEWHERE,
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": _PRICED_ELSEWHERE,
    "aws:kms/grant:Grant": "grants are free (requests are priced with the key)",
    # identity and keys
    "aws:iam/role:Role": _IAM,
    "aws:iam/policy:Policy": _IAM,
    "aws:iam/rolePolicy:RolePolicy": _IAM,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _IAM,
    "aws:iam/policyAttachment:PolicyAttachment": _IAM,
    "aws:iam/instanceProfile:InstanceProfile": _IAM,
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _IAM,
    "aws:kms/alias:Alias": "aliases are free",
    "aws:secretsmanager/secretVersion:SecretVersion": "priced per secret, not per version",
    "aws:secretsmanager/secretPolicy:SecretPolicy": _CONFIG,
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": _CONFIG,
    "aws:route53/record:Record": "priced per hosted zone and query",
    # load balancing and scaling
    "aws:lb/targetGroup:TargetGroup": _CONFIG,
    "aws:cloudfront/cachePolicy:CachePolicy": _CONFIG,
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": _CONFIG,
    # No charge of its own: requests and transfer are billed on the distribution ("Introducing CloudFront Virtual
    # Private Cloud (VPC) Origins", AWS networking blog, 2024-11-20).
    "aws:cloudfront/vpcOrigin:VpcOrigin": "VPC origins have no charge of their own",
    "aws:lb/listener:Listener": _CONFIG,
    "aws:lb/listenerRule:ListenerRule": _CONFIG,
    "aws:lb/listenerCertificate:ListenerCertificate": _CONFIG,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": _CONFIG,
    "aws:autoscaling/policy:Policy": _CONFIG,
    "aws:autoscaling/attachment:Attachment": _CONFIG,
    "aws:autoscaling/lifecycleHook:LifecycleHook": _CONFIG,
    "aws:autoscaling/schedule:Schedule": _CONFIG,
    # databases and files
    "aws:rds/subnetGroup:SubnetGroup": _CONFIG,
    "aws:rds/parameterGroup:ParameterGroup": _CONFIG,
    "aws:rds/optionGroup:OptionGroup": _CONFIG,
    "aws:efs/mountTarget:MountTarget": "mount targets are free (storage is priced on the file system)",
    "aws:efs/accessPoint:AccessPoint": _CONFIG,
    "aws:efs/fileSystemPolicy:FileSystemPolicy": _CONFIG,
    # storage configuration
    "aws:s3/bucketVersioning:BucketVersioning": _CONFIG,
    "aws:s3/bucketVersioningV2:BucketVersioningV2": _CONFIG,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _CONFIG,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": _CONFIG,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _CONFIG,
    "aws:s3/bucketPolicy:BucketPolicy": _CONFIG,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _CONFIG,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _CONFIG,
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": _CONFIG,
    "aws:s3/bucketLogging:BucketLogging": _CONFIG,
    "aws:s3/bucketLoggingV2:BucketLoggingV2": _CONFIG,
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": _CONFIG,
    "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2": _CONFIG,
    "aws:s3/bucketAclV2:BucketAclV2": _CONFIG,
    "aws:s3/bucketNotification:BucketNotification": _CONFIG,
    "aws:s3/bucketObjectv2:BucketObjectv2": "its storage is part of the bucket's assumed storage",
    "aws:s3/bucketObject:BucketObject": "its storage is part of the bucket's assumed storage",
    # application platforms
    "aws:elasticbeanstalk/application:Application": "Beanstalk is free; environments are priced by what they run",
    "aws:elasticbeanstalk/applicationVersion:ApplicationVersion": "its source bundle is stored in a priced bucket",
    "aws:elasticbeanstalk/configurationTemplate:ConfigurationTemplate": _CONFIG,
    "aws:lambda/permission:Permission": _CONFIG,
    "aws:lambda/alias:Alias": _CONFIG,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _PRICED_ELSEWHERE,
    "aws:lambda/functionUrl:FunctionUrl": "function URLs are free (invocations are priced on the function)",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": _CONFIG,
    "aws:lambda/layerVersion:LayerVersion": "layer storage counts toward the free code storage",
    "aws:apigatewayv2/stage:Stage": _PRICED_ELSEWHERE,
    "aws:apigatewayv2/domainName:DomainName": "custom domain names are free (requests are priced on the API)",
    "aws:apigatewayv2/apiMapping:ApiMapping": _CONFIG,
    "aws:cognito/userPoolClient:UserPoolClient": "app clients are free (users are priced on the user pool)",
    "aws:cognito/userPoolDomain:UserPoolDomain": "a prefix domain for the hosted sign-in pages is free",
    "aws:apigatewayv2/route:Route": _PRICED_ELSEWHERE,
    "aws:apigatewayv2/integration:Integration": _PRICED_ELSEWHERE,
    "aws:apigatewayv2/deployment:Deployment": _PRICED_ELSEWHERE,
    "aws:apigatewayv2/authorizer:Authorizer": _PRICED_ELSEWHERE,
    "aws:cloudwatch/eventTarget:EventTarget": _PRICED_ELSEWHERE,
    "aws:cloudwatch/logStream:LogStream": _PRICED_ELSEWHERE,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _CONFIG,
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": _CONFIG,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _CONFIG,
    "aws:sqs/queuePolicy:QueuePolicy": _CONFIG,
    "aws:sns/topicPolicy:TopicPolicy": _CONFIG,
    "aws:sns/topicSubscription:TopicSubscription": "its deliveries are priced on its topic",
    "aws:sqs/redrivePolicy:RedrivePolicy": _CONFIG,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _CONFIG,
    "aws:ses/domainDkim:DomainDkim": _CONFIG,
    "aws:ses/domainIdentityVerification:DomainIdentityVerification": _CONFIG,
    "aws:ses/mailFrom:MailFrom": _CONFIG,
    "aws:sesv2/configurationSet:ConfigurationSet": _CONFIG,
    "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes": _CONFIG,
    "aws:lightsail/staticIpAttachment:StaticIpAttachment": "the static IP is free while attached",
    "aws:lightsail/instancePublicPorts:InstancePublicPorts": "firewall rules of a priced instance",
    "aws:lightsail/keyPair:KeyPair": "key pairs are free",
    "aws:lightsail/disk_attachment:Disk_attachment": _PRICED_ELSEWHERE,
    # other providers: nothing on the AWS bill
    "random:index/randomPassword:RandomPassword": "generated locally by the random provider",
    "random:index/randomString:RandomString": "generated locally by the random provider",
    "random:index/randomId:RandomId": "generated locally by the random provider",
    "random:index/randomPet:RandomPet": "generated locally by the random provider",
    "tls:index/privateKey:PrivateKey": "generated locally by the tls provider",
    "pulumi-python:dynamic:Resource": (
        "runs its own code during deployment and has no price of its own; a dynamic resource that creates "
        "something billable needs a rule"
    ),
}


def unpriced_types(plan: Plan) -> list[str]:
    """The billable resource types of a plan that have neither a pricing rule nor a reason to be free."""
    return sorted({r.type for r in plan if billable(r) and r.type not in RULES and r.type not in FREE})
