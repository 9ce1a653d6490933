#!/bin/sh
# Step 40: nginx: RTMP ingest + HLS (main context, via modules-enabled/) and the HTTP site
# (HLS files + reverse proxy to the admin service). Replaces Debian's default site.
# Ports come from STREAMBOX_HTTP_PORT (environment), else /etc/streambox/streambox.env.
set -eu
. "$(dirname "$0")/lib.sh"

http_port=${STREAMBOX_HTTP_PORT:-$(env_file_get STREAMBOX_HTTP_PORT)}
http_port=${http_port:-80}
rtmp_port=$(env_file_get STREAMBOX_RTMP_PORT); rtmp_port=${rtmp_port:-1935}
admin_listen=$(env_file_get STREAMBOX_ADMIN_LISTEN); admin_listen=${admin_listen:-127.0.0.1:8080}
hls_prefix=$(env_file_get STREAMBOX_HLS_PATH_PREFIX); hls_prefix=${hls_prefix:-/hls}
hls_prefix=/${hls_prefix#/}; hls_prefix=${hls_prefix%/}

for p in "$http_port" "$rtmp_port"; do
    case $p in ''|*[!0-9]*) die "bad port number '$p'" ;; esac
done
case $admin_listen in *:*) ;; *) die "STREAMBOX_ADMIN_LISTEN must be HOST:PORT, got '$admin_listen'" ;; esac
case $hls_prefix in /|*[!A-Za-z0-9/_-]*) die "bad STREAMBOX_HLS_PATH_PREFIX '$hls_prefix'" ;; esac

[ -d /etc/nginx/modules-enabled ] || die "nginx is not installed (run 10-packages.sh)"

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
render() {
    sed -e "s|@HTTP_PORT@|$http_port|g" \
        -e "s|@RTMP_PORT@|$rtmp_port|g" \
        -e "s|@ADMIN_LISTEN@|$admin_listen|g" \
        -e "s|@HLS_PREFIX@|$hls_prefix|g" \
        -e "s|@HLS_DIR@|$STREAMBOX_HLS_DIR|g" \
        "$STREAMBOX_SOURCE_DIR/provisioning/nginx/$1" >"$tmpdir/$1"
}
render streambox-rtmp.conf.in
render streambox-http.conf.in

changed=
[ -z "$(install_file "$tmpdir/streambox-rtmp.conf.in" /etc/nginx/streambox-rtmp.conf 0644)" ] || changed=1
[ -z "$(install_file "$tmpdir/streambox-http.conf.in" /etc/nginx/sites-available/streambox 0644)" ] || changed=1

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

systemd-tmpfiles --create /usr/local/lib/tmpfiles.d/streambox.conf 2>/dev/null || install -d -m 0755 -o www-data -g www-data "$STREAMBOX_HLS_DIR"
nginx -t -q || die "nginx configuration test failed"
log "nginx: HTTP on $http_port ($hls_prefix/ from $STREAMBOX_HLS_DIR, rest to $admin_listen), RTMP on $rtmp_port"

systemctl enable nginx.service
if systemd_running && [ -n "$changed" ]; then
    # Restart, not reload: after a reload the old worker keeps the rooms' RTMP publishers
    # while new players reach the new worker. A restart drops the publishers and the rooms'
    # ffmpeg units (Restart=always) reconnect within seconds.
    systemctl restart nginx.service
    log "nginx restarted"
fi
