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
unset($acp_site, $acp_db);

require '/srv/wordpress-shared/config/salts.php';

$table_prefix = 'wp_';

// TLS ends at the load balancer, which sets X-Forwarded-Proto; without this, wp-admin loops between http and https.
if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && $_SERVER['HTTP_X_FORWARDED_PROTO'] === 'https') {
    $_SERVER['HTTPS'] = 'on';
}

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
