"""The stack files' JSON Schema: generated from the settings models, committed, and true to both stack files."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aws_compute_platform.schema import render, stack_file_schema
from tests.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "stack.schema.json"
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))


@functools.cache
def validator() -> jsonschema.protocols.Validator:
    """The schema's validator, checked and built once per test process (a tenth of a second each time): it keeps
    no state between documents."""
    schema = stack_file_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


def stack_file(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(path.read_text())
    return loaded


def test_the_committed_schema_is_what_the_models_generate() -> None:
    assert SCHEMA_FILE.read_text() == render(), (
        "schema/stack.schema.json is stale: run `uv run python -m aws_compute_platform.schema schema/stack.schema.json`"
    )


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_validates_against_the_schema(path: Path) -> None:
    errors = [e.message for e in validator().iter_errors(stack_file(path))]
    assert errors == []


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_points_editors_at_the_schema(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=./schema/stack.schema.json"


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda c: c.update({"aws-compute-plattform:logRetentionDays": 14}), "a misspelt namespace"),
        (lambda c: c.update({"aws-compute-platform:logRetention": 14}), "a misspelt top-level key"),
        (lambda c: c["aws-compute-platform:network"].update({"azcount": 3}), "a misspelt nested key"),
        (lambda c: c["aws-compute-platform:network"].update({"azCount": 9}), "a value out of range"),
        (lambda c: c.update({"aws-compute-platform:logRetentionDays": 15}), "a value CloudWatch does not accept"),
    ],
)
def test_the_schema_refuses_what_the_program_refuses(mutate: Any, why: str) -> None:
    document = stack_file(ROOT / "Pulumi.dev.yaml")
    broken = copy.deepcopy(document)
    mutate(broken["config"])
    assert list(validator().iter_errors(broken)), why


def test_the_schema_describes_each_setting_for_the_editor() -> None:
    network = json.loads(render())["$defs"]["NetworkArgs"]["properties"]["azCount"]
    assert network["minimum"] == 1 and network["maximum"] == 6 and network["description"]
