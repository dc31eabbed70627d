<?php
/*
 * The load balancer's health check. php-fpm answers it, so an instance whose php-fpm died fails it instead of
 * answering 200 from a static file while every real page is a 502; it opens a file on the shared content file
 * system, so a hung EFS mount (mounted `hard`: reads block) times the check out. It never opens the database: a slow
 * database would otherwise take every instance out of service at once, leaving nothing to serve even cached pages.
 */
header('Cache-Control: no-store');
header('Content-Type: text/plain');
$shared = @fopen('/srv/wordpress-shared/config/salts.php', 'rb');
if ($shared === false) {
    http_response_code(503);
    echo "shared content unavailable\n";
    exit;
}
fclose($shared);
echo "ok\n";
