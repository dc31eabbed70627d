"""PayrollSignIn: the Cognito user pool payroll users sign in with, its app client, its hosted domain, and the secret
the web tier reads at run time (the client secret and the key that signs session cookies).

Elastic Beanstalk's own load balancer listeners and rules only forward to a process (`aws:elbv2:listenerrule` takes
HostHeaders, PathPatterns, Priority and Process: "General options for all environments"), so no `authenticate-cognito`
action can stand in front of the app. The app runs the OpenID Connect authorization-code flow against the pool itself
(beanstalk/app/signin.py, with Authlib): the pool is the identity provider and the app a confidential client.

- Only an administrator creates users (`AllowAdminCreateUserOnly`): nobody signs up (docs/signin.md).
- A second factor (an authenticator app, TOTP) is required or offered, as `mfa` says; a strong password policy.
- The client secret and the session key never appear in option settings, outputs or logs: they live in one SSM
  SecureString parameter encrypted with the stack key (free, unlike a Secrets Manager secret, and nothing here could
  rotate it: Cognito gives a client one secret for life), which only the web tier's role may read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from aws_compute_platform.foundation.tags import tagged

CALLBACK_PATH = "/auth/callback"
SIGNED_OUT_PATH = "/auth/signed-out"
# A prefix domain is `<prefix>.auth.<region>.amazoncognito.com`: 1-63 lowercase letters, digits and hyphens
# (CreateUserPoolDomain, Domain pattern ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$), unique in the region across all
# accounts, and without the reserved words aws, amazon or cognito.
_RESERVED = re.compile(r"aws|amazon|cognito")
PASSWORD_POLICY = {
    "minimum_length": 14,
    "require_lowercase": True,
    "require_uppercase": True,
    "require_numbers": True,
    "require_symbols": True,
    # An administrator's invitation password is good for one day.
    "temporary_password_validity_days": 1,
}
SESSION_KEY_LENGTH = 64


def hosted_prefix(name: str, account_id: str) -> str:
    """A Cognito prefix for `name`: its words less reserved ones, plus a hash of the account (prefixes are global)."""
    words = [w for w in re.split(r"[^a-z0-9]+", _RESERVED.sub("", name.lower())) if w]
    suffix = hashlib.sha256(f"{account_id}/{name}".encode()).hexdigest()[:8]
    return "-".join([*words, suffix])[-63:].lstrip("-")


class PayrollSignIn(pulumi.ComponentResource):
    """A user pool for `public_url` (the app's https://payroll.<domain>, or http://localhost for a stack without one).

    `issuer`, `client_id` and `secret_name` are what the app is told; `secret_arn` is what its role may read.
    """

    def __init__(
        self,
        name: str,
        *,
        public_url: str,
        mfa: Literal["required", "optional"],
        account_id: pulumi.Input[str],
        key_arn: pulumi.Input[str],
        protect: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:SignIn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.pool = aws.cognito.UserPool(
            f"{name}-users",
            name=f"{name}-users",
            # Users are people, named by their email address, which Cognito verifies: the results go to it.
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            admin_create_user_config={"allow_admin_create_user_only": True},
            mfa_configuration="ON" if mfa == "required" else "OPTIONAL",
            software_token_mfa_configuration={"enabled": True},
            password_policy=PASSWORD_POLICY,
            account_recovery_setting={"recovery_mechanisms": [{"name": "verified_email", "priority": 1}]},
            # Essentials: the managed login pages and the authorization-code flow, priced per monthly active user.
            user_pool_tier="ESSENTIALS",
            deletion_protection="ACTIVE" if protect else "INACTIVE",
            tags=tagged(tags, f"{name}-users"),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.client = aws.cognito.UserPoolClient(
            f"{name}-client",
            name=f"{name}-web",
            user_pool_id=self.pool.id,
            # A confidential client: the app exchanges the code for tokens with its secret.
            generate_secret=True,
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_flows=["code"],
            allowed_oauth_scopes=["openid", "email"],
            supported_identity_providers=["COGNITO"],
            callback_urls=[f"{public_url}{CALLBACK_PATH}"],
            default_redirect_uri=f"{public_url}{CALLBACK_PATH}",
            logout_urls=[f"{public_url}{SIGNED_OUT_PATH}"],
            # Only the hosted sign-in pages sign users in; the app never sees a password.
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            id_token_validity=1,
            access_token_validity=1,
            refresh_token_validity=1,
            token_validity_units={"id_token": "hours", "access_token": "hours", "refresh_token": "days"},
            opts=child,
        )
        self.domain = aws.cognito.UserPoolDomain(
            f"{name}-domain",
            domain=pulumi.Output.from_input(account_id).apply(lambda account: hosted_prefix(name, account)),
            user_pool_id=self.pool.id,
            opts=child,
        )
        # 64 random letters and digits, kept secret in the state like the client secret.
        session_key = random.RandomString(
            f"{name}-session-key",
            length=SESSION_KEY_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
        )
        self.secret = aws.ssm.Parameter(
            f"{name}-secret",
            name=f"/{name}/secret",
            description="Payroll sign-in: the Cognito app client's secret and the key that signs session cookies",
            type="SecureString",
            key_id=key_arn,
            # Both values are secret outputs (the provider marks clientSecret, random marks result), and so is this.
            value=pulumi.Output.json_dumps(
                {"clientSecret": self.client.client_secret, "sessionKey": session_key.result}
            ),
            tags=tagged(tags, f"{name}-secret"),
            opts=child,
        )
        self.issuer: pulumi.Output[str] = self.pool.endpoint.apply(lambda endpoint: f"https://{endpoint}")
        self.client_id: pulumi.Output[str] = self.client.id
        self.secret_arn: pulumi.Output[str] = self.secret.arn
        self.secret_name: pulumi.Output[str] = self.secret.name
        self.user_pool_id: pulumi.Output[str] = self.pool.id
        self.register_outputs({"userPoolId": self.user_pool_id, "issuer": self.issuer, "clientId": self.client_id})
