"""What the offline commands (`python -m plan`, `python -m costs`) print for a stack file with bad settings.

The program refuses bad settings before it creates anything (`SettingsError`, each problem a `ConfigError` naming
its key, what was wrong and what is allowed); a command prints those problems, not a traceback.
"""

from __future__ import annotations

from aws_compute_platform.config import ConfigError, SettingsError

BAD_SETTINGS = (SettingsError, ConfigError)


def problems_text(error: SettingsError | ConfigError, consequence: str = "nothing would be created") -> str:
    """Every problem of the stack file, one per line under a header that counts them and says what did not happen."""
    problems = error.problems if isinstance(error, SettingsError) else [error]
    header = f"The stack file has {len(problems)} problem(s); {consequence}:"
    return "\n".join([header, *(f"  - {p}" for p in problems)])
