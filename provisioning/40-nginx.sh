#!/bin/sh
# Step 40: nginx: RTMP ingest + HLS (main context, via modules-enabled/) and the web site on
# HTTPS and plain HTTP (HLS files + reverse proxy to the admin service), with the snippets in
# /etc/nginx/streambox/ that `streambox-tls select` chooses between. Replaces Debian's default
# site. Installs streambox-tls, its libraries and units (the certificate; see provisioning/tls/).
# Ports come from STREAMBOX_HTTP_PORT / STREAMBOX_HTTPS_PORT (environment), else
# /etc/streambox/streambox.env.
set -eu
. "$(dirname "$0")/lib.sh"

http_port=${STREAMBOX_HTTP_PORT:-$(env_file_get STREAMBOX_HTTP_PORT)}
http_port=${http_port:-80}
https_port=${STREAMBOX_HTTPS_PORT:-$(env_file_get STREAMBOX_HTTPS_PORT)}
https_port=${https_port:-443}
rtmp_port=$(env_file_get STREAMBOX_RTMP_PORT); rtmp_port=${rtmp_port:-1935}
admin_listen=$(env_file_get STREAMBOX_ADMIN_LISTEN); admin_listen=${admin_listen:-127.0.0.1:8080}
hls_prefix=$(env_file_get STREAMBOX_HLS_PATH_PREFIX); hls_prefix=${hls_prefix:-/hls}
hls_prefix=/${hls_prefix#/}; hls_prefix=${hls_prefix%/}
# Sized for what README promises with room to spare: per room 30 fast-path participants (page,
# room channel and fast path: 2 proxied connections each, so 4 nginx connections) and a few
# hundred HLS viewers, a few rooms at once, plus RTMP players. One client address may hold
# STREAMBOX_NGINX_PER_CLIENT (default 100) of them.
worker_connections=$(env_file_get STREAMBOX_NGINX_WORKER_CONNECTIONS); worker_connections=${worker_connections:-4096}
per_client=$(env_file_get STREAMBOX_NGINX_PER_CLIENT); per_client=${per_client:-100}

for p in "$http_port" "$https_port" "$rtmp_port" "$worker_connections" "$per_client"; do
    case $p in ''|*[!0-9]*) die "bad port number '$p'" ;; esac
done
[ "$http_port" != "$https_port" ] || die "STREAMBOX_HTTP_PORT and STREAMBOX_HTTPS_PORT are both $http_port"
https_suffix=
[ "$https_port" = 443 ] || https_suffix=:$https_port
case $admin_listen in *:*) ;; *) die "STREAMBOX_ADMIN_LISTEN must be HOST:PORT, got '$admin_listen'" ;; esac
case $hls_prefix in /|*[!A-Za-z0-9/_-]*) die "bad STREAMBOX_HLS_PATH_PREFIX '$hls_prefix'" ;; esac

[ -d /etc/nginx/modules-enabled ] || die "nginx is not installed (run 10-packages.sh)"

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
render() {
    mkdir -p "$(dirname "$tmpdir/$1")"
    sed -e "s|@HTTP_PORT@|$http_port|g" \
        -e "s|@HTTPS_PORT@|$https_port|g" \
        -e "s|@HTTPS_SUFFIX@|$https_suffix|g" \
        -e "s|@TLS_DIR@|$STREAMBOX_TLS_DIR|g" \
        -e "s|@ACME_WEBROOT@|$STREAMBOX_ACME_WEBROOT|g" \
        -e "s|@RTMP_PORT@|$rtmp_port|g" \
        -e "s|@ADMIN_LISTEN@|$admin_listen|g" \
        -e "s|@HLS_PREFIX@|$hls_prefix|g" \
        -e "s|@HLS_DIR@|$STREAMBOX_HLS_DIR|g" \
        -e "s|@WORKER_CONNECTIONS@|$worker_connections|g" \
        -e "s|@WORKER_RLIMIT_NOFILE@|$((worker_connections * 2 + 1024))|g" \
        -e "s|@PER_CLIENT_CONNECTIONS@|$per_client|g" \
        "$STREAMBOX_SOURCE_DIR/provisioning/nginx/$1" >"$tmpdir/$1"
}
render streambox-rtmp.conf.in
render streambox-http.conf.in
render streambox-audience.conf.in
for f in "$STREAMBOX_SOURCE_DIR"/provisioning/nginx/snippets/*.conf.in; do render "snippets/${f##*/}"; done

changed=
[ -z "$(install_file "$tmpdir/streambox-rtmp.conf.in" /etc/nginx/streambox-rtmp.conf 0644)" ] || changed=1
[ -z "$(install_file "$tmpdir/streambox-http.conf.in" /etc/nginx/sites-available/streambox 0644)" ] || changed=1
# http{} context (Debian's nginx.conf includes conf.d/*.conf there): HLS access cache, limits.
[ -z "$(install_file "$tmpdir/streambox-audience.conf.in" /etc/nginx/conf.d/streambox-audience.conf 0644)" ] || changed=1
install -d -m 0755 /etc/nginx/streambox
for f in "$tmpdir"/snippets/*.conf.in; do
    n=${f##*/}
    [ -z "$(install_file "$f" "/etc/nginx/streambox/${n%.in}" 0644)" ] || changed=1
done

# The certificate: streambox-tls and its units (streambox-tls.service runs before nginx and
# at every change: operator files (path unit), addresses (timer); streambox-acme.timer renews).
# Its libraries: /usr/local/lib/streambox/tls/ (it looks there relative to itself first).
[ -z "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/tls/streambox-tls" /usr/local/sbin/streambox-tls 0755)" ] || changed=1
for f in "$STREAMBOX_SOURCE_DIR"/provisioning/tls/lib/*.sh; do
    [ -z "$(install_file "$f" "/usr/local/lib/streambox/tls/${f##*/}" 0644)" ] || changed=1
