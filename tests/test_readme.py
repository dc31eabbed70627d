"""The README is a newcomer's page that stays true: short, its links and commands real, its placeholders complete,
and the pages it sends readers to generated from the code where they can be."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

from plan import Plan
from plan.engine import ROOT
from plan.reference import PAGE, block, current_block, rows
from tests.yaml_loader import load_yaml

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINE_BUDGET = 400

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """The page without its fenced code blocks (a `#` there is a comment, a `[x](y)` there is code)."""
    kept, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            kept.append(line)
    return "\n".join(kept)


def anchors(page: Path) -> set[str]:
    """The fragment ids GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    found: set[str] = set()
    for line in _prose(page.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower().replace("`", "")).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in _LINK.findall(_prose(page.read_text(encoding="utf-8")))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # https:, mailto:, ...
    ]


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def test_the_readme_fits_the_line_budget_of_a_newcomers_page() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= LINE_BUDGET, f"README.md has {lines} lines; move detail to docs/ (budget {LINE_BUDGET})"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_to_a_file_and_an_existing_heading(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path_part, _, fragment = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_every_docs_page() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in relative_links(README) if t.startswith("docs/")}
    pages = {p.resolve() for p in (ROOT / "docs").glob("*.md")}
    assert sorted(p.name for p in pages - linked) == []


def test_every_command_the_readme_shows_exists() -> None:
    text = README.read_text(encoding="utf-8")
    modules = set(re.findall(r"uv run python -m ([\w.]+)", text))
    scripts = set(re.findall(r"uv run python ((?:[\w.-]+/)+[\w.-]+\.py)", text))
    assert {"plan", "plan.regenerate", "costs", "bootstrap"} <= modules
    missing = [m for m in sorted(modules) if importlib.util.find_spec(m) is None]
    missing += [s for s in sorted(scripts) if not (ROOT / s).is_file()]
    assert missing == []


def test_the_readme_puts_the_offline_plan_right_after_the_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    test_command = text.index("uv run pytest")
    assert text.index("uv sync") < test_command < text.index("uv run python -m plan --stack dev")
    between = text[test_command : text.index("uv run python -m plan --stack dev")]
    assert "\n## " not in between, "the offline plan belongs in the set-up section, after the tests"


def _placeholder_keys(node: Any, path: str = "") -> set[str]:
    """Leaf keys whose value is one of the stand-ins the shipped stack files use for the user's own values."""
    stand_ins = re.compile(r"example\.(com|org)|203\.0\.113\.|localhost|^cc-1234$|^platform-team$")
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found |= _placeholder_keys(value, str(key).rsplit(":", 1)[-1])
    elif isinstance(node, list):
        for item in node:
            found |= _placeholder_keys(item, path)
    elif isinstance(node, str) and stand_ins.search(node):
        found.add(path)
    return found


@pytest.mark.parametrize("stack_file", sorted(ROOT.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_edit_these_first_names_every_placeholder_of_the_stack_files(stack_file: Path) -> None:
    table = section(README.read_text(encoding="utf-8"), "Edit these first")
    document = load_yaml(stack_file.read_text(encoding="utf-8"))
    keys = _placeholder_keys(document["config"]) | {"secretsprovider"} & set(document)
    if "aws-compute-platform:permissionsBoundary" in document["config"]:
        keys.add("permissionsBoundary")
    assert keys, "the shipped stack files hold placeholders; this test must find them"
    missing = [k for k in sorted(keys) if not re.search(rf"`[\w.\[\]]*\b{re.escape(k)}\b", table)]
    assert missing == [], f"placeholders of {stack_file.name} the README's 'Edit these first' does not name"


def test_the_readme_says_to_regenerate_after_editing_a_stack_file() -> None:
    table = section(README.read_text(encoding="utf-8"), "Edit these first")
    assert "uv run python -m plan.regenerate" in table


def test_the_configuration_reference_is_what_the_settings_models_generate() -> None:
    assert current_block(PAGE.read_text(encoding="utf-8")) == block(), (
        "docs/configuration.md is stale: run `uv run python -m plan.regenerate`"
    )


def test_the_configuration_reference_shows_type_default_and_allowed_values_of_each_key() -> None:
    table = {key: (type_, default, allowed, text) for key, type_, default, allowed, text in rows()}
    assert table["network.natGateways"][1:3] == ("`single`", "`none`, `single`, `perAz`")
    assert table["wordpress.database.backupRetentionDays"][2] == "1-35"
    assert table["servers[].name"][1] == "required"
    assert table["servers[].ports[].port"][0] == "integer"
    described = [key for key, (_, _, _, text) in table.items() if not text]
    assert described == [], "keys without an attribute docstring in their model"


def test_the_outputs_documented_are_exactly_those_the_program_can_export(stack_plan: Plan) -> None:
    outputs = section(PAGE.read_text(encoding="utf-8"), "Outputs")
    documented = {name for pair in re.findall(r"^\| `(\w+)`(?:, `(\w+)`)?", outputs, flags=re.M) for name in pair}
    documented.discard("")
    exportable = set(re.findall(r'pulumi\.export\("(\w+)"', (ROOT / "__main__.py").read_text(encoding="utf-8")))
    assert documented == exportable
    assert set(stack_plan.outputs) <= documented
