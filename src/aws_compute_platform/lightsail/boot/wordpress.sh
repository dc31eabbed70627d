#!/bin/bash
# Lightsail launch script for WordPress on an OS-only Ubuntu 24.04 blueprint (ubuntu_24_04).
#
# Lightsail runs it once, as root, on the instance's first boot; its output is in /var/log/cloud-init-output.log.
# It first closes the instance's own firewall to everything but the stack's port rules (Lightsail's default ports
# are open to everyone until the stack's rules apply). It then installs Apache, PHP with the MySQL extension and the
# latest WordPress from wordpress.org (checked against the SHA-1 that wordpress.org publishes), and stops there: it
# writes no wp-config.php and holds no secret, so nothing sensitive is in the instance's user data. With a site name
# (the stack's domain) it obtains a Let's Encrypt certificate and serves WordPress only over HTTPS. The administrator
# finishes WordPress's own setup wizard with the managed database's endpoint and password (docs/lightsail.md).
set -euo pipefail

# @instance-settings@

readonly SITE_ROOT=/var/www/wordpress
readonly DOWNLOAD=https://wordpress.org/latest.tar.gz
readonly SETUP_USERS=/etc/apache2/wordpress-setup.htpasswd
readonly SETUP_LOGIN=/root/wordpress-setup-login
readonly APACHE_SITES=/etc/apache2/sites-available
readonly ACME_ROOT=/var/www/letsencrypt
readonly CERTIFICATES=/etc/letsencrypt/live

export DEBIAN_FRONTEND=noninteractive

