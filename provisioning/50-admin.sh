#!/bin/sh
# Step 50: the admin service: copy the built app from STREAMBOX_APP_DIR to /opt/streambox
# (skipped when unset), its start helper and polkit rule, and enable streambox-admin.service
# (which runs as the user streambox from step 15).
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

# Runs as root before every start (ExecStartPre=+): the service's directories, and the state
# an older, root-run service left behind.
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/admin/admin-prepare" /usr/local/lib/streambox/admin-prepare 0755)" ]; then
    log "installed /usr/local/lib/streambox/admin-prepare"
fi
# What the service (user streambox) may ask systemd for: the rooms' units, nothing else.
rules=/etc/polkit-1/rules.d/50-streambox-admin.rules
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/admin/streambox-admin.rules" "$rules" 0644)" ]; then
    log "installed $rules"
fi
# ... and may send systemd CleanUnit (the bus's policy; polkit above still decides the unit).
busconf=/etc/dbus-1/system.d/streambox-admin.conf
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/admin/streambox-admin-dbus.conf" "$busconf" 0644)" ]; then
    log "installed $busconf"
    if systemd_running; then systemctl reload dbus.service || true; fi
fi

# The ingest buffer holds the encoders' connections while the admin service restarts
# (units/streambox-ingest.service). Re-provisioning a running machine restarts it for its new
# code, which restarts the rooms' encoders once.
systemctl enable streambox-ingest.service streambox-admin.service
if systemd_running && [ -e "$dest/dist/server/main.js" ]; then
    systemctl restart streambox-ingest.service
    systemctl restart streambox-admin.service
    log "streambox-admin restarted"
fi
