#!/bin/sh
# Step 15: the admin service's own system user and group, "streambox" (sysusers.d, so a booted
# appliance re-creates it from the same file). Before step 20, which gives it the rooms directory.
set -eu
. "$(dirname "$0")/lib.sh"

conf=/usr/local/lib/sysusers.d/streambox.conf
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/admin/streambox.sysusers" "$conf" 0644)" ]; then
    log "installed $conf"
fi
systemd-sysusers "$conf"
getent passwd streambox >/dev/null || die "systemd-sysusers did not create the user streambox"
log "user streambox: $(id streambox)"
