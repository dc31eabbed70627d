"""LoadBalancer: the Application Load Balancer over every AZ, its listeners and rules, the target group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.wordpress.args import LoadBalancerArgs
from aws_compute_platform.wordpress.connections import Connections, security_group

# A PHP page that checks php-fpm and the shared content, never the database (boot/healthz.php).
HEALTH_FILE = "healthz.php"
WEB_PORT = 80
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
# CloudFront adds this header, with the generated secret, to every request it sends to the origin.
ORIGIN_HEADER = "X-Origin-Verify"
# WordPress's install wizard and its wp-config.php writer.
INSTALLER_PATHS = ("/wp-admin/install.php", "/wp-admin/setup-config.php")


class LoadBalancer(pulumi.ComponentResource):
    """Forwards to the instances' target group; who may reach it depends on whether CloudFront is in front.

    Behind CloudFront (`behind_cdn`): the load balancer is internal, in the private subnets, with no public address
    at all: CloudFront reaches it through a VPC origin (`SiteEdge`). Its security group admits one port (443 with
    certificates, 80 without) from CloudFront's origin-facing managed prefix list only, and the listener forwards
    only requests that carry the secret origin header (`origin_secret`, generated here, a secret output) that
    CloudFront must add; anything else gets a fixed 403. Without CloudFront: internet-facing in the public subnets,
    80 and 443
    are open to the internet; with certificates 443 terminates TLS with `args.ssl_policy` and 80 answers with a 301
    to HTTPS, without them 80 serves the site. Either way the install wizard's pages are refused at the listener.
    Access logs, when on, go to a private, TLS-only bucket of their own.
    """

    def __init__(
        self,
        name: str,
        args: LoadBalancerArgs,
        *,
        certificate_arns: Sequence[pulumi.Input[str]] = (),
        behind_cdn: bool = False,
        log_retention_days: int,
        network: NetworkRef,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        https = bool(certificate_arns)
        # Letters and digits only (a header value, compared as is); kept secret in the state, never an output.
        self.origin_secret: pulumi.Output[str] | None = (
            random.RandomPassword(f"{name}-origin-secret", length=48, special=False, opts=child).result
            if behind_cdn
            else None
        )
        self.security_group = security_group(
            name,
            "alb-sg",
            "WordPress load balancer: from CloudFront only" if behind_cdn else "WordPress load balancer: HTTP(S)",
            vpc_id=network.vpc_id,
            tags=tags,
            parent=self,
        )
        self.connections = Connections(name, "alb", self.security_group, port=None, tags=tags, parent=self)
        if behind_cdn:
            # A rule naming a prefix list counts against the group's inbound rule quota (60 by default) as the
            # list's maximum number of entries, not as one rule ("Prefix list weight", VPC user guide, "AWS-managed
            # prefix lists"), so a second rule naming it can exceed the quota: the group admits the one port the
            # listener serves and nothing else (CloudFront developer guide, "Use the CloudFront managed prefix list").
            prefix_list = aws.ec2.get_managed_prefix_list_output(
                name=CLOUDFRONT_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.connections.allow_from_prefix_list(
                "https-from-cloudfront" if https else "http-from-cloudfront", 443 if https else 80, prefix_list.id
            )
        else:
            # 443 stays open without a certificate too, so adding one later changes only the listeners.
            self.connections.allow_from_cidr("http-from-internet", 80, "0.0.0.0/0")
            self.connections.allow_from_cidr("https-from-internet", 443, "0.0.0.0/0")

        access_logs = self._access_log_bucket(name, args, log_retention_days, tags) if args.access_logs else None
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            # Load balancer and target group names are limited to 32 characters, too few for the stack's logical
            # names plus a random suffix; a short prefix keeps them unique, so a replacement never collides.
            name_prefix="wp-",
            load_balancer_type="application",
            # Behind CloudFront the load balancer needs no public address: a VPC origin reaches an internal load
            # balancer in private subnets ("Restrict access with VPC origins", CloudFront developer guide), which
            # also saves the public IPv4 address each of its nodes would otherwise bill.
            internal=behind_cdn,
            subnets=list(network.private_subnet_ids if behind_cdn else network.public_subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=args.drop_invalid_header_fields,
            enable_deletion_protection=args.deletion_protection,
            idle_timeout=args.idle_timeout_s,
            access_logs={"bucket": access_logs.bucket, "prefix": "alb", "enabled": True} if access_logs else None,
            tags=tagged(tags, f"{name}-alb"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_logs.policy] if access_logs else None),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-web",
            name_prefix="wp-",
            port=WEB_PORT,
            protocol="HTTP",
            target_type="instance",
            vpc_id=network.vpc_id,
            deregistration_delay=30,
            health_check={
                "enabled": True,
                "path": f"/{HEALTH_FILE}",
                "protocol": "HTTP",
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=tagged(tags, f"{name}-web"),
            opts=child,
        )
        forward = {"type": "forward", "target_group_arn": self.target_group.arn}
        refuse = {
            "type": "fixed-response",
            "fixed_response": {"content_type": "text/plain", "message_body": "Forbidden", "status_code": "403"},
        }
        # Behind CloudFront nothing is forwarded by default: only the rule that finds the origin header forwards.
        serving_action = refuse if behind_cdn else forward
        if https:
            default_certificate, *more_certificates = certificate_arns
            serving = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=args.ssl_policy,
                certificate_arn=default_certificate,
                default_actions=[serving_action],
                tags=tagged(tags, f"{name}-https"),
                opts=child,
            )
            for i, certificate in enumerate(more_certificates, start=1):
                # Served by SNI beside the default certificate (CloudFront asks for the origin's name or the site's).
                aws.lb.ListenerCertificate(
                    f"{name}-https-certificate-{i}",
                    listener_arn=serving.arn,
                    certificate_arn=certificate,
                    opts=child,
                )
            if not behind_cdn:
                aws.lb.Listener(
                    f"{name}-http",
                    load_balancer_arn=self.load_balancer.arn,
                    port=80,
                    protocol="HTTP",
                    default_actions=[
                        {
                            "type": "redirect",
                            "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
                        }
                    ],
                    tags=tagged(tags, f"{name}-http"),
                    opts=child,
                )
        else:
            serving = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=[serving_action],
                tags=tagged(tags, f"{name}-http"),
                opts=child,
            )
        # The install wizard is never needed (the first boot installs with WP-CLI) and never reachable: refused
        # here before any other rule, whoever asks.
        aws.lb.ListenerRule(
            f"{name}-no-installer",
            listener_arn=serving.arn,
            priority=1,
            conditions=[{"path_pattern": {"values": list(INSTALLER_PATHS)}}],
            actions=[refuse],
            tags=tagged(tags, f"{name}-no-installer"),
            opts=child,
        )
        if self.origin_secret is not None:
            aws.lb.ListenerRule(
                f"{name}-from-cloudfront",
                listener_arn=serving.arn,
                priority=10,
                conditions=[{"http_header": {"http_header_name": ORIGIN_HEADER, "values": [self.origin_secret]}}],
                actions=[forward],
                tags=tagged(tags, f"{name}-from-cloudfront"),
                opts=child,
            )
        self.https = https
        self.internal = behind_cdn
        self.arn: pulumi.Output[str] = self.load_balancer.arn
        self.zone_id: pulumi.Output[str] = self.load_balancer.zone_id
        self.dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.target_group_arn: pulumi.Output[str] = self.target_group.arn
        # The label ALBRequestCountPerTarget scaling needs: app/<lb>/<id>/targetgroup/<tg>/<id>.
        self.request_count_label: pulumi.Output[str] = pulumi.Output.concat(
            self.load_balancer.arn_suffix, "/", self.target_group.arn_suffix
        )
        self.register_outputs({"dnsName": self.dns_name, "targetGroupArn": self.target_group_arn})

    def _access_log_bucket(
        self, name: str, args: LoadBalancerArgs, retention_days: int, tags: Mapping[str, str]
    ) -> PrivateBucket:
        """A private, TLS-only bucket for the load balancer's access logs.

        ALB log delivery supports only SSE-S3 (AES256) buckets, not KMS keys, so this is the one bucket of the stack
        not encrypted with the stack key.
        """
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws_context(self).account_id
        elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(parent=self))
        logs = PrivateBucket(
            f"{name}-alb-logs",
            key_arn=None,
            tags=tags,
            versioned=False,
            force_destroy=not args.protect,
            grants=lambda arn: pulumi.Output.all(arn, account_id, elb_account.arn).apply(
                lambda a: _log_delivery_statements(a[0], a[1], a[2])
            ),
            tls_statement_id="RefuseUnencryptedTransport",
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-alb-logs", bucket=logs.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-alb-logs",
            bucket=logs.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": retention_days},
                }
            ],
            opts=child,
        )
        return logs


def _log_delivery_statements(bucket_arn: str, account_id: str, elb_account_arn: str) -> list[dict[str, object]]:
    """ELB writes under alb/AWSLogs/<account>/: the regional ELB account (older regions) or the log-delivery service."""
    logs = f"{bucket_arn}/alb/AWSLogs/{account_id}/*"
    return [
        {
            "Sid": "ElbDeliversAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": elb_account_arn},
            "Action": "s3:PutObject",
            "Resource": logs,
        },
        {
            "Sid": "ElbLogDeliveryServiceDeliversAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": logs,
        },
    ]
