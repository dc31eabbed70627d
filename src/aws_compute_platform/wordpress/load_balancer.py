"""LoadBalancer: the internet-facing Application Load Balancer in every public subnet, listeners, target group."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.wordpress.args import LoadBalancerArgs
from aws_compute_platform.wordpress.connections import Connections, security_group

# A PHP page that checks php-fpm and the shared content, never the database (boot/healthz.php).
HEALTH_FILE = "healthz.php"
WEB_PORT = 80


class LoadBalancer(pulumi.ComponentResource):
    """Accepts 80 and 443 from anywhere; forwards to the instances' target group, or redirects HTTP to HTTPS.

    With a certificate, port 443 terminates TLS with `args.ssl_policy` and port 80 answers with a 301 to HTTPS;
    without one, port 80 serves the site. Access logs, when on, go to a private, TLS-only bucket of their own.
    """

    def __init__(
        self,
        name: str,
        args: LoadBalancerArgs,
        *,
        certificate_arn: str | None,
        log_retention_days: int,
        network: NetworkRef,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = security_group(
            name,
            "alb-sg",
            "WordPress load balancer: HTTP and HTTPS from the internet",
            vpc_id=network.vpc_id,
            tags=tags,
            parent=self,
        )
        self.connections = Connections(name, "alb", self.security_group, port=None, tags=tags, parent=self)
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
            internal=False,
            subnets=list(network.public_subnet_ids),
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
        if certificate_arn:
            aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=args.ssl_policy,
                certificate_arn=certificate_arn,
                default_actions=[forward],
                tags=tagged(tags, f"{name}-https"),
                opts=child,
            )
            http_action: dict[str, object] = {
                "type": "redirect",
                "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
            }
        else:
            http_action = forward
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[http_action],
            tags=tagged(tags, f"{name}-http"),
            opts=child,
        )
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
