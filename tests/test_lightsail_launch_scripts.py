"""Launch scripts a Lightsail instance can name: one shipped with the library, a file of the project, or inline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.lightsail.args import LightsailArgs, LightsailInstanceArgs
from aws_compute_platform.lightsail.launch_scripts import shipped_launch_script, shipped_launch_scripts
from aws_compute_platform.lightsail.launch_settings import MARKER, launch_script
from plan import Plan
from plan.engine import ROOT

LIGHTSAIL = "aws-compute-platform:lightsail"
BOOT = ROOT / "src" / "aws_compute_platform" / "lightsail" / "boot"
INSTANCE = "aws:lightsail/instance:Instance"


def instance(**script: Any) -> dict[str, Any]:
    return {"name": "blog", "blueprint": "ubuntu_24_04", "bundle": "nano_3_0", "ports": [{"port": 80}], **script}


def refused_keys(raw: dict[str, Any]) -> tuple[list[str], str]:
    """Where a stack-file instance is refused (the same keys when built in Python), and the first problem."""
    with pytest.raises(SettingsError) as from_config:
        LightsailArgs.from_config({"instances": [raw]})
    with pytest.raises(SettingsError) as built:
        LightsailArgs(instances=[raw])
    assert built.value.keys == from_config.value.keys
    return from_config.value.keys, from_config.value.problems[0].problem


def test_the_shipped_names_are_the_scripts_in_the_boot_folder() -> None:
    assert shipped_launch_scripts() == sorted(p.stem for p in BOOT.glob("*.sh"))
    assert "wordpress" in shipped_launch_scripts()


def test_a_shipped_script_is_read_from_the_package_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program outside this repository (an installed wheel's user) gets the same script."""
    monkeypatch.chdir(tmp_path)
    spec = LightsailInstanceArgs(**instance(launch_script="wordpress"))
    assert spec.boot_script == (BOOT / "wordpress.sh").read_text(encoding="utf-8")
    assert spec.boot_script == shipped_launch_script("wordpress")
    assert spec.boot_script.startswith("#!/bin/bash\n")


def test_the_dev_stack_names_the_shipped_wordpress_script(dev_plan: Plan) -> None:
    """The shipped script as it is, except its settings marker, which holds the instance's firewall and site name."""
    (blog,) = dev_plan.of_type(INSTANCE)
    head, tail = shipped_launch_script("wordpress").split(MARKER)
    assert blog.inputs["userData"].startswith(head) and blog.inputs["userData"].endswith(tail)
    assert MARKER not in blog.inputs["userData"]


def test_every_shipped_script_holds_the_settings_marker_once() -> None:
    for name in shipped_launch_scripts():
        assert shipped_launch_script(name).count(MARKER) == 1, name


def test_a_script_of_the_users_own_is_used_exactly_as_given() -> None:
    own = "#!/bin/bash\n# @instance-settings@\necho ours\n"
    spec = LightsailInstanceArgs(**instance(user_data=own))
    assert launch_script(spec, "blog.example.org") == own


def test_an_unknown_launch_script_is_refused_listing_the_shipped_ones() -> None:
    keys, problem = refused_keys(instance(launchScript="joomla"))
    assert keys == [f"{LIGHTSAIL}.instances[0].launchScript"]
    for name in shipped_launch_scripts():
        assert name in problem
    with pytest.raises(KeyError):
        shipped_launch_script("joomla")


@pytest.mark.parametrize(
    "other",
    [{"userData": "#!/bin/bash\necho hi\n"}, {"userDataFile": "src/aws_compute_platform/lightsail/boot/wordpress.sh"}],
)
def test_a_shipped_script_and_another_launch_script_together_are_refused(other: dict[str, str]) -> None:
    keys, problem = refused_keys(instance(launchScript="wordpress", **other))
    assert keys == [f"{LIGHTSAIL}.instances[0].launchScript"]
    assert "only one of" in problem


def test_a_user_data_file_is_relative_to_the_programs_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "boot.sh").write_text("#!/bin/bash\necho ours\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    spec = LightsailInstanceArgs(**instance(user_data_file="scripts/boot.sh"))
    assert spec.boot_script == "#!/bin/bash\necho ours\n"
    # The library's own script is not a file of this program.
    keys, problem = refused_keys(instance(userDataFile="src/aws_compute_platform/lightsail/boot/wordpress.sh"))
    assert keys == [f"{LIGHTSAIL}.instances[0].userDataFile"]
    assert "names no file" in problem


def test_a_launch_script_file_must_be_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "boot.bin").write_bytes(b"\xff\xfe\x00binary")
    monkeypatch.chdir(tmp_path)
    keys, problem = refused_keys(instance(userDataFile="boot.bin"))
    assert keys == [f"{LIGHTSAIL}.instances[0].userDataFile"]
    assert "UTF-8" in problem


def test_inline_user_data_is_used_as_given_and_no_script_means_none() -> None:
    assert LightsailInstanceArgs(**instance(user_data="#!/bin/bash\ntrue\n")).boot_script == "#!/bin/bash\ntrue\n"
    assert LightsailInstanceArgs(**instance()).boot_script is None
    # An empty value is no value: the stack file may leave a key blank.
    assert LightsailInstanceArgs.from_config(instance(launchScript="")).boot_script is None
