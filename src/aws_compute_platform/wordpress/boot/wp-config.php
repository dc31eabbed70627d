<?php
/*
 * WordPress configuration for an instance behind the load balancer. Nothing secret is written here: the database
 * credentials come from Secrets Manager (refreshed by wordpress-db-credentials.timer) and the salts are shared by
 * every instance from the content file system, so a login made on one instance is valid on all of them.
 */
$acp_site = json_decode(file_get_contents('/etc/wordpress/site.json'), true);
$acp_db = json_decode(file_get_contents('/etc/wordpress/db-credentials.json'), true);

define('DB_NAME', $acp_site['db_name']);
define('DB_USER', $acp_db['username']);
define('DB_PASSWORD', $acp_db['password']);
define('DB_HOST', $acp_site['db_host']);
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
unset($acp_db);

require '/srv/wordpress-shared/config/salts.php';

$table_prefix = 'wp_';

// The site's public address (CloudFront's name, the site's name in the zone, or the load balancer's), so links and
// redirects never follow the Host a request arrived with.
define('WP_HOME', $acp_site['site_url']);
define('WP_SITEURL', $acp_site['site_url']);
if (strpos($acp_site['site_url'], 'https://') === 0) {
    define('FORCE_SSL_ADMIN', true);
}
unset($acp_site);

// TLS ends before WordPress. The viewer's real scheme: CloudFront sends CloudFront-Forwarded-Proto (its own request to
// the load balancer may be plain HTTP), the load balancer X-Forwarded-Proto. Without this, wp-admin loops between
// http and https.
$acp_proto = $_SERVER['HTTP_CLOUDFRONT_FORWARDED_PROTO'] ?? ($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '');
if ($acp_proto === 'https') {
    $_SERVER['HTTPS'] = 'on';
}
unset($acp_proto);

define('WP_DEBUG', false);
define('DISALLOW_FILE_EDIT', true);
define('FS_METHOD', 'direct');
// Core lives on each instance and is upgraded by changing wordpressVersion (an instance refresh); an automatic core
// update on one instance would leave the fleet running two versions against one database.
define('WP_AUTO_UPDATE_CORE', false);
// Scheduled events run from wordpress-cron.timer (WP-CLI, one instance of the fleet at a time), not from page views:
// WordPress's own loopback request to wp-cron.php cannot leave the instances.
define('DISABLE_WP_CRON', true);

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
