#!/bin/sh
# Step 30: the systemd units (to /usr/local/lib/systemd/system, leaving /etc/systemd/system
# to the operator's overrides) and the tmpfiles.d entry for the HLS directory.
set -eu
. "$(dirname "$0")/lib.sh"

src=$STREAMBOX_SOURCE_DIR/units
[ -d "$src" ] || die "no units directory at $src (set STREAMBOX_SOURCE_DIR)"

changed=
for f in "$src"/*.service "$src"/*.target; do
    [ -e "$f" ] || continue
    if [ -n "$(install_file "$f" "$STREAMBOX_UNIT_DIR/$(basename "$f")" 0644)" ]; then
        log "installed $STREAMBOX_UNIT_DIR/$(basename "$f")"
        changed=1
    fi
done

tmpfiles=/usr/local/lib/tmpfiles.d/streambox.conf
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/tmpfiles/streambox.conf" "$tmpfiles" 0644)" ]; then
    log "installed $tmpfiles"
fi
# Create the directories now too (harmless in a chroot: /run is recreated at boot).
systemd-tmpfiles --create "$tmpfiles"

if systemd_running && [ -n "$changed" ]; then
    systemctl daemon-reload
    log "systemd reloaded (running rooms keep their old definitions until restarted)"
fi