# On first boot unattended-upgrades may hold the dpkg lock: wait for it instead of failing.
apt_get() {
    apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# Before anything else: only the stack's port rules reach the instance (the firewall function is written above).
firewall

apt_get update
apt_get install -y --no-install-recommends \
    apache2 apache2-utils libapache2-mod-php php-mysql \
    php-curl php-gd php-intl php-mbstring php-xml php-zip \
    ca-certificates curl
if [[ -n $SITE_NAME ]]; then
    # Ubuntu's own certbot; its systemd timer renews the certificate through the same webroot.
    apt_get install -y --no-install-recommends certbot
fi

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# latest.tar.gz.sha1 is 40 hex digits and nothing else. A release published between the two downloads, or a
# download cut short, makes them disagree, so the pair is fetched again before giving up.
verified=no
for attempt in 1 2 3; do
    expected=$(curl -fsSL --retry 5 "$DOWNLOAD.sha1" | tr -d '\r\n') || expected=""
    actual=""
    if curl -fsSL --retry 5 -o "$workdir/wordpress.tar.gz" "$DOWNLOAD"; then
        actual=$(sha1sum "$workdir/wordpress.tar.gz" | cut -d ' ' -f 1)
    fi
    if [[ $expected =~ ^[0-9a-f]{40}$ && $actual == "$expected" ]]; then
        verified=yes
        break
    fi
    echo "attempt $attempt: wordpress.tar.gz has SHA-1 $actual, wordpress.org publishes '$expected'" >&2
    sleep 10
done
if [[ $verified != yes ]]; then
    echo "WordPress was not installed: its download never matched the published checksum" >&2
    exit 1
fi

mkdir -p "$SITE_ROOT"
tar -xzf "$workdir/wordpress.tar.gz" -C "$SITE_ROOT" --strip-components=1 --no-same-owner
# The setup wizard writes wp-config.php, and WordPress installs its updates, themes and plugins, as Apache's user.
chown -R www-data:www-data "$SITE_ROOT"
find "$SITE_ROOT" -type d -exec chmod 0755 {} +
find "$SITE_ROOT" -type f -exec chmod 0644 {} +

# Until the wizard has run, whoever reaches the site first could finish it with a database of their own and take
# the server over. The two setup pages therefore ask for a login that is made here, on the instance, and can be
# read only by root (over SSH): `sudo cat /root/wordpress-setup-login`.
setup_secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
(
    umask 077
    printf 'user: admin\npassword: %s\n' "$setup_secret" >"$SETUP_LOGIN"
)
printf '%s\n' "$setup_secret" | htpasswd -i -c -B "$SETUP_USERS" admin
unset setup_secret
chown root:www-data "$SETUP_USERS"
chmod 0640 "$SETUP_USERS"

# The WordPress directory, with the setup pages behind the login; the same in the HTTP and the HTTPS site.
site_directories() {
    cat <<'APACHE'
    DocumentRoot /var/www/wordpress
    <Directory /var/www/wordpress>
        # WordPress's permalinks live in its .htaccess.
        AllowOverride All
        Require all granted
    </Directory>
    <Directory /var/www/wordpress/wp-admin>
        <FilesMatch "^(setup-config|install)\.php$">
            AuthType Basic
            AuthName "WordPress setup"
            AuthUserFile /etc/apache2/wordpress-setup.htpasswd
            Require valid-user
        </FilesMatch>
    </Directory>
    ErrorLog ${APACHE_LOG_DIR}/wordpress-error.log
    CustomLog ${APACHE_LOG_DIR}/wordpress-access.log combined
APACHE
}

# Without a site name: WordPress over plain HTTP (the setup login and database password cross the network readable;
# docs/lightsail.md says what that exposes).
serve_over_http() {
    {
        echo "<VirtualHost *:80>"
        site_directories
        echo "</VirtualHost>"
    } >"$APACHE_SITES/wordpress.conf"
}

# With a site name: port 80 answers only Let's Encrypt's HTTP-01 challenge and sends everything else to HTTPS, so the
# setup login and the database password never cross the network in clear; WordPress is served only over HTTPS.
serve_over_https() {
    mkdir -p "$ACME_ROOT"
    cat >"$APACHE_SITES/wordpress.conf" <<APACHE
<VirtualHost *:80>
    ServerName $SITE_NAME
    DocumentRoot $ACME_ROOT
    RewriteEngine On
    RewriteCond %{REQUEST_URI} !^/\.well-known/acme-challenge/
    RewriteRule ^ https://$SITE_NAME%{REQUEST_URI} [R=301,L]
</VirtualHost>
APACHE
    {
        echo "<VirtualHost *:443>"
        echo "    ServerName $SITE_NAME"
        echo "    SSLEngine on"
        echo "    SSLCertificateFile $CERTIFICATES/$SITE_NAME/fullchain.pem"
        echo "    SSLCertificateKeyFile $CERTIFICATES/$SITE_NAME/privkey.pem"
        echo '    Header always set Strict-Transport-Security "max-age=31536000"'
        site_directories
        echo "</VirtualHost>"
    } >"$APACHE_SITES/wordpress-https.conf"
}

# The name must point at this instance before Let's Encrypt can check it: the DNS record is made with the static IP,
# which Lightsail attaches after the instance exists. Retry for about 20 minutes, then say what to run by hand.
obtain_certificate() {
    local attempt
    for attempt in $(seq 1 40); do
        if certbot certonly --webroot --webroot-path "$ACME_ROOT" --domain "$SITE_NAME" \
            --non-interactive --agree-tos --register-unsafely-without-email \
            --deploy-hook "systemctl reload apache2"; then
            return 0
        fi
        echo "attempt $attempt: no certificate for $SITE_NAME yet (does it resolve to this instance?)" >&2
        sleep 30
    done
    echo "No certificate for $SITE_NAME: WordPress is not served (HTTP only redirects). When the name resolves" \
        "here, run: sudo certbot certonly --webroot --webroot-path $ACME_ROOT --domain $SITE_NAME" \
        "--agree-tos --register-unsafely-without-email && sudo a2ensite wordpress-https &&" \
        "sudo systemctl reload apache2" >&2
    return 1
}

a2enmod rewrite
a2dissite 000-default
if [[ -n $SITE_NAME ]]; then
    a2enmod ssl headers
    serve_over_https
    a2ensite wordpress
    apache2ctl configtest
    systemctl restart apache2
    obtain_certificate
    a2ensite wordpress-https
    apache2ctl configtest
    systemctl reload apache2
    echo "WordPress is unpacked in $SITE_ROOT: finish its setup wizard at https://$SITE_NAME/ (docs/lightsail.md)."
else
    serve_over_http
    a2ensite wordpress
    apache2ctl configtest
    systemctl restart apache2
    echo "WordPress is unpacked in $SITE_ROOT: finish its setup wizard in a browser (docs/lightsail.md)."
fi
