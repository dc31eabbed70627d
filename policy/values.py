"""Reading resource properties as the policy engine hands them over, with values unknown during a preview."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class _Unknown:
    """A value that is only known once the resources it comes from exist."""

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN: Any = _Unknown()


def known(value: Any) -> bool:
    return not isinstance(value, _Unknown)


def is_set(value: Any) -> bool:
    """A value is set if the program gave one: a literal that is not empty, or one computed from another resource."""
    return not known(value) or value not in (None, "", [], {})


def true(value: Any) -> bool:
    """Booleans arrive as `True` or, in launch templates' block devices and Beanstalk settings, as `"true"`."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def items(value: Any) -> list[Any]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def to_int(value: Any, default: int) -> int:
    if isinstance(value, bool) or value is None or not known(value):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
