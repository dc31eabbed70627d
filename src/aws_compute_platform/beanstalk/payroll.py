"""BeanstalkApp: the payroll application on Elastic Beanstalk, a web environment and an SQS worker environment.

The web tier (load balanced, ALB in the public subnets, instances in the private ones; or, for a dev stack, one
instance at an Elastic IP in a public subnet, `web.environmentType: SingleInstance`) stores an uploaded CSV in
the uploads bucket and queues a message; the worker tier's sqsd daemon reads OUR queue (with a dead-letter queue)
and POSTs each message to the app, which checks the file, writes a result and emails the uploader through SES.

    browser -> web tier -> uploads bucket + jobs queue (-> dead-letter queue) -> worker tier -> SES -> uploader

Users sign in first (a Cognito user pool, the app's own OpenID Connect flow: beanstalk/signin.py) and the result goes
to the signed-in user's verified address. With the stack's `domain` the web tier answers at https://payroll.<domain>
(HTTP redirected); without one it serves plain HTTP, and only to the networks in `allowedCidrs`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.beanstalk.application import PayrollApplication
from aws_compute_platform.beanstalk.args import BeanstalkArgs, environment_name_problem, environment_names
from aws_compute_platform.beanstalk.entry import PayrollEntry
from aws_compute_platform.beanstalk.environment import BeanstalkEnvironment
from aws_compute_platform.beanstalk.firewall import InstanceFirewalls
from aws_compute_platform.beanstalk.identity import (
    WEB_TIER_POLICY,
    WORKER_TIER_POLICY,
    InstanceIdentity,
    ServiceRole,
    web_permissions,
    worker_permissions,
)
from aws_compute_platform.beanstalk.options import WebEntry, Wiring, web_settings, worker_settings
from aws_compute_platform.beanstalk.queue import WorkQueue
from aws_compute_platform.beanstalk.scaling import BacklogScaling
from aws_compute_platform.beanstalk.signin import PayrollSignIn
from aws_compute_platform.beanstalk.uploads import Uploads
from aws_compute_platform.beanstalk.volume_encryption import VolumeEncryptionByDefault
from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import tagged


class BeanstalkApp(pulumi.ComponentResource):
    """Payroll uploads on Elastic Beanstalk: web environment, worker environment, queue + DLQ, bucket, SES sender.

    Runs in any network with at least two availability zones (for the load balancer) whose private subnets reach the
    internet (Elastic Beanstalk, SQS and SES are reached through NAT), or, with a SingleInstance web tier and
    `instance_subnets: public`, in its public subnets with no NAT at all; `key_arn` encrypts the uploads, the queues
    and the sign-in secret. `domain` gives a load-balanced web tier its name and certificate; without one,
    `args.allowed_cidrs` is required.
    """

    def __init__(
        self,
        name: str,
        args: BeanstalkArgs,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        domain: Domain | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        check_buildable(name, args, network, domain)
        super().__init__("acp:compute:BeanstalkApp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)
        web_name, worker_name = environment_names(name)
        load_balanced = args.web.environment_type == "LoadBalanced"

        # -- what the tiers work with ---------------------------------------------------------------------------------
        self.uploads = Uploads(
            f"{name}-uploads",
            expire_days=args.uploads_expire_days,
            key_arn=key_arn,
            protect=args.protect,
            tags=tags,
            opts=child,
        )
        self.jobs = WorkQueue(
            f"{name}-jobs",
            visibility_timeout_s=args.worker.visibility_timeout_s,
            max_receive_count=args.worker.max_receive_count,
            key_arn=key_arn,
            tags=tags,
            opts=child,
        )
        self.queue, self.dead_letters = self.jobs.queue, self.jobs.dead_letters
        self.sender = aws.sesv2.EmailIdentity(
            f"{name}-sender", email_identity=args.sender_email, tags=tagged(tags, f"{name}-sender"), opts=child
        )

        # -- the application and its version ----------------------------------------------------------------------
        self.service_role = ServiceRole(f"{name}-service", partition=context.partition, tags=tags, opts=child)
        self.application = PayrollApplication(
            name, keep_versions=args.keep_versions, service_role=self.service_role, tags=tags, opts=child
        )
        self.version = self.application.version

        # -- how users reach the web tier and who they are -------------------------------------------------------
        self.entry = PayrollEntry(
            f"{name}-entry",
            vpc_id=network.vpc_id,
            domain=domain,
            allowed_cidrs=args.allowed_cidrs,
            tags=tags,
            load_balanced=load_balanced,
            opts=child,
        )
        self.sign_in = PayrollSignIn(
            f"{name}-signin",
            public_url=self.entry.public_url,
            mfa=args.mfa,
            account_id=context.account_id,
            key_arn=key_arn,
            protect=args.protect,
            tags=tags,
            opts=child,
        )

        # -- one identity per tier, least privilege ---------------------------------------------------------------
        web_identity = InstanceIdentity(
            web_name,
            managed_policy=WEB_TIER_POLICY,
            permissions=web_permissions(self.uploads.arn, self.jobs.arn, key_arn, self.sign_in.secret_arn),
            partition=context.partition,
            tags=tags,
            opts=child,
        )
        worker_identity = InstanceIdentity(
            worker_name,
            managed_policy=WORKER_TIER_POLICY,
            permissions=worker_permissions(
                self.uploads.arn,
                self.jobs.arn,
                key_arn,
                sender_email=args.sender_email,
                partition=context.partition,
                region=context.region,
                account_id=context.account_id,
            ),
            partition=context.partition,
            tags=tags,
            opts=child,
        )
        launch_after: list[pulumi.Resource] = list(self.service_role.policies)
        if args.encrypt_volumes_by_default:
            launch_after += VolumeEncryptionByDefault(f"{name}-ebs", key_arn=key_arn, opts=child).resources

        # -- the two environments ---------------------------------------------------------------------------------
        platform = aws.elasticbeanstalk.get_solution_stack_output(
            most_recent=True, name_regex=args.platform, opts=pulumi.InvokeOutputOptions(parent=self)
        ).name
        # Instances with public addresses get our own groups instead of Beanstalk's default one.
        self.firewalls = (
            InstanceFirewalls(name, vpc_id=network.vpc_id, allowed_cidrs=args.allowed_cidrs, tags=tags, opts=child)
            if args.instance_subnets == "public"
            else None
        )
        wiring = Wiring(
            network=network,
            service_role_arn=self.service_role.arn,
            service_role_name=self.service_role.role_name,
            uploads_bucket=self.uploads.bucket,
            queue_url=self.jobs.url,
            region=context.region,
            web_group_id=self.firewalls.web_group_id if self.firewalls else None,
            worker_group_id=self.firewalls.worker_group_id if self.firewalls else None,
        )
        self.web = BeanstalkEnvironment(
            web_name,
            tier="WebServer",
            application=self.application.name,
            version=self.version.name,
            platform=platform,
            settings=web_settings(
                args,
                wiring,
                web_identity.profile_name,
                WebEntry(
                    security_group_id=self.entry.security_group.id if self.entry.security_group else None,
                    certificate_arn=self.entry.certificate_arn,
                    public_url=self.entry.public_url,
                    issuer=self.sign_in.issuer,
                    client_id=self.sign_in.client_id,
                    signin_secret=self.sign_in.secret_name,
                ),
            ),
            tags=tags,
            depends_on=[*launch_after, *web_identity.policies],
            opts=child,
        )
        self.worker = BeanstalkEnvironment(
            worker_name,
            tier="Worker",
            application=self.application.name,
            version=self.version.name,
            platform=platform,
            settings=worker_settings(args, wiring, worker_identity.profile_name),
            tags=tags,
            depends_on=[*launch_after, *worker_identity.policies],
            opts=child,
        )
        # The worker tier scales on its backlog per instance; its group is the one Elastic Beanstalk made for it.
        self.worker_scaling = BacklogScaling(
            f"{worker_name}-backlog",
            group_name=self.worker.autoscaling_group,
            queue_name=self.jobs.queue.name,
            backlog_per_instance=args.worker.backlog_per_instance,
            opts=child,
        )

        if load_balanced:
            self.entry.serve(self.web.load_balancer_arn)

        # With a domain, its name; without, the environment's own (plain HTTP, for the allowed networks only).
        self.url: pulumi.Output[str] = (
            pulumi.Output.from_input(self.entry.public_url)
            if domain is not None
            else self.web.cname.apply(lambda c: f"http://{c}")
        )
        self.register_outputs(
            {
                "url": self.url,
                "applicationName": self.application.name,
                "versionLabel": self.version.name,
                "webEnvironment": self.web.name,
                "workerEnvironment": self.worker.name,
                "queueUrl": self.queue.url,
                "deadLetterQueueUrl": self.dead_letters.url,
                "uploadsBucket": self.uploads.bucket,
                "userPoolId": self.sign_in.user_pool_id,
            }
        )


def check_buildable(name: str, args: BeanstalkArgs, network: NetworkRef, domain: Domain | None = None) -> None:
    """What the stack's settings check before any resource, checked again for a component built in Python.

    `args` are read as if enabled (a sender is then required, and a log retention Elastic Beanstalk accepts); the
    environment names made from `name` must be valid; the network must span two zones for a load balancer; a
    stack without a domain (so plain HTTP) must restrict who reaches the web tier, and a single instance (no load
    balancer to hold a certificate) has no domain.
    """
    found: list[ConfigError] = []
    if not args.enabled:
        try:
            BeanstalkArgs.from_config({**args.model_dump(), "enabled": True})
        except SettingsError as exc:
            found.extend(exc.problems)
    for env_name in environment_names(name):
        problem = environment_name_problem(env_name)
        if problem:
            found.append(ConfigError("name", f"{problem}: choose a shorter name", name))
    if args.web.environment_type == "LoadBalanced" and len(network.availability_zones) < 2:
        found.append(
            ConfigError(
                "network.availability_zones",
                "must list at least 2 zones: an Application Load Balancer spans two AZs",
                list(network.availability_zones),
            )
        )
    if domain is not None and args.web.environment_type == "SingleInstance":
        found.append(
            ConfigError(
                f"{BeanstalkArgs.config_key}.web.environmentType",
                "must be LoadBalanced in a stack with a domain: payroll there is served over HTTPS, and a "
                "SingleInstance web tier has no load balancer to hold the certificate (set LoadBalanced with "
                "instanceSubnets private and network.natGateways single, or leave payroll disabled)",
                args.web.environment_type,
            )
        )
    if domain is None and not args.allowed_cidrs:
        found.append(
            ConfigError(
                f"{BeanstalkArgs.config_key}.allowedCidrs",
                "must list the networks that may reach the payroll when the stack has no domain: without "
                "aws-compute-platform:domain there is no certificate, so payroll files and sign-ins would cross the "
                "internet in plain HTTP (set the domain for HTTPS, or restrict the load balancer to your networks)",
            )
        )
    if found:
        raise SettingsError(found)
