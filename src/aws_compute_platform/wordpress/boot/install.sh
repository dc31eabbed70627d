#!/bin/bash
# Install WordPress once for the whole fleet, before any instance takes a request, so the install wizard is never
# reachable: WP-CLI at a pinned release (its SHA-512 checked before it runs) creates the site's tables, its title
# and its administrator. The caller holds the fleet's boot lock on the shared file system, so two first boots
# never race; an already installed site is left as it is.
set -Eeuo pipefail
# shellcheck source=/dev/null
source /etc/wordpress/boot.env

DOCROOT=/var/www/html
WP_CLI=/usr/local/bin/wp

if ! echo "${WP_CLI_SHA512}  ${WP_CLI}" | sha512sum --check --status - 2>/dev/null; then
  download=$(mktemp)
  trap 'rm -f "${download}"' EXIT
  curl -sSfL --retry 5 -o "${download}" \
    "https://github.com/wp-cli/wp-cli/releases/download/v${WP_CLI_VERSION}/wp-cli-${WP_CLI_VERSION}.phar"
  echo "${WP_CLI_SHA512}  ${download}" | sha512sum --check -
  install -o root -g root -m 0755 "${download}" "${WP_CLI}"
fi

# As the web server's user, so every file WordPress writes (uploads) belongs to it.
wp() {
  runuser -u apache -- env HOME=/tmp WP_CLI_CACHE_DIR=/tmp/wp-cli-cache \
    php "${WP_CLI}" --path="${DOCROOT}" --url="${WP_SITE_URL}" "$@"
}

if wp core is-installed; then
  echo "WordPress is already installed at ${WP_SITE_URL}"
  exit 0
fi

# The administrator's password goes from Secrets Manager straight to WP-CLI's standard input (--prompt reads it
# there): never on a command line, in the environment, in this script's output or in a log. --skip-email: the
# password is read from Secrets Manager, not mailed.
aws secretsmanager get-secret-value --region "${AWS_REGION}" --secret-id "${WP_ADMIN_SECRET_ARN}" \
  --query SecretString --output text |
  wp core install --title="${WP_SITE_TITLE}" --admin_user="${WP_ADMIN_USER}" \
    --admin_email="${WP_ADMIN_EMAIL}" --skip-email --prompt=admin_password >/dev/null
wp core is-installed
echo "WordPress installed at ${WP_SITE_URL} for ${WP_ADMIN_USER}"
