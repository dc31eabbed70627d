"""The library installs as a wheel: a team can `pip install` it and use one component in its own program.

These tests build the wheel and install it into a fresh virtual environment: the default run leaves them out, and
`uv run pytest -m packaging -n 0` runs them (CI's own step; in one process the three share one wheel and one venv).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
UV = os.environ.get("UV") or shutil.which("uv") or "uv"

# The application code each component deploys, which must travel inside the wheel.
PACKAGE_DATA = (
    "aws_compute_platform/wordpress/boot/boot.sh",
    "aws_compute_platform/beanstalk/app/application.py",
    "aws_compute_platform/beanstalk/app/.platform/nginx/conf.d/payroll.conf",
    "aws_compute_platform/serverless/app/orders_api/handlers.py",
    "aws_compute_platform/lightsail/boot/wordpress.sh",
    "aws_compute_platform/py.typed",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([UV, "build", "--wheel", "--out-dir", str(out), str(ROOT)], check=True, capture_output=True)
    [built] = out.glob("aws_compute_platform-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the wheel (and its dependencies) installed: its python."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([UV, "venv", "--python", sys.executable, str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run([UV, "pip", "install", "--python", str(python), str(wheel)], check=True, capture_output=True)
    return python


def test_the_wheel_carries_the_library_and_its_application_code_but_not_the_tools(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(PACKAGE_DATA) <= names
    top_level = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == {"aws_compute_platform"}


def test_the_installed_wheel_imports_and_finds_its_application_code(installed: Path, tmp_path: Path) -> None:
    script = (
        "import importlib.resources as r, aws_compute_platform as acp\n"
        "print(acp.__file__)\n"
        "print(r.files('aws_compute_platform.wordpress').joinpath('boot/boot.sh').is_file())\n"
    )
    # Run outside the checkout, so nothing but the installed wheel can be imported.
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True)
    location, has_boot_script = done.stdout.split()
    assert Path(location).is_relative_to(installed.parent.parent)
    assert has_boot_script == "True"


def test_an_example_program_builds_against_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    # The offline engine is a tool of this repository, not of the library: it comes from the checkout, the
    # library only from the wheel (the checkout's src/ is not on the path).
    script = (
        "import contextlib, io, json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import aws_compute_platform\n"
        "from plan import run_stack\n"
        "from pathlib import Path\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        f"    plan = run_stack('dev', root=Path({str(ROOT / 'examples' / 'orders-api')!r}))\n"
        "print(json.dumps({'library': aws_compute_platform.__file__, 'functions': "
        "len(plan.of_type('aws:lambda/function:Function'))}))\n"
    )
    done = subprocess.run([str(installed), "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["library"]).is_relative_to(installed.parent.parent)
    assert result["functions"] == 7
