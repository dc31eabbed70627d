"""aws-compute-platform: Pulumi components for every way of running software on AWS.

    from aws_compute_platform import ExistingNetwork, WordPressArgs, WordPressFleet

Each component takes typed Args (validated when built: a bad value raises `SettingsError` naming its key), a
network (`ExistingNetwork` from ids, or the platform's `Network`), a KMS key ARN and tags as a mapping. The names
below are imported on first use, so importing the package (as the Lambda handlers' tests do) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ArgsModel": "aws_compute_platform.args",
    "ConfigError": "aws_compute_platform.config",
    "SettingsError": "aws_compute_platform.config",
    "Domain": "aws_compute_platform.foundation.domain",
    "EncryptionArgs": "aws_compute_platform.foundation.encryption",
    "EncryptionKey": "aws_compute_platform.foundation.encryption",
    "ExistingNetwork": "aws_compute_platform.foundation.network",
    "Network": "aws_compute_platform.foundation.network",
    "NetworkArgs": "aws_compute_platform.foundation.network",
    "NetworkRef": "aws_compute_platform.foundation.network",
    "PrivateBucket": "aws_compute_platform.foundation.storage",
    "WordPressArgs": "aws_compute_platform.wordpress.args",
    "WordPressFleet": "aws_compute_platform.wordpress.fleet",
    "Server": "aws_compute_platform.servers.server",
    "ServerArgs": "aws_compute_platform.servers.args",
    "BeanstalkApp": "aws_compute_platform.beanstalk.payroll",
    "BeanstalkArgs": "aws_compute_platform.beanstalk.args",
    "ServerlessApi": "aws_compute_platform.serverless.api",
    "ServerlessApiArgs": "aws_compute_platform.serverless.args",
    "LightsailSite": "aws_compute_platform.lightsail.site",
    "LightsailArgs": "aws_compute_platform.lightsail.args",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aws_compute_platform' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
