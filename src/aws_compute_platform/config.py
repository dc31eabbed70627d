"""The errors bad settings raise: each names its full config key, what was wrong and what is allowed.

Both are `pulumi.RunError`s, so `pulumi up` shows the message alone, without a traceback. `args.py` turns
validation errors into them; `settings.py` collects every problem of a stack file into one `SettingsError`.
"""

from __future__ import annotations

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
