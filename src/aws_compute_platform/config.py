"""Reading structured stack configuration: every problem is recorded under its full key, none stops the reading.

A `Section` wraps one config object (a mapping read from a stack file). Each accessor returns a usable value
(the default when the given one is wrong) and records what was wrong, so that one run reports every bad key
at once. `Section.finish()` reports the keys nobody asked for: a typo must not fall back to a default silently.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi

T = TypeVar("T")

_MISSING: Any = object()


class ConfigError(pulumi.RunError, ValueError):
    """One bad configuration value: which key, what was wrong, what is allowed."""

    def __init__(self, key: str, problem: str, value: Any = _MISSING) -> None:
        self.key = key
        self.problem = problem
        self.value = value
        shown = "" if value is _MISSING else f" (got {value!r})"
        super().__init__(f"{key}: {problem}{shown}")


class SettingsError(pulumi.RunError, ValueError):
    """Every problem found in a stack's configuration, reported together before anything is created."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the stack configuration has {len(problems)} problem(s):\n{lines}")

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.problems]


@dataclass
class Problems:
    """The shared list of problems that every section of one stack reports into."""

    found: list[ConfigError] = field(default_factory=list)

    def add(self, key: str, problem: str, value: Any = _MISSING) -> None:
        self.found.append(ConfigError(key, problem, value))

    def raise_if_any(self) -> None:
        if self.found:
            raise SettingsError(list(self.found))


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number"}.get(
        type(value), type(value).__name__
    )


class Section:
    """One config object, read key by key.

    `path` is how its keys are named in errors: `aws-compute-platform:wordpress` names `...:wordpress.minSize`.
    """

    def __init__(self, path: str, raw: Any, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self._read: set[str] = set()
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            problems.add(path, f"must be an object, not {_type_name(raw)}", raw)
            raw = {}
        self.raw: Mapping[str, Any] = raw

    # -- plumbing -----------------------------------------------------------------------------------------------
    def key(self, name: str) -> str:
        return f"{self.path}{name}" if self.path.endswith(":") else f"{self.path}.{name}"

    def error(self, name: str, problem: str, value: Any = _MISSING) -> None:
        self.problems.add(self.key(name), problem, value)

    def has(self, name: str) -> bool:
        return name in self.raw

    def _get(self, name: str, default: Any, required: bool) -> Any:
        self._read.add(name)
        if name not in self.raw or self.raw[name] is None:
            if required:
                self.error(name, "is required")
            return _MISSING
        return self.raw[name]

    def finish(self) -> None:
        """Report keys that are not part of this section's shape."""
        for name in self.raw:
            if name not in self._read:
                known = ", ".join(sorted(self._read)) or "none"
                self.error(name, f"is not a known setting (known: {known})")

    # -- scalars --------------------------------------------------------------------------------------------------
    def text(
        self,
        name: str,
        default: str | None = None,
        *,
        required: bool = False,
        choices: Iterable[str] | None = None,
        pattern: str | None = None,
        pattern_help: str = "",
    ) -> str:
        value = self._get(name, default, required)
        if value is _MISSING:
            return default if default is not None else ""
        if not isinstance(value, str):
            self.error(name, f"must be a string, not {_type_name(value)}", value)
            return default or ""
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                self.error(name, f"must be one of: {', '.join(allowed)}", value)
                return default if default is not None else ""
        if pattern is not None and not re.fullmatch(pattern, value):
            self.error(name, f"must be {pattern_help or 'of the form ' + pattern}", value)
            return default if default is not None else ""
        return value

    def secret_text(self, name: str, *, required: bool = False) -> pulumi.Output[str] | None:
        """A secret value: handed on only as a secret Output, so it stays encrypted in state and hidden in logs."""
        value = self._get(name, None, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not value:
            self.error(name, "must be a non-empty string (set it with `pulumi config set --secret --path`)")
            return None
        return pulumi.Output.secret(value)

    def optional_text(self, name: str, **kwargs: Any) -> str | None:
        if name not in self.raw or self.raw[name] in (None, ""):
            self._read.add(name)
            return None
        return self.text(name, **kwargs)

    def integer(
        self, name: str, default: int = 0, *, required: bool = False, min: int | None = None, max: int | None = None
    ) -> int:
        value = self._get(name, default, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, f"must be a whole number, not {_type_name(value)}", value)
            return default
        if (min is not None and value < min) or (max is not None and value > max):
            low = "" if min is None else f"at least {min}"
            high = "" if max is None else f"at most {max}"
            self.error(name, f"must be {' and '.join(p for p in (low, high) if p)}", value)
            return default
        return value

    def one_of(self, name: str, default: int, allowed: Iterable[int]) -> int:
        values = list(allowed)
        value = self.integer(name, default)
        if value not in values:
            self.error(name, f"must be one of: {', '.join(map(str, values))}", value)
            return default
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._get(name, default, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.error(name, "must be true or false", value)
            return default
        return value

    # -- structured -----------------------------------------------------------------------------------------------
    def section(self, name: str, *, required: bool = False) -> Section:
        value = self._get(name, None, required)
        return Section(self.key(name), None if value is _MISSING else value, self.problems)

    def sections(self, name: str) -> list[Section]:
        value = self._get(name, None, False)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.error(name, f"must be a list, not {_type_name(value)}", value)
            return []
        return [Section(f"{self.key(name)}[{i}]", item, self.problems) for i, item in enumerate(value)]

    def mapping_of_sections(self, name: str) -> dict[str, Section]:
        value = self._get(name, None, False)
        if value is _MISSING:
            return {}
        if not isinstance(value, Mapping):
            self.error(name, f"must be an object, not {_type_name(value)}", value)
            return {}
        return {k: Section(f"{self.key(name)}.{k}", v, self.problems) for k, v in value.items()}

    def items(self, name: str, item: Callable[[str, Any], T | None], default: list[T] | None = None) -> list[T]:
        """A list whose items are each checked by `item(key, value)`, which reports and returns None when bad."""
        value = self._get(name, default, False)
        if value is _MISSING:
            return list(default or [])
        if not isinstance(value, list):
            self.error(name, f"must be a list, not {_type_name(value)}", value)
            return list(default or [])
        checked = [item(f"{self.key(name)}[{i}]", v) for i, v in enumerate(value)]
        return [c for c in checked if c is not None]

    def text_list(self, name: str, default: list[str] | None = None) -> list[str]:
        def item(key: str, value: Any) -> str | None:
            if isinstance(value, str) and value:
                return value
            self.problems.add(key, "must be a non-empty string", value)
            return None

        return self.items(name, item, default)

    def cidr_list(self, name: str, default: list[str] | None = None, *, allow_world: bool = True) -> list[str]:
        """A list of IPv4/IPv6 CIDR blocks, normalised; `allow_world=False` refuses 0.0.0.0/0 and ::/0."""

        def item(key: str, value: Any) -> str | None:
            return check_cidr(self.problems, key, value, allow_world=allow_world)

        return self.items(name, item, default)


def check_cidr(problems: Problems, key: str, value: Any, *, allow_world: bool = True) -> str | None:
    """A CIDR block in canonical form, or None after reporting why it is not one."""
    if not isinstance(value, str):
        problems.add(key, "must be a CIDR block such as 203.0.113.0/24", value)
        return None
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        problems.add(key, f"is not a valid CIDR block ({exc})", value)
        return None
    if not allow_world and network.prefixlen == 0:
        problems.add(key, "must not open access to the whole internet; name the admin networks instead", value)
        return None
    return str(network)


def is_ipv6(cidr: str) -> bool:
    return ipaddress.ip_network(cidr).version == 6
