"""Instance types: known families are accepted with their architecture; anything else is refused by key."""

from __future__ import annotations

import pytest

from aws_compute_platform.config import Problems, Section
from aws_compute_platform.foundation.instance_types import architecture, category, instance_type


@pytest.mark.parametrize(
    ("name", "kind", "arch"),
    [
        ("t4g.small", "general purpose", "arm64"),
        ("t3.micro", "general purpose", "x86_64"),
        ("c7gn.large", "compute optimised", "arm64"),
        ("r6i.2xlarge", "memory optimised", "x86_64"),
        ("g5.xlarge", "accelerated computing", "x86_64"),
        ("i4i.large", "storage optimised", "x86_64"),
    ],
)
def test_known_types_have_a_category_and_an_architecture(name: str, kind: str, arch: str) -> None:
    assert category(name) == kind
    assert architecture(name) == arch


@pytest.mark.parametrize("bad", ["t9.micro", "t3.enormous", "t3", "banana"])
def test_unknown_types_are_refused_with_the_key_named(bad: str) -> None:
    problems = Problems()
    instance_type(Section("aws-compute-platform:wordpress", {"instanceType": bad}, problems), "instanceType")
    assert [p.key for p in problems.found] == ["aws-compute-platform:wordpress.instanceType"]
    assert "general purpose" in problems.found[0].problem
