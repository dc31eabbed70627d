"""The instances' user data: a `#cloud-config` document that writes the files of `wordpress/boot/` and runs them."""

from __future__ import annotations

import gzip
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from aws_compute_platform.wordpress.database import DATABASE_NAME
from aws_compute_platform.wordpress.load_balancer import HEALTH_FILE

APP_DIR = Path(__file__).resolve().parent / "boot"
LIFECYCLE_HOOK = "wordpress-ready"
# Apache keeps an idle connection from the load balancer open this much longer than the load balancer's own idle
# timeout, so the load balancer always closes it first. ELB, Application Load Balancers guide, "Connection idle
# timeout": configure the application's idle timeout larger than the load balancer's, or the load balancer may send
# a request on a connection the target is closing and answer the client 502.
KEEP_ALIVE_MARGIN_S = 5

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
    image: str = "stock"
    db_name: str = DATABASE_NAME
    lifecycle_hook: str = LIFECYCLE_HOOK
    health_file: str = HEALTH_FILE
    load_balancer_idle_timeout_s: int = 60

    @property
    def keep_alive_timeout_s(self) -> int:
        """Apache's KeepAliveTimeout: longer than the load balancer's idle timeout."""
        return self.load_balancer_idle_timeout_s + KEEP_ALIVE_MARGIN_S


def keep_alive_conf(boot: BootSettings) -> str:
    """Apache's keep-alive for the load balancer's connections (Apache's default 5 s is shorter than its 60 s)."""
    return (
        f"# Longer than the load balancer's idle timeout ({boot.load_balancer_idle_timeout_s} s), so it closes idle\n"
        "# connections first and never reuses one Apache is closing (a 502 to the visitor).\n"
        f"KeepAlive On\nKeepAliveTimeout {boot.keep_alive_timeout_s}\n"
    )


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
        "WP_IMAGE": boot.image,
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
        # Running a fleet: the health page, Apache's keep-alive, php-fpm's pool size and WP-Cron (docs/wordpress.md).
        ("/etc/wordpress/healthz.php", "0644", "healthz.php"),
        ("/etc/httpd/conf.d/wordpress-keepalive.conf", "0644", keep_alive_conf(boot)),
        ("/usr/local/sbin/wordpress-php-fpm-pool", "0755", "php-fpm-pool.sh"),
        ("/usr/local/sbin/wordpress-cron", "0755", "wp-cron.sh"),
        ("/etc/systemd/system/wordpress-cron.service", "0644", "wordpress-cron.service"),
        ("/etc/systemd/system/wordpress-cron.timer", "0644", "wordpress-cron.timer"),
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


def compressed(user_data: str) -> bytes:
    """The user data gzip-compressed: EC2 takes at most 16 KiB, and cloud-init decompresses gzip user data itself
    (cloud-init docs, "User-Data Formats": gzip compressed content is uncompressed and used as if it were not).

    No timestamp in the header, so the same document always gives the same bytes (a new launch template version, and
    with it an instance refresh, only when the document changes).
    """
    return gzip.compress(user_data.encode(), mtime=0)