done
install -d -m 0755 "$STREAMBOX_ETC/tls"
units_changed=
for u in "$STREAMBOX_SOURCE_DIR"/provisioning/tls/*.service "$STREAMBOX_SOURCE_DIR"/provisioning/tls/*.timer "$STREAMBOX_SOURCE_DIR"/provisioning/tls/*.path; do
    [ -z "$(install_file "$u" "$STREAMBOX_UNIT_DIR/${u##*/}" 0644)" ] || units_changed=1
done
if systemd_running && [ -n "$units_changed" ]; then systemctl daemon-reload; fi
systemctl enable streambox-tls.service streambox-tls.path streambox-tls.timer streambox-acme.timer

# modules-enabled/*.conf is included at the top of nginx.conf's main context; 90- sorts
# after Debian's 50-mod-rtmp.conf (load_module). Neither link belongs to a package, so
# upgrades keep them.
ln -sfn /etc/nginx/streambox-rtmp.conf /etc/nginx/modules-enabled/90-streambox-rtmp.conf
ln -sfn /etc/nginx/sites-available/streambox /etc/nginx/sites-enabled/streambox
if [ -e /etc/nginx/sites-enabled/default ] || [ -L /etc/nginx/sites-enabled/default ]; then
    rm -f /etc/nginx/sites-enabled/default
    log "removed Debian's default site"
    changed=1
fi

# One worker: nginx-rtmp keeps each live stream inside the worker that accepted the
# publisher, so with several workers an RTMP player landing on another worker gets nothing
# (rtmp_auto_push did not help: its relay sockets were never accepted). One worker is
# plenty for this appliance. nginx.conf is a conffile: dpkg keeps this edit on upgrades
# (or asks); if a new nginx.conf is taken, HLS still works and only RTMP play may hang.
if grep -q '^[[:space:]]*worker_processes[[:space:]]\+auto;' /etc/nginx/nginx.conf; then
    sed -i 's/^[[:space:]]*worker_processes[[:space:]]\+auto;.*/worker_processes 1; # streambox: nginx-rtmp needs a single worker/' /etc/nginx/nginx.conf
    log "nginx.conf: worker_processes 1"
    changed=1
fi

# worker_connections lives in nginx.conf's events{} (a conffile, edited in place like
# worker_processes above); Debian ships 768, which held ~380 WebSockets for the whole appliance.
if ! grep -q "^[[:space:]]*worker_connections[[:space:]]\+$worker_connections;" /etc/nginx/nginx.conf; then
    sed -i "s/^\([[:space:]]*\)worker_connections[[:space:]]\+[0-9]\+;.*/\1worker_connections $worker_connections; # streambox: see 40-nginx.sh/" /etc/nginx/nginx.conf
    grep -q "^[[:space:]]*worker_connections[[:space:]]\+$worker_connections;" /etc/nginx/nginx.conf || die "nginx.conf: could not set worker_connections"
    log "nginx.conf: worker_connections $worker_connections"
    changed=1
fi

systemd-tmpfiles --create /usr/local/lib/tmpfiles.d/streambox.conf 2>/dev/null || install -d -m 0755 -o www-data -g www-data "$STREAMBOX_HLS_DIR"
install -d -m 0755 "$STREAMBOX_ACME_WEBROOT"

# A booted machine selects its certificate now (the Packer build machine too: finalize.sh
# deletes what it made, so every VM makes its own CA at first boot). A root built without
# booting has none: test the configuration with a throwaway pair and the self mode, then
# remove them (the container makes its CA at first boot, in its own /var/lib/streambox).
placeholder=
if systemd_running; then
    /usr/local/sbin/streambox-tls select --no-reload || die "streambox-tls select failed"
elif [ ! -e "$STREAMBOX_TLS_DIR/active/fullchain.pem" ]; then
    placeholder=1
    install -d -m 0755 "$STREAMBOX_TLS_DIR" "$STREAMBOX_TLS_DIR/nginx"
    /usr/local/sbin/streambox-tls placeholder "$STREAMBOX_TLS_DIR/active"
    echo "include /etc/nginx/streambox/http-self.conf;" >"$STREAMBOX_TLS_DIR/nginx/http.conf"
    echo "include /etc/nginx/streambox/https-self.conf;" >"$STREAMBOX_TLS_DIR/nginx/https.conf"
fi
ok=1
nginx -t -q || ok=
if [ -n "$placeholder" ]; then rm -rf "$STREAMBOX_TLS_DIR"; fi
[ -n "$ok" ] || die "nginx configuration test failed"
log "nginx: HTTPS on $https_port, HTTP on $http_port ($hls_prefix/ from $STREAMBOX_HLS_DIR, rest to $admin_listen), RTMP on $rtmp_port"

systemctl enable nginx.service
if systemd_running && [ -n "$changed" ]; then
    # Restart, not reload: after a reload the old worker keeps the rooms' RTMP publishers
    # (nginx-rtmp ignores worker_shutdown_timeout; streambox-tls stops such a worker itself)
    # while new players reach the new worker. A restart drops the publishers and the rooms'
    # ffmpeg units (Restart=always) reconnect within seconds.
    systemctl restart nginx.service
    /usr/local/sbin/streambox-tls select --restarted
    log "nginx restarted"
elif systemd_running; then
    /usr/local/sbin/streambox-tls select # reloads nginx only if its certificate changed
fi
