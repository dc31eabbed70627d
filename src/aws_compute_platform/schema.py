"""A JSON Schema of the stack files (`Pulumi.<stack>.yaml`), generated from the same models the program reads.

Editors with the YAML language server validate and complete a stack file that starts with
`# yaml-language-server: $schema=./schema/stack.schema.json`. The schema knows every `aws-compute-platform:` key
with its type, bounds, choices and description, and refuses keys in namespaces the program does not read.

`python -m aws_compute_platform.schema PATH` writes it; the test suite fails when the committed copy is stale.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aws_compute_platform.args import PROJECT
from aws_compute_platform.settings import KNOWN_NAMESPACES, StackSettings

SCHEMA_ID = "https://github.com/aws-compute-platform/schema/stack.schema.json"

# A secret set with `pulumi config set --secret` is stored as {secure: <ciphertext>} in place of its value.
_SECURE = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
}


def stack_file_schema() -> dict[str, Any]:
    """The schema of a whole stack file: its `config` object and the keys Pulumi itself writes beside it."""
    settings = StackSettings.model_json_schema(by_alias=True, mode="validation")
    definitions = settings.pop("$defs", {})
    config_properties: dict[str, Any] = {
        f"{PROJECT}:{key}": {"anyOf": [value, _SECURE]} if value.get("type") == "string" else value
        for key, value in settings["properties"].items()
    }
    config_properties["aws:region"] = {
        "type": "string",
        "pattern": r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
        "description": "The AWS region the stack deploys to, such as us-east-1.",
    }
    others = [ns for ns in KNOWN_NAMESPACES if ns != PROJECT]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"{PROJECT} stack file",
        "description": "Pulumi.<stack>.yaml of the aws-compute-platform program. Generated: do not edit by hand.",
        "type": "object",
        "properties": {
            "secretsprovider": {"type": "string", "description": "Where the stack's secrets are encrypted."},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "config": {
                "type": "object",
                "properties": config_properties,
                "required": [f"{PROJECT}:{key}" for key in settings.get("required", [])],
                # Other keys of the providers' and Pulumi's own namespaces; anything else is a typo.
                "patternProperties": {f"^({'|'.join(others)}):": {}},
                "additionalProperties": False,
            },
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": definitions,
    }


def render() -> str:
    return json.dumps(stack_file_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="where to write the schema, e.g. schema/stack.schema.json")
    args = parser.parse_args(argv)
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(render(), encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
