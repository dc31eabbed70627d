"""The instances' user data: a `#cloud-config` document that writes the files of `wordpress/boot/` and runs them."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from aws_compute_platform.wordpress.database import DATABASE_NAME
from aws_compute_platform.wordpress.load_balancer import HEALTH_FILE

APP_DIR = Path(__file__).resolve().parent / "boot"
LIFECYCLE_HOOK = "wordpress-ready"
# WP-CLI, pinned: the release's own wp-cli-2.12.0.phar.sha512 (github.com/wp-cli/wp-cli/releases/tag/v2.12.0), the
# same value the official WordPress image pins as WORDPRESS_CLI_SHA512 (docker-library/wordpress). Raise both together.
WP_CLI_VERSION = "2.12.0"
WP_CLI_SHA512 = (
    "be928f6b8ca1e8dfb9d2f4b75a13aa4aee0896f8a9a0a1c45cd5d2c98605e617"
    "2e6d014dda2e27f88c98befc16c040cbb2bd1bfa121510ea5cdf5f6a30fe8832"
)


@dataclass(frozen=True)
class BootSettings:
    """What an instance needs to know at boot. Nothing here is secret: the passwords are fetched by ARN."""

    region: str
    db_host: str
    db_secret_arn: str
    efs_id: str
    asg_name: str
    wordpress_version: str
    site_url: str
    site_title: str
    admin_user: str
    admin_email: str
    admin_secret_arn: str
    db_name: str = DATABASE_NAME
    lifecycle_hook: str = LIFECYCLE_HOOK
    health_file: str = HEALTH_FILE


def cloud_config(boot: BootSettings) -> str:
    """The instance user data: a `#cloud-config` document that writes the files of `wordpress/boot/` and runs them."""
    env = {
        "AWS_REGION": boot.region,
        "WP_DB_HOST": boot.db_host,
        "WP_DB_NAME": boot.db_name,
        "WP_DB_SECRET_ARN": boot.db_secret_arn,
        "WP_EFS_ID": boot.efs_id,
        "WP_ASG_NAME": boot.asg_name,
        "WP_LIFECYCLE_HOOK": boot.lifecycle_hook,
        "WP_VERSION": boot.wordpress_version,
        "WP_HEALTH_FILE": boot.health_file,
        "WP_SITE_URL": boot.site_url,
        "WP_SITE_TITLE": boot.site_title,
        "WP_ADMIN_USER": boot.admin_user,
        "WP_ADMIN_EMAIL": boot.admin_email,
        "WP_ADMIN_SECRET_ARN": boot.admin_secret_arn,
        "WP_CLI_VERSION": WP_CLI_VERSION,
        "WP_CLI_SHA512": WP_CLI_SHA512,
    }
    files = [
        ("/etc/wordpress/boot.env", "0644", "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())),
        ("/usr/local/sbin/wordpress-boot", "0755", "boot.sh"),
        ("/usr/local/sbin/wordpress-db-credentials", "0755", "db-credentials.sh"),
        ("/usr/local/sbin/wordpress-install", "0755", "install.sh"),
        ("/etc/wordpress/wp-config.php", "0644", "wp-config.php"),
        ("/etc/httpd/conf.d/wordpress.conf", "0644", "wordpress.conf"),
        ("/etc/systemd/system/wordpress-db-credentials.service", "0644", "wordpress-db-credentials.service"),
        ("/etc/systemd/system/wordpress-db-credentials.timer", "0644", "wordpress-db-credentials.timer"),
    ]
    document = {
        "write_files": [
            {
                "path": path,
                "owner": "root:root",
                "permissions": mode,
                "content": source if "\n" in source else (APP_DIR / source).read_text(),
            }
            for path, mode, source in files
        ],
        "runcmd": [["/usr/local/sbin/wordpress-boot"]],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=10_000)
