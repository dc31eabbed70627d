#!/bin/bash
# Fetch the database credentials from Secrets Manager into a file only root and the web server can read.
# Runs at boot and every few minutes from a timer, because RDS rotates the managed password (every 7 days by default).
set -euo pipefail
# shellcheck source=/dev/null
source /etc/wordpress/boot.env

umask 077
tmp=$(mktemp /etc/wordpress/.db-credentials.XXXXXX)
trap 'rm -f "${tmp}"' EXIT

# The value goes straight to the file: never on a command line, in the environment or in a log.
aws secretsmanager get-secret-value --region "${AWS_REGION}" --secret-id "${WP_DB_SECRET_ARN}" \
  --query SecretString --output text >"${tmp}"
php -r '$c = json_decode(file_get_contents($argv[1]), true); exit(isset($c["username"], $c["password"]) ? 0 : 1);' \
  "${tmp}"
chgrp apache "${tmp}"
chmod 0640 "${tmp}"
mv -f "${tmp}" /etc/wordpress/db-credentials.json
