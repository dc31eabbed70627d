#!/bin/bash
# First boot of a WordPress instance: install the web tier, mount the shared content, write the configuration,
# check that the database answers, then tell Auto Scaling the instance is ready (or that it must be replaced).
set -Eeuo pipefail
# shellcheck source=/dev/null
source /etc/wordpress/boot.env

SHARED=/srv/wordpress-shared
DOCROOT=/var/www/html

# IMDSv2 only: every metadata read needs a session token first.
metadata() {
  local token
  token=$(curl -sSf -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
  curl -sSf -H "X-aws-ec2-metadata-token: ${token}" "http://169.254.169.254/latest/meta-data/$1"
}

signal() {
  aws autoscaling complete-lifecycle-action --region "${AWS_REGION}" \
    --auto-scaling-group-name "${WP_ASG_NAME}" --lifecycle-hook-name "${WP_LIFECYCLE_HOOK}" \
    --instance-id "$(metadata instance-id)" --lifecycle-action-result "$1"
}

# A failed boot must not join the load balancer: ABANDON makes Auto Scaling terminate and replace the instance.
trap 'echo "wordpress boot failed at line ${LINENO}" >&2; signal ABANDON || true' ERR

# --- Baked image: skip installation ----------------------------------------------------------------------------
# An image baked by the image pipeline (src/aws_compute_platform/images) already holds the web tier and WordPress
# core, and names the release in /etc/wordpress/baked-image. Booting from it, this script only configures. A stock
# image, or one baked with another release than WP_VERSION, installs here as before. Every install step belongs
# inside a `if ! baked_image` block, and in the image's wordpress-web component document.
baked_image() {
  [ -r /etc/wordpress/baked-image ] && grep -qx "WP_VERSION=${WP_VERSION}" /etc/wordpress/baked-image
}
if baked_image; then
  echo "wordpress boot: baked image with WordPress ${WP_VERSION}: nothing to install"
elif [ "${WP_IMAGE:-stock}" = "baked" ]; then
  echo "wordpress boot: the fleet asks for a baked image but this one holds no WordPress ${WP_VERSION}: installing"
fi
# -----------------------------------------------------------------------------------------------------------------

if ! baked_image; then
  dnf install -y httpd php php-fpm php-mysqlnd php-gd php-mbstring php-xml php-intl php-opcache amazon-efs-utils
fi

# Shared content: the whole file system is mounted over TLS; wp-content and the shared salts live on it.
mkdir -p "${SHARED}"
echo "${WP_EFS_ID}:/ ${SHARED} efs _netdev,noresvport,tls 0 0" >>/etc/fstab
for _ in $(seq 1 30); do
  mount "${SHARED}" && break
  sleep 10 # a new mount target takes a minute or two to answer
done
mountpoint -q "${SHARED}"

# WordPress core stays on the instance at the pinned version, so every instance runs the same code.
if ! baked_image; then
  workdir=$(mktemp -d)
  curl -sSfL --retry 5 -o "${workdir}/wordpress.tar.gz" "https://wordpress.org/wordpress-${WP_VERSION}.tar.gz"
  expected=$(curl -sSfL --retry 5 "https://wordpress.org/wordpress-${WP_VERSION}.tar.gz.sha1")
  echo "${expected}  ${workdir}/wordpress.tar.gz" | sha1sum -c -
  tar -xzf "${workdir}/wordpress.tar.gz" -C "${DOCROOT}" --strip-components=1
  rm -rf "${workdir}"
fi

# The first instance seeds the shared content and the salts; the lock keeps two first boots from racing.
mkdir -p "${SHARED}/config"
exec 9>"${SHARED}/config/.boot.lock"
flock -w 600 9
if [ ! -d "${SHARED}/wp-content" ]; then
  cp -a "${DOCROOT}/wp-content" "${SHARED}/wp-content.seed"
  chown -R apache:apache "${SHARED}/wp-content.seed"
  mv "${SHARED}/wp-content.seed" "${SHARED}/wp-content"
fi
if [ ! -s "${SHARED}/config/salts.php" ]; then
  (
    umask 027
    {
      echo "<?php"
      for name in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
        echo "define('${name}', '$(openssl rand -base64 48 | tr -d '\n')');"
      done
    } >"${SHARED}/config/salts.php.new"
    chgrp apache "${SHARED}/config/salts.php.new"
    mv "${SHARED}/config/salts.php.new" "${SHARED}/config/salts.php"
  )
fi
flock -u 9

rm -rf "${DOCROOT}/wp-content"
mkdir "${DOCROOT}/wp-content"
echo "${SHARED}/wp-content ${DOCROOT}/wp-content none bind,_netdev,x-systemd.requires-mounts-for=${SHARED} 0 0" >>/etc/fstab
mount "${DOCROOT}/wp-content"

# Settings WordPress reads at runtime; the database password is fetched separately and refreshed on rotation.
export WP_DB_HOST WP_DB_NAME WP_SITE_URL
php -r 'echo json_encode(["db_host" => getenv("WP_DB_HOST"), "db_name" => getenv("WP_DB_NAME"),
  "site_url" => getenv("WP_SITE_URL")]);' >/etc/wordpress/site.json
/usr/local/sbin/wordpress-db-credentials
install -o root -g apache -m 0640 /etc/wordpress/wp-config.php "${DOCROOT}/wp-config.php"

# Once for the fleet, under the boot lock: WP-CLI installs the site before this instance can pass a health check.
flock -w 900 9
/usr/local/sbin/wordpress-install
flock -u 9

# The load balancer's health check: a PHP page answered by php-fpm that opens a file on the shared content file
# system and never the database, so a dead php-fpm or a hung EFS mount takes the instance out of service.
install -o root -g root -m 0644 /etc/wordpress/healthz.php "${DOCROOT}/${WP_HEALTH_FILE}"

# php-fpm's pool, sized from this instance's memory (the default 50 workers do not fit 1-2 GiB without swap).
/usr/local/sbin/wordpress-php-fpm-pool

systemctl daemon-reload
systemctl enable --now php-fpm httpd wordpress-db-credentials.timer

# WP-Cron: the due events run from a timer on every instance, one instance at a time (wordpress-cron explains).
systemctl enable --now wordpress-cron.timer

# Ready means: the web server answers locally and the database accepts the credentials from Secrets Manager.
curl -sSf "http://localhost/${WP_HEALTH_FILE}" >/dev/null
php -r '
  $s = json_decode(file_get_contents("/etc/wordpress/site.json"), true);
  $c = json_decode(file_get_contents("/etc/wordpress/db-credentials.json"), true);
  mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
  (new mysqli($s["db_host"], $c["username"], $c["password"], $s["db_name"]))->close();
'

signal CONTINUE
