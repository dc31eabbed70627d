"""Launch scripts shipped with the library, in `lightsail/boot/`, named by their file name without `.sh`.

`launchScript: wordpress` names `lightsail/boot/wordpress.sh`. The script is read with `importlib.resources`, so
it is found in an installed wheel as well as in this repository, whatever the working directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

_PACKAGE = "aws_compute_platform.lightsail"
_FOLDER = "boot"
_SUFFIX = ".sh"


def _folder() -> Traversable:
    return resources.files(_PACKAGE) / _FOLDER


def shipped_launch_scripts() -> list[str]:
    """The names `launchScript` accepts: every `*.sh` in `lightsail/boot/`, without the suffix."""
    return sorted(
        entry.name.removesuffix(_SUFFIX)
        for entry in _folder().iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIX)
    )


def shipped_launch_script(name: str) -> str:
    """The text of a shipped launch script; `KeyError` for a name that is not one of `shipped_launch_scripts()`."""
    if name not in shipped_launch_scripts():
        raise KeyError(name)
    return (_folder() / f"{name}{_SUFFIX}").read_text(encoding="utf-8")


__all__ = ["shipped_launch_script", "shipped_launch_scripts"]
