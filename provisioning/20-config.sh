#!/bin/sh
# Step 20: /etc/streambox: the admin service's settings file and the rooms directory.
# streambox.env is written once; later runs keep the operator's values and only append
# settings that are missing from it.
set -eu
. "$(dirname "$0")/lib.sh"

http_port=${STREAMBOX_HTTP_PORT:-80}
https_port=${STREAMBOX_HTTPS_PORT:-443}
for kv in "STREAMBOX_HTTP_PORT=$http_port" "STREAMBOX_HTTPS_PORT=$https_port"; do
    v=${kv#*=}
    case $v in
        ''|*[!0-9]*) die "${kv%%=*} must be a port number, got '$v'" ;;
    esac
    if [ "$v" -lt 1 ] || [ "$v" -gt 65535 ]; then
        die "${kv%%=*} out of range: $v"
    fi
done
[ "$http_port" != "$https_port" ] || die "STREAMBOX_HTTP_PORT and STREAMBOX_HTTPS_PORT are both $http_port"

install -d -m 0755 -o root -g root "$STREAMBOX_ETC"
# Per-room ID.env and ID.vncpass (secret), written by the admin service (user streambox, made
# in step 15; systemd reads them as root).
install -d -m 0770 -o root -g streambox "$STREAMBOX_ETC/rooms"

defaults="STREAMBOX_ADMIN_LISTEN=127.0.0.1:8080
STREAMBOX_DATA_DIR=/var/lib/streambox
STREAMBOX_ROOMS_ENV_DIR=$STREAMBOX_ETC/rooms
STREAMBOX_HLS_PATH_PREFIX=/hls
STREAMBOX_RTMP_PORT=1935
STREAMBOX_HTTP_PORT=$http_port
STREAMBOX_HTTPS_PORT=$https_port
STREAMBOX_INGEST_LISTEN=127.0.0.1:8081
STREAMBOX_FAST_PATH_SEATS=30
NODE_ENV=production"

if [ ! -e "$STREAMBOX_ENV_FILE" ]; then
    tmp=$(mktemp "$STREAMBOX_ENV_FILE.XXXXXX")
    {
        echo "# Streambox settings (systemd EnvironmentFile syntax), read by streambox-admin.service."
        echo "# Written once by provisioning; re-running it keeps your edits."
        echo "# After changing STREAMBOX_HTTP_PORT, STREAMBOX_HTTPS_PORT, STREAMBOX_RTMP_PORT,"
        echo "# STREAMBOX_ADMIN_LISTEN or STREAMBOX_HLS_PATH_PREFIX, run provisioning/40-nginx.sh again."
        echo "# HTTPS: a certificate in /etc/streambox/tls/{fullchain,privkey}.pem is used first; else"
        echo "# ACME when STREAMBOX_PUBLIC_HOST=your.dns.name is set (STREAMBOX_ACME_EMAIL,"
        echo "# STREAMBOX_ACME_SERVER, STREAMBOX_ACME_CA_BUNDLE optional; then: streambox-tls acme);"
        echo "# else the appliance's own CA. See: streambox-tls status."
        echo "$defaults"
    } >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$STREAMBOX_ENV_FILE"
    log "wrote $STREAMBOX_ENV_FILE"
else
    echo "$defaults" | while IFS= read -r line; do
        key=${line%%=*}
        if ! grep -q "^[[:space:]]*$key=" "$STREAMBOX_ENV_FILE"; then
            printf '%s\n' "$line" >>"$STREAMBOX_ENV_FILE"
            log "added missing $key to $STREAMBOX_ENV_FILE"
        fi
    done
    log "$STREAMBOX_ENV_FILE exists: kept"
    if [ -n "${STREAMBOX_HTTP_PORT:-}" ] && [ "$(env_file_get STREAMBOX_HTTP_PORT)" != "$STREAMBOX_HTTP_PORT" ]; then
        log "warning: STREAMBOX_HTTP_PORT=$STREAMBOX_HTTP_PORT differs from $STREAMBOX_ENV_FILE ($(env_file_get STREAMBOX_HTTP_PORT)); nginx will use $STREAMBOX_HTTP_PORT"
    fi
    if [ -n "${STREAMBOX_HTTPS_PORT:-}" ] && [ "$(env_file_get STREAMBOX_HTTPS_PORT)" != "$STREAMBOX_HTTPS_PORT" ]; then
        log "warning: STREAMBOX_HTTPS_PORT=$STREAMBOX_HTTPS_PORT differs from $STREAMBOX_ENV_FILE ($(env_file_get STREAMBOX_HTTPS_PORT)); nginx will use $STREAMBOX_HTTPS_PORT"
    fi
fi
