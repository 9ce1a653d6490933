#!/bin/sh
# Step 50: the admin service: copy the built app from STREAMBOX_APP_DIR to /opt/streambox
# (skipped when unset) and enable streambox-admin.service.
set -eu
. "$(dirname "$0")/lib.sh"

dest=/opt/streambox

if [ -z "${STREAMBOX_APP_DIR:-}" ]; then
    log "STREAMBOX_APP_DIR is not set: not installing the admin service to $dest (set it to a directory with package.json, dist/, node_modules/, web/)"
else
    app=$STREAMBOX_APP_DIR
    for f in package.json dist/server/main.js node_modules web; do
        [ -e "$app/$f" ] || die "$app/$f is missing: STREAMBOX_APP_DIR must hold a built admin service"
    done
    # Copy to a sibling directory, then swap, so a running service never sees half a tree.
    rm -rf "$dest.new" "$dest.old"
    install -d -m 0755 "$dest.new"
    for f in package.json package-lock.json README.md dist node_modules web; do
        if [ -e "$app/$f" ]; then cp -R "$app/$f" "$dest.new/"; fi
    done
    chown -R root:root "$dest.new"
    chmod -R go-w "$dest.new"
    if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi
    mv "$dest.new" "$dest"
    rm -rf "$dest.old"
    log "installed the admin service from $app to $dest"
fi

systemctl enable streambox-admin.service
if systemd_running && [ -e "$dest/dist/server/main.js" ]; then
    systemctl restart streambox-admin.service
    log "streambox-admin restarted"
fi
