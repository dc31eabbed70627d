"""The CI's deploy role can create every resource the shipped stacks declare, and no more than it must.

A deploy role that lacks a service fails only at `pulumi up`, after the preview passed: each resource type in a
plan is matched here with the call that creates it (the service authorization reference's action for the
resource's Create API) and evaluated against the policy `python -m bootstrap` gives the role, in the region the
call is made in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bootstrap.bootstrap import EDGE_REGION, Names, boundary_policy, deploy_policy
from bootstrap.evaluate import Principal, Request, allows
from plan import Plan, PlannedResource

ACCOUNT = "123456789012"
PARTITION = "aws"


@dataclass(frozen=True)
class Create:
    """The call that creates a resource type, and what its resource ARN is named after."""

    action: str
    arn: str = "*"  # "*", or a template over {name} (the resource's logical name) and {iam}/{region}/{account}
    global_service: bool = False  # CloudFront, Route 53 and IAM take their calls in us-east-1


ROLE = "{iam}:role/{name}-0a1b2c3"
# One entry per AWS resource type the program declares. A type the stacks start to use and this table does not name
# fails `test_every_resource_type_the_stacks_declare_is_known_here`: add the call that creates it.
CREATE: dict[str, Create] = {
    "aws:acm/certificate:Certificate": Create("acm:RequestCertificate"),
    "aws:acm/certificateValidation:CertificateValidation": Create("acm:DescribeCertificate"),
    "aws:apigatewayv2/api:Api": Create("apigateway:POST"),
    "aws:apigatewayv2/apiMapping:ApiMapping": Create("apigateway:POST"),
    "aws:apigatewayv2/domainName:DomainName": Create("apigateway:POST"),
    "aws:apigatewayv2/integration:Integration": Create("apigateway:POST"),
    "aws:apigatewayv2/route:Route": Create("apigateway:POST"),
    "aws:apigatewayv2/stage:Stage": Create("apigateway:POST"),
    "aws:autoscaling/group:Group": Create("autoscaling:CreateAutoScalingGroup"),
    "aws:autoscaling/lifecycleHook:LifecycleHook": Create("autoscaling:PutLifecycleHook"),
    "aws:autoscaling/policy:Policy": Create("autoscaling:PutScalingPolicy"),
    "aws:cloudfront/cachePolicy:CachePolicy": Create("cloudfront:CreateCachePolicy", global_service=True),
    "aws:cloudfront/distribution:Distribution": Create("cloudfront:CreateDistribution", global_service=True),
    "aws:cloudfront/vpcOrigin:VpcOrigin": Create("cloudfront:CreateVpcOrigin", global_service=True),
    "aws:cloudwatch/dashboard:Dashboard": Create("cloudwatch:PutDashboard"),
    "aws:cloudwatch/eventRule:EventRule": Create("events:PutRule"),
    "aws:cloudwatch/eventTarget:EventTarget": Create("events:PutTargets"),
    "aws:cloudwatch/logGroup:LogGroup": Create("logs:CreateLogGroup"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Create("cloudwatch:PutMetricAlarm"),
    "aws:cognito/userPool:UserPool": Create("cognito-idp:CreateUserPool"),
    "aws:cognito/userPoolClient:UserPoolClient": Create("cognito-idp:CreateUserPoolClient"),
    "aws:cognito/userPoolDomain:UserPoolDomain": Create("cognito-idp:CreateUserPoolDomain"),
    "aws:dynamodb/table:Table": Create("dynamodb:CreateTable"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": Create("ec2:RevokeSecurityGroupIngress"),
    "aws:ec2/eip:Eip": Create("ec2:AllocateAddress"),
    "aws:ec2/flowLog:FlowLog": Create("ec2:CreateFlowLogs"),
    "aws:ec2/instance:Instance": Create("ec2:RunInstances"),
    "aws:ec2/internetGateway:InternetGateway": Create("ec2:CreateInternetGateway"),
    "aws:ec2/launchTemplate:LaunchTemplate": Create("ec2:CreateLaunchTemplate"),
    "aws:ec2/natGateway:NatGateway": Create("ec2:CreateNatGateway"),
    "aws:ec2/routeTable:RouteTable": Create("ec2:CreateRouteTable"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": Create("ec2:AssociateRouteTable"),
    "aws:ec2/securityGroup:SecurityGroup": Create("ec2:CreateSecurityGroup"),
    "aws:ec2/subnet:Subnet": Create("ec2:CreateSubnet"),
    "aws:ec2/vpc:Vpc": Create("ec2:CreateVpc"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Create("ec2:CreateVpcEndpoint"),
    "aws:efs/backupPolicy:BackupPolicy": Create("elasticfilesystem:PutBackupPolicy"),
    "aws:efs/fileSystem:FileSystem": Create("elasticfilesystem:CreateFileSystem"),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": Create("elasticfilesystem:PutFileSystemPolicy"),
    "aws:efs/mountTarget:MountTarget": Create("elasticfilesystem:CreateMountTarget"),
    "aws:elasticbeanstalk/application:Application": Create("elasticbeanstalk:CreateApplication"),
    "aws:elasticbeanstalk/applicationVersion:ApplicationVersion": Create("elasticbeanstalk:CreateApplicationVersion"),
    "aws:elasticbeanstalk/environment:Environment": Create("elasticbeanstalk:CreateEnvironment"),
    "aws:iam/instanceProfile:InstanceProfile": Create(
        "iam:CreateInstanceProfile", "{iam}:instance-profile/{name}-0a1b2c3", global_service=True
    ),
    "aws:iam/role:Role": Create("iam:CreateRole", ROLE, global_service=True),
    "aws:iam/rolePolicy:RolePolicy": Create("iam:PutRolePolicy", ROLE, global_service=True),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Create("iam:AttachRolePolicy", ROLE, global_service=True),
    "aws:imagebuilder/component:Component": Create("imagebuilder:CreateComponent"),
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": Create(
        "imagebuilder:CreateDistributionConfiguration"
    ),
    "aws:imagebuilder/imagePipeline:ImagePipeline": Create("imagebuilder:CreateImagePipeline"),
    "aws:imagebuilder/imageRecipe:ImageRecipe": Create("imagebuilder:CreateImageRecipe"),
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": Create(
        "imagebuilder:CreateInfrastructureConfiguration"
    ),
    "aws:kms/alias:Alias": Create("kms:CreateAlias"),
    "aws:kms/grant:Grant": Create("kms:CreateGrant"),
    "aws:kms/key:Key": Create("kms:CreateKey"),
    "aws:lambda/alias:Alias": Create("lambda:CreateAlias"),
    "aws:lambda/function:Function": Create("lambda:CreateFunction"),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": Create("lambda:PutFunctionEventInvokeConfig"),
    "aws:lambda/permission:Permission": Create("lambda:AddPermission"),
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": Create(
        "lambda:PutProvisionedConcurrencyConfig"
    ),
    "aws:lb/listener:Listener": Create("elasticloadbalancing:CreateListener"),
    "aws:lb/listenerCertificate:ListenerCertificate": Create("elasticloadbalancing:AddListenerCertificates"),
    "aws:lb/listenerRule:ListenerRule": Create("elasticloadbalancing:CreateRule"),
    "aws:lb/loadBalancer:LoadBalancer": Create("elasticloadbalancing:CreateLoadBalancer"),
    "aws:lb/targetGroup:TargetGroup": Create("elasticloadbalancing:CreateTargetGroup"),
    "aws:lightsail/database:Database": Create("lightsail:CreateRelationalDatabase"),
    "aws:lightsail/instance:Instance": Create("lightsail:CreateInstances"),
    "aws:lightsail/instancePublicPorts:InstancePublicPorts": Create("lightsail:PutInstancePublicPorts"),
    "aws:lightsail/staticIp:StaticIp": Create("lightsail:AllocateStaticIp"),
    "aws:lightsail/staticIpAttachment:StaticIpAttachment": Create("lightsail:AttachStaticIp"),
    "aws:rds/instance:Instance": Create("rds:CreateDBInstance"),
    "aws:rds/parameterGroup:ParameterGroup": Create("rds:CreateDBParameterGroup"),
    "aws:rds/subnetGroup:SubnetGroup": Create("rds:CreateDBSubnetGroup"),
    "aws:route53/record:Record": Create("route53:ChangeResourceRecordSets", global_service=True),
    "aws:s3/bucket:Bucket": Create("s3:CreateBucket", "arn:aws:s3:::{name}-0a1b2c3"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Create(
        "s3:PutLifecycleConfiguration", "arn:aws:s3:::{name}-0a1b2c3"
    ),
    "aws:s3/bucketNotification:BucketNotification": Create(
        "s3:PutBucketNotification", "arn:aws:s3:::aws-compute-platform-0a1b2c3"
    ),
    "aws:s3/bucketObjectv2:BucketObjectv2": Create("s3:PutObject", "arn:aws:s3:::aws-compute-platform-0a1b2c3/x"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Create(
        "s3:PutBucketOwnershipControls", "arn:aws:s3:::{name}-0a1b2c3"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": Create("s3:PutBucketPolicy", "arn:aws:s3:::{name}-0a1b2c3"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Create(
        "s3:PutBucketPublicAccessBlock", "arn:aws:s3:::{name}-0a1b2c3"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Create(
        "s3:PutEncryptionConfiguration", "arn:aws:s3:::{name}-0a1b2c3"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Create("s3:PutBucketVersioning", "arn:aws:s3:::{name}-0a1b2c3"),
    "aws:secretsmanager/secret:Secret": Create(
        "secretsmanager:CreateSecret", "arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf"
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": Create(
        "secretsmanager:PutSecretValue", "arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf"
    ),
    "aws:sesv2/emailIdentity:EmailIdentity": Create("ses:CreateEmailIdentity"),
    "aws:sns/topic:Topic": Create("sns:CreateTopic"),
    "aws:sns/topicPolicy:TopicPolicy": Create("sns:SetTopicAttributes"),
    "aws:sns/topicSubscription:TopicSubscription": Create("sns:Subscribe"),
    "aws:sqs/queue:Queue": Create("sqs:CreateQueue"),
    "aws:ssm/parameter:Parameter": Create("ssm:PutParameter"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Create("ec2:AuthorizeSecurityGroupEgress"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Create("ec2:AuthorizeSecurityGroupIngress"),
    "aws:wafv2/webAcl:WebAcl": Create("wafv2:CreateWebACL"),
}


def names(plan: Plan) -> Names:
    return Names(PARTITION, ACCOUNT, str(plan.outputs.get("region", "us-east-1")), "aws-compute-platform-state")


def region_of(plan: Plan, resource: PlannedResource, create: Create) -> str:
    if create.global_service:
        return EDGE_REGION
    return str(resource.inputs.get("region") or names(plan).region)


def request_for(plan: Plan, resource: PlannedResource) -> Request:
    create = CREATE[resource.type]
    region = region_of(plan, resource, create)
    n = names(plan)
    arn = create.arn.format(name=resource.name, iam=n.iam, region=region, account=ACCOUNT)
    context: dict[str, str] = {"aws:RequestedRegion": region}
    if create.action.startswith("iam:") and "role/" in arn:
        context["iam:PermissionsBoundary"] = n.boundary_arn
    return Request(create.action, arn, context)


def aws_resources(plan: Plan) -> list[PlannedResource]:
    return [r for r in plan.resources if r.type.startswith("aws:")]


def test_every_resource_type_the_stacks_declare_is_known_here(stack_plan: Plan) -> None:
    unknown = sorted({r.type for r in aws_resources(stack_plan)} - set(CREATE))
    assert not unknown, f"add the call that creates each of these to CREATE: {unknown}"


def test_the_deploy_role_may_create_every_resource_the_stack_declares(stack_plan: Plan) -> None:
    n = names(stack_plan)
    role = Principal(n.deploy_role_arn, (deploy_policy(n),))
    refused = sorted(
        {
            f"{r.type}: {request.action} on {request.resource} in {request.value('aws:RequestedRegion')}"
            for r in aws_resources(stack_plan)
            if r.type in CREATE and not allows(role, request := request_for(stack_plan, r))
        }
    )
    assert not refused, "the deploy role is refused:\n" + "\n".join(refused)


@pytest.mark.parametrize(
    ("action", "region"),
    [
        ("cloudfront:CreateDistribution", "eu-west-1"),
        ("wafv2:CreateWebACL", "eu-west-1"),
        ("acm:RequestCertificate", "eu-west-1"),
        ("route53:CreateHostedZone", EDGE_REGION),
        ("route53:DeleteHostedZone", EDGE_REGION),
        ("cognito-idp:CreateUserPool", "eu-west-1"),
    ],
)
def test_the_edge_services_are_reachable_only_where_their_api_is(action: str, region: str) -> None:
    """A stack in ap-southeast-2: its edge in us-east-1, its user pool in its own region, never a hosted zone."""
    n = Names(PARTITION, ACCOUNT, "ap-southeast-2", "aws-compute-platform-state")
    role = Principal(n.deploy_role_arn, (deploy_policy(n),))
    assert not allows(role, Request(action, "*", {"aws:RequestedRegion": region}))


def test_cloudfronts_vpc_origin_role_may_be_created_by_the_deploy_role_and_no_other_service_role() -> None:
    n = Names(PARTITION, ACCOUNT, "us-east-1", "aws-compute-platform-state")
    role = Principal(n.deploy_role_arn, (deploy_policy(n),))
    arn = f"{n.iam}:role/aws-service-role/vpcorigin.cloudfront.amazonaws.com/AWSServiceRoleForCloudFrontVPCOrigin"

    def create(service: str) -> Request:
        return Request("iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": service})

    assert allows(role, create("vpcorigin.cloudfront.amazonaws.com"))
    assert not allows(role, create("sso.amazonaws.com"))


def test_workload_roles_still_cannot_reach_the_edge_services() -> None:
    """The boundary caps what the program's own roles can do: CloudFront and WAF are the deploy role's alone."""
    n = Names(PARTITION, ACCOUNT, "us-east-1", "aws-compute-platform-state")
    boundary = boundary_policy(n)
    workload = Principal(f"{n.iam}:role/aws-compute-platform-dev-web", (boundary,), boundary)
    for action in ("cloudfront:CreateDistribution", "wafv2:DeleteWebACL", "route53:ChangeResourceRecordSets"):
        assert not allows(workload, Request(action, "*", {"aws:RequestedRegion": "us-east-1"})), action
