"""Realistic answers for the provider calls and resource outputs the program depends on, with no AWS account."""

from __future__ import annotations

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
}


def _certificate(name: str, physical: str, region: str, inputs: dict[str, Any]) -> dict[str, Any]:
    domain = str(inputs.get("domainName", "example.org"))
    cert_region = inputs.get("region") or region
    token = stable_hash(domain)
    return {
        "arn": f"arn:{PARTITION}:acm:{cert_region}:{ACCOUNT_ID}:certificate/{token}",
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
    host = f"{physical}.c0example.{region}.rds.amazonaws.com"
    return {
        # The provider autonames the DB instance identifier (the name alarms and the console know it by).
        "identifier": inputs.get("identifier") or physical,
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
    return {"cname": cname, "endpointUrl": cname}


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
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
    "aws:dynamodb/table:Table": _dynamodb_table,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:ec2/keyPair:KeyPair": _key_pair,
}
