"""The shipped WordPress launch script, run in pieces: the firewall it raises before anything else, and HTTPS with a
Let's Encrypt certificate when the stack has a domain (plain HTTP, as documented, when it has none)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aws_compute_platform.lightsail.args import LightsailInstanceArgs
from aws_compute_platform.lightsail.launch_settings import launch_script

SSH_V4 = "203.0.113.0/24"
SSH_V6 = "2001:db8::/32"


def blog(**overrides: Any) -> LightsailInstanceArgs:
    raw: dict[str, Any] = {
        "name": "blog",
        "blueprint": "ubuntu_24_04",
        "bundle": "nano_3_0",
        "launch_script": "wordpress",
        "ports": [{"port": 22, "cidrs": [SSH_V4, SSH_V6]}, {"port": 80}, {"port": 443}],
    }
    return LightsailInstanceArgs(**(raw | overrides))


def function(script: str, name: str) -> str:
    """A bash function's definition, as the script declares it."""
    start = script.index(f"\n{name}() {{\n") + 1
    return script[start : script.index("\n}\n", start) + 3]


def fake_bin(tmp_path: Path, **commands: str) -> Path:
    """A directory of stand-in commands, each a small bash script."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in commands.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def run(harness: str, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + harness],
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env},
        check=False,
    )


# -- the firewall ---------------------------------------------------------------------------------------------------

LOGGING = 'echo "$(basename "$0") $*" >>"$CALLS"'


def firewall_calls(tmp_path: Path, spec: LightsailInstanceArgs) -> list[str]:
    script = launch_script(spec) or ""
    bin_dir = fake_bin(tmp_path, ufw=LOGGING, **{"apt-get": LOGGING})
    calls = tmp_path / "calls"
    result = run(function(script, "firewall") + "firewall\n", bin_dir, CALLS=str(calls))
    assert result.returncode == 0, result.stderr
    return calls.read_text().splitlines()


def test_the_firewall_lets_in_only_the_ssh_networks_of_both_families_and_the_web_ports(tmp_path: Path) -> None:
    assert firewall_calls(tmp_path, blog()) == [
        "ufw default deny incoming",
        "ufw default allow outgoing",
        f"ufw allow proto tcp from {SSH_V4} to any port 22",
        f"ufw allow proto tcp from {SSH_V6} to any port 22",
        "ufw allow proto tcp from any to any port 80",
        "ufw allow proto tcp from any to any port 443",
        "ufw --force enable",
    ]


def test_an_ipv4_instance_firewall_names_only_ipv4_networks(tmp_path: Path) -> None:
    spec = blog(
        ip_address_type="ipv4",
        ports=[{"port": 22, "cidrs": [SSH_V4]}, {"port": 8000, "to_port": 8010, "protocol": "udp", "cidrs": [SSH_V4]}],
    )
    calls = firewall_calls(tmp_path, spec)
    assert calls[:2] == ["ufw default deny incoming", "ufw default allow outgoing"]
    assert calls[2:] == [
        f"ufw allow proto tcp from {SSH_V4} to any port 22",
        f"ufw allow proto udp from {SSH_V4} to any port 8000:8010",
        "ufw --force enable",
    ]
    assert not [c for c in calls if ":" in c.split(" from ")[-1].split(" to ")[0]]  # no IPv6 source


def test_ssh_is_never_let_in_from_everyone(tmp_path: Path) -> None:
    for call in firewall_calls(tmp_path, blog()):
        if call.endswith("port 22"):
            assert " from any " not in call


def test_ufw_is_installed_first_when_the_image_lacks_it(tmp_path: Path) -> None:
    script = launch_script(blog()) or ""
    bin_dir = fake_bin(
        tmp_path, **{"apt-get": LOGGING + '\nif [[ $* == *install* ]]; then ln -s "$UFW" "$BIN/ufw"; fi'}
    )
    (tmp_path / "later").mkdir()
    real_ufw = fake_bin(tmp_path / "later", ufw=LOGGING) / "ufw"  # appears only once apt-get installs it
    calls = tmp_path / "calls"
    env = {"CALLS": str(calls), "UFW": str(real_ufw), "BIN": str(bin_dir)}
    result = run(function(script, "firewall") + "firewall\n", bin_dir, **env)
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("apt-get ") and "update" in lines[0]
    assert "install -y --no-install-recommends ufw" in lines[1]
    assert lines[2] == "ufw default deny incoming" and lines[-1] == "ufw --force enable"


def test_the_firewall_is_raised_before_anything_else_the_script_does() -> None:
    """Between `set -euo pipefail` and the `firewall` call there are only comments, constants and definitions."""
    script = launch_script(blog()) or ""
    body = script[script.index("set -euo pipefail\n") + len("set -euo pipefail\n") : script.index("\nfirewall\n")]
    definitions = set()
    depth = 0
    for line in body.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped and not stripped.startswith("#"):
            assert re.match(r"(readonly [A-Z_]+=|export [A-Z_]+=|[a-z_]+\(\) \{$)", stripped), stripped
            if stripped.endswith("{"):
                definitions.add(stripped.split("(")[0])
        depth += stripped.endswith("{") - (stripped == "}")
    assert definitions == {"firewall", "apt_get"}
    call = script.index("\nfirewall\n")
    for later in ("apt_get update", "curl ", "tar -xzf", "systemctl ", "a2ensite"):
        assert script.index(later) > call, later


# -- HTTPS with a domain --------------------------------------------------------------------------------------------

FAKE_CERTBOT = """echo "certbot $*" >>"$CALLS"
count=$(($(cat "$COUNT" 2>/dev/null || echo 0) + 1))
echo "$count" >"$COUNT"
[[ $count -gt $FAILURES ]]"""


def https_run(tmp_path: Path, failures: int) -> tuple[subprocess.CompletedProcess[str], Path]:
    script = launch_script(blog(), "blog.example.org") or ""
    sites = tmp_path / "sites"
    sites.mkdir()
    bin_dir = fake_bin(tmp_path, certbot=FAKE_CERTBOT, sleep="true")
    harness = "\n".join(
        [
            "readonly SITE_NAME=blog.example.org",
            f"readonly APACHE_SITES={sites}",
            f"readonly ACME_ROOT={tmp_path / 'acme'}",
            "readonly CERTIFICATES=/etc/letsencrypt/live",
            function(script, "site_directories"),
            function(script, "serve_over_https"),
            function(script, "obtain_certificate"),
            "serve_over_https",
            "obtain_certificate",
        ]
    )
    env = {"CALLS": str(tmp_path / "calls"), "COUNT": str(tmp_path / "count"), "FAILURES": str(failures)}
    return run(harness, bin_dir, **env), sites


def test_with_a_domain_port_80_only_answers_the_challenge_and_redirects_to_https(tmp_path: Path) -> None:
    result, sites = https_run(tmp_path, failures=0)
    assert result.returncode == 0, result.stderr
    http = (sites / "wordpress.conf").read_text()
    assert "<VirtualHost *:80>" in http and "ServerName blog.example.org" in http
    assert f"DocumentRoot {tmp_path / 'acme'}" in http
    assert "RewriteRule ^ https://blog.example.org%{REQUEST_URI} [R=301,L]" in http
    # Neither WordPress nor its setup pages are served over HTTP.
    assert "/var/www/wordpress" not in http and "setup-config" not in http


def test_with_a_domain_wordpress_and_its_setup_login_are_served_only_over_https(tmp_path: Path) -> None:
    result, sites = https_run(tmp_path, failures=0)
    assert result.returncode == 0, result.stderr
    https = (sites / "wordpress-https.conf").read_text()
    assert https.startswith("<VirtualHost *:443>\n") and https.rstrip().endswith("</VirtualHost>")
    for line in (
        "SSLEngine on",
        "SSLCertificateFile /etc/letsencrypt/live/blog.example.org/fullchain.pem",
        "SSLCertificateKeyFile /etc/letsencrypt/live/blog.example.org/privkey.pem",
        "DocumentRoot /var/www/wordpress",
        'FilesMatch "^(setup-config|install)\\.php$"',
        "Require valid-user",
        "ErrorLog ${APACHE_LOG_DIR}/wordpress-error.log",
    ):
        assert line in https, line


def test_the_certificate_is_asked_for_until_the_name_points_here(tmp_path: Path) -> None:
    result, _ = https_run(tmp_path, failures=3)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 4
    assert result.stderr.count("no certificate for blog.example.org yet") == 3
    for call in calls:
        assert call.startswith("certbot certonly --webroot --webroot-path ")
        assert "--domain blog.example.org" in call and "--non-interactive" in call
        assert "--deploy-hook systemctl reload apache2" in call


def test_without_a_certificate_the_script_stops_and_says_what_to_run(tmp_path: Path) -> None:
    result, _ = https_run(tmp_path, failures=1000)
    assert result.returncode == 1
    assert len((tmp_path / "calls").read_text().splitlines()) == 40
    assert "sudo certbot certonly --webroot" in result.stderr and "a2ensite wordpress-https" in result.stderr


def test_the_https_site_is_enabled_only_after_the_certificate_exists() -> None:
    script = launch_script(blog(), "blog.example.org") or ""
    main = script[script.rindex("\na2enmod rewrite\n") :]
    assert main.index("obtain_certificate") < main.index("a2ensite wordpress-https")
    assert "readonly SITE_NAME=blog.example.org\n" in script
    assert "apt_get install -y --no-install-recommends certbot" in script


def test_without_a_domain_wordpress_is_served_over_plain_http(tmp_path: Path) -> None:
    """The documented exposure (docs/lightsail.md, "HTTPS"): the setup login crosses the network in clear."""
    script = launch_script(blog(), None) or ""
    assert "readonly SITE_NAME=''\n" in script
    sites = tmp_path / "sites"
    sites.mkdir()
    harness = "\n".join(
        [
            f"readonly APACHE_SITES={sites}",
            function(script, "site_directories"),
            function(script, "serve_over_http"),
            "serve_over_http",
        ]
    )
    result = run(harness, fake_bin(tmp_path))
    assert result.returncode == 0, result.stderr
    http = (sites / "wordpress.conf").read_text()
    assert "<VirtualHost *:80>" in http and "DocumentRoot /var/www/wordpress" in http and "Require valid-user" in http
    assert not (sites / "wordpress-https.conf").exists()


@pytest.mark.parametrize("name", ["blog.example.org.", "bad name.example.org", "blog"])
def test_a_site_name_no_certificate_can_be_issued_for_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a DNS name"):
        launch_script(blog(), name)
