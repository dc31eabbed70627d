"""AdminPassword: the WordPress administrator's password, generated into Secrets Manager under the stack key.

The password is made by the random provider (a secret output: encrypted in the state, never shown), stored as the
secret's only version, and read at first boot by the install script through the instance role, straight from
Secrets Manager into WP-CLI's standard input. It never appears in user data, stack outputs or logs; the stack
exports the secret's ARN only (`wordpressAdminPasswordSecret`; docs/edge.md says how to read the password).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from aws_compute_platform.foundation.tags import tagged

# Printable characters that survive a shell, a JSON document and a login form without escaping trouble.
PASSWORD_SPECIALS = "!#%*+-.:=?@^_~"  # noqa: S105 (the characters allowed, not a password)
PASSWORD_LENGTH = 32


class AdminPassword(pulumi.ComponentResource):
    """A generated password kept in a Secrets Manager secret encrypted with `key_arn`; `secret_arn` names it."""

    def __init__(
        self,
        name: str,
        *,
        key_arn: pulumi.Input[str],
        protect: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:AdminPassword", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        password = random.RandomPassword(
            f"{name}-admin-password",
            length=PASSWORD_LENGTH,
            special=True,
            override_special=PASSWORD_SPECIALS,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            opts=child,
        )
        self.secret = aws.secretsmanager.Secret(
            f"{name}-admin-password",
            name_prefix=f"{name}-admin-password-",
            description="WordPress administrator password (generated; the first boot installs the site with it)",
            kms_key_id=key_arn,
            # Kept 30 days after deletion in a protected stack (the longest Secrets Manager allows); gone at once
            # otherwise, so a dev stack can be rebuilt under the same names.
            recovery_window_in_days=30 if protect else 0,
            tags=tagged(tags, f"{name}-admin-password"),
            opts=child,
        )
        self.version = aws.secretsmanager.SecretVersion(
            f"{name}-admin-password",
            secret_id=self.secret.id,
            secret_string=password.result,
            opts=child,
        )
        self.secret_arn: pulumi.Output[str] = self.secret.arn
        self.register_outputs({"secretArn": self.secret_arn})


__all__ = ["PASSWORD_LENGTH", "AdminPassword"]
