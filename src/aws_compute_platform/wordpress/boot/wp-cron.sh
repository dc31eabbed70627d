#!/bin/bash
# WordPress's scheduled events (WP-Cron), run by wordpress-cron.timer on every instance, by one instance at a time.
#
# wp-config.php sets DISABLE_WP_CRON: WordPress would otherwise run due events by requesting its own wp-cron.php over
# the site's URL, which the instances cannot reach (they may leave only on 443, 3306 and 2049), and which any visit
# would trigger on any instance. Instead every instance runs this script every minute and the first to take the lock
# runs the due events; the others find the lock held and skip that minute.
#
# The lock is a flock on a file on the shared content file system: Linux takes flock on NFS as a byte-range lock on
# the server, so it holds across instances (EFS supports NFSv4 locking), and EFS releases it when its holder dies
# (the client's lease expires). A non-blocking lock, so no instance ever queues behind another. Running every minute
# on every instance means a due event still runs when the instance that usually wins is gone.
set -euo pipefail

WP_CLI="${WP_CLI:-/usr/local/bin/wp}" # installed at boot: pinned and checksum-verified
WP_PATH="${WP_PATH:-/var/www/html}"
LOCK="${WP_CRON_LOCK:-/srv/wordpress-shared/config/.cron.lock}"

exec 9>>"${LOCK}"
if ! flock --nonblock 9; then
  echo "another instance is running the due events"
  exit 0
fi

WP_USER="${WP_USER:-apache}"

# As the web server's user, so files the events write to wp-content belong to it, as uploads do.
wp() {
  if [ "$(id -un)" = "${WP_USER}" ]; then
    "${WP_CLI}" --path="${WP_PATH}" "$@"
  else
    runuser -u "${WP_USER}" -- "${WP_CLI}" --path="${WP_PATH}" "$@"
  fi
}

if ! wp core is-installed; then
  echo "WordPress is not installed yet: no events to run"
  exit 0
fi
wp cron event run --due-now
