#!/bin/sh
# Step 30: the systemd units (to /usr/local/lib/systemd/system, leaving /etc/systemd/system
# to the operator's overrides), the tmpfiles.d entry for the HLS directory, and the kiosks'
# egress rules (streambox-kiosk-fence, loaded by its unit at boot).
set -eu
. "$(dirname "$0")/lib.sh"

src=$STREAMBOX_SOURCE_DIR/units
[ -d "$src" ] || die "no units directory at $src (set STREAMBOX_SOURCE_DIR)"

changed=
for f in "$src"/*.service "$src"/*.target "$src"/*.path; do
    [ -e "$f" ] || continue
    if [ -n "$(install_file "$f" "$STREAMBOX_UNIT_DIR/$(basename "$f")" 0644)" ]; then
        log "installed $STREAMBOX_UNIT_DIR/$(basename "$f")"
        changed=1
    fi
done
# Drop-ins for units the appliance does not own (nginx.service.d/: restart nginx when it dies).
for f in "$src"/*.d/*.conf; do
    [ -e "$f" ] || continue
    dest=$STREAMBOX_UNIT_DIR/$(basename "$(dirname "$f")")/$(basename "$f")
    if [ -n "$(install_file "$f" "$dest" 0644)" ]; then
        log "installed $dest"
        changed=1
    fi
done

if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/kiosk/streambox-kiosk-fence" /usr/local/sbin/streambox-kiosk-fence 0755)" ]; then
    log "installed /usr/local/sbin/streambox-kiosk-fence"
    changed=1
fi
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/kiosk/x11vnc-clipboard" /usr/local/lib/streambox/x11vnc-clipboard 0755)" ]; then
    log "installed /usr/local/lib/streambox/x11vnc-clipboard"
fi
systemctl enable streambox-kiosk-fence.service streambox-kiosk-fence.path

tmpfiles=/usr/local/lib/tmpfiles.d/streambox.conf
if [ -n "$(install_file "$STREAMBOX_SOURCE_DIR/provisioning/tmpfiles/streambox.conf" "$tmpfiles" 0644)" ]; then
    log "installed $tmpfiles"
fi
# Create the directories now too (harmless in a chroot: /run is recreated at boot).
systemd-tmpfiles --create "$tmpfiles"

if systemd_running && [ -n "$changed" ]; then
    systemctl daemon-reload
    log "systemd reloaded (running rooms keep their old definitions until restarted)"
    systemctl reload-or-restart streambox-kiosk-fence.service # reload: one atomic nft transaction, no gap
    log "kiosk egress rules (re)loaded"
fi
