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

# The room browsers' primary group (browser@.service: Group=): the kiosks' egress rules match
# its GID (streambox-kiosk-fence). A fixed GID from a range systemd leaves unused
# (60578-61183), so that in a container sharing the host's network namespace the rules cannot
# match a host group by chance; an existing group of that name is kept as it is.
if ! getent group streambox-kiosk >/dev/null; then
    getent group 60600 >/dev/null && die "GID 60600 is taken; create the group streambox-kiosk by hand (any unused GID)"
    groupadd --system --gid 60600 streambox-kiosk
    log "created group streambox-kiosk (60600)"
fi

# Chromium's managed policies for the kiosks (see provisioning/chromium/README.md).
for f in streambox-kiosk.json url-allowlist.json; do
    if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/chromium/$f" "/etc/chromium/policies/managed/$f" 0644)" ]; then
        log "installed /etc/chromium/policies/managed/$f"
    fi
done

defaults="STREAMBOX_ADMIN_LISTEN=127.0.0.1:8080
STREAMBOX_DATA_DIR=/var/lib/streambox
STREAMBOX_ROOMS_ENV_DIR=$STREAMBOX_ETC/rooms
STREAMBOX_HLS_PATH_PREFIX=/hls
STREAMBOX_RTMP_PORT=1935
STREAMBOX_HTTP_PORT=$http_port
STREAMBOX_HTTPS_PORT=$https_port
STREAMBOX_INGEST_LISTEN=127.0.0.1:8081
STREAMBOX_INGEST_UPSTREAM=127.0.0.1:8082
STREAMBOX_FAST_PATH_SEATS=30
STREAMBOX_IDLE_STOP_MINUTES=30
STREAMBOX_MAX_DURATION_MINUTES=0
STREAMBOX_ROOMS_ALLOW_LAN=no
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
        echo "# STREAMBOX_ROOMS_ALLOW_LAN=yes lets the rooms' browsers reach private addresses (the LAN);"
        echo "# then: systemctl reload streambox-kiosk-fence."
        echo "# STREAMBOX_IDLE_STOP_MINUTES: a room nobody is in stops after this long (0: never);"
        echo "# STREAMBOX_MAX_DURATION_MINUTES: a room stops after running this long (0: no limit)."
        echo "# A room's own settings win; then: systemctl restart streambox-admin."
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
