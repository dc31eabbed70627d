#!/bin/bash
# Size php-fpm's pool from this instance's memory, so a burst of requests waits for a worker instead of running the
# instance out of memory. php-fpm's own default (pm.max_children = 50) is far more than a 1-2 GiB instance with no
# swap can hold: under load the kernel kills workers, or Apache, before target tracking adds instances.
#
#   workers = (MemTotal - RESERVE_MIB) / WORKER_MIB, at least 2
#
# RESERVE_MIB: the OS, the SSM agent, the EFS TLS tunnel, Apache's event workers, and OPcache's shared memory (128 MiB
# by default, opcache.memory_consumption). WORKER_MIB: a WordPress php-fpm worker measures 40-60 MiB RSS with a
# typical theme and plugins (the per-worker figure the php-fpm sizing guides measure with `ps`); 64 MiB keeps
# headroom for the heavier admin pages. Measure yours with:
#   ps -C php-fpm -o rss= | awk '{s+=$1; n++} END {print s/n/1024 " MiB"}'
set -euo pipefail

MEMINFO="${MEMINFO:-/proc/meminfo}"
POOL_CONF="${POOL_CONF:-/etc/php-fpm.d/zz-wordpress-pool.conf}"
RESERVE_MIB=384
WORKER_MIB=64

total_mib=$(($(awk '/^MemTotal:/ {print $2}' "${MEMINFO}") / 1024))
workers=$(((total_mib - RESERVE_MIB) / WORKER_MIB))
if [ "${workers}" -lt 2 ]; then
  workers=2
fi
# Keep a quarter of the pool warm, and let at most half of it sit idle.
spare_min=$((workers / 4 > 1 ? workers / 4 : 1))
spare_max=$((workers / 2 > spare_min ? workers / 2 : spare_min))

# Read after www.conf (files load in name order); a second [www] section reopens that pool and overrides its values.
cat >"${POOL_CONF}" <<CONF
; Written at boot by wordpress-php-fpm-pool for MemTotal ${total_mib} MiB:
; (${total_mib} - ${RESERVE_MIB}) MiB / ${WORKER_MIB} MiB per worker.
[www]
pm = dynamic
pm.max_children = ${workers}
pm.start_servers = ${spare_min}
pm.min_spare_servers = ${spare_min}
pm.max_spare_servers = ${spare_max}
; A worker is replaced after 500 requests, so a slow leak in a plugin never grows past its share.
pm.max_requests = 500
CONF
echo "php-fpm pool: ${workers} workers for ${total_mib} MiB"
