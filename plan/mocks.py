"""Realistic answers for the provider calls and resource outputs the program depends on, with no AWS account."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


# How many zones a region offers an account differs: us-west-1 gives most accounts only two.
_ZONE_SUFFIXES = {
    "us-east-1": "abcdef",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "eu-west-1": "abc",
    "eu-central-1": "abc",
}


# Zones that do not offer an instance family, as an account's zone names may: us-east-1e (use1-az3 in many accounts) is
# an older zone without the Graviton (arm64) families. Every other zone offers every type.
_ZONES_WITHOUT = {"us-east-1e": ("t4g", "m7g", "c7g", "r7g", "m6g", "c6g", "r6g")}


def _instance_type_offerings(args: dict[str, Any], region: str) -> dict[str, Any]:
    """DescribeInstanceTypeOfferings by availability zone, filtered by instance-type and location like EC2 does."""
    filters = {f["name"]: f["values"] for f in args.get("filters", [])}
    zones = [f"{region}{suffix}" for suffix in _ZONE_SUFFIXES.get(region, "abc")]
    zones = [z for z in zones if z in filters.get("location", zones)]
    types = filters.get("instance-type", ["t3.micro", "t4g.micro"])
    pairs = [(t, z) for z in zones for t in types if t.split(".")[0] not in _ZONES_WITHOUT.get(z, ())]
    return {
        "instanceTypes": [t for t, _ in pairs],
        "locations": [z for _, z in pairs],
        "locationTypes": [args.get("locationType", "region")] * len(pairs),
        "id": region,
    }


# AWS-managed prefix lists the program looks up: (name, region) -> id, as `aws ec2 describe-managed-prefix-lists`
# answers in that region.
_PREFIX_LISTS = {("com.amazonaws.global.cloudfront.origin-facing", "us-east-1"): "pl-3b927c52"}


def _region() -> str:
    return pulumi.Config("aws").get("region") or "us-east-1"


def stable_hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:17]


def _service(token: str) -> str:
    """`aws:ec2/securityGroup:SecurityGroup` -> `ec2`."""
    return token.split(":")[1].split("/", maxsplit=1)[0]


class AwsMocks(pulumi.runtime.Mocks):
    """Answers invokes the way AWS would for account 123456789012, and gives every resource an id and an ARN."""

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        region = args.args.get("region") or _region()
        function = args.token
        if function == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{suffix}" for suffix in _ZONE_SUFFIXES.get(region, "abc")]
            return {"names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 7)], "id": region}, []
        if function == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/deployer/ci",
                "userId": "AROAEXAMPLE:ci",
                "id": ACCOUNT_ID,
            }, []
        if function == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.amazonaws.com"}, []
        if function == "aws:index/getPartition:getPartition":
            return {"partition": PARTITION, "dnsSuffix": "amazonaws.com", "id": PARTITION}, []
        if function == "aws:ssm/getParameter:getParameter":
            name = args.args.get("name", "")
            value = f"ami-{stable_hash(name)}"
            return {"name": name, "value": value, "insecureValue": value, "type": "String", "id": name}, []
        if function == "aws:ec2/getAmi:getAmi":
            filters = {f["name"]: f["values"] for f in args.args.get("filters", [])}
            owners = args.args.get("owners", [])
            arch = (filters.get("architecture") or ["x86_64"])[0]
            # A lookup by id answers with that id, as EC2 does when the owner matches.
            image_id = (filters.get("image-id") or [f"ami-{stable_hash(str(sorted(filters.items())), str(owners))}"])[0]
            return {
                "id": image_id,
                "architecture": arch,
                "ownerId": "679593333241" if "aws-marketplace" in owners else (owners or [ACCOUNT_ID])[0],
                "imageOwnerAlias": "aws-marketplace" if "aws-marketplace" in owners else None,
                "public": True,
                "rootDeviceName": "/dev/xvda",
                "name": (filters.get("name") or ["image"])[0].replace("*", "1"),
            }, []
        if function == "aws:elasticbeanstalk/getSolutionStack:getSolutionStack":
            return {"name": "64bit Amazon Linux 2023 v4.7.2 running Python 3.12", "id": "stack"}, []
        if function == "aws:ec2/getInstanceType:getInstanceType":
            name = args.args.get("instanceType", "t3.micro")
            arch = "arm64" if name.split(".")[0].endswith("g") or "g." in name else "x86_64"
            return {"instanceType": name, "supportedArchitectures": [arch], "id": name}, []
        if function == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            return _instance_type_offerings(args.args, region), []
        if function == "aws:elb/getServiceAccount:getServiceAccount":
            # The regional Elastic Load Balancing account that writes access logs (us-east-1's shown for every region).
            return {"arn": f"arn:{PARTITION}:iam::127311923021:root", "id": "127311923021"}, []
        if function == "aws:route53/getZone:getZone":
            # A public hosted zone of that name exists in the account (a real preview fails here if it does not).
            zone = str(args.args.get("name", "example.org")).rstrip(".")
            zone_id = f"Z{stable_hash(zone)[:13].upper()}"
            return {
                "name": zone,
                "zoneId": zone_id,
                "id": zone_id,
                "arn": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
                "privateZone": False,
                "nameServers": [f"ns-1.awsdns-01.{t}" for t in ("org", "com", "net", "co.uk")],
            }, []
        if function == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            # An AWS-managed prefix list by name; CloudFront's origin-facing list has its own id in each region.
            name = str(args.args.get("name", ""))
            list_id = _PREFIX_LISTS.get((name, region)) or f"pl-{stable_hash(name, region)[:8]}"
            return {
                "id": list_id,
                "name": name,
                "arn": f"arn:{PARTITION}:ec2:{region}:aws:prefix-list/{list_id}",
                "addressFamily": "IPv4",
                "maxEntries": 55,
                "ownerId": "AWS",
                "version": 1,
                "entries": [{"cidr": "130.176.0.0/18", "description": ""}],
                "region": region,
            }, []
        if function == "aws:lb/getLoadBalancer:getLoadBalancer":
            # An Elastic Beanstalk environment's load balancer, looked up by the ARN the environment reports.
            arn = str(args.args.get("arn") or "")
            lb_name = arn.split("/")[-2] if arn.count("/") >= 2 else "awseb-AWSEB-example"
            return {
                "arn": arn,
                "name": lb_name,
                "dnsName": f"{lb_name}-1234567890.{region}.elb.amazonaws.com",
                # The canonical hosted zone of Application Load Balancers in us-east-1 (ELB endpoints and quotas).
                "zoneId": "Z35SXDOTRQ7X7K",
                "loadBalancerType": "application",
                "id": arn,
            }, []
        if function == "aws:lb/getListener:getListener":
            lb_arn = str(args.args.get("loadBalancerArn") or "")
            port = int(args.args.get("port") or 80)
            arn = lb_arn.replace(":loadbalancer/", ":listener/") + f"/{stable_hash(lb_arn, str(port))[:16]}"
            return {
                "arn": arn,
                "loadBalancerArn": lb_arn,
                "port": port,
                "protocol": "HTTPS" if port == 443 else "HTTP",
                "id": arn,
            }, []
        raise NotImplementedError(f"the offline plan has no answer for the provider call {function}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        region = _region()
        token = args.typ
        name = args.name
        physical = args.inputs.get("name") or f"{name}-{stable_hash(name)[:7]}"
        resource_id = f"{name}-id"
        outputs: dict[str, Any] = {
            **args.inputs,
            "arn": f"arn:{PARTITION}:{_service(token)}:{region}:{ACCOUNT_ID}:{token.split(':')[-1].lower()}/{physical}",
        }
        if "name" in args.inputs or token in _NAMED:
            outputs["name"] = physical
        if "tags" in args.inputs:
            outputs["tagsAll"] = args.inputs["tags"]
        specific = _SPECIFIC.get(token)
        if specific is not None:
            outputs.update(specific(name, physical, region, args.inputs))
        return resource_id, outputs


# Resource types whose physical name is an output even when the program lets Pulumi choose it.
_NAMED = {
    "aws:lambda/function:Function",
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:sqs/queue:Queue",
    "aws:elasticbeanstalk/application:Application",
    "aws:elasticbeanstalk/applicationVersion:ApplicationVersion",
    "aws:elasticbeanstalk/environment:Environment",
    "aws:dynamodb/table:Table",
    "aws:autoscaling/group:Group",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:lightsail/instance:Instance",
    "aws:lightsail/staticIp:StaticIp",
    "aws:lightsail/keyPair:KeyPair",
    "aws:rds/parameterGroup:ParameterGroup",
}


def _certificate(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    domain = str(inputs.get("domainName", "example.org"))
    cert_region = inputs.get("region") or region
    # ACM asks for the same validation record for every certificate of a name; each certificate has its own ARN.
    token = stable_hash(domain)
    return {
        "arn": f"arn:{PARTITION}:acm:{cert_region}:{ACCOUNT_ID}:certificate/{stable_hash(domain, name)}",
        "status": "PENDING_VALIDATION",
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{token[:8]}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{token[8:16]}.acm-validations.aws.",
            }
        ],
    }


def _certificate_validation(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"certificateArn": inputs.get("certificateArn")}


def _record(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"fqdn": str(inputs.get("name", "")).rstrip(".")}


def _kms_key(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key_id = f"mrk-{stable_hash(name)}"
    return {"keyId": key_id, "arn": f"arn:{PARTITION}:kms:{region}:{ACCOUNT_ID}:key/{key_id}"}


def _bucket(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    bucket = inputs.get("bucket") or f"{name}-{stable_hash(name)[:8]}".lower()
    return {
        "bucket": bucket,
        "arn": f"arn:{PARTITION}:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
    }


def _load_balancer(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    suffix = f"app/{physical}/{stable_hash(name)[:16]}"
    return {
        "arn": f"arn:{PARTITION}:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
        "arnSuffix": suffix,
        "dnsName": f"{physical}-1234567890.{region}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
    }


def _target_group(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    suffix = f"targetgroup/{physical}/{stable_hash(name)[:16]}"
    return {"arn": f"arn:{PARTITION}:elasticloadbalancing:{region}:{ACCOUNT_ID}:{suffix}", "arnSuffix": suffix}


def _lambda(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    arn = f"arn:{PARTITION}:lambda:{region}:{ACCOUNT_ID}:function:{physical}"
    invoke = f"arn:{PARTITION}:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {"arn": arn, "invokeArn": invoke, "qualifiedArn": f"{arn}:1", "qualifiedInvokeArn": invoke, "version": "1"}


def _lambda_alias(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    arn = f"arn:{PARTITION}:lambda:{region}:{ACCOUNT_ID}:function:{inputs.get('functionName', name)}:{physical}"
    invoke = f"arn:{PARTITION}:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return {"arn": arn, "invokeArn": invoke}


def _http_api(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    api_id = stable_hash(name)[:10]
    return {
        "apiEndpoint": f"https://{api_id}.execute-api.{region}.amazonaws.com",
        "executionArn": f"arn:{PARTITION}:execute-api:{region}:{ACCOUNT_ID}:{api_id}",
        "arn": f"arn:{PARTITION}:apigateway:{region}::/apis/{api_id}",
    }


def _stage(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"invokeUrl": f"https://{stable_hash(name)[:10]}.execute-api.{region}.amazonaws.com/"}


def _queue(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "arn": f"arn:{PARTITION}:sqs:{region}:{ACCOUNT_ID}:{physical}",
        "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{physical}",
    }


def _rds(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    identifier = inputs.get("identifier") or physical
    host = f"{identifier}.c0example.{region}.rds.amazonaws.com"
    return {
        "identifier": identifier,
        "address": host,
        "endpoint": f"{host}:3306",
        "port": 3306,
        "masterUserSecrets": [
            {
                "secretArn": f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!db-{stable_hash(name)}",
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ],
    }


def _efs(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    fs_id = f"fs-{stable_hash(name)[:8]}"
    return {
        "dnsName": f"{fs_id}.efs.{region}.amazonaws.com",
        "arn": f"arn:{PARTITION}:elasticfilesystem:{region}:{ACCOUNT_ID}:file-system/{fs_id}",
    }


def _instance(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "publicIp": "198.51.100.10",
        "publicDns": f"ec2-198-51-100-10.{region}.compute.amazonaws.com",
        "privateIp": "10.20.0.10",
        "primaryNetworkInterfaceId": f"eni-{stable_hash(name)[:8]}",
    }


def _eip(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "publicIp": "198.51.100.20",
        "publicDns": f"ec2-198-51-100-20.{region}.compute.amazonaws.com",
        "allocationId": f"eipalloc-{stable_hash(name)[:8]}",
    }


def _beanstalk_environment(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cname = f"{inputs.get('cnamePrefix') or physical}.{region}.elasticbeanstalk.com"
    # Elastic Beanstalk's CloudFormation stack names the group: awseb-<environment id>-stack-AWSEBAutoScalingGroup-...
    env_id = f"e-{stable_hash(name)[:10]}"
    group = f"awseb-{env_id}-stack-AWSEBAutoScalingGroup-{stable_hash('group', name)[:12].upper()}"
    outputs: dict[str, Any] = {"cname": cname, "endpointUrl": cname, "autoscalingGroups": [group]}
    if inputs.get("tier", "WebServer") == "WebServer":
        # A load-balanced environment reports its Application Load Balancer's ARN.
        suffix = f"app/awseb-AWSEB-{stable_hash(name)[:12]}/{stable_hash(name, 'lb')[:16]}"
        outputs["loadBalancers"] = [f"arn:{PARTITION}:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}"]
    return outputs


def _user_pool(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    pool_id = f"{region}_{stable_hash(name)[:9]}"
    return {
        "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
        "arn": f"arn:{PARTITION}:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{pool_id}",
    }


def _user_pool_client(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    secret = f"client-secret-{stable_hash('client-secret', name)}" if inputs.get("generateSecret") else ""
    return {"clientSecret": secret}


def _api_domain_name(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    configuration = dict(inputs.get("domainNameConfiguration") or {})
    configuration["targetDomainName"] = f"d-{stable_hash(name)[:10]}.execute-api.{region}.amazonaws.com"
    configuration["hostedZoneId"] = "Z1UJRXOUMOOFQ8"  # API Gateway's regional endpoints in us-east-1
    return {"domainNameConfiguration": configuration, "apiMappingSelectionExpression": "$request.basepath"}


def _lightsail_static_ip(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"ipAddress": "192.0.2.30"}


def _lightsail_database(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"masterEndpointAddress": f"ls-{stable_hash(name)}.{region}.rds.amazonaws.com", "masterEndpointPort": 3306}


def _lightsail_instance(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"publicIpAddress": "192.0.2.31", "privateIpAddress": "172.26.0.10"}


def _random_password(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    # Deterministic, of the asked length, from the allowed characters: tests can look for it everywhere.
    length = int(inputs.get("length", 16))
    special = str(inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?")
    body = f"Pw{stable_hash('password', name)}{special}Zz9"
    return {"result": (body * (length // len(body) + 1))[:length], "bcryptHash": f"$2a$10${stable_hash(name)}"}


def _random_id(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    # Different keepers give a different id, as a replaced RandomId would.
    keepers = inputs.get("keepers") or {}
    digest = hashlib.sha256("/".join([name, *(f"{k}={v}" for k, v in sorted(keepers.items()))]).encode()).hexdigest()
    hex_value = digest[: 2 * int(inputs.get("byteLength", 8))]
    raw = bytes.fromhex(hex_value)
    return {
        "hex": hex_value,
        "dec": str(int(hex_value, 16)),
        "b64Std": base64.b64encode(raw).decode(),
        "b64Url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def _distribution(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    distribution_id = f"E{stable_hash(name)[:13].upper()}"
    return {
        "arn": f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:distribution/{distribution_id}",
        "domainName": f"d{stable_hash('cdn', name)[:13]}.cloudfront.net",
        # Route 53's hosted zone for every CloudFront alias.
        "hostedZoneId": "Z2FDTNDATAQYW2",
        "status": "Deployed",
        "etag": "E2QWRUHEXAMPLE",
    }


def _web_acl(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    acl_region = inputs.get("region") or region
    scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
    acl_id = stable_hash("waf", name)[:8] + "-0000-4000-8000-" + stable_hash("waf-id", name)[:12]
    return {
        "arn": f"arn:{PARTITION}:wafv2:{acl_region}:{ACCOUNT_ID}:{scope}/webacl/{physical}/{acl_id}",
        "capacity": 1150,
    }


def _launch_template(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _secret(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:{physical}-AbCdEf"}


def _log_group(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:log-group:{physical}"}


def _iam_role(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{physical}", "uniqueId": f"AROA{stable_hash(name).upper()}"}


def _instance_profile(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:instance-profile/{physical}"}


def _dynamodb_table(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": f"arn:{PARTITION}:dynamodb:{region}:{ACCOUNT_ID}:table/{physical}", "streamArn": ""}


def _event_rule(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"arn": f"arn:{PARTITION}:events:{region}:{ACCOUNT_ID}:rule/{physical}"}


def _key_pair(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"keyName": inputs.get("keyName") or physical, "keyPairId": f"key-{stable_hash(name)}"}


_SPECIFIC: dict[str, Callable[[str, str, str, dict[str, Any]], dict[str, Any]]] = {
    "aws:kms/key:Key": _kms_key,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/record:Record": _record,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lambda/function:Function": _lambda,
    "aws:lambda/alias:Alias": _lambda_alias,
    "aws:apigatewayv2/api:Api": _http_api,
    "aws:apigatewayv2/stage:Stage": _stage,
    "aws:sqs/queue:Queue": _queue,
    "aws:rds/instance:Instance": _rds,
    "aws:efs/fileSystem:FileSystem": _efs,
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/eip:Eip": _eip,
    "aws:elasticbeanstalk/environment:Environment": _beanstalk_environment,
    "aws:lightsail/staticIp:StaticIp": _lightsail_static_ip,
    "aws:lightsail/database:Database": _lightsail_database,
    "aws:lightsail/instance:Instance": _lightsail_instance,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "random:index/randomPassword:RandomPassword": _random_password,
    "random:index/randomId:RandomId": _random_id,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "random:index/randomString:RandomString": _random_password,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
    "aws:dynamodb/table:Table": _dynamodb_table,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:ec2/keyPair:KeyPair": _key_pair,
    "aws:cognito/userPool:UserPool": _user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": _user_pool_client,
    "aws:apigatewayv2/domainName:DomainName": _api_domain_name,
}
