"""IAM policy documents, as JSON strings the provider takes."""

from __future__ import annotations

import json


def policy_document(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
