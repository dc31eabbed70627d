"""The AWSTOE component documents the pipeline bakes with, kept as YAML files beside this module (package data).

Each document is one Image Builder component: `wordpress-web` installs what the WordPress boot script installs on a
stock image; `hardening` runs last and leaves an image fit to offer to others. A document's text decides its
component's name (a digest of it), so a changed document becomes a new component version and a new recipe.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

import yaml

WORDPRESS_WEB = "wordpress-web"
HARDENING = "hardening"
# In recipe order: hardening last, so it also cleans up after the components before it.
DOCUMENTS = (WORDPRESS_WEB, HARDENING)


@cache
def text(name: str) -> str:
    """The document `components/<name>.yaml` as Image Builder receives it."""
    return resources.files(__package__).joinpath(f"components/{name}.yaml").read_text(encoding="utf-8")


def parsed(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(text(name))
    return document


def digest(*parts: str) -> str:
    """Eight hex digits that change whenever any part changes: names resources that Image Builder never updates."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:8]


__all__ = ["DOCUMENTS", "HARDENING", "WORDPRESS_WEB", "digest", "parsed", "text"]
