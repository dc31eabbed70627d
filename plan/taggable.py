"""Which AWS resource types accept tags, read from the pulumi-aws SDK itself rather than kept by hand."""

from __future__ import annotations

import functools
import importlib
import inspect


@functools.cache
def accepts_tags(token: str) -> bool:
    """Whether the resource type `aws:<module>/<name>:<Class>` takes a `tags` map (an ASG takes a `tags` list)."""
    if not token.startswith("aws:"):
        return False
    module_part, class_name = token.split(":")[1:3]
    module = module_part.split("/")[0]
    python_module = {"index": "pulumi_aws", "lambda": "pulumi_aws.lambda_"}.get(module, f"pulumi_aws.{module}")
    cls = getattr(importlib.import_module(python_module), class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters
